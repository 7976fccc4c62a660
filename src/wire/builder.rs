//! One way to build a frame: Ethernet II, IPv4 and TCP headers set field by field, with the
//! lengths, the TCP data offset and both checksums following from what is set (etherparse's
//! `PacketBuilder` is the model).

use core::net::Ipv4Addr;
use std::vec::Vec;

use crate::error::{Error, Layer};
use crate::wire::{
    EtherType, EthernetHeader, IpProtocol, Ipv4Flags, Ipv4Header, MacAddr, TcpFlags, TcpHeader, TcpOption,
    emit_options, fill_tcp_checksum,
};

/// The most option bytes a TCP header holds.
const MAX_OPTIONS: usize = 40;

/// Builds an Ethernet II / IPv4 / TCP frame.
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
#[derive(Debug, Clone, Copy)]
pub struct PacketBuilder<'a> {
    ethernet: EthernetHeader,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    identification: u16,
    ip_flags: Ipv4Flags,
    tcp: TcpHeader<'static>,
    options: &'a [TcpOption<'a>],
}

impl<'a> PacketBuilder<'a> {
    /// Starts a frame from `src` to `dst` (an IPv4/TCP frame between 0.0.0.0 ports 0 until
    /// [`PacketBuilder::ipv4`] and [`PacketBuilder::tcp`] say otherwise).
    pub fn ethernet2(src: MacAddr, dst: MacAddr) -> Self {
        PacketBuilder {
            ethernet: EthernetHeader {
                dst,
                src,
                ethertype: EtherType::IPV4,
            },
            src: Ipv4Addr::UNSPECIFIED,
            dst: Ipv4Addr::UNSPECIFIED,
            ttl: 64,
            identification: 0,
            ip_flags: Ipv4Flags::DF,
            tcp: TcpHeader::new(0, 0, 0, 0, TcpFlags::empty()),
            options: &[],
        }
    }

    /// Sets the IPv4 addresses and time to live (don't-fragment set, identification 0).
    pub fn ipv4(mut self, src: Ipv4Addr, dst: Ipv4Addr, ttl: u8) -> Self {
        (self.src, self.dst, self.ttl) = (src, dst, ttl);
        self
    }

    /// Sets the IPv4 identification.
    pub fn identification(mut self, id: u16) -> Self {
        self.identification = id;
        self
    }

    /// Sets the IPv4 flags (don't-fragment by default).
    pub fn ip_flags(mut self, flags: Ipv4Flags) -> Self {
        self.ip_flags = flags;
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

    /// Returns the frame's length with `payload_len` bytes of payload, or the options' error.
    pub fn size(&self, payload_len: usize) -> Result<usize, Error> {
        let mut scratch = [0u8; MAX_OPTIONS];
        let olen = emit_options(self.options, &mut scratch)?;
        Ok(EthernetHeader::LEN + Ipv4Header::MIN_LEN + TcpHeader::MIN_LEN + olen + payload_len)
    }

    /// Writes the frame with `payload` into `out` and returns its length; an error when `out`
    /// is too small, the options do not fit in 40 bytes, or the datagram exceeds 65 535 bytes.
    pub fn write(&self, out: &mut [u8], payload: &[u8]) -> Result<usize, Error> {
        let mut optbuf = [0u8; MAX_OPTIONS];
        let olen = emit_options(self.options, &mut optbuf)?;
        let mut tcp = self.tcp;
        tcp.options = &optbuf[..olen];
        tcp.data_offset = ((TcpHeader::MIN_LEN + olen) / 4) as u8;
        let segment = tcp.header_len() + payload.len();
        let too_long = Error::InvalidField {
            layer: Layer::Ipv4,
            offset: EthernetHeader::LEN + 2,
            field: crate::Field::TotalLength,
            value: u32::try_from(segment + Ipv4Header::MIN_LEN).unwrap_or(u32::MAX),
            reason: "more than 65535 bytes",
        };
        let seg_len = u16::try_from(segment + Ipv4Header::MIN_LEN).map_err(|_| too_long)?;
        let mut ip = Ipv4Header::new(
            self.src,
            self.dst,
            IpProtocol::TCP,
            seg_len - Ipv4Header::MIN_LEN as u16,
        );
        (ip.ttl, ip.identification, ip.flags) = (self.ttl, self.identification, self.ip_flags);
        let len = EthernetHeader::LEN + Ipv4Header::MIN_LEN + segment;
        let available = out.len();
        let out = out.get_mut(..len).ok_or(Error::BufferTooSmall {
            layer: Layer::Ethernet,
            needed: len,
            available,
        })?;
        let ip_at = self.ethernet.emit(out)?;
        let tcp_at = ip_at + ip.emit(&mut out[ip_at..], true)?;
        let data_at = tcp_at + tcp.emit(&mut out[tcp_at..])?;
        out[data_at..].copy_from_slice(payload);
        fill_tcp_checksum(&mut out[tcp_at..], (self.src, self.dst))?;
        Ok(len)
    }

    /// Returns the frame with `payload`.
    pub fn build(&self, payload: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = std::vec![0u8; self.size(payload.len())?];
        self.write(&mut out, payload)?;
        Ok(out)
    }
}
