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
