//! IPv6 frames with every kind of extension header, built with the `PacketBuilder`: decoded,
//! tracked, and (with tshark) compared column for column, the `ipv6.*` columns included.

mod common;

use std::net::Ipv6Addr;

use common::{Need, Tally, compare, dissect_fields, needs, report, tshark_fields};
use synack::Timestamp;
use synack::capture::write;
use synack::track::{Config, ConnState, EventKind, Tracker};
use synack::wire::{
    ChecksumVerdict, Content, IpProtocol, LinkType, MacAddr, PacketBuilder, TcpFlags, TcpOption, parse_frame,
};

const CLIENT: &str = "fd00::1";
const SERVER: &str = "fd00::2";
/// A router on the way, the next hop of a routing header.
const VIA: &str = "fd00::77";

fn addr(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// A routing header of type 0 with `addrs` and `left` segments left (RFC 8200 §4.4).
fn routing0(addrs: &[Ipv6Addr], left: u8) -> Vec<u8> {
    let mut h = vec![0, (addrs.len() * 2) as u8, 0, left, 0, 0, 0, 0];
    for a in addrs {
        h.extend_from_slice(&a.octets());
    }
    h
}

/// The extension headers each conversation's frames carry: (name, first type, bytes).
fn chains() -> Vec<(&'static str, IpProtocol, Vec<u8>)> {
    let mut srh = vec![0, 4, 4, 0, 1, 0, 0, 0];
    srh.extend_from_slice(&addr(SERVER).octets());
    srh.extend_from_slice(&addr("fd00::99").octets());
    vec![
        ("none", IpProtocol::TCP, vec![]),
        // Destination options: PadN to fill 8 bytes.
        ("dstopts", IpProtocol::DESTINATION_OPTIONS, vec![0, 0, 1, 4, 0, 0, 0, 0]),
        // Hop-by-hop router alert, then destination options with an unknown option.
        (
            "hbh+dstopts",
            IpProtocol::HOP_BY_HOP,
            vec![60, 0, 5, 2, 0, 0, 1, 0, 0, 0, 0x1e, 4, 1, 2, 3, 4],
        ),
        // Routing type 0, no segments left: the destination stays.
        ("rt0-done", IpProtocol::ROUTING, routing0(&[addr("fd00::77")], 0)),
        // Routing type 0 with one segment left (filled in per direction by `frames`).
        ("rt0-left", IpProtocol::ROUTING, vec![]),
        // Segment routing, all segments visited.
        ("srh", IpProtocol::ROUTING, srh),
        // An atomic fragment (offset 0, M=0): a whole datagram.
        (
            "atomic-fragment",
            IpProtocol::FRAGMENT,
            vec![0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78],
        ),
        // AH with 12 bytes of ICV space.
        (
            "ah",
            IpProtocol::AH,
            vec![
                0, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            ],
        ),
    ]
}

/// One conversation per chain on its own client port: handshake, 5 bytes of data each way,
/// teardown.
fn frames() -> Vec<Vec<u8>> {
    let syn_opts = [
        TcpOption::Mss(1440),
        TcpOption::SackPermitted,
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    let mut out = Vec::new();
    let (to_server, to_client) = (routing0(&[addr(SERVER)], 1), routing0(&[addr(CLIENT)], 1));
    for (i, (_, first, ext)) in chains().iter().enumerate() {
        let port = 40000 + i as u16;
        let b = |from_client: bool| {
            let (s, d) = if from_client {
                (CLIENT, SERVER)
            } else {
                (SERVER, CLIENT)
            };
            let p = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
            match *first {
                // Through a router: the header's destination is the hop, the route ends at
                // the peer (the final destination, which keys the connection and the checksum).
                IpProtocol::ROUTING if ext.is_empty() => p
                    .ipv6(addr(s), addr(VIA), 64)
                    .flow_label(0x12345 + i as u32)
                    .ipv6_extensions(IpProtocol::ROUTING, if from_client { &to_server } else { &to_client }),
                _ => p
                    .ipv6(addr(s), addr(d), 64)
                    .flow_label(0x12345 + i as u32)
                    .ipv6_extensions(*first, ext),
            }
        };
        let (c, s) = (1000u32, 5000u32);
        let a = TcpFlags::ACK;
        let frames = [
            b(true)
                .tcp(port, 80, c, 64800)
                .flags(TcpFlags::SYN)
                .options(&syn_opts)
                .build(&[]),
            b(false)
                .tcp(80, port, s, 64800)
                .flags(TcpFlags::SYN | a)
                .ack_number(c + 1)
                .options(&syn_opts)
                .build(&[]),
            b(true).tcp(port, 80, c + 1, 507).flags(a).ack_number(s + 1).build(&[]),
            b(true)
                .tcp(port, 80, c + 1, 507)
                .flags(a | TcpFlags::PSH)
                .ack_number(s + 1)
                .build(b"11111"),
            b(false)
                .tcp(80, port, s + 1, 507)
                .flags(a | TcpFlags::PSH)
                .ack_number(c + 6)
                .build(b"22222"),
            b(true)
                .tcp(port, 80, c + 6, 507)
                .flags(a | TcpFlags::FIN)
                .ack_number(s + 6)
                .build(&[]),
            b(false)
                .tcp(80, port, s + 6, 507)
                .flags(a | TcpFlags::FIN)
                .ack_number(c + 7)
                .build(&[]),
            b(true).tcp(port, 80, c + 7, 507).flags(a).ack_number(s + 7).build(&[]),
        ];
        out.extend(frames.into_iter().map(|f| f.expect("the frame builds")));
    }
    out
}

fn timestamp(i: usize) -> Timestamp {
    Timestamp::new(1_700_000_000, 0) + std::time::Duration::from_micros(100 * i as u64)
}

#[test]
fn every_chain_decodes_with_a_good_checksum() {
    let chains = chains();
    for (i, f) in frames().iter().enumerate() {
        let frame = parse_frame(f).unwrap_or_else(|e| panic!("frame {i}: {e}"));
        let (name, _, ext) = &chains[i / 8];
        assert_eq!(frame.content, Content::Tcp, "{name}");
        let routed = ext.is_empty() && name.starts_with("rt0");
        assert_eq!(
            frame.ipv6_extensions.len(),
            if routed { 24 } else { ext.len() },
            "{name}"
        );
        assert_eq!(frame.ipv6_extensions.upper_protocol(), IpProtocol::TCP, "{name}");
        assert_eq!(frame.tcp_checksum(), Some(ChecksumVerdict::Good), "{name} frame {i}");
        assert_eq!(frame.trailer(), &[] as &[u8], "{name}");
    }
}

#[test]
fn the_tracker_follows_every_chain() {
    let mut tracker = Tracker::new(Config::default());
    let mut established = 0;
    for (i, f) in frames().iter().enumerate() {
        let events = tracker.observe(timestamp(i), &parse_frame(f).unwrap());
        established += events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Established(_)))
            .count();
    }
    // Seven connections (closed, in the table until their timeout) share two addresses.
    assert_eq!((tracker.len(), tracker.ipv6_addresses()), (chains().len(), 2));
    let summaries = tracker.finish();
    assert_eq!(tracker.ipv6_addresses(), 0, "no connection left: no address kept");
    assert_eq!(established, chains().len());
    assert_eq!(summaries.len(), chains().len());
    for s in &summaries {
        assert_eq!(
            (s.conn_state, s.history.as_str()),
            (ConnState::SF, "ShADdFf"),
            "{}",
            s.key
        );
        assert_eq!(s.key.client.addr, addr(CLIENT));
        assert_eq!((s.orig_bytes, s.resp_bytes), (Some(5), Some(5)));
    }
}

#[test]
fn ipv6_extension_headers_match_tshark() {
    if !needs("ipv6_extension_headers_match_tshark", &[Need::Tshark]) {
        return;
    }
    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ipv6-chains.pcap");
    let mut bytes = Vec::new();
    write::header(&mut bytes, LinkType::ETHERNET, 65535).unwrap();
    for (i, f) in frames().iter().enumerate() {
        write::record(&mut bytes, timestamp(i), f, f.len() as u32).unwrap();
    }
    std::fs::write(&file, bytes).unwrap();
    let (ours, stderr) = dissect_fields(&file);
    assert!(stderr.is_empty(), "{stderr}");
    let theirs = tshark_fields(&file);
    let mut tally = Tally::default();
    compare(&file, &ours, &theirs, &mut tally);
    report("IPv6 extension headers", &tally);
    assert_eq!(tally.frames, frames().len());
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches against tshark",
        tally.mismatches.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile IPv6: every malformed chain is a typed error at its offset in the frame, never a
// panic; fragments are set apart as IPv4's are.
// ---------------------------------------------------------------------------------------------

/// A client-to-server ACK with 4 bytes of payload behind the extension headers `ext`.
fn with_chain(first: IpProtocol, ext: &[u8]) -> Vec<u8> {
    PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
        .ipv6(addr(CLIENT), addr(SERVER), 64)
        .ipv6_extensions(first, ext)
        .tcp(40000, 80, 1, 100)
        .ack(1)
        .build(b"data")
        .expect("a well-formed chain")
}

/// The frame `f` with its IPv6 next header set to `first` and `raw` in place of its
/// extension headers (the payload length follows).
fn rechain(first: u8, raw: &[u8]) -> Vec<u8> {
    let f = with_chain(IpProtocol::TCP, &[]);
    let mut out = f[..54].to_vec();
    out[20] = first;
    out.extend_from_slice(raw);
    out.extend_from_slice(&f[54..]);
    let plen = (out.len() - 54) as u16;
    out[18..20].copy_from_slice(&plen.to_be_bytes());
    out
}

use synack::wire::{Error, Field, Layer};

#[test]
fn hostile_chains_are_typed_errors_at_their_offset() {
    let pad = [60u8, 0, 1, 4, 0, 0, 0, 0];
    // 17 destination options headers: one past the cap, at 14 + 40 + 16 * 8.
    let long = pad.repeat(17);
    match parse_frame(&rechain(60, &long)) {
        Err(Error::InvalidField {
            layer: Layer::Ipv6Extension,
            offset,
            field: Field::NextHeader,
            ..
        }) => assert_eq!(offset, 14 + 40 + 128),
        other => panic!("{other:?}"),
    }
    // A hop-by-hop header second.
    let hbh_second = [[0u8, 0, 1, 4, 0, 0, 0, 0], [6, 0, 1, 4, 0, 0, 0, 0]].concat();
    assert!(matches!(
        parse_frame(&rechain(60, &hbh_second)),
        Err(Error::InvalidField {
            layer: Layer::Ipv6Extension,
            offset: 62,
            value: 0,
            ..
        })
    ));
    // A header whose length runs past the payload (and the frame).
    let long_len = [6u8, 200, 1, 4, 0, 0, 0, 0];
    assert!(matches!(
        parse_frame(&rechain(60, &long_len)),
        Err(Error::Truncated {
            layer: Layer::Ipv6Extension,
            offset: 54,
            needed: 1608,
            ..
        })
    ));
    // Every prefix of a frame with a chain is a typed error or a shorter frame, never a panic.
    let f = with_chain(
        IpProtocol::HOP_BY_HOP,
        &[60, 0, 5, 2, 0, 0, 1, 0, 6, 0, 1, 4, 0, 0, 0, 0],
    );
    for cut in 0..f.len() {
        let d = synack::wire::dissect_frame(LinkType::ETHERNET, &f[..cut]);
        assert!(
            d.content == Content::Malformed || d.content == Content::Tcp,
            "cut {cut}: {d:?}"
        );
    }
}

#[test]
fn fragments_are_set_apart() {
    // A first fragment (offset 0, M set): TCP is decoded, its length and checksum are not.
    let first = with_chain(IpProtocol::FRAGMENT, &[6, 0, 0, 1, 0, 0, 0, 9]);
    let f = parse_frame(&first).unwrap();
    assert_eq!(f.content, Content::Tcp);
    assert!(f.is_fragment() && f.tcp_len().is_none());
    assert_eq!(f.tcp_checksum(), Some(ChecksumVerdict::Unverifiable));
    // A later fragment (offset 8 bytes): no TCP header, its bytes are the payload.
    let later = rechain(44, &[6, 0, 0, 8, 0, 0, 0, 9]);
    let f = parse_frame(&later).unwrap();
    assert_eq!((f.content, f.tcp.is_none()), (Content::Ipv6Fragment, true));
    assert_eq!(f.payload.len(), 20 + 4);
    let frag = f.ipv6_extensions.fragment().unwrap();
    assert_eq!((frag.offset_bytes(), frag.more, frag.identification), (8, false, 9));
    // The tracker counts both and tracks the first.
    let mut tracker = Tracker::new(Config::default());
    tracker.observe(timestamp(0), &parse_frame(&first).unwrap());
    tracker.observe(timestamp(1), &parse_frame(&later).unwrap());
    assert_eq!(
        (tracker.stats().frames, tracker.stats().not_tcp, tracker.len()),
        (2, 1, 1)
    );
}

#[test]
fn routing_fields_that_disagree_do_not_panic() {
    // Type 0 claiming 5 segments left with room for one address; SRH claiming 9 entries in
    // 16 bytes; an unknown type with segments left.
    for rt in [
        [6u8, 2, 0, 5].iter().chain(&[0; 20]).copied().collect::<Vec<u8>>(),
        [6u8, 2, 4, 3, 9, 0, 0, 0].iter().chain(&[0; 16]).copied().collect(),
        [6u8, 0, 7, 1, 0, 0, 0, 0].to_vec(),
    ] {
        let f = rechain(43, &rt);
        let frame = parse_frame(&f).unwrap();
        assert_eq!(frame.content, Content::Tcp);
        let r = frame.ipv6_extensions.headers().next().unwrap().routing().unwrap();
        assert!(r.addresses().count() <= 1);
        // Whatever the route says, the checksum is judged, never a panic.
        assert!(frame.tcp_checksum().is_some());
    }
}

/// IPv6 behind every link type synack reads: Ethernet with a VLAN tag, Linux SLL and SLL2,
/// raw IP (101 and 229), BSD loopback with each AF_INET6 value in either byte order.
#[test]
fn ipv6_behind_every_link_type() {
    use synack::wire::{TcpPacket, dissect_frame};
    let eth = with_chain(IpProtocol::DESTINATION_OPTIONS, &[0, 0, 1, 4, 0, 0, 0, 0]);
    let ip = &eth[14..];
    let mut vlan = eth[..12].to_vec();
    vlan.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a, 0x86, 0xdd]);
    vlan.extend_from_slice(ip);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd];
    sll.extend_from_slice(ip);
    let mut sll2 = vec![0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    sll2.extend_from_slice(ip);
    let mut cases = vec![
        (LinkType::ETHERNET, vlan),
        (LinkType::LINUX_SLL, sll),
        (LinkType::LINUX_SLL2, sll2),
        (LinkType::RAW, ip.to_vec()),
        (LinkType::IPV6, ip.to_vec()),
    ];
    for family in [24u32, 28, 30] {
        for bytes in [family.to_le_bytes(), family.to_be_bytes()] {
            cases.push((LinkType::NULL, [&bytes[..], ip].concat()));
        }
    }
    let want = parse_frame(&eth).unwrap();
    for (link, data) in &cases {
        let f = dissect_frame(*link, data);
        assert_eq!(f.content, Content::Tcp, "{link} {data:02x?}");
        assert_eq!(
            (f.ipv6, f.tcp, f.payload),
            (want.ipv6, want.tcp, want.payload),
            "{link}"
        );
        assert_eq!(f.ipv6_extensions.count(), 1, "{link}");
        assert_eq!(f.tcp_checksum(), Some(ChecksumVerdict::Good), "{link}");
        let p = TcpPacket::parse_link(*link, data).unwrap().expect("TCP over IPv6");
        assert_eq!(p.ip.v6().map(|v| v.to_header()), want.ipv6, "{link}");
        assert_eq!(p.payload, want.payload, "{link}");
    }
}
