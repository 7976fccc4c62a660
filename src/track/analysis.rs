//! Wireshark's TCP sequence analysis (`tcp.analysis.*`), relative sequence numbers and
//! window scaling, computed per segment as Wireshark 4.0 does it in one pass.
//!
//! [`Conversation`] holds the state of one conversation (both directions);
//! [`Analyzer`] numbers conversations as `tcp.stream` does and keeps them all, for
//! offline dissection (`dissect --fields`). The [`Tracker`](super::Tracker) embeds the
//! same per-direction state to report anomalies as events.

use core::time::Duration;

use bitflags::bitflags;

use super::key::{Endpoint, FlowKey};
use crate::Timestamp;
use crate::wire::{Frame, SeqNumber, SynOptions, TcpFlags, TcpHeader};

bitflags! {
    /// Wireshark's `tcp.analysis.*` flags for one segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AnalysisFlags: u16 {
        /// `tcp.analysis.retransmission`: data (or SYN/FIN) that does not advance the sequence.
        const RETRANSMISSION = 1 << 0;
        /// `tcp.analysis.fast_retransmission`: a retransmission after two or more duplicate ACKs, within 20 ms.
        const FAST_RETRANSMISSION = 1 << 1;
        /// `tcp.analysis.spurious_retransmission`: a retransmission of data already acknowledged.
        const SPURIOUS_RETRANSMISSION = 1 << 2;
        /// `tcp.analysis.out_of_order`: a segment that arrived below the highest sequence within the RTT.
        const OUT_OF_ORDER = 1 << 3;
        /// `tcp.analysis.lost_segment`: the segment starts beyond the next expected sequence.
        const LOST_SEGMENT = 1 << 4;
        /// `tcp.analysis.ack_lost_segment`: the ACK covers data that was never seen.
        const ACK_LOST_SEGMENT = 1 << 5;
        /// `tcp.analysis.duplicate_ack`: same ACK, window and sequence as the previous segment.
        const DUPLICATE_ACK = 1 << 6;
        /// `tcp.analysis.zero_window`: the receive window is zero.
        const ZERO_WINDOW = 1 << 7;
        /// `tcp.analysis.zero_window_probe`: one byte at the next sequence into a zero window.
        const ZERO_WINDOW_PROBE = 1 << 8;
        /// `tcp.analysis.zero_window_probe_ack`: the ACK of a zero-window probe.
        const ZERO_WINDOW_PROBE_ACK = 1 << 9;
        /// `tcp.analysis.keep_alive`: zero or one byte one below the next sequence.
        const KEEP_ALIVE = 1 << 10;
        /// `tcp.analysis.keep_alive_ack`: the ACK of a keep-alive.
        const KEEP_ALIVE_ACK = 1 << 11;
        /// `tcp.analysis.window_update`: an empty segment that only changes the window.
        const WINDOW_UPDATE = 1 << 12;
        /// `tcp.analysis.window_full`: data that fills the peer's advertised window.
        const WINDOW_FULL = 1 << 13;
        /// `tcp.analysis.reused_ports`: a SYN with a new sequence on a known conversation.
        const REUSED_PORTS = 1 << 14;
    }
}

impl AnalysisFlags {
    /// Returns the Wireshark field name of a single flag.
    pub fn field_name(self) -> &'static str {
        const NAMES: [&str; 15] = [
            "tcp.analysis.retransmission",
            "tcp.analysis.fast_retransmission",
            "tcp.analysis.spurious_retransmission",
            "tcp.analysis.out_of_order",
            "tcp.analysis.lost_segment",
            "tcp.analysis.ack_lost_segment",
            "tcp.analysis.duplicate_ack",
            "tcp.analysis.zero_window",
            "tcp.analysis.zero_window_probe",
            "tcp.analysis.zero_window_probe_ack",
            "tcp.analysis.keep_alive",
            "tcp.analysis.keep_alive_ack",
            "tcp.analysis.window_update",
            "tcp.analysis.window_full",
            "tcp.analysis.reused_ports",
        ];
        NAMES
            .get(self.bits().trailing_zeros() as usize)
            .copied()
            .unwrap_or("tcp.analysis")
    }
}

/// `tcp.completeness` bits.
pub mod completeness {
    /// A SYN was seen.
    pub const SYN: u8 = 1;
    /// A SYN-ACK was seen.
    pub const SYN_ACK: u8 = 2;
    /// An ACK after the SYN-ACK was seen.
    pub const ACK: u8 = 4;
    /// Data was seen.
    pub const DATA: u8 = 8;
    /// A FIN was seen.
    pub const FIN: u8 = 16;
    /// A RST was seen.
    pub const RST: u8 = 32;
}

/// Window scaling as Wireshark knows it for one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowScale {
    /// Not known (the SYNs were not seen): `tcp.window_size_scalefactor` -1.
    #[default]
    Unknown,
    /// Known not to be in use: -2.
    NotUsed,
    /// The shift in use (0..=14): the factor is `1 << shift`.
    Shift(u8),
}

impl WindowScale {
    /// Returns the value of `tcp.window_size_scalefactor`.
    pub fn factor(self) -> i32 {
        match self {
            WindowScale::Unknown => -1,
            WindowScale::NotUsed => -2,
            WindowScale::Shift(s) => 1 << s,
        }
    }
}

/// One direction's sequence-analysis state (Wireshark's `tcp_flow_t`), 0 meaning unset where
/// Wireshark uses 0 that way.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlowSeq {
    pub base_seq: u32,
    pub base_set: bool,
    pub nextseq: u32,
    pub nextseq_time: i64,
    pub maxseqtobeacked: u32,
    pub lastack: u32,
    pub lastack_time: i64,
    pub dupacknum: u32,
    pub window: u32,
    pub scale: WindowScale,
    pub last_flags: AnalysisFlags,
    pub valid_bif: bool,
}

/// A segment not yet acknowledged (Wireshark's `tcp_unacked_t`).
#[derive(Debug, Clone, Copy)]
struct Unacked {
    seq: u32,
    nextseq: u32,
}

/// Wireshark keeps at most this many unacknowledged segments per direction.
const MAX_UNACKED: usize = 10_000;

/// What Wireshark's analysis says of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentAnalysis {
    /// `tcp.stream`.
    pub stream: u32,
    /// `tcp.seq`: the sequence number relative to the sender's base.
    pub seq: u32,
    /// `tcp.ack`: the acknowledgment relative to the receiver's base (when ACK is set).
    pub ack: Option<u32>,
    /// `tcp.nxtseq` (absent when the segment length is unknown).
    pub nxtseq: Option<u32>,
    /// `tcp.window_size`: the window after scaling.
    pub window_size: u32,
    /// `tcp.window_size_scalefactor`, absent on SYNs.
    pub scale: Option<WindowScale>,
    /// The receiver's base sequence, for SACK edges (`tcp.options.sack_le`/`_re`).
    pub peer_base: u32,
    /// The analysis flags.
    pub flags: AnalysisFlags,
    /// `tcp.analysis.duplicate_ack_num`.
    pub dupack_num: u32,
    /// `tcp.analysis.initial_rtt`, when Wireshark shows the analysis tree for this segment.
    pub initial_rtt: Option<Duration>,
    /// `tcp.completeness` as shown on this frame (the bits seen before it).
    pub completeness: u8,
}

/// The facts of one TCP segment the analysis needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg {
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub wscale: Option<u8>,
    pub ts: Timestamp,
}

impl Seg {
    /// The segment of a frame; `wscale` is the window-scale shift its SYN carries (read by
    /// the caller, which walks a SYN's options once for all it needs).
    pub(crate) fn new(frame: &Frame<'_>, ts: Timestamp, wscale: Option<u8>) -> Option<Seg> {
        let tcp = frame.tcp.as_ref()?;
        Some(Seg::of_tcp(tcp, super::segment::payload_len(frame), ts, wscale))
    }

    /// The segment of a TCP header carrying `len` payload bytes.
    #[inline]
    pub(crate) fn of_tcp(tcp: &TcpHeader<'_>, len: u32, ts: Timestamp, wscale: Option<u8>) -> Seg {
        Seg {
            seq: tcp.seq,
            ack: tcp.ack,
            len,
            flags: tcp.flags,
            window: tcp.window,
            wscale,
            ts,
        }
    }

    /// The segment of a frame, its SYN options read here.
    pub(crate) fn of(frame: &Frame<'_>, ts: Timestamp) -> Option<Seg> {
        let tcp = frame.tcp.as_ref()?;
        let wscale = if tcp.flags.contains(TcpFlags::SYN) {
            SynOptions::collect(tcp.options()).window_scale
        } else {
            None
        };
        Self::new(frame, ts, wscale)
    }

    fn syn_fin(&self) -> bool {
        self.flags.intersects(TcpFlags::SYN | TcpFlags::FIN)
    }

    fn syn_fin_rst(&self) -> bool {
        self.flags.intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST)
    }
}

// Wireshark's GT_SEQ, LT_SEQ and LE_SEQ, through SeqNumber's wrapping order.
fn gt(a: u32, b: u32) -> bool {
    SeqNumber(a) > SeqNumber(b)
}

fn lt(a: u32, b: u32) -> bool {
    SeqNumber(a) < SeqNumber(b)
}

fn le(a: u32, b: u32) -> bool {
    SeqNumber(a) <= SeqNumber(b)
}

fn nanos_between(later: Timestamp, earlier: i64) -> i128 {
    later.as_nanos() - i128::from(earlier)
}

/// An RTT kept as a [`crate::Nanos`] (see `Conversation::first_rtt`).
fn rtt_duration(n: crate::Nanos) -> Duration {
    Duration::from_nanos(n.get().max(0) as u64)
}

/// The per-conversation state of the analysis proper (both directions), without what only
/// the dissector's output needs: what the [`Tracker`](super::Tracker) keeps per connection.
#[derive(Debug, Clone)]
pub(crate) struct SeqState {
    pub(crate) flows: [FlowSeq; 2],
    mru_syn: Option<crate::Nanos>,
    /// The initial RTT in nanoseconds (at most `i64::MAX`: a difference of two `Nanos`),
    /// kept as a `Nanos` for its 8-byte `Option`.
    first_rtt: Option<crate::Nanos>,
}

impl Default for SeqState {
    fn default() -> Self {
        let mut flows = [FlowSeq::default(); 2];
        flows[0].valid_bif = true;
        flows[1].valid_bif = true;
        SeqState {
            flows,
            mru_syn: None,
            first_rtt: None,
        }
    }
}

/// Each direction's unacknowledged segments.
type UnackedLists = [Vec<Unacked>; 2];

/// The analysis state of one conversation, both directions.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub(crate) seq: SeqState,
    completeness: u8,
    frames: u32,
    unacked: Option<Box<UnackedLists>>,
}

impl Conversation {
    /// Returns a conversation; with `track_acks`, it keeps each direction's unacknowledged
    /// segments as Wireshark does, which decides when Wireshark shows the analysis tree
    /// (and with it `tcp.analysis.initial_rtt`).
    pub fn new(track_acks: bool) -> Self {
        Conversation {
            unacked: track_acks.then(Default::default),
            ..Default::default()
        }
    }

    /// Returns the initial round-trip time (SYN to the ACK of the SYN-ACK), once known.
    pub fn initial_rtt(&self) -> Option<Duration> {
        self.seq.first_rtt.map(rtt_duration)
    }

    /// Analyses a segment sent by side `from` (0 or 1; the other side is `1 - from`).
    pub(crate) fn segment(&mut self, from: usize, s: &Seg) -> SegmentAnalysis {
        let from = from & 1;
        let to = 1 - from;
        let completeness = self.completeness;
        let (flags, dupack_num, acked_something, window) = self.advance(from, s);
        let syn = s.flags.contains(TcpFlags::SYN);
        let ack_flag = s.flags.contains(TcpFlags::ACK);
        let fwd = &self.seq.flows[from];
        let rel_seq = s.seq.wrapping_sub(fwd.base_seq);
        let nxt = rel_seq.wrapping_add(s.len).wrapping_add(u32::from(s.syn_fin()));
        let tree = !flags.is_empty() || acked_something || (s.len > 0 && self.bif_shown(from, s));
        SegmentAnalysis {
            stream: 0,
            seq: rel_seq,
            ack: ack_flag.then(|| s.ack.wrapping_sub(self.seq.flows[to].base_seq)),
            nxtseq: Some(nxt),
            window_size: window,
            scale: (!syn).then_some(fwd.scale),
            peer_base: self.seq.flows[to].base_seq,
            flags,
            dupack_num,
            initial_rtt: if tree {
                self.seq.first_rtt.map(rtt_duration)
            } else {
                None
            },
            completeness,
        }
    }

    /// Every state change a segment makes; returns the flags, the duplicate-ACK number,
    /// whether it acknowledged a tracked segment, and its scaled window.
    fn advance(&mut self, from: usize, s: &Seg) -> (AnalysisFlags, u32, bool, u32) {
        let f = s.flags;
        let syn = f.contains(TcpFlags::SYN);
        let ack_flag = f.contains(TcpFlags::ACK);
        let first_frame = self.frames == 0;
        let base_known = self.seq.flows[from].base_set;
        let out = self.seq.advance(from, s, self.unacked.as_deref_mut());

        // Completeness, as Wireshark 4.0 accumulates it: the frame that creates the
        // conversation counts only as a SYN; data counts once the sender's base sequence was
        // known before the frame; the ACK bit comes from an empty ACK.
        if syn && !ack_flag {
            self.completeness |= completeness::SYN;
        } else if syn && !first_frame {
            self.completeness |= completeness::SYN_ACK;
        } else if !syn && ack_flag && s.len == 0 && !first_frame {
            self.completeness |= completeness::ACK;
        }
        if s.len > 0 && (base_known || syn) {
            self.completeness |= completeness::DATA;
        }
        if f.contains(TcpFlags::FIN) && !first_frame {
            self.completeness |= completeness::FIN;
        }
        if f.contains(TcpFlags::RST) && !first_frame {
            self.completeness |= completeness::RST;
        }
        self.frames += 1;
        out
    }

    fn bif_shown(&self, from: usize, s: &Seg) -> bool {
        let fwd = &self.seq.flows[from];
        let rev = &self.seq.flows[1 - from];
        if !fwd.valid_bif || self.unacked.is_none() {
            return false;
        }
        let mut in_flight = s.seq.wrapping_add(s.len).wrapping_sub(rev.lastack);
        if s.syn_fin() {
            in_flight = in_flight.wrapping_add(1);
        }
        in_flight > 0 && in_flight < 2_000_000_000
    }
}

impl SeqState {
    /// Analyses a segment sent by side `from` for the tracker, which needs only the flags
    /// and the duplicate-ACK number: the same state changes as [`Conversation::segment`],
    /// without building the rest of its answer.
    pub(crate) fn segment_flags(&mut self, from: usize, s: &Seg) -> (AnalysisFlags, u32) {
        let (flags, dupack_num, _, _) = self.advance(from & 1, s, None);
        (flags, dupack_num)
    }

    /// Every state change a segment makes; returns the flags, the duplicate-ACK number,
    /// whether it acknowledged a tracked segment, and its scaled window.
    fn advance(&mut self, from: usize, s: &Seg, unacked: Option<&mut UnackedLists>) -> (AnalysisFlags, u32, bool, u32) {
        let to = 1 - from;
        let f = s.flags;
        let syn = f.contains(TcpFlags::SYN);
        let ack_flag = f.contains(TcpFlags::ACK);

        // Base sequence numbers (relative numbering): the SYN's sequence, or one below the
        // first segment's; the receiver's from the first ACK.
        {
            let fwd = &mut self.flows[from];
            if syn {
                fwd.base_seq = s.seq;
                fwd.base_set = true;
            } else if !fwd.base_set {
                fwd.base_seq = s.seq.wrapping_sub(1);
                fwd.base_set = true;
            }
        }
        if ack_flag && !self.flows[to].base_set {
            self.flows[to].base_seq = s.ack.wrapping_sub(1);
            self.flows[to].base_set = true;
        }

        // Window scaling (Wireshark's verify_tcp_window_scaling).
        if syn {
            if let Some(shift) = s.wscale {
                self.flows[from].scale = WindowScale::Shift(shift.min(14));
            }
            if s.wscale.is_none() {
                self.flows[from].scale = WindowScale::NotUsed;
                self.flows[to].scale = WindowScale::NotUsed;
            } else if ack_flag && self.flows[to].scale == WindowScale::NotUsed {
                self.flows[from].scale = WindowScale::NotUsed;
            }
        }
        let window = match (syn, self.flows[from].scale) {
            (false, WindowScale::Shift(sh)) => u32::from(s.window) << sh,
            _ => u32::from(s.window),
        };

        // Initial RTT: from the most recent SYN to the first ACK after it.
        if syn && !ack_flag {
            self.mru_syn = Some(crate::Nanos::from(s.ts));
        } else if ack_flag
            && !syn
            && self.first_rtt.is_none()
            && let Some(t) = self.mru_syn
        {
            self.first_rtt = Some(crate::Nanos::new(crate::Nanos::from(s.ts).since(t).as_nanos() as i64));
        }

        let (flags, dupack_num, acked_something) = self.analyze(from, s, window, unacked);

        (flags, dupack_num, acked_something, window)
    }

    /// Wireshark's tcp_analyze_sequence_number. Returns the flags, the duplicate-ACK number
    /// and whether this segment acknowledged a tracked segment.
    fn analyze(
        &mut self,
        from: usize,
        s: &Seg,
        window: u32,
        unacked: Option<&mut UnackedLists>,
    ) -> (AnalysisFlags, u32, bool) {
        let first_rtt = self.first_rtt.map(rtt_duration);
        let [a, b] = &mut self.flows;
        let (fwd, rev) = if from == 0 { (a, b) } else { (b, a) };
        let (mut flags, dupack_num) = forward_flags(fwd, rev, s, window);
        if s.ack != fwd.lastack {
            fwd.dupacknum = 0;
        }
        // ACKed lost segment.
        if rev.maxseqtobeacked != 0 && gt(s.ack, rev.maxseqtobeacked) && s.flags.contains(TcpFlags::ACK) {
            flags |= AnalysisFlags::ACK_LOST_SEGMENT;
            rev.maxseqtobeacked = rev.nextseq;
        }
        flags |= retransmission_flags(fwd, rev, s, flags, first_rtt);
        let mut acked_something = false;
        match unacked {
            Some(lists) => {
                let [l0, l1] = lists;
                let (mine, theirs) = if from == 0 { (l0, l1) } else { (l1, l0) };
                record(fwd, s, window, flags, Some(mine));
                if s.flags.contains(TcpFlags::ACK) {
                    acked_something = remove_acked(theirs, s.ack);
                }
                if acked_something {
                    rev.valid_bif = true;
                }
            }
            None => record(fwd, s, window, flags, None),
        }
        (flags, dupack_num, acked_something)
    }
}

/// The flags of Wireshark's forward checks, in its order (tcp_analyze_sequence_number, up to
/// the retransmission checks): zero-window probe, zero window, lost segment, keep-alive,
/// window update, window full, keep-alive ACK, zero-window-probe ACK, duplicate ACK. Returns
/// them with the duplicate-ACK number.
fn forward_flags(fwd: &mut FlowSeq, rev: &FlowSeq, s: &Seg, window: u32) -> (AnalysisFlags, u32) {
    let (seq, ack, seglen) = (s.seq, s.ack, s.len);
    let mut flags = AnalysisFlags::empty();
    if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
        return (AnalysisFlags::ZERO_WINDOW_PROBE, 0);
    }
    let plain = !s.syn_fin_rst();
    if window == 0 && plain {
        flags |= AnalysisFlags::ZERO_WINDOW;
    }
    if fwd.nextseq != 0 && gt(seq, fwd.nextseq) && !s.flags.contains(TcpFlags::RST) {
        flags |= AnalysisFlags::LOST_SEGMENT;
        fwd.valid_bif = false;
    }
    if seglen <= 1 && seq == fwd.nextseq.wrapping_sub(1) && plain {
        flags |= AnalysisFlags::KEEP_ALIVE;
    }
    // The segment repeats the last one's sequence and acknowledgment, carrying nothing.
    let same = seglen == 0 && seq == fwd.nextseq && ack == fwd.lastack && plain;
    if same && window != 0 && window != fwd.window {
        flags |= AnalysisFlags::WINDOW_UPDATE;
    }
    if seglen > 0
        && rev.scale != WindowScale::Unknown
        && seq.wrapping_add(seglen) == rev.lastack.wrapping_add(rev.window)
        && plain
    {
        flags |= AnalysisFlags::WINDOW_FULL;
    }
    let same_window = same && window == fwd.window;
    if same_window && window != 0 && rev.last_flags.contains(AnalysisFlags::KEEP_ALIVE) {
        return (flags | AnalysisFlags::KEEP_ALIVE_ACK, 0);
    }
    if same_window && window == 0 && rev.last_flags.contains(AnalysisFlags::ZERO_WINDOW_PROBE) {
        return (flags | AnalysisFlags::ZERO_WINDOW_PROBE_ACK, 0);
    }
    if same_window && window != 0 {
        fwd.dupacknum += 1;
        return (flags | AnalysisFlags::DUPLICATE_ACK, fwd.dupacknum);
    }
    (flags, 0)
}

/// Wireshark's retransmission checks, first match wins: fast retransmission, out of order,
/// then (spurious) retransmission, for a segment with data or SYN/FIN that does not advance
/// the sequence and is not a keep-alive.
fn retransmission_flags(
    fwd: &FlowSeq,
    rev: &FlowSeq,
    s: &Seg,
    flags: AnalysisFlags,
    first_rtt: Option<Duration>,
) -> AnalysisFlags {
    let (seq, seglen) = (s.seq, s.len);
    if !(seglen > 0 || s.syn_fin()) {
        return AnalysisFlags::empty();
    }
    let not_advanced = fwd.nextseq != 0 && lt(seq, fwd.nextseq);
    if !not_advanced || flags.contains(AnalysisFlags::KEEP_ALIVE) {
        return AnalysisFlags::empty();
    }
    let since_dupack = nanos_between(s.ts, rev.lastack_time);
    if rev.dupacknum >= 2 && rev.lastack == seq && since_dupack < 20_000_000 {
        return AnalysisFlags::FAST_RETRANSMISSION;
    }
    let ooo_thres: i128 = match first_rtt {
        Some(d) if !d.is_zero() => d.as_nanos() as i128,
        _ => 3_000_000,
    };
    let since_next = nanos_between(s.ts, fwd.nextseq_time);
    if since_next < ooo_thres && fwd.nextseq != seq.wrapping_add(seglen).wrapping_add(u32::from(s.syn_fin())) {
        return AnalysisFlags::OUT_OF_ORDER;
    }
    // Wireshark 4.0 marks a spurious retransmission as a retransmission too.
    if rev.lastack != 0 && le(seq.wrapping_add(seglen), rev.lastack) && !s.syn_fin() {
        return AnalysisFlags::SPURIOUS_RETRANSMISSION | AnalysisFlags::RETRANSMISSION;
    }
    AnalysisFlags::RETRANSMISSION
}

/// What the sender's direction remembers of the segment: the next sequence expected, the
/// highest to be acknowledged, its window, ACK and flags, and the segment in its list of
/// unacknowledged ones.
fn record(fwd: &mut FlowSeq, s: &Seg, window: u32, flags: AnalysisFlags, list: Option<&mut Vec<Unacked>>) {
    let seq = s.seq;
    let mut nextseq = seq.wrapping_add(s.len);
    if s.syn_fin() {
        nextseq = nextseq.wrapping_add(1);
    }
    if let Some(list) = list
        && (s.len > 0 || s.syn_fin())
        && list.len() < MAX_UNACKED
    {
        list.push(Unacked { seq, nextseq });
    }
    let zwp = flags.contains(AnalysisFlags::ZERO_WINDOW_PROBE);
    if (gt(nextseq, fwd.nextseq) || fwd.nextseq == 0) && !zwp {
        fwd.nextseq = nextseq;
        fwd.nextseq_time = crate::Nanos::from(s.ts).get();
    }
    if (seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !zwp {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = s.ack;
    fwd.lastack_time = crate::Nanos::from(s.ts).get();
    fwd.last_flags = flags;
}

/// Removes from the other direction's list what `ack` acknowledges, newest first as
/// Wireshark walks it; returns whether it acknowledged a segment exactly.
fn remove_acked(list: &mut Vec<Unacked>, ack: u32) -> bool {
    let mut acked_something = false;
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        let u = list[i];
        if ack == u.nextseq {
            acked_something = true;
            list.remove(i);
        } else if gt(ack, u.seq) && le(ack, u.nextseq) {
            list[i].seq = ack;
        } else if gt(u.nextseq, ack) {
            // Not yet acknowledged.
        } else {
            list.remove(i);
        }
    }
    acked_something
}

/// Numbers TCP conversations as Wireshark's `tcp.stream` does and analyses every segment.
///
/// It keeps every conversation of the capture (as Wireshark does), so it is meant for
/// offline dissection; the [`Tracker`](super::Tracker) is the bounded, streaming one.
#[derive(Debug, Default)]
pub struct Analyzer {
    streams: std::collections::HashMap<FlowKey, u32, foldhash::fast::RandomState>,
    conversations: Vec<(Endpoint, Conversation)>,
}

impl Analyzer {
    /// Returns an empty analyzer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Analyses one frame; returns `None` when it carries no TCP header.
    pub fn analyze(&mut self, timestamp: Timestamp, frame: &Frame<'_>) -> Option<SegmentAnalysis> {
        let (src, dst) = FlowKey::endpoints_of(frame)?;
        let seg = Seg::of(frame, timestamp)?;
        if frame.tcp_len().is_none() {
            // Wireshark analyses nothing of a segment whose length it cannot tell.
            let tcp = frame.tcp.as_ref()?;
            let stream = self
                .streams
                .get(&FlowKey::new(src, dst))
                .copied()
                .unwrap_or(self.conversations.len() as u32);
            return Some(SegmentAnalysis {
                stream,
                seq: tcp.seq,
                ack: tcp.flags.contains(TcpFlags::ACK).then_some(tcp.ack),
                nxtseq: None,
                window_size: u32::from(tcp.window),
                scale: (!tcp.flags.contains(TcpFlags::SYN)).then_some(WindowScale::Unknown),
                ..SegmentAnalysis::default()
            });
        }
        let key = FlowKey::new(src, dst);
        let mut reused = false;
        let idx = match self.streams.get(&key) {
            Some(&i) => {
                let (first, conv) = &self.conversations[i as usize];
                let from = usize::from(*first != src);
                let fwd = &conv.seq.flows[from];
                // A SYN with a new sequence number on a known conversation starts a new one.
                if seg.flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN
                    && fwd.base_set
                    && fwd.base_seq != seg.seq
                {
                    reused = true;
                    None
                } else {
                    Some(i)
                }
            }
            None => None,
        };
        let idx = match idx {
            Some(i) => i,
            None => {
                let i = self.conversations.len() as u32;
                self.conversations.push((src, Conversation::new(true)));
                self.streams.insert(key, i);
                i
            }
        };
        let (first, conv) = &mut self.conversations[idx as usize];
        let from = usize::from(*first != src);
        let mut a = conv.segment(from, &seg);
        a.stream = idx;
        if reused {
            a.flags |= AnalysisFlags::REUSED_PORTS;
            // Wireshark restarts the conversation before printing the field on this frame.
            a.completeness |= completeness::SYN;
        }
        Some(a)
    }
}
