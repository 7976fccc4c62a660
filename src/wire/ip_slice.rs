//! Lazy views of an IP header of either family: [`Ipv6Slice`] beside
//! [`Ipv4Slice`](crate::wire::Ipv4Slice), and [`IpSlice`], the one a
//! [`TcpPacket`](crate::wire::TcpPacket) holds.

use core::net::{IpAddr, Ipv6Addr};

use crate::wire::checksum::PseudoHeader;
use crate::wire::ipv6::field;
use crate::wire::slice::{be16, be32};
use crate::wire::{IpProtocol, Ipv4Slice, Ipv6ExtHeaders, Ipv6Extensions, Ipv6Header, parse_ipv6_extensions};

/// An IPv6 header whose lengths have been checked: the fixed 40 bytes and the extension
/// headers, a well-formed chain (walked again when asked, so the view stays small).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Slice<'a> {
    /// The fixed header.
    pub fixed: &'a [u8; Ipv6Header::LEN],
    /// The extension headers' bytes (empty without any).
    pub ext: &'a [u8],
}

impl<'a> Ipv6Slice<'a> {
    /// The extension headers, walked (a view's chain is well formed: it was walked when the
    /// view was made).
    #[inline]
    pub fn extensions(&self) -> Ipv6Extensions<'a> {
        if self.ext.is_empty() {
            return Ipv6Extensions::none(self.next_header());
        }
        parse_ipv6_extensions(self.next_header(), self.ext)
            .map_or_else(|_| Ipv6Extensions::none(self.next_header()), |(_, c)| c)
    }

    /// The extension headers one by one, read from their bytes without walking the chain
    /// for its facts (see [`Ipv6Slice::extensions`] for those).
    #[inline]
    pub fn headers(&self) -> Ipv6ExtHeaders<'a> {
        Ipv6ExtHeaders::new(self.next_header(), self.ext)
    }

    /// The version field (6 for every slice a parser returns).
    #[inline]
    pub fn version(&self) -> u8 {
        self.fixed[0] >> 4
    }

    /// The traffic class: DSCP and ECN.
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (be16(self.fixed, 0..2) >> 4) as u8
    }

    /// The flow label (20 bits).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        be32(self.fixed, field::VER_TC_FLOW) & 0x000f_ffff
    }

    /// The payload length field.
    #[inline]
    pub fn payload_len(&self) -> u16 {
        be16(self.fixed, field::PAYLOAD_LEN)
    }

    /// The next header field (the first extension header's type, or the upper layer).
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.fixed[field::NEXT_HEADER])
    }

    /// The hop limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.fixed[field::HOP_LIMIT]
    }

    /// The source address.
    #[inline]
    pub fn src(&self) -> Ipv6Addr {
        Ipv6Addr::from(be128(self.fixed, field::SRC.start))
    }

    /// The destination address.
    #[inline]
    pub fn dst(&self) -> Ipv6Addr {
        Ipv6Addr::from(be128(self.fixed, field::DST.start))
    }

    /// Decodes every field of the fixed header.
    #[inline]
    pub fn to_header(&self) -> Ipv6Header {
        Ipv6Header {
            traffic_class: self.traffic_class(),
            flow_label: self.flow_label(),
            payload_len: self.payload_len(),
            next_header: self.next_header(),
            hop_limit: self.hop_limit(),
            src: self.src(),
            dst: self.dst(),
        }
    }
}

/// The 16 bytes from `at` as one number.
#[inline(always)]
fn be128(h: &[u8; Ipv6Header::LEN], at: usize) -> u128 {
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[at..at + 16]);
    u128::from_be_bytes(b)
}

/// The IP header of a [`TcpPacket`](crate::wire::TcpPacket), of either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpSlice<'a> {
    /// IPv4.
    V4(Ipv4Slice<'a>),
    /// IPv6.
    V6(Ipv6Slice<'a>),
}

impl<'a> IpSlice<'a> {
    /// The source address.
    #[inline]
    pub fn src(&self) -> IpAddr {
        match self {
            IpSlice::V4(ip) => ip.src().into(),
            IpSlice::V6(ip) => ip.src().into(),
        }
    }

    /// The destination address.
    #[inline]
    pub fn dst(&self) -> IpAddr {
        match self {
            IpSlice::V4(ip) => ip.dst().into(),
            IpSlice::V6(ip) => ip.dst().into(),
        }
    }

    /// The IPv4 header, if it is one.
    pub fn v4(&self) -> Option<&Ipv4Slice<'a>> {
        match self {
            IpSlice::V4(ip) => Some(ip),
            IpSlice::V6(_) => None,
        }
    }

    /// The IPv6 header, if it is one.
    pub fn v6(&self) -> Option<&Ipv6Slice<'a>> {
        match self {
            IpSlice::V6(ip) => Some(ip),
            IpSlice::V4(_) => None,
        }
    }

    /// The addresses of the transport checksum's pseudo-header (over IPv6, the final
    /// destination when a routing header has segments left).
    pub fn pseudo_header(&self) -> PseudoHeader {
        match self {
            IpSlice::V4(ip) => PseudoHeader::V4(ip.src(), ip.dst()),
            IpSlice::V6(ip) => PseudoHeader::V6(ip.src(), ip.extensions().final_destination().unwrap_or(ip.dst())),
        }
    }
}
