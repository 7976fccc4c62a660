//! One direction's reassembler: where the stream stands, what it buffers, and what each call
//! makes ready.

use std::vec::Vec;

use super::{Delivery, EndCause, GapCause, ReassemblyConfig, ReassemblyStats, UrgentPolicy};
use crate::track::Segment;
use crate::wire::{SeqNumber, TcpFlags};

/// One chunk of a delivery, by where its bytes are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Out {
    /// `len` bytes of the call's payload from index `from`.
    Payload {
        offset: u64,
        from: u32,
        len: u32,
    },
    /// `len` bytes of the buffer at stream offset `offset`.
    Buffer {
        offset: u64,
        len: u64,
    },
    Gap {
        offset: u64,
        len: u64,
        cause: GapCause,
    },
    Urgent {
        offset: u64,
        byte: u8,
    },
    End {
        offset: u64,
        cause: EndCause,
    },
}

/// A segment's payload and the stream offset of its byte at `base`.
#[derive(Clone, Copy)]
struct Placed<'p> {
    payload: &'p [u8],
    base: usize,
    start: u64,
}

impl<'p> Placed<'p> {
    /// The index in the payload of offset `o` (at or after `start`).
    #[inline]
    fn index(self, o: u64) -> usize {
        self.base + (o - self.start) as usize
    }

    /// The bytes at offsets `[lo, hi)`.
    #[inline]
    fn slice(self, lo: u64, hi: u64) -> &'p [u8] {
        &self.payload[self.index(lo)..self.index(hi)]
    }
}

/// The most buffer space kept allocated by an idle direction.
const IDLE_CAPACITY: usize = 64 << 10;

/// One direction of a TCP connection, reassembled. See the [module docs](super).
#[derive(Debug, Clone)]
pub struct Reassembler {
    config: ReassemblyConfig,
    started: bool,
    ended: bool,
    /// A sequence number and the stream offset it stands for (the mapping of every other
    /// sequence number follows; moved to `next` on each call, so that it stays near the
    /// segments that come).
    anchor_seq: u32,
    anchor_off: u64,
    /// The next offset to deliver.
    next: u64,
    /// Offsets below this were acknowledged by the receiver.
    acked: u64,
    /// The buffer: `buf[head..]` holds offsets `[low, low + buf.len() - head)`.
    buf: Vec<u8>,
    head: usize,
    low: u64,
    /// The segments buffered above `next`: where their buffered bytes start and end, and
    /// where the segment started as sent (which the overlap policy reads), sorted.
    pieces: Vec<(u64, u64, u64)>,
    /// The longest buffered segment (bounds the search for overlaps).
    longest: u64,
    /// At least the end of every buffered segment.
    high: u64,
    /// Where the sender's FIN is, once seen.
    fin: Option<u64>,
    /// The lowest offset handed out from the buffer in this call (kept until the next call).
    pinned: u64,
    /// A scratch copy of an overlapping segment while the policy decides its bytes.
    scratch: Vec<u8>,
    outs: Vec<Out>,
    inconsistent: bool,
    overflowed: bool,
    stats: ReassemblyStats,
}

impl Reassembler {
    /// Returns a reassembler for one direction.
    pub fn new(config: ReassemblyConfig) -> Self {
        Reassembler {
            config,
            started: false,
            ended: false,
            anchor_seq: 0,
            anchor_off: 0,
            next: 0,
            acked: 0,
            buf: Vec::new(),
            head: 0,
            low: 0,
            pieces: Vec::new(),
            longest: 0,
            high: 0,
            fin: None,
            pinned: u64::MAX,
            scratch: Vec::new(),
            outs: Vec::new(),
            inconsistent: false,
            overflowed: false,
            stats: ReassemblyStats::default(),
        }
    }

    /// Returns the settings.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// Returns the counts so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.stats
    }

    /// Returns the offset of the next byte to deliver (the bytes delivered and given up so
    /// far).
    pub fn offset(&self) -> u64 {
        self.next
    }

    /// Returns the bytes buffered now (out-of-order data, the holes between, kept bytes):
    /// never more than [`ReassemblyConfig::max_buffered`].
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Returns how many out-of-order segments are buffered.
    pub fn buffered_segments(&self) -> usize {
        self.pieces.len()
    }

    /// Returns the buffered out-of-order data as it stands (the overlap policy applied): each
    /// run of bytes with no hole inside, at its offset, lowest first.
    pub fn buffered_data(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut i = 0;
        core::iter::from_fn(move || {
            let &(start, mut end, _) = self.pieces.get(i)?;
            i += 1;
            while let Some(&(s, e, _)) = self.pieces.get(i) {
                if s > end {
                    break;
                }
                end = end.max(e);
                i += 1;
            }
            let at = self.head + (start - self.low) as usize;
            Some((start, &self.buf[at..at + (end - start) as usize]))
        })
    }

    /// Returns true once the stream ended ([`super::Chunk::End`] was handed out).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Starts the stream at `isn`, the sequence number of the sender's SYN (its data starts
    /// one later), unless it already started. A stream first seen without a SYN starts at
    /// the first segment's sequence number, or one acknowledgment's.
    pub fn start(&mut self, isn: u32) {
        if !self.started {
            self.anchor(isn.wrapping_add(1));
        }
    }

    fn anchor(&mut self, seq: u32) {
        self.started = true;
        self.anchor_seq = seq;
        self.anchor_off = 0;
    }

    /// Takes one segment the direction sent (its sequence number, flags, urgent pointer,
    /// payload and length are read; a payload the capture cut short leaves a hole, given up
    /// on when acknowledged). Returns what became ready.
    pub fn segment<'a>(&'a mut self, seg: &Segment<'a>) -> Delivery<'a> {
        self.take(seg.seq, seg.flags, seg.urgent_ptr, seg.payload, seg.len)
    }

    /// Starts over, as [`Reassembler::new`] with the same settings, keeping the memory.
    pub fn reset(&mut self) {
        let (mut buf, mut pieces, mut scratch, mut outs) = (
            core::mem::take(&mut self.buf),
            core::mem::take(&mut self.pieces),
            core::mem::take(&mut self.scratch),
            core::mem::take(&mut self.outs),
        );
        buf.clear();
        pieces.clear();
        scratch.clear();
        outs.clear();
        if buf.capacity() > IDLE_CAPACITY {
            buf.shrink_to(IDLE_CAPACITY);
        }
        *self = Reassembler {
            buf,
            pieces,
            scratch,
            outs,
            ..Reassembler::new(self.config)
        };
    }

    /// Swaps its list of the chunks it makes ready with `outs`: a caller with many
    /// reassemblers that consumes each delivery before the next call lends them one list
    /// (no reassembler then holds one of its own).
    pub(crate) fn swap_outs(&mut self, outs: &mut Vec<Out>) {
        core::mem::swap(&mut self.outs, outs);
    }

    /// [`Reassembler::segment`] from its parts: `len` is the payload's length by the IP
    /// header (at least what was captured).
    pub(crate) fn take<'a>(
        &'a mut self,
        seq: u32,
        flags: TcpFlags,
        urgent_ptr: u16,
        payload: &'a [u8],
        len: u32,
    ) -> Delivery<'a> {
        self.begin();
        // The common cases first: data with no control flag, no FIN seen, nothing kept.
        let plain = flags & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST | TcpFlags::URG) == TcpFlags::empty();
        if plain
            && self.started
            && !self.ended
            && !self.config.keep_unacked
            && self.fin.is_none()
            && self.quick(seq, payload)
        {
            return self.delivery(payload);
        }
        let syn = flags.contains(TcpFlags::SYN);
        if !self.started || (syn && self.next == 0 && self.pieces.is_empty() && self.buffered() == 0) {
            self.anchor(seq.wrapping_add(u32::from(syn)));
        }
        if self.ended {
            self.stats.after_end += 1;
            return self.delivery(payload);
        }
        let data_seq = seq.wrapping_add(u32::from(syn));
        if flags.contains(TcpFlags::RST) {
            self.end_stream(EndCause::Reset);
            return self.delivery(payload);
        }
        let urgent = self.config.urgent == UrgentPolicy::OutOfBand && flags.contains(TcpFlags::URG);
        match usize::from(urgent_ptr).checked_sub(1) {
            Some(k)
                if urgent
                    && k < payload.len()
                    && self.offset_of(data_seq.wrapping_add(k as u32)) >= self.next as i128 =>
            {
                self.insert(data_seq, payload, 0..k);
                let at = data_seq.wrapping_add(k as u32);
                let offset = self.offset_of(at).max(0) as u64;
                self.outs.push(Out::Urgent {
                    offset,
                    byte: payload[k],
                });
                // Later sequence numbers move down by one.
                self.anchor_seq = at.wrapping_add(1);
                self.anchor_off = offset;
                self.insert(data_seq, payload, k + 1..payload.len());
            }
            _ => self.insert(data_seq, payload, 0..payload.len()),
        }
        if flags.contains(TcpFlags::FIN) && self.fin.is_none() {
            let len = len.max(payload.len() as u32);
            let end = (self.offset_of(data_seq.wrapping_add(len)).max(0) as u64).max(self.next);
            self.fin = Some(end);
            // Nothing lies past the FIN.
            self.pieces.retain_mut(|p| {
                p.1 = p.1.min(end);
                p.0 < p.1
            });
        }
        self.check_end();
        self.delivery(payload)
    }

    /// Takes an acknowledgment the other direction sent: the bytes below it were received, so
    /// every hole below it becomes a [`super::Chunk::Gap`] and what was buffered above each
    /// hole is delivered. Returns what became ready.
    pub fn ack(&mut self, ack: u32) -> Delivery<'_> {
        // Most acknowledgments reveal nothing: at or below the stream's position, with
        // nothing buffered or kept.
        if self.started
            && self.buf.len() == self.head
            && self.fin.is_none()
            && SeqNumber(ack).diff(SeqNumber(self.next_seq())) <= 0
        {
            self.outs.clear();
            self.inconsistent = false;
            self.overflowed = false;
            return self.delivery(&[]);
        }
        self.begin();
        if !self.started {
            self.anchor(ack);
        }
        if !self.ended {
            let mut a = self.offset_of(ack).max(0) as u64;
            if let Some(fin) = self.fin {
                // The FIN takes a sequence number but is no data.
                a = a.min(fin);
            }
            self.acked = self.acked.max(a);
            self.give_up_below(a, GapCause::Acknowledged);
            self.check_end();
        }
        self.delivery(&[])
    }

    /// Ends the stream: what is buffered is delivered (the holes as gaps), then
    /// [`super::Chunk::End`] with [`EndCause::Closed`]. For a connection that went away.
    pub fn close(&mut self) -> Delivery<'_> {
        self.begin();
        if !self.ended {
            self.end_stream(EndCause::Closed);
        }
        self.delivery(&[])
    }

    /// Stops waiting for the holes: delivers what is buffered, each hole a gap with cause
    /// [`GapCause::Overflow`] (what the [`Tracker`](crate::track::Tracker) does past
    /// [`ReassemblyConfig::max_total`]).
    pub fn flush(&mut self) -> Delivery<'_> {
        self.begin();
        self.skip_ahead();
        self.check_end();
        self.delivery(&[])
    }

    fn skip_ahead(&mut self) {
        if !self.pieces.is_empty() {
            self.overflowed = true;
            self.stats.overflows += 1;
            let end = self.pieces.iter().map(|p| p.1).max().unwrap_or(self.next);
            self.give_up_below(end, GapCause::Overflow);
        }
        // The kept bytes go too.
        self.release_below(self.next);
    }

    /// The paths most segments take, when they apply (`false`: not taken, nothing done): the
    /// next bytes with nothing buffered, handed out in place; the next bytes ending at or
    /// before the first buffered segment, handed out in place, then what they join; bytes
    /// beyond everything buffered, appended to the buffer.
    #[inline]
    fn quick(&mut self, seq: u32, payload: &[u8]) -> bool {
        // (`begin` put the anchor at the stream's position.)
        let d = SeqNumber(seq).diff(SeqNumber(self.anchor_seq));
        if payload.is_empty() || d < 0 {
            return false;
        }
        let (s, n) = (self.next + d as u64, payload.len() as u64);
        let e = s + n;
        match self.pieces.last() {
            None if d == 0 => {
                self.deliver_payload(s, e, 0);
                true
            }
            Some(_) if d == 0 && e <= self.pieces[0].0 => {
                self.deliver_payload(s, e, 0);
                self.deliver_contiguous();
                true
            }
            _ if d > 0 && s >= self.high => {
                let base = if self.buf.len() == self.head { s } else { self.low };
                if e - base > self.config.max_buffered as u64 || self.pieces.len() >= self.config.max_segments {
                    return false;
                }
                self.stats.out_of_order += 1;
                self.write(s, payload);
                self.pieces.push((s, e, s));
                self.longest = self.longest.max(n);
                self.high = e;
                true
            }
            _ => false,
        }
    }

    /// Lets go of the buffered bytes the last delivery handed out (every call does it first),
    /// for a caller done with them that wants [`Reassembler::buffered`] to say so now.
    #[inline]
    pub fn release(&mut self) {
        if self.buf.len() != self.head {
            self.pinned = u64::MAX;
            let keep_from = if self.config.keep_unacked {
                self.acked.min(self.next)
            } else {
                self.next
            };
            self.release_below(keep_from);
        }
    }

    /// Lets go of what the last delivery handed out, and starts a new one.
    fn begin(&mut self) {
        self.outs.clear();
        self.inconsistent = false;
        self.overflowed = false;
        self.pinned = u64::MAX;
        self.release();
        // Keep the mapping's anchor at the stream's position.
        self.anchor_seq = self.next_seq();
        self.anchor_off = self.next;
    }

    fn delivery<'a>(&'a self, payload: &'a [u8]) -> Delivery<'a> {
        Delivery {
            payload,
            buffer: &self.buf[self.head..],
            buffer_offset: self.low,
            outs: self.outs.iter(),
            inconsistent: self.inconsistent,
            overflowed: self.overflowed,
        }
    }

    /// The sequence number of the next byte to deliver, by the mapping.
    fn next_seq(&self) -> u32 {
        self.anchor_seq
            .wrapping_add(self.next.wrapping_sub(self.anchor_off) as u32)
    }

    /// The stream offset of sequence number `seq` (negative: before the stream's start).
    fn offset_of(&self, seq: u32) -> i128 {
        i128::from(self.anchor_off) + i128::from(SeqNumber(seq).diff(SeqNumber(self.anchor_seq)))
    }

    /// Drops buffered bytes below `off` (never those handed out in this call).
    fn release_below(&mut self, off: u64) {
        let off = off.min(self.pinned);
        let live = (self.buf.len() - self.head) as u64;
        let k = off.saturating_sub(self.low).min(live) as usize;
        self.head += k;
        self.low += k as u64;
        if self.head == self.buf.len() {
            self.buf.clear();
            self.head = 0;
            self.low = self.low.max(off);
            if self.buf.capacity() > IDLE_CAPACITY {
                self.buf.shrink_to(IDLE_CAPACITY);
            }
        } else if self.head >= 4096 && self.head * 2 >= self.buf.len() {
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }

    /// The bytes `payload[range]`, whose first lies at sequence `seq + range.start`.
    fn insert(&mut self, seq: u32, payload: &[u8], range: core::ops::Range<usize>) {
        if range.is_empty() {
            return;
        }
        let start = self.offset_of(seq.wrapping_add(range.start as u32));
        let mut end = start + range.len() as i128;
        if let Some(fin) = self.fin {
            end = end.min(i128::from(fin));
        }
        if end <= 0 || end <= start {
            return;
        }
        let (start_u, end_u) = (start.max(0) as u64, end as u64);
        let at = Placed {
            payload,
            base: range.start + (start_u as i128 - start) as usize,
            start: start_u,
        };
        self.compare_kept(start_u, end_u, at);
        let s = start_u.max(self.next);
        if s >= end_u {
            return;
        }
        // What lies before the first buffered segment is final: delivered in place.
        let first = self.pieces.first().map_or(u64::MAX, |p| p.0);
        if s == self.next && first > s {
            let cut = end_u.min(first);
            self.deliver_payload(s, cut, at.index(s));
            if self.config.keep_unacked {
                self.keep(s, at.slice(s, cut));
            }
            if cut == end_u {
                self.deliver_contiguous();
                return;
            }
        }
        let s = s.max(self.next);
        self.buffer_segment((start_u, end_u), s, at);
        self.deliver_contiguous();
    }

    /// Hands out `[s, e)` from the payload (from index `from`), keeping a copy when asked.
    fn deliver_payload(&mut self, s: u64, e: u64, from: usize) {
        let len = (e - s) as usize;
        self.outs.push(Out::Payload {
            offset: s,
            from: from as u32,
            len: len as u32,
        });
        self.stats.delivered += e - s;
        self.stats.delivered_in_place += e - s;
        self.next = e;
    }

    /// Keeps a copy of `bytes` delivered at `s` until acknowledged ([`ReassemblyConfig::keep_unacked`]),
    /// the oldest kept bytes going first to stay within the cap.
    fn keep(&mut self, s: u64, bytes: &[u8]) {
        let e = s + bytes.len() as u64;
        let max = self.config.max_buffered as u64;
        if self.buf.len() == self.head {
            self.low = s;
        }
        if e - self.low > max {
            self.release_below(e.saturating_sub(max));
        }
        if self.low > s || e - self.low > max {
            // Larger than the cap, or held back by this call's delivery: not kept.
            return;
        }
        let need = self.head + (e - self.low) as usize;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        let from = self.head + (s - self.low) as usize;
        self.buf[from..from + bytes.len()].copy_from_slice(bytes);
    }

    /// Compares the segment's bytes with kept (delivered, unacknowledged) bytes.
    fn compare_kept(&mut self, start: u64, end: u64, at: Placed<'_>) {
        let (lo, hi) = (start.max(self.low), end.min(self.next));
        if lo >= hi || self.buf.len() == self.head {
            return;
        }
        let live_end = self.low + (self.buf.len() - self.head) as u64;
        let hi = hi.min(live_end);
        if lo >= hi {
            return;
        }
        self.stats.overlaps += 1;
        // One byte one below the next: a keep-alive's garbage byte, not a retransmission.
        let keep_alive = end - start == 1 && end == self.next;
        let kept = &self.buf[self.head + (lo - self.low) as usize..self.head + (hi - self.low) as usize];
        if !keep_alive && kept != at.slice(lo, hi) {
            self.inconsistent = true;
            self.stats.inconsistent += 1;
        }
    }
}

impl Reassembler {
    /// Buffers `[s, seg.1)` of a segment spanning `seg`, beyond the stream's position: the
    /// policy decides its bytes where buffered segments overlap it. Skips ahead when it does
    /// not fit.
    fn buffer_segment(&mut self, seg: (u64, u64), s: u64, at: Placed<'_>) {
        let e = seg.1;
        // Buffered segments that can overlap [s, e): those starting within `longest` of it.
        let from = self.pieces.partition_point(|p| p.0 < s.saturating_sub(self.longest));
        let bound = from + self.pieces[from..].partition_point(|p| p.0 < e);
        // The same segment again (Suricata: same sequence and length) is not buffered twice.
        let dup = self.pieces[from..bound].iter().any(|p| p.2 == seg.0 && p.1 == seg.1);
        // The span the buffer would cover (an empty one starts at the segment).
        let fits = |r: &Self| {
            let live = (r.buf.len() - r.head) as u64;
            let (lo, hi) = if live == 0 {
                (s, e)
            } else {
                (r.low.min(s), (r.low + live).max(e))
            };
            hi - lo <= r.config.max_buffered as u64 && (dup || r.pieces.len() < r.config.max_segments)
        };
        if !fits(self) && self.config.keep_unacked {
            // The kept bytes are only for comparing: they go first.
            self.release_below(self.next);
        }
        if !fits(self) {
            self.skip_ahead();
            let s = s.max(self.next);
            if s < e {
                if s > self.next {
                    self.gap(s - self.next, GapCause::Overflow);
                }
                self.deliver_payload(s, e, at.index(s));
            }
            return;
        }
        if s > self.next {
            self.stats.out_of_order += 1;
        }
        let bytes = at.slice(s, e);
        let overlaps = self.pieces[from..bound].iter().any(|p| p.0 < e && p.1 > s);
        if !overlaps {
            self.write(s, bytes);
        } else {
            self.buffer_overlapping(seg, s, bytes, from..bound);
        }
        if !dup {
            let piece = (s, e, seg.0);
            let i = self.pieces.partition_point(|&p| p < piece);
            self.pieces.insert(i, piece);
            self.longest = self.longest.max(e - s);
            self.high = self.high.max(e);
        }
    }

    /// Writes `bytes` into the buffer at offset `s`, growing it (an empty buffer starts at
    /// `s`, so a hole below the first buffered segment takes no room).
    fn write(&mut self, s: u64, bytes: &[u8]) {
        if self.buf.len() == self.head {
            self.buf.clear();
            self.head = 0;
            self.low = s;
        }
        if s < self.low {
            // Below the buffer's start: room at the front.
            let k = (self.low - s) as usize;
            if self.head >= k {
                self.head -= k;
            } else {
                let add = k - self.head;
                self.buf.splice(0..0, core::iter::repeat_n(0, add));
                self.head = 0;
            }
            self.low = s;
        }
        let from = self.head + (s - self.low) as usize;
        if from >= self.buf.len() {
            // At or past the end: the hole (if any) zero-filled, the bytes appended.
            self.buf.resize(from, 0);
            self.buf.extend_from_slice(bytes);
            return;
        }
        let inside = (self.buf.len() - from).min(bytes.len());
        self.buf[from..from + inside].copy_from_slice(&bytes[..inside]);
        self.buf.extend_from_slice(&bytes[inside..]);
    }

    /// Buffers `bytes` at `s`, where the buffered segments `range` may overlap them: the
    /// policy decides, against each, which copy wins where they differ.
    fn buffer_overlapping(&mut self, seg: (u64, u64), s: u64, bytes: &[u8], range: core::ops::Range<usize>) {
        let e = s + bytes.len() as u64;
        self.scratch.clear();
        self.scratch.extend_from_slice(bytes);
        let mut overlapped = false;
        for i in range {
            let (ps, pe, sent) = self.pieces[i];
            let (lo, hi) = (ps.max(s), pe.min(e));
            if lo >= hi {
                continue;
            }
            overlapped = true;
            let old = &self.buf[self.head + (lo - self.low) as usize..self.head + (hi - self.low) as usize];
            let new = &mut self.scratch[(lo - s) as usize..(hi - s) as usize];
            if old != &new[..] {
                self.inconsistent = true;
                if !self.config.policy.new_wins(seg, (sent, pe)) {
                    new.copy_from_slice(old);
                }
            }
        }
        if overlapped {
            self.stats.overlaps += 1;
            if self.inconsistent {
                self.stats.inconsistent += 1;
            }
        }
        let scratch = core::mem::take(&mut self.scratch);
        self.write(s, &scratch);
        self.scratch = scratch;
    }

    /// Delivers the buffered bytes that follow the stream's position without a hole.
    fn deliver_contiguous(&mut self) {
        let mut end = self.next;
        let mut k = 0;
        for &(ps, pe, _) in &self.pieces {
            if ps > end {
                break;
            }
            end = end.max(pe);
            k += 1;
        }
        self.pieces.drain(..k);
        if self.pieces.is_empty() {
            self.longest = 0;
            self.high = 0;
        }
        if end > self.next {
            self.outs.push(Out::Buffer {
                offset: self.next,
                len: end - self.next,
            });
            self.pinned = self.pinned.min(self.next);
            self.stats.delivered += end - self.next;
            self.next = end;
        }
    }

    /// A gap of `len` bytes at the stream's position.
    fn gap(&mut self, len: u64, cause: GapCause) {
        self.outs.push(Out::Gap {
            offset: self.next,
            len,
            cause,
        });
        self.stats.missing += len;
        self.next += len;
    }

    /// Gives up on every hole below `limit`: each is a gap, and what follows it is delivered.
    fn give_up_below(&mut self, limit: u64, cause: GapCause) {
        while self.next < limit {
            match self.pieces.first() {
                Some(&(ps, _, _)) if ps <= limit => {
                    if ps > self.next {
                        self.gap(ps - self.next, cause);
                    }
                    self.deliver_contiguous();
                }
                _ => {
                    self.gap(limit - self.next, cause);
                }
            }
        }
        self.deliver_contiguous();
    }

    /// Delivers what is buffered (the holes as gaps) and ends the stream.
    fn end_stream(&mut self, cause: EndCause) {
        if let Some(end) = self.pieces.iter().map(|p| p.1).max() {
            self.give_up_below(end, GapCause::Ended);
        }
        self.outs.push(Out::End {
            offset: self.next,
            cause,
        });
        self.ended = true;
    }

    /// The FIN's end once everything before it is in.
    fn check_end(&mut self) {
        if let Some(fin) = self.fin
            && !self.ended
            && self.next >= fin
        {
            self.pieces.clear();
            self.longest = 0;
            self.high = 0;
            self.outs.push(Out::End {
                offset: fin,
                cause: EndCause::Fin,
            });
            self.ended = true;
        }
    }
}
