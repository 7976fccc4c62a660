//! Property tests: generated headers (options included) → emit → parse → equal; every
//! truncation of a generated frame gives a typed error or a shorter, flagged frame; arbitrary
//! bytes never panic.

use core::net::Ipv4Addr;

use proptest::prelude::*;
use synack::wire::{
    ChecksumVerdict, Content, EtherType, EthernetHeader, IpProtocol, Ipv4Flags, Ipv4Header, LinkType, MacAddr,
    SackBlocks, TcpFlags, TcpHeader, TcpOption, dissect_frame, emit_options, fill_tcp_checksum, parse_frame,
};

/// An owned description of a TCP option, so strategies can produce borrowed options later.
#[derive(Debug, Clone)]
enum Opt {
    Nop,
    Mss(u16),
    Ws(u8),
    SackPerm,
    Sack(Vec<u8>),
    Ts(u32, u32),
    Tfo(Vec<u8>),
    TfoExp(Vec<u8>),
    Unknown(u8, Vec<u8>),
}

fn opt() -> impl Strategy<Value = Opt> {
    prop_oneof![
        Just(Opt::Nop),
        any::<u16>().prop_map(Opt::Mss),
        any::<u8>().prop_map(Opt::Ws),
        Just(Opt::SackPerm),
        (1usize..=3)
            .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * 8))
            .prop_map(Opt::Sack),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| Opt::Ts(a, b)),
        proptest::collection::vec(any::<u8>(), 0..=8).prop_map(Opt::Tfo),
        proptest::collection::vec(any::<u8>(), 0..=8).prop_map(Opt::TfoExp),
        // Kinds that are not decoded; 254 only with data that is not the Fast Open magic.
        (
            prop_oneof![Just(6u8), Just(19), Just(29), Just(30), Just(200)],
            proptest::collection::vec(any::<u8>(), 0..6)
        )
            .prop_map(|(k, d)| Opt::Unknown(k, d)),
    ]
}

fn borrow(o: &Opt) -> TcpOption<'_> {
    match o {
        Opt::Nop => TcpOption::Nop,
        Opt::Mss(m) => TcpOption::Mss(*m),
        Opt::Ws(w) => TcpOption::WindowScale(*w),
        Opt::SackPerm => TcpOption::SackPermitted,
        Opt::Sack(b) => TcpOption::Sack(SackBlocks::new(b).unwrap()),
        Opt::Ts(a, b) => TcpOption::Timestamps { tsval: *a, tsecr: *b },
        Opt::Tfo(c) => TcpOption::FastOpen(c),
        Opt::TfoExp(c) => TcpOption::FastOpenExperimental(c),
        Opt::Unknown(k, d) => TcpOption::Unknown { kind: *k, data: d },
    }
}

/// Options whose encoding fits the 40-byte TCP options area.
fn opts() -> impl Strategy<Value = Vec<Opt>> {
    proptest::collection::vec(opt(), 0..6).prop_filter("fits in 40 bytes", |v| {
        v.iter().map(|o| borrow(o).len()).sum::<usize>() <= 40
    })
}

#[derive(Debug, Clone)]
struct Seg {
    src: [u8; 4],
    dst: [u8; 4],
    id: u16,
    ttl: u8,
    dscp: u8,
    ecn: u8,
    df: bool,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u16,
    window: u16,
    urg: u16,
    opts: Vec<Opt>,
    payload: Vec<u8>,
    padding: usize,
}

fn seg() -> impl Strategy<Value = Seg> {
    (
        (
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<u8>(),
            0u8..64,
            0u8..4,
            any::<bool>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            0u16..0x1000,
            any::<u16>(),
            any::<u16>(),
        ),
        opts(),
        proptest::collection::vec(any::<u8>(), 0..200),
        0usize..20,
    )
        .prop_map(
            |(
                (src, dst, id, ttl, dscp, ecn, df),
                (sport, dport, seq, ack, flags, window, urg),
                opts,
                payload,
                padding,
            )| Seg {
                src,
                dst,
                id,
                ttl,
                dscp,
                ecn,
                df,
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
                urg,
                opts,
                payload,
                padding,
            },
        )
}

/// Builds an Ethernet frame from a description; returns the bytes.
fn build(s: &Seg) -> Vec<u8> {
    let opts: Vec<TcpOption<'_>> = s.opts.iter().map(borrow).collect();
    let mut optbuf = [0u8; 40];
    let olen = emit_options(&opts, &mut optbuf).unwrap();
    let mut tcp = TcpHeader::new(s.sport, s.dport, s.seq, s.ack, TcpFlags::from_bits_retain(s.flags));
    tcp.window = s.window;
    tcp.urgent_ptr = s.urg;
    tcp.options = &optbuf[..olen];
    tcp.data_offset = (5 + olen / 4) as u8;
    let seg_len = tcp.header_len() + s.payload.len();
    let (src, dst) = (Ipv4Addr::from(s.src), Ipv4Addr::from(s.dst));
    let mut ip = Ipv4Header::new(src, dst, IpProtocol::TCP, seg_len as u16);
    ip.identification = s.id;
    ip.ttl = s.ttl;
    ip.dscp = s.dscp;
    ip.ecn = s.ecn;
    ip.flags = if s.df { Ipv4Flags::DF } else { Ipv4Flags::empty() };
    let eth = EthernetHeader {
        dst: MacAddr([2, 0, 0, 0, 0, 1]),
        src: MacAddr([2, 0, 0, 0, 0, 2]),
        ethertype: EtherType::IPV4,
    };
    let total = 14 + 20 + seg_len + s.padding;
    let mut buf = vec![0u8; total];
    eth.emit(&mut buf).unwrap();
    ip.emit(&mut buf[14..], true).unwrap();
    let th = tcp.emit(&mut buf[34..]).unwrap();
    buf[34 + th..34 + th + s.payload.len()].copy_from_slice(&s.payload);
    fill_tcp_checksum(&mut buf[34..34 + seg_len], (src, dst)).unwrap();
    buf
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn emit_then_parse_gives_the_same_headers(s in seg()) {
        let buf = build(&s);
        let f = parse_frame(&buf).unwrap();
        let ip = f.ipv4.unwrap();
        let tcp = f.tcp.unwrap();
        prop_assert_eq!(ip.src.octets(), s.src);
        prop_assert_eq!(ip.dst.octets(), s.dst);
        prop_assert_eq!((ip.identification, ip.ttl, ip.dscp, ip.ecn), (s.id, s.ttl, s.dscp, s.ecn));
        prop_assert_eq!(ip.flags.contains(Ipv4Flags::DF), s.df);
        prop_assert_eq!((tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack), (s.sport, s.dport, s.seq, s.ack));
        prop_assert_eq!(tcp.flags.bits(), s.flags);
        prop_assert_eq!((tcp.window, tcp.urgent_ptr), (s.window, s.urg));
        prop_assert_eq!(f.payload, &s.payload[..]);
        prop_assert_eq!(f.trailer().len(), s.padding);
        prop_assert_eq!(f.ipv4_checksum(), Some(ChecksumVerdict::Good));
        prop_assert_eq!(f.tcp_checksum(), Some(ChecksumVerdict::Good));
        let mut parsed: Vec<TcpOption<'_>> = tcp.options().collect::<Result<_, _>>().unwrap();
        let wanted: Vec<TcpOption<'_>> = s.opts.iter().map(borrow).collect();
        if parsed.len() > wanted.len() {
            prop_assert_eq!(parsed.pop(), Some(TcpOption::Eol), "only EOL padding may follow");
        }
        prop_assert_eq!(parsed, wanted);
        // Writing the parsed headers back gives the same bytes.
        let mut again = vec![0u8; buf.len()];
        f.ethernet().unwrap().emit(&mut again).unwrap();
        ip.emit(&mut again[14..], false).unwrap();
        tcp.emit(&mut again[34..]).unwrap();
        let hdrs = 34 + tcp.header_len();
        prop_assert_eq!(&again[..hdrs], &buf[..hdrs]);
    }

    #[test]
    fn every_truncation_is_an_error_or_flagged(s in seg()) {
        let buf = build(&s);
        let ip_end = 14 + 20;
        let tcp_end = ip_end + 20 + s.opts.iter().map(|o| borrow(o).len()).sum::<usize>().next_multiple_of(4);
        for n in 0..buf.len() {
            // A capture cut by the snapshot length: the wire length is known.
            let cut = dissect_frame(LinkType::ETHERNET, &buf[..n]).with_reported_len(buf.len());
            // The same bytes as a whole frame: the IPv4 total length claims more than was sent.
            let short = parse_frame(&buf[..n]);
            if n < tcp_end {
                prop_assert!(short.is_err(), "prefix {} of {} parsed", n, buf.len());
                prop_assert_eq!(cut.content, Content::Malformed);
                prop_assert_eq!(Some(short.unwrap_err()), cut.error);
            } else {
                prop_assert_eq!(cut.content, Content::Tcp);
                let complete = n >= tcp_end + s.payload.len();
                prop_assert_eq!(cut.is_ip_truncated(), !complete);
                prop_assert_eq!(cut.tcp_len(), Some(s.payload.len()));
                let short = short.unwrap();
                prop_assert!(!short.is_ip_truncated());
                prop_assert_eq!(short.ip_length_exceeds_frame(), !complete);
                prop_assert_eq!(short.tcp_len(), Some(short.payload.len()));
                if !complete {
                    prop_assert_eq!(cut.tcp_checksum(), Some(ChecksumVerdict::Unverifiable));
                    prop_assert!(short.tcp_checksum() != Some(ChecksumVerdict::Unverifiable));
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300), link in prop_oneof![Just(0u32), Just(1), Just(101), Just(113), Just(228), Just(276), any::<u32>()]) {
        let f = dissect_frame(LinkType(link), &data);
        // Every slice handed out lies inside the input, and decoding stopped for a stated reason.
        prop_assert!(f.payload.len() <= data.len());
        prop_assert!(f.segment.len() <= data.len());
        prop_assert_eq!(f.error.is_some(), f.content == Content::Malformed);
        let _ = f.ipv4_checksum();
        let _ = f.tcp_checksum();
        let _ = f.trailer();
        if let Some(t) = f.tcp {
            for o in t.options() { let _ = o; }
        }
        if let Some(ip) = f.ipv4 {
            for o in ip.options() { let _ = o; }
        }
    }

    #[test]
    fn ethernet_tcp_frames_with_random_headers_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..120)) {
        // Force the EtherType and IP version/protocol so random bytes reach the deeper parsers.
        let mut data = vec![0u8; 12];
        data.extend_from_slice(&[0x08, 0x00]);
        data.extend_from_slice(&tail);
        if data.len() > 14 { data[14] = 0x40 | (data[14] & 0x0f); }
        if data.len() > 23 { data[23] = 6; }
        let f = dissect_frame(LinkType::ETHERNET, &data);
        prop_assert_eq!(f.error.is_some(), f.content == Content::Malformed);
        if let Some(t) = f.tcp {
            prop_assert!(t.header_len() >= 20);
            for o in t.options() { let _ = o; }
        }
    }
}

/// An extension header for the IPv6 property test: its type and its bytes (next header 0,
/// fixed by the builder or the chain), padded to its unit.
fn ext_header() -> impl Strategy<Value = (u8, Vec<u8>)> {
    prop_oneof![
        // Destination options or routing: (len + 1) * 8 bytes.
        (prop_oneof![Just(60u8), Just(43u8)], 0usize..=3, any::<u8>()).prop_map(|(kind, len, fill)| {
            let mut h = vec![fill; (len + 1) * 8];
            h[1] = len as u8;
            if kind == 60 {
                // A PadN over the rest, so the options parse.
                h[2] = 1;
                h[3] = (h.len() - 4) as u8;
            }
            (kind, h)
        }),
        // Fragment: 8 bytes, offset 0 (a first or atomic fragment).
        (any::<bool>(), any::<u32>()).prop_map(|(more, id)| {
            let mut h = vec![0u8, 0, 0, u8::from(more), 0, 0, 0, 0];
            h[4..8].copy_from_slice(&id.to_be_bytes());
            (44, h)
        }),
        // AH: (len + 2) * 4 bytes.
        (1usize..=4).prop_map(|len| {
            let mut h = vec![0u8; (len + 2) * 4];
            h[1] = len as u8;
            (51, h)
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Generated IPv6 frames (traffic class, flow label, hop limit, a chain of extension
    /// headers, TCP with payload) built, parsed and equal; every truncation a typed error or
    /// a shorter frame.
    #[test]
    fn ipv6_frames_round_trip(
        tc in any::<u8>(), flow in 0u32..0x10_0000, hlim in any::<u8>(),
        chain in proptest::collection::vec(ext_header(), 0..4),
        seq in any::<u32>(), payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        // Link the chain: each header's next header is the following one's type.
        let mut bytes = Vec::new();
        for (i, (_, h)) in chain.iter().enumerate() {
            let mut h = h.clone();
            h[0] = chain.get(i + 1).map_or(6, |c| c.0);
            bytes.extend_from_slice(&h);
        }
        let first = chain.first().map_or(IpProtocol::TCP, |c| IpProtocol(c.0));
        let src: std::net::Ipv6Addr = "fd00::1".parse().unwrap();
        let dst: std::net::Ipv6Addr = "fd00::2".parse().unwrap();
        let f = synack::wire::PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
            .ipv6(src, dst, hlim)
            .flow_label(flow)
            .ipv6_extensions(first, &bytes)
            .tcp(1, 2, seq, 3)
            .flags(TcpFlags::ACK)
            .build(&payload)
            .unwrap();
        let mut f = f;
        f[15] = (f[15] & 0x0f) | (tc << 4);
        f[14] = 0x60 | (tc >> 4);
        let frame = parse_frame(&f).unwrap();
        let ip = frame.ipv6.unwrap();
        prop_assert_eq!((ip.traffic_class, ip.flow_label, ip.hop_limit, ip.src, ip.dst), (tc, flow, hlim, src, dst));
        prop_assert_eq!(frame.ipv6_extensions.count(), chain.len());
        prop_assert_eq!(frame.ipv6_extensions.bytes(), &bytes[..]);
        prop_assert_eq!(frame.payload, &payload[..]);
        let fragmented = chain.iter().any(|(k, h)| *k == 44 && h[3] & 1 == 1);
        let verdict = if fragmented { ChecksumVerdict::Unverifiable } else { ChecksumVerdict::Good };
        prop_assert_eq!(frame.tcp_checksum(), Some(verdict));
        let mut emitted = [0u8; 40];
        ip.emit(&mut emitted).unwrap();
        prop_assert_eq!(&emitted[..], &f[14..54]);
        for cut in 0..f.len() {
            let d = dissect_frame(LinkType::ETHERNET, &f[..cut]);
            prop_assert!(d.content == Content::Malformed || d.content == Content::Tcp, "cut {}", cut);
        }
    }
}
