//! The stateless, zero-copy parsing layer: Ethernet II (with VLAN tags), IPv4, IPv6 (with its
//! extension headers), TCP and TCP options, checksums, and writing headers back.
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
mod frame;
mod ip_slice;
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
#[cfg(feature = "std")]
pub(crate) use frame::dissect_with_len;
pub use frame::{Content, Frame, dissect_frame, parse_frame};
pub use ip_slice::{IpSlice, Ipv6Slice};
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
