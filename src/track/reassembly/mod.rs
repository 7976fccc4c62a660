//! TCP stream reassembly: one direction's bytes, in order, bounded, with gaps and overlaps as
//! Zeek and Suricata define them.
//!
//! A [`Reassembler`] follows one direction of a connection. Give it each segment that
//! direction sends ([`Reassembler::segment`]) and each acknowledgment the other direction
//! sends ([`Reassembler::ack`]); each call returns a [`Delivery`]: the [`Chunk`]s that became
//! ready, in stream order, each at its stream offset (64 bits: the first data byte is offset
//! 0, and offsets go on past the 32-bit sequence space's wrap).
//!
//! * **In order, no copy**: a segment that starts where the stream stands, with nothing
//!   buffered, is handed out as a slice of the segment's own payload.
//! * **Out of order, bounded**: a segment beyond a hole is copied into the direction's buffer
//!   (at most [`ReassemblyConfig::max_buffered`] bytes and
//!   [`ReassemblyConfig::max_segments`] segments), and delivered once the hole fills.
//! * **Gaps as Zeek defines them**: a hole is given up on when the receiver acknowledges past
//!   it — it was sent and received, the capture missed it (Zeek's `content_gap`,
//!   `TCP_Reassembler::Undelivered`): a [`Chunk::Gap`] of the missing length, then whatever
//!   was buffered above it.
//! * **Overlaps**: where a segment overlaps buffered bytes, [`OverlapPolicy`] decides which copy
//!   wins (first-wins by default, as Zeek and Wireshark; last-wins and Suricata's
//!   target-based policies as options). Where the overlapping bytes differ, the delivery says
//!   so ([`Delivery::inconsistent`], Zeek's `rexmit_inconsistency`, Suricata's
//!   `STREAM_REASSEMBLY_OVERLAP_DIFFERENT_DATA`); delivered bytes are compared too while kept
//!   ([`ReassemblyConfig::keep_unacked`]).
//! * **The end**: a FIN ends the stream once everything before it is delivered or given up
//!   ([`Chunk::End`]); a RST ends it at once, after what was buffered (holes as gaps).
//!   [`Reassembler::close`] does the same when the connection goes away.
//!
//! The payload of a SYN (TCP Fast Open) is stream data from offset 0. RST payload is not
//! stream data (RFC 9293 §3.5.3: diagnostic text). Urgent data follows [`UrgentPolicy`].
//!
//! When a cap is reached the reassembler *skips ahead*: it stops waiting for the holes
//! below the buffered data, delivers that data with a [`Chunk::Gap`] (cause
//! [`GapCause::Overflow`]) for each hole, and goes on; nothing it was given is dropped, and
//! its memory stays within the caps whatever the input ([`Delivery::overflowed`] says it
//! happened). The [`Tracker`](super::Tracker) applies a cap across all connections the same
//! way ([`ReassemblyConfig::max_total`]).
//!
//! ```
//! use std::net::Ipv4Addr;
//! use synack::track::reassembly::{Chunk, Reassembler, ReassemblyConfig};
//! use synack::track::{Endpoint, Segment};
//! use synack::wire::TcpFlags;
//!
//! let (client, server) = (Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 40000), Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 80));
//! let seg = |flags, seq, payload| Segment::new(client, server, flags, seq, 0).with_payload(payload);
//! let mut r = Reassembler::new(ReassemblyConfig::default());
//! let _ = r.segment(&seg(TcpFlags::SYN, 1000, &[]));
//! // "world" arrives before "hello ": buffered.
//! assert_eq!(r.segment(&seg(TcpFlags::ACK, 1007, b"world")).count(), 0);
//! // "hello " fills the hole: both come out, in order ("hello " without a copy).
//! let out: Vec<Chunk<'_>> = r.segment(&seg(TcpFlags::ACK, 1001, b"hello ")).collect();
//! assert_eq!(out, [
//!     Chunk::Data { offset: 0, bytes: b"hello " },
//!     Chunk::Data { offset: 6, bytes: b"world" },
//! ]);
//! // The FIN after the data ends the stream.
//! let end: Vec<_> = r.segment(&seg(TcpFlags::FIN | TcpFlags::ACK, 1012, &[])).collect();
//! assert!(matches!(end[..], [Chunk::End { offset: 11, .. }]));
//! // A hole the receiver acknowledges is a gap.
//! let mut r = Reassembler::new(ReassemblyConfig::default());
//! let _ = r.segment(&seg(TcpFlags::ACK, 5000, b"ab"));
//! let _ = r.segment(&seg(TcpFlags::ACK, 5004, b"ef"));
//! let out: Vec<_> = r.ack(5006).collect();
//! assert!(matches!(out[..], [Chunk::Gap { offset: 2, len: 2, .. }, Chunk::Data { offset: 4, bytes: b"ef" }]));
//! ```

mod policy;
pub(crate) mod stream;

pub use policy::OverlapPolicy;
pub use stream::Reassembler;

/// What urgent data (URG, the urgent pointer) does to the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UrgentPolicy {
    /// Urgent bytes stay in the stream where they were sent (Zeek, Wireshark, Suricata's
    /// default `inline`; a socket with `SO_OOBINLINE`). The default.
    #[default]
    Inline,
    /// The urgent byte (the one before the urgent pointer, as BSD and Linux read it: RFC
    /// 6093 §3.1) is taken out of the stream and handed out at once as [`Chunk::Urgent`];
    /// later bytes move down by one (Suricata's `oob`; what a socket without
    /// `SO_OOBINLINE` reads).
    OutOfBand,
}

/// The reassembler's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReassemblyConfig {
    /// Which copy of an overlapping byte wins.
    pub policy: OverlapPolicy,
    /// The most bytes one direction buffers (out-of-order data, the holes between, and the
    /// delivered bytes kept for [`ReassemblyConfig::keep_unacked`]). Default 1 MiB.
    pub max_buffered: usize,
    /// The most out-of-order segments one direction buffers. Default 4096.
    pub max_segments: usize,
    /// The most bytes all connections' directions buffer together, for the
    /// [`Tracker`](super::Tracker). Default 256 MiB (Suricata's `stream.reassembly.memcap`).
    pub max_total: usize,
    /// Keep delivered bytes until the receiver acknowledges them, to compare
    /// retransmissions with what was delivered (as Zeek keeps its blocks until acknowledged).
    /// Costs one copy of in-order data. Off by default: in-order data is never copied, and
    /// only overlaps with buffered data are compared.
    pub keep_unacked: bool,
    /// What urgent data does.
    pub urgent: UrgentPolicy,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            policy: OverlapPolicy::First,
            max_buffered: 1 << 20,
            max_segments: 4096,
            max_total: 256 << 20,
            keep_unacked: false,
            urgent: UrgentPolicy::Inline,
        }
    }
}

impl ReassemblyConfig {
    /// Sets [`ReassemblyConfig::policy`].
    pub fn with_policy(mut self, policy: OverlapPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`ReassemblyConfig::max_buffered`].
    pub fn with_max_buffered(mut self, bytes: usize) -> Self {
        self.max_buffered = bytes;
        self
    }

    /// Sets [`ReassemblyConfig::max_segments`].
    pub fn with_max_segments(mut self, n: usize) -> Self {
        self.max_segments = n;
        self
    }

    /// Sets [`ReassemblyConfig::max_total`].
    pub fn with_max_total(mut self, bytes: usize) -> Self {
        self.max_total = bytes;
        self
    }

    /// Sets [`ReassemblyConfig::keep_unacked`].
    pub fn with_keep_unacked(mut self, on: bool) -> Self {
        self.keep_unacked = on;
        self
    }

    /// Sets [`ReassemblyConfig::urgent`].
    pub fn with_urgent(mut self, policy: UrgentPolicy) -> Self {
        self.urgent = policy;
        self
    }
}

/// Why bytes of the stream are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GapCause {
    /// The receiver acknowledged past them: sent and received, but not captured (Zeek's
    /// content gap).
    Acknowledged,
    /// A buffer cap was reached and the reassembler stopped waiting for them.
    Overflow,
    /// The stream ended (RST, or [`Reassembler::close`]) before they came.
    Ended,
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndCause {
    /// The sender's FIN, everything before it delivered or given up.
    Fin,
    /// A RST from the sender.
    Reset,
    /// [`Reassembler::close`]: the connection went away (timed out, evicted, removed after
    /// its close or a RST, or the capture ended).
    Closed,
}

/// One piece of a direction's stream, at its offset (the first data byte is offset 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chunk<'a> {
    /// Bytes of the stream: a slice of the segment's payload when it came in order, else of
    /// the reassembler's buffer.
    Data {
        /// The offset of the first byte.
        offset: u64,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// Bytes the reassembler never got.
    Gap {
        /// The offset of the first missing byte.
        offset: u64,
        /// How many are missing.
        len: u64,
        /// Why.
        cause: GapCause,
    },
    /// An urgent byte taken out of the stream ([`UrgentPolicy::OutOfBand`]), handed out when
    /// it arrives; `offset` is where it was sent (the offset the next in-band byte takes).
    Urgent {
        /// Where it was sent.
        offset: u64,
        /// The byte.
        byte: u8,
    },
    /// The end of the stream: nothing follows.
    End {
        /// The offset one past the last byte.
        offset: u64,
        /// How it ended.
        cause: EndCause,
    },
}

/// A direction's counts so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReassemblyStats {
    /// Bytes delivered as [`Chunk::Data`].
    pub delivered: u64,
    /// Bytes delivered without a copy (a slice of the segment's payload).
    pub delivered_in_place: u64,
    /// Bytes given up on, as [`Chunk::Gap`].
    pub missing: u64,
    /// Segments that arrived beyond a hole and were buffered.
    pub out_of_order: u64,
    /// Segments that overlapped data buffered or kept.
    pub overlaps: u64,
    /// Segments whose overlapping bytes differed from the buffered or kept ones.
    pub inconsistent: u64,
    /// Times a cap made the reassembler skip ahead.
    pub overflows: u64,
    /// Segments that came after the end of the stream (ignored).
    pub after_end: u64,
}

/// What one segment or acknowledgment made ready: an iterator of [`Chunk`]s in stream
/// order, valid until the reassembler's next call.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    payload: &'a [u8],
    buffer: &'a [u8],
    buffer_offset: u64,
    outs: core::slice::Iter<'a, stream::Out>,
    inconsistent: bool,
    overflowed: bool,
}

impl<'a> Delivery<'a> {
    /// Returns true when bytes of this segment overlapped bytes buffered or kept and differed
    /// from them (Zeek's `rexmit_inconsistency`).
    pub fn inconsistent(&self) -> bool {
        self.inconsistent
    }

    /// Returns true when a cap made the reassembler skip ahead on this call (the gaps say
    /// where: [`GapCause::Overflow`]).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

impl<'a> Iterator for Delivery<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        use stream::Out;
        Some(match *self.outs.next()? {
            Out::Payload { offset, from, len } => Chunk::Data {
                offset,
                bytes: &self.payload[from as usize..(from + len) as usize],
            },
            Out::Buffer { offset, len } => {
                let at = (offset - self.buffer_offset) as usize;
                Chunk::Data {
                    offset,
                    bytes: &self.buffer[at..at + len as usize],
                }
            }
            Out::Gap { offset, len, cause } => Chunk::Gap { offset, len, cause },
            Out::Urgent { offset, byte } => Chunk::Urgent { offset, byte },
            Out::End { offset, cause } => Chunk::End { offset, cause },
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.outs.size_hint()
    }
}

impl ExactSizeIterator for Delivery<'_> {}
