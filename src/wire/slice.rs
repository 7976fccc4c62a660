//! Lazy views of an Ethernet / IP / TCP packet: the lengths are checked once, every field
//! is read from the bytes when asked for. See [`TcpPacket`].

use core::net::Ipv4Addr;

use crate::error::Error;
use crate::wire::ethernet::{EtherType, EthernetHeader, MacAddr, VlanTag};
use crate::wire::ipv4::{IpProtocol, Ipv4Flags, Ipv4Header, Ipv4Options};
use crate::wire::link::{LinkHeader, LinkType};
use core::ops::Range;

use crate::wire::Ipv6Header;
use crate::wire::ethernet::field as eth;
use crate::wire::ip_slice::{IpSlice, Ipv6Slice};
use crate::wire::ipv4::field as ip;
use crate::wire::ipv6::field as ipv6_field;
use crate::wire::ipv6_ext::skim_to_tcp;
use crate::wire::tcp::field as tcp;
use crate::wire::tcp::{SeqNumber, TcpFlags, TcpHeader};
use crate::wire::tcp_options::TcpOptions;
use crate::wire::{Content, Frame, dissect_frame};

/// Reads a 16-bit field. `f` is a constant at every call site, so the bound check is gone.
#[inline(always)]
pub(crate) fn be16<const N: usize>(h: &[u8; N], f: Range<usize>) -> u16 {
    u16::from_be_bytes([h[f.start], h[f.start + 1]])
}

/// Reads a 32-bit field (as [`be16`]).
#[inline(always)]
pub(crate) fn be32<const N: usize>(h: &[u8; N], f: Range<usize>) -> u32 {
    let at = f.start;
    u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

/// The 14 bytes of an Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetSlice<'a>(pub &'a [u8; EthernetHeader::LEN]);

impl EthernetSlice<'_> {
    /// Destination address.
    #[inline]
    pub fn dst(&self) -> MacAddr {
        let h = self.0;
        let at = eth::DST.start;
        MacAddr([h[at], h[at + 1], h[at + 2], h[at + 3], h[at + 4], h[at + 5]])
    }

    /// Source address.
    #[inline]
    pub fn src(&self) -> MacAddr {
        let h = self.0;
        let at = eth::SRC.start;
        MacAddr([h[at], h[at + 1], h[at + 2], h[at + 3], h[at + 4], h[at + 5]])
    }

    /// The EtherType field (a VLAN TPID when tags follow).
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType(be16(self.0, eth::ETHERTYPE))
    }

    /// Decodes the header.
    pub fn to_header(&self) -> EthernetHeader {
        EthernetHeader {
            dst: self.dst(),
            src: self.src(),
            ethertype: self.ethertype(),
        }
    }
}

/// An IPv4 header whose lengths have been checked: the fixed 20 bytes and the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Slice<'a> {
    /// The fixed part of the header.
    pub fixed: &'a [u8; Ipv4Header::MIN_LEN],
    /// The options (IHL * 4 - 20 bytes).
    pub options: &'a [u8],
}

impl<'a> Ipv4Slice<'a> {
    /// The version field (4 for every slice [`TcpPacket::parse`] returns).
    #[inline]
    pub fn version(&self) -> u8 {
        self.fixed[ip::VER_IHL] >> 4
    }
    /// Internet header length in 32-bit words.
    #[inline]
    pub fn ihl(&self) -> u8 {
        self.fixed[ip::VER_IHL] & 0x0f
    }
    /// Header length in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.ihl()) * 4
    }
    /// Differentiated services code point.
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.fixed[ip::DSFIELD] >> 2
    }
    /// Explicit congestion notification.
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.fixed[ip::DSFIELD] & 0x3
    }
    /// Total length as on the wire.
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.fixed, ip::TOTAL_LEN)
    }
    /// Identification.
    #[inline]
    pub fn identification(&self) -> u16 {
        be16(self.fixed, ip::IDENT)
    }
    /// Flags: reserved, DF, MF.
    #[inline]
    pub fn flags(&self) -> Ipv4Flags {
        Ipv4Flags::from_bits_retain((be16(self.fixed, ip::FLAGS_FRAG) >> Ipv4Header::FLAGS_SHIFT) as u8)
    }
    /// Fragment offset in 8-byte units.
    #[inline]
    pub fn fragment_offset(&self) -> u16 {
        be16(self.fixed, ip::FLAGS_FRAG) & Ipv4Header::FRAG_OFFSET_MASK
    }
    /// Time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.fixed[ip::TTL]
    }
    /// Protocol of the payload.
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(self.fixed[ip::PROTOCOL])
    }
    /// Header checksum as on the wire.
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.fixed, ip::CHECKSUM)
    }
    /// Source address.
    #[inline]
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(be32(self.fixed, ip::SRC))
    }
    /// Destination address.
    #[inline]
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(be32(self.fixed, ip::DST))
    }
    /// Walks the options.
    #[inline]
    pub fn options(&self) -> Ipv4Options<'a> {
        Ipv4Options::new(self.options)
    }

    /// Decodes every field.
    #[inline(always)]
    pub fn to_header(&self) -> Ipv4Header<'a> {
        Ipv4Header {
            ihl: self.ihl(),
            dscp: self.dscp(),
            ecn: self.ecn(),
            total_len: self.total_len(),
            identification: self.identification(),
            flags: self.flags(),
            fragment_offset: self.fragment_offset(),
            ttl: self.ttl(),
            protocol: self.protocol(),
            checksum: self.checksum(),
            src: self.src(),
            dst: self.dst(),
            options: self.options,
        }
    }
}

/// A TCP header whose lengths have been checked: the fixed 20 bytes and the options area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpSlice<'a> {
    /// The fixed part of the header.
    pub fixed: &'a [u8; TcpHeader::MIN_LEN],
    /// The options area (data offset * 4 - 20 bytes).
    pub options: &'a [u8],
}

impl<'a> TcpSlice<'a> {
    /// Source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.fixed, tcp::SRC_PORT)
    }
    /// Destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.fixed, tcp::DST_PORT)
    }
    /// Sequence number.
    #[inline]
    pub fn seq(&self) -> u32 {
        be32(self.fixed, tcp::SEQ)
    }
    /// Acknowledgment number.
    #[inline]
    pub fn ack(&self) -> u32 {
        be32(self.fixed, tcp::ACK)
    }
    /// Sequence number as a [`SeqNumber`].
    #[inline]
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(self.seq())
    }
    /// Acknowledgment number as a [`SeqNumber`].
    #[inline]
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(self.ack())
    }
    /// Data offset in 32-bit words.
    #[inline]
    pub fn data_offset(&self) -> u8 {
        (be16(self.fixed, tcp::OFFSET_FLAGS) >> TcpHeader::DATA_OFFSET_SHIFT) as u8
    }
    /// Header length in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.data_offset()) * 4
    }
    /// Flags, reserved bits kept.
    #[inline]
    pub fn flags(&self) -> TcpFlags {
        TcpFlags::from_bits_retain(be16(self.fixed, tcp::OFFSET_FLAGS) & TcpHeader::FLAGS_MASK)
    }
    /// Window as on the wire (unscaled).
    #[inline]
    pub fn window(&self) -> u16 {
        be16(self.fixed, tcp::WINDOW)
    }
    /// Checksum as on the wire.
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.fixed, tcp::CHECKSUM)
    }
    /// Urgent pointer.
    #[inline]
    pub fn urgent_ptr(&self) -> u16 {
        be16(self.fixed, tcp::URGENT)
    }
    /// Walks the options.
    #[inline]
    pub fn options(&self) -> TcpOptions<'a> {
        TcpOptions::new(self.options)
    }

    /// Decodes every field.
    #[inline(always)]
    pub fn to_header(&self) -> TcpHeader<'a> {
        TcpHeader {
            src_port: self.src_port(),
            dst_port: self.dst_port(),
            seq: self.seq(),
            ack: self.ack(),
            data_offset: self.data_offset(),
            flags: self.flags(),
            window: self.window(),
            checksum: self.checksum(),
            urgent_ptr: self.urgent_ptr(),
            options: self.options,
        }
    }
}

/// A frame carrying TCP over IPv4 or IPv6, as lazy views of its headers: the lengths are
/// checked once, every field is read from the bytes when asked for.
///
/// [`parse_frame`](crate::wire::parse_frame) decodes every field of every layer into a
/// [`Frame`](crate::wire::Frame), which is what a dissector wants. A sensor that looks at a
/// few fields of millions of packets (ports and flags, say) pays for the rest; these views
/// cost only the checks that make every accessor total. They are the same zero-copy slices
/// etherparse's `SlicedPacket` and smoltcp's `wire` packets give, and the decoded headers are
/// built from them ([`Ipv4Slice::to_header`], [`TcpSlice::to_header`]), so the two APIs read
/// every field the same way.
///
/// ```
/// use synack::wire::{TcpFlags, TcpPacket};
///
/// let syn = synack::seed::FRAMES[0].bytes;
/// let p = TcpPacket::parse(syn).unwrap().expect("a TCP/IP frame");
/// assert_eq!((p.tcp.src_port(), p.tcp.dst_port()), (50030, 1005));
/// assert_eq!(p.tcp.flags(), TcpFlags::SYN);
/// assert_eq!(p.ip.src().to_string(), "10.7.92.177");
/// assert_eq!(p.tcp.options().count(), 6);
/// assert!(p.payload.is_empty());
/// // The decoded header says the same.
/// assert_eq!(p.tcp.to_header(), synack::wire::parse_frame(syn).unwrap().tcp.unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpPacket<'a> {
    /// The Ethernet header (its EtherType is the outer TPID when VLAN tags follow); `None`
    /// behind another link type (Linux SLL, raw IP, BSD loopback).
    pub ethernet: Option<EthernetSlice<'a>>,
    /// The VLAN tags between the Ethernet header and IPv4, 4 bytes each (usually empty).
    pub vlan_tags: &'a [u8],
    /// The IP header, IPv4 or IPv6 (with its extension headers).
    pub ip: IpSlice<'a>,
    /// The TCP header.
    pub tcp: TcpSlice<'a>,
    /// The TCP payload: cut by the IPv4 total length, so Ethernet padding is not in it.
    pub payload: &'a [u8],
}

impl<'a> TcpPacket<'a> {
    /// Checks the lengths of an Ethernet II frame down to TCP and returns views of its
    /// headers. `Ok(None)` is a well-formed frame that is not TCP over IP (or a later
    /// fragment); ask [`dissect_frame`] what it carries. A header that cannot be parsed is
    /// the same typed error [`parse_frame`](crate::wire::parse_frame) gives.
    ///
    /// Untagged frames with one unfragmented (or, for IPv4, first-fragment) datagram are
    /// checked in one pass, IPv6 with destination options, routing and hop-by-hop headers
    /// in its chain; everything else (VLAN tags, a total length of 0, a length beyond the
    /// frame, an IPv6 fragment or AH header, malformed headers) goes through
    /// [`dissect_frame`], so the two always agree.
    #[inline]
    pub fn parse(data: &'a [u8]) -> Result<Option<TcpPacket<'a>>, Error> {
        match split_ethernet_ip_tcp(data) {
            Some(p) => Ok(Some(p)),
            None => Self::parse_general(data),
        }
    }

    /// Checks the lengths of a frame of any supported link type (Ethernet, Linux SLL and
    /// SLL2, raw IPv4, BSD loopback) down to TCP and returns views of its headers, as
    /// [`TcpPacket::parse`] does for Ethernet II.
    ///
    /// ```
    /// use synack::wire::{LinkType, TcpPacket};
    ///
    /// // The seed's SYN without its Ethernet header, as a raw-IP capture holds it.
    /// let raw = &synack::seed::FRAMES[0].bytes[14..];
    /// let p = TcpPacket::parse_link(LinkType::RAW, raw)?.expect("TCP over IPv4");
    /// assert_eq!((p.tcp.dst_port(), p.ethernet), (1005, None));
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn parse_link(link: LinkType, data: &'a [u8]) -> Result<Option<TcpPacket<'a>>, Error> {
        if link == LinkType::ETHERNET {
            return Self::parse(data);
        }
        Self::of_dissected(link, data)
    }

    /// Everything the one pass leaves, dissected whole (out of line).
    #[inline(never)]
    fn parse_general(data: &'a [u8]) -> Result<Option<TcpPacket<'a>>, Error> {
        Self::of_dissected(LinkType::ETHERNET, data)
    }

    fn of_dissected(link: LinkType, data: &'a [u8]) -> Result<Option<TcpPacket<'a>>, Error> {
        let frame = dissect_frame(link, data);
        match frame.error {
            Some(e) => Err(e),
            None => Ok(Self::from_frame(&frame)),
        }
    }

    /// Returns the views of a decoded frame that carries TCP over IPv4 or IPv6 (behind any link
    /// type; behind a link other than Ethernet, only without VLAN tags).
    pub fn from_frame(frame: &Frame<'a>) -> Option<TcpPacket<'a>> {
        if frame.content != Content::Tcp {
            return None;
        }
        let tcp = frame.tcp?;
        let data = frame.data;
        let (ethernet, vlan_tags) = match frame.link {
            Some(LinkHeader::Ethernet(_)) => (
                Some(EthernetSlice(data.first_chunk()?)),
                data.get(EthernetHeader::LEN..frame.network_offset)?,
            ),
            _ if frame.vlans.as_slice().is_empty() => (None, &[][..]),
            _ => return None,
        };
        let fixed = data.get(frame.network_offset..)?;
        let ip = match (frame.ipv4, frame.ipv6) {
            (Some(ip), _) => IpSlice::V4(Ipv4Slice {
                fixed: fixed.first_chunk()?,
                options: ip.options,
            }),
            (None, Some(_)) => IpSlice::V6(Ipv6Slice {
                fixed: fixed.first_chunk()?,
                ext: frame.ipv6_extensions.bytes(),
            }),
            (None, None) => return None,
        };
        let tcp = TcpSlice {
            fixed: data.get(frame.transport_offset..)?.first_chunk()?,
            options: tcp.options,
        };
        Some(TcpPacket {
            ethernet,
            vlan_tags,
            ip,
            tcp,
            payload: frame.payload,
        })
    }

    /// Returns the VLAN tags, outermost first.
    pub fn vlans(&self) -> impl Iterator<Item = VlanTag> + 'a {
        let mut tpid = self.ethernet.map_or(EtherType::IPV4, |e| e.ethertype());
        let tags = self
            .vlan_tags
            .chunks_exact(VlanTag::LEN)
            .filter_map(<[u8]>::first_chunk);
        tags.map(move |t| {
            let tag = VlanTag::from_body(tpid, t);
            tpid = tag.ethertype;
            tag
        })
    }
}

/// The one-pass split of the common case: an untagged Ethernet II frame carrying an
/// unfragmented (or first-fragment) IPv4 packet, whose total length fits in the frame, with a
/// well-formed TCP header. One length check per layer; `None` for anything else. Returns the
/// views and the IPv4 payload (TCP header and data) as cut by the total length.
///
/// An IPv6 packet takes its own one pass ([`split_ethernet_ipv6_tcp`]); the views take
/// either ([`split_ethernet_ip_tcp`]).
#[inline(always)]
pub(crate) fn split_ethernet_ipv4_tcp(data: &[u8]) -> Option<(TcpPacket<'_>, &[u8])> {
    let (eth, rest) = data.split_first_chunk::<{ EthernetHeader::LEN }>()?;
    if EthernetSlice(eth).ethertype() != EtherType::IPV4 {
        return None;
    }
    let (ip, segment) = ipv4_part(rest)?;
    with_tcp(eth, ip, segment)
}

/// The one-pass split of an untagged Ethernet II frame carrying IPv6 down to TCP: a payload
/// length that fits in the frame, a chain of the usual extension headers ([`skim_to_tcp`]; see
/// [`split_ethernet_ipv4_tcp`]); `None` leaves it to the general path.
#[inline(always)]
pub(crate) fn split_ethernet_ipv6_tcp(data: &[u8]) -> Option<(TcpPacket<'_>, &[u8])> {
    let (eth, rest) = data.split_first_chunk::<{ EthernetHeader::LEN }>()?;
    if EthernetSlice(eth).ethertype() != EtherType::IPV6 {
        return None;
    }
    let (ip, segment) = ipv6_part(data, rest)?;
    with_tcp(eth, ip, segment)
}

/// The views' one pass, of either family. (One function with both families costs an IPv4
/// frame 2-4 instructions of 220-290 in the benches' adapters, and saves an IPv6 frame
/// 50-80: a second function returns the views, twelve words, through memory.)
#[inline(always)]
fn split_ethernet_ip_tcp(data: &[u8]) -> Option<TcpPacket<'_>> {
    let (eth, rest) = data.split_first_chunk::<{ EthernetHeader::LEN }>()?;
    let ethernet = EthernetSlice(eth);
    let (ip, segment) = if ethernet.ethertype() == EtherType::IPV4 {
        ipv4_part(rest)?
    } else if ethernet.ethertype() == EtherType::IPV6 {
        ipv6_part(data, rest)?
    } else {
        return None;
    };
    with_tcp(eth, ip, segment).map(|(p, _)| p)
}

/// The IPv4 header at the start of `rest` (an Ethernet II frame's payload) and the datagram's
/// payload, for the one passes: version 4, a total length that fits, TCP, no later fragment.
#[inline(always)]
fn ipv4_part(rest: &[u8]) -> Option<(IpSlice<'_>, &[u8])> {
    let (h, _) = rest.split_first_chunk::<{ Ipv4Header::MIN_LEN }>()?;
    let ip = Ipv4Slice { fixed: h, options: &[] };
    let ip_len = ip.header_len();
    let total_len = usize::from(ip.total_len());
    // Version 4 and IHL 5..=15 in one comparison of the first byte.
    if !(0x45..=0x4f).contains(&h[0])
        || total_len < ip_len
        || total_len > rest.len()
        || ip.protocol() != IpProtocol::TCP
        || ip.fragment_offset() != 0
    {
        return None;
    }
    let ip = IpSlice::V4(Ipv4Slice {
        fixed: h,
        options: &rest[Ipv4Header::MIN_LEN..ip_len],
    });
    Some((ip, &rest[ip_len..total_len]))
}

/// The IPv6 header at the start of `rest` (the payload of the Ethernet II frame `data`) and
/// what follows its extension headers, for the one passes: version 6, a payload length that
/// fits, a chain [`skim_to_tcp`] takes. (A payload length of 0, a jumbogram's, leaves no room
/// for a TCP header, so the split fails and the general path takes it.)
#[inline(always)]
fn ipv6_part<'a>(data: &'a [u8], rest: &'a [u8]) -> Option<(IpSlice<'a>, &'a [u8])> {
    let (h, after) = rest.split_first_chunk::<{ Ipv6Header::LEN }>()?;
    // The chain first: one usual header read in line from the frame (19 instructions fewer
    // than the call; read through `data`, it costs the IPv4 path in the same function one
    // saved register), longer chains out of line, so only the frame is live across the call.
    let next = IpProtocol(h[ipv6_field::NEXT_HEADER]);
    const FIRST: usize = EthernetHeader::LEN + Ipv6Header::LEN;
    let ext_len = if next == IpProtocol::TCP {
        0
    } else if let Some(&[6, l]) = data.get(FIRST..FIRST + 2)
        && (next == IpProtocol::DESTINATION_OPTIONS || next == IpProtocol::ROUTING || next == IpProtocol::HOP_BY_HOP)
    {
        (usize::from(l) + 1) * 8
    } else {
        chain_len(data)?
    };
    let plen = usize::from(be16(h, ipv6_field::PAYLOAD_LEN));
    if h[0] >> 4 != Ipv6Header::VERSION || plen > after.len() {
        return None;
    }
    let (ext, segment) = after[..plen].split_at_checked(ext_len)?;
    Some((IpSlice::V6(Ipv6Slice { fixed: h, ext }), segment))
}

/// The views of an untagged Ethernet II frame with the IP header `ip` and its payload
/// `segment`, once the TCP header at its start checks ([`split_tcp`]); and the segment.
#[inline(always)]
fn with_tcp<'a>(
    eth: &'a [u8; EthernetHeader::LEN],
    ip: IpSlice<'a>,
    segment: &'a [u8],
) -> Option<(TcpPacket<'a>, &'a [u8])> {
    let (tcp, payload) = split_tcp(segment)?;
    let packet = TcpPacket {
        ethernet: Some(EthernetSlice(eth)),
        vlan_tags: &[],
        ip,
        tcp,
        payload,
    };
    Some((packet, segment))
}

/// The extension headers' length of an Ethernet II frame's IPv6 packet, skimmed
/// ([`skim_to_tcp`]) within its payload length.
#[inline(never)]
fn chain_len(data: &[u8]) -> Option<usize> {
    let (h, after) = data
        .get(EthernetHeader::LEN..)?
        .split_first_chunk::<{ Ipv6Header::LEN }>()?;
    let plen = usize::from(be16(h, ipv6_field::PAYLOAD_LEN));
    skim_to_tcp(IpProtocol(h[ipv6_field::NEXT_HEADER]), after.get(..plen)?)
}

/// The TCP header at the start of `segment` (a data offset of 5 words or more, within the
/// segment) and the payload after it, for both one-pass splits.
#[inline(always)]
fn split_tcp(segment: &[u8]) -> Option<(TcpSlice<'_>, &[u8])> {
    let (t, _) = segment.split_first_chunk::<{ TcpHeader::MIN_LEN }>()?;
    let tcp_len = TcpSlice { fixed: t, options: &[] }.header_len();
    if tcp_len < TcpHeader::MIN_LEN || tcp_len > segment.len() {
        return None;
    }
    let tcp = TcpSlice {
        fixed: t,
        options: &segment[TcpHeader::MIN_LEN..tcp_len],
    };
    Some((tcp, &segment[tcp_len..]))
}
