//! Wireshark's TCP sequence analysis (`tcp.analysis.*`), relative sequence numbers and
//! window scaling, computed per segment as Wireshark 4.0 does it in one pass.
//!
//! [`Conversation`] holds the state of one conversation (both directions);
//! [`Analyzer`] numbers conversations as `tcp.stream` does and keeps them all, for
//! offline dissection (`dissect --fields`). The [`Tracker`](super::Tracker) embeds the
//! same per-direction state to report anomalies as events.

use core::time::Duration;

use bitflags::bitflags;

mod sequence;

use sequence::Bases;
use sequence::UnackedLists;
pub(crate) use sequence::{BaseStore, SeqState, step_bases};

use super::key::{Endpoint, FlowKey};
use crate::Timestamp;
use crate::wire::{Frame, SynOptions, TcpFlags, TcpHeader};

/// An RTT in nanoseconds as a duration (a negative one, from time running backwards, as 0).
fn rtt_duration(n: i64) -> Duration {
    Duration::from_nanos(n.max(0) as u64)
}

bitflags! {
    /// Wireshark's `tcp.analysis.*` flags for one segment (its `ta->flags`): one of the
    /// retransmission kinds at most. tshark shows `tcp.analysis.retransmission` on a fast or
    /// spurious retransmission too ([`AnalysisFlags::is_retransmission`]).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AnalysisFlags: u16 {
        /// `tcp.analysis.retransmission`: data (or SYN/FIN) that does not advance the sequence,
        /// neither fast, spurious nor out of order.
        const RETRANSMISSION = 1 << 0;
        /// `tcp.analysis.fast_retransmission`: a retransmission after two or more duplicate ACKs, within 20 ms.
        const FAST_RETRANSMISSION = 1 << 1;
        /// `tcp.analysis.spurious_retransmission`: data the receiver had already acknowledged.
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
    /// Whether tshark shows `tcp.analysis.retransmission`: a retransmission, fast or
    /// spurious (`tcp_sequence_number_analysis_print_retransmission` adds the
    /// retransmission expert to all three).
    pub fn is_retransmission(self) -> bool {
        self.intersects(Self::RETRANSMISSION | Self::FAST_RETRANSMISSION | Self::SPURIOUS_RETRANSMISSION)
    }

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

/// The analysis state of one conversation, both directions.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub(crate) seq: SeqState,
    bases: Bases,
    /// The time of its last segment (what [`SeqState::advance`] needs).
    last: i64,
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

    /// A conversation Wireshark starts for a SYN with a new sequence on known ports: its
    /// completeness starts as a SYN, and its first frame counts as a later one.
    fn reused(track_acks: bool) -> Self {
        Conversation {
            completeness: completeness::SYN,
            frames: 1,
            ..Conversation::new(track_acks)
        }
    }

    /// Returns the initial round-trip time (SYN to the ACK of the SYN-ACK), once known.
    pub fn initial_rtt(&self) -> Option<Duration> {
        self.seq.first_rtt().map(rtt_duration)
    }

    /// Analyses a segment sent by side `from` (0 or 1; the other side is `1 - from`).
    pub(crate) fn segment(&mut self, from: usize, s: &Seg) -> SegmentAnalysis {
        let from = from & 1;
        let to = 1 - from;
        // tcp.completeness is shown before this frame adds to it.
        let completeness = self.completeness;
        self.add_completeness(s);
        // The window is scaled by what was known before this frame's options.
        let scale = self.seq.scale(from);
        let step = step_bases(&mut self.bases, from, s);
        let out = self.seq.advance(from, s, step, self.last, self.unacked.as_deref_mut());
        self.last = crate::Nanos::from(s.ts).get();
        let syn = s.flags.contains(TcpFlags::SYN);
        let window = match (syn, scale) {
            (false, WindowScale::Shift(sh)) => u32::from(s.window) << sh,
            _ => u32::from(s.window),
        };
        let bases = self.bases.seq;
        let rel_seq = s.seq.wrapping_sub(bases[from]);
        let nxt = rel_seq.wrapping_add(s.len).wrapping_add(u32::from(s.syn_fin()));
        SegmentAnalysis {
            stream: 0,
            seq: rel_seq,
            ack: s.flags.contains(TcpFlags::ACK).then(|| s.ack.wrapping_sub(bases[to])),
            nxtseq: Some(nxt),
            window_size: window,
            scale: (!syn).then_some(scale),
            peer_base: bases[to],
            flags: out.flags,
            dupack_num: out.dupack_num,
            initial_rtt: if out.tree { self.initial_rtt() } else { None },
            completeness,
        }
    }

    /// `dissect_tcp`'s "initialize or move forward the conversation completeness": in a new
    /// conversation only a pure SYN counts (with data: Fast Open); later, a SYN-ACK, an ACK
    /// without SYN (data or not), a FIN with ACK, a RST.
    fn add_completeness(&mut self, s: &Seg) {
        let f = s.flags;
        let syn_ack = f & (TcpFlags::SYN | TcpFlags::ACK);
        let c = &mut self.completeness;
        if self.frames == 0 {
            if syn_ack == TcpFlags::SYN {
                *c |= completeness::SYN;
                if s.len > 0 {
                    *c |= completeness::DATA;
                }
            }
        } else {
            if syn_ack == TcpFlags::SYN | TcpFlags::ACK {
                *c |= completeness::SYN_ACK;
            }
            if syn_ack == TcpFlags::ACK {
                *c |= if s.len > 0 {
                    completeness::DATA
                } else {
                    completeness::ACK
                };
            }
            if f.contains(TcpFlags::FIN | TcpFlags::ACK) {
                *c |= completeness::FIN;
            }
            if f.contains(TcpFlags::RST) {
                *c |= completeness::RST;
            }
        }
        self.frames = self.frames.saturating_add(1);
    }
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
                // A SYN with a new sequence number on a known conversation starts a new one.
                if seg.flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN
                    && conv.bases.set[from]
                    && conv.bases.seq[from] != seg.seq
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
                let conv = if reused {
                    Conversation::reused(true)
                } else {
                    Conversation::new(true)
                };
                self.conversations.push((src, conv));
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
        }
        Some(a)
    }
}
