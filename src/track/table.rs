//! The flow table: connections in a slab, found by a randomly keyed hash of their flow key,
//! and linked into one least-recently-active list per phase, which timeouts and eviction
//! walk from the head. It knows the connection's key, phase and times, nothing of what the
//! models keep in it.

use core::hash::{BuildHasher, Hash};
use core::time::Duration;
use std::vec::Vec;

use super::conn::{Conn, NIL, Phase, RELINK};
use super::key::PackedFlow;

type Hasher = foldhash::fast::RandomState;

/// Asks the CPU to bring the cache line holding `x` into every cache level, without waiting.
/// Safe (`safe_arch` wraps SSE's `prefetcht0`, which never faults); elsewhere, nothing.
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse"))]
    safe_arch::prefetch_t0(x);
    #[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse")))]
    let _ = x;
}

/// The phases, one list each.
const PHASES: usize = 3;

/// The slab, its index and its lists.
#[derive(Debug)]
pub(super) struct Table {
    /// Slot indices, hashed by their connection's flow key: 4 bytes a bucket, and the key
    /// compared in the connection itself, which the packet reads next anyway.
    index: hashbrown::HashTable<u32>,
    hasher: Hasher,
    slots: Vec<Option<Conn>>,
    free: Vec<u32>,
    /// Least recently active first, one list per phase: (head, tail).
    lru: [(u32, u32); PHASES],
}

impl Table {
    pub(super) fn new() -> Table {
        Table {
            index: hashbrown::HashTable::new(),
            hasher: Hasher::default(),
            slots: Vec::new(),
            free: Vec::new(),
            lru: [(NIL, NIL); PHASES],
        }
    }

    /// Returns how many connections it holds.
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// Returns the table's hash of a key (keyed at random for each table).
    pub(super) fn hash(&self, key: impl Hash) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Returns the slot of the connection with this flow key.
    #[inline(always)]
    pub(super) fn find(&self, flow: PackedFlow) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(self.hasher.hash_one(flow), |&j| {
                slots[j as usize].as_ref().is_some_and(|c| c.flow() == flow)
            })
            .copied()
    }

    /// Starts loading what a packet of the flow with this hash will read, without waiting
    /// for it: the probe's own loads touch the index's control group and bucket early, and
    /// the first candidate's connection (both of its cache lines) is prefetched. Returns that
    /// candidate's slot, for the caller's parallel arrays. A hint only: a tag match of
    /// another flow costs a useless prefetch, nothing else.
    #[inline(always)]
    pub(super) fn prefetch(&self, hash: u64) -> Option<u32> {
        let slots = &self.slots;
        let found = self.index.find(hash, |&j| {
            if let Some(Some(c)) = slots.get(j as usize) {
                prefetch(c);
                prefetch(&c.next);
            }
            true
        });
        found.copied()
    }

    /// Returns the connection in slot `i`, which must be live.
    #[inline]
    pub(super) fn get(&self, i: u32) -> &Conn {
        self.slots[i as usize].as_ref().expect("live slot")
    }

    /// Returns the connection in slot `i`, which must be live.
    #[inline]
    pub(super) fn get_mut(&mut self, i: u32) -> &mut Conn {
        self.slots[i as usize].as_mut().expect("live slot")
    }

    /// Returns the live slots, in no particular order.
    pub(super) fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.index.iter().copied()
    }

    /// Puts a connection in a free slot, at the tail of its phase's list, and returns the slot.
    pub(super) fn insert(&mut self, conn: Conn) -> u32 {
        let flow = conn.flow();
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(conn);
                i
            }
            None => {
                self.slots.push(Some(conn));
                (self.slots.len() - 1) as u32
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        let rehash = |&j: &u32| slots[j as usize].as_ref().map_or(0, |c| hasher.hash_one(c.flow()));
        self.index.insert_unique(hasher.hash_one(flow), i, rehash);
        self.push_back(i);
        i
    }

    /// Takes the connection in slot `i` out of its list and the index, and frees the slot.
    pub(super) fn remove(&mut self, i: u32) {
        self.unlink(i);
        let hash = self.hasher.hash_one(self.get(i).flow());
        if let Ok(entry) = self.index.find_entry(hash, |&j| j == i) {
            entry.remove();
        }
        self.slots[i as usize] = None;
        self.free.push(i);
    }

    /// Returns the head of a phase's list: its least recently linked connection.
    pub(super) fn head(&self, phase: usize) -> Option<u32> {
        let head = self.lru[phase].0;
        (head != NIL).then_some(head)
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, phase) = {
            let c = self.get(i);
            (c.prev, c.next, c.marks.phase() as usize)
        };
        if prev == NIL {
            self.lru[phase].0 = next;
        } else if let Some(p) = self.slots[prev as usize].as_mut() {
            p.next = next;
        }
        if next == NIL {
            self.lru[phase].1 = prev;
        } else if let Some(n) = self.slots[next as usize].as_mut() {
            n.prev = prev;
        }
    }

    fn push_back(&mut self, i: u32) {
        let phase = self.get(i).marks.phase() as usize;
        let tail = self.lru[phase].1;
        let c = self.get_mut(i);
        c.prev = tail;
        c.next = NIL;
        if tail == NIL {
            self.lru[phase].0 = i;
        } else if let Some(t) = self.slots[tail as usize].as_mut() {
            t.next = i;
        }
        self.lru[phase].1 = i;
    }

    /// Records activity. The connection moves to the tail of its LRU list only when its phase
    /// changed or its place is more than [`RELINK`] old: moving touches two neighbours at
    /// random places in memory, which costs more than the rest of a packet at a million open
    /// connections. A connection whose place is stale gets a second chance when it reaches
    /// the head (see [`Table::second_chance`]), so expiry and eviction see true idle times.
    #[inline]
    pub(super) fn touch(&mut self, i: u32, phase: Phase) {
        let c = self.get(i);
        if phase == c.marks.phase() && Duration::from_nanos(u64::from(c.linked_lag)) < RELINK {
            return;
        }
        self.unlink(i);
        let c = self.get_mut(i);
        c.marks.set_phase(phase);
        c.relink();
        self.push_back(i);
    }

    /// Moves a list head whose place is stale (active since it was linked) to the tail.
    /// Returns false when the head's place is current.
    pub(super) fn second_chance(&mut self, i: u32) -> bool {
        if self.get(i).linked_lag == 0 {
            return false;
        }
        self.unlink(i);
        self.get_mut(i).relink();
        self.push_back(i);
        true
    }

    /// Returns the least recently active connection: the oldest of the lists' heads, once
    /// every head's place is current (bounded, so a table of stale places cannot stall a
    /// packet).
    pub(super) fn least_recent(&mut self) -> Option<u32> {
        let mut best: Option<(crate::Nanos, u32)> = None;
        for phase in 0..PHASES {
            for _ in 0..64 {
                match self.head(phase) {
                    Some(head) if self.second_chance(head) => {}
                    _ => break,
                }
            }
            if let Some(head) = self.head(phase) {
                let t = self.get(head).last;
                if best.is_none_or(|(bt, _)| t < bt) {
                    best = Some((t, head));
                }
            }
        }
        best.map(|(_, i)| i)
    }
}
