//! The lab report's nine frames, checked field by field against what the report shows.
//!
//! The repairs made to the report's hex dumps (and the checksums that prove them) are listed
//! in `synack::seed`'s module docs; `repairs_are_proven_by_checksums` below re-proves the two
//! that a checksum can decide.

use core::net::Ipv4Addr;

use synack::seed::{CLIENT, CLIENT_PORT, FRAMES, SERVER, SERVER_PORT};
use synack::wire::{
    ChecksumVerdict, Content, EtherType, Ipv4Flags, MacAddr, SynOptions, TcpFlags, TcpOption, parse_frame,
};

const CLIENT_MAC: MacAddr = MacAddr([0x2c, 0xf0, 0x5d, 0x47, 0x38, 0x6e]);
const SERVER_MAC: MacAddr = MacAddr([0x2c, 0xf0, 0x5d, 0x47, 0x37, 0xda]);

/// One row of the report's frame summary, plus what its hex dump shows.
struct Expect {
    number: u32,
    from_client: bool,
    flags: TcpFlags,
    seq: u32,
    ack: u32,
    window: u16,
    ip_id: u16,
    payload: &'static [u8],
    frame_len: usize,
    netmon: &'static str,
}

const A: TcpFlags = TcpFlags::ACK;

const EXPECTED: [Expect; 9] = [
    Expect {
        number: 160,
        from_client: true,
        flags: TcpFlags::SYN,
        seq: 2672442395,
        ack: 0,
        window: 64240,
        ip_id: 0x0f2a,
        payload: b"",
        frame_len: 66,
        netmon: "......S.",
    },
    Expect {
        number: 161,
        from_client: false,
        flags: TcpFlags::SYN.union(A),
        seq: 3747289658,
        ack: 2672442396,
        window: 65535,
        ip_id: 0xe0d1,
        payload: b"",
        frame_len: 66,
        netmon: "...A..S.",
    },
    Expect {
        number: 162,
        from_client: true,
        flags: A,
        seq: 2672442396,
        ack: 3747289659,
        window: 0x2014,
        ip_id: 0x0f2b,
        payload: b"",
        frame_len: 60,
        netmon: "...A....",
    },
    Expect {
        number: 232,
        from_client: true,
        flags: TcpFlags::PSH.union(A),
        seq: 2672442396,
        ack: 3747289659,
        window: 0x2014,
        ip_id: 0x0f2c,
        payload: b"11111",
        frame_len: 60,
        netmon: "...AP...",
    },
    Expect {
        number: 234,
        from_client: false,
        flags: A,
        seq: 3747289659,
        ack: 2672442401,
        window: 0x2014,
        ip_id: 0xe0d2,
        payload: b"",
        frame_len: 54,
        netmon: "...A....",
    },
    Expect {
        number: 750,
        from_client: false,
        flags: TcpFlags::FIN.union(A),
        seq: 3747289659,
        ack: 2672442401,
        window: 0x2014,
        ip_id: 0xe0d3,
        payload: b"",
        frame_len: 54,
        netmon: "...A...F",
    },
    Expect {
        number: 751,
        from_client: true,
        flags: A,
        seq: 2672442401,
        ack: 3747289660,
        window: 0x2014,
        ip_id: 0x0f2d,
        payload: b"",
        frame_len: 60,
        netmon: "...A....",
    },
    Expect {
        number: 752,
        from_client: true,
        flags: TcpFlags::FIN.union(A),
        seq: 2672442401,
        ack: 3747289660,
        window: 0x2014,
        ip_id: 0x0f2e,
        payload: b"",
        frame_len: 60,
        netmon: "...A...F",
    },
    Expect {
        number: 754,
        from_client: false,
        flags: A,
        seq: 3747289660,
        ack: 2672442402,
        window: 0x2014,
        ip_id: 0xe0d4,
        payload: b"",
        frame_len: 54,
        netmon: "...A....",
    },
];

#[test]
fn every_field_the_report_shows() {
    assert_eq!((CLIENT_PORT, SERVER_PORT), (50030, 1005), "the report's ports");
    for (seed, e) in FRAMES.iter().zip(EXPECTED) {
        let n = e.number;
        assert_eq!(seed.number, n);
        assert_eq!(seed.bytes.len(), e.frame_len, "frame {n} length");
        let f = parse_frame(seed.bytes).unwrap_or_else(|err| panic!("frame {n}: {err}"));
        assert_eq!(f.content, Content::Tcp);

        let eth = f.ethernet().unwrap();
        let (src_mac, dst_mac) = if e.from_client {
            (CLIENT_MAC, SERVER_MAC)
        } else {
            (SERVER_MAC, CLIENT_MAC)
        };
        assert_eq!(
            (eth.src, eth.dst, eth.ethertype),
            (src_mac, dst_mac, EtherType::IPV4),
            "frame {n} ethernet"
        );
        assert!(f.vlans.is_empty());

        let ip = f.ipv4.unwrap();
        let (src, dst) = if e.from_client {
            (CLIENT, SERVER)
        } else {
            (SERVER, CLIENT)
        };
        assert_eq!((ip.src, ip.dst), (src, dst), "frame {n} addresses");
        assert_eq!(
            ip.src,
            if e.from_client {
                Ipv4Addr::new(10, 7, 92, 177)
            } else {
                Ipv4Addr::new(10, 7, 92, 174)
            }
        );
        assert_eq!(ip.identification, e.ip_id, "frame {n} IP id");
        assert_eq!(ip.ttl, 128, "frame {n} TTL (both hosts are Windows)");
        assert_eq!(ip.flags, Ipv4Flags::DF);
        assert_eq!(ip.header_len(), 20);
        assert_eq!(ip.fragment_offset, 0);

        let tcp = f.tcp.unwrap();
        let (sp, dp) = if e.from_client {
            (CLIENT_PORT, SERVER_PORT)
        } else {
            (SERVER_PORT, CLIENT_PORT)
        };
        assert_eq!((tcp.src_port, tcp.dst_port), (sp, dp), "frame {n} ports");
        assert_eq!(tcp.seq, e.seq, "frame {n} seq");
        assert_eq!(tcp.ack, e.ack, "frame {n} ack");
        assert_eq!(tcp.flags, e.flags, "frame {n} flags");
        assert_eq!(tcp.flags.netmon().to_string(), e.netmon, "frame {n} netmon flags");
        assert_eq!(tcp.window, e.window, "frame {n} window");
        assert_eq!(f.payload, e.payload, "frame {n} payload (padding must not leak)");
        assert_eq!(f.tcp_len(), Some(e.payload.len()));

        // Checksums: good where the capturing server received the frame; offload artefacts
        // where it sent it.
        if e.from_client {
            assert_eq!(f.ipv4_checksum(), Some(ChecksumVerdict::Good), "frame {n} ip checksum");
            assert_eq!(f.tcp_checksum(), Some(ChecksumVerdict::Good), "frame {n} tcp checksum");
        } else {
            assert_eq!(ip.checksum, 0);
            assert_eq!(f.ipv4_checksum(), Some(ChecksumVerdict::Zero), "frame {n} ip checksum");
            assert_eq!(
                f.tcp_checksum(),
                Some(ChecksumVerdict::Partial),
                "frame {n} tcp checksum"
            );
        }
    }
}

#[test]
fn handshake_options_mss_1460_wscale_8_sack_permitted() {
    for i in [0, 1] {
        let f = parse_frame(FRAMES[i].bytes).unwrap();
        let tcp = f.tcp.unwrap();
        assert_eq!(tcp.header_len(), 32);
        let opts: Vec<_> = tcp.options().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            opts,
            [
                TcpOption::Mss(1460),
                TcpOption::Nop,
                TcpOption::WindowScale(8),
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::SackPermitted
            ]
        );
        let s = SynOptions::collect(tcp.options());
        assert_eq!(
            (s.mss, s.window_scale, s.sack_permitted, s.timestamps),
            (Some(1460), Some(8), true, None)
        );
    }
}

#[test]
fn padding_is_trailer_not_payload() {
    let trailers: Vec<usize> = FRAMES
        .iter()
        .map(|s| parse_frame(s.bytes).unwrap().trailer().len())
        .collect();
    assert_eq!(trailers, [0, 0, 6, 1, 0, 0, 6, 6, 0]);
}

#[test]
fn repairs_are_proven_by_checksums() {
    // Frame 162 as dumped (flags 0x18) fails its checksum; repaired (0x10) it verifies.
    let mut as_dumped = FRAMES[2].bytes.to_vec();
    as_dumped[47] = 0x18;
    let f = parse_frame(&as_dumped).unwrap();
    assert!(f.tcp_checksum().unwrap().is_bad());
    // Frame 752 as dumped (flags 0x10) fails; repaired (0x11, FIN) verifies.
    let mut as_dumped = FRAMES[7].bytes.to_vec();
    as_dumped[47] = 0x10;
    let f = parse_frame(&as_dumped).unwrap();
    assert_eq!(f.tcp_checksum(), Some(ChecksumVerdict::Bad { expected: 0x25f4 }));
}

#[test]
fn the_conversation_reads_as_the_lab_describes() {
    // Timing: SYN at +8.8803665 s of the capture; the SYN-ACK follows 210 µs later.
    let rtt = FRAMES[1].timestamp.saturating_since(FRAMES[0].timestamp);
    assert_eq!(rtt.as_nanos(), 210_000);
    let ws: Vec<String> = FRAMES
        .iter()
        .map(|s| parse_frame(s.bytes).unwrap().tcp.unwrap().flags.to_string())
        .collect();
    assert_eq!(
        ws,
        [
            "[SYN]",
            "[SYN, ACK]",
            "[ACK]",
            "[PSH, ACK]",
            "[ACK]",
            "[FIN, ACK]",
            "[ACK]",
            "[FIN, ACK]",
            "[ACK]"
        ]
    );
}

#[test]
fn the_committed_capture_file_is_the_seed() {
    // tests/data/seed/seed.pcap is for opening in Wireshark; it must stay what the crate builds.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/seed/seed.pcap");
    let file = std::fs::read(path).unwrap();
    assert_eq!(
        file,
        synack::capture::write::seed_pcap(),
        "regenerate it with the write_seed_pcap example"
    );
}
