//! Segments per second through one direction's `Reassembler`: 1448-byte segments in order
//! (handed out as slices of their payload: no copy), and out of order (each pair swapped: the
//! second segment of a pair is buffered, then both are delivered from the buffer and the
//! payload); with flowscope's `BufferedReassembler` (0.22, which copies in-order data into
//! its buffer and drops out-of-order segments) in the same run, and synack's in-order path
//! with the bytes copied out likewise, for a like-for-like row.
//!
//! `cargo bench --bench reassembly`

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use synack::track::reassembly::{Chunk, Reassembler, ReassemblyConfig};
use synack::track::{Endpoint, Segment};
use synack::wire::TcpFlags;

const MSS: usize = 1448;

fn ends() -> (Endpoint, Endpoint) {
    (
        Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 40000),
        Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 80),
    )
}

/// A reassembler past the SYN of ISN 1000.
fn started() -> Reassembler {
    let (a, b) = ends();
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let _ = r.segment(&Segment::new(a, b, TcpFlags::SYN, 1000, 0));
    r
}

/// The bytes handed out by one delivery.
fn consume<'a>(chunks: impl Iterator<Item = Chunk<'a>>) -> usize {
    chunks
        .map(|c| match c {
            Chunk::Data { bytes, .. } => bytes.len(),
            _ => 0,
        })
        .sum()
}

fn in_order(c: &mut Criterion) {
    let payload = vec![0x5au8; MSS];
    let (a, b) = ends();
    let mut g = c.benchmark_group("reassembly");
    g.throughput(Throughput::Elements(1));
    g.bench_function("synack in order, 1448 B", |bench| {
        let mut r = started();
        let mut seq = 1001u32;
        bench.iter(|| {
            let s = Segment::new(a, b, TcpFlags::ACK, seq, 0).with_payload(&payload);
            black_box(consume(r.segment(black_box(&s))));
            seq = seq.wrapping_add(MSS as u32);
        })
    });
    g.bench_function("synack in order, 1448 B, bytes copied out", |bench| {
        let mut r = started();
        let mut seq = 1001u32;
        let mut out = Vec::with_capacity(1 << 21);
        bench.iter(|| {
            let s = Segment::new(a, b, TcpFlags::ACK, seq, 0).with_payload(&payload);
            for c in r.segment(black_box(&s)) {
                if let Chunk::Data { bytes, .. } = c {
                    out.extend_from_slice(bytes);
                }
            }
            if out.len() > 1 << 20 {
                black_box(&out);
                out.clear();
            }
            seq = seq.wrapping_add(MSS as u32);
        })
    });
    g.bench_function("flowscope in order, 1448 B (copies)", |bench| {
        use flowscope::Reassembler as _;
        let mut r = flowscope::BufferedReassembler::new();
        let mut seq = 0u32;
        bench.iter(|| {
            r.segment(black_box(seq), &payload, flowscope::Timestamp::default());
            seq = seq.wrapping_add(MSS as u32);
            if r.buffered_len() > 1 << 20 {
                black_box(r.take());
            }
        })
    });
    g.finish();
}

fn out_of_order(c: &mut Criterion) {
    let payload = vec![0x5au8; MSS];
    let (a, b) = ends();
    let mut g = c.benchmark_group("reassembly");
    // Two segments an iteration.
    g.throughput(Throughput::Elements(2));
    g.bench_function("synack out of order (pairs swapped), 1448 B", |bench| {
        let mut r = started();
        let mut seq = 1001u32;
        bench.iter(|| {
            let second = Segment::new(a, b, TcpFlags::ACK, seq.wrapping_add(MSS as u32), 0).with_payload(&payload);
            let first = Segment::new(a, b, TcpFlags::ACK, seq, 0).with_payload(&payload);
            black_box(consume(r.segment(black_box(&second))));
            black_box(consume(r.segment(black_box(&first))));
            seq = seq.wrapping_add(2 * MSS as u32);
        })
    });
    g.bench_function("synack in order, 1448 B, two a turn", |bench| {
        let mut r = started();
        let mut seq = 1001u32;
        bench.iter(|| {
            for _ in 0..2 {
                let s = Segment::new(a, b, TcpFlags::ACK, seq, 0).with_payload(&payload);
                black_box(consume(r.segment(black_box(&s))));
                seq = seq.wrapping_add(MSS as u32);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, in_order, out_of_order);
criterion_main!(benches);
