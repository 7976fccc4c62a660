//! The stream reassembler: in order without a copy, out of order within its caps, gaps as
//! Zeek defines them (acknowledged, never seen), overlaps by policy, the end of the stream;
//! adversarial input after Suricata-verify's reassembly cases; and a property test against a
//! byte-by-byte model of the same rules.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use proptest::prelude::*;
use synack::track::reassembly::{
    Chunk, EndCause, GapCause, OverlapPolicy, Reassembler, ReassemblyConfig, UrgentPolicy,
};
use synack::track::{Endpoint, Segment};
use synack::wire::TcpFlags;

const ACK: TcpFlags = TcpFlags::ACK;

/// One direction's segments, numbered from its ISN.
struct Dir {
    isn: u32,
    r: Reassembler,
    /// Everything handed out, in order.
    log: Vec<Owned>,
}

/// A chunk with its bytes copied.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Data(u64, Vec<u8>),
    Gap(u64, u64, GapCause),
    Urgent(u64, u8),
    End(u64, EndCause),
}

fn own(c: Chunk<'_>) -> Owned {
    match c {
        Chunk::Data { offset, bytes } => Owned::Data(offset, bytes.to_vec()),
        Chunk::Gap { offset, len, cause } => Owned::Gap(offset, len, cause),
        Chunk::Urgent { offset, byte } => Owned::Urgent(offset, byte),
        Chunk::End { offset, cause } => Owned::End(offset, cause),
        _ => unreachable!("a chunk kind this test does not know"),
    }
}

fn seg(flags: TcpFlags, seq: u32, payload: &[u8]) -> Segment<'_> {
    let a = Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 40000);
    let b = Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 80);
    Segment::new(a, b, flags, seq, 0).with_payload(payload)
}

impl Dir {
    fn new(isn: u32, config: ReassemblyConfig) -> Dir {
        let mut r = Reassembler::new(config);
        let _ = r.segment(&seg(TcpFlags::SYN, isn, &[]));
        Dir {
            isn,
            r,
            log: Vec::new(),
        }
    }

    /// Sends `payload` at offset `off` (relative to the first data byte); returns what came out.
    fn send(&mut self, flags: TcpFlags, off: u32, payload: &[u8]) -> Vec<Owned> {
        let s = seg(flags, self.isn.wrapping_add(1).wrapping_add(off), payload);
        let out: Vec<Owned> = self.r.segment(&s).map(own).collect();
        self.log.extend(out.iter().cloned());
        out
    }

    fn data(&mut self, off: u32, payload: &[u8]) -> Vec<Owned> {
        self.send(ACK, off, payload)
    }

    /// Sends data at `off`; returns whether the delivery called it inconsistent.
    fn inconsistent(&mut self, off: u32, payload: &[u8]) -> bool {
        let s = seg(ACK, self.isn.wrapping_add(1).wrapping_add(off), payload);
        let delivery = self.r.segment(&s);
        let flag = delivery.inconsistent();
        self.log.extend(delivery.map(own));
        flag
    }

    /// The receiver acknowledges everything below offset `off`.
    fn ack(&mut self, off: u32) -> Vec<Owned> {
        let out: Vec<Owned> = self
            .r
            .ack(self.isn.wrapping_add(1).wrapping_add(off))
            .map(own)
            .collect();
        self.log.extend(out.iter().cloned());
        out
    }

    /// The stream's bytes as delivered, gaps as `?`.
    fn text(&self) -> String {
        let mut s = String::new();
        for o in &self.log {
            match o {
                Owned::Data(_, b) => s.push_str(&String::from_utf8_lossy(b)),
                Owned::Gap(_, n, _) => s.push_str(&"?".repeat(*n as usize)),
                _ => {}
            }
        }
        s
    }
}

fn config() -> ReassemblyConfig {
    ReassemblyConfig::default()
}

// ---------------------------------------------------------------------------------------------
// In order, out of order, gaps
// ---------------------------------------------------------------------------------------------

#[test]
fn in_order_data_is_the_payload_itself() {
    let mut d = Dir::new(1000, config());
    let payload = b"11111".to_vec();
    let s = seg(ACK, 1001, &payload);
    let chunks: Vec<Chunk<'_>> = d.r.segment(&s).collect();
    let Chunk::Data { offset: 0, bytes } = chunks[0] else {
        panic!("{chunks:?}")
    };
    // The same memory, not a copy.
    assert_eq!(bytes.as_ptr(), payload.as_ptr());
    assert_eq!(d.r.stats().delivered_in_place, 5);
    assert_eq!(d.r.buffered(), 0);
}

#[test]
fn out_of_order_segments_wait_for_the_hole() {
    let mut d = Dir::new(7, config());
    assert!(d.data(6, b"world").is_empty());
    assert!(d.data(11, b"!").is_empty());
    assert_eq!(d.r.buffered_segments(), 2);
    let out = d.data(0, b"hello ");
    assert_eq!(
        out,
        [Owned::Data(0, b"hello ".to_vec()), Owned::Data(6, b"world!".to_vec())]
    );
    // The buffer ("world!": a hole below it takes no room) is let go of at the next call
    // (the slices above live until then).
    assert_eq!(d.r.buffered(), 6);
    d.ack(12);
    assert_eq!(d.r.buffered(), 0);
    assert_eq!(d.r.stats().out_of_order, 2);
}

#[test]
fn an_acknowledged_hole_is_a_gap_then_the_data_above_it() {
    let mut d = Dir::new(0, config());
    d.data(0, b"ab");
    d.data(4, b"ef");
    d.data(8, b"ij");
    // The receiver had everything up to offset 6: one gap, "ef", nothing past the ACK.
    assert_eq!(
        d.ack(6),
        [Owned::Gap(2, 2, GapCause::Acknowledged), Owned::Data(4, b"ef".to_vec())]
    );
    // An ACK past the last byte seen: a gap to it (data the capture missed at the end).
    assert_eq!(
        d.ack(12),
        [
            Owned::Gap(6, 2, GapCause::Acknowledged),
            Owned::Data(8, b"ij".to_vec()),
            Owned::Gap(10, 2, GapCause::Acknowledged)
        ]
    );
    assert_eq!(d.text(), "ab??ef??ij??");
    assert_eq!(d.r.stats().missing, 6);
    // An ACK below where the stream stands changes nothing.
    assert!(d.ack(3).is_empty());
}

#[test]
fn a_fin_ends_the_stream_once_the_data_before_it_is_in() {
    let mut d = Dir::new(0, config());
    d.data(0, b"abc");
    // The FIN arrives before the data ahead of it.
    assert!(d.send(TcpFlags::FIN | ACK, 6, b"").is_empty());
    assert_eq!(
        d.data(3, b"def"),
        [Owned::Data(3, b"def".to_vec()), Owned::End(6, EndCause::Fin)]
    );
    // Nothing after the end.
    assert!(d.data(6, b"late").is_empty());
    assert_eq!(d.r.stats().after_end, 1);

    // A FIN whose data was never seen: the ACK of the FIN gives it up, then the end.
    let mut d = Dir::new(0, config());
    d.data(0, b"abc");
    d.send(TcpFlags::FIN | ACK, 10, b"");
    assert_eq!(
        d.ack(11),
        [Owned::Gap(3, 7, GapCause::Acknowledged), Owned::End(10, EndCause::Fin)]
    );
}

#[test]
fn a_reset_delivers_what_was_buffered_and_ends() {
    let mut d = Dir::new(0, config());
    d.data(0, b"abc");
    d.data(5, b"fg");
    assert_eq!(
        d.send(TcpFlags::RST, 3, b"diagnostic text"),
        [
            Owned::Gap(3, 2, GapCause::Ended),
            Owned::Data(5, b"fg".to_vec()),
            Owned::End(7, EndCause::Reset)
        ]
    );
    // close after the end: nothing more.
    assert_eq!(d.r.close().count(), 0);
    let mut d = Dir::new(0, config());
    d.data(0, b"abc");
    assert_eq!(
        d.r.close().map(own).collect::<Vec<_>>(),
        [Owned::End(3, EndCause::Closed)]
    );
}

#[test]
fn syn_data_is_the_first_bytes_of_the_stream() {
    // TCP Fast Open: data on the SYN, at offset 0.
    let mut r = Reassembler::new(config());
    let out: Vec<Owned> = r.segment(&seg(TcpFlags::SYN, 500, b"GET /")).map(own).collect();
    assert_eq!(out, [Owned::Data(0, b"GET /".to_vec())]);
    let out: Vec<Owned> = r.segment(&seg(ACK, 506, b" HTTP/1.1")).map(own).collect();
    assert_eq!(out, [Owned::Data(5, b" HTTP/1.1".to_vec())]);
}

#[test]
fn a_stream_seen_without_its_syn_starts_at_its_first_segment() {
    let mut r = Reassembler::new(config());
    let out: Vec<Owned> = r.segment(&seg(ACK, 9000, b"midstream")).map(own).collect();
    assert_eq!(out, [Owned::Data(0, b"midstream".to_vec())]);
    // Earlier bytes (a retransmission from before the capture) are not part of it.
    assert_eq!(r.segment(&seg(ACK, 8990, b"0123456789")).count(), 0);
}

#[test]
fn offsets_go_on_past_the_sequence_wrap() {
    // An ISN just below 2^32: the sequence numbers wrap after 100 bytes.
    let mut d = Dir::new(u32::MAX - 100, config());
    let block = vec![7u8; 60];
    let mut expect = 0u64;
    for i in 0..10u32 {
        let out = d.data(i * 60, &block);
        assert_eq!(out, [Owned::Data(expect, block.clone())]);
        expect += 60;
    }
    // Out of order across the wrap, too.
    assert!(d.data(660, b"b").is_empty());
    assert_eq!(d.data(600, &block[..60]).len(), 2);
    assert_eq!(d.r.offset(), 661);
}

#[test]
fn offsets_are_64_bits_wide() {
    // More than 4 GiB in order: the 32-bit sequence space wraps, the offsets do not.
    let mut d = Dir::new(123, config());
    let block = vec![0u8; 65_535];
    let mut off = 0u64;
    while off < (5u64 << 30) {
        let s = seg(ACK, d.isn.wrapping_add(1).wrapping_add(off as u32), &block);
        let mut chunks = d.r.segment(&s);
        assert!(matches!(chunks.next(), Some(Chunk::Data { offset, .. }) if offset == off));
        off += block.len() as u64;
    }
    assert_eq!(d.r.offset(), off);
    assert_eq!(d.r.stats().delivered_in_place, off);
}

// ---------------------------------------------------------------------------------------------
// Overlaps
// ---------------------------------------------------------------------------------------------

/// Buffers "BBBB" at offsets 4..8 above a hole, then sends `new` at `at`, fills what is left
/// of the hole before the first of them, and returns the stream (`?` where nothing came).
fn overlap(policy: OverlapPolicy, at: u32, new: &[u8]) -> (String, bool) {
    let mut d = Dir::new(0, config().with_policy(policy));
    d.data(4, b"BBBB");
    let inconsistent = d.inconsistent(at, new);
    d.data(0, &b"____"[..at.min(4) as usize]);
    d.ack(64);
    (d.text().trim_end_matches('?').to_string(), inconsistent)
}

#[test]
fn first_wins_by_default_and_differing_overlaps_are_reported() {
    assert_eq!(
        overlap(OverlapPolicy::First, 2, b"xxxxxxxx"),
        ("__xxBBBBxx".into(), true)
    );
    // The same bytes again: an overlap, not an inconsistency.
    assert_eq!(overlap(OverlapPolicy::First, 4, b"BBBB"), ("____BBBB".into(), false));
    assert_eq!(
        overlap(OverlapPolicy::Last, 2, b"xxxxxxxx"),
        ("__xxxxxxxx".into(), true)
    );
}

#[test]
fn target_based_policies_at_every_alignment() {
    // The new segment at every start around the buffered one [4, 8) and every length up to
    // past it; the stream must hold, at each byte, the copy the policy picks (new_wins, the
    // table of Suricata's DoHandleDataOverlap), and never anything else.
    for policy in OverlapPolicy::ALL {
        for start in 2u32..=8 {
            for len in 1u32..=8 {
                let new = vec![b'x'; len as usize];
                let (text, inconsistent) = overlap(policy, start, &new);
                let (ns, ne) = (u64::from(start), u64::from(start + len));
                let wins = policy.new_wins((ns, ne), (4, 8));
                let overlaps = ns < 8 && ne > 4;
                assert_eq!(inconsistent, overlaps, "{policy} {start}+{len}");
                for (i, c) in text.bytes().enumerate() {
                    let i = i as u64;
                    let new = (ns..ne).contains(&i);
                    let want = if (4..8).contains(&i) {
                        if new && wins { b'x' } else { b'B' }
                    } else if new {
                        b'x'
                    } else if i < ns.min(4) {
                        b'_'
                    } else {
                        b'?'
                    };
                    assert_eq!(c, want, "{policy} new at {start}+{len}: {text}");
                }
            }
        }
    }
}

#[test]
fn retransmissions_with_new_content_are_caught_while_kept() {
    // Delivered bytes are compared with a retransmission while they are kept (until the
    // receiver acknowledges them): never changed, always reported.
    let mut d = Dir::new(0, config().with_keep_unacked(true));
    d.data(0, b"hello world");
    assert!(d.inconsistent(0, b"HELLO"));
    assert!(!d.inconsistent(0, b"hello"));
    d.ack(11);
    // Acknowledged: let go, nothing to compare.
    assert!(!d.inconsistent(0, b"HELLO"));
    assert_eq!(d.text(), "hello world");
    // Without keeping, in-order data is never copied and not compared.
    let mut d = Dir::new(0, config());
    d.data(0, b"hello world");
    assert!(!d.inconsistent(0, b"HELLO"));
}

#[test]
fn keep_alives_and_zero_window_probes_are_not_inconsistent() {
    let mut d = Dir::new(0, config().with_keep_unacked(true));
    d.data(0, b"abcd");
    // A keep-alive: one garbage byte one below the next.
    assert!(!d.inconsistent(3, b"\0"));
    // A zero-window probe: the next byte, sent ahead; its retransmission is the same byte.
    assert_eq!(d.data(4, b"e"), [Owned::Data(4, b"e".to_vec())]);
    assert!(!d.inconsistent(4, b"ef"));
    assert_eq!(d.text(), "abcdef");
}

// ---------------------------------------------------------------------------------------------
// Urgent data
// ---------------------------------------------------------------------------------------------

#[test]
fn urgent_data_is_inline_by_default() {
    let mut d = Dir::new(0, config());
    let s = seg(ACK | TcpFlags::URG, 1, b"abc!").with_urgent_ptr(4);
    let out: Vec<Owned> = d.r.segment(&s).map(own).collect();
    assert_eq!(out, [Owned::Data(0, b"abc!".to_vec())]);
}

#[test]
fn out_of_band_urgent_bytes_leave_the_stream() {
    let mut d = Dir::new(0, config().with_urgent(UrgentPolicy::OutOfBand));
    // The byte before the urgent pointer ('!') is out of band; later data moves down by one.
    let s = seg(ACK | TcpFlags::URG, 1, b"abc!de").with_urgent_ptr(4);
    let out: Vec<Owned> = d.r.segment(&s).map(own).collect();
    assert_eq!(
        out,
        [
            Owned::Data(0, b"abc".to_vec()),
            Owned::Urgent(3, b'!'),
            Owned::Data(3, b"de".to_vec())
        ]
    );
    assert_eq!(d.data(6, b"fg"), [Owned::Data(5, b"fg".to_vec())]);
    // The same segment again: a retransmission, not a second urgent byte.
    let s = seg(ACK | TcpFlags::URG, 1, b"abc!de").with_urgent_ptr(4);
    assert_eq!(d.r.segment(&s).count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Caps and floods
// ---------------------------------------------------------------------------------------------

#[test]
fn a_flood_of_one_byte_segments_stays_within_the_caps() {
    // Suricata-verify's "many small out-of-order segments": every other byte, a million of
    // them, never the first. Memory stays within both caps; the reassembler skips ahead and
    // says so; nothing it was given is lost or delivered twice.
    let cap = ReassemblyConfig::default()
        .with_max_buffered(64 << 10)
        .with_max_segments(1024);
    let mut d = Dir::new(0, cap);
    let mut overflows = 0;
    let mut delivered = 0u64;
    let mut last_end = 0u64;
    for i in 0..1_000_000u32 {
        let s = seg(ACK, 1 + 1 + 2 * i, b"z");
        let delivery = d.r.segment(&s);
        overflows += u32::from(delivery.overflowed());
        for c in delivery {
            match c {
                Chunk::Data { offset, bytes } => {
                    assert!(offset >= last_end);
                    last_end = offset + bytes.len() as u64;
                    delivered += bytes.len() as u64;
                }
                Chunk::Gap { offset, len, cause } => {
                    assert_eq!(cause, GapCause::Overflow);
                    assert!(offset >= last_end);
                    last_end = offset + len;
                }
                _ => {}
            }
        }
        assert!(d.r.buffered() <= 64 << 10);
        assert!(d.r.buffered_segments() <= 1024);
    }
    assert!(overflows > 0);
    assert_eq!(d.r.stats().overflows, u64::from(overflows));
    // Every byte sent was delivered once, but those still buffered.
    assert_eq!(delivered + d.r.buffered_segments() as u64, 1_000_000);
}

#[test]
fn a_segment_past_the_cap_skips_ahead_to_itself() {
    let mut d = Dir::new(0, config().with_max_buffered(100));
    d.data(0, b"ab");
    d.data(10, b"k");
    // 500 bytes past the cap: the buffered byte and this segment come out, the holes as gaps.
    let far = vec![b'f'; 50];
    let out = d.data(500, &far);
    assert_eq!(
        out,
        [
            Owned::Gap(2, 8, GapCause::Overflow),
            Owned::Data(10, b"k".to_vec()),
            Owned::Gap(11, 489, GapCause::Overflow),
            Owned::Data(500, far.clone())
        ]
    );
    d.ack(550);
    assert_eq!(d.r.buffered(), 0);
}

// ---------------------------------------------------------------------------------------------
// Against a model
// ---------------------------------------------------------------------------------------------

/// The same rules, byte by byte: a map of buffered bytes, the pieces as sent, `next`.
#[derive(Default)]
struct Model {
    next: u64,
    bytes: BTreeMap<u64, u8>,
    pieces: Vec<(u64, u64)>,
    out: Vec<u8>,
}

impl Model {
    fn send(&mut self, policy: OverlapPolicy, off: u64, data: &[u8]) {
        let (s, e) = (off, off + data.len() as u64);
        for (i, &b) in data.iter().enumerate() {
            let o = s + i as u64;
            if o < self.next {
                continue;
            }
            let covering: Vec<_> = self.pieces.iter().filter(|p| p.0 <= o && o < p.1).collect();
            let keep_old = self
                .bytes
                .get(&o)
                .is_some_and(|&old| old != b && covering.iter().any(|&&l| !policy.new_wins((s, e), l)));
            if !keep_old {
                self.bytes.insert(o, b);
            }
        }
        if s.max(self.next) < e && !self.pieces.contains(&(s, e)) {
            self.pieces.push((s, e));
        }
        while let Some(b) = self.bytes.remove(&self.next) {
            self.out.push(b);
            self.next += 1;
        }
        self.pieces.retain(|p| p.1 > self.next);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_stream_is_the_model_stream(
        isn in any::<u32>(),
        policy in proptest::sample::select(OverlapPolicy::ALL.to_vec()),
        segs in proptest::collection::vec((0u64..48, proptest::collection::vec(0u8..4, 1..12)), 1..24),
    ) {
        let mut d = Dir::new(isn, config().with_policy(policy));
        let mut m = Model::default();
        for (off, data) in &segs {
            d.data(*off as u32, data);
            m.send(policy, *off, data);
            prop_assert_eq!(d.r.offset(), m.next);
        }
        let got: Vec<u8> = d.log.iter().flat_map(|o| match o {
            Owned::Data(_, b) => b.clone(),
            _ => Vec::new(),
        }).collect();
        prop_assert_eq!(got, m.out);
        // Whatever is still buffered is the model's, byte for byte.
        for (off, bytes) in d.r.buffered_data() {
            for (i, &b) in bytes.iter().enumerate() {
                prop_assert_eq!(m.bytes.get(&(off + i as u64)), Some(&b));
            }
        }
    }
}

#[test]
fn the_cap_counts_the_whole_span_buffered() {
    // A segment far ahead, then one just past the hole: buffering both would span more than
    // the cap (the buffer covers the hole between them), so the reassembler skips ahead
    // instead (found by the reassembly fuzz target).
    let mut d = Dir::new(0, config().with_max_buffered(1000));
    assert!(d.data(5000, b"far").is_empty());
    let out = d.data(10, b"near");
    assert_eq!(
        out,
        [
            Owned::Gap(0, 5000, GapCause::Overflow),
            Owned::Data(5000, b"far".to_vec()),
        ]
    );
    assert!(d.r.buffered() <= 1000);
}

// ---------------------------------------------------------------------------------------------
// In the tracker
// ---------------------------------------------------------------------------------------------

#[test]
fn the_tracker_keeps_all_streams_within_one_cap() {
    // 200 connections each buffer 2 KiB beyond a hole; the tracker's cap across them is
    // 64 KiB: the connection that would pass it stops waiting (an overflow anomaly, its holes
    // given up as gaps), and the total never exceeds the cap.
    use synack::Timestamp;
    use synack::track::{Anomaly, Config, EventKind, Tracker};
    let config = Config::default().with_reassembly(ReassemblyConfig::default().with_max_total(64 << 10));
    let mut tracker = Tracker::new(config);
    let server = Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 80);
    let block = vec![b'x'; 2048];
    let (mut overflows, mut gaps) = (0, 0u64);
    let t = Timestamp::new(1_700_000_000, 0);
    for i in 0..200u16 {
        let client = Endpoint::new(Ipv4Addr::new(198, 18, 1, 1), 10_000 + i);
        let syn = Segment::new(client, server, TcpFlags::SYN, 100, 0);
        tracker.observe_segment(t, &syn);
        let ahead = Segment::new(client, server, ACK, 101 + 1000, 0).with_payload(&block);
        let events = tracker.observe_segment_with(t, &ahead, &mut |c| {
            if let Chunk::Gap {
                len,
                cause: GapCause::Overflow,
                ..
            } = c.chunk
            {
                gaps += len;
            }
        });
        overflows += events
            .iter()
            .filter(|e| e.kind == EventKind::Anomaly(Anomaly::StreamOverflow))
            .count();
        assert!(tracker.stream_buffered() <= 64 << 10, "{}", tracker.stream_buffered());
    }
    assert!(overflows > 0);
    assert_eq!(gaps, 1000 * overflows as u64);
    // At the end every stream ends, what is buffered given to the caller.
    let mut ended = 0;
    tracker.end_with(&mut |c| ended += usize::from(matches!(c.chunk, Chunk::End { .. })));
    assert_eq!(ended, 400);
    assert_eq!(tracker.stream_buffered(), 0);
}

#[test]
fn data_after_the_peers_reset_is_still_its_stream() {
    // The server resets; the client's segment that crossed the RST arrives after it. Zeek
    // hands it to the client's reassembler (`TCPSessionAdapter::DeliverPacket` checks the
    // segment's own RST only) and Wireshark follows it: the client's stream has its bytes
    // and ends when the connection goes.
    use synack::Timestamp;
    use synack::track::{Config, Tracker};
    let mut tracker = Tracker::new(Config::default().with_reassembly(ReassemblyConfig::default()));
    let client = Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 40000);
    let server = Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 1051);
    let t = |ms: u32| Timestamp::new(1_700_000_000, ms * 1000);
    let mut got: Vec<(Endpoint, Owned)> = Vec::new();
    let segments = [
        Segment::new(client, server, TcpFlags::SYN, 100, 0),
        Segment::new(server, client, TcpFlags::SYN | ACK, 500, 101),
        Segment::new(client, server, ACK, 101, 501),
        Segment::new(client, server, ACK | TcpFlags::PSH, 101, 501).with_payload(b"hello"),
        Segment::new(server, client, ACK | TcpFlags::FIN, 501, 106),
        Segment::new(client, server, ACK, 106, 502),
        Segment::new(server, client, TcpFlags::RST, 502, 0),
        Segment::new(client, server, ACK | TcpFlags::PSH, 106, 502).with_payload(b"late"),
    ];
    for (i, s) in segments.iter().enumerate() {
        tracker.observe_segment_with(t(i as u32), s, &mut |c| {
            let from = if c.direction == synack::track::Direction::ClientToServer {
                client
            } else {
                server
            };
            got.push((from, own(c.chunk)));
        });
    }
    tracker.end_with(&mut |c| {
        let from = if c.direction == synack::track::Direction::ClientToServer {
            client
        } else {
            server
        };
        got.push((from, own(c.chunk)));
    });
    let of = |who: Endpoint| {
        got.iter()
            .filter(|(e, _)| *e == who)
            .map(|(_, o)| o.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(client),
        [
            Owned::Data(0, b"hello".to_vec()),
            Owned::Data(5, b"late".to_vec()),
            Owned::End(9, EndCause::Closed)
        ]
    );
    // The server's stream had ended already, at its FIN.
    assert_eq!(of(server), [Owned::End(0, EndCause::Fin)]);
}
