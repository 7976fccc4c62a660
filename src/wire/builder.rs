//! One way to build a frame: Ethernet II, IPv4 or IPv6 (with extension headers) and TCP
//! headers set field by field, with the lengths, the TCP data offset and the checksums
//! following from what is set (etherparse's `PacketBuilder` is the model).

use core::net::{Ipv4Addr, Ipv6Addr};
use std::vec::Vec;

use crate::error::{Error, Layer};
use crate::wire::{
    EtherType, EthernetHeader, IpProtocol, Ipv4Flags, Ipv4Header, Ipv6ExtHeaders, Ipv6Header, MacAddr, PseudoHeader,
    TcpFlags, TcpHeader, TcpOption, emit_options, fill_tcp_checksum, parse_ipv6_extensions,
};

/// The most option bytes a TCP header holds.
const MAX_OPTIONS: usize = 40;

/// The network layer a [`PacketBuilder`] writes.
#[derive(Debug, Clone, Copy)]
enum Net<'a> {
    V4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        ttl: u8,
        identification: u16,
        flags: Ipv4Flags,
    },
    V6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: u8,
        flow_label: u32,
        /// The extension headers: the first one's type and all their bytes.
        extensions: (IpProtocol, &'a [u8]),
    },
}

/// Builds an Ethernet II / IPv4 or IPv6 / TCP frame.
///
/// ```
/// use std::net::Ipv4Addr;
/// use synack::wire::{ChecksumVerdict, MacAddr, PacketBuilder, TcpFlags, TcpOption, parse_frame};
///
/// let syn = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
///     .ipv4(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2), 64)
///     .tcp(40000, 80, 100, 64240)
///     .flags(TcpFlags::SYN)
///     .options(&[TcpOption::Mss(1460), TcpOption::SackPermitted])
///     .build(&[])?;
/// let frame = parse_frame(&syn)?;
/// let tcp = frame.tcp.unwrap();
/// assert_eq!((tcp.flags, tcp.header_len(), tcp.window), (TcpFlags::SYN, 28, 64240));
/// assert_eq!(frame.tcp_checksum(), Some(ChecksumVerdict::Good));
/// # Ok::<(), synack::Error>(())
/// ```
///
/// Over IPv6, with a destination options header (next header patched to TCP):
///
/// ```
/// use std::net::Ipv6Addr;
/// use synack::wire::{ChecksumVerdict, IpProtocol, MacAddr, PacketBuilder, TcpFlags, parse_frame};
///
/// let dst_opts = [0, 0, 1, 4, 0, 0, 0, 0]; // PadN: 8 bytes in all
/// let ack = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
///     .ipv6("fd00::1".parse()?, "fd00::2".parse()?, 64)
///     .ipv6_extensions(IpProtocol::DESTINATION_OPTIONS, &dst_opts)
///     .tcp(40000, 80, 101, 502)
///     .ack(201)
///     .build(b"hi")?;
/// let frame = parse_frame(&ack)?;
/// assert_eq!(frame.ipv6.unwrap().payload_len, 8 + 20 + 2);
/// assert_eq!(frame.ipv6_extensions.count(), 1);
/// assert_eq!((frame.payload, frame.tcp_checksum()), (&b"hi"[..], Some(ChecksumVerdict::Good)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PacketBuilder<'a> {
    ethernet: EthernetHeader,
    net: Net<'a>,
    tcp: TcpHeader<'static>,
    options: &'a [TcpOption<'a>],
}

impl<'a> PacketBuilder<'a> {
    /// Starts a frame from `src` to `dst` (an IPv4/TCP frame between 0.0.0.0 ports 0 until
    /// [`PacketBuilder::ipv4`] or [`PacketBuilder::ipv6`] and [`PacketBuilder::tcp`] say
    /// otherwise).
    pub fn ethernet2(src: MacAddr, dst: MacAddr) -> Self {
        PacketBuilder {
            ethernet: EthernetHeader {
                dst,
                src,
                ethertype: EtherType::IPV4,
            },
            net: Net::V4 {
                src: Ipv4Addr::UNSPECIFIED,
                dst: Ipv4Addr::UNSPECIFIED,
                ttl: 64,
                identification: 0,
                flags: Ipv4Flags::DF,
            },
            tcp: TcpHeader::new(0, 0, 0, 0, TcpFlags::empty()),
            options: &[],
        }
    }

    /// Sets the IPv4 addresses and time to live (don't-fragment set, identification 0).
    pub fn ipv4(mut self, src: Ipv4Addr, dst: Ipv4Addr, ttl: u8) -> Self {
        self.ethernet.ethertype = EtherType::IPV4;
        self.net = Net::V4 {
            src,
            dst,
            ttl,
            identification: 0,
            flags: Ipv4Flags::DF,
        };
        self
    }

    /// Sets the IPv6 addresses and hop limit (flow label 0, no extension headers).
    pub fn ipv6(mut self, src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8) -> Self {
        self.ethernet.ethertype = EtherType::IPV6;
        self.net = Net::V6 {
            src,
            dst,
            hop_limit,
            flow_label: 0,
            extensions: (IpProtocol::TCP, &[]),
        };
        self
    }

    /// Sets the IPv6 extension headers: the first one's type and all their bytes, each with
    /// its next-header and length bytes. The last one's next header is written as TCP. An
    /// IPv4 frame ignores it.
    pub fn ipv6_extensions(mut self, first: IpProtocol, headers: &'a [u8]) -> Self {
        if let Net::V6 { extensions, .. } = &mut self.net {
            *extensions = (first, headers);
        }
        self
    }

    /// Sets the IPv6 flow label (20 bits). An IPv4 frame ignores it.
    pub fn flow_label(mut self, label: u32) -> Self {
        if let Net::V6 { flow_label, .. } = &mut self.net {
            *flow_label = label & 0x000f_ffff;
        }
        self
    }

    /// Sets the IPv4 identification. An IPv6 frame ignores it.
    pub fn identification(mut self, id: u16) -> Self {
        if let Net::V4 { identification, .. } = &mut self.net {
            *identification = id;
        }
        self
    }

    /// Sets the IPv4 flags (don't-fragment by default). An IPv6 frame ignores it.
    pub fn ip_flags(mut self, ip_flags: Ipv4Flags) -> Self {
        if let Net::V4 { flags, .. } = &mut self.net {
            *flags = ip_flags;
        }
        self
    }

    /// Sets the TCP ports, sequence number and window (no flags yet).
    pub fn tcp(mut self, src_port: u16, dst_port: u16, seq: u32, window: u16) -> Self {
        self.tcp.src_port = src_port;
        self.tcp.dst_port = dst_port;
        self.tcp.seq = seq;
        self.tcp.window = window;
        self
    }

    /// Sets the TCP flags (all of them: those set before are replaced).
    pub fn flags(mut self, flags: TcpFlags) -> Self {
        self.tcp.flags = flags;
        self
    }

    /// Sets the ACK flag and the acknowledgment number.
    pub fn ack(mut self, ack: u32) -> Self {
        self.tcp.flags |= TcpFlags::ACK;
        self.tcp.ack = ack;
        self
    }

    /// Sets the acknowledgment number without touching the flags.
    pub fn ack_number(mut self, ack: u32) -> Self {
        self.tcp.ack = ack;
        self
    }

    /// Sets the TCP options (the data offset follows from them, padded to 4 bytes).
    pub fn options(mut self, options: &'a [TcpOption<'a>]) -> Self {
        self.options = options;
        self
    }

    /// The network header's length: IPv4's 20 bytes, or IPv6's 40 and its extension headers.
    fn net_len(&self) -> usize {
        match self.net {
            Net::V4 { .. } => Ipv4Header::MIN_LEN,
            Net::V6 { extensions, .. } => Ipv6Header::LEN + extensions.1.len(),
        }
    }

    /// Returns the frame's length with `payload_len` bytes of payload, or the options' error.
    pub fn size(&self, payload_len: usize) -> Result<usize, Error> {
        let mut scratch = [0u8; MAX_OPTIONS];
        let olen = emit_options(self.options, &mut scratch)?;
        Ok(EthernetHeader::LEN + self.net_len() + TcpHeader::MIN_LEN + olen + payload_len)
    }

    /// Writes the frame with `payload` into `out` and returns its length; an error when `out`
    /// is too small, the options do not fit in 40 bytes, the datagram exceeds 65 535 bytes,
    /// or the extension headers are not a well-formed chain.
    pub fn write(&self, out: &mut [u8], payload: &[u8]) -> Result<usize, Error> {
        let mut optbuf = [0u8; MAX_OPTIONS];
        let olen = emit_options(self.options, &mut optbuf)?;
        let mut tcp = self.tcp;
        tcp.options = &optbuf[..olen];
        tcp.data_offset = ((TcpHeader::MIN_LEN + olen) / 4) as u8;
        let segment = tcp.header_len() + payload.len();
        let len = EthernetHeader::LEN + self.net_len() + segment;
        let available = out.len();
        let out = out.get_mut(..len).ok_or(Error::BufferTooSmall {
            layer: Layer::Ethernet,
            needed: len,
            available,
        })?;
        let ip_at = self.ethernet.emit(out)?;
        let (tcp_at, pseudo) = self.write_net(&mut out[ip_at..], segment)?;
        let tcp_at = ip_at + tcp_at;
        let data_at = tcp_at + tcp.emit(&mut out[tcp_at..])?;
        out[data_at..].copy_from_slice(payload);
        fill_tcp_checksum(&mut out[tcp_at..], pseudo)?;
        Ok(len)
    }

    /// Writes the network header for a `segment`-byte TCP segment; returns where the segment
    /// starts and its checksum's pseudo-header.
    fn write_net(&self, out: &mut [u8], segment: usize) -> Result<(usize, PseudoHeader), Error> {
        let too_long = |layer, offset, field, value: usize| Error::InvalidField {
            layer,
            offset: EthernetHeader::LEN + offset,
            field,
            value: u32::try_from(value).unwrap_or(u32::MAX),
            reason: "more than 65535 bytes",
        };
        match self.net {
            Net::V4 {
                src,
                dst,
                ttl,
                identification,
                flags,
            } => {
                let total = segment + Ipv4Header::MIN_LEN;
                let total =
                    u16::try_from(total).map_err(|_| too_long(Layer::Ipv4, 2, crate::Field::TotalLength, total))?;
                let mut ip = Ipv4Header::new(src, dst, IpProtocol::TCP, total - Ipv4Header::MIN_LEN as u16);
                (ip.ttl, ip.identification, ip.flags) = (ttl, identification, flags);
                Ok((ip.emit(out, true)?, PseudoHeader::V4(src, dst)))
            }
            Net::V6 {
                src,
                dst,
                hop_limit,
                flow_label,
                extensions: (first, ext),
            } => {
                let plen = ext.len() + segment;
                let plen =
                    u16::try_from(plen).map_err(|_| too_long(Layer::Ipv6, 4, crate::Field::TotalLength, plen))?;
                let next = if ext.is_empty() { IpProtocol::TCP } else { first };
                let mut ip = Ipv6Header::new(src, dst, next, plen);
                (ip.hop_limit, ip.flow_label) = (hop_limit, flow_label);
                let at = ip.emit(out)?;
                let area = &mut out[at..at + ext.len()];
                area.copy_from_slice(ext);
                // The last header's next header becomes TCP; then the chain must walk to it.
                let last = Ipv6ExtHeaders::new(first, area)
                    .last()
                    .filter(|h| h.offset + h.len() == area.len())
                    .map(|h| h.offset);
                if let Some(h) = last {
                    area[h] = IpProtocol::TCP.0;
                }
                let bad = |e| match e {
                    nom::Err::Error(e) | nom::Err::Failure(e) => e,
                    nom::Err::Incomplete(_) => Error::Truncated {
                        layer: Layer::Ipv6Extension,
                        offset: 0,
                        needed: 2,
                        available: 0,
                    },
                };
                let (rest, chain) = parse_ipv6_extensions(first, area).map_err(bad)?;
                if !rest.is_empty() || chain.upper_protocol() != IpProtocol::TCP {
                    return Err(Error::InvalidField {
                        layer: Layer::Ipv6Extension,
                        offset: ext.len() - rest.len(),
                        field: crate::Field::NextHeader,
                        value: u32::from(chain.upper_protocol().0),
                        reason: "the extension headers do not end where their bytes do",
                    }
                    .shifted(EthernetHeader::LEN + at));
                }
                let final_dst = chain.final_destination().unwrap_or(dst);
                Ok((at + ext.len(), PseudoHeader::V6(src, final_dst)))
            }
        }
    }

    /// Returns the frame with `payload`.
    pub fn build(&self, payload: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = std::vec![0u8; self.size(payload.len())?];
        self.write(&mut out, payload)?;
        Ok(out)
    }
}
