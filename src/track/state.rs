//! Endpoint states under their RFC 9293 names, and the one function that changes them.

use core::fmt;

/// An endpoint's state, as RFC 9293 §3.3.2 names it, as far as an observer can infer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpState {
    /// No connection (before the first segment, or after a reset or the final ACK).
    Closed,
    /// Waiting for a SYN (the server, presumed, once the client's SYN is seen).
    Listen,
    /// Sent a SYN, waiting for the SYN-ACK.
    SynSent,
    /// Received a SYN and answered it, waiting for the ACK of its SYN.
    SynReceived,
    /// The handshake is complete; data may flow both ways.
    Established,
    /// Sent a FIN, waiting for its ACK.
    FinWait1,
    /// Its FIN is acknowledged; waiting for the peer's FIN.
    FinWait2,
    /// Received the peer's FIN; may still send data.
    CloseWait,
    /// Both FINs crossed (simultaneous close); waiting for the ACK of its FIN.
    Closing,
    /// Sent the second FIN, waiting for its ACK.
    LastAck,
    /// Closed first and acknowledged the peer's FIN; waits 2×MSL.
    TimeWait,
}

impl TcpState {
    /// Returns the RFC 9293 name (`SYN-RECEIVED`, `FIN-WAIT-1`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }

    /// Returns true before the handshake completes (CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED).
    pub fn is_handshake(self) -> bool {
        matches!(
            self,
            TcpState::Closed | TcpState::Listen | TcpState::SynSent | TcpState::SynReceived
        )
    }

    /// Returns true once this endpoint has sent its FIN.
    pub fn has_sent_fin(self) -> bool {
        matches!(
            self,
            TcpState::FinWait1 | TcpState::FinWait2 | TcpState::Closing | TcpState::LastAck | TcpState::TimeWait
        )
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a segment does to the state machine, derived from its flags and acknowledgment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Control {
    /// SYN without ACK.
    Syn,
    /// SYN with ACK.
    SynAck,
    /// RST (in the receiver's window; the caller checks).
    Rst,
    /// FIN; `acks_fin` when its ACK covers the peer's FIN.
    Fin {
        /// The segment acknowledges the peer's FIN.
        acks_fin: bool,
    },
    /// Anything else with ACK set.
    Ack {
        /// The segment acknowledges the peer's SYN.
        acks_syn: bool,
        /// The segment acknowledges the peer's FIN.
        acks_fin: bool,
    },
    /// No SYN, FIN, RST or ACK.
    Other,
}

/// The result of [`step`]: both endpoints' new states and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The sender's new state.
    pub sender: TcpState,
    /// The receiver's new state.
    pub receiver: TcpState,
    /// Why, citing RFC 9293.
    pub reason: &'static str,
}

/// Returns the endpoints' states after a segment with `control` travels from the sender
/// (in state `sender`) to the receiver (in state `receiver`).
///
/// This is the one place where endpoint states change (with `adopt_midstream` for a
/// connection whose handshake the capture missed). An observer sees a segment at the
/// capture point and presumes it arrives: the receiver's transition happens with the
/// sender's. Arms that leave both states as they were say so.
#[inline]
pub fn step(sender: TcpState, receiver: TcpState, control: Control) -> Transition {
    if control == Control::Rst {
        return Transition {
            sender: TcpState::Closed,
            receiver: TcpState::Closed,
            reason: "§3.10.7: an acceptable RST aborts; both ends go to CLOSED",
        };
    }
    // One table per kind of segment, so a segment reads one.
    let moved = match control {
        Control::Syn | Control::SynAck => opening(sender, receiver, control),
        Control::Ack { .. } | Control::Fin { .. } => closing(sender, receiver, control),
        Control::Rst | Control::Other => None,
    };
    moved.unwrap_or(Transition {
        sender,
        receiver,
        // Retransmissions, data, pure ACKs, segments after close.
        reason: "no state change",
    })
}

/// The states an observer presumes for a connection it first sees midstream, before the
/// sender's first segment (not a SYN) acts: the sender is ESTABLISHED, and so is a receiver
/// not yet seen. No RFC 9293 transition leads there; it stands for the handshake the capture
/// missed, as Wireshark and Zeek also take such a connection for open.
pub(crate) fn adopt_midstream(receiver: TcpState) -> Transition {
    Transition {
        sender: TcpState::Established,
        receiver: if receiver == TcpState::Closed {
            TcpState::Established
        } else {
            receiver
        },
        reason: "observer: a connection seen midstream is presumed ESTABLISHED",
    }
}

fn t(sender: TcpState, receiver: TcpState, reason: &'static str) -> Option<Transition> {
    Some(Transition {
        sender,
        receiver,
        reason,
    })
}

/// The transitions a SYN or SYN-ACK makes (§3.5), or `None`.
#[inline(always)]
fn opening(sender: TcpState, receiver: TcpState, control: Control) -> Option<Transition> {
    use Control::*;
    use TcpState::*;
    match (sender, receiver, control) {
        (Closed | Listen, Closed | Listen, Syn) => t(
            SynSent,
            Listen,
            "§3.5: an active OPEN sends SYN; the peer is presumed LISTEN",
        ),
        (Closed | Listen, SynSent, Syn) => t(
            SynReceived,
            SynReceived,
            "§3.5 fig. 7: simultaneous open, each end received the other's SYN",
        ),
        (SynSent, _, Syn) => t(SynSent, receiver, "§3.8.1: the SYN is retransmitted"),
        (Closed | Listen, SynSent, SynAck) => t(
            SynReceived,
            SynSent,
            "§3.5: the passive end answers the SYN with SYN,ACK",
        ),
        (SynReceived, SynSent, SynAck) => t(SynReceived, SynSent, "§3.8.1: the SYN,ACK is retransmitted"),
        (SynReceived, SynReceived, SynAck) => t(
            SynReceived,
            Established,
            "§3.5 fig. 7: the SYN,ACK completes the peer's simultaneous open",
        ),
        (Established, SynReceived, SynAck) => t(
            Established,
            Established,
            "§3.5 fig. 7: both SYN,ACKs seen; simultaneous open complete",
        ),
        _ => None,
    }
}

/// The transitions an ACK or FIN makes: the handshake's third segment (§3.5) and the
/// teardown (§3.6), or `None`.
#[inline(always)]
fn closing(sender: TcpState, receiver: TcpState, control: Control) -> Option<Transition> {
    use Control::*;
    use TcpState::*;
    match (sender, receiver, control) {
        (SynSent, SynReceived, Ack { acks_syn: true, .. }) => t(
            Established,
            Established,
            "§3.5: the third segment acknowledges the SYN,ACK; both ends ESTABLISHED",
        ),
        (SynSent, SynReceived, Fin { .. }) => t(
            FinWait1,
            CloseWait,
            "§3.5/§3.6: the third segment carries a FIN; the handshake completes and closing begins",
        ),

        (Established | SynReceived, Established | SynReceived, Fin { .. }) => t(
            FinWait1,
            CloseWait,
            "§3.6 case 1: a CLOSE sends FIN; the peer enters CLOSE-WAIT",
        ),
        (CloseWait, FinWait1, Ack { acks_fin: true, .. }) => t(
            CloseWait,
            FinWait2,
            "§3.6: the first FIN is acknowledged; its sender waits in FIN-WAIT-2",
        ),
        (CloseWait, FinWait1, Fin { acks_fin: true }) => t(
            LastAck,
            TimeWait,
            "§3.6: one FIN,ACK acknowledges the first FIN and closes; the first closer enters TIME-WAIT",
        ),
        (CloseWait, FinWait1, Fin { acks_fin: false }) => t(
            Closing,
            Closing,
            "§3.6 case 2, fig. 13: simultaneous close, the FINs crossed",
        ),
        (CloseWait, FinWait2, Fin { .. }) => t(
            LastAck,
            TimeWait,
            "§3.6: the second FIN; the first closer enters TIME-WAIT",
        ),
        (TimeWait, LastAck, Ack { acks_fin: true, .. } | Fin { acks_fin: true }) => {
            t(TimeWait, Closed, "§3.6: the final ACK; the last closer is CLOSED")
        }
        (Closing, Closing, Ack { acks_fin: true, .. } | Fin { acks_fin: true }) => t(
            Closing,
            TimeWait,
            "§3.6 fig. 13: in CLOSING, the ACK of its FIN takes the peer to TIME-WAIT",
        ),
        (TimeWait, Closing, Ack { acks_fin: true, .. } | Fin { acks_fin: true }) => t(
            TimeWait,
            TimeWait,
            "§3.6 fig. 13: both FINs acknowledged; both ends in TIME-WAIT",
        ),

        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Control::*;
    use TcpState::*;

    fn go(s: TcpState, r: TcpState, c: Control) -> (TcpState, TcpState) {
        let t = step(s, r, c);
        (t.sender, t.receiver)
    }

    #[test]
    fn three_way_handshake() {
        assert_eq!(go(Closed, Closed, Syn), (SynSent, Listen));
        assert_eq!(go(Listen, SynSent, SynAck), (SynReceived, SynSent));
        assert_eq!(
            go(
                SynSent,
                SynReceived,
                Ack {
                    acks_syn: true,
                    acks_fin: false
                }
            ),
            (Established, Established)
        );
        // An ACK that does not acknowledge the SYN,ACK changes nothing.
        assert_eq!(
            go(
                SynSent,
                SynReceived,
                Ack {
                    acks_syn: false,
                    acks_fin: false
                }
            ),
            (SynSent, SynReceived)
        );
    }

    #[test]
    fn four_way_teardown() {
        assert_eq!(
            go(Established, Established, Fin { acks_fin: false }),
            (FinWait1, CloseWait)
        );
        assert_eq!(
            go(
                CloseWait,
                FinWait1,
                Ack {
                    acks_syn: false,
                    acks_fin: true
                }
            ),
            (CloseWait, FinWait2)
        );
        assert_eq!(go(CloseWait, FinWait2, Fin { acks_fin: true }), (LastAck, TimeWait));
        assert_eq!(
            go(
                TimeWait,
                LastAck,
                Ack {
                    acks_syn: false,
                    acks_fin: true
                }
            ),
            (TimeWait, Closed)
        );
    }

    #[test]
    fn simultaneous_close_and_open() {
        assert_eq!(go(CloseWait, FinWait1, Fin { acks_fin: false }), (Closing, Closing));
        assert_eq!(
            go(
                Closing,
                Closing,
                Ack {
                    acks_syn: false,
                    acks_fin: true
                }
            ),
            (Closing, TimeWait)
        );
        assert_eq!(
            go(
                TimeWait,
                Closing,
                Ack {
                    acks_syn: false,
                    acks_fin: true
                }
            ),
            (TimeWait, TimeWait)
        );
        assert_eq!(go(Listen, SynSent, Syn), (SynReceived, SynReceived));
    }

    #[test]
    fn names_are_rfc_names() {
        assert_eq!(FinWait1.to_string(), "FIN-WAIT-1");
        assert_eq!(SynReceived.to_string(), "SYN-RECEIVED");
        assert_eq!(step(Established, Established, Rst).receiver, Closed);
    }
}
