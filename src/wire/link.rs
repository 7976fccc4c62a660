//! Link-layer framings that captures use besides Ethernet: Linux cooked capture (SLL, SLL2),
//! BSD loopback (DLT_NULL) and raw IP.

use core::fmt;

use nom::IResult;

use crate::error::{Error, Layer, fail};
use crate::wire::ethernet::{EtherType, EthernetHeader};

/// A capture's link type (the pcap `LINKTYPE_*` registry); unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (the `DLT_RAW` value some systems use).
    pub const RAW: LinkType = LinkType(101);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The link type of a pcap file header's link-type field: its low 26 bits (the top ones
    /// may carry the FCS length; libpcap's `LT_LINKTYPE`, as Wireshark reads it).
    pub const fn of_pcap_header(field: u32) -> LinkType {
        LinkType(field & 0x03ff_ffff)
    }

    /// Returns true for the link types synack decodes.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            LinkType::NULL
                | LinkType::ETHERNET
                | LinkType::RAW
                | LinkType::LINUX_SLL
                | LinkType::IPV4
                | LinkType::IPV6
                | LinkType::LINUX_SLL2
        )
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LinkType::NULL => f.write_str("NULL"),
            LinkType::ETHERNET => f.write_str("EN10MB"),
            LinkType::RAW => f.write_str("RAW"),
            LinkType::LINUX_SLL => f.write_str("LINUX_SLL"),
            LinkType::IPV4 => f.write_str("IPV4"),
            LinkType::IPV6 => f.write_str("IPV6"),
            LinkType::LINUX_SLL2 => f.write_str("LINUX_SLL2"),
            LinkType(v) => write!(f, "{v}"),
        }
    }
}

/// The link-layer header a frame arrived with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkHeader {
    /// Ethernet II.
    Ethernet(EthernetHeader),
    /// Linux cooked capture v1 (16 bytes).
    LinuxSll {
        /// Packet type (0 to us, 4 sent by us, ...).
        packet_type: u16,
        /// ARPHRD_ type of the interface.
        hatype: u16,
        /// Protocol (an EtherType for Ethernet-like interfaces).
        protocol: EtherType,
    },
    /// Linux cooked capture v2 (20 bytes).
    LinuxSll2 {
        /// Protocol (an EtherType).
        protocol: EtherType,
        /// Interface index.
        ifindex: u32,
        /// ARPHRD_ type of the interface.
        hatype: u16,
        /// Packet type.
        packet_type: u8,
    },
    /// BSD loopback: the address family (2 is IPv4; 24, 28 and 30 are IPv6).
    Loopback {
        /// The address family, byte order resolved.
        family: u32,
    },
    /// Raw IP: no link header.
    RawIp,
}

/// Length of a Linux cooked v1 header.
pub const SLL_LEN: usize = 16;
/// Length of a Linux cooked v2 header.
pub const SLL2_LEN: usize = 20;
/// Length of a BSD loopback header.
pub const NULL_LEN: usize = 4;

fn truncated(layer: Layer, needed: usize, available: usize) -> nom::Err<Error> {
    nom::Err::Error(Error::Truncated {
        layer,
        offset: 0,
        needed,
        available,
    })
}

/// Parses a Linux cooked capture v1 header.
pub fn parse_sll(input: &[u8]) -> IResult<&[u8], LinkHeader, Error> {
    let Some((h, rest)) = input.split_first_chunk::<SLL_LEN>() else {
        return Err(truncated(Layer::LinuxSll, SLL_LEN, input.len()));
    };
    Ok((
        rest,
        LinkHeader::LinuxSll {
            packet_type: u16::from_be_bytes([h[0], h[1]]),
            hatype: u16::from_be_bytes([h[2], h[3]]),
            protocol: EtherType(u16::from_be_bytes([h[14], h[15]])),
        },
    ))
}

/// Parses a Linux cooked capture v2 header.
pub fn parse_sll2(input: &[u8]) -> IResult<&[u8], LinkHeader, Error> {
    let Some((h, rest)) = input.split_first_chunk::<SLL2_LEN>() else {
        return Err(truncated(Layer::LinuxSll, SLL2_LEN, input.len()));
    };
    Ok((
        rest,
        LinkHeader::LinuxSll2 {
            protocol: EtherType(u16::from_be_bytes([h[0], h[1]])),
            ifindex: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            hatype: u16::from_be_bytes([h[8], h[9]]),
            packet_type: h[10],
        },
    ))
}

/// Parses a BSD loopback header, whose family is in the capturing host's byte order: the
/// order that yields a small value is taken.
pub fn parse_null(input: &[u8]) -> IResult<&[u8], LinkHeader, Error> {
    let Some((h, rest)) = input.split_first_chunk::<NULL_LEN>() else {
        return fail(Error::Truncated {
            layer: Layer::Loopback,
            offset: 0,
            needed: NULL_LEN,
            available: input.len(),
        });
    };
    let le = u32::from_le_bytes(*h);
    let family = if le <= 0xffff { le } else { u32::from_be_bytes(*h) };
    Ok((rest, LinkHeader::Loopback { family }))
}

impl LinkHeader {
    /// Returns the EtherType of what follows, when the header says (or implies) one.
    pub fn ethertype(&self, payload: &[u8]) -> Option<EtherType> {
        match *self {
            LinkHeader::Ethernet(e) => Some(e.ethertype),
            LinkHeader::LinuxSll { protocol, .. } | LinkHeader::LinuxSll2 { protocol, .. } => Some(protocol),
            LinkHeader::Loopback { family } => match family {
                2 => Some(EtherType::IPV4),
                24 | 28 | 30 => Some(EtherType::IPV6),
                _ => None,
            },
            LinkHeader::RawIp => match payload.first().map(|b| b >> 4) {
                Some(4) => Some(EtherType::IPV4),
                Some(6) => Some(EtherType::IPV6),
                _ => None,
            },
        }
    }

    /// Returns the Ethernet header, if the frame has one.
    pub fn as_ethernet(&self) -> Option<&EthernetHeader> {
        match self {
            LinkHeader::Ethernet(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll_fixture() {
        let b = [
            0x00, 0x04, // packet type: sent by us
            0x03, 0x04, // ARPHRD_LOOPBACK (772)
            0x00, 0x06, // address length 6
            0, 0, 0, 0, 0, 0, 0, 0, // address, padded to 8
            0x08, 0x00, // protocol IPv4
            0x45,
        ];
        let (rest, h) = parse_sll(&b).unwrap();
        assert_eq!(rest, &[0x45]);
        assert_eq!(
            h,
            LinkHeader::LinuxSll {
                packet_type: 4,
                hatype: 772,
                protocol: EtherType::IPV4
            }
        );
        assert_eq!(h.ethertype(rest), Some(EtherType::IPV4));
        assert!(parse_sll(&b[..15]).is_err());
    }

    #[test]
    fn sll2_fixture() {
        let b = [
            0x08, 0x00, // protocol IPv4
            0x00, 0x00, // reserved
            0x00, 0x00, 0x00, 0x02, // ifindex 2
            0x00, 0x01, // ARPHRD_ETHER
            0x00, // packet type host
            0x06, // address length
            1, 2, 3, 4, 5, 6, 0, 0, // address
        ];
        let (rest, h) = parse_sll2(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            h,
            LinkHeader::LinuxSll2 {
                protocol: EtherType::IPV4,
                ifindex: 2,
                hatype: 1,
                packet_type: 0
            }
        );
    }

    #[test]
    fn null_either_byte_order() {
        let (_, le) = parse_null(&[2, 0, 0, 0]).unwrap();
        let (_, be) = parse_null(&[0, 0, 0, 2]).unwrap();
        assert_eq!(le, LinkHeader::Loopback { family: 2 });
        assert_eq!(be, LinkHeader::Loopback { family: 2 });
        let (_, v6) = parse_null(&[30, 0, 0, 0]).unwrap();
        assert_eq!(v6.ethertype(&[]), Some(EtherType::IPV6));
        assert!(parse_null(&[2, 0]).is_err());
    }
}
