//! The lazy views (`TcpPacket`) agree with the decoded `Frame` on every Ethernet frame of the
//! corpus, on every prefix of each TCP frame, and on frames with header bytes flipped: the
//! same error, the same "not TCP", or the same value in every field.

mod common;

use synack::capture::CaptureReader;
use synack::wire::{Content, LinkType, TcpPacket, parse_frame};

/// Checks one frame both ways and returns true when it was TCP.
fn agree(data: &[u8]) -> bool {
    let views = TcpPacket::parse(data);
    let frame = match parse_frame(data) {
        Err(e) => {
            assert_eq!(views, Err(e), "{data:02x?}");
            return false;
        }
        Ok(f) => f,
    };
    let Ok(views) = views else {
        panic!("views failed where the frame parsed: {views:?}\n{data:02x?}");
    };
    if frame.content != Content::Tcp {
        assert_eq!(views, None, "{data:02x?}");
        return false;
    }
    let p = views.expect("a TCP frame has views");
    assert_eq!(p.ethernet.map(|e| e.to_header()).as_ref(), frame.ethernet());
    assert_eq!(p.vlans().collect::<Vec<_>>(), frame.vlans.as_slice());
    assert_eq!(p.ip.v4().map(|ip| ip.to_header()), frame.ipv4);
    assert_eq!(p.ip.v6().map(|ip| ip.to_header()), frame.ipv6);
    assert_eq!(
        p.ip.v6().map(|ip| ip.extensions()),
        frame.ipv6.map(|_| frame.ipv6_extensions)
    );
    assert_eq!(Some(p.tcp.to_header()), frame.tcp);
    assert_eq!(p.payload, frame.payload);
    assert_eq!(p.tcp.header_len(), frame.tcp.unwrap().header_len());
    assert!(p.tcp.options().eq(frame.tcp.unwrap().options()));
    if let (Some(a), Some(b)) = (p.ip.v4(), frame.ipv4) {
        assert!(a.options().eq(b.options()));
    }
    assert_eq!(TcpPacket::from_frame(&frame), Some(p));
    true
}

#[test]
fn views_agree_with_the_decoded_frame_on_the_corpus() {
    let (mut frames, mut tcp, mut variants) = (0, 0, 0);
    for path in common::corpus_captures() {
        let Ok(mut reader) = CaptureReader::open(&path) else {
            continue;
        };
        while let Some(Ok(f)) = reader.next_frame() {
            if f.link != LinkType::ETHERNET {
                continue;
            }
            frames += 1;
            if !agree(f.data) {
                continue;
            }
            tcp += 1;
            // Every prefix, and a flipped bit in each header byte (lengths, version,
            // protocol, fragment offset, data offset all get hit).
            let hdr = 14 + 60 + 60;
            for cut in 0..f.data.len().min(hdr) {
                agree(&f.data[..cut]);
                variants += 1;
            }
            if tcp % 8 == 0 {
                let mut m = f.data.to_vec();
                for i in 0..m.len().min(hdr) {
                    for bit in [0x01u8, 0x10, 0x40, 0x80] {
                        m[i] ^= bit;
                        agree(&m);
                        m[i] ^= bit;
                        variants += 1;
                    }
                }
            }
        }
    }
    eprintln!("{frames} Ethernet frames ({tcp} TCP), {variants} cut or flipped variants: views and Frame agree");
    assert!(frames > 5_000 && tcp > 4_000, "{frames} frames, {tcp} TCP");
}

#[test]
fn vlan_tagged_frames_take_the_general_path_with_their_tags() {
    let syn = synack::seed::FRAMES[0].bytes;
    let mut f = syn[..12].to_vec();
    f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x20, 0x14]);
    f.extend_from_slice(&syn[12..]);
    assert!(agree(&f));
    let p = TcpPacket::parse(&f).unwrap().unwrap();
    let tags: Vec<_> = p.vlans().map(|t| (t.tpid, t.vid)).collect();
    assert_eq!(tags, [(0x88a8, 10), (0x8100, 20)]);
    assert_eq!(p.tcp.dst_port(), 1005);
}

/// Behind every link type of the corpus (Linux SLL, raw IP, BSD loopback, ...), the views
/// agree with the decoded frame, and the tracker's `Segment` is the same from either.
#[test]
fn views_and_segments_agree_behind_every_link_type() {
    use synack::track::Segment;
    use synack::wire::dissect_frame;
    let mut by_link: std::collections::BTreeMap<u32, usize> = Default::default();
    for path in common::corpus_captures() {
        let Ok(mut reader) = CaptureReader::open(&path) else {
            continue;
        };
        while let Some(Ok(f)) = reader.next_frame() {
            let frame = dissect_frame(f.link, f.data);
            let views = TcpPacket::parse_link(f.link, f.data);
            let Some(e) = frame.error else {
                let views = views.unwrap();
                assert_eq!(views, TcpPacket::from_frame(&frame));
                let Some(p) = views else { continue };
                assert_eq!(p.ip.v4().map(|ip| ip.to_header()), frame.ipv4);
                assert_eq!(p.ip.v6().map(|ip| ip.to_header()), frame.ipv6);
                assert_eq!(Some(p.tcp.to_header()), frame.tcp);
                assert_eq!(p.payload, frame.payload);
                // The lengths come from the IP header either way; a frame the capture cut
                // has the header's length in the frame's segment and what was captured in the
                // views' (the views only see bytes).
                let (a, b) = (Segment::from_packet(&p), Segment::from_frame(&frame).unwrap());
                if !f.is_cut() && frame.tcp_len() == Some(p.payload.len()) {
                    assert_eq!(a, b, "{}", path.display());
                } else {
                    assert_eq!((a.src, a.dst, a.seq, a.flags), (b.src, b.dst, b.seq, b.flags));
                }
                *by_link.entry(f.link.0).or_default() += 1;
                continue;
            };
            assert_eq!(views, Err(e), "{}", path.display());
        }
    }
    eprintln!("TCP frames by link type: {by_link:?}");
    // Ethernet, BSD loopback, raw IPv4, Linux SLL (and SLL2 where the corpus has it).
    for link in [1, 0, 101, 113] {
        assert!(
            by_link.get(&link).is_some_and(|&n| n > 0),
            "no TCP behind link type {link}: {by_link:?}"
        );
    }
}

/// IPv6 chains the one pass must judge as the general path does: random chains of every
/// kind the walk knows and some it does not (hop-by-hop anywhere, fragments first and later,
/// AH, mobility, ESP, No Next Header, up to 18 headers past the cap of 16), lengths that run
/// past the payload, payload lengths cut short. Views and `Frame` agree on each.
#[test]
fn ipv6_chains_take_the_one_pass_only_where_the_walk_agrees() {
    const KINDS: [u8; 12] = [0, 43, 44, 51, 60, 135, 139, 253, 50, 59, 17, 6];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut tcp, mut frames) = (0, 0);
    for _ in 0..20_000 {
        let headers = (next() % 19) as usize;
        let mut kinds: Vec<u8> = (0..headers)
            .map(|_| {
                let r = next();
                // Mostly the usual ones, so that long well-formed chains occur.
                if r % 4 == 0 {
                    KINDS[(r >> 8) as usize % KINDS.len()]
                } else {
                    [60, 43][(r >> 8) as usize % 2]
                }
            })
            .collect();
        kinds.push(if next() % 8 == 0 {
            KINDS[next() as usize % KINDS.len()]
        } else {
            6
        });
        let mut chain = Vec::new();
        for w in kinds.windows(2) {
            let (kind, following) = (w[0], w[1]);
            let units = (next() % 3) as usize;
            let mut h = match kind {
                44 => {
                    let offset: u16 = if next() % 3 == 0 { (next() % 100) as u16 } else { 0 };
                    let word = offset << 3 | u16::from(next() % 2 == 0);
                    let mut h = vec![0u8; 8];
                    h[2..4].copy_from_slice(&word.to_be_bytes());
                    h
                }
                51 => vec![0u8; (units + 2) * 4],
                _ => vec![0u8; (units + 1) * 8],
            };
            h[0] = following;
            if kind != 44 {
                h[1] = units as u8; // AH counts 4-byte words less two, the others 8-byte less one
            }
            if next() % 50 == 0 {
                h[1] = 0xff; // a length past the payload
            }
            chain.extend_from_slice(&h);
        }
        let mut tcp_header = vec![0u8; 20];
        tcp_header[12] = 0x50;
        tcp_header[13] = 0x10;
        let mut ip = vec![0x60, 0, 0, 0, 0, 0, kinds[0], 64];
        ip.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        ip.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let body: Vec<u8> = chain
            .iter()
            .chain(&tcp_header)
            .copied()
            .chain(0..(next() % 16) as u8)
            .collect();
        let mut plen = body.len();
        if next() % 10 == 0 {
            plen = (next() as usize) % (plen + 1);
        }
        ip[4..6].copy_from_slice(&(plen as u16).to_be_bytes());
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        f.extend_from_slice(&ip);
        f.extend_from_slice(&body);
        frames += 1;
        if agree(&f) {
            tcp += 1;
        }
    }
    eprintln!("{frames} IPv6 frames with random chains, {tcp} TCP: views and Frame agree");
    assert!(tcp > 2_000 && tcp < frames, "{tcp} TCP of {frames}");
}
