//! The tracker's streams ([`Config::reassembly`](super::Config::reassembly)): two
//! [`Reassembler`]s per connection, fed with each segment and acknowledgment, their chunks
//! handed to the caller's function with the connection they belong to.

use std::vec::Vec;

use super::event::ConnId;
use super::key::{ConnKey, Direction};
use super::reassembly::stream::Out;
use super::reassembly::{Chunk, Delivery, Reassembler, ReassemblyConfig};
use crate::wire::TcpFlags;

/// One piece of one direction of a connection's stream, as the tracker hands it out.
///
/// ```
/// use synack::track::reassembly::{Chunk, ReassemblyConfig};
/// use synack::track::{Config, Direction, Tracker};
/// use synack::wire::parse_frame;
///
/// let mut tracker = Tracker::new(Config::default().with_reassembly(ReassemblyConfig::default()));
/// let mut sent = Vec::new();
/// for seed in synack::seed::FRAMES {
///     tracker.observe_with(seed.timestamp, &parse_frame(seed.bytes)?, &mut |c| {
///         if let (Direction::ClientToServer, Chunk::Data { bytes, .. }) = (c.direction, c.chunk) {
///             sent.extend_from_slice(bytes);
///         }
///     });
/// }
/// assert_eq!(sent, b"11111"); // the lab client's five bytes
/// # Ok::<(), synack::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamChunk<'a> {
    /// The connection.
    pub conn: ConnId,
    /// Its endpoints, with the roles as known then.
    pub key: ConnKey,
    /// Which direction's stream: the client's bytes to the server, or the server's.
    pub direction: Direction,
    /// The piece.
    pub chunk: Chunk<'a>,
}

/// A chunk of a stream closed inside the tracker, waiting for the caller's function (its
/// bytes in the arena).
#[derive(Debug, Clone, Copy)]
enum Held {
    Data { offset: u64, from: usize, len: usize },
    Other(Chunk<'static>),
}

/// What a segment did to the streams that the tracker reports as anomalies.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Outcome {
    pub inconsistent: bool,
    pub overflowed: bool,
}

/// The connection a chunk belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owner {
    pub conn: ConnId,
    pub key: ConnKey,
}

/// Every slot's pair of reassemblers, [client to server, server to client].
#[derive(Debug)]
pub(super) struct Streams {
    config: ReassemblyConfig,
    pairs: Vec<[Reassembler; 2]>,
    /// The bytes all reassemblers buffer.
    total: usize,
    held: Vec<(Owner, Direction, Held)>,
    arena: Vec<u8>,
    /// The one list of chunks lent to the reassembler at work (`Reassembler::swap_outs`).
    outs: Vec<Out>,
}

impl Streams {
    pub(super) fn new(config: ReassemblyConfig) -> Self {
        Streams {
            config,
            pairs: Vec::new(),
            total: 0,
            held: Vec::new(),
            arena: Vec::new(),
            outs: Vec::new(),
        }
    }

    /// The bytes a connection's pair takes, buffers aside.
    pub(super) const PAIR_SIZE: usize = 2 * core::mem::size_of::<Reassembler>();

    /// Returns the bytes all reassemblers buffer now.
    pub(super) fn buffered(&self) -> usize {
        self.total
    }

    /// A new connection in slot `i`.
    pub(super) fn open(&mut self, i: u32) {
        match self.pairs.get_mut(i as usize) {
            Some(pair) => {
                for r in pair {
                    self.total -= r.buffered();
                    r.reset();
                }
            }
            None => self
                .pairs
                .push([Reassembler::new(self.config), Reassembler::new(self.config)]),
        }
    }

    /// Zeek swapped the roles of slot `i`'s connection.
    pub(super) fn flip(&mut self, i: u32) {
        if let Some(pair) = self.pairs.get_mut(i as usize) {
            pair.swap(0, 1);
        }
    }

    /// A segment from `dir` (its ACK first, for the other direction; then its payload),
    /// the connection's chunks handed to `sink`. A RST is taken only when the receiver would
    /// accept it (`rst_accepted`, RFC 5961), and ends the sender's direction only: the other
    /// side's data after it is still its stream's, as Zeek gives it (`TCPSessionAdapter::
    /// DeliverPacket` hands any segment without RST to its endpoint's reassembler, whatever
    /// the peer's state) and Wireshark follows it; that stream ends when the connection goes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn segment(
        &mut self,
        i: u32,
        owner: &dyn Fn() -> Owner,
        dir: Direction,
        seg: &super::analysis::Seg,
        urgent_ptr: u16,
        payload: &[u8],
        rst_accepted: bool,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        let Some(pair) = self.pairs.get_mut(i as usize) else {
            return outcome;
        };
        let (s, r) = (dir.index(), 1 - dir.index());
        let rst = seg.flags.contains(TcpFlags::RST);
        if rst && !rst_accepted {
            return outcome;
        }
        let before = pair[0].buffered() + pair[1].buffered();
        let outs = &mut self.outs;
        if seg.flags.contains(TcpFlags::ACK) && !rst {
            lend(&mut pair[r], outs, |r| {
                hand(r.ack(seg.ack), owner, dir.reverse(), sink, &mut outcome)
            });
        }
        lend(&mut pair[s], outs, |r| {
            let d = r.take(seg.seq, seg.flags, urgent_ptr, payload, seg.len);
            hand(d, owner, dir, sink, &mut outcome)
        });
        let after = pair[0].buffered() + pair[1].buffered();
        self.total = self.total + after - before;
        if self.total > self.config.max_total {
            // Past the cap across connections: this direction stops waiting for its holes.
            let was = pair[s].buffered();
            lend(&mut pair[s], outs, |r| hand(r.flush(), owner, dir, sink, &mut outcome));
            self.total = self.total + pair[s].buffered() - was;
        }
        outcome
    }

    /// Slot `i`'s connection goes away: both streams close, their chunks held (copied) for
    /// the next [`Streams::hand_held`].
    pub(super) fn close(&mut self, i: u32, owner: Owner) {
        let Some(pair) = self.pairs.get_mut(i as usize) else {
            return;
        };
        for (k, r) in pair.iter_mut().enumerate() {
            let dir = if k == 0 {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            };
            self.total -= r.buffered();
            for chunk in r.close() {
                let held = match chunk {
                    Chunk::Data { offset, bytes } => {
                        self.arena.extend_from_slice(bytes);
                        Held::Data {
                            offset,
                            from: self.arena.len() - bytes.len(),
                            len: bytes.len(),
                        }
                    }
                    Chunk::Gap { offset, len, cause } => Held::Other(Chunk::Gap { offset, len, cause }),
                    Chunk::Urgent { offset, byte } => Held::Other(Chunk::Urgent { offset, byte }),
                    Chunk::End { offset, cause } => Held::Other(Chunk::End { offset, cause }),
                };
                self.held.push((owner, dir, held));
            }
            r.reset();
        }
    }

    /// Hands the chunks of streams closed inside the tracker to `sink`.
    pub(super) fn hand_held(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        for &(owner, direction, held) in &self.held {
            let chunk = match held {
                Held::Data { offset, from, len } => Chunk::Data {
                    offset,
                    bytes: &self.arena[from..from + len],
                },
                Held::Other(c) => c,
            };
            sink(StreamChunk {
                conn: owner.conn,
                key: owner.key,
                direction,
                chunk,
            });
        }
        self.held.clear();
        self.arena.clear();
        if self.arena.capacity() > 1 << 20 {
            self.arena.shrink_to(1 << 20);
        }
    }
}

/// Runs `f` on reassembler `r` with the shared list of chunks lent to it, then lets go of
/// what it handed out (consumed by then: its buffer space goes now).
fn lend(r: &mut Reassembler, outs: &mut Vec<Out>, f: impl FnOnce(&mut Reassembler)) {
    r.swap_outs(outs);
    f(r);
    r.swap_outs(outs);
    r.release();
}

/// Hands one delivery's chunks to `sink` (the connection they belong to made only then).
fn hand(
    d: Delivery<'_>,
    owner: &dyn Fn() -> Owner,
    direction: Direction,
    sink: &mut dyn FnMut(StreamChunk<'_>),
    o: &mut Outcome,
) {
    o.inconsistent |= d.inconsistent();
    o.overflowed |= d.overflowed();
    if d.len() == 0 {
        return;
    }
    let owner = owner();
    for chunk in d {
        sink(StreamChunk {
            conn: owner.conn,
            key: owner.key,
            direction,
            chunk,
        });
    }
}

use super::process::Processed;
use super::{Anomaly, Event, EventKind, Parts, Tracker};

impl Tracker {
    /// The bytes of the two reassemblers kept for each connection when
    /// [`Config::reassembly`](super::Config::reassembly) is on (their buffers aside: see [`Tracker::stream_buffered`]).
    pub const STREAMS_SIZE: usize = Streams::PAIR_SIZE;

    /// Returns the bytes the streams buffer now, across connections (0 without
    /// [`Config::reassembly`](super::Config::reassembly); never above its `max_total` after a call).
    pub fn stream_buffered(&self) -> usize {
        self.streams.as_ref().map_or(0, Streams::buffered)
    }

    /// Gives the chunks of streams closed inside the tracker to `sink`.
    pub(super) fn hand_held(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        if let Some(streams) = &mut self.streams {
            streams.hand_held(sink);
        }
    }

    /// The segment's turn in the connection's streams, with the anomalies they find.
    pub(super) fn streams_step(
        &mut self,
        idx: u32,
        done: Processed,
        p: &Parts<'_>,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) {
        let Some(streams) = &mut self.streams else {
            return;
        };
        if done.flipped {
            streams.flip(idx);
        }
        let (table, v6) = (&self.table, &self.v6);
        let owner = || {
            let c = table.get(idx);
            Owner {
                conn: c.id(),
                key: c.public_key(v6),
            }
        };
        let (seg, urgent, payload) = (&p.seg, p.urgent_ptr, p.payload);
        let outcome = streams.segment(idx, &owner, done.dir, seg, urgent, payload, done.rst_accepted, sink);
        if !(outcome.inconsistent || outcome.overflowed) {
            return;
        }
        let owner = owner();
        for (on, anomaly) in [
            (outcome.inconsistent, Anomaly::InconsistentRetransmission),
            (outcome.overflowed, Anomaly::StreamOverflow),
        ] {
            if on {
                self.events.push(Event {
                    conn: owner.conn,
                    key: owner.key,
                    timestamp: p.seg.ts,
                    direction: done.dir,
                    frame: self.stats.frames,
                    kind: EventKind::Anomaly(anomaly),
                });
            }
        }
    }
}
