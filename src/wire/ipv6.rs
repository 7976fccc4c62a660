//! IPv6 headers (RFC 8200): the fixed header, and the chain of extension headers walked
//! within the payload length (`ipv6_ext`).

use core::net::Ipv6Addr;

use nom::IResult;

use crate::error::{Error, Field, Layer, fail, out_buf};
use crate::wire::IpProtocol;

/// Where each field of the fixed IPv6 header lies, in bytes from its start.
pub mod field {
    use core::ops::Range;

    /// Version (4 bits), traffic class (8 bits) and flow label (20 bits).
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    /// Payload length: the bytes after the fixed header, extension headers included.
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    /// Next header: the first extension header's type, or the upper-layer protocol.
    pub const NEXT_HEADER: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address.
    pub const SRC: Range<usize> = 8..24;
    /// Destination address.
    pub const DST: Range<usize> = 24..40;
}

/// The fixed IPv6 header: 40 bytes, every field decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Header {
    /// Traffic class: DSCP (high 6 bits) and ECN (low 2 bits).
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Payload length in bytes, extension headers included (0 with a jumbo payload option,
    /// or on a BIG TCP capture).
    pub payload_len: u16,
    /// The type of the first extension header, or the upper-layer protocol.
    pub next_header: IpProtocol,
    /// Hop limit.
    pub hop_limit: u8,
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address (the next hop's, when a routing header has segments left).
    pub dst: Ipv6Addr,
}

impl Ipv6Header {
    /// The fixed header's length in bytes.
    pub const LEN: usize = 40;
    /// The version this parser accepts.
    pub const VERSION: u8 = 6;

    /// Returns a header for `payload_len` bytes of `next_header` from `src` to `dst`, with hop
    /// limit 64, traffic class 0 and flow label 0.
    pub fn new(src: Ipv6Addr, dst: Ipv6Addr, next_header: IpProtocol, payload_len: u16) -> Self {
        Ipv6Header {
            traffic_class: 0,
            flow_label: 0,
            payload_len,
            next_header,
            hop_limit: 64,
            src,
            dst,
        }
    }

    /// Returns the version (always 6 for a parsed header).
    pub fn version(&self) -> u8 {
        Self::VERSION
    }

    /// Returns the differentiated services code point (the traffic class's high 6 bits).
    pub fn dscp(&self) -> u8 {
        self.traffic_class >> 2
    }

    /// Returns the explicit congestion notification (the traffic class's low 2 bits).
    pub fn ecn(&self) -> u8 {
        self.traffic_class & 3
    }

    /// Writes the fixed header into `buf`; returns the bytes written (40). The flow label's
    /// bits above 20 are not written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let out = out_buf(buf, Self::LEN, Layer::Ipv6)?;
        let word =
            (u32::from(Self::VERSION) << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        out[field::VER_TC_FLOW].copy_from_slice(&word.to_be_bytes());
        out[field::PAYLOAD_LEN].copy_from_slice(&self.payload_len.to_be_bytes());
        out[field::NEXT_HEADER] = self.next_header.0;
        out[field::HOP_LIMIT] = self.hop_limit;
        out[field::SRC].copy_from_slice(&self.src.octets());
        out[field::DST].copy_from_slice(&self.dst.octets());
        Ok(Self::LEN)
    }
}

/// Parses the fixed IPv6 header. The rest is the payload (extension headers and upper
/// layer), cut by the payload-length field, never by what is left (Ethernet padding is not
/// payload); a payload length of 0 (a jumbogram, or a BIG TCP capture) leaves the rest of
/// the input, which [`dissect_frame`](crate::wire::dissect_frame) cuts by the jumbo payload
/// option when the hop-by-hop header has one. When the capture holds fewer bytes than the
/// payload length says, the rest is what was captured.
///
/// Checks: 40 bytes present; version 6.
///
/// ```
/// use std::net::Ipv6Addr;
/// use synack::wire::{Ipv6Header, IpProtocol, parse_ipv6};
///
/// let h = Ipv6Header::new(Ipv6Addr::LOCALHOST, "fd00::2".parse().unwrap(), IpProtocol::TCP, 4);
/// let mut buf = [0u8; 48];
/// h.emit(&mut buf).unwrap();
/// let (payload, parsed) = parse_ipv6(&buf).unwrap();
/// assert_eq!(parsed, h);
/// assert_eq!(payload.len(), 4); // cut by the payload length, not the 8 bytes left
/// ```
pub fn parse_ipv6(input: &[u8]) -> IResult<&[u8], Ipv6Header, Error> {
    let Some((h, rest)) = input.split_first_chunk::<{ Ipv6Header::LEN }>() else {
        return fail(Error::Truncated {
            layer: Layer::Ipv6,
            offset: 0,
            needed: Ipv6Header::LEN,
            available: input.len(),
        });
    };
    let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let version = (word >> 28) as u8;
    if version != Ipv6Header::VERSION {
        return fail(Error::InvalidField {
            layer: Layer::Ipv6,
            offset: 0,
            field: Field::Version,
            value: u32::from(version),
            reason: "not 6",
        });
    }
    let payload_len = u16::from_be_bytes([h[4], h[5]]);
    let header = Ipv6Header {
        traffic_class: (word >> 20) as u8,
        flow_label: word & 0x000f_ffff,
        payload_len,
        next_header: IpProtocol(h[field::NEXT_HEADER]),
        hop_limit: h[field::HOP_LIMIT],
        src: Ipv6Addr::from(*sub16(h, field::SRC.start)),
        dst: Ipv6Addr::from(*sub16(h, field::DST.start)),
    };
    let end = match payload_len {
        0 => rest.len(),
        n => usize::from(n).min(rest.len()),
    };
    Ok((&rest[..end], header))
}

/// The 16 bytes of `h` from `at` (an address field).
fn sub16(h: &[u8; Ipv6Header::LEN], at: usize) -> &[u8; 16] {
    h[at..]
        .first_chunk::<16>()
        .expect("an address field lies within the 40-byte header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let h = Ipv6Header {
            traffic_class: 0xb9,
            flow_label: 0xabcde,
            payload_len: 0,
            next_header: IpProtocol(59),
            hop_limit: 1,
            src: "fd00::1".parse().unwrap(),
            dst: "fd00::2".parse().unwrap(),
        };
        let mut buf = [0u8; 40];
        assert_eq!(h.emit(&mut buf), Ok(40));
        assert_eq!(&buf[..4], &[0x6b, 0x9a, 0xbc, 0xde]);
        let (rest, p) = parse_ipv6(&buf).unwrap();
        assert_eq!((p, rest.len()), (h, 0));
        assert_eq!((p.dscp(), p.ecn()), (0x2e, 1));
    }

    #[test]
    fn short_and_foreign_headers_are_typed_errors() {
        let mut buf = [0u8; 40];
        Ipv6Header::new(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, IpProtocol::TCP, 0)
            .emit(&mut buf)
            .unwrap();
        for cut in 0..40 {
            assert_eq!(
                parse_ipv6(&buf[..cut]),
                Err(nom::Err::Error(Error::Truncated {
                    layer: Layer::Ipv6,
                    offset: 0,
                    needed: 40,
                    available: cut
                }))
            );
        }
        buf[0] = 0x45;
        assert!(matches!(
            parse_ipv6(&buf),
            Err(nom::Err::Error(Error::InvalidField {
                field: Field::Version,
                value: 4,
                ..
            }))
        ));
    }

    #[test]
    fn emit_into_a_short_buffer_fails() {
        let h = Ipv6Header::new(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, IpProtocol::TCP, 0);
        assert_eq!(
            h.emit(&mut [0u8; 39]),
            Err(Error::BufferTooSmall {
                layer: Layer::Ipv6,
                needed: 40,
                available: 39
            })
        );
    }
}
