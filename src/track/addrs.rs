//! The IPv6 addresses of the connections in a tracker's table, each kept once.
//!
//! A connection keeps its endpoints packed in 12 bytes (`key::PackedKey`), which holds an
//! IPv4 address but not an IPv6 one. An IPv6 endpoint keeps instead the index of its address
//! here, and the table counts the endpoints that name each address: an address stays while
//! a connection in the table uses it. So an IPv6 connection costs what an IPv4 one does, plus
//! at most two entries here (shared: a server's address is one entry for all its clients).

use core::net::Ipv6Addr;
use std::collections::HashMap;
use std::vec::Vec;

/// The IPv6 addresses in use, with a count of the endpoints that name each.
#[derive(Debug, Default)]
pub(crate) struct V6Addrs {
    index: HashMap<Ipv6Addr, u32, foldhash::fast::RandomState>,
    /// Each address and its count; a count of 0 is a free slot (listed in `free`).
    slots: Vec<(Ipv6Addr, u32)>,
    free: Vec<u32>,
}

impl V6Addrs {
    /// The bytes one address costs here: its slot and its index entry (key, value and
    /// hashbrown's control byte, at the table's 7/8 load).
    pub(crate) const BYTES_PER_ADDRESS: usize = 20 + (16 + 4 + 1) * 8 / 7;

    /// The index of `a`, when a connection in the table uses it.
    #[inline]
    pub(crate) fn find(&self, a: Ipv6Addr) -> Option<u32> {
        self.index.get(&a).copied()
    }

    /// Counts one more endpoint naming `a` and returns its index.
    pub(crate) fn acquire(&mut self, a: Ipv6Addr) -> u32 {
        if let Some(&i) = self.index.get(&a) {
            self.slots[i as usize].1 += 1;
            return i;
        }
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = (a, 1);
                i
            }
            None => {
                self.slots.push((a, 1));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(a, i);
        i
    }

    /// Counts one endpoint fewer naming the address at `i`; frees it at none.
    pub(crate) fn release(&mut self, i: u32) {
        let Some(slot) = self.slots.get_mut(i as usize) else {
            return;
        };
        slot.1 = slot.1.saturating_sub(1);
        if slot.1 == 0 {
            self.index.remove(&slot.0);
            self.free.push(i);
        }
    }

    /// The address at `i`.
    #[inline]
    pub(crate) fn get(&self, i: u32) -> Ipv6Addr {
        self.slots.get(i as usize).map_or(Ipv6Addr::UNSPECIFIED, |s| s.0)
    }

    /// How many addresses are in use.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_live_while_named() {
        let (a, b): (Ipv6Addr, Ipv6Addr) = ("fd00::1".parse().unwrap(), "fd00::2".parse().unwrap());
        let mut t = V6Addrs::default();
        let ia = t.acquire(a);
        assert_eq!(t.acquire(a), ia);
        let ib = t.acquire(b);
        assert_ne!(ia, ib);
        assert_eq!((t.get(ia), t.get(ib), t.len()), (a, b, 2));
        t.release(ia);
        assert_eq!(t.find(a), Some(ia));
        t.release(ia);
        assert_eq!((t.find(a), t.len()), (None, 1));
        // The freed slot is used again.
        let c: Ipv6Addr = "fd00::3".parse().unwrap();
        assert_eq!(t.acquire(c), ia);
        assert_eq!(t.get(ia), c);
        t.release(99);
    }
}
