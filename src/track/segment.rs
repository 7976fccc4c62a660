//! The tracker's input: one TCP segment, as much of it as the tracker reads.

use core::net::IpAddr;

use super::key::Endpoint;
use crate::wire::{ChecksumVerdict, Frame, IpSlice, Ipv6Header, SynOptions, TcpFlags, TcpPacket};

/// One TCP segment as the [`Tracker`](super::Tracker) reads it: a small `Copy` value built
/// from a decoded [`Frame`] of any link type, from the lazy views ([`TcpPacket`]), or by hand.
///
/// ```
/// use std::net::Ipv4Addr;
/// use synack::Timestamp;
/// use synack::track::{Config, Endpoint, EventKind, Segment, Tracker};
/// use synack::wire::TcpFlags;
///
/// let (client, server) = (Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 40000), Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 80));
/// let mut tracker = Tracker::new(Config::default());
/// let syn = Segment::new(client, server, TcpFlags::SYN, 100, 0);
/// let events = tracker.observe_segment(Timestamp::new(1, 0), &syn);
/// assert!(matches!(events[1].kind, EventKind::Syn { isn: 100, .. }));
/// let syn_ack = Segment::new(server, client, TcpFlags::SYN | TcpFlags::ACK, 500, 101).with_window(1000);
/// let events = tracker.observe_segment(Timestamp::new(1, 1_000), &syn_ack);
/// assert!(matches!(events[0].kind, EventKind::SynAck { isn: 500, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Segment<'a> {
    /// The sender.
    pub src: Endpoint,
    /// The receiver.
    pub dst: Endpoint,
    /// The sequence number.
    pub seq: u32,
    /// The acknowledgment number (read only when `flags` has ACK).
    pub ack: u32,
    /// The flags.
    pub flags: TcpFlags,
    /// The window field, unscaled.
    pub window: u16,
    /// The urgent pointer (read only when `flags` has URG).
    pub urgent_ptr: u16,
    /// On a SYN, the options the tracker uses (MSS, window scale, SACK-permitted, timestamps,
    /// Fast Open); `None` on other segments.
    pub syn_options: Option<SynOptions>,
    /// The payload as captured (possibly cut by the snapshot length).
    pub payload: &'a [u8],
    /// The payload's length by the IP header's lengths (more than `payload.len()` when the
    /// capture cut the frame).
    pub len: u32,
    /// The IP datagram's length (Zeek's `ip_bytes`).
    pub ip_len: u32,
    /// The verdict on the TCP checksum, when it was verified.
    pub tcp_checksum: Option<ChecksumVerdict>,
    /// The verdict on the IP header checksum, when it was verified (IPv4).
    pub ip_checksum: Option<ChecksumVerdict>,
}

impl<'a> Segment<'a> {
    /// Returns a segment without payload, options or checksum verdicts, with a window of 0:
    /// set the rest with the `with_*` methods or the public fields.
    pub fn new(src: Endpoint, dst: Endpoint, flags: TcpFlags, seq: u32, ack: u32) -> Self {
        let ip_len = match src.addr {
            IpAddr::V4(_) => 40,
            IpAddr::V6(_) => 60,
        };
        Segment {
            src,
            dst,
            seq,
            ack,
            flags,
            window: 0,
            urgent_ptr: 0,
            syn_options: None,
            payload: &[],
            len: 0,
            ip_len,
            tcp_checksum: None,
            ip_checksum: None,
        }
    }

    /// Returns the segment of a decoded frame (any link type), when it carries a TCP header.
    /// The checksums are not verified here (see [`Segment::verify_checksums`]).
    #[inline]
    pub fn from_frame(frame: &Frame<'a>) -> Option<Self> {
        let ((src, dst), tcp) = (frame.ip_addrs()?, frame.tcp.as_ref()?);
        let syn_options = tcp
            .flags
            .contains(TcpFlags::SYN)
            .then(|| SynOptions::collect(tcp.options()));
        Some(Segment {
            src: Endpoint::new(src, tcp.src_port),
            dst: Endpoint::new(dst, tcp.dst_port),
            seq: tcp.seq,
            ack: tcp.ack,
            flags: tcp.flags,
            window: tcp.window,
            urgent_ptr: tcp.urgent_ptr,
            syn_options,
            payload: frame.payload,
            len: payload_len(frame),
            ip_len: ip_len(frame),
            tcp_checksum: None,
            ip_checksum: None,
        })
    }

    /// Returns the segment of the lazy views of a packet. The checksums are not verified.
    #[inline]
    pub fn from_packet(p: &TcpPacket<'a>) -> Self {
        let tcp = &p.tcp;
        let flags = tcp.flags();
        let carried = tcp.header_len() + p.payload.len();
        let ip_len = match &p.ip {
            IpSlice::V4(ip) => usize::from(ip.total_len()).max(ip.header_len() + carried),
            IpSlice::V6(ip) => {
                let past = usize::from(ip.payload_len()).max(ip.ext.len() + carried);
                Ipv6Header::LEN + past
            }
        };
        Segment {
            src: Endpoint::new(p.ip.src(), tcp.src_port()),
            dst: Endpoint::new(p.ip.dst(), tcp.dst_port()),
            seq: tcp.seq(),
            ack: tcp.ack(),
            flags,
            window: tcp.window(),
            urgent_ptr: tcp.urgent_ptr(),
            syn_options: flags
                .contains(TcpFlags::SYN)
                .then(|| SynOptions::collect(tcp.options())),
            payload: p.payload,
            len: p.payload.len() as u32,
            ip_len: ip_len as u32,
            tcp_checksum: None,
            ip_checksum: None,
        }
    }

    /// Returns the segment with the frame's checksum verdicts (the frame it was made from).
    pub fn verify_checksums(mut self, frame: &Frame<'_>) -> Self {
        self.tcp_checksum = frame.tcp_checksum();
        self.ip_checksum = frame.ipv4_checksum();
        self
    }

    /// Returns the segment with its urgent pointer set.
    pub fn with_urgent_ptr(mut self, urgent_ptr: u16) -> Self {
        self.urgent_ptr = urgent_ptr;
        self
    }

    /// Returns the segment with its window field set.
    pub fn with_window(mut self, window: u16) -> Self {
        self.window = window;
        self
    }

    /// Returns the segment with its payload set (and its length, and the IP length grown by
    /// it).
    pub fn with_payload(mut self, payload: &'a [u8]) -> Self {
        self.ip_len = self.ip_len - self.len + payload.len() as u32;
        self.payload = payload;
        self.len = payload.len() as u32;
        self
    }

    /// Returns the segment with the SYN options set.
    pub fn with_syn_options(mut self, options: SynOptions) -> Self {
        self.syn_options = Some(options);
        self
    }
}

/// A frame's TCP payload length by the IP header's lengths (what was captured when they
/// cannot tell).
#[inline]
pub(crate) fn payload_len(frame: &Frame<'_>) -> u32 {
    frame.tcp_len().unwrap_or(frame.payload.len()) as u32
}

/// A frame's IP datagram length (the captured segment behind a 20-byte header when the
/// header cannot tell).
#[inline]
pub(crate) fn ip_len(frame: &Frame<'_>) -> u32 {
    frame.ip_total_len().unwrap_or(frame.segment.len() + 20) as u32
}
