//! The stateless, zero-copy parsing layer: Ethernet II (with VLAN tags), IPv4, TCP and TCP
//! options, checksums, and writing headers back.
//!
//! # Contract
//!
//! * **Nothing panics, on any input.** Every parser checks lengths before it reads; every
//!   slice it returns is in bounds of the input; every accessor on a parsed header is total.
//! * **Zero-copy.** Headers hold small `Copy` scalars and borrow their variable parts
//!   (options, payload) from the input. Nothing on the parse path allocates.
//! * **nom's shape.** The per-layer parsers ([`parse_ethernet`], [`parse_ipv4`],
//!   [`parse_tcp`]) return `IResult<&[u8], Header, Error>`: `(rest, header)`, complete-input
//!   semantics (a short buffer is [`Error::Truncated`], never `Incomplete`), and
//!   [`Error`] implements nom's `ParseError`, so they compose with nom combinators. The fixed
//!   blocks are read with one length check and `from_be_bytes` on sub-arrays, which a
//!   criterion run showed faster than chains of `be_u16` combinators; the options use nom's
//!   number parsers where they read variable data.
//! * **Lengths come from length fields.** The IPv4 payload is cut by the total-length field,
//!   never by what the buffer holds past it: Ethernet padding and trailers never become TCP
//!   payload. `20 <= IHL*4 <= total length` is checked before any subtraction.
//! * **Unknown values are kept, not rejected**: EtherTypes, IP protocols, IPv4 option kinds and
//!   TCP option kinds come back as values. Flag combinations are reported, never refused.
//! * **Two ways in.** [`parse_frame`] / [`dissect_frame`] decode every field into a
//!   [`Frame`]; [`TcpPacket::parse`] checks the lengths once and hands out lazy views
//!   ([`Ipv4Slice`], [`TcpSlice`]) whose accessors read a field when asked. The decoded
//!   headers are built from the views, so both read every field the same way.
//! * **What is not checked:** checksums (ask for a verdict with [`Frame::ipv4_checksum`],
//!   [`Frame::tcp_checksum`]), and protocol semantics (that is the `track` module's work).
//!
//! ```
//! use synack::wire::{parse_frame, TcpFlags};
//!
//! let syn = synack::seed::FRAMES[0].bytes;
//! let frame = parse_frame(syn).unwrap();
//! let ip = frame.ipv4.unwrap();
//! let tcp = frame.tcp.unwrap();
//! assert_eq!(ip.src.to_string(), "10.7.92.177");
//! assert_eq!((tcp.src_port, tcp.dst_port), (50030, 1005));
//! assert_eq!(tcp.flags, TcpFlags::SYN);
//! assert!(frame.payload.is_empty());
//! ```

#[cfg(feature = "std")]
mod builder;
pub mod checksum;
mod ethernet;
mod ipv4;
mod ipv6;
mod ipv6_ext;
mod link;
mod slice;
mod tcp;
mod tcp_options;

#[cfg(feature = "std")]
pub use builder::PacketBuilder;
pub use checksum::{ChecksumVerdict, PseudoHeader};
pub use ethernet::field as ethernet_field;
pub use ethernet::{EtherType, EthernetHeader, MacAddr, VlanTag, VlanTags, parse_ethernet, parse_vlan};
pub use ipv4::field as ipv4_field;
pub use ipv4::{IpProtocol, Ipv4Flags, Ipv4Header, Ipv4Option, Ipv4Options, parse_ipv4};
pub use ipv6::field as ipv6_field;
pub use ipv6::{Ipv6Header, parse_ipv6};
pub use ipv6_ext::{
    Ipv6ExtHeader, Ipv6ExtHeaders, Ipv6Extensions, Ipv6Fragment, Ipv6Option, Ipv6Options, Ipv6Routing,
    MAX_EXTENSION_HEADERS, parse_ipv6_extensions,
};
pub use link::{LinkHeader, LinkType, parse_null, parse_sll, parse_sll2};
pub use slice::{EthernetSlice, Ipv4Slice, TcpPacket, TcpSlice};
pub use tcp::field as tcp_field;
pub use tcp::{NetmonFlags, SeqNumber, TcpFlags, TcpHeader, WiresharkFlags, fill_tcp_checksum, parse_tcp};
pub use tcp_options::{BadOption, MAX_WINDOW_SCALE, SackBlocks, SynOptions, TcpOption, TcpOptions, emit_options, kind};

pub use crate::error::{Error, Field, Layer};

/// What a frame carries, as far as synack decodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Content {
    /// IPv4 and TCP: [`Frame::ipv4`] and [`Frame::tcp`] are set.
    Tcp,
    /// An IPv4 fragment other than the first: its payload is not a TCP header.
    Ipv4Fragment,
    /// IPv4 carrying another protocol; [`Frame::payload`] is the IPv4 payload.
    Ipv4Other(IpProtocol),
    /// A network protocol other than IPv4 (ARP, IPv6, ...); [`Frame::payload`] holds it.
    NotIpv4(EtherType),
    /// A link type synack does not decode; [`Frame::payload`] is the whole frame.
    UnsupportedLink(LinkType),
    /// A header could not be parsed; [`Frame::error`] says why, and the layers before it are set.
    Malformed,
}

/// A decoded frame: the layers found, borrowed from the frame's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Frame<'a> {
    /// The whole frame as given.
    pub data: &'a [u8],
    /// The link-layer header, when one was decoded.
    pub link: Option<LinkHeader>,
    /// VLAN tags, outermost first.
    pub vlans: VlanTags,
    /// The EtherType of the network layer (after any VLAN tags).
    pub ethertype: Option<EtherType>,
    /// Offset of the network-layer header in [`Frame::data`].
    pub network_offset: usize,
    /// The IPv4 header.
    pub ipv4: Option<Ipv4Header<'a>>,
    /// The IPv4 payload, cut by the total-length field (shorter when the capture was cut).
    pub segment: &'a [u8],
    /// Offset of the transport header in [`Frame::data`].
    pub transport_offset: usize,
    /// The TCP header.
    pub tcp: Option<TcpHeader<'a>>,
    /// The payload of the innermost decoded layer (TCP payload for TCP frames).
    pub payload: &'a [u8],
    /// What the frame carries.
    pub content: Content,
    /// Why decoding stopped, for [`Content::Malformed`].
    pub error: Option<Error>,
    /// The frame's length on the wire; more than `data.len()` when the capture cut it
    /// (see [`Frame::with_reported_len`]).
    pub reported_len: usize,
}

impl<'a> Frame<'a> {
    fn empty(data: &'a [u8]) -> Self {
        Frame {
            data,
            link: None,
            vlans: VlanTags::default(),
            ethertype: None,
            network_offset: 0,
            ipv4: None,
            segment: &[],
            transport_offset: 0,
            tcp: None,
            payload: data,
            content: Content::Malformed,
            error: None,
            reported_len: data.len(),
        }
    }

    /// Returns the frame with its on-wire length set (a capture's original length), so that
    /// lengths and checksum verdicts tell a snapshot-length cut (unverifiable) from a header
    /// that claims more bytes than the frame had (malformed, verified over what was sent).
    pub fn with_reported_len(mut self, reported_len: usize) -> Self {
        self.reported_len = reported_len.max(self.data.len());
        self
    }

    fn malformed(mut self, e: nom::Err<Error>, at: usize) -> Self {
        let e = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => Error::Combinator {
                code: nom::error::error_to_u32(&nom::error::ErrorKind::Eof),
                remaining: self.data.len() - at,
            },
        };
        self.content = Content::Malformed;
        self.error = Some(e.shifted(at));
        self.payload = self.data.get(at..).unwrap_or_default();
        self
    }

    /// Returns the IPv4 payload length as sent: the declared length, clamped to what the
    /// frame carried on the wire (Wireshark does the same), or the wire length for a total
    /// length of 0 (TSO / BIG TCP captures).
    pub fn ip_payload_len(&self) -> Option<usize> {
        let ip = self.ipv4?;
        let on_wire = self.reported_len.saturating_sub(self.transport_offset);
        Some(ip.payload_len().map_or(on_wire, |declared| declared.min(on_wire)))
    }

    /// Returns the IPv4 total length as Wireshark reports it: the field, or for a field of
    /// 0 the length the frame carried.
    pub fn ip_total_len(&self) -> Option<usize> {
        let ip = self.ipv4?;
        Some(match ip.total_len {
            0 => self.reported_len.saturating_sub(self.network_offset),
            n => usize::from(n),
        })
    }

    /// Returns true when the IPv4 total length claims more bytes than the frame carried on
    /// the wire (a malformed length, not a capture cut).
    pub fn ip_length_exceeds_frame(&self) -> bool {
        match (self.ipv4.and_then(|ip| ip.payload_len()), self.ip_payload_len()) {
            (Some(declared), Some(sent)) => declared > sent,
            _ => false,
        }
    }

    /// Returns the Ethernet header, if the frame has one.
    pub fn ethernet(&self) -> Option<&EthernetHeader> {
        self.link.as_ref().and_then(LinkHeader::as_ethernet)
    }

    /// Returns the bytes that follow the IPv4 datagram (Ethernet padding, FCS, trailers).
    pub fn trailer(&self) -> &'a [u8] {
        match self.ipv4 {
            Some(ip) => {
                let end = self.network_offset + ip.header_len() + self.segment.len();
                self.data.get(end..).unwrap_or_default()
            }
            None => &[],
        }
    }

    /// Returns true when the capture holds fewer bytes of the IPv4 datagram than were sent
    /// (the snapshot length cut it).
    pub fn is_ip_truncated(&self) -> bool {
        self.ip_payload_len().is_some_and(|sent| self.segment.len() < sent)
    }

    /// Returns the TCP payload length as sent (what tshark calls `tcp.len`), which exceeds
    /// `payload.len()` when the capture was cut. `None` for a fragment (one fragment does not
    /// tell the segment's length) and for a segment shorter than its own header.
    pub fn tcp_len(&self) -> Option<usize> {
        let (ip, tcp) = (self.ipv4?, self.tcp?);
        if ip.is_fragment() {
            return None;
        }
        self.ip_payload_len()?.checked_sub(tcp.header_len())
    }

    /// Returns the verdict on the IPv4 header checksum.
    pub fn ipv4_checksum(&self) -> Option<ChecksumVerdict> {
        let ip = self.ipv4?;
        Some(ip.verify_checksum(self.data.get(self.network_offset..).unwrap_or_default()))
    }

    /// Returns the verdict on the TCP checksum: unverifiable when the segment was not
    /// captured whole or belongs to a fragmented datagram.
    pub fn tcp_checksum(&self) -> Option<ChecksumVerdict> {
        let (ip, tcp) = (self.ipv4?, self.tcp?);
        let complete = !self.is_ip_truncated() && !ip.is_fragment();
        Some(tcp.verify_checksum((ip.src, ip.dst), self.segment, complete))
    }
}

/// Parses an Ethernet II frame down to TCP. A frame that is not IPv4/TCP is not an error:
/// [`Frame::content`] says what it carries and [`Frame::payload`] hands over the bytes. A
/// header that cannot be parsed is an error, with its offset counted from the frame start.
///
/// ```
/// let data = synack::seed::FRAMES[3].bytes; // the 5-byte "11111" segment, 1 byte of padding
/// let frame = synack::wire::parse_frame(data).unwrap();
/// assert_eq!(frame.payload, b"11111");
/// assert_eq!(frame.trailer(), &[0]);
/// ```
#[inline]
pub fn parse_frame(data: &[u8]) -> Result<Frame<'_>, Error> {
    if let Some(frame) = ethernet_ipv4_tcp(data) {
        return Ok(frame);
    }
    let frame = dissect_general(LinkType::ETHERNET, data);
    match frame.error {
        Some(e) => Err(e),
        None => Ok(frame),
    }
}

/// Decodes a frame of link type `link` as far as it goes, never failing: a malformed header
/// leaves [`Content::Malformed`] with the error in [`Frame::error`] and the layers before it
/// set. This is what a dissector wants: show what could be read, and say where it stopped.
#[inline]
pub fn dissect_frame(link: LinkType, data: &[u8]) -> Frame<'_> {
    if link == LinkType::ETHERNET
        && let Some(f) = ethernet_ipv4_tcp(data)
    {
        return f;
    }
    dissect_general(link, data)
}

/// The common case in one pass: an untagged Ethernet II frame carrying an unfragmented (or
/// first-fragment) IPv4 packet with a well-formed TCP header. One length check per layer;
/// anything else (VLAN tags, IPv4 total length 0 or beyond the frame, malformed headers)
/// returns `None` and takes the general path, which gives the same result for valid frames
/// and the typed error for invalid ones.
#[inline(always)]
fn ethernet_ipv4_tcp(data: &[u8]) -> Option<Frame<'_>> {
    let (p, segment) = slice::split_ethernet_ipv4_tcp(data)?;
    let network_offset = EthernetHeader::LEN;
    let transport_offset = network_offset + p.ipv4.header_len();
    Some(Frame {
        data,
        link: p.ethernet.map(|e| LinkHeader::Ethernet(e.to_header())),
        vlans: VlanTags::default(),
        ethertype: Some(EtherType::IPV4),
        network_offset,
        ipv4: Some(p.ipv4.to_header()),
        segment,
        transport_offset,
        tcp: Some(p.tcp.to_header()),
        payload: p.payload,
        content: Content::Tcp,
        error: None,
        reported_len: data.len(),
    })
}

#[inline(never)]
fn dissect_general(link: LinkType, data: &[u8]) -> Frame<'_> {
    let mut f = Frame::empty(data);
    let header = match link {
        LinkType::ETHERNET => parse_ethernet(data).map(|(r, h)| (r, LinkHeader::Ethernet(h))),
        LinkType::LINUX_SLL => parse_sll(data),
        LinkType::LINUX_SLL2 => parse_sll2(data),
        LinkType::NULL => parse_null(data),
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => Ok((data, LinkHeader::RawIp)),
        other => {
            f.content = Content::UnsupportedLink(other);
            return f;
        }
    };
    let (mut rest, header) = match header {
        Ok(ok) => ok,
        Err(e) => return f.malformed(e, 0),
    };
    f.link = Some(header);
    let Some(mut ethertype) = header.ethertype(rest) else {
        f.content = Content::NotIpv4(EtherType(0));
        f.payload = rest;
        return f;
    };
    while ethertype.is_vlan_tag() && f.vlans.len() < VlanTags::MAX {
        let at = data.len() - rest.len();
        match parse_vlan(ethertype)(rest) {
            Ok((r, tag)) => {
                f.vlans.push(tag);
                ethertype = tag.ethertype;
                rest = r;
            }
            Err(e) => return f.malformed(e, at),
        }
    }
    f.ethertype = Some(ethertype);
    f.network_offset = data.len() - rest.len();
    if ethertype != EtherType::IPV4 {
        f.content = Content::NotIpv4(ethertype);
        f.payload = rest;
        return f;
    }
    let (segment, ip) = match parse_ipv4(rest) {
        Ok(ok) => ok,
        Err(e) => return f.malformed(e, f.network_offset),
    };
    f.ipv4 = Some(ip);
    f.segment = segment;
    f.transport_offset = f.network_offset + ip.header_len();
    f.payload = segment;
    if ip.is_later_fragment() {
        f.content = Content::Ipv4Fragment;
        return f;
    }
    if ip.protocol != IpProtocol::TCP {
        f.content = Content::Ipv4Other(ip.protocol);
        return f;
    }
    match parse_tcp(segment) {
        Ok((payload, tcp)) => {
            f.tcp = Some(tcp);
            f.payload = payload;
            f.content = Content::Tcp;
        }
        Err(e) => return f.malformed(e, f.transport_offset),
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    #[test]
    fn vlan_stack_is_walked() {
        let mut f = [0u8; 14 + 8 + 20 + 20];
        f[12..14].copy_from_slice(&[0x88, 0xa8]); // outer 802.1ad
        f[14..18].copy_from_slice(&[0x00, 0x0a, 0x81, 0x00]); // VID 10, then 802.1Q
        f[18..22].copy_from_slice(&[0x20, 0x14, 0x08, 0x00]); // PCP 1, VID 20, then IPv4
        let ip = Ipv4Header::new(
            core::net::Ipv4Addr::new(198, 18, 0, 1),
            core::net::Ipv4Addr::new(198, 18, 0, 2),
            IpProtocol::TCP,
            20,
        );
        ip.emit(&mut f[22..], true).unwrap();
        TcpHeader::new(1, 2, 3, 4, TcpFlags::SYN).emit(&mut f[42..]).unwrap();
        let frame = parse_frame(&f).unwrap();
        let tags = frame.vlans.as_slice();
        assert_eq!(tags.len(), 2);
        assert_eq!((tags[0].tpid, tags[0].vid), (0x88a8, 10));
        assert_eq!((tags[1].tpid, tags[1].pcp, tags[1].vid), (0x8100, 1, 20));
        assert_eq!(frame.network_offset, 22);
        assert_eq!(frame.content, Content::Tcp);
        // Cut inside the second tag: a VLAN error at the tag's offset.
        assert_eq!(
            parse_frame(&f[..20]),
            Err(Error::Truncated {
                layer: Layer::Vlan,
                offset: 18,
                needed: 4,
                available: 2
            })
        );
    }

    #[test]
    fn fast_path_equals_the_general_path() {
        let mut frames: Vec<Vec<u8>> = crate::seed::FRAMES.iter().map(|f| f.bytes.to_vec()).collect();
        // Variants: IPv4 options, a first fragment with MF, padding, a PSH with payload.
        let mut with_mf = frames[3].clone();
        with_mf[20] |= 0x20;
        frames.push(with_mf);
        let mut fast = 0;
        for f in &frames {
            for cut in 0..=f.len() {
                let g = dissect_general(LinkType::ETHERNET, &f[..cut]);
                if let Some(q) = ethernet_ipv4_tcp(&f[..cut]) {
                    assert_eq!(q, g, "cut {cut}");
                    fast += 1;
                }
                assert_eq!(dissect_frame(LinkType::ETHERNET, &f[..cut]), g);
            }
        }
        assert!(fast >= 10);
    }

    #[test]
    fn non_ipv4_is_handed_over() {
        let mut f = [0u8; 42];
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        let frame = parse_frame(&f).unwrap();
        assert_eq!(frame.content, Content::NotIpv4(EtherType::ARP));
        assert_eq!(frame.payload.len(), 28);
    }

    #[test]
    fn later_fragment_is_not_tcp() {
        let mut f = [0u8; 14 + 20 + 20];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let mut ip = Ipv4Header::new(
            core::net::Ipv4Addr::new(198, 18, 0, 1),
            core::net::Ipv4Addr::new(198, 18, 0, 2),
            IpProtocol::TCP,
            20,
        );
        ip.fragment_offset = 3;
        ip.emit(&mut f[14..], true).unwrap();
        let frame = parse_frame(&f).unwrap();
        assert_eq!(frame.content, Content::Ipv4Fragment);
        assert!(frame.tcp.is_none());
        assert_eq!(frame.payload.len(), 20);
    }

    #[test]
    fn unsupported_link_is_not_an_error() {
        let frame = dissect_frame(LinkType(127), &[1, 2, 3]);
        assert_eq!(frame.content, Content::UnsupportedLink(LinkType(127)));
        assert_eq!(frame.payload, &[1, 2, 3]);
        assert_eq!(frame.error, None);
    }
}
