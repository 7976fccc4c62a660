//! Batches: a run of frames whose table entries start loading together before the first of
//! them is observed, so that at a large table the cache misses of a batch overlap instead of
//! following one another (as DPDK's and VPP's flow tables batch their lookups). What the
//! tracker does with each frame is unchanged: a batch gives the events one frame by one
//! would, in the same order.

use std::collections::vec_deque::Drain;

use super::key::{FlowKey, Packed, PackedFlow};
use super::{ConnSummary, Event, StreamChunk, Tracker, discard};
use crate::Timestamp;
use crate::wire::Frame;

/// A good batch length: enough frames for their misses to overlap, few enough for what they
/// load to stay in the first-level cache until it is used.
pub const BATCH: usize = 32;

/// Below this much state in the table, it stays in the caches and a prefetch is work for
/// nothing: [`Tracker::observe_batch`] and the drivers skip it (measured with `cargo bench
/// --bench track`: at 1 000 connections the prefetch costs about 10 %, at 100 000 it gains
/// a few per cent, at a million it takes about 40 % off).
const PREFETCH_FROM_BYTES: usize = 8 << 20;

impl Tracker {
    /// Whether the table holds enough state for prefetching to pay.
    #[inline]
    pub(crate) fn prefetch_pays(&self) -> bool {
        self.len().saturating_mul(self.bytes_per_connection()) >= PREFETCH_FROM_BYTES
    }

    /// Starts loading, without waiting, what observing `frame` will read of the table: the
    /// index's bucket (probed early), the connection's record and its sequence analysis and
    /// Zeek accounting when kept. A hint with no effect on what the tracker reports; call it
    /// for the next frames before observing them, or use [`Tracker::observe_batch`], which
    /// does. The prefetch is SSE's `prefetcht0` through the `safe_arch` crate on x86 and
    /// x86-64; elsewhere only the early probe touches memory.
    ///
    /// ```
    /// use synack::track::{Config, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// let frames: Vec<_> = synack::seed::FRAMES.iter().map(|f| (f.timestamp, parse_frame(f.bytes).unwrap())).collect();
    /// for (_, frame) in &frames {
    ///     tracker.prefetch(frame);
    /// }
    /// for (timestamp, frame) in &frames {
    ///     tracker.observe(*timestamp, frame);
    /// }
    /// assert_eq!(tracker.stats().frames, synack::seed::FRAMES.len() as u64);
    /// ```
    #[inline]
    pub fn prefetch(&self, frame: &Frame<'_>) {
        let flow = match Packed::endpoints_of(frame) {
            Some((s, d)) => PackedFlow::new(s, d),
            None => match FlowKey::of(frame).and_then(|key| self.packed_flow(&key)) {
                Some(flow) => flow,
                None => return,
            },
        };
        let Some(i) = self.table.prefetch(self.table.hash(flow)) else {
            return;
        };
        if let Some(s) = self.seqs.get(i as usize) {
            s.prefetch();
        }
        if let Some(z) = self.zeeks.get(i as usize) {
            z.prefetch();
        }
    }

    /// Observes a batch of frames in order, as [`Tracker::observe`] would one by one, after
    /// [`Tracker::prefetch`] on each (when the table is large enough for it to pay): `each`
    /// is given each frame's index in the batch, the events it caused and the summaries
    /// waiting after it ([`Tracker::drain_summaries`]), so events and summaries come in the
    /// order one frame at a time gives them. Batches of [`BATCH`] frames suit most machines.
    ///
    /// ```
    /// use synack::track::{Config, EventKind, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// let frames: Vec<_> = synack::seed::FRAMES.iter().map(|f| (f.timestamp, parse_frame(f.bytes).unwrap())).collect();
    /// let mut established = 0;
    /// let mut summaries = Vec::new();
    /// tracker.observe_batch(&frames, |_, events, finished| {
    ///     established += events.iter().filter(|e| matches!(e.kind, EventKind::Established { .. })).count();
    ///     summaries.extend(finished);
    /// });
    /// summaries.extend(tracker.finish());
    /// assert_eq!((established, summaries.len()), (1, 1));
    /// ```
    pub fn observe_batch<F>(&mut self, batch: &[(Timestamp, Frame<'_>)], each: F)
    where
        F: FnMut(usize, &[Event], Drain<'_, ConnSummary>),
    {
        self.observe_batch_with(batch, each, &mut discard);
    }

    /// [`Tracker::observe_batch`], the stream chunks given to `sink` as
    /// [`Tracker::observe_with`] gives them.
    pub fn observe_batch_with<F>(
        &mut self,
        batch: &[(Timestamp, Frame<'_>)],
        mut each: F,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) where
        F: FnMut(usize, &[Event], Drain<'_, ConnSummary>),
    {
        if self.prefetch_pays() {
            for (_, frame) in batch {
                self.prefetch(frame);
            }
        }
        for (k, (timestamp, frame)) in batch.iter().enumerate() {
            self.observe_with(*timestamp, frame, sink);
            each(k, &self.events, self.finished.drain(..));
        }
    }
}
