//! Parse Ethernet + IPv4 + TCP, read every header field, walk every TCP option and take the
//! payload length: synack against etherparse, smoltcp's `wire`, pnet_packet, and a
//! hand-written fixed-offset reader (one bounds check per layer) that shows the floor.
//!
//! After criterion's groups, `ratios` prints the ratios with the adapters interleaved.
//!
//! `taskset -c 1 cargo bench --bench parse`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/frames.rs"]
mod frames;
#[path = "common/interleave.rs"]
mod interleave;
use frames::{data_1514, mixed_batch, seed_syn};

/// Every adapter folds what it read into one number, so nothing is optimised away and every
/// adapter does the same work.
#[inline(always)]
fn mix(acc: u64, v: u64) -> u64 {
    acc.rotate_left(5) ^ v
}

/// Walks synack's options, as both synack adapters do.
#[inline(always)]
fn mix_options(mut a: u64, options: synack::wire::TcpOptions<'_>) -> u64 {
    for o in options {
        let Ok(o) = o else { continue };
        let v = match o {
            synack::wire::TcpOption::Mss(m) => u64::from(m),
            synack::wire::TcpOption::WindowScale(s) => u64::from(s),
            synack::wire::TcpOption::Timestamps { tsval, tsecr } => u64::from(tsval) ^ u64::from(tsecr),
            other => u64::from(other.kind()),
        };
        a = mix(a, v);
    }
    a
}

fn synack_parse(data: &[u8]) -> u64 {
    let Ok(f) = synack::wire::parse_frame(data) else {
        return 0;
    };
    let (Some(eth), Some(ip), Some(tcp)) = (f.ethernet(), f.ipv4.as_ref(), f.tcp.as_ref()) else {
        return 0;
    };
    let mut a = 0u64;
    a = mix(
        a,
        u64::from(eth.src.0[5]) ^ u64::from(eth.dst.0[5]) ^ u64::from(eth.ethertype.0),
    );
    a = mix(
        a,
        u64::from(ip.ihl) ^ u64::from(ip.dscp) ^ u64::from(ip.ecn) ^ u64::from(ip.total_len),
    );
    a = mix(
        a,
        u64::from(ip.identification) ^ u64::from(ip.flags.bits()) ^ u64::from(ip.fragment_offset),
    );
    a = mix(a, u64::from(ip.ttl) ^ u64::from(ip.protocol.0) ^ u64::from(ip.checksum));
    a = mix(a, u64::from(ip.src.to_bits()) ^ u64::from(ip.dst.to_bits()));
    a = mix(
        a,
        u64::from(tcp.src_port) ^ u64::from(tcp.dst_port) ^ u64::from(tcp.seq) ^ u64::from(tcp.ack),
    );
    a = mix(
        a,
        u64::from(tcp.data_offset) ^ u64::from(tcp.flags.bits()) ^ u64::from(tcp.window),
    );
    a = mix(a, u64::from(tcp.checksum) ^ u64::from(tcp.urgent_ptr));
    a = mix_options(a, tcp.options());
    mix(a, f.payload.len() as u64)
}

/// synack's lazy views: lengths checked once, each field read from the bytes when asked.
fn synack_views(data: &[u8]) -> u64 {
    let Ok(Some(p)) = synack::wire::TcpPacket::parse(data) else {
        return 0;
    };
    let Some(eth) = p.ethernet else {
        return 0;
    };
    let (synack::wire::IpSlice::V4(ip), tcp) = (p.ip, p.tcp) else {
        return 0;
    };
    let mut a = 0u64;
    a = mix(
        a,
        u64::from(eth.src().0[5]) ^ u64::from(eth.dst().0[5]) ^ u64::from(eth.ethertype().0),
    );
    a = mix(
        a,
        u64::from(ip.ihl()) ^ u64::from(ip.dscp()) ^ u64::from(ip.ecn()) ^ u64::from(ip.total_len()),
    );
    a = mix(
        a,
        u64::from(ip.identification()) ^ u64::from(ip.flags().bits()) ^ u64::from(ip.fragment_offset()),
    );
    a = mix(
        a,
        u64::from(ip.ttl()) ^ u64::from(ip.protocol().0) ^ u64::from(ip.checksum()),
    );
    a = mix(a, u64::from(ip.src().to_bits()) ^ u64::from(ip.dst().to_bits()));
    a = mix(
        a,
        u64::from(tcp.src_port()) ^ u64::from(tcp.dst_port()) ^ u64::from(tcp.seq()) ^ u64::from(tcp.ack()),
    );
    a = mix(
        a,
        u64::from(tcp.data_offset()) ^ u64::from(tcp.flags().bits()) ^ u64::from(tcp.window()),
    );
    a = mix(a, u64::from(tcp.checksum()) ^ u64::from(tcp.urgent_ptr()));
    a = mix_options(a, tcp.options());
    mix(a, p.payload.len() as u64)
}

fn etherparse_parse(data: &[u8]) -> u64 {
    use etherparse::{LinkSlice, NetSlice, SlicedPacket, TcpOptionElement, TransportSlice};
    let Ok(p) = SlicedPacket::from_ethernet(data) else {
        return 0;
    };
    let (Some(LinkSlice::Ethernet2(eth)), Some(NetSlice::Ipv4(ipv4)), Some(TransportSlice::Tcp(tcp))) =
        (p.link, p.net, p.transport)
    else {
        return 0;
    };
    let ip = ipv4.header();
    let mut a = 0u64;
    a = mix(
        a,
        u64::from(eth.source()[5]) ^ u64::from(eth.destination()[5]) ^ u64::from(eth.ether_type().0),
    );
    a = mix(
        a,
        u64::from(ip.ihl()) ^ u64::from(ip.dcp().value()) ^ u64::from(ip.ecn().value()) ^ u64::from(ip.total_len()),
    );
    a = mix(
        a,
        u64::from(ip.identification())
            ^ u64::from(ip.dont_fragment())
            ^ u64::from(ip.more_fragments())
            ^ u64::from(ip.fragments_offset().value()),
    );
    a = mix(
        a,
        u64::from(ip.ttl()) ^ u64::from(ip.protocol().0) ^ u64::from(ip.header_checksum()),
    );
    a = mix(
        a,
        u64::from(u32::from_be_bytes(ip.source())) ^ u64::from(u32::from_be_bytes(ip.destination())),
    );
    a = mix(
        a,
        u64::from(tcp.source_port())
            ^ u64::from(tcp.destination_port())
            ^ u64::from(tcp.sequence_number())
            ^ u64::from(tcp.acknowledgment_number()),
    );
    let flags = u64::from(tcp.fin())
        | u64::from(tcp.syn()) << 1
        | u64::from(tcp.rst()) << 2
        | u64::from(tcp.psh()) << 3
        | u64::from(tcp.ack()) << 4
        | u64::from(tcp.urg()) << 5
        | u64::from(tcp.ece()) << 6
        | u64::from(tcp.cwr()) << 7
        | u64::from(tcp.ns()) << 8;
    a = mix(a, u64::from(tcp.data_offset()) ^ flags ^ u64::from(tcp.window_size()));
    a = mix(a, u64::from(tcp.checksum()) ^ u64::from(tcp.urgent_pointer()));
    for o in tcp.options_iterator() {
        let Ok(o) = o else { continue };
        let v = match o {
            TcpOptionElement::MaximumSegmentSize(m) => u64::from(m),
            TcpOptionElement::WindowScale(s) => u64::from(s),
            TcpOptionElement::Timestamp(v, e) => u64::from(v) ^ u64::from(e),
            TcpOptionElement::Noop => 1,
            TcpOptionElement::SelectiveAcknowledgementPermitted => 4,
            TcpOptionElement::SelectiveAcknowledgement(..) => 5,
        };
        a = mix(a, v);
    }
    mix(a, tcp.payload().len() as u64)
}

fn smoltcp_parse(data: &[u8]) -> u64 {
    use smoltcp::wire::{EthernetFrame, Ipv4Packet, TcpOption, TcpPacket};
    let Ok(eth) = EthernetFrame::new_checked(data) else {
        return 0;
    };
    let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
        return 0;
    };
    let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
        return 0;
    };
    let mut a = 0u64;
    a = mix(
        a,
        u64::from(eth.src_addr().0[5]) ^ u64::from(eth.dst_addr().0[5]) ^ u64::from(u16::from(eth.ethertype())),
    );
    a = mix(
        a,
        u64::from(ip.header_len()) ^ u64::from(ip.dscp()) ^ u64::from(ip.ecn()) ^ u64::from(ip.total_len()),
    );
    a = mix(
        a,
        u64::from(ip.ident()) ^ u64::from(ip.dont_frag()) ^ u64::from(ip.more_frags()) ^ u64::from(ip.frag_offset()),
    );
    a = mix(
        a,
        u64::from(ip.hop_limit()) ^ u64::from(u8::from(ip.next_header())) ^ u64::from(ip.checksum()),
    );
    a = mix(
        a,
        u64::from(ip.src_addr().to_bits()) ^ u64::from(ip.dst_addr().to_bits()),
    );
    a = mix(
        a,
        u64::from(tcp.src_port()) ^ u64::from(tcp.dst_port()) ^ tcp.seq_number().0 as u64 ^ tcp.ack_number().0 as u64,
    );
    let flags = u64::from(tcp.fin())
        | u64::from(tcp.syn()) << 1
        | u64::from(tcp.rst()) << 2
        | u64::from(tcp.psh()) << 3
        | u64::from(tcp.ack()) << 4
        | u64::from(tcp.urg()) << 5
        | u64::from(tcp.ece()) << 6
        | u64::from(tcp.cwr()) << 7
        | u64::from(tcp.ns()) << 8;
    a = mix(a, u64::from(tcp.header_len()) ^ flags ^ u64::from(tcp.window_len()));
    a = mix(a, u64::from(tcp.checksum()) ^ u64::from(tcp.urgent_at()));
    let mut opts = tcp.options();
    while !opts.is_empty() {
        let Ok((rest, o)) = TcpOption::parse(opts) else { break };
        let v = match o {
            TcpOption::EndOfList => break,
            TcpOption::MaxSegmentSize(m) => u64::from(m),
            TcpOption::WindowScale(s) => u64::from(s),
            TcpOption::TimeStamp { tsval, tsecr } => u64::from(tsval) ^ u64::from(tsecr),
            _ => 1,
        };
        a = mix(a, v);
        opts = rest;
    }
    mix(a, tcp.payload().len() as u64)
}

fn pnet_parse(data: &[u8]) -> u64 {
    use pnet_packet::Packet;
    use pnet_packet::ethernet::EthernetPacket;
    use pnet_packet::ipv4::Ipv4Packet;
    use pnet_packet::tcp::TcpPacket;
    let Some(eth) = EthernetPacket::new(data) else { return 0 };
    let Some(ip) = Ipv4Packet::new(eth.payload()) else {
        return 0;
    };
    let Some(tcp) = TcpPacket::new(ip.payload()) else {
        return 0;
    };
    let mut a = 0u64;
    a = mix(
        a,
        u64::from(eth.get_source().5) ^ u64::from(eth.get_destination().5) ^ u64::from(eth.get_ethertype().0),
    );
    a = mix(
        a,
        u64::from(ip.get_header_length())
            ^ u64::from(ip.get_dscp())
            ^ u64::from(ip.get_ecn())
            ^ u64::from(ip.get_total_length()),
    );
    a = mix(
        a,
        u64::from(ip.get_identification()) ^ u64::from(ip.get_flags()) ^ u64::from(ip.get_fragment_offset()),
    );
    a = mix(
        a,
        u64::from(ip.get_ttl()) ^ u64::from(ip.get_next_level_protocol().0) ^ u64::from(ip.get_checksum()),
    );
    a = mix(
        a,
        u64::from(ip.get_source().to_bits()) ^ u64::from(ip.get_destination().to_bits()),
    );
    a = mix(
        a,
        u64::from(tcp.get_source())
            ^ u64::from(tcp.get_destination())
            ^ u64::from(tcp.get_sequence())
            ^ u64::from(tcp.get_acknowledgement()),
    );
    a = mix(
        a,
        u64::from(tcp.get_data_offset()) ^ u64::from(tcp.get_flags()) ^ u64::from(tcp.get_window()),
    );
    a = mix(a, u64::from(tcp.get_checksum()) ^ u64::from(tcp.get_urgent_ptr()));
    for o in tcp.get_options_iter() {
        let p = o.payload();
        let v = p
            .iter()
            .fold(u64::from(o.get_number().0), |acc, b| acc.rotate_left(8) ^ u64::from(*b));
        a = mix(a, v);
    }
    mix(a, tcp.payload().len() as u64)
}

/// The floor: fixed offsets, one bounds check per layer, options walked by hand.
fn hand_written(d: &[u8]) -> u64 {
    let Some(eth) = d.first_chunk::<14>() else { return 0 };
    if eth[12..14] != [0x08, 0x00] {
        return 0;
    }
    let Some(ip) = d[14..].first_chunk::<20>() else {
        return 0;
    };
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if ihl < 20 || total < ihl || d.len() < 14 + total || ip[9] != 6 {
        return 0;
    }
    let seg = &d[14 + ihl..14 + total];
    let Some(t) = seg.first_chunk::<20>() else { return 0 };
    let thl = usize::from(t[12] >> 4) * 4;
    if thl < 20 || seg.len() < thl {
        return 0;
    }
    let be16 = |a: u8, b: u8| u64::from(u16::from_be_bytes([a, b]));
    let be32 = |s: &[u8]| u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    let mut a = 0u64;
    a = mix(a, u64::from(eth[11]) ^ u64::from(eth[5]) ^ be16(eth[12], eth[13]));
    a = mix(
        a,
        u64::from(ip[0] & 0x0f) ^ u64::from(ip[1] >> 2) ^ u64::from(ip[1] & 3) ^ be16(ip[2], ip[3]),
    );
    a = mix(
        a,
        be16(ip[4], ip[5]) ^ u64::from(ip[6] >> 5) ^ (be16(ip[6], ip[7]) & 0x1fff),
    );
    a = mix(a, u64::from(ip[8]) ^ u64::from(ip[9]) ^ be16(ip[10], ip[11]));
    a = mix(a, be32(&ip[12..16]) ^ be32(&ip[16..20]));
    a = mix(
        a,
        be16(t[0], t[1]) ^ be16(t[2], t[3]) ^ be32(&t[4..8]) ^ be32(&t[8..12]),
    );
    a = mix(
        a,
        u64::from(t[12] >> 4) ^ (be16(t[12], t[13]) & 0x0fff) ^ be16(t[14], t[15]),
    );
    a = mix(a, be16(t[16], t[17]) ^ be16(t[18], t[19]));
    let opts = &seg[20..thl];
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => {
                a = mix(a, 1);
                i += 1;
            }
            kind => {
                let Some(&len) = opts.get(i + 1) else { break };
                let len = usize::from(len);
                if len < 2 || i + len > opts.len() {
                    break;
                }
                let body = &opts[i + 2..i + len];
                let v = match (kind, body.len()) {
                    (2, 2) => be16(body[0], body[1]),
                    (3, 1) => u64::from(body[0]),
                    (8, 8) => be32(&body[..4]) ^ be32(&body[4..]),
                    _ => u64::from(kind),
                };
                a = mix(a, v);
                i += len;
            }
        }
    }
    mix(a, (seg.len() - thl) as u64)
}

type Adapter = (&'static str, fn(&[u8]) -> u64);

const ADAPTERS: [Adapter; 6] = [
    ("synack", synack_parse),
    ("synack-views", synack_views),
    ("hand-written", hand_written),
    ("smoltcp", smoltcp_parse),
    ("pnet", pnet_parse),
    ("etherparse", etherparse_parse),
];

fn bench(c: &mut Criterion) {
    // Every adapter reads the same values from the same frames.
    for f in [seed_syn(), data_1514()] {
        let d = synack_parse(&f);
        assert_ne!(d, 0);
        assert_eq!(synack_views(&f), d);
        for (name, a) in ADAPTERS {
            assert_ne!(a(&f), 0, "{name} could not parse");
        }
    }
    for (frame_name, frame) in [("syn_66", seed_syn()), ("data_1514", data_1514())] {
        let mut g = c.benchmark_group(format!("parse/{frame_name}"));
        g.throughput(Throughput::Elements(1));
        for (name, a) in ADAPTERS {
            g.bench_function(name, |b| b.iter(|| a(black_box(&frame))));
        }
        g.finish();
    }
    let batch = mixed_batch();
    let mut g = c.benchmark_group("parse/mixed_1024");
    g.throughput(Throughput::Elements(batch.len() as u64));
    for (name, a) in ADAPTERS {
        g.bench_function(name, |b| {
            b.iter(|| batch.iter().fold(0u64, |acc, f| acc ^ a(black_box(f))))
        });
    }
    g.finish();
}

/// Views / smoltcp, views / etherparse and views / the hand-written floor per frame, from
/// [`interleave::best_of`] (criterion's groups above time one adapter after another).
fn ratios(_: &mut Criterion) {
    println!(
        "\nparse ratios (best of {} interleaved rounds, ns a frame):",
        interleave::ROUNDS
    );
    println!("frame        views  floor  smoltcp  etherparse  views/floor  views/smoltcp  views/etherparse");
    let frames = [
        ("syn_66", vec![seed_syn()]),
        ("data_1514", vec![data_1514()]),
        ("mixed_1024", mixed_batch()),
    ];
    for (name, f) in frames {
        let adapters = [
            synack_views as fn(&[u8]) -> u64,
            hand_written,
            smoltcp_parse,
            etherparse_parse,
        ];
        let [views, floor, smol, ether] = interleave::best_of(&adapters, &f)[..] else {
            unreachable!()
        };
        println!(
            "{name:<12} {views:5.1}  {floor:5.1}  {smol:7.1}  {ether:10.1}  {:11.3}  {:13.3}  {:16.3}",
            views / floor,
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
