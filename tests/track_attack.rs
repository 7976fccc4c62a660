//! The tracker under attack: SYN floods, hash flooding, and random segment sequences.

mod common;

use core::net::Ipv4Addr;
use core::time::Duration;
use std::alloc::System;
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use synack::Timestamp;
use synack::track::{CloseCause, Config, Endpoint, EventKind, FlowKey, Tracker};
use synack::wire::{TcpFlags, parse_frame};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn frame(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), flags: TcpFlags, seq: u32, ack: u32, len: usize) -> Vec<u8> {
    common::tcp_frame(src, dst, flags, seq, ack, len, 1000)
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Ten million SYNs from random endpoints against a table of 1000: the table never holds
/// more, every eviction is reported, and heap use stops growing once the table is full.
/// The few established connections survive when the cap leaves room for them.
#[test]
fn syn_flood_stays_within_the_cap() {
    const CAP: usize = 1000;
    const SYNS: u64 = 10_000_000;
    let config = Config::default().with_max_connections(CAP).with_verify_checksums(false);
    let mut tracker = Tracker::new(config);
    let server = (Ipv4Addr::new(198, 18, 0, 2), 80);
    let mut buf = frame((Ipv4Addr::new(198, 19, 0, 1), 1), server, TcpFlags::SYN, 1, 0, 0);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut t = Timestamp::new(1_700_000_000, 0);
    let mut evicted_events = 0u64;
    let mut drained = 0u64;
    let mut baseline = None;
    let region = Region::new(GLOBAL);
    for i in 0..SYNS {
        let r = rng.next();
        // Random source address in 198.18.0.0/15 and random port: bytes 26..30 and 34..36.
        buf[27] = 18 | ((r >> 8) as u8 & 1);
        buf[28] = (r >> 16) as u8;
        buf[29] = (r >> 24) as u8;
        buf[34..36].copy_from_slice(&((r >> 32) as u16).to_be_bytes());
        buf[38..42].copy_from_slice(&((r >> 40) as u32).to_be_bytes());
        t = t + Duration::from_nanos(100);
        let f = parse_frame(&buf).unwrap();
        for e in tracker.observe(t, &f) {
            if e.kind == EventKind::Closed(CloseCause::Evicted) {
                evicted_events += 1;
            }
        }
        assert!(tracker.len() <= CAP);
        if i % 4096 == 0 {
            drained += tracker.drain_summaries().count() as u64;
        }
        if i == 200_000 {
            let s = region.change();
            baseline = Some(s.bytes_allocated as i64 - s.bytes_deallocated as i64);
        }
    }
    drained += tracker.drain_summaries().count() as u64;
    let s = region.change();
    let now = s.bytes_allocated as i64 - s.bytes_deallocated as i64;
    let baseline = baseline.unwrap();
    eprintln!("flood: {SYNS} SYNs, table {CAP}: heap after 200k SYNs {baseline} B, after all {now} B");
    assert!(now <= baseline + 64 * 1024, "heap grew from {baseline} to {now} bytes");
    let stats = tracker.stats();
    assert_eq!(stats.evicted, evicted_events);
    assert!(
        evicted_events >= SYNS - CAP as u64 - 10_000,
        "{evicted_events} evictions"
    );
    assert_eq!(
        drained + stats.summaries_dropped,
        stats.connections - tracker.len() as u64
    );
}

/// Established connections keep their state through a flood when the cap leaves room.
#[test]
fn established_connections_survive_a_flood_with_a_generous_cap() {
    let config = Config::default()
        .with_max_connections(5000)
        .with_verify_checksums(false);
    let mut tracker = Tracker::new(config);
    let client = (Ipv4Addr::new(198, 18, 1, 1), 40000);
    let server = (Ipv4Addr::new(198, 18, 0, 2), 80);
    let mut t = Timestamp::new(1_700_000_000, 0);
    let feed = |tracker: &mut Tracker, bytes: Vec<u8>, t: Timestamp| -> Vec<EventKind> {
        tracker
            .observe(t, &parse_frame(&bytes).unwrap())
            .iter()
            .map(|e| e.kind)
            .collect()
    };
    feed(&mut tracker, frame(client, server, TcpFlags::SYN, 100, 0, 0), t);
    feed(
        &mut tracker,
        frame(server, client, TcpFlags::SYN | TcpFlags::ACK, 500, 101, 0),
        t,
    );
    let k = feed(&mut tracker, frame(client, server, TcpFlags::ACK, 101, 501, 0), t);
    assert!(matches!(k[0], EventKind::Established(_)));
    let mut rng = XorShift(42);
    for i in 0..20_000u32 {
        let r = rng.next();
        t = t + Duration::from_micros(10);
        let src = (Ipv4Addr::from(0xc613_0000 | (r as u32 & 0xffff)), (r >> 16) as u16);
        feed(&mut tracker, frame(src, server, TcpFlags::SYN, 1, 0, 0), t);
        if i % 1000 == 0 {
            // The established connection stays active.
            let k = feed(
                &mut tracker,
                frame(client, server, TcpFlags::ACK | TcpFlags::PSH, 101, 501, 0),
                t,
            );
            assert!(
                !k.iter().any(|k| matches!(k, EventKind::New { .. })),
                "lost its state: {k:?}"
            );
        }
    }
    let k = feed(
        &mut tracker,
        frame(client, server, TcpFlags::ACK | TcpFlags::FIN, 101, 501, 0),
        t,
    );
    assert_eq!(k, vec![EventKind::Fin { first: true, data: 0 }]);
}

fn v4(e: Endpoint) -> Ipv4Addr {
    match e.addr {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(_) => panic!("IPv4 endpoints only here"),
    }
}

/// Keys crafted to collide in a fixed hasher's low bits spread out in the tracker's table,
/// whose hasher is keyed at random per tracker; and all of them are tracked.
#[test]
fn hash_flooding_keys_do_not_pile_into_one_bucket() {
    use core::hash::BuildHasher;
    let fixed = foldhash::fast::FixedState::with_seed(0);
    let server = Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 80);
    let mask = (1u64 << 12) - 1;
    let mut colliding = Vec::new();
    let mut candidate = 0u32;
    while colliding.len() < 2000 {
        candidate += 1;
        let client = Endpoint::new(Ipv4Addr::from(0xc612_0000 | (candidate >> 16)), candidate as u16);
        let key = FlowKey::new(client, server);
        // The tracker's table hashes an IPv4 flow as two integers, each endpoint packed as
        // `address << 16 | port`, the smaller first: collide on exactly that.
        let packed = |e: Endpoint, a: Ipv4Addr| (u64::from(a.to_bits()) << 16) | u64::from(e.port);
        let (c, s) = (packed(client, v4(client)), packed(server, v4(server)));
        if fixed.hash_one((c.min(s), c.max(s))) & mask == 0 {
            colliding.push(key);
        }
    }
    let a = Tracker::new(Config::default());
    let b = Tracker::new(Config::default());
    let buckets: HashSet<u64> = colliding.iter().map(|k| a.table_hash(k) & mask).collect();
    eprintln!(
        "hash flooding: 2000 keys in 1 bucket of 4096 for a fixed hasher, {} buckets in the tracker's",
        buckets.len()
    );
    // Uniform hashing puts 2000 keys into about 1590 distinct buckets of 4096.
    assert!(buckets.len() > 1400, "only {} buckets", buckets.len());
    assert!(
        colliding.iter().take(50).any(|k| a.table_hash(k) != b.table_hash(k)),
        "trackers share a hash key"
    );

    let mut t = Tracker::new(Config::default().with_verify_checksums(false));
    for (i, k) in colliding.iter().enumerate() {
        let (lo, hi) = k.endpoints();
        let client = if lo == server { hi } else { lo };
        let bytes = frame(
            (v4(client), client.port),
            (v4(server), server.port),
            TcpFlags::SYN,
            1,
            0,
            0,
        );
        t.observe(Timestamp::new(1, i as u32), &parse_frame(&bytes).unwrap());
    }
    assert_eq!(t.len(), 2000);
}

/// A generated segment: direction, flags, offsets from per-side bases, length, endpoint pair.
fn segment() -> impl Strategy<Value = (bool, u8, i16, i16, u8, u8, u8)> {
    (
        any::<bool>(),
        any::<u8>(),
        -40i16..400,
        -40i16..400,
        0u8..4,
        0u8..3,
        0u8..20,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any sequence of segments, in any order, never panics and keeps every invariant: a
    /// connection closes at most once, reports nothing after closing, is established only
    /// after its SYN and SYN-ACK, and the counts reconcile.
    #[test]
    fn random_segments_keep_the_invariants(segs in proptest::collection::vec(segment(), 1..120), cap in 1usize..6) {
        let config = Config::default().with_max_connections(cap);
        let mut tracker = Tracker::new(config);
        let mut t = Timestamp::new(1_700_000_000, 0);
        let mut closed: HashSet<u64> = HashSet::new();
        let mut seen_syn: HashMap<u64, (bool, bool)> = HashMap::new();
        let mut news = 0u64;
        for (to_server, fl, so, ao, len, pair, gap) in segs {
            let client = (Ipv4Addr::new(198, 18, 0, 1), 40000 + u16::from(pair));
            let server = (Ipv4Addr::new(198, 18, 0, 2), 80);
            let flags = TcpFlags::from_bits_retain(u16::from(fl) & 0x3f);
            let (src, dst, base, peer) = if to_server { (client, server, 1000u32, 9000u32) } else { (server, client, 9000, 1000) };
            let seq = base.wrapping_add(so as i32 as u32);
            let ack = peer.wrapping_add(ao as i32 as u32);
            t = t + Duration::from_millis(u64::from(gap) * 500);
            let bytes = frame(src, dst, flags, seq, ack, usize::from(len));
            for e in tracker.observe(t, &parse_frame(&bytes).unwrap()) {
                prop_assert!(!closed.contains(&e.conn), "event after close: {e:?}");
                let s = seen_syn.entry(e.conn).or_default();
                match e.kind {
                    EventKind::New { .. } => news += 1,
                    EventKind::Syn { .. } | EventKind::SimultaneousOpen => s.0 = true,
                    EventKind::SynAck { .. } => s.1 = true,
                    EventKind::Established(_) => prop_assert!(s.0 && s.1, "established before its handshake: {e:?}"),
                    EventKind::Closed(_) => { closed.insert(e.conn); }
                    _ => {}
                }
            }
            prop_assert!(tracker.len() <= cap);
        }
        let stats = tracker.stats();
        prop_assert_eq!(stats.connections, news);
        let summaries = tracker.finish();
        prop_assert_eq!(summaries.len() as u64, news);
        let ids: HashSet<u64> = summaries.iter().map(|s| s.id).collect();
        prop_assert_eq!(ids.len(), summaries.len());
    }
}
