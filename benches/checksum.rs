//! Internet checksums: IPv4 header verification, TCP verification of a 1514-byte frame, and
//! the raw RFC 1071 sum over 1500 bytes and 64 KiB, in bytes per second, for synack,
//! smoltcp, etherparse and the `internet-checksum` crate.
//!
//! `cargo bench --bench checksum`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/frames.rs"]
mod frames;
use frames::data_1514;

fn bytes(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn raw_sum(c: &mut Criterion) {
    for n in [1500usize, 65536] {
        let data = bytes(n);
        // All four agree on the value.
        let want = synack::wire::checksum::checksum(&data);
        assert_eq!(smoltcp::wire::checksum::data(&data), !want);
        assert_eq!(u16::from_be_bytes(internet_checksum::checksum(&data)), want);
        // etherparse returns the checksum as the native-endian reading of its two bytes.
        let e = etherparse::checksum::Sum16BitWords::new()
            .add_slice(&data)
            .ones_complement();
        assert_eq!(u16::from_be_bytes(e.to_ne_bytes()), want);
        let mut g = c.benchmark_group(format!("checksum/sum_{n}"));
        g.throughput(Throughput::Bytes(n as u64));
        g.bench_function("synack", |b| {
            b.iter(|| synack::wire::checksum::checksum(black_box(&data)))
        });
        g.bench_function("smoltcp", |b| {
            b.iter(|| smoltcp::wire::checksum::data(black_box(&data)))
        });
        g.bench_function("etherparse", |b| {
            b.iter(|| {
                etherparse::checksum::Sum16BitWords::new()
                    .add_slice(black_box(&data))
                    .ones_complement()
            })
        });
        g.bench_function("internet-checksum", |b| {
            b.iter(|| internet_checksum::checksum(black_box(&data)))
        });
        g.finish();
    }
}

fn verify(c: &mut Criterion) {
    let frame = data_1514();
    let ip = &frame[14..34];
    let mut g = c.benchmark_group("checksum/ipv4_header");
    g.throughput(Throughput::Bytes(20));
    g.bench_function("synack", |b| {
        b.iter(|| synack::wire::checksum::verify_ipv4_header(black_box(ip)).is_good())
    });
    g.bench_function("smoltcp", |b| {
        b.iter(|| smoltcp::wire::Ipv4Packet::new_unchecked(black_box(ip)).verify_checksum())
    });
    g.bench_function("etherparse", |b| {
        b.iter(|| {
            let h = etherparse::Ipv4HeaderSlice::from_slice(black_box(ip)).unwrap();
            h.to_header().calc_header_checksum() == h.header_checksum()
        })
    });
    g.bench_function("internet-checksum", |b| {
        b.iter(|| internet_checksum::checksum(black_box(ip)) == [0, 0])
    });
    g.finish();

    let segment = &frame[34..];
    let (src, dst) = ([198u8, 18, 0, 1], [198u8, 18, 0, 2]);
    let mut g = c.benchmark_group("checksum/tcp_1514");
    g.throughput(Throughput::Bytes(segment.len() as u64));
    g.bench_function("synack", |b| {
        b.iter(|| {
            synack::wire::checksum::verify_transport(
                (std::net::Ipv4Addr::from(src), std::net::Ipv4Addr::from(dst)),
                6,
                black_box(segment),
                16,
            )
            .is_good()
        })
    });
    g.bench_function("smoltcp", |b| {
        let (s, d) = (
            smoltcp::wire::IpAddress::Ipv4(src.into()),
            smoltcp::wire::IpAddress::Ipv4(dst.into()),
        );
        b.iter(|| smoltcp::wire::TcpPacket::new_unchecked(black_box(segment)).verify_checksum(&s, &d))
    });
    g.bench_function("etherparse", |b| {
        b.iter(|| {
            let t = etherparse::TcpSlice::from_slice(black_box(segment)).unwrap();
            t.calc_checksum_ipv4(src, dst).unwrap() == t.checksum()
        })
    });
    g.bench_function("internet-checksum", |b| {
        b.iter(|| {
            let mut c = internet_checksum::Checksum::new();
            c.add_bytes(&src);
            c.add_bytes(&dst);
            c.add_bytes(&[0, 6]);
            c.add_bytes(&(segment.len() as u16).to_be_bytes());
            c.add_bytes(black_box(segment));
            c.checksum() == [0, 0]
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2)).sample_size(40);
    targets = raw_sum, verify
}
criterion_main!(benches);
