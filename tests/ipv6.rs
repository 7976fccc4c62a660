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
