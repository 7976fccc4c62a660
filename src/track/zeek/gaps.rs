//! Zeek's content gaps: which bytes of each direction Zeek's reassembler holds, and the gaps
//! an acknowledgment reveals, as `TCP_Reassembler` (`src/analyzer/protocol/tcp/`) and
//! `Reassembler` (`src/Reassem.cc`) compute them — without the bytes: the gap accounting
//! (`G`/`g` in the history, `missed_bytes` through `content_gap`) reads only which sequence
//! ranges were seen.
//!
//! Zeek reassembles every TCP connection from its first packet by default
//! (`TCPSessionAdapter::AddExtraAnalyzers`: `dpd_reassemble_first_packets` is `T` in
//! `init-bare.zeek`), so this runs whenever [`ZeekSettings::reassemble`] is on.
//!
//! Sequence numbers here are Zeek's relative ones (the SYN at 0, data from 1), 64 bits.
//!
//! [`ZeekSettings::reassemble`]: super::ZeekSettings::reassemble

use std::vec::Vec;

use super::states::ZeekStates;
use super::{ZeekConn, ZeekEndpointState, mark};

/// `tcp_max_initial_window` (init-bare.zeek): past this much data sent with none of it
/// acknowledged, delivered data is no longer held for the peer's ACKs.
const MAX_INITIAL_WINDOW: u64 = 16_384;
/// `tcp_max_above_hole_without_any_acks`: past this much data buffered above a hole with
/// nothing acknowledged, Zeek stops reassembling the direction.
const MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS: u64 = 16_384;
/// `tcp_excessive_data_without_further_acks`: past this much data held, likewise.
const EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS: u64 = 10 * 1024 * 1024;
/// The most disjoint ranges kept per direction; past it the lowest are merged with the hole
/// between them counted as held (a bound Zeek does not have: only a flood of tiny
/// out-of-order segments reaches it).
pub(crate) const MAX_RANGES: usize = 4096;

/// One direction's reassembler state (`TCP_Reassembler` of one endpoint); its flags (FIN
/// seen, deliveries skipped) and the index of its held ranges are kept with the
/// connection's (`ZeekConn::marks`, `ZeekConn::ranges`), so that two of these pack into 48
/// bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndpointGaps {
    /// `last_reassem_seq`: everything below was delivered (or declared missing).
    last_reassem: u64,
    /// `trim_seq`: everything below was acknowledged and let go.
    trim: u64,
    /// `FIN_seq`: one past the endpoint's last FIN, when it sent one (`mark::FIN`).
    fin_seq: u64,
}

pub(crate) const NO_RANGES: u32 = u32::MAX;

impl Default for EndpointGaps {
    fn default() -> Self {
        // `Reassembler(1, ...)`: relative sequence 1 is the first data byte.
        EndpointGaps {
            last_reassem: 1,
            trim: 1,
            fin_seq: 0,
        }
    }
}

/// Every connection's held ranges, in pairs of lists (one list a direction) reused once
/// their connection lets them go; a connection whose data arrives in order never takes one.
#[derive(Debug, Default)]
pub(crate) struct RangePool {
    /// A connection's pair at `slot` is `lists[2 * slot]` and `lists[2 * slot + 1]`.
    lists: Vec<Vec<(u64, u64)>>,
    free: Vec<u32>,
}

impl RangePool {
    fn get(&self, slot: u32, side: usize) -> &[(u64, u64)] {
        if slot == NO_RANGES {
            return &[];
        }
        self.lists.get(2 * slot as usize + side).map_or(&[], |l| l.as_slice())
    }

    fn list(&mut self, slot: &mut u32, side: usize) -> &mut Vec<(u64, u64)> {
        if *slot == NO_RANGES {
            *slot = match self.free.pop() {
                Some(i) => i,
                None => {
                    self.lists.push(Vec::new());
                    self.lists.push(Vec::new());
                    (self.lists.len() / 2 - 1) as u32
                }
            };
        }
        &mut self.lists[2 * *slot as usize + side]
    }

    /// Gives the pair at `slot` back once both its lists are empty.
    fn release_if_empty(&mut self, slot: &mut u32) {
        if self.get(*slot, 0).is_empty() && self.get(*slot, 1).is_empty() {
            self.release(slot);
        }
    }

    /// Gives the pair at `slot` back (emptied).
    pub(crate) fn release(&mut self, slot: &mut u32) {
        if *slot != NO_RANGES {
            for side in 0..2 {
                if let Some(l) = self.lists.get_mut(2 * *slot as usize + side) {
                    l.clear();
                    if l.capacity() > 64 {
                        l.shrink_to(64);
                    }
                }
            }
            self.free.push(*slot);
            *slot = NO_RANGES;
        }
    }

    /// Returns how many pairs are in use.
    #[cfg(test)]
    fn in_use(&self) -> usize {
        self.lists.len() / 2 - self.free.len()
    }
}

/// Zeek's `is_clean`: established, or closed from established.
fn is_clean(st: &ZeekStates, i: usize) -> bool {
    st.state(i) == ZeekEndpointState::Established
        || (st.state(i) == ZeekEndpointState::Closed && st.prev_state(i) == ZeekEndpointState::Established)
}

/// Inserts `[seq, upper)` into sorted disjoint ranges, merging what touches (the union is all
/// Zeek's gap accounting reads of its blocks); returns the index of the range holding `seq`.
/// Past [`MAX_RANGES`], the two lowest merge.
fn insert(list: &mut Vec<(u64, u64)>, seq: u64, upper: u64) -> usize {
    // First range that ends at or after `seq` (can merge).
    let i = list.partition_point(|&(_, hi)| hi < seq);
    let mut j = i;
    let (mut lo, mut hi) = (seq, upper);
    while j < list.len() && list[j].0 <= upper {
        lo = lo.min(list[j].0);
        hi = hi.max(list[j].1);
        j += 1;
    }
    list.splice(i..j, core::iter::once((lo, hi)));
    if list.len() > MAX_RANGES {
        let (a, b) = (list[0], list[1]);
        list.splice(0..2, core::iter::once((a.0, b.1)));
        return i.saturating_sub(1);
    }
    i
}

impl ZeekConn {
    /// Records the first packet of a side and whether the connection is partial
    /// (`TCPSessionAdapter::SetPartialStatus`), from the roles before the packet.
    pub(super) fn partial_status(&mut self, orig: bool, syn: bool, ack: bool) {
        if !self.is(mark::FIRST_SEEN[usize::from(!orig)]) {
            if orig {
                self.set(mark::PARTIAL, !syn || ack);
            } else if !self.is(mark::PARTIAL) {
                self.set(mark::PARTIAL, !syn);
            }
        }
    }

    /// `is_partial = 0` (UpdateInactiveState, on an ACK that establishes an endpoint
    /// whose SYN was missed).
    pub(super) fn clear_partial(&mut self) {
        self.set(mark::PARTIAL, false);
    }

    /// Marks the side `orig` (as the packet arrived, before any flip: Zeek's
    /// `CheckPIA_FirstPacket` reads `Process`'s own `is_orig`) as seen.
    pub(super) fn first_packet_seen(&mut self, orig: bool) {
        self.set(mark::FIRST_SEEN[usize::from(!orig)], true);
    }

    /// `TCP_Reassembler::AckReceived` on endpoint `e` (whose data `rel_ack` acknowledges),
    /// with the endpoint states after the packet's state machine.
    pub(super) fn ack_received(&mut self, e: usize, mut seq: u64, st: &ZeekStates, pool: &mut RangePool) {
        let g = self.gaps[e];
        if self.is(mark::FIN[e]) && seq >= g.fin_seq {
            seq = g.fin_seq.wrapping_sub(1);
        }
        if seq <= g.trim {
            return;
        }
        self.trim_to_seq(e, seq, st, pool);
    }

    /// `Reassembler::TrimToSeq` / `DataBlockList::Trim`: lets go of what lies below `seq`,
    /// declaring missing what was never seen (`Undelivered`).
    fn trim_to_seq(&mut self, e: usize, seq: u64, st: &ZeekStates, pool: &mut RangePool) {
        if seq > self.gaps[e].last_reassem {
            self.undelivered(e, seq, st, pool);
        }
        let side = self.side(e);
        let g = &mut self.gaps[e];
        if self.ranges != NO_RANGES {
            let list = pool.list(&mut self.ranges, side);
            let keep = list.partition_point(|&(_, hi)| hi <= seq);
            list.drain(..keep);
            // Trim's closing BlockInserted: a block at the frontier is delivered.
            deliver_joined(list, &mut g.last_reassem);
            pool.release_if_empty(&mut self.ranges);
        }
        g.trim = seq;
    }

    /// `TCP_Reassembler::Undelivered`: the peer acknowledged up to `up_to`; each hole below
    /// it is a gap (`Gap`), and the ranges above each hole are delivered.
    fn undelivered(&mut self, e: usize, up_to: u64, st: &ZeekStates, pool: &mut RangePool) {
        if up_to <= 2 && self.is(mark::PARTIAL) {
            // The first ACK of a partial connection (Zeek faked its start): ignored, and
            // `last_reassem_seq` left where it is.
            return;
        }
        let side = self.side(e);
        if !self.is(mark::SKIP[e]) {
            while let Some(&(lo, hi)) = pool.get(self.ranges, side).first()
                && lo < up_to
            {
                let last = self.gaps[e].last_reassem;
                if lo > last {
                    self.gap(e, lo - last, st);
                }
                // BlockInserted: the range is delivered (and held, below `last_reassem`).
                let g = &mut self.gaps[e];
                g.last_reassem = g.last_reassem.max(hi);
                pool.list(&mut self.ranges, side).remove(0);
                pool.release_if_empty(&mut self.ranges);
            }
            let last = self.gaps[e].last_reassem;
            if up_to > last {
                self.gap(e, up_to - last, st);
            }
        }
        let g = &mut self.gaps[e];
        if up_to > g.last_reassem {
            g.last_reassem = up_to;
        }
    }

    /// `TCP_Reassembler::Gap`: a `G` in the history (logarithmic) when both endpoints are
    /// established or closing cleanly, and `content_gap` (Zeek's conn scripts add its length
    /// to `missed_bytes`) then too, or always with `report_gaps_for_partial`.
    fn gap(&mut self, e: usize, len: u64, st: &ZeekStates) {
        let clean = is_clean(st, e) && is_clean(st, 1 - e);
        if clean {
            self.scaled(e == 0, b'G', |ep| &mut ep.gap);
        }
        if clean || self.is(mark::REPORT_PARTIAL) {
            self.missed_bytes = self.missed_bytes.saturating_add(len);
        }
    }

    /// Records a FIN from endpoint `e` ending at `fin_seq` (one past the FIN).
    pub(super) fn fin_at(&mut self, e: usize, fin_seq: u64) {
        self.gaps[e].fin_seq = fin_seq;
        self.set(mark::FIN[e], true);
    }

    /// `TCP_Reassembler::DataSent` for `len` bytes at relative sequence `seq` from endpoint
    /// `e`, then `NewBlock` and `BlockInserted`, and the checks that make Zeek let go of the
    /// direction's data.
    pub(super) fn data_sent(&mut self, e: usize, mut seq: u64, len: u32, st: &ZeekStates, pool: &mut RangePool) {
        if self.is(mark::SKIP[e]) {
            return;
        }
        let ep = self.ep[e];
        let ack = ep.relative(ep.ack_seq, ep.ack_wraps);
        let upper = seq.saturating_add(u64::from(len));
        if seq < ack {
            if upper <= ack {
                return;
            }
            seq = ack;
        }
        self.new_block(e, seq, upper, st, pool);
        let side = self.side(e);
        let g = self.gaps[e];
        let no_data_acked = ep.no_data_acked();
        let above = pool.get(self.ranges, side);
        let undelivered = above.last().map_or(0, |&(_, hi)| hi.saturating_sub(g.last_reassem));
        // Held: the delivered bytes not yet acknowledged, and those above the holes.
        let held = above
            .iter()
            .fold(g.last_reassem.saturating_sub(g.trim), |n, &(lo, hi)| {
                n.saturating_add(hi - lo)
            });
        if (no_data_acked && undelivered > MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS)
            || held > EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS
        {
            // Weird above_hole_data_without_any_acks / excessive_data_without_further_acks.
            if self.ranges != NO_RANGES {
                pool.list(&mut self.ranges, side).clear();
                pool.release_if_empty(&mut self.ranges);
            }
            self.set(mark::SKIP[e], true);
        }
    }

    /// `Reassembler::NewBlock` and `TCP_Reassembler::BlockInserted` for `[seq, upper)`. The
    /// delivered bytes Zeek holds until they are acknowledged are `[trim, last_reassem)`,
    /// with no hole (a gap moves `trim` past itself): only the ranges above `last_reassem`
    /// are kept as ranges, so data in order costs no range at all.
    fn new_block(&mut self, e: usize, mut seq: u64, upper: u64, st: &ZeekStates, pool: &mut RangePool) {
        let ep = self.ep[e];
        let side = self.side(e);
        let fin_seen = self.is(mark::FIN[e]);
        let g = &mut self.gaps[e];
        if upper <= seq || upper <= g.trim {
            return;
        }
        seq = seq.max(g.trim);
        if upper <= g.last_reassem {
            // Delivered already.
            return;
        }
        if seq > g.last_reassem {
            // Beyond a hole: held until it fills or is given up.
            insert(pool.list(&mut self.ranges, side), seq, upper);
            return;
        }
        // The frontier moves: delivered as far as the data goes, what it joins too.
        g.last_reassem = upper;
        if self.ranges != NO_RANGES {
            deliver_joined(pool.list(&mut self.ranges, side), &mut g.last_reassem);
            pool.release_if_empty(&mut self.ranges);
        }
        // The peer is reassembling too (always here); with nothing acknowledged and more than
        // the initial window sent, delivered data is not held (TrimToSeq at the frontier).
        if ep.no_data_acked() && ep.size(st.state(e), st.prev_state(e), st.state(1 - e), fin_seen) > MAX_INITIAL_WINDOW
        {
            g.trim = g.last_reassem;
        }
    }
}

/// Delivers the ranges that start at or below `last` (`BlockInserted`'s loop), moving it.
fn deliver_joined(list: &mut Vec<(u64, u64)>, last: &mut u64) {
    let k = list.iter().take_while(|&&(lo, _)| lo <= *last).count();
    for &(_, hi) in &list[..k] {
        *last = (*last).max(hi);
    }
    list.drain(..k);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_stay_sorted() {
        let mut l = Vec::new();
        insert(&mut l, 10, 20);
        insert(&mut l, 30, 40);
        assert_eq!(l, [(10, 20), (30, 40)]);
        insert(&mut l, 20, 30);
        assert_eq!(l, [(10, 40)]);
        insert(&mut l, 0, 5);
        insert(&mut l, 45, 50);
        assert_eq!(insert(&mut l, 3, 46), 0);
        assert_eq!(l, [(0, 50)]);
    }

    #[test]
    fn ranges_are_bounded() {
        let mut l = Vec::new();
        for i in 0..(MAX_RANGES as u64 + 10) {
            insert(&mut l, i * 2, i * 2 + 1);
        }
        assert_eq!(l.len(), MAX_RANGES);
        assert!(l.windows(2).all(|w| w[0].1 < w[1].0));
    }

    /// A flip swaps which list of the connection's pair holds which endpoint's ranges: the
    /// held data stays with the endpoint that sent it.
    #[test]
    fn a_flip_keeps_each_sides_held_ranges() {
        let st = ZeekStates::default();
        let settings = super::super::ZeekSettings {
            report_gaps_for_partial: true,
            ..Default::default()
        };
        let mut pool = RangePool::default();
        let mut z = ZeekConn::new(crate::Timestamp::default()).with_settings(&settings);
        // Endpoint 0 holds [11, 21) above a hole from 1, endpoint 1 holds [31, 36).
        z.data_sent(0, 11, 10, &st, &mut pool);
        z.data_sent(1, 31, 5, &st, &mut pool);
        assert_eq!(pool.in_use(), 1);
        z.flip();
        // The former endpoint 0 is 1: an ACK of all it sent finds a 10-byte hole.
        z.ack_received(1, 21, &st, &mut pool);
        assert_eq!(z.missed_bytes, 10);
        // And the former 1, now 0, a 30-byte one; both lists are then empty and given back.
        z.ack_received(0, 36, &st, &mut pool);
        assert_eq!(z.missed_bytes, 40);
        assert_eq!(pool.in_use(), 0);
        // Flipped back, the marks are as before.
        z.flip();
        assert!(!z.is(mark::RANGES_SWAPPED));
    }

    #[test]
    fn pool_reuses_lists() {
        let mut pool = RangePool::default();
        let mut a = NO_RANGES;
        pool.list(&mut a, 1).push((1, 2));
        assert_eq!(pool.in_use(), 1);
        pool.release_if_empty(&mut a);
        assert_eq!(pool.in_use(), 1);
        pool.list(&mut a, 1).clear();
        pool.release_if_empty(&mut a);
        assert_eq!((pool.in_use(), a), (0, NO_RANGES));
        let mut b = NO_RANGES;
        pool.list(&mut b, 0);
        assert_eq!(pool.lists.len(), 2);
    }
}
