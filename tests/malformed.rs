//! Malformed input, one case per line of the hostile-input list: each gives a typed error or
//! a flagged frame, and every slice stays inside the input.

use synack::wire::{Content, LinkType, TcpFlags, TcpOption, dissect_frame, parse_frame};
use synack::{Error, Field, Layer};

/// The seed's SYN: Ethernet (14) + IPv4 (20) + TCP with options (32) = 66 bytes.
fn syn() -> Vec<u8> {
    synack::seed::FRAMES[0].bytes.to_vec()
}

/// Rewrites the IPv4 header checksum so that only the field under test is wrong.
fn fix_ip_checksum(b: &mut [u8]) {
    b[24] = 0;
    b[25] = 0;
    let ihl = usize::from(b[14] & 0x0f) * 4;
    let mut sum = 0u32;
    for c in b[14..14 + ihl.min(b.len() - 14)].chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    b[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

fn in_bounds(data: &[u8], f: &synack::wire::Frame<'_>) {
    let range = data.as_ptr_range();
    for s in [f.segment, f.payload] {
        if !s.is_empty() {
            assert!(range.contains(&s.as_ptr()) && s.len() <= data.len());
        }
    }
}

fn malformed(b: &[u8]) -> Error {
    let f = dissect_frame(LinkType::ETHERNET, b);
    in_bounds(b, &f);
    assert_eq!(f.content, Content::Malformed, "{f:?}");
    f.error.expect("a typed error")
}

#[test]
fn ihl_below_5() {
    let mut b = syn();
    b[14] = 0x44;
    let e = malformed(&b);
    assert!(
        matches!(
            e,
            Error::InvalidField {
                layer: Layer::Ipv4,
                offset: 14,
                field: Field::Ihl,
                value: 4,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn ihl_beyond_the_total_length() {
    let mut b = syn();
    b[14] = 0x4f; // 60-byte header, total length 52
    let e = malformed(&b);
    assert!(
        matches!(
            e,
            Error::InvalidField { layer: Layer::Ipv4, .. } | Error::Truncated { layer: Layer::Ipv4, .. }
        ),
        "{e}"
    );
}

#[test]
fn total_length_below_the_header() {
    let mut b = syn();
    b[16..18].copy_from_slice(&10u16.to_be_bytes());
    let e = malformed(&b);
    assert!(
        matches!(
            e,
            Error::InvalidField {
                layer: Layer::Ipv4,
                field: Field::TotalLength,
                value: 10,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn total_length_beyond_the_captured_bytes_is_flagged_not_read_past() {
    let mut b = syn();
    b[16..18].copy_from_slice(&1500u16.to_be_bytes());
    fix_ip_checksum(&mut b);
    let f = dissect_frame(LinkType::ETHERNET, &b);
    in_bounds(&b, &f);
    assert!(f.ip_length_exceeds_frame());
    assert_eq!(f.segment.len(), 32, "the segment stops at the frame's end");
}

#[test]
fn tcp_data_offset_below_5_and_beyond_the_segment() {
    let mut b = syn();
    b[46] = 0x40;
    let e = malformed(&b);
    assert!(
        matches!(
            e,
            Error::InvalidField {
                layer: Layer::Tcp,
                offset: 46,
                field: Field::DataOffset,
                value: 4,
                ..
            }
        ),
        "{e}"
    );
    b[46] = 0xf0; // 60 bytes of header in a 32-byte segment
    let e = malformed(&b);
    assert!(
        matches!(
            e,
            Error::Truncated { layer: Layer::Tcp, .. } | Error::InvalidField { layer: Layer::Tcp, .. }
        ),
        "{e}"
    );
}

#[test]
fn option_length_0_1_or_past_the_header() {
    for (len, what) in [(0u8, "zero"), (1, "one"), (40, "past the header")] {
        let mut b = syn();
        b[55] = len; // the MSS option's length byte (options start at 54)
        let f = parse_frame(&b).unwrap();
        let opts: Vec<_> = f.tcp.unwrap().options().map(|o| o.map_err(Error::from)).collect();
        assert!(
            opts.iter().any(|o| matches!(
                o,
                Err(Error::BadOptionLength {
                    layer: Layer::TcpOptions,
                    kind: 2,
                    ..
                })
            )),
            "{what}: {opts:?}"
        );
    }
}

#[test]
fn window_scale_above_14_is_kept_and_clamped_when_used() {
    let mut b = syn();
    // The seed SYN's options: MSS(4) NOP WS(3) NOP NOP SACK-perm(2)... find the WS byte.
    let opts = &b[54..66];
    let at = 54 + opts.windows(2).position(|w| w == [3, 3]).unwrap() + 2;
    b[at] = 20;
    let f = parse_frame(&b).unwrap();
    let ws = f
        .tcp
        .unwrap()
        .options()
        .flatten()
        .find(|o| matches!(o, TcpOption::WindowScale(_)))
        .unwrap();
    assert_eq!(ws, TcpOption::WindowScale(20));
    assert_eq!(ws.effective_window_scale(), Some(14));
}

#[test]
fn sack_length_not_2_plus_8n() {
    let mut b = syn();
    // Replace MSS (kind 2 len 4) with a SACK of length 4: not 2 + 8n.
    b[54] = 5;
    let f = parse_frame(&b).unwrap();
    let opts: Vec<_> = f.tcp.unwrap().options().map(|o| o.map_err(Error::from)).collect();
    assert!(
        opts.iter()
            .any(|o| matches!(o, Err(Error::BadOptionLength { kind: 5, length: 4, .. }))),
        "{opts:?}"
    );
}

#[test]
fn all_flags_and_no_flags_and_port_zero_are_parsed_and_flagged() {
    for flags in [0x0fffu16, 0] {
        let mut b = syn();
        b[46] = (b[46] & 0xf0) | (flags >> 8) as u8;
        b[47] = flags as u8;
        b[34..36].copy_from_slice(&0u16.to_be_bytes());
        let f = parse_frame(&b).unwrap();
        let t = f.tcp.unwrap();
        assert_eq!(t.flags.bits(), flags);
        assert_eq!(t.src_port, 0);
        assert!(t.flags.is_invalid_combination() || flags == 0x0fff && t.flags.contains(TcpFlags::SYN | TcpFlags::FIN));
    }
}

#[test]
fn ipv4_version_not_4() {
    let mut b = syn();
    b[14] = 0x65;
    let e = malformed(&b);
    assert!(
        matches!(
            e,
            Error::InvalidField {
                layer: Layer::Ipv4,
                field: Field::Version,
                value: 6,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_later_fragment_claiming_tcp_is_not_read_as_tcp() {
    let mut b = syn();
    b[20..22].copy_from_slice(&0x0010u16.to_be_bytes()); // offset 128 bytes
    fix_ip_checksum(&mut b);
    let f = dissect_frame(LinkType::ETHERNET, &b);
    in_bounds(&b, &f);
    assert_eq!(f.content, Content::Ipv4Fragment);
    assert!(f.tcp.is_none());
}

#[test]
fn ethernet_shorter_than_14_bytes() {
    let b = syn();
    for n in 0..14 {
        let e = malformed(&b[..n]);
        assert_eq!(
            e,
            Error::Truncated {
                layer: Layer::Ethernet,
                offset: 0,
                needed: 14,
                available: n
            }
        );
    }
}

#[test]
fn vlan_stack_cut_short() {
    // Ethernet with TPID 0x8100, then one more 0x8100 tag cut after 2 bytes.
    let mut b = vec![0u8; 12];
    b.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x81, 0x00, 0x00]);
    let e = malformed(&b);
    assert!(matches!(e, Error::Truncated { layer: Layer::Vlan, .. }), "{e}");
}
