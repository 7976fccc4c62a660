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

/// One direction's sequence-analysis state (Wireshark's `tcp_flow_t` with its
/// `tcp_analyze_seq_flow_info_t`), 0 meaning unset where Wireshark uses 0 that way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlowSeq {
    pub base_seq: u32,
    pub nextseq: u32,
    pub nextseq_time: i64,
    pub maxseqtobeacked: u32,
    pub lastack: u32,
    pub lastack_time: i64,
    /// Duplicate ACKs sent in this direction; -1 after an ACK of unseen data in the other
    /// direction while this one was stalled ("neutralised" by the next duplicate ACK).
    pub dupacknum: i32,
    /// The last segment's window as sent (unscaled); `u32::MAX` before the first.
    pub window: u32,
    pub scale: WindowScale,
    pub last_flags: A,
    pub base_set: bool,
    pub valid_bif: bool,
    /// No ACK without SYN since this direction's last SYN (issue 14690's window rule).
    pub is_first_ack: bool,
}

impl Default for FlowSeq {
    fn default() -> Self {
        // init_tcp_conversation_data: window G_MAXUINT32, valid_bif 1, the rest zero.
        FlowSeq {
            base_seq: 0,
            nextseq: 0,
            nextseq_time: 0,
            maxseqtobeacked: 0,
            lastack: 0,
            lastack_time: 0,
            dupacknum: 0,
            window: u32::MAX,
            scale: WindowScale::Unknown,
            last_flags: A::empty(),
            base_set: false,
            valid_bif: true,
            is_first_ack: false,
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
/// [`Tracker`](crate::track::Tracker) keeps per connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeqState {
    pub(crate) flows: [FlowSeq; 2],
    /// `ts_mru_syn`, 0 when unset (`nstime_is_zero`).
    mru_syn: i64,
    /// `ts_first_rtt`, 0 when unset: a zero RTT counts as none, as in Wireshark.
    first_rtt: i64,
}

impl SeqState {
    /// Prefetches the lines a segment reads (see `Tracker::prefetch`).
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        crate::track::table::prefetch(&self.flows[0]);
        crate::track::table::prefetch(&self.first_rtt);
    }

    /// The initial RTT in nanoseconds, once known (`ts_first_rtt` not zero).
    pub(crate) fn first_rtt(&self) -> Option<i64> {
        (self.first_rtt != 0).then_some(self.first_rtt)
    }

    /// Analyses a segment sent by side `from` for the tracker, which needs only the flags
    /// and the duplicate-ACK number.
    pub(crate) fn segment_flags(&mut self, from: usize, s: &Seg) -> (A, u32) {
        // A SYN with another sequence is a new conversation to Wireshark (dissect_tcp's
        // conversation_new, the Analyzer's part); the tracker keeps its connection (its own
        // reuse rule is Zeek's), and the sender's base moves to the SYN, as its own does.
        let f = &mut self.flows[from & 1];
        if s.flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN && f.base_set && f.base_seq != s.seq {
            f.base_seq = s.seq;
        }
        let out = self.advance(from & 1, s, None);
        (out.flags, out.dupack_num)
    }

    /// Every state change one frame makes, in `dissect_tcp`'s order.
    pub(crate) fn advance(&mut self, from: usize, s: &Seg, unacked: Option<&mut UnackedLists>) -> Outcome {
        let to = 1 - from;
        let mut out = Outcome::default();
        self.syn_preamble(from, s, &mut out);
        self.init_bases(from, to, s);
        self.analyze(from, s, unacked, &mut out);
        self.after_analysis(from, to, s);
        out
    }

    /// `dissect_tcp` before the analysis, for a SYN on a conversation whose sender's base is
    /// known (a SYN with another sequence starts a new conversation, [`super::Analyzer`]'s
    /// part): a repeated SYN puts `nextseq` back to `maxseqtobeacked` (issue 17616) and makes
    /// the frame's record; a SYN-ACK with another sequence moves the base and is flagged
    /// `TCP_A_REUSED_PORTS` (issue 16944).
    fn syn_preamble(&mut self, from: usize, s: &Seg, out: &mut Outcome) {
        let fwd = &mut self.flows[from];
        if !fwd.base_set || !s.flags.contains(TcpFlags::SYN) {
            return;
        }
        if !s.flags.contains(TcpFlags::ACK) {
            if s.seq == fwd.base_seq {
                fwd.nextseq = fwd.maxseqtobeacked;
                out.tree = true;
            }
        } else if s.seq != fwd.base_seq {
            fwd.base_seq = s.seq;
            out.set(A::REUSED_PORTS);
        }
    }

    /// `dissect_tcp`'s "initialize base_seq numbers": the SYN's sequence, or one below the
    /// first segment's; the receiver's from the first ACK.
    fn init_bases(&mut self, from: usize, to: usize, s: &Seg) {
        let fwd = &mut self.flows[from];
        if !fwd.base_set {
            fwd.base_seq = if s.flags.contains(TcpFlags::SYN) {
                s.seq
            } else {
                s.seq.wrapping_sub(1)
            };
            fwd.base_set = true;
        }
        let rev = &mut self.flows[to];
        if !rev.base_set && s.flags.contains(TcpFlags::ACK) {
            rev.base_seq = s.ack.wrapping_sub(1);
            rev.base_set = true;
        }
    }

    /// `tcp_analyze_sequence_number`, with the segment's window as sent.
    fn analyze(&mut self, from: usize, s: &Seg, unacked: Option<&mut UnackedLists>, out: &mut Outcome) {
        let [a, b] = &mut self.flows;
        let (fwd, rev) = if from == 0 { (a, b) } else { (b, a) };
        if s.flags.contains(TcpFlags::ACK) {
            rev.valid_bif = true;
        }
        forward_checks(fwd, rev, s, out);
        // finished_fwd: a new ACK number resets the duplicate-ACK count.
        if s.ack != fwd.lastack {
            fwd.dupacknum = 0;
        }
        acked_unseen(rev, s, out);
        let ooo_thres = match self.first_rtt {
            0 => 3_000_000,
            rtt => rtt as u64,
        };
        retransmission_checks(fwd, rev, s, ooo_thres, out);
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
            if s.len != 0 && !list.is_empty() && fwd.valid_bif {
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
        if syn {
            if let Some(shift) = s.wscale {
                // dissect_tcpopt_wscale: a shift over 14 is taken as 14 (RFC 1323).
                self.flows[from].scale = WindowScale::Shift(shift.min(14));
            }
            if self.flows[from].scale == WindowScale::Unknown {
                self.flows[from].scale = WindowScale::NotUsed;
                self.flows[to].scale = WindowScale::NotUsed;
            } else if ack && self.flows[to].scale == WindowScale::NotUsed {
                self.flows[from].scale = WindowScale::NotUsed;
            }
            if !ack {
                self.mru_syn = now;
            }
            self.flows[from].is_first_ack = true;
        }
        if ack && !syn {
            if self.mru_syn != 0 && self.first_rtt == 0 {
                self.first_rtt = now.wrapping_sub(self.mru_syn);
            }
            self.flows[from].is_first_ack = false;
        }
    }
}

/// `tcp_analyze_sequence_number` up to `finished_fwd`, in its order: zero-window probe, zero
/// window, lost segment, keep-alive, window update, window full, keep-alive ACK, zero-window-
/// probe ACK, duplicate ACK.
fn forward_checks(fwd: &mut FlowSeq, rev: &FlowSeq, s: &Seg, out: &mut Outcome) {
    let (seq, ack, seglen, window) = (s.seq, s.ack, s.len, u32::from(s.window));
    if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
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
        fwd.valid_bif = false;
    }
    if seglen <= 1 && seq == fwd.nextseq.wrapping_sub(1) && plain {
        out.set(A::KEEP_ALIVE);
    }
    // Nothing carried, at the next sequence, repeating the last acknowledgment.
    let same = seglen == 0 && seq == fwd.nextseq && ack == fwd.lastack && plain;
    if same && window != 0 && window != fwd.window {
        out.set(A::WINDOW_UPDATE);
    }
    if seglen > 0 && rev.scale != WindowScale::Unknown && plain {
        // The receiver's window as sent, scaled unless no ACK has come since its SYN.
        let shift = match rev.scale {
            WindowScale::Shift(sh) if !rev.is_first_ack => u32::from(sh),
            _ => 0,
        };
        if seq.wrapping_add(seglen) == rev.lastack.wrapping_add(rev.window << shift) {
            out.set(A::WINDOW_FULL);
        }
    }
    let same_window = same && window == fwd.window;
    if same_window && window != 0 && rev.last_flags.contains(A::KEEP_ALIVE) {
        out.set(A::KEEP_ALIVE_ACK);
        return;
    }
    if same_window && window == 0 && rev.last_flags.contains(A::ZERO_WINDOW_PROBE) {
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
/// (3 ms when unknown), or a retransmission.
fn retransmission_checks(fwd: &FlowSeq, rev: &FlowSeq, s: &Seg, ooo_thres: u64, out: &mut Outcome) {
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
    if not_advanced && rev.dupacknum >= 2 && rev.lastack == seq && elapsed(now, rev.lastack_time) < 20_000_000 {
        out.set(A::FAST_RETRANSMISSION);
        return;
    }
    let end = seq.wrapping_add(seglen).wrapping_add(u32::from(s.syn_fin()));
    if not_advanced && elapsed(now, fwd.nextseq_time) < ooo_thres && fwd.nextseq != end {
        out.set(A::OUT_OF_ORDER);
        return;
    }
    if not_advanced {
        out.set(A::RETRANSMISSION);
    }
}

/// `finished_checking_retransmission_type`: the highest next sequence, the highest
/// contiguous one to be acknowledged (neither moved by a zero-window probe), the window and
/// ACK as sent, and the flags. `list` is the sender's unacknowledged segments before this
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
        fwd.nextseq_time = now;
    }
    if (s.seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !zwp {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = u32::from(s.window);
    fwd.lastack = s.ack;
    fwd.lastack_time = now;
    fwd.last_flags = out.flags;
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
