//! Parse Ethernet + IPv6 (with and without one extension header) + TCP, read every fixed
//! header field, each extension header's type and length, every TCP field and option and the
//! payload length: synack (decoded frame and lazy views) against smoltcp's `wire` and
//! etherparse, in one run.
//!
//! After criterion's groups, `ratios` prints views / smoltcp and views / etherparse per
//! frame, the adapters interleaved (see there).
//!
//! `taskset -c 1 cargo bench --bench parse_ipv6`

use std::hint::black_box;
use std::net::Ipv6Addr;

#[path = "common/interleave.rs"]
mod interleave;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use synack::wire::{IpProtocol, IpSlice, MacAddr, PacketBuilder, TcpFlags, TcpOption};

#[inline(always)]
fn mix(acc: u64, v: u64) -> u64 {
    acc.rotate_left(5) ^ v
}

/// An IPv6 frame, with a destination options header when `dstopts`.
fn frame(flags: TcpFlags, options: &[TcpOption<'_>], len: usize, dstopts: bool) -> Vec<u8> {
    let ext = [0, 0, 1, 4, 0, 0, 0, 0];
    let b = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
        .ipv6("fd00::1".parse::<Ipv6Addr>().unwrap(), "fd00::2".parse().unwrap(), 64)
        .flow_label(0x12345);
    let b = if dstopts {
        b.ipv6_extensions(IpProtocol::DESTINATION_OPTIONS, &ext)
    } else {
        b
    };
    let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
    b.tcp(40000, 443, 1000, 502)
        .flags(flags)
        .ack_number(2000)
        .options(options)
        .build(&payload)
        .unwrap()
}

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    let syn = [
        TcpOption::Mss(1440),
        TcpOption::SackPermitted,
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    let ts = [
        TcpOption::Nop,
        TcpOption::Nop,
        TcpOption::Timestamps { tsval: 1, tsecr: 2 },
    ];
    vec![
        ("syn", frame(TcpFlags::SYN, &syn, 0, false)),
        ("data_1514", frame(TcpFlags::ACK | TcpFlags::PSH, &ts, 1514 - 86, false)),
        ("syn_dstopts", frame(TcpFlags::SYN, &syn, 0, true)),
        (
            "data_dstopts",
            frame(TcpFlags::ACK | TcpFlags::PSH, &ts, 1514 - 94, true),
        ),
    ]
}

/// The fields of a TCP header and its options, read the same way by every adapter.
#[inline(always)]
fn tcp_fields(a: u64, ports: (u16, u16), seq_ack: (u32, u32), flags: u64, window: u16, options: u64) -> u64 {
    let a = mix(a, u64::from(ports.0) ^ u64::from(ports.1));
    let a = mix(a, u64::from(seq_ack.0) ^ u64::from(seq_ack.1));
    mix(mix(a, flags ^ u64::from(window)), options)
}

fn synack_options(o: synack::wire::TcpOptions<'_>) -> u64 {
    o.filter_map(Result::ok).fold(0, |a, o| {
        mix(
            a,
            match o {
                TcpOption::Mss(m) => u64::from(m),
                TcpOption::WindowScale(s) => u64::from(s),
                TcpOption::Timestamps { tsval, tsecr } => u64::from(tsval) ^ u64::from(tsecr),
                other => u64::from(other.kind()),
            },
        )
    })
}

fn synack_parse(data: &[u8]) -> u64 {
    let Ok(f) = synack::wire::parse_frame(data) else {
        return 0;
    };
    let (Some(ip), Some(tcp)) = (f.ipv6.as_ref(), f.tcp.as_ref()) else {
        return 0;
    };
    let mut a = mix(
        0,
        u64::from(ip.traffic_class) ^ u64::from(ip.flow_label) ^ u64::from(ip.payload_len),
    );
    a = mix(a, u64::from(ip.next_header.0) ^ u64::from(ip.hop_limit));
    a = mix(a, (ip.src.to_bits() ^ ip.dst.to_bits()) as u64);
    for h in f.ipv6_extensions.headers() {
        a = mix(a, u64::from(h.next_header().0) ^ h.len() as u64);
    }
    let flags = u64::from(tcp.flags.bits());
    a = tcp_fields(
        a,
        (tcp.src_port, tcp.dst_port),
        (tcp.seq, tcp.ack),
        flags,
        tcp.window,
        synack_options(tcp.options()),
    );
    mix(a, f.payload.len() as u64)
}

fn synack_views(data: &[u8]) -> u64 {
    let Ok(Some(p)) = synack::wire::TcpPacket::parse(data) else {
        return 0;
    };
    let IpSlice::V6(ip) = p.ip else { return 0 };
    let mut a = mix(
        0,
        u64::from(ip.traffic_class()) ^ u64::from(ip.flow_label()) ^ u64::from(ip.payload_len()),
    );
    a = mix(a, u64::from(ip.next_header().0) ^ u64::from(ip.hop_limit()));
    a = mix(a, (ip.src().to_bits() ^ ip.dst().to_bits()) as u64);
    for h in ip.headers() {
        a = mix(a, u64::from(h.next_header().0) ^ h.len() as u64);
    }
    let t = p.tcp;
    let flags = u64::from(t.flags().bits());
    a = tcp_fields(
        a,
        (t.src_port(), t.dst_port()),
        (t.seq(), t.ack()),
        flags,
        t.window(),
        synack_options(t.options()),
    );
    mix(a, p.payload.len() as u64)
}

fn smoltcp_parse(data: &[u8]) -> u64 {
    use smoltcp::wire::{EthernetFrame, IpProtocol as P, Ipv6ExtHeader, Ipv6Packet, TcpOption as O, TcpPacket};
    let Ok(eth) = EthernetFrame::new_checked(data) else {
        return 0;
    };
    let Ok(ip) = Ipv6Packet::new_checked(eth.payload()) else {
        return 0;
    };
    let mut a = mix(
        0,
        u64::from(ip.traffic_class()) ^ u64::from(ip.flow_label()) ^ u64::from(ip.payload_len()),
    );
    a = mix(a, u64::from(u8::from(ip.next_header())) ^ u64::from(ip.hop_limit()));
    a = mix(a, (ip.src_addr().to_bits() ^ ip.dst_addr().to_bits()) as u64);
    let (mut next, mut rest) = (ip.next_header(), ip.payload());
    while matches!(next, P::HopByHop | P::Ipv6Route | P::Ipv6Opts) {
        let Ok(ext) = Ipv6ExtHeader::new_checked(rest) else {
            return 0;
        };
        let len = (usize::from(ext.header_len()) + 1) * 8;
        a = mix(a, u64::from(u8::from(ext.next_header())) ^ len as u64);
        next = ext.next_header();
        let Some(r) = rest.get(len..) else { return 0 };
        rest = r;
    }
    let Ok(tcp) = TcpPacket::new_checked(rest) else {
        return 0;
    };
    let flags = u64::from(tcp.fin())
        | u64::from(tcp.syn()) << 1
        | u64::from(tcp.rst()) << 2
        | u64::from(tcp.psh()) << 3
        | u64::from(tcp.ack()) << 4;
    let (mut opts, mut o_acc) = (tcp.options(), 0u64);
    while !opts.is_empty() {
        let Ok((r, o)) = O::parse(opts) else { break };
        let v = match o {
            O::EndOfList => break,
            O::MaxSegmentSize(m) => u64::from(m),
            O::WindowScale(s) => u64::from(s),
            O::TimeStamp { tsval, tsecr } => u64::from(tsval) ^ u64::from(tsecr),
            _ => 1,
        };
        o_acc = mix(o_acc, v);
        opts = r;
    }
    let seq_ack = (tcp.seq_number().0 as u32, tcp.ack_number().0 as u32);
    a = tcp_fields(
        a,
        (tcp.src_port(), tcp.dst_port()),
        seq_ack,
        flags,
        tcp.window_len(),
        o_acc,
    );
    mix(a, tcp.payload().len() as u64)
}

fn etherparse_parse(data: &[u8]) -> u64 {
    use etherparse::{NetSlice, SlicedPacket, TcpOptionElement, TransportSlice};
    let Ok(p) = SlicedPacket::from_ethernet(data) else {
        return 0;
    };
    let (Some(NetSlice::Ipv6(v6)), Some(TransportSlice::Tcp(tcp))) = (p.net, p.transport) else {
        return 0;
    };
    let ip = v6.header();
    let mut a = mix(
        0,
        u64::from(ip.traffic_class()) ^ u64::from(ip.flow_label().value()) ^ u64::from(ip.payload_length()),
    );
    a = mix(a, u64::from(ip.next_header().0) ^ u64::from(ip.hop_limit()));
    a = mix(a, (ip.source_addr().to_bits() ^ ip.destination_addr().to_bits()) as u64);
    for ext in v6.extensions().clone() {
        let (next, len) = match ext {
            etherparse::Ipv6ExtensionSlice::DestinationOptions(h)
            | etherparse::Ipv6ExtensionSlice::HopByHop(h)
            | etherparse::Ipv6ExtensionSlice::Routing(h) => (h.next_header().0, h.slice().len()),
            _ => (0, 0),
        };
        a = mix(a, u64::from(next) ^ len as u64);
    }
    let flags = u64::from(tcp.fin())
        | u64::from(tcp.syn()) << 1
        | u64::from(tcp.rst()) << 2
        | u64::from(tcp.psh()) << 3
        | u64::from(tcp.ack()) << 4;
    let o_acc = tcp.options_iterator().filter_map(Result::ok).fold(0, |acc, o| {
        mix(
            acc,
            match o {
                TcpOptionElement::MaximumSegmentSize(m) => u64::from(m),
                TcpOptionElement::WindowScale(s) => u64::from(s),
                TcpOptionElement::Timestamp(v, e) => u64::from(v) ^ u64::from(e),
                TcpOptionElement::Noop => 1,
                TcpOptionElement::SelectiveAcknowledgementPermitted => 4,
                TcpOptionElement::SelectiveAcknowledgement(..) => 5,
            },
        )
    });
    let seq_ack = (tcp.sequence_number(), tcp.acknowledgment_number());
    a = tcp_fields(
        a,
        (tcp.source_port(), tcp.destination_port()),
        seq_ack,
        flags,
        tcp.window_size(),
        o_acc,
    );
    mix(a, tcp.payload().len() as u64)
}

type Adapter = fn(&[u8]) -> u64;

const ADAPTERS: [(&str, Adapter); 4] = [
    ("synack_parse", synack_parse),
    ("synack_views", synack_views),
    ("smoltcp", smoltcp_parse),
    ("etherparse", etherparse_parse),
];

fn bench(c: &mut Criterion) {
    for (name, f) in frames() {
        let d = synack_parse(&f);
        assert_ne!(d, 0, "{name}");
        assert_eq!(synack_views(&f), d, "{name}: the views read what the frame does");
        for (adapter, a) in ADAPTERS {
            assert_ne!(a(&f), 0, "{adapter} could not parse {name}");
        }
        let mut g = c.benchmark_group(format!("parse_ipv6/{name}"));
        g.throughput(Throughput::Elements(1));
        for (adapter, a) in ADAPTERS {
            g.bench_function(adapter, |b| b.iter(|| a(black_box(&f))));
        }
        g.finish();
    }
}

/// The ratios, from [`interleave::best_of`] (criterion's groups above time one
/// adapter after another, seconds apart).
fn ratios(_: &mut Criterion) {
    println!(
        "\nparse_ipv6 ratios (best of {} interleaved rounds, ns a frame):",
        interleave::ROUNDS
    );
    println!("frame          views  smoltcp  etherparse  views/smoltcp  views/etherparse");
    for (name, f) in frames() {
        let adapters = [synack_views as Adapter, smoltcp_parse, etherparse_parse];
        let [views, smol, ether] = interleave::best_of(&adapters, &[f])[..] else {
            unreachable!()
        };
        println!(
            "{name:<14} {views:5.1}  {smol:7.1}  {ether:10.1}  {:13.3}  {:16.3}",
            views / smol,
            views / ether
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2)).sample_size(40);
    targets = bench
}
criterion_group!(interleaved, ratios);
criterion_main!(benches, interleaved);
