//! Zeek's view of a TCP connection: endpoint states, `history`, `conn_state` and sizes,
//! computed by the rules of Zeek's TCP session adapter (`TCPSessionAdapter.cc`,
//! `TCP_Endpoint.cc`) and `conn_state()` in `base/protocols/conn/main.zeek`.

mod gaps;
mod states;
mod timers;

use gaps::EndpointGaps;
pub(crate) use gaps::RangePool;
pub use states::ZeekEndpointState;
pub(crate) use states::{ZeekStates, sender_start};
pub(crate) use timers::TimerMarks;
pub use timers::ZeekTimers;

use super::analysis::Seg;
use super::conn_log::{ConnState, History};
use crate::Timestamp;
use crate::wire::{SeqNumber, TcpFlags};

// Zeek's once-only history masks (the responder's are shifted left by 8).
const HIST_SYN_PKT: u16 = 0x1;
const HIST_FIN_PKT: u16 = 0x2;
const HIST_RST_PKT: u16 = 0x4;
const HIST_FIN_RST_PKT: u16 = 0x8;
const HIST_DATA_PKT: u16 = 0x10;
const HIST_ACK_PKT: u16 = 0x20;
const HIST_MULTI_FLAG_PKT: u16 = 0x40;

/// Zeek treats sequence jumps beyond this as broken for SYNs and RSTs, and gaps as large as
/// this as no gaps.
pub(crate) const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

/// Zeek's `seq_delta`, through SeqNumber.
fn seq_delta(a: u32, b: u32) -> i32 {
    SeqNumber(a).diff(SeqNumber(b))
}

/// One endpoint as Zeek tracks it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ZeekEndpoint {
    pub start_seq: u32,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    // The low 32 bits of the relative sequence of the last SYN, FIN and RST (compared for
    // equality only).
    hist_last_syn: u32,
    hist_last_fin: u32,
    hist_last_rst: u32,
    // Counts for the logarithmic letters: a letter at the 1st, 10th, 100th... occurrence.
    rxmt: u32,
    win0: u32,
    chk: u32,
    gap: u32,
}

impl ZeekEndpoint {
    fn init_seqs(&mut self, start: u32, last: u32) {
        self.start_seq = start;
        self.ack_seq = start;
        self.last_seq = last;
        self.seq_wraps = 0;
        self.ack_wraps = 0;
    }

    fn update_last_seq(&mut self, s: u32) {
        if s < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = s;
    }

    fn update_ack_seq(&mut self, s: u32) {
        if s < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = s;
    }

    fn full(seq: u32, wraps: u32) -> u64 {
        (u64::from(wraps) << 32) | u64::from(seq)
    }

    fn relative(&self, seq: u32, wraps: u32) -> u64 {
        Self::full(seq, wraps).wrapping_sub(u64::from(self.start_seq))
    }

    /// Zeek's get_relative_seq: the sequence relative to the start, with wraps.
    fn relative_seq(&self, cur: u32, last: u32, mut wraps: u32) -> (u64, bool) {
        let delta = seq_delta(cur, last);
        if delta < 0 {
            if wraps > 0 && cur > last {
                wraps -= 1;
            }
        } else if delta > 0 && cur < last {
            wraps += 1;
        }
        if wraps == 0 {
            let d = seq_delta(cur, self.start_seq);
            return (d as i64 as u64, d < 0);
        }
        (self.relative(cur, wraps), false)
    }

    fn no_data_acked(&self) -> bool {
        (self.ack_seq == self.start_seq || self.ack_seq == self.start_seq.wrapping_add(1)) && self.ack_wraps == 0
    }

    /// Zeek's TCP_Endpoint::Size: bytes sent, from sequence numbers (its states and the
    /// peer's, and whether it sent a FIN: Zeek counts them, only whether it did is read).
    fn size(
        &self,
        state: ZeekEndpointState,
        prev_state: ZeekEndpointState,
        peer_state: ZeekEndpointState,
        fin_seen: bool,
    ) -> u64 {
        if prev_state == ZeekEndpointState::SynSent
            && state == ZeekEndpointState::Reset
            && peer_state == ZeekEndpointState::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let last = Self::full(self.last_seq, self.seq_wraps);
        let ack = Self::full(self.ack_seq, self.ack_wraps);
        let start = u64::from(self.start_seq);
        let mut size = if last > ack {
            last.wrapping_sub(start)
        } else {
            ack.wrapping_sub(start)
        };
        size = size.saturating_sub(1);
        if fin_seen && size != 0 {
            size -= 1;
        }
        size
    }
}

/// Settings that change Zeek's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZeekSettings {
    /// Count packets with a bad TCP checksum as Zeek does without `-C`: they get a `C` in the
    /// history and are otherwise ignored. Off by default (Zeek's `-C`).
    pub count_bad_checksums: bool,
    /// Follow each direction's data as Zeek's reassembler does, for its content gaps: data
    /// acknowledged but never seen is a gap, which adds to `missed_bytes` and puts a `G`/`g`
    /// (logarithmic) in the history while both endpoints are established or closing cleanly
    /// (`TCP_Reassembler::Gap`). On by default, as in Zeek: it reassembles every TCP
    /// connection from its first packet (`dpd_reassemble_first_packets`, `T` by default,
    /// read in `TCPSessionAdapter::AddExtraAnalyzers`). Off, as a Zeek run with
    /// `dpd_reassemble_first_packets = F` and no analyzer for the port: no gaps.
    pub reassemble: bool,
    /// Zeek's `report_gaps_for_partial`: count the gaps of connections that are not
    /// established or cleanly closing (partial ones, or after a RST) in `missed_bytes` too
    /// (the history still gets no `G` for them). Off by default, as in Zeek.
    pub report_gaps_for_partial: bool,
    /// Zeek's TCP timers, which decide when a connection is removed and its row logged (a
    /// later packet starts a new row), in place of [`Config`](crate::track::Config)'s phase
    /// timeouts while the summaries are kept (their times are kept with them). `None`: the
    /// phase timeouts, as without the summaries (the events are then the same with and
    /// without them).
    pub timers: Option<ZeekTimers>,
}

impl Default for ZeekSettings {
    fn default() -> Self {
        ZeekSettings {
            count_bad_checksums: false,
            reassemble: true,
            report_gaps_for_partial: false,
            timers: Some(ZeekTimers::default()),
        }
    }
}

/// What `take_in` worked out of a packet for the reassembler's steps, which follow Zeek's
/// state machine (`TCPSessionAdapter::Process`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    /// `rel_data_seq`: the relative sequence of the first data byte.
    rel_data_seq: u64,
    /// The sequence number lies before the endpoint's start (no reassembly).
    underflow: bool,
    /// `rel_ack`: the acknowledgment, relative to the peer's start (0 when it underflows).
    rel_ack: u64,
}

/// The bits of `ZeekConn::marks`; a pair is [originator, responder].
pub(crate) mod mark {
    /// At least one packet was analysed (duration and sizes are logged only then).
    pub const ANALYSED: u16 = 1;
    /// Follow the data as Zeek's reassembler does ([`ZeekSettings::reassemble`](super::ZeekSettings)).
    pub const REASSEMBLING: u16 = 2;
    /// [`ZeekSettings::report_gaps_for_partial`](super::ZeekSettings).
    pub const REPORT_PARTIAL: u16 = 4;
    /// `TCPSessionAdapter::is_partial`: a side's first packet was not a SYN (the
    /// originator's: or was a SYN-ACK).
    pub const PARTIAL: u16 = 8;
    /// A `ConnectionClosed` completed the close: only the inactivity and delete timers remain.
    pub const CLOSE_COMPLETE: u16 = 16;
    /// `first_packet_seen`.
    pub const FIRST_SEEN: [u16; 2] = [32, 64];
    /// The endpoint sent a FIN (its reassembler's `FIN_seq` is set).
    pub const FIN: [u16; 2] = [128, 256];
    /// Its reassembler's `skip_deliveries`: Zeek gave up on the direction (no more gaps).
    pub const SKIP: [u16; 2] = [512, 1024];
    /// The pair of range lists is held the other way round (after a flip).
    pub const RANGES_SWAPPED: u16 = 2048;
}

/// Zeek's per-connection state, in 256 bytes aligned to four cache lines: the byte-sized
/// flags of the endpoints, their reassemblers and the connection are bits of one `marks`,
/// and both reassemblers' held ranges are one pair in the [`RangePool`].
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
pub(crate) struct ZeekConn {
    /// [originator, responder].
    pub ep: [ZeekEndpoint; 2],
    /// Packets and IP bytes, [originator, responder] (kept here rather than in the
    /// endpoints, which then need no 8-byte alignment and pack 20 bytes smaller).
    pub pkts: [u64; 2],
    pub ip_bytes: [u64; 2],
    pub history: History,
    /// The once-only letters seen (`HIST_*`, the responder's shifted left by 8).
    hist_seen: u16,
    /// The flags (`mark`).
    marks: u16,
    pub start: crate::Nanos,
    pub last: crate::Nanos,
    /// Each endpoint's reassembler, [originator, responder].
    gaps: [EndpointGaps; 2],
    /// The ranges the reassemblers hold: a pair in the [`RangePool`], or `NO_RANGES`.
    ranges: u32,
    /// Bytes acknowledged but never seen (Zeek's `content_gap` lengths).
    pub missed_bytes: u64,
    /// What its timers count from.
    pub timers: TimerMarks,
}

impl ZeekConn {
    /// Prefetches the lines a segment reads (see `Tracker::prefetch`): the struct spans
    /// several, in an order the compiler chooses, so one field from each part of it.
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        use crate::track::table::prefetch;
        // One field on each of its four lines (aligned, 256 bytes): the compiler chooses the
        // order, so `tests::the_prefetch_covers_the_four_lines` checks that they are.
        prefetch(&self.ep[0]);
        prefetch(&self.ep[1].gap);
        prefetch(&self.gaps[0]);
        prefetch(&self.timers);
    }

    pub fn new(start: Timestamp) -> Self {
        let start = crate::Nanos::from(start);
        ZeekConn {
            ep: Default::default(),
            pkts: [0; 2],
            ip_bytes: [0; 2],
            history: History::default(),
            hist_seen: 0,
            marks: mark::REASSEMBLING,
            start,
            last: start,
            gaps: Default::default(),
            ranges: gaps::NO_RANGES,
            missed_bytes: 0,
            timers: TimerMarks::default(),
        }
    }

    /// Whether the flag `m` (`mark`) is set.
    #[inline]
    pub(super) fn is(&self, m: u16) -> bool {
        self.marks & m != 0
    }

    /// Sets or clears the flag `m` (`mark`).
    #[inline]
    pub(super) fn set(&mut self, m: u16, on: bool) {
        if on {
            self.marks |= m;
        } else {
            self.marks &= !m;
        }
    }

    /// The list of the pair of ranges that holds endpoint `e`'s.
    #[inline]
    fn side(&self, e: usize) -> usize {
        e ^ usize::from(self.is(mark::RANGES_SWAPPED))
    }

    /// Takes the settings that change the gap accounting.
    pub fn with_settings(mut self, settings: &ZeekSettings) -> Self {
        self.set(mark::REASSEMBLING, settings.reassemble);
        self.set(mark::REPORT_PARTIAL, settings.report_gaps_for_partial);
        self
    }

    /// Gives back the ranges its reassemblers hold (before the connection is dropped).
    pub fn release(&mut self, ranges: &mut RangePool) {
        ranges.release(&mut self.ranges);
    }

    fn check_history(&mut self, orig: bool, mask: u16, code: u8) -> bool {
        let (mask, code) = if orig {
            (mask, code)
        } else {
            (mask << 8, code.to_ascii_lowercase())
        };
        if self.hist_seen & mask == 0 {
            self.hist_seen |= mask;
            self.history.push(code);
            false
        } else {
            true
        }
    }

    fn add_history(&mut self, orig: bool, code: u8) {
        self.history.push(if orig { code } else { code.to_ascii_lowercase() });
    }

    /// Zeek's ScaledHistoryEntry: the letter at the 1st, 10th, 100th... occurrence.
    fn scaled(&mut self, orig: bool, code: u8, which: fn(&mut ZeekEndpoint) -> &mut u32) {
        let ep = &mut self.ep[usize::from(!orig)];
        let count = which(ep);
        *count = count.saturating_add(1);
        let mut n = *count;
        while n.is_multiple_of(10) {
            n /= 10;
        }
        if n == 1 {
            self.add_history(orig, code);
        }
    }

    /// Swaps originator and responder, as Zeek's Connection::FlipRoles (history gains `^`).
    pub fn flip(&mut self) {
        self.ep.swap(0, 1);
        self.gaps.swap(0, 1);
        self.pkts.swap(0, 1);
        self.ip_bytes.swap(0, 1);
        for pair in [mark::FIN, mark::SKIP, mark::FIRST_SEEN] {
            let (a, b) = (self.is(pair[0]), self.is(pair[1]));
            self.set(pair[0], b);
            self.set(pair[1], a);
        }
        let swapped = self.is(mark::RANGES_SWAPPED);
        self.set(mark::RANGES_SWAPPED, !swapped);
        // TCPSessionAdapter::FlipRoles: the first-packet marks swap (above), `is_partial`
        // resets.
        self.set(mark::PARTIAL, false);
        // Connection::FlipRoles: the history gets a `^` where it stands; its letters and
        // the once-only masks (`hist_seen`, the connection's) stay as they were.
        self.history.push(b'^');
    }

    /// Records a packet with a bad checksum (Zeek without `-C`).
    pub fn bad_checksum(&mut self, orig: bool) {
        self.scaled(orig, b'C', |e| &mut e.chk);
    }

    /// Takes in one packet from the originator (`orig`) or not, the roles already settled
    /// and the endpoint states (`st`) those before the packet: counts, sequence numbers,
    /// history. The state machine runs next, then [`ZeekConn::reassemble`] with what this
    /// returns.
    fn take_in(&mut self, st: &ZeekStates, orig: bool, seg: &Seg, ip_len: u64) -> Placed {
        let Seg {
            seq,
            ack,
            len,
            flags,
            window,
            ts,
            ..
        } = *seg;
        let (ei, pi) = if orig { (0, 1) } else { (1, 0) };
        self.set(mark::ANALYSED, true);
        self.pkts[ei] += 1;
        self.ip_bytes[ei] += ip_len;

        let syn = flags.contains(TcpFlags::SYN);
        let fin = flags.contains(TcpFlags::FIN);
        let rst = flags.contains(TcpFlags::RST);
        let ackf = flags.contains(TcpFlags::ACK);
        let mut seg_len = len as i64 + i64::from(syn) + i64::from(fin);
        if rst {
            seg_len -= i64::from(len);
        }
        let seq_one_past = seq.wrapping_add(seg_len as u32);

        // init_endpoint
        let restart = sender_start(st.state(ei), st.prev_state(ei), syn, seq, self.ep[ei].start_seq);
        if let Some(start) = restart {
            self.ep[ei].init_seqs(start, if syn { seq_one_past } else { seq });
        }
        let (rel_seq, underflow) = {
            let e = &self.ep[ei];
            e.relative_seq(seq, e.last_seq, e.seq_wraps)
        };

        self.update_history(orig, flags, rel_seq, len);

        // update_window: zero windows (scaling does not change zero).
        if window == 0 && !rst && st.state(pi) != ZeekEndpointState::Closed && st.state(ei) != ZeekEndpointState::Reset
        {
            self.scaled(orig, b'W', |e| &mut e.win0);
        }

        if !st.did_close(0) || !st.did_close(1) {
            self.last = crate::Nanos::from(ts);
        }
        if fin {
            self.fin_at(ei, rel_seq.wrapping_add(seg_len as u64));
        }

        let rel_ack = if ackf { self.take_ack(st, pi, ack, rst) } else { 0 };

        self.update_last_seq(st, orig, seg, seq_one_past);
        Placed {
            rel_data_seq: rel_seq.wrapping_add(u64::from(syn)),
            underflow,
            rel_ack,
        }
    }

    /// Zeek's update_history: a letter per kind of packet, once per direction (a SYN, FIN or
    /// RST at a new relative sequence adds its letter again).
    fn update_history(&mut self, orig: bool, flags: TcpFlags, rel_seq: u64, len: u32) {
        let ei = usize::from(!orig);
        let syn = flags.contains(TcpFlags::SYN);
        let fin = flags.contains(TcpFlags::FIN);
        let rst = flags.contains(TcpFlags::RST);
        let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
        if bits > 1 {
            if fin && rst {
                self.check_history(orig, HIST_FIN_RST_PKT, b'I');
            } else {
                self.check_history(orig, HIST_MULTI_FLAG_PKT, b'Q');
            }
        } else if bits == 1 {
            if syn {
                let code = if flags.contains(TcpFlags::ACK) { b'H' } else { b'S' };
                if self.check_history(orig, HIST_SYN_PKT, code) && rel_seq as u32 != self.ep[ei].hist_last_syn {
                    self.add_history(orig, code);
                }
                self.ep[ei].hist_last_syn = rel_seq as u32;
            }
            if fin {
                let at = rel_seq.wrapping_add(u64::from(len)) as u32;
                if self.check_history(orig, HIST_FIN_PKT, b'F') && at != self.ep[ei].hist_last_fin {
                    self.add_history(orig, b'F');
                }
                self.ep[ei].hist_last_fin = at;
            }
            if rst {
                if self.check_history(orig, HIST_RST_PKT, b'R') && rel_seq as u32 != self.ep[ei].hist_last_rst {
                    self.add_history(orig, b'R');
                }
                self.ep[ei].hist_last_rst = rel_seq as u32;
            }
        } else if len > 0 {
            self.check_history(orig, HIST_DATA_PKT, b'D');
        } else if flags.contains(TcpFlags::ACK) {
            self.check_history(orig, HIST_ACK_PKT, b'A');
        }
    }

    /// An ACK from the sender: the peer's start when the peer is inactive (Zeek's
    /// init_peer from the acknowledgment), else the peer's acknowledged sequence moves on.
    /// Returns the acknowledgment relative to the peer's start (`rel_ack`).
    fn take_ack(&mut self, st: &ZeekStates, pi: usize, ack: u32, rst: bool) -> u64 {
        let p = &mut self.ep[pi];
        if st.state(pi) == ZeekEndpointState::Inactive {
            p.start_seq = ack.wrapping_sub(1);
            p.ack_seq = ack.wrapping_sub(1);
            p.last_seq = ack.wrapping_sub(1);
            return 1;
        }
        let (rel_ack, underflow) = p.relative_seq(ack, p.ack_seq, p.ack_wraps);
        if underflow {
            return 0;
        }
        if rst {
            // Zeek does not trust a RST's acknowledgment for the sizes (it still trims).
            return rel_ack;
        }
        let d = seq_delta(ack, p.ack_seq);
        if ack == 0 && d > TOO_LARGE_SEQ_DELTA {
            // Zeek ignores a zero acknowledgment that jumps this far.
        } else if d > 0 {
            p.update_ack_seq(ack);
        }
        rel_ack
    }

    /// Zeek's update_last_seq (its delta only feeds Zeek's weirds, which synack does not
    /// report); payload behind the highest sequence is a retransmission (`T`).
    fn update_last_seq(&mut self, st: &ZeekStates, orig: bool, seg: &Seg, seq_one_past: u32) {
        let ei = usize::from(!orig);
        let f = seg.flags;
        let e = &mut self.ep[ei];
        let d = seq_delta(seq_one_past, e.last_seq);
        let mut rxmit = false;
        if f.intersects(TcpFlags::SYN | TcpFlags::RST) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&d) {
        } else if f.contains(TcpFlags::FIN) && e.last_seq == e.start_seq.wrapping_add(1) {
            e.update_last_seq(seq_one_past);
        } else if st.state(ei) == ZeekEndpointState::Reset {
        } else if d > 0 {
            e.update_last_seq(seq_one_past);
        } else if seg.len > 0 {
            rxmit = true;
        }
        if rxmit {
            self.scaled(orig, b'T', |e| &mut e.rxmt);
        }
    }

    /// The reassembler's steps after the state machine (`Process`): the peer's reassembler
    /// takes the acknowledgment (which may reveal gaps), then the sender's takes the payload,
    /// when Zeek would give it (`len > 0`, all of it captured, no RST, no underflow).
    /// `orig` is the sender's role after the state machine.
    fn reassemble(&mut self, st: &ZeekStates, orig: bool, seg: &Seg, p: Placed, whole: bool, ranges: &mut RangePool) {
        if !self.is(mark::REASSEMBLING) {
            return;
        }
        let (ei, pi) = if orig { (0, 1) } else { (1, 0) };
        if seg.flags.contains(TcpFlags::ACK) {
            self.ack_received(pi, p.rel_ack, st, ranges);
        }
        if seg.len > 0 && whole && !seg.flags.contains(TcpFlags::RST) && !p.underflow {
            self.data_sent(ei, p.rel_data_seq, seg.len, st, ranges);
        }
    }

    /// Zeek's `conn_state()`, with the endpoint states.
    pub fn conn_state(&self, st: &ZeekStates) -> ConnState {
        use ZeekEndpointState::*;
        let os = st.state(0);
        let rs = st.state(1);
        let o_inactive = matches!(os, Inactive | Partial);
        let r_inactive = matches!(rs, Inactive | Partial);
        if rs == Reset {
            if os == SynSent
                || os == SynAckSent
                || (os == Reset && self.orig_bytes(st) == 0 && self.resp_bytes(st) == 0)
            {
                ConnState::REJ
            } else if o_inactive {
                ConnState::RSTRH
            } else {
                ConnState::RSTR
            }
        } else if os == Reset {
            if r_inactive {
                if rstos0_history(self.history.as_str()) {
                    ConnState::RSTOS0
                } else {
                    ConnState::OTH
                }
            } else {
                ConnState::RSTO
            }
        } else if rs == Closed && os == Closed {
            ConnState::SF
        } else if os == Closed {
            if r_inactive { ConnState::SH } else { ConnState::S2 }
        } else if rs == Closed {
            if o_inactive { ConnState::SHR } else { ConnState::S3 }
        } else if os == SynSent && rs == Inactive {
            ConnState::S0
        } else if os == Established && rs == Established {
            ConnState::S1
        } else {
            ConnState::OTH
        }
    }

    /// The originator's payload bytes (`orig_bytes`).
    pub fn orig_bytes(&self, st: &ZeekStates) -> u64 {
        self.ep[0].size(st.state(0), st.prev_state(0), st.state(1), self.is(mark::FIN[0]))
    }

    /// The responder's payload bytes (`resp_bytes`).
    pub fn resp_bytes(&self, st: &ZeekStates) -> u64 {
        self.ep[1].size(st.state(1), st.prev_state(1), st.state(0), self.is(mark::FIN[1]))
    }

    /// Returns true when duration and sizes are logged (Zeek logs them when the duration is
    /// above zero).
    pub fn logs_sizes(&self) -> bool {
        self.is(mark::ANALYSED) && self.last > self.start
    }
}

/// Zeek's TCPSessionAdapter::Process for one segment from the originator (`orig`) or not:
/// the endpoint states always, the accounting (`acct`: history, counts, sizes) when kept.
/// `lone_h` says whether the history is exactly `H` (all that the roles read of it);
/// `ip_len` is the IP total length and `whole` whether the capture holds the whole payload.
/// Returns whether Zeek flipped the roles.
pub(crate) fn packet(
    st: &mut ZeekStates,
    acct: Option<Acct<'_>>,
    lone_h: bool,
    orig: bool,
    seg: &Seg,
    ip_len: u64,
    whole: bool,
) -> bool {
    let Seg { len, flags, .. } = *seg;
    let mut flipped = false;
    let arrived_orig = orig;
    let mut orig = orig;
    let (mut acct, ranges) = match acct {
        Some(Acct { conn, ranges }) => (Some(conn), Some(ranges)),
        None => (None, None),
    };
    if let Some(a) = acct.as_deref_mut() {
        debug_assert_eq!(lone_h, a.history.as_bytes() == b"H", "history {:?}", a.history);
        a.partial_status(orig, flags.contains(TcpFlags::SYN), flags.contains(TcpFlags::ACK));
    }
    if lone_h && check_history_flip(st, acct.as_deref_mut(), len, flags) {
        orig = !orig;
        flipped = true;
    }
    let (ei, pi) = if orig { (0, 1) } else { (1, 0) };

    let placed = acct.as_deref_mut().map(|a| a.take_in(st, orig, seg, ip_len));

    // UpdateInactiveState: the originator's first SYN starts the attempt timer.
    let inactive = st.state(ei) == ZeekEndpointState::Inactive;
    let attempt = orig && flags.contains(TcpFlags::SYN) && inactive;
    let (do_close, reversed) = st.update(ei, pi, orig, len, flags);
    // UpdateInactiveState's "just missed that initial SYN": an inactive endpoint's ACK to
    // an established peer establishes it (the only way there without a SYN), and
    // `is_partial = 0` (its `SetFirstPacketSeen` mark is the one `CheckPIA_FirstPacket`
    // makes below).
    let missed_syn = inactive && !flags.contains(TcpFlags::SYN) && st.state(ei) == ZeekEndpointState::Established;
    flipped |= reversed;
    // After a SYN/SYN-ACK reversal the sender is the originator.
    let (ei, orig) = if reversed { (0, true) } else { (ei, orig) };
    let closed = do_close && !st.did_close(ei);
    let mut timed = None;
    if let (Some(a), Some(placed), Some(ranges)) = (acct, placed, ranges) {
        if reversed {
            // The SYN/SYN-ACK reversal: `FlipRoles` (`is_partial = 0`), then
            // `SetFirstPacketSeen(true)`.
            a.flip();
            a.first_packet_seen(true);
        }
        if missed_syn {
            a.clear_partial();
        }
        a.reassemble(st, orig, seg, placed, whole, ranges);
        a.first_packet_seen(arrived_orig);
        timed = Some(a);
    }
    if closed {
        st.set_did_close(ei);
    }
    if let Some(a) = timed {
        let t = crate::Nanos::from(seg.ts);
        if attempt && !reversed {
            a.timer_attempt(t);
        }
        if closed {
            a.timer_closed(st, ei, t);
        }
    }
    flipped
}

/// TCP_Endpoint::CheckHistory, the history being exactly `H`: an `A` or `D` (a pure ACK or
/// data, no SYN, FIN or RST) from either side flips the roles: "productive" traffic after a
/// lone SYN-ACK makes a stealth scan unlikely, so the SYN-ACK's sender is the responder (the
/// history becomes `^h`). Returns whether it flipped.
fn check_history_flip(st: &mut ZeekStates, acct: Option<&mut ZeekConn>, len: u32, flags: TcpFlags) -> bool {
    if flags.intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST) || (len == 0 && !flags.contains(TcpFlags::ACK)) {
        return false;
    }
    st.flip();
    if let Some(a) = acct {
        a.flip();
        // "We then fix up the history (which will initially be "H^") and pretend we have
        // actually seen that missing first packet."
        a.history.replace(b"^h");
        // ... and `tcp_analyzer->SetFirstPacketSeen(true)`: the new originator's mark.
        a.first_packet_seen(true);
    }
    true
}

/// Zeek's accounting of one connection and the ranges its reassemblers hold.
pub(crate) struct Acct<'a> {
    pub conn: &'a mut ZeekConn,
    pub ranges: &'a mut RangePool,
}

/// `/^\^?S[^HAFGIQ]*R.*/`: the originator's SYN then a RST with nothing between that shows a reply.
fn rstos0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else { return false };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if "HAFGIQ".contains(c) {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefetch_covers_the_four_lines() {
        use core::mem::{align_of, offset_of, size_of};
        assert_eq!((size_of::<ZeekConn>(), align_of::<ZeekConn>()), (256, 64));
        let mut lines = [
            offset_of!(ZeekConn, ep),
            offset_of!(ZeekConn, ep) + size_of::<ZeekEndpoint>() + offset_of!(ZeekEndpoint, gap),
            offset_of!(ZeekConn, gaps),
            offset_of!(ZeekConn, timers),
        ]
        .map(|at| at / 64);
        lines.sort_unstable();
        assert_eq!(lines, [0, 1, 2, 3]);
    }

    #[test]
    fn rstos0_pattern() {
        assert!(rstos0_history("SR"));
        assert!(rstos0_history("^SdR"));
        assert!(!rstos0_history("SAR"));
        assert!(!rstos0_history("R"));
    }

    #[test]
    fn history_replace() {
        let mut h = History::default();
        h.push(b'H');
        h.push(b'^');
        h.replace(b"^h");
        assert_eq!(h.as_str(), "^h");
    }
}
