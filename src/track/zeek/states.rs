//! Zeek's endpoint state machine: the states of `TCP_Endpoint` and the transitions of
//! `TCPSessionAdapter::UpdateStateMachine` (with `IsReuse` and `init_endpoint`'s start),
//! kept with every connection whether or not Zeek's accounting is.

use crate::wire::TcpFlags;

/// An endpoint's state as Zeek tracks it (`TCP_ENDPOINT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ZeekEndpointState {
    /// Nothing seen from it yet.
    #[default]
    Inactive,
    /// Sent a SYN.
    SynSent,
    /// Sent a SYN-ACK (as the originator).
    SynAckSent,
    /// Data seen without a SYN.
    Partial,
    /// Handshake seen.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

impl ZeekEndpointState {
    /// Every state by its number (and `RESET` for the unused 7).
    const BY_BITS: [ZeekEndpointState; 8] = {
        use ZeekEndpointState::*;
        [
            Inactive,
            SynSent,
            SynAckSent,
            Partial,
            Established,
            Closed,
            Reset,
            Reset,
        ]
    };

    #[inline]
    fn from_bits(b: u8) -> ZeekEndpointState {
        Self::BY_BITS[usize::from(b & 7)]
    }
}

/// Zeek's endpoint states, previous states and `did_close` flags, [originator, responder], in
/// 2 bytes: per endpoint, the state (bits 0-2), the previous state (bits 3-5) and `did_close`
/// (bit 6). Kept with every connection, with or without the rest of Zeek's accounting: the
/// roles, port reuse and the closing phase read them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ZeekStates([u8; 2]);

impl ZeekStates {
    const DID_CLOSE: u8 = 0x40;

    #[inline]
    pub fn state(&self, i: usize) -> ZeekEndpointState {
        ZeekEndpointState::from_bits(self.0[i] & 7)
    }

    #[inline]
    pub fn prev_state(&self, i: usize) -> ZeekEndpointState {
        ZeekEndpointState::from_bits(self.0[i] >> 3 & 7)
    }

    #[inline]
    pub fn did_close(&self, i: usize) -> bool {
        self.0[i] & Self::DID_CLOSE != 0
    }

    pub(super) fn set_did_close(&mut self, i: usize) {
        self.0[i] |= Self::DID_CLOSE;
    }

    #[inline]
    fn set_state(&mut self, i: usize, s: ZeekEndpointState) {
        let now = self.0[i] & 7;
        if s as u8 != now {
            self.0[i] = (self.0[i] & Self::DID_CLOSE) | now << 3 | s as u8;
        }
    }

    /// Swaps originator and responder.
    pub fn flip(&mut self) {
        self.0.swap(0, 1);
    }

    /// Either endpoint is `RESET`.
    #[inline]
    pub fn any_reset(&self) -> bool {
        (0..2).any(|i| self.state(i) == ZeekEndpointState::Reset)
    }

    /// Zeek's `TCPSessionAdapter::IsReuse`: does a packet with these flags and sequence
    /// number start a new connection on this key? `start` is each endpoint's starting
    /// sequence, [originator, responder] (read only while neither endpoint closed).
    pub fn is_reuse(&self, flags: TcpFlags, seq: u32, start: [u32; 2]) -> bool {
        use ZeekEndpointState::*;
        if !flags.contains(TcpFlags::SYN) {
            return false;
        }
        let mut conn_orig = 0;
        if flags.contains(TcpFlags::ACK) {
            if self.state(0) != Inactive {
                return false;
            }
            conn_orig = 1;
        }
        let closed = self.did_close(0) || self.did_close(1);
        if !closed {
            if seq == start[conn_orig] {
                return false;
            }
            if !flags.contains(TcpFlags::ACK)
                && self.state(conn_orig) == SynAckSent
                && self.state(1) == Inactive
                && seq == start[1]
            {
                return false;
            }
        }
        true
    }

    /// Zeek's `update_state_machine` for a packet from endpoint `ei` (`orig`: the
    /// originator), after the packet's sequence numbers were taken in. Returns whether the
    /// sender closed and whether the roles were reversed (a SYN answering the originator's
    /// SYN-ACK: the states are then those after the flip).
    #[inline]
    pub(super) fn update(&mut self, ei: usize, pi: usize, orig: bool, len: u32, flags: TcpFlags) -> (bool, bool) {
        use ZeekEndpointState::*;
        let syn = flags.contains(TcpFlags::SYN);
        let fin = flags.contains(TcpFlags::FIN);
        let rst = flags.contains(TcpFlags::RST);
        let ackf = flags.contains(TcpFlags::ACK);
        let mut do_close = false;
        match self.state(ei) {
            Inactive => return self.update_inactive(ei, pi, orig, len, flags),
            SynSent | SynAckSent => {
                if fin {
                    self.set_state(ei, Closed);
                    do_close = true;
                }
                if rst {
                    self.set_state(ei, Reset);
                    do_close = true;
                }
            }
            Established | Partial => {
                if syn && self.state(ei) == Partial && self.state(pi) == Inactive && !ackf {
                    self.set_state(ei, SynSent);
                }
                if fin && !rst {
                    self.set_state(ei, Closed);
                    if self.state(pi) == Reset && self.prev_state(pi) == Closed {
                        self.set_state(pi, Closed);
                    }
                    do_close = true;
                }
                if rst {
                    self.set_state(ei, Reset);
                    do_close = true;
                }
            }
            Closed => {
                if rst && self.state(pi) != Closed {
                    self.set_state(ei, Reset);
                    if !self.did_close(ei) {
                        do_close = true;
                    }
                }
            }
            Reset => {}
        }
        (do_close, false)
    }

    /// Zeek's update_state_machine for a packet from an inactive endpoint: its SYN (or
    /// SYN-ACK) opens it, a SYN answering the originator's SYN-ACK reverses the roles, and
    /// anything else makes it partial or established.
    #[inline]
    fn update_inactive(&mut self, ei: usize, pi: usize, orig: bool, len: u32, flags: TcpFlags) -> (bool, bool) {
        use ZeekEndpointState::*;
        let syn = flags.contains(TcpFlags::SYN);
        let fin = flags.contains(TcpFlags::FIN);
        let rst = flags.contains(TcpFlags::RST);
        let ackf = flags.contains(TcpFlags::ACK);
        let mut do_close = false;
        if syn {
            if orig {
                self.set_state(ei, if ackf { SynAckSent } else { SynSent });
            } else {
                // (Zeek also asks that the SYN's sequence be the endpoint's start: it
                // is, the SYN of an inactive endpoint having just set it.)
                if !ackf && self.state(pi) == SynAckSent {
                    // SYN/SYN-ACK reversal: flip and establish.
                    self.flip();
                    // After the flip, this endpoint is the originator at index 0.
                    self.set_state(1, Established);
                    self.set_state(0, Established);
                    if fin {
                        self.set_state(0, Closed);
                        do_close = true;
                    }
                    return (do_close, true);
                }
                if self.state(pi) == SynSent {
                    self.set_state(pi, Established);
                }
                self.set_state(ei, Established);
            }
        }
        if fin {
            self.set_state(ei, Closed);
            do_close = true;
        }
        if rst {
            self.set_state(ei, Reset);
            do_close = true;
        }
        if self.state(ei) == Inactive {
            if !orig && len == 0 && self.state(0) == SynSent {
                // An ACK of the SYN before the SYN-ACK: not a partial connection.
            } else if ackf && self.state(pi) == Established {
                self.set_state(ei, Established);
            } else {
                self.set_state(ei, Partial);
            }
        }
        (do_close, false)
    }
}

/// Zeek's `init_endpoint`: the new starting sequence of an endpoint in `state` (previously
/// `prev`, starting at `start`) that sends a segment with sequence `seq`, when the segment
/// restarts it: a SYN's sequence, or an inactive endpoint's first sequence less one.
pub(crate) fn sender_start(
    state: ZeekEndpointState,
    prev: ZeekEndpointState,
    syn: bool,
    seq: u32,
    start: u32,
) -> Option<u32> {
    use ZeekEndpointState::*;
    match state {
        Inactive if !syn => Some(seq.wrapping_sub(1)),
        SynSent | SynAckSent => (syn && seq != start).then_some(seq),
        Inactive | Established | Partial => syn.then_some(seq),
        Reset => (syn && prev == Inactive).then_some(seq),
        Closed => None,
    }
}
