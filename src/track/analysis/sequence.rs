//! Wireshark 4.0's `tcp_analyze_sequence_number` (epan/dissectors/packet-tcp.c), one frame
//! at a time, and the state `dissect_tcp` changes around it: base sequence numbers, the SYN
//! preamble (a repeated SYN, a SYN-ACK with a new sequence), window scaling
//! (`verify_tcp_window_scaling`), `is_first_ack`, and the initial RTT (`ts_mru_syn`,
//! `ts_first_rtt`). Each step names the part of the source it follows, in the source's order.

use super::AnalysisFlags as A;
use super::{Seg, WindowScale};
use crate::wire::{SeqNumber, TcpFlags};

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

/// Nanoseconds from `earlier` to `later` as Wireshark's `guint64 t` holds them: a time
/// that runs backwards wraps to a huge value, so it is never "within" a threshold.
fn elapsed(later: i64, earlier: i64) -> u64 {
    later.wrapping_sub(earlier) as u64
}

/// Where a conversation's two base sequence numbers are kept (Wireshark's relative
/// sequence numbers count from them): the caller's, since the tracker keeps them in its
/// connections, which number data events by them with the analysis off too.
pub(crate) trait BaseStore {
    /// Side `side`'s base, once set.
    fn base(&self, side: usize) -> Option<u32>;
    /// Sets side `side`'s base.
    fn set_base(&mut self, side: usize, base: u32);
}

/// The bases kept on their own ([`super::Conversation`]'s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bases {
    pub seq: [u32; 2],
    pub set: [bool; 2],
}

impl BaseStore for Bases {
    fn base(&self, side: usize) -> Option<u32> {
        self.set[side].then_some(self.seq[side])
    }

    fn set_base(&mut self, side: usize, base: u32) {
        self.seq[side] = base;
        self.set[side] = true;
    }
}

/// What setting the bases did for one segment, which the analysis reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BaseStep {
    /// A pure SYN from a direction whose base was set: a repeated SYN.
    syn_again: bool,
    /// A SYN-ACK with another sequence than its direction's base, which moved.
    synack_moved: bool,
}

/// `dissect_tcp`'s bases for a segment sent by side `from`: a SYN's sequence, or one below
/// the first segment's; the receiver's one below the first ACK. A pure SYN with another
/// sequence starts a new conversation to Wireshark ([`super::Analyzer`]'s part); the
/// tracker keeps its connection, and the base moves to the SYN as it does in the new
/// conversation. A SYN-ACK with another sequence moves its base (issue 16944,
/// `TCP_A_REUSED_PORTS`).
#[inline]
pub(crate) fn step_bases(bases: &mut impl BaseStore, from: usize, s: &Seg) -> BaseStep {
    let (f, r) = (from & 1, 1 - (from & 1));
    let mut step = BaseStep::default();
    if s.flags.contains(TcpFlags::SYN) {
        if let Some(base) = bases.base(f) {
            if s.flags.contains(TcpFlags::ACK) {
                step.synack_moved = base != s.seq;
            } else {
                step.syn_again = true;
            }
        }
        bases.set_base(f, s.seq);
    } else if bases.base(f).is_none() {
        bases.set_base(f, s.seq.wrapping_sub(1));
    }
    if s.flags.contains(TcpFlags::ACK) && bases.base(r).is_none() {
        bases.set_base(r, s.ack.wrapping_sub(1));
    }
    step
}

/// A time in two 4-byte words, so that [`FlowSeq`] needs no 8-byte alignment (and the two
/// directions pack without padding).
#[derive(Debug, Clone, Copy, Default)]
struct SplitTime([u32; 2]);

impl SplitTime {
    fn get(self) -> i64 {
        (u64::from(self.0[0]) | u64::from(self.0[1]) << 32) as i64
    }

    fn set(&mut self, t: i64) {
        *self = SplitTime([t as u32, (t as u64 >> 32) as u32]);
    }
}

/// The bits of [`FlowSeq::bits`] above its window scale.
mod bit {
    /// The window scale's code: 0 unknown, 1 not used, 2 + the shift.
    pub const SCALE: u16 = 0x1f;
    /// `valid_bif` (bytes in flight are counted).
    pub const VALID_BIF: u16 = 1 << 5;
    /// `is_first_ack`: no ACK without SYN since this direction's last SYN (issue 14690's
    /// window rule).
    pub const FIRST_ACK: u16 = 1 << 6;
    /// The two of `lastsegmentflags` Wireshark reads: the last segment was a keep-alive, a
    /// zero-window probe.
    pub const LAST_KEEP_ALIVE: u16 = 1 << 7;
    pub const LAST_ZERO_WINDOW_PROBE: u16 = 1 << 8;
    /// This direction sent a segment: its window and `lastack` are set.
    pub const SENT: u16 = 1 << 9;
    /// This direction sent the conversation's last segment: its `lastacktime` is the
    /// caller's time of that segment (see [`super::SeqState::advance`]).
    pub const SENT_LAST: u16 = 1 << 10;
    /// `ts_first_rtt` is known (set in both directions; see `SeqState::rtt`).
    pub const RTT_KNOWN: u16 = 1 << 11;
}

/// One direction's sequence-analysis state (Wireshark's `tcp_flow_t` with its
/// `tcp_analyze_seq_flow_info_t`), 0 meaning unset where Wireshark uses 0 that way, in 28
/// bytes. Its base is the caller's ([`Bases`]), its `lastacktime` the conversation's
/// ([`SeqState`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlowSeq {
    pub nextseq: u32,
    nextseq_time: SplitTime,
    pub maxseqtobeacked: u32,
    pub lastack: u32,
    /// Duplicate ACKs sent in this direction; -1 after an ACK of unseen data in the other
    /// direction while this one was stalled ("neutralised" by the next duplicate ACK).
    pub dupacknum: i32,
    /// The last segment's window as sent (unscaled), when `bit::SENT`.
    window: u16,
    /// The window scale and the flags (`bit`).
    bits: u16,
}

impl Default for FlowSeq {
    fn default() -> Self {
        // init_tcp_conversation_data: window G_MAXUINT32 (no `SENT`), valid_bif 1, the rest
        // zero.
        FlowSeq {
            nextseq: 0,
            nextseq_time: SplitTime::default(),
            maxseqtobeacked: 0,
            lastack: 0,
            dupacknum: 0,
            window: 0,
            bits: bit::VALID_BIF,
        }
    }
}

impl FlowSeq {
    fn is(&self, b: u16) -> bool {
        self.bits & b != 0
    }

    fn put(&mut self, b: u16, on: bool) {
        if on {
            self.bits |= b;
        } else {
            self.bits &= !b;
        }
    }

    /// The window scale as Wireshark knows it.
    pub(crate) fn scale(&self) -> WindowScale {
        match self.bits & bit::SCALE {
            0 => WindowScale::Unknown,
            1 => WindowScale::NotUsed,
            code => WindowScale::Shift((code - 2) as u8),
        }
    }

    fn set_scale(&mut self, scale: WindowScale) {
        let code = match scale {
            WindowScale::Unknown => 0,
            WindowScale::NotUsed => 1,
            // dissect_tcpopt_wscale: a shift over 14 is taken as 14 (RFC 1323).
            WindowScale::Shift(s) => 2 + u16::from(s.min(14)),
        };
        self.bits = (self.bits & !bit::SCALE) | code;
    }

    /// The last segment's window as sent, `u32::MAX` before the first (Wireshark's
    /// `G_MAXUINT32`).
    fn window(&self) -> u32 {
        if self.is(bit::SENT) {
            u32::from(self.window)
        } else {
            u32::MAX
        }
    }
}

/// A segment not yet acknowledged (Wireshark's `tcp_unacked_t`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unacked {
    seq: u32,
    nextseq: u32,
}

/// Wireshark keeps at most this many unacknowledged segments per direction
/// (`TCP_MAX_UNACKED_SEGMENTS`, packet-tcp.h).
const MAX_UNACKED: usize = 10_000;

/// Each direction's unacknowledged segments, newest last.
pub(crate) type UnackedLists = [Vec<Unacked>; 2];

/// What one frame's analysis found.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Outcome {
    /// Wireshark's `ta->flags`.
    pub flags: A,
    /// `tcp.analysis.duplicate_ack_num`.
    pub dupack_num: u32,
    /// Whether Wireshark made the frame's `tcp_acked` record, which is what makes
    /// `tcp_print_sequence_number_analysis` show the SEQ/ACK analysis tree (and in it
    /// `tcp.analysis.initial_rtt`).
    pub tree: bool,
}

impl Outcome {
    fn set(&mut self, flag: A) {
        self.flags |= flag;
        self.tree = true;
    }
}

/// The per-conversation state of the analysis (both directions): what the
/// [`Tracker`](crate::track::Tracker) keeps per connection, 72 bytes on two cache lines.
/// What the caller holds is not repeated here: the bases ([`Bases`]) and the time of the
/// conversation's last segment, the `lastacktime` of the direction that sent it.
#[derive(Debug, Clone, Default)]
#[repr(C)]
pub(crate) struct SeqState {
    flows: [FlowSeq; 2],
    /// The `lastacktime` of the direction that did not send the last segment (0 before it
    /// sent one).
    other_lastack_time: i64,
    /// `ts_mru_syn` (0 when unset, `nstime_is_zero`) until `ts_first_rtt` is known
    /// (`bit::RTT_KNOWN`), then `ts_first_rtt`: Wireshark reads the first only to compute
    /// the second, once. A zero RTT counts as none, as in Wireshark.
    rtt: i64,
}

impl SeqState {
    /// Prefetches the lines a segment reads (see `Tracker::prefetch`): its first and last
    /// fields (72 bytes, 8-aligned, span two lines).
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        crate::track::table::prefetch(&self.flows[0]);
        crate::track::table::prefetch(&self.rtt);
    }

    /// The initial RTT in nanoseconds, once known.
    pub(crate) fn first_rtt(&self) -> Option<i64> {
        self.flows[0].is(bit::RTT_KNOWN).then_some(self.rtt)
    }

    /// Side `side`'s window scale, as known before the next segment.
    pub(crate) fn scale(&self, side: usize) -> WindowScale {
        self.flows[side & 1].scale()
    }

    /// Swaps the two directions (the tracker's roles flipped).
    pub(crate) fn flip(&mut self) {
        self.flows.swap(0, 1);
    }

    /// Side `side`'s `lastacktime`, given `prev`, the time of the conversation's last segment.
    fn lastack_time(&self, side: usize, prev: i64) -> i64 {
        let f = &self.flows[side];
        if f.is(bit::SENT_LAST) {
            prev
        } else if f.is(bit::SENT) {
            self.other_lastack_time
        } else {
            0
        }
    }

    /// Analyses a segment sent by side `from` for the tracker, which needs only the flags
    /// and the duplicate-ACK number (see [`SeqState::advance`]).
    pub(crate) fn segment_flags(&mut self, from: usize, s: &Seg, step: BaseStep, prev: i64) -> (A, u32) {
        let out = self.advance(from & 1, s, step, prev, None);
        (out.flags, out.dupack_num)
    }

    /// Every state change one frame makes, in `dissect_tcp`'s order. `step` is what the
    /// segment did to the caller's bases ([`Bases::step`]), `prev` the time of the
    /// conversation's previous segment (any value before the first): the caller passes
    /// every segment of the conversation, in order.
    pub(crate) fn advance(
        &mut self,
        from: usize,
        s: &Seg,
        step: BaseStep,
        prev: i64,
        unacked: Option<&mut UnackedLists>,
    ) -> Outcome {
        let to = 1 - from;
        let mut out = Outcome::default();
        // dissect_tcp before the analysis: a repeated SYN puts `nextseq` back to
        // `maxseqtobeacked` (issue 17616) and makes the frame's record; a SYN-ACK that moved
        // its base is flagged.
        if step.syn_again {
            let fwd = &mut self.flows[from];
            fwd.nextseq = fwd.maxseqtobeacked;
            out.tree = true;
        }
        if step.synack_moved {
            out.set(A::REUSED_PORTS);
        }
        let rev_lastack_time = self.lastack_time(to, prev);
        self.analyze(from, s, rev_lastack_time, unacked, &mut out);
        self.sent(from, prev);
        self.after_analysis(from, to, s);
        out
    }

    /// Side `from` sent the conversation's last segment: the other's `lastacktime` leaves
    /// the caller's time for `other_lastack_time`.
    fn sent(&mut self, from: usize, prev: i64) {
        let to = 1 - from;
        if !self.flows[from].is(bit::SENT_LAST) {
            self.other_lastack_time = self.lastack_time(to, prev);
        }
        self.flows[from].put(bit::SENT | bit::SENT_LAST, true);
        self.flows[to].put(bit::SENT_LAST, false);
    }

    /// `tcp_analyze_sequence_number`, with the segment's window as sent.
    fn analyze(
        &mut self,
        from: usize,
        s: &Seg,
        rev_lastack_time: i64,
        unacked: Option<&mut UnackedLists>,
        out: &mut Outcome,
    ) {
        let ooo_thres = match self.first_rtt() {
            None => 3_000_000,
            Some(rtt) => rtt as u64,
        };
        let [a, b] = &mut self.flows;
        let (fwd, rev) = if from == 0 { (a, b) } else { (b, a) };
        if s.flags.contains(TcpFlags::ACK) {
            rev.put(bit::VALID_BIF, true);
        }
        forward_checks(fwd, rev, s, out);
        // finished_fwd: a new ACK number resets the duplicate-ACK count.
        if s.ack != fwd.lastack {
            fwd.dupacknum = 0;
        }
        acked_unseen(rev, s, out);
        retransmission_checks(fwd, rev, s, (rev_lastack_time, ooo_thres), out);
        let (mine, theirs) = match unacked {
            Some([l0, l1]) => {
                let (m, t) = if from == 0 { (l0, l1) } else { (l1, l0) };
                (Some(m), Some(t))
            }
            None => (None, None),
        };
        record(fwd, s, out, mine.as_deref());
        if let Some(list) = mine {
            // finished_checking_retransmission_type: the segment joins the list (bounded).
            if (s.len > 0 || s.syn_fin()) && list.len() < MAX_UNACKED {
                list.push(Unacked {
                    seq: s.seq,
                    nextseq: s.seq.wrapping_add(s.len).wrapping_add(u32::from(s.syn_fin())),
                });
            }
            // Bytes in flight (tcp_track_bytes_in_flight, payload-based): a segment with
            // data, a non-empty list and valid_bif makes the frame's record, for
            // push_bytes_sent whatever the count.
            if s.len != 0 && !list.is_empty() && fwd.is(bit::VALID_BIF) {
                out.tree = true;
            }
        }
        if let Some(list) = theirs
            && remove_acked(list, s.ack)
        {
            out.tree = true;
        }
    }

    /// `dissect_tcp` after the analysis: the window scale of a SYN's option and
    /// `verify_tcp_window_scaling`, `is_first_ack`, `ts_mru_syn` and `ts_first_rtt`.
    fn after_analysis(&mut self, from: usize, to: usize, s: &Seg) {
        let (syn, ack) = (s.flags.contains(TcpFlags::SYN), s.flags.contains(TcpFlags::ACK));
        let now = crate::Nanos::from(s.ts).get();
        let known = self.flows[0].is(bit::RTT_KNOWN);
        if syn {
            if let Some(shift) = s.wscale {
                self.flows[from].set_scale(WindowScale::Shift(shift));
            }
            if self.flows[from].scale() == WindowScale::Unknown {
                self.flows[from].set_scale(WindowScale::NotUsed);
                self.flows[to].set_scale(WindowScale::NotUsed);
            } else if ack && self.flows[to].scale() == WindowScale::NotUsed {
                self.flows[from].set_scale(WindowScale::NotUsed);
            }
            if !ack && !known {
                self.rtt = now;
            }
            self.flows[from].put(bit::FIRST_ACK, true);
        }
        if ack && !syn {
            if !known && self.rtt != 0 {
                let rtt = now.wrapping_sub(self.rtt);
                if rtt != 0 {
                    self.rtt = rtt;
                    self.flows[0].put(bit::RTT_KNOWN, true);
                    self.flows[1].put(bit::RTT_KNOWN, true);
                }
            }
            self.flows[from].put(bit::FIRST_ACK, false);
        }
    }
}

/// `tcp_analyze_sequence_number` up to `finished_fwd`, in its order: zero-window probe, zero
/// window, lost segment, keep-alive, window update, window full, keep-alive ACK, zero-window-
/// probe ACK, duplicate ACK.
fn forward_checks(fwd: &mut FlowSeq, rev: &FlowSeq, s: &Seg, out: &mut Outcome) {
    let (seq, ack, seglen, window) = (s.seq, s.ack, s.len, u32::from(s.window));
    if seglen == 1 && seq == fwd.nextseq && rev.window() == 0 {
        out.set(A::ZERO_WINDOW_PROBE);
        return;
    }
    let plain = !s.syn_fin_rst();
    if window == 0 && plain {
        out.set(A::ZERO_WINDOW);
    }
    if fwd.nextseq != 0 && gt(seq, fwd.nextseq) && !s.flags.contains(TcpFlags::RST) {
        out.set(A::LOST_SEGMENT);
        // Bytes in flight are disabled until an ACK comes the other way.
        fwd.put(bit::VALID_BIF, false);
    }
    if seglen <= 1 && seq == fwd.nextseq.wrapping_sub(1) && plain {
        out.set(A::KEEP_ALIVE);
    }
    // Nothing carried, at the next sequence, repeating the last acknowledgment.
    let same = seglen == 0 && seq == fwd.nextseq && ack == fwd.lastack && plain;
    if same && window != 0 && window != fwd.window() {
        out.set(A::WINDOW_UPDATE);
    }
    if seglen > 0 && rev.scale() != WindowScale::Unknown && plain {
        // The receiver's window as sent, scaled unless no ACK has come since its SYN.
        let shift = match rev.scale() {
            WindowScale::Shift(sh) if !rev.is(bit::FIRST_ACK) => u32::from(sh),
            _ => 0,
        };
        if seq.wrapping_add(seglen) == rev.lastack.wrapping_add(rev.window() << shift) {
            out.set(A::WINDOW_FULL);
        }
    }
    let same_window = same && window == fwd.window();
    if same_window && window != 0 && rev.is(bit::LAST_KEEP_ALIVE) {
        out.set(A::KEEP_ALIVE_ACK);
        return;
    }
    if same_window && window == 0 && rev.is(bit::LAST_ZERO_WINDOW_PROBE) {
        out.set(A::ZERO_WINDOW_PROBE_ACK);
        return;
    }
    if same_window && window != 0 {
        // A count "neutralised" by an ACK of unseen data starts again at one.
        fwd.dupacknum = if fwd.dupacknum == -1 { 1 } else { fwd.dupacknum + 1 };
        out.set(A::DUPLICATE_ACK);
        out.dupack_num = fwd.dupacknum as u32;
    }
}

/// "ACKED LOST PACKET": an ACK beyond what the other direction was seen to send. The record
/// is made whether or not the flag is set; the flag is given once per hole, and while the
/// other direction is stalled only if it has not yet been neutralised.
fn acked_unseen(rev: &mut FlowSeq, s: &Seg, out: &mut Outcome) {
    if rev.maxseqtobeacked == 0 || !gt(s.ack, rev.maxseqtobeacked) || !s.flags.contains(TcpFlags::ACK) {
        return;
    }
    out.tree = true;
    if lt(rev.maxseqtobeacked, rev.nextseq) {
        rev.maxseqtobeacked = rev.nextseq;
        out.set(A::ACK_LOST_SEGMENT);
    } else {
        if rev.dupacknum == 0 {
            out.set(A::ACK_LOST_SEGMENT);
        }
        rev.dupacknum = -1;
    }
}

/// "RETRANSMISSION/FAST RETRANSMISSION/OUT-OF-ORDER" for a segment with data, SYN or FIN:
/// not a keep-alive; spurious when all of it was acknowledged (whether or not it advances
/// the sequence); else, if it does not advance the sequence, fast retransmission (the
/// default precedence, `tcp_fastrt_precedence`), out of order within the initial RTT
/// (3 ms when unknown), or a retransmission. `times` is the other direction's
/// `lastacktime` and the out-of-order threshold.
fn retransmission_checks(fwd: &FlowSeq, rev: &FlowSeq, s: &Seg, times: (i64, u64), out: &mut Outcome) {
    let (rev_lastack_time, ooo_thres) = times;
    let (seq, seglen) = (s.seq, s.len);
    if !(seglen > 0 || s.syn_fin()) || out.flags.contains(A::KEEP_ALIVE) {
        return;
    }
    let mut not_advanced = fwd.nextseq != 0 && lt(seq, fwd.nextseq);
    // More than one byte from one below nextseq adds data (after a zero-window probe).
    if seglen > 1 && fwd.nextseq.wrapping_sub(1) == seq {
        not_advanced = false;
    }
    if seglen > 0 && rev.lastack != 0 && le(seq.wrapping_add(seglen), rev.lastack) {
        out.set(A::SPURIOUS_RETRANSMISSION);
        return;
    }
    let now = crate::Nanos::from(s.ts).get();
    if not_advanced && rev.dupacknum >= 2 && rev.lastack == seq && elapsed(now, rev_lastack_time) < 20_000_000 {
        out.set(A::FAST_RETRANSMISSION);
        return;
    }
    let end = seq.wrapping_add(seglen).wrapping_add(u32::from(s.syn_fin()));
    if not_advanced && elapsed(now, fwd.nextseq_time.get()) < ooo_thres && fwd.nextseq != end {
        out.set(A::OUT_OF_ORDER);
        return;
    }
    if not_advanced {
        out.set(A::RETRANSMISSION);
    }
}

/// `finished_checking_retransmission_type`: the highest next sequence, the highest
/// contiguous one to be acknowledged (neither moved by a zero-window probe), the window and
/// ACK as sent, and of the flags the two Wireshark reads again (its `lastacktime` is
/// [`SeqState::sent`]'s). `list` is the sender's unacknowledged segments before this
/// one joins them: when it is full, Wireshark's `nextseq` leaves out a SYN's or FIN's byte.
fn record(fwd: &mut FlowSeq, s: &Seg, out: &Outcome, list: Option<&Vec<Unacked>>) {
    let full = list.is_some_and(|l| l.len() >= MAX_UNACKED);
    let mut nextseq = s.seq.wrapping_add(s.len);
    if s.syn_fin() && !full {
        nextseq = nextseq.wrapping_add(1);
    }
    let zwp = out.flags.contains(A::ZERO_WINDOW_PROBE);
    let now = crate::Nanos::from(s.ts).get();
    if (gt(nextseq, fwd.nextseq) || fwd.nextseq == 0) && !zwp {
        fwd.nextseq = nextseq;
        fwd.nextseq_time.set(now);
    }
    if (s.seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !zwp {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = s.window;
    fwd.lastack = s.ack;
    fwd.put(bit::LAST_KEEP_ALIVE, out.flags.contains(A::KEEP_ALIVE));
    fwd.put(bit::LAST_ZERO_WINDOW_PROBE, zwp);
}

/// Removes from the other direction's list what `ack` acknowledges, newest first as
/// Wireshark walks it; returns whether it acknowledged a segment exactly (which makes the
/// frame's record, `tcp.analysis.acks_frame`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn seg(seq: u32, ack: u32, len: u32, flags: TcpFlags, micros: i64) -> Seg {
        Seg {
            seq,
            ack,
            len,
            flags,
            window: 100,
            wscale: None,
            ts: Timestamp::new(10, (micros * 1000) as u32),
        }
    }

    /// Runs `(side, segment)`s through a state as the tracker does; returns the last flags.
    fn run(segs: &[(usize, Seg)]) -> A {
        let (mut st, mut bases, mut prev, mut flags) = (SeqState::default(), Bases::default(), 0, A::empty());
        for (from, s) in segs {
            let step = step_bases(&mut bases, *from, s);
            flags = st.segment_flags(*from, s, step, prev).0;
            prev = crate::Nanos::from(s.ts).get();
        }
        flags
    }

    #[test]
    fn the_state_is_two_lines() {
        assert_eq!(core::mem::size_of::<FlowSeq>(), 28);
        assert_eq!(core::mem::size_of::<SeqState>(), 72);
        assert_eq!(core::mem::offset_of!(SeqState, rtt), 64);
    }

    /// A fast retransmission is one within 20 ms of the receiver's last ACK, whether that
    /// was the conversation's last segment (its time is the caller's) or the sender sent
    /// since (its time is kept): the 20 ms bound is exact in both.
    #[test]
    fn the_receivers_last_ack_time_is_exact_both_ways() {
        let (a, pa) = (TcpFlags::ACK, TcpFlags::ACK | TcpFlags::PSH);
        let mut segs = vec![
            (0, seg(1000, 1, 10, pa, 0)),
            (0, seg(1010, 1, 10, pa, 1000)),
            (1, seg(1, 1010, 0, a, 2000)),
            (1, seg(1, 1010, 0, a, 3000)),
            (1, seg(1, 1010, 0, a, 4000)),
        ];
        let retransmit = |micros| (0, seg(1010, 1, 10, pa, micros));
        for sender_sent_since in [false, true] {
            if sender_sent_since {
                segs.push((0, seg(1020, 1, 10, pa, 5000)));
            }
            let mut within = segs.clone();
            within.push(retransmit(4000 + 19_999));
            assert_eq!(run(&within), A::FAST_RETRANSMISSION, "sent since: {sender_sent_since}");
            let mut after = segs.clone();
            after.push(retransmit(4000 + 20_000));
            assert_eq!(run(&after), A::RETRANSMISSION, "sent since: {sender_sent_since}");
        }
    }
}
