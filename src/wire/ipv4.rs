//! IPv4 headers (RFC 791) and their options.

use core::fmt;
use core::net::Ipv4Addr;

use bitflags::bitflags;
use nom::IResult;

use crate::error::{Error, Field, Layer, fail, out_buf};
use crate::wire::checksum::{self, ChecksumVerdict};
use crate::wire::slice::Ipv4Slice;

/// Where each fixed field of the IPv4 header lies, in bytes from its start (smoltcp's
/// `field`): the views read and [`Ipv4Header::emit`] writes through these.
pub mod field {
    use core::ops::Range;

    /// Version (high 4 bits) and IHL (low 4 bits).
    pub const VER_IHL: usize = 0;
    /// DSCP (high 6 bits) and ECN (low 2 bits).
    pub const DSFIELD: usize = 1;
    /// Total length.
    pub const TOTAL_LEN: Range<usize> = 2..4;
    /// Identification.
    pub const IDENT: Range<usize> = 4..6;
    /// Flags (high 3 bits) and fragment offset.
    pub const FLAGS_FRAG: Range<usize> = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Protocol.
    pub const PROTOCOL: usize = 9;
    /// Header checksum.
    pub const CHECKSUM: Range<usize> = 10..12;
    /// Source address.
    pub const SRC: Range<usize> = 12..16;
    /// Destination address.
    pub const DST: Range<usize> = 16..20;
    /// Options, up to the IHL.
    pub const OPTIONS: usize = 20;
}

bitflags! {
    /// The three IPv4 flag bits (the top of the flags/fragment-offset word).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Ipv4Flags: u8 {
        /// Reserved bit (must be zero; RFC 3514's "evil bit").
        const RESERVED = 0b100;
        /// Don't fragment.
        const DF = 0b010;
        /// More fragments.
        const MF = 0b001;
    }
}

/// An IP protocol number (IPv4's protocol, IPv6's next header); unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// IPv6 hop-by-hop options (an extension header).
    pub const HOP_BY_HOP: IpProtocol = IpProtocol(0);
    /// ICMP.
    pub const ICMP: IpProtocol = IpProtocol(1);
    /// TCP.
    pub const TCP: IpProtocol = IpProtocol(6);
    /// UDP.
    pub const UDP: IpProtocol = IpProtocol(17);
    /// IPv6 encapsulated in IPv4.
    pub const IPV6: IpProtocol = IpProtocol(41);
    /// IPv6 routing header.
    pub const ROUTING: IpProtocol = IpProtocol(43);
    /// IPv6 fragment header.
    pub const FRAGMENT: IpProtocol = IpProtocol(44);
    /// GRE.
    pub const GRE: IpProtocol = IpProtocol(47);
    /// IPsec Encapsulating Security Payload.
    pub const ESP: IpProtocol = IpProtocol(50);
    /// IPsec Authentication Header.
    pub const AH: IpProtocol = IpProtocol(51);
    /// ICMPv6.
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    /// IPv6 No Next Header.
    pub const NO_NEXT_HEADER: IpProtocol = IpProtocol(59);
    /// IPv6 destination options.
    pub const DESTINATION_OPTIONS: IpProtocol = IpProtocol(60);
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IpProtocol::ICMP => f.write_str("ICMP"),
            IpProtocol::TCP => f.write_str("TCP"),
            IpProtocol::UDP => f.write_str("UDP"),
            IpProtocol::GRE => f.write_str("GRE"),
            IpProtocol(v) => write!(f, "{v}"),
        }
    }
}

/// An IPv4 header. Options are kept as a borrowed slice and walked by [`Ipv4Header::options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Header<'a> {
    /// Internet header length in 32-bit words (5..=15).
    pub ihl: u8,
    /// Differentiated services code point (6 bits).
    pub dscp: u8,
    /// Explicit congestion notification (2 bits).
    pub ecn: u8,
    /// Total length of the datagram in bytes, as on the wire (0 on TSO / BIG TCP captures).
    pub total_len: u16,
    /// Identification.
    pub identification: u16,
    /// Flags: reserved, DF, MF.
    pub flags: Ipv4Flags,
    /// Fragment offset in 8-byte units.
    pub fragment_offset: u16,
    /// Time to live.
    pub ttl: u8,
    /// Protocol of the payload.
    pub protocol: IpProtocol,
    /// Header checksum as on the wire.
    pub checksum: u16,
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Options (IHL*4 - 20 bytes, possibly empty).
    pub options: &'a [u8],
}

impl<'a> Ipv4Header<'a> {
    /// Minimum header length in bytes (IHL 5).
    pub const MIN_LEN: usize = 20;
    /// Maximum header length in bytes (IHL 15).
    pub const MAX_LEN: usize = 60;
    /// The version this parser accepts.
    pub const VERSION: u8 = 4;
    pub(crate) const FRAG_OFFSET_MASK: u16 = 0x1fff;
    pub(crate) const FLAGS_SHIFT: u16 = 13;

    /// Returns a header for `payload_len` bytes of `protocol` from `src` to `dst`, with TTL
    /// 64, DF set and no options; the checksum is left 0 (see [`Ipv4Header::emit`]).
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, payload_len: u16) -> Self {
        Ipv4Header {
            ihl: 5,
            dscp: 0,
            ecn: 0,
            total_len: payload_len.saturating_add(Self::MIN_LEN as u16),
            identification: 0,
            flags: Ipv4Flags::DF,
            fragment_offset: 0,
            ttl: 64,
            protocol,
            checksum: 0,
            src,
            dst,
            options: &[],
        }
    }

    /// Returns the header length in bytes (IHL * 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.ihl) * 4
    }

    /// Returns the version (always 4 for a parsed header).
    pub fn version(&self) -> u8 {
        Self::VERSION
    }

    /// Returns the DSCP and ECN as the one byte of the old TOS field.
    pub fn dsfield(&self) -> u8 {
        (self.dscp << 2) | (self.ecn & 0x3)
    }

    /// Returns the payload length the header declares, or `None` when the total length is 0
    /// (a TSO / BIG TCP capture, where the length comes from the capture).
    pub fn payload_len(&self) -> Option<usize> {
        (self.total_len != 0).then(|| usize::from(self.total_len).saturating_sub(self.header_len()))
    }

    /// Returns true for any fragment: MF set or a non-zero offset.
    pub fn is_fragment(&self) -> bool {
        self.flags.contains(Ipv4Flags::MF) || self.fragment_offset != 0
    }

    /// Returns true for a fragment other than the first (its payload is not a transport header).
    pub fn is_later_fragment(&self) -> bool {
        self.fragment_offset != 0
    }

    /// Returns the fragment offset in bytes.
    pub fn fragment_offset_bytes(&self) -> u32 {
        u32::from(self.fragment_offset) * 8
    }

    /// Returns an iterator over the options.
    pub fn options(&self) -> Ipv4Options<'a> {
        Ipv4Options::new(self.options)
    }

    /// Writes the header, options included, into `buf`; with `compute_checksum` the checksum
    /// is computed and written instead of [`Ipv4Header::checksum`]. Returns the bytes written.
    pub fn emit(&self, buf: &mut [u8], compute_checksum: bool) -> Result<usize, Error> {
        let len = Self::MIN_LEN + self.options.len();
        if len > Self::MAX_LEN || !len.is_multiple_of(4) || len != self.header_len() {
            return Err(Error::InvalidField {
                layer: Layer::Ipv4,
                offset: 0,
                field: Field::Ihl,
                value: u32::from(self.ihl),
                reason: "does not match the options length (options must fill whole words)",
            });
        }
        let out = out_buf(buf, len, Layer::Ipv4)?;
        out[field::VER_IHL] = (Self::VERSION << 4) | (self.ihl & 0x0f);
        out[field::DSFIELD] = self.dsfield();
        out[field::TOTAL_LEN].copy_from_slice(&self.total_len.to_be_bytes());
        out[field::IDENT].copy_from_slice(&self.identification.to_be_bytes());
        let ff = (u16::from(self.flags.bits()) << Self::FLAGS_SHIFT) | (self.fragment_offset & Self::FRAG_OFFSET_MASK);
        out[field::FLAGS_FRAG].copy_from_slice(&ff.to_be_bytes());
        out[field::TTL] = self.ttl;
        out[field::PROTOCOL] = self.protocol.0;
        out[field::CHECKSUM].copy_from_slice(&self.checksum.to_be_bytes());
        out[field::SRC].copy_from_slice(&self.src.octets());
        out[field::DST].copy_from_slice(&self.dst.octets());
        out[field::OPTIONS..len].copy_from_slice(self.options);
        if compute_checksum {
            out[field::CHECKSUM].copy_from_slice(&[0, 0]);
            let c = checksum::checksum(out);
            out[field::CHECKSUM].copy_from_slice(&c.to_be_bytes());
        }
        Ok(len)
    }

    /// Returns the verdict on the header checksum, given the header bytes as captured
    /// (`raw` must start at the IPv4 header).
    pub fn verify_checksum(&self, raw: &[u8]) -> ChecksumVerdict {
        match raw.get(..self.header_len()) {
            Some(h) => checksum::verify_ipv4_header(h),
            None => ChecksumVerdict::Unverifiable,
        }
    }

    /// Returns the checksum this header should carry.
    pub fn compute_checksum(&self) -> u16 {
        let mut buf = [0u8; Self::MAX_LEN];
        match self.emit(&mut buf, true) {
            Ok(_) => u16::from_be_bytes([buf[field::CHECKSUM.start], buf[field::CHECKSUM.start + 1]]),
            Err(_) => 0,
        }
    }
}

/// Parses an IPv4 header. The rest is the payload, cut by the total-length field (never by
/// what is left, so Ethernet padding and trailers are not payload). When the capture holds
/// fewer bytes than the total length says, the rest is what was captured; compare
/// `rest.len()` with [`Ipv4Header::payload_len`] to tell.
///
/// Checks, in order: 20 bytes present; version 4; IHL ≥ 5; IHL*4 bytes present; total
/// length ≥ IHL*4 (a total length of 0 is taken as "from the capture", as TSO captures
/// show it).
pub fn parse_ipv4(input: &[u8]) -> IResult<&[u8], Ipv4Header<'_>, Error> {
    let Some((h, _)) = input.split_first_chunk::<{ Ipv4Header::MIN_LEN }>() else {
        return fail(Error::Truncated {
            layer: Layer::Ipv4,
            offset: 0,
            needed: Ipv4Header::MIN_LEN,
            available: input.len(),
        });
    };
    // The fixed fields are read through the view, the one place that knows their bits.
    let mut view = Ipv4Slice { fixed: h, options: &[] };
    let version = view.version();
    if version != Ipv4Header::VERSION {
        return fail(Error::InvalidField {
            layer: Layer::Ipv4,
            offset: 0,
            field: Field::Version,
            value: u32::from(version),
            reason: "not 4",
        });
    }
    let ihl = view.ihl();
    let header_len = view.header_len();
    if header_len < Ipv4Header::MIN_LEN {
        return fail(Error::InvalidField {
            layer: Layer::Ipv4,
            offset: 0,
            field: Field::Ihl,
            value: u32::from(ihl),
            reason: "below the minimum of 5 words",
        });
    }
    if input.len() < header_len {
        return fail(Error::Truncated {
            layer: Layer::Ipv4,
            offset: 0,
            needed: header_len,
            available: input.len(),
        });
    }
    let total_len = view.total_len();
    let end = if total_len == 0 {
        input.len()
    } else if usize::from(total_len) < header_len {
        return fail(Error::InvalidField {
            layer: Layer::Ipv4,
            offset: 2,
            field: Field::TotalLength,
            value: u32::from(total_len),
            reason: "shorter than the header",
        });
    } else {
        usize::from(total_len).min(input.len())
    };
    view.options = &input[Ipv4Header::MIN_LEN..header_len];
    let header = view.to_header();
    Ok((&input[header_len..end], header))
}

/// One IPv4 option. Route and timestamp data stay borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ipv4Option<'a> {
    /// End of option list (kind 0).
    Eol,
    /// No operation (kind 1).
    Nop,
    /// Record route (kind 7): pointer and the route data (addresses, 4 bytes each).
    RecordRoute {
        /// The pointer byte.
        pointer: u8,
        /// The route data.
        route: &'a [u8],
    },
    /// Loose source and record route (kind 131).
    LooseSourceRoute {
        /// The pointer byte.
        pointer: u8,
        /// The route data.
        route: &'a [u8],
    },
    /// Strict source and record route (kind 137).
    StrictSourceRoute {
        /// The pointer byte.
        pointer: u8,
        /// The route data.
        route: &'a [u8],
    },
    /// Internet timestamp (kind 68).
    Timestamp {
        /// The pointer byte.
        pointer: u8,
        /// Overflow count (4 bits).
        overflow: u8,
        /// Flag (4 bits): 0 timestamps only, 1 with addresses, 3 prespecified.
        flag: u8,
        /// The timestamp data.
        data: &'a [u8],
    },
    /// Router alert (kind 148, RFC 2113).
    RouterAlert(u16),
    /// Any other kind, kept with its data.
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The option data (after kind and length).
        data: &'a [u8],
    },
}

impl Ipv4Option<'_> {
    /// Returns the option's kind byte.
    pub fn kind(&self) -> u8 {
        match self {
            Ipv4Option::Eol => 0,
            Ipv4Option::Nop => 1,
            Ipv4Option::RecordRoute { .. } => 7,
            Ipv4Option::Timestamp { .. } => 68,
            Ipv4Option::LooseSourceRoute { .. } => 131,
            Ipv4Option::StrictSourceRoute { .. } => 137,
            Ipv4Option::RouterAlert(_) => 148,
            Ipv4Option::Unknown { kind, .. } => *kind,
        }
    }
}

/// Iterator over IPv4 options. Yields an error for a malformed option and stops after it
/// when its length makes the rest unreadable; stops after `EOL`.
#[derive(Debug, Clone)]
pub struct Ipv4Options<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Ipv4Options<'a> {
    /// Returns an iterator over the options in `data` (the bytes after the fixed header).
    pub fn new(data: &'a [u8]) -> Self {
        Ipv4Options {
            data,
            pos: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Ipv4Options<'a> {
    type Item = Result<Ipv4Option<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let at = self.pos;
        let rest = &self.data[at..];
        let kind = rest[0];
        match kind {
            0 => {
                self.done = true;
                return Some(Ok(Ipv4Option::Eol));
            }
            1 => {
                self.pos += 1;
                return Some(Ok(Ipv4Option::Nop));
            }
            _ => {}
        }
        let bad = |length: u8| Error::BadOptionLength {
            layer: Layer::Ipv4Options,
            offset: at,
            kind,
            length,
            available: rest.len(),
        };
        let Some(&length) = rest.get(1) else {
            self.done = true;
            return Some(Err(bad(0)));
        };
        if length < 2 || usize::from(length) > rest.len() {
            self.done = true;
            return Some(Err(bad(length)));
        }
        self.pos += usize::from(length);
        let body = &rest[2..usize::from(length)];
        let opt = match kind {
            7 | 131 | 137 | 68 => {
                let Some((&pointer, data)) = body.split_first() else {
                    return Some(Err(bad(length)));
                };
                match kind {
                    7 => Ipv4Option::RecordRoute { pointer, route: data },
                    131 => Ipv4Option::LooseSourceRoute { pointer, route: data },
                    137 => Ipv4Option::StrictSourceRoute { pointer, route: data },
                    _ => {
                        let Some((&of, data)) = data.split_first() else {
                            return Some(Err(bad(length)));
                        };
                        Ipv4Option::Timestamp {
                            pointer,
                            overflow: of >> 4,
                            flag: of & 0x0f,
                            data,
                        }
                    }
                }
            }
            148 => match body {
                [a, b] => Ipv4Option::RouterAlert(u16::from_be_bytes([*a, *b])),
                _ => return Some(Err(bad(length))),
            },
            _ => Ipv4Option::Unknown { kind, data: body },
        };
        Some(Ok(opt))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// The seed's SYN (frame 160), IPv4 header and beyond.
    const SYN_IP: [u8; 52] = [
        0x45, // version 4, IHL 5
        0x00, // DSCP 0, ECN 0
        0x00, 0x34, // total length 52
        0x0f, 0x2a, // identification 0x0f2a
        0x40, 0x00, // flags DF, fragment offset 0
        0x80, // TTL 128
        0x06, // protocol TCP
        0x1e, 0x2d, // header checksum 0x1e2d
        0x0a, 0x07, 0x5c, 0xb1, // source 10.7.92.177
        0x0a, 0x07, 0x5c, 0xae, // destination 10.7.92.174
        // TCP header (32 bytes)
        0xc3, 0x6e, 0x03, 0xed, 0x9f, 0x4a, 0x3c, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02, 0xfa, 0xf0, 0x03, 0xf1,
        0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02,
    ];

    #[test]
    fn fixture_fields() {
        let mut with_padding = SYN_IP.to_vec();
        with_padding.extend_from_slice(&[0xee; 6]);
        let (rest, h) = parse_ipv4(&with_padding).unwrap();
        assert_eq!(rest.len(), 32, "payload is cut by total length, padding excluded");
        assert_eq!(h.version(), 4);
        assert_eq!(h.header_len(), 20);
        assert_eq!((h.dscp, h.ecn, h.dsfield()), (0, 0, 0));
        assert_eq!(h.total_len, 52);
        assert_eq!(h.identification, 0x0f2a);
        assert_eq!(h.flags, Ipv4Flags::DF);
        assert_eq!(h.fragment_offset, 0);
        assert_eq!(h.ttl, 128);
        assert_eq!(h.protocol, IpProtocol::TCP);
        assert_eq!(h.checksum, 0x1e2d);
        assert_eq!(h.src, Ipv4Addr::new(10, 7, 92, 177));
        assert_eq!(h.dst, Ipv4Addr::new(10, 7, 92, 174));
        assert_eq!(h.verify_checksum(&with_padding), ChecksumVerdict::Good);
        assert_eq!(h.compute_checksum(), 0x1e2d);
        assert!(!h.is_fragment());
        let mut out = [0u8; 20];
        assert_eq!(h.emit(&mut out, false), Ok(20));
        assert_eq!(out, SYN_IP[..20]);
    }

    #[test]
    fn truncation_sweep() {
        for n in 0..20 {
            assert_eq!(
                parse_ipv4(&SYN_IP[..n]),
                Err(nom::Err::Error(Error::Truncated {
                    layer: Layer::Ipv4,
                    offset: 0,
                    needed: 20,
                    available: n
                })),
                "prefix {n}"
            );
        }
        // From 20 bytes on, the header parses and the payload is what was captured.
        for n in 20..=SYN_IP.len() {
            let (rest, h) = parse_ipv4(&SYN_IP[..n]).unwrap();
            assert_eq!(rest.len(), n - 20);
            assert_eq!(h.payload_len(), Some(32));
        }
    }

    #[test]
    fn bad_headers() {
        let mut b = SYN_IP;
        b[0] = 0x65;
        assert_eq!(
            parse_ipv4(&b),
            Err(nom::Err::Error(Error::InvalidField {
                layer: Layer::Ipv4,
                offset: 0,
                field: Field::Version,
                value: 6,
                reason: "not 4"
            }))
        );
        b[0] = 0x44;
        assert!(matches!(
            parse_ipv4(&b),
            Err(nom::Err::Error(Error::InvalidField {
                field: Field::Ihl,
                value: 4,
                ..
            }))
        ));
        b[0] = 0x4f; // IHL 15 = 60 bytes > total length 52 (64 bytes captured)
        let mut long = b.to_vec();
        long.resize(64, 0);
        assert!(matches!(
            parse_ipv4(&long),
            Err(nom::Err::Error(Error::InvalidField {
                field: Field::TotalLength,
                value: 52,
                ..
            }))
        ));
        b[0] = 0x4f;
        assert_eq!(
            parse_ipv4(&b[..40]),
            Err(nom::Err::Error(Error::Truncated {
                layer: Layer::Ipv4,
                offset: 0,
                needed: 60,
                available: 40
            }))
        );
        let mut b = SYN_IP;
        b[3] = 19;
        assert!(matches!(
            parse_ipv4(&b),
            Err(nom::Err::Error(Error::InvalidField {
                field: Field::TotalLength,
                value: 19,
                offset: 2,
                ..
            }))
        ));
    }

    #[test]
    fn bad_checksum_says_expected() {
        let mut b = SYN_IP;
        b[10] = 0x12;
        b[11] = 0x34;
        let (_, h) = parse_ipv4(&b).unwrap();
        assert_eq!(h.verify_checksum(&b), ChecksumVerdict::Bad { expected: 0x1e2d });
        let mut z = b;
        z[10] = 0;
        z[11] = 0;
        assert_eq!(h.verify_checksum(&z), ChecksumVerdict::Zero);
    }

    #[test]
    fn options_iterator() {
        let opts = [
            1, // NOP
            7, 7, 4, 10, 0, 0, 1, // record route, pointer 4, one address 10.0.0.1
            148, 4, 0, 0, // router alert 0
            68, 8, 5, 0x01, 0, 0, 0, 9, // timestamp, pointer 5, overflow 0 flag 1, one word
            0x99, 3, 0xab, // unknown kind 0x99
            0,    // EOL
            0, 0, 0, // padding
        ];
        let got: Vec<_> = Ipv4Options::new(&opts).collect();
        assert_eq!(
            got,
            [
                Ok(Ipv4Option::Nop),
                Ok(Ipv4Option::RecordRoute {
                    pointer: 4,
                    route: &[10, 0, 0, 1][..]
                }),
                Ok(Ipv4Option::RouterAlert(0)),
                Ok(Ipv4Option::Timestamp {
                    pointer: 5,
                    overflow: 0,
                    flag: 1,
                    data: &[0, 0, 0, 9][..]
                }),
                Ok(Ipv4Option::Unknown {
                    kind: 0x99,
                    data: &[0xab][..]
                }),
                Ok(Ipv4Option::Eol),
            ]
        );
        let broken = [1, 7, 40, 4];
        let got: Vec<_> = Ipv4Options::new(&broken).collect();
        assert_eq!(
            got,
            [
                Ok(Ipv4Option::Nop),
                Err(Error::BadOptionLength {
                    layer: Layer::Ipv4Options,
                    offset: 1,
                    kind: 7,
                    length: 40,
                    available: 3
                })
            ]
        );
    }

    #[test]
    fn header_with_options_round_trips() {
        let opts = [148, 4, 0, 0];
        let mut h = Ipv4Header::new(
            Ipv4Addr::new(198, 18, 0, 1),
            Ipv4Addr::new(198, 18, 0, 2),
            IpProtocol::TCP,
            0,
        );
        h.ihl = 6;
        h.total_len = 24;
        h.options = &opts;
        let mut buf = [0u8; 24];
        assert_eq!(h.emit(&mut buf, true), Ok(24));
        let (rest, p) = parse_ipv4(&buf).unwrap();
        assert!(rest.is_empty());
        assert_eq!(p.verify_checksum(&buf), ChecksumVerdict::Good);
        assert_eq!(Ipv4Header { checksum: 0, ..p }, h);
        assert_eq!(p.options().next(), Some(Ok(Ipv4Option::RouterAlert(0))));
    }
}
