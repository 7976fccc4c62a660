#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

use std::collections::HashMap;

use synack::track::reassembly::{Chunk, ReassemblyConfig};
use synack::track::{Config, StreamChunk, Tracker};
use synack::wire::{LinkType, dissect_frame};
use synack::Timestamp;

// The input is a sequence of records: a 2-byte big-endian length, a 1-byte time step (in
// 100 ms), and that many frame bytes (Ethernet). They are fed in order to a tracker with a
// small table, so eviction, expiry and port reuse are all reached; the first byte picks
// Zeek's settings. A second tracker without Zeek's accounting (`conn_summaries` off) gets
// the same frames and must report the same events (and, fuzz builds having debug
// assertions, the first checks on every packet what the second keeps in its place). With
// bit 16 of the first byte, both reassemble the streams with small caps: every direction's
// chunks follow each other without a hole or an overlap, the buffers stay within the
// cap across connections. The two end idle connections by the phase timeouts (Zeek's
// timers need the times kept with the summaries); a third tracker with Zeek's timers gets
// the same frames, each after `Tracker::prefetch` (a hint that must never fail either).
fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    let mut config = Config::default().with_max_connections(4).with_summary_backlog(16).with_data_events(true);
    config.zeek.count_bad_checksums = flags & 1 == 1;
    config.zeek.reassemble = flags & 2 == 2;
    config.zeek.report_gaps_for_partial = flags & 8 == 8;
    if flags & 4 == 4 {
        config.likely_server_ports = vec![80, 443];
    }
    let cap = 1024;
    if flags & 16 == 16 {
        config = config.with_reassembly(ReassemblyConfig::default().with_max_buffered(512).with_max_total(cap));
    }
    let mut ends: HashMap<(u64, bool), u64> = HashMap::new();
    let mut check = |c: StreamChunk<'_>| {
        let end = ends.entry((c.conn, c.direction.index() == 0)).or_default();
        match c.chunk {
            Chunk::Data { offset, bytes } => {
                assert_eq!(offset, *end);
                *end += bytes.len() as u64;
            }
            Chunk::Gap { offset, len, .. } => {
                assert_eq!(offset, *end);
                *end += len;
            }
            _ => {}
        }
    };
    let mut timed = Tracker::new(config.clone());
    let config = config.with_zeek_timers(None);
    let mut tracker = Tracker::new(config.clone());
    let mut events_only = Tracker::new(config.with_conn_summaries(false));
    let mut t = Timestamp::new(1_700_000_000, 0);
    let mut rest = data.get(1..).unwrap_or(&[]);
    while rest.len() >= 3 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        t = t + std::time::Duration::from_millis(100 * u64::from(rest[2]));
        let end = (3 + len).min(rest.len());
        let frame = dissect_frame(LinkType::ETHERNET, &rest[3..end]);
        let a = tracker.observe_with(t, &frame, &mut check).to_vec();
        assert!(tracker.stream_buffered() <= cap);
        let b = events_only.observe(t, &frame);
        assert_eq!(a, b, "the events differ without the summaries");
        black_box(a.len());
        timed.prefetch(&frame);
        black_box(timed.observe(t, &frame).len());
        rest = &rest[end..];
    }
    tracker.end_with(&mut check);
    black_box(tracker.finish().len());
    black_box(timed.finish().len());
    assert!(events_only.finish().is_empty());
});
