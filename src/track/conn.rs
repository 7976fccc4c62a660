//! One connection as the tracker keeps it: the two half-connections (RFC 9293), what each
//! SYN offered, a few marks, and its place in the table's lists.

use core::time::Duration;

use super::addrs::V6Addrs;
use super::analysis::Seg;
use super::event::{CloseCause, ConnId, Handshake, Roles};
use super::key::{ConnKey, Direction, PackedFlow, PackedKey};
use super::state::TcpState;
use super::zeek::{self, ZeekEndpointState, ZeekStates};
use crate::wire::{MAX_WINDOW_SCALE, SeqNumber, SynOptions, TcpFlags};

/// What a SYN offered, kept for the handshake (the event carries the full options), in
/// 4 bytes: the MSS, the window-scale shift, a bit for each option seen and one for each of
/// the SYN's ACK, ECE and CWR flags.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SynSeen {
    pub(super) mss: u16,
    pub(super) window_scale: u8,
    pub(super) bits: u8,
}

impl SynSeen {
    pub(super) const MSS: u8 = 1;
    pub(super) const WINDOW_SCALE: u8 = 2;
    pub(super) const SACK_PERMITTED: u8 = 4;
    pub(super) const TIMESTAMPS: u8 = 8;
    pub(super) const FAST_OPEN: u8 = 16;
    /// The SYN carried ACK (a SYN-ACK).
    pub(super) const ACK: u8 = 32;
    pub(super) const ECE: u8 = 64;
    pub(super) const CWR: u8 = 128;

    /// Records the flags the handshake reads.
    pub(super) fn with_flags(mut self, flags: TcpFlags) -> Self {
        for (flag, bit) in [
            (TcpFlags::ACK, Self::ACK),
            (TcpFlags::ECE, Self::ECE),
            (TcpFlags::CWR, Self::CWR),
        ] {
            if flags.contains(flag) {
                self.bits |= bit;
            }
        }
        self
    }

    pub(super) fn has(self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    pub(super) fn mss(self) -> Option<u16> {
        self.has(Self::MSS).then_some(self.mss)
    }

    pub(super) fn window_scale(self) -> Option<u8> {
        self.has(Self::WINDOW_SCALE).then_some(self.window_scale)
    }

    pub(super) fn sack_permitted(self) -> bool {
        self.has(Self::SACK_PERMITTED)
    }

    pub(super) fn timestamps(self) -> bool {
        self.has(Self::TIMESTAMPS)
    }

    pub(super) fn fast_open(self) -> bool {
        self.has(Self::FAST_OPEN)
    }
}

impl From<SynOptions> for SynSeen {
    fn from(o: SynOptions) -> SynSeen {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        SynSeen {
            mss: o.mss.unwrap_or(0),
            window_scale: o.window_scale.unwrap_or(0),
            bits: bit(o.mss.is_some(), Self::MSS)
                | bit(o.window_scale.is_some(), Self::WINDOW_SCALE)
                | bit(o.sack_permitted, Self::SACK_PERMITTED)
                | bit(o.timestamps.is_some(), Self::TIMESTAMPS)
                | bit(o.fast_open, Self::FAST_OPEN),
        }
    }
}

/// One direction's state as every packet reads it, in 12 bytes: the sequence numbers are
/// plain `u32`s with a presence bit each in `has` (an `Option<SeqNumber>` takes 8 bytes, and
/// a million connections make every byte count). What only the handshake and the teardown
/// read is in its [`HalfEnds`], on the connection's second cache line; `has` holds the
/// presence bits of both.
#[derive(Debug, Clone, Copy)]
pub(super) struct Half {
    pub(super) state: TcpState,
    /// Which of the optional fields are set (`Half::ISN`, ...; also of its `HalfEnds`), and
    /// `DATA_AFTER_PEER_FIN`.
    pub(super) has: u8,
    /// The last window advertised, unscaled.
    pub(super) window: u16,
    /// Where this side's sequence space starts: its SYN's sequence number (its ISN) when
    /// `has & ISN`; until it sends a SYN, inferred as Zeek's init_endpoint does (its first
    /// segment's less one, or the peer's ACK less one before it sent any). One value with
    /// the ISN: Zeek's start is the SYN's sequence once there is a SYN.
    pub(super) start: u32,
    /// One past the highest sequence number sent (SYN and FIN count).
    pub(super) next_seq: u32,
}

impl Default for Half {
    fn default() -> Self {
        Half {
            state: TcpState::Closed,
            has: 0,
            window: 0,
            start: 0,
            next_seq: 0,
        }
    }
}

/// What one direction's SYN and FIN set, and Wireshark's base, in 12 bytes: read by the
/// packets of the handshake and the teardown, and by a first packet of each direction; the
/// presence bits are in its [`Half`]'s `has`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HalfEnds {
    pub(super) syn: SynSeen,
    /// The sequence number of its FIN, when `has & FIN_SEQ`.
    pub(super) fin_seq: u32,
    /// Wireshark's base for relative sequence numbers (its SYN's, or one below the first
    /// sequence or the peer's first acknowledgment), when `has & BASE`.
    pub(super) base: u32,
}

/// Wireshark's bases, kept in the connection (`HalfEnds::base` with `Half::BASE`).
impl super::analysis::BaseStore for Conn {
    #[inline]
    fn base(&self, side: usize) -> Option<u32> {
        let side = side & 1;
        (self.half[side].has & Half::BASE != 0).then(|| self.ends[side].base)
    }

    #[inline]
    fn set_base(&mut self, side: usize, base: u32) {
        let side = side & 1;
        self.ends[side].base = base;
        self.half[side].has |= Half::BASE;
    }
}

impl Half {
    pub(super) const ISN: u8 = 1;
    pub(super) const NEXT_SEQ: u8 = 2;
    pub(super) const FIN_SEQ: u8 = 4;
    pub(super) const SYN: u8 = 8;
    /// Payload bytes sent after the peer's FIN.
    pub(super) const DATA_AFTER_PEER_FIN: u8 = 16;
    pub(super) const BASE: u8 = 32;

    fn get(&self, bit: u8, v: u32) -> Option<SeqNumber> {
        (self.has & bit != 0).then_some(SeqNumber(v))
    }

    pub(super) fn isn(&self) -> Option<SeqNumber> {
        self.get(Self::ISN, self.start)
    }

    pub(super) fn next_seq(&self) -> Option<SeqNumber> {
        self.get(Self::NEXT_SEQ, self.next_seq)
    }

    /// Whether it sent a FIN (its sequence is in its `HalfEnds`).
    #[inline]
    pub(super) fn sent_fin(&self) -> bool {
        self.has & Self::FIN_SEQ != 0
    }

    /// Whether it sent a SYN (what it offered is in its `HalfEnds`).
    #[inline]
    pub(super) fn sent_syn(&self) -> bool {
        self.has & Self::SYN != 0
    }

    pub(super) fn data_after_peer_fin(&self) -> bool {
        self.has & Self::DATA_AFTER_PEER_FIN != 0
    }

    /// Where this side's sequence space starts (see `Half::start`), known or inferred.
    pub(super) fn start(&self) -> u32 {
        self.start
    }
}

/// The shape of Zeek's history so far, all that its role decisions read of it: a lone SYN-ACK
/// answered from the other side flips the roles only while the history is exactly `H`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HistShape {
    Empty = 0,
    LoneH = 1,
    Other = 2,
}

impl HistShape {
    /// The shape after a packet Zeek analyses without flipping the roles (`orig`: from the
    /// client, whose half is `client` and Zeek state and previous state `state`, as before
    /// the packet). A letter is added by every packet but a quiet one (no flags, no payload,
    /// a window), and while the history is `H`, the client's SYNs: their relative sequence
    /// is 0 again, as was the `H`'s, unless their payload is, to Zeek, a retransmission (`T`).
    ///
    /// That takes the client's start (`start`) and Zeek's highest sequence it sent since the
    /// SYN that set it (`high`, `Conn::zeek_high`, updated here).
    pub(super) fn after(
        self,
        orig: bool,
        seg: &Seg,
        start: u32,
        high: &mut u32,
        state: [ZeekEndpointState; 2],
    ) -> HistShape {
        let f = seg.flags;
        let controls = f & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST | TcpFlags::ACK);
        let quiet = controls.is_empty() && seg.len == 0 && seg.window != 0;
        let clean = orig && seg.window != 0;
        let end = seg.seq.wrapping_add(seg.len + 1);
        match self {
            HistShape::Empty if quiet => HistShape::Empty,
            HistShape::Empty if clean && seg.len == 0 && controls == TcpFlags::SYN | TcpFlags::ACK => {
                *high = end;
                HistShape::LoneH
            }
            HistShape::LoneH if quiet => HistShape::LoneH,
            HistShape::LoneH if clean && controls & !TcpFlags::ACK == TcpFlags::SYN => {
                let [state, prev] = state;
                if zeek::sender_start(state, prev, true, seg.seq, start).is_some() {
                    // A new start (Zeek's init_endpoint): payload lies behind it.
                    *high = end;
                    return if seg.len > 0 {
                        HistShape::Other
                    } else {
                        HistShape::LoneH
                    };
                }
                let d = SeqNumber(end).diff(SeqNumber(*high));
                if d.unsigned_abs() > zeek::TOO_LARGE_SEQ_DELTA.unsigned_abs() {
                    HistShape::LoneH
                } else if d > 0 {
                    *high = end;
                    HistShape::LoneH
                } else if seg.len > 0 {
                    HistShape::Other
                } else {
                    HistShape::LoneH
                }
            }
            _ => HistShape::Other,
        }
    }
}

/// Five small facts about a connection in one byte: the shape of Zeek's history (bits 0-1),
/// whether both sides sent a SYN without ACK (bit 2), which side sent the first FIN (bits
/// 3-4: none, client, server), the last packet's direction (bit 5) and the phase whose list
/// holds it (bits 6-7).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Marks(u8);

impl Marks {
    pub(super) const SIMULTANEOUS_OPEN: u8 = 4;

    #[inline]
    pub(super) fn hist(self) -> HistShape {
        const BY_BITS: [HistShape; 4] = [HistShape::Empty, HistShape::LoneH, HistShape::Other, HistShape::Other];
        BY_BITS[usize::from(self.0 & 3)]
    }

    pub(super) fn set_hist(&mut self, h: HistShape) {
        self.0 = (self.0 & !3) | h as u8;
    }

    pub(super) fn simultaneous_open(self) -> bool {
        self.0 & Self::SIMULTANEOUS_OPEN != 0
    }

    pub(super) fn set_simultaneous_open(&mut self) {
        self.0 |= Self::SIMULTANEOUS_OPEN;
    }

    pub(super) fn first_fin(self) -> Option<Direction> {
        match self.0 >> 3 & 3 {
            0 => None,
            1 => Some(Direction::ClientToServer),
            _ => Some(Direction::ServerToClient),
        }
    }

    pub(super) fn set_first_fin(&mut self, d: Direction) {
        let v = match d {
            Direction::ClientToServer => 1,
            Direction::ServerToClient => 2,
        };
        self.0 = (self.0 & !(3 << 3)) | v << 3;
    }

    /// The direction of the connection's last packet.
    pub(super) fn last_dir(self) -> Direction {
        if self.0 & 1 << 5 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    pub(super) fn set_last_dir(&mut self, d: Direction) {
        self.0 = (self.0 & !(1 << 5)) | u8::from(d == Direction::ServerToClient) << 5;
    }

    /// The phase whose list holds the connection.
    #[inline]
    pub(super) fn phase(self) -> Phase {
        // A table (with an unused fourth entry) reads faster than a match.
        const BY_BITS: [Phase; 4] = [Phase::Embryonic, Phase::Established, Phase::Closing, Phase::Closing];
        BY_BITS[usize::from(self.0 >> 6)]
    }

    pub(super) fn set_phase(&mut self, p: Phase) {
        self.0 = (self.0 & 0x3f) | (p as u8) << 6;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Embryonic = 0,
    Established = 1,
    Closing = 2,
}

pub(super) const NIL: u32 = u32::MAX;

/// How stale a connection's place in its LRU list may get before a packet moves it.
pub(super) const RELINK: Duration = Duration::from_secs(1);

/// A connection in two cache lines (aligned to 64 bytes, the fields in this order): the
/// first holds what every packet reads, from the table's probe to the LRU list's check, so a
/// packet in the middle of a conversation touches one line of it; the second holds what the
/// handshake, the teardown, a data event or a move in the lists read (`tests` below checks
/// where each field lies).
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(super) struct Conn {
    // The first line: 64 bytes.
    /// Its id, with `V6_TAG` set for an IPv6 connection (see `Conn::id`).
    pub(super) tag: u64,
    /// The last packet's time.
    pub(super) last: crate::Nanos,
    pub(super) key: PackedKey,
    /// How long before `last` it was put at its list's tail, in nanoseconds; `u32::MAX`:
    /// 4.29 s or more (what the list's order needs is exact, see `Conn::linked_within`).
    pub(super) linked_lag: u32,
    pub(super) half: [Half; 2],
    /// Zeek's endpoint states (the rest of its accounting is kept apart, when kept).
    pub(super) zeek: ZeekStates,
    pub(super) roles: Roles,
    /// The history's shape, a simultaneous open, the first FIN's direction, the last
    /// packet's direction, the phase.
    pub(super) marks: Marks,
    pub(super) closed: Option<CloseCause>,
    /// `established_at` is set (read by every packet, the time by few).
    is_established: bool,
    // The second line: 64 bytes.
    pub(super) syn_ts: Option<crate::Nanos>,
    pub(super) synack_ts: Option<crate::Nanos>,
    /// When the handshake completed (what it negotiated is recomputed from the halves).
    established_at: Option<crate::Nanos>,
    /// What each side's SYN and FIN set, [client, server].
    pub(super) ends: [HalfEnds; 2],
    /// Zeek's highest sequence from the client (one past, as `HistShape::after` counts)
    /// since the SYN that set its start, kept while Zeek's history is exactly `H`.
    pub(super) zeek_high: u32,
    /// The payload bytes of each side's last SYN (at most 65 515 in IPv4), [client, server].
    pub(super) syn_data: [u16; 2],
    pub(super) prev: u32,
    pub(super) next: u32,
}

/// The top bit of `Conn::tag` marks an IPv6 connection (ids never reach it: it would take
/// 2^63 connections).
pub(super) const V6_TAG: u64 = 1 << 63;

impl Conn {
    /// A connection just seen, with no packet analysed yet.
    pub(super) fn new(tag: u64, key: PackedKey, last: crate::Nanos, roles: Roles, marks: Marks) -> Conn {
        Conn {
            tag,
            last,
            key,
            linked_lag: 0,
            half: [Half::default(); 2],
            zeek: ZeekStates::default(),
            roles,
            marks,
            closed: None,
            is_established: false,
            syn_ts: None,
            synack_ts: None,
            established_at: None,
            ends: [HalfEnds::default(); 2],
            zeek_high: 0,
            syn_data: [0; 2],
            prev: NIL,
            next: NIL,
        }
    }

    /// Whether its handshake completed (read from the first line).
    #[inline]
    pub(super) fn is_established(&self) -> bool {
        self.is_established
    }

    /// When its handshake completed.
    pub(super) fn established_at(&self) -> Option<crate::Nanos> {
        self.established_at
    }

    /// Records the handshake's completion at `t`.
    pub(super) fn set_established(&mut self, t: crate::Nanos) {
        self.established_at = Some(t);
        self.is_established = true;
    }

    /// What side `side`'s SYN offered, once it sent one.
    #[inline]
    pub(super) fn syn(&self, side: usize) -> Option<SynSeen> {
        self.half[side].sent_syn().then(|| self.ends[side].syn)
    }

    /// The sequence number of side `side`'s FIN, once it sent one.
    #[inline]
    pub(super) fn fin_seq(&self, side: usize) -> Option<SeqNumber> {
        self.half[side].sent_fin().then(|| SeqNumber(self.ends[side].fin_seq))
    }

    /// Records what side `side`'s SYN offered.
    pub(super) fn set_syn(&mut self, side: usize, syn: SynSeen) {
        self.ends[side].syn = syn;
        self.half[side].has |= Half::SYN;
    }

    /// Records the sequence number of side `side`'s FIN.
    pub(super) fn set_fin_seq(&mut self, side: usize, seq: SeqNumber) {
        self.ends[side].fin_seq = seq.0;
        self.half[side].has |= Half::FIN_SEQ;
    }

    /// Swaps the two sides' records (a flip of the roles).
    pub(super) fn swap_sides(&mut self) {
        self.key = self.key.flipped();
        self.half.swap(0, 1);
        self.ends.swap(0, 1);
        self.syn_data.swap(0, 1);
    }

    /// Its id.
    #[inline]
    pub(super) fn id(&self) -> ConnId {
        self.tag & !V6_TAG
    }

    /// Whether it is an IPv6 connection (its endpoints name addresses in the `V6Addrs`).
    #[inline]
    pub(super) fn is_v6(&self) -> bool {
        self.tag & V6_TAG != 0
    }

    /// Its flow key as the table hashes it.
    #[inline]
    pub(super) fn flow(&self) -> PackedFlow {
        self.key.flow(self.is_v6())
    }

    /// Its public key (the IPv6 addresses read from `v6`).
    pub(super) fn public_key(&self, v6: &V6Addrs) -> ConnKey {
        self.key.public(self.is_v6().then_some(v6))
    }

    /// Records a packet's time (it may be earlier than the last: captures are not always in
    /// order; the place in the list then counts as linked at the packet).
    pub(super) fn set_last(&mut self, t: crate::Nanos) {
        let lag = i64::from(self.linked_lag).saturating_add(t.get().saturating_sub(self.last.get()));
        if self.linked_lag != u32::MAX {
            self.linked_lag = lag.clamp(0, i64::from(u32::MAX)) as u32;
        }
        self.last = t;
    }

    /// Puts its link time at its last packet.
    pub(super) fn relink(&mut self) {
        self.linked_lag = 0;
    }

    /// Whether it was linked within `d` of `now`; false when it is not known to have been
    /// (linked 4.29 s or more before its last packet).
    pub(super) fn linked_within(&self, now: crate::Nanos, d: Duration) -> bool {
        if self.linked_lag == u32::MAX {
            return false;
        }
        let linked = self.last.get().saturating_sub(i64::from(self.linked_lag));
        Duration::from_nanos(now.get().saturating_sub(linked).max(0) as u64) <= d
    }
}

pub(super) fn phase_of(c: &Conn) -> Phase {
    if c.closed.is_some() || c.half.iter().any(Half::sent_fin) || c.zeek.any_reset() {
        Phase::Closing
    } else if c.is_established() || c.roles != Roles::FromSyn {
        Phase::Established
    } else {
        Phase::Embryonic
    }
}

/// The window-scale shifts in force (client's, server's): only when both SYNs carried the
/// option (RFC 7323 §2.2), clamped to 14.
pub(super) fn window_scales(c: &Conn) -> Option<[u8; 2]> {
    match (c.syn(0)?.window_scale(), c.syn(1)?.window_scale()) {
        (Some(a), Some(b)) => Some([a.min(MAX_WINDOW_SCALE), b.min(MAX_WINDOW_SCALE)]),
        _ => None,
    }
}

pub(super) fn handshake(c: &Conn, ack_ts: crate::Nanos) -> Handshake {
    let cs = c.syn(0).unwrap_or_default();
    let ss = c.syn(1).unwrap_or_default();
    // A side that sent no SYN has no bits set.
    let (client, server) = (c.ends[0].syn, c.ends[1].syn);
    let ecn =
        client.has(SynSeen::ECE) && client.has(SynSeen::CWR) && server.has(SynSeen::ECE) && !server.has(SynSeen::CWR);
    let simultaneous = c.marks.simultaneous_open();
    Handshake {
        mss: [cs.mss(), ss.mss()],
        window_scale: window_scales(c),
        sack_permitted: cs.sack_permitted() && ss.sack_permitted(),
        timestamps: cs.timestamps() && ss.timestamps(),
        ecn,
        fast_open_data: u32::from(c.syn_data[0]),
        fast_open: cs.fast_open(),
        syn_to_synack: match (c.syn_ts, c.synack_ts) {
            (Some(a), Some(b)) => Some(b.since(a)),
            _ => None,
        },
        synack_to_ack: c.synack_ts.map(|b| ack_ts.since(b)),
        simultaneous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    /// What every packet reads lies in the first cache line, the rest in the second.
    #[test]
    fn the_fields_every_packet_reads_share_one_cache_line() {
        assert_eq!((size_of::<Conn>(), align_of::<Conn>()), (128, 64));
        assert_eq!(size_of::<Option<Conn>>(), 128, "the table's slots keep the niche");
        let first = [
            (offset_of!(Conn, tag), size_of::<u64>()),
            (offset_of!(Conn, last), size_of::<crate::Nanos>()),
            (offset_of!(Conn, key), size_of::<PackedKey>()),
            (offset_of!(Conn, linked_lag), size_of::<u32>()),
            (offset_of!(Conn, half), size_of::<[Half; 2]>()),
            (offset_of!(Conn, zeek), size_of::<ZeekStates>()),
            (offset_of!(Conn, roles), size_of::<Roles>()),
            (offset_of!(Conn, marks), size_of::<Marks>()),
            (offset_of!(Conn, closed), size_of::<Option<CloseCause>>()),
            (offset_of!(Conn, is_established), size_of::<bool>()),
        ];
        for (offset, size) in first {
            assert!(offset + size <= 64, "{offset} + {size}");
        }
        let second = [
            offset_of!(Conn, syn_ts),
            offset_of!(Conn, synack_ts),
            offset_of!(Conn, established_at),
            offset_of!(Conn, ends),
            offset_of!(Conn, zeek_high),
            offset_of!(Conn, syn_data),
            offset_of!(Conn, prev),
            offset_of!(Conn, next),
        ];
        assert!(second.iter().all(|&o| o >= 64), "{second:?}");
    }
}
