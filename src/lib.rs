//! # synack
//!
//! TCP/IP dissection in safe Rust, in two layers:
//!
//! * [`wire`] — stateless, zero-copy nom parsers for Ethernet II (with 802.1Q/802.1ad tags),
//!   IPv4 and TCP with every option, checksum verdicts that recognise transmit offload, and
//!   writers that put headers back into bytes. Works without `std`.
//! * [`capture`] (feature `pcap`, on by default) — timestamped frames from pcap and pcapng
//!   files, streamed with constant memory.
//!
//! The [`seed`] module holds the nine frames of the lab capture the project started from.
//!
//! ```
//! use synack::wire::{parse_frame, ChecksumVerdict, TcpFlags};
//!
//! for seed in synack::seed::FRAMES {
//!     let frame = parse_frame(seed.bytes).unwrap();
//!     let tcp = frame.tcp.unwrap();
//!     let ip = frame.ipv4.unwrap();
//!     // Frames the capturing host (the server) sent carry offload artefacts.
//!     let sent_by_capturer = ip.src == synack::seed::SERVER;
//!     let expected = if sent_by_capturer { ChecksumVerdict::Partial } else { ChecksumVerdict::Good };
//!     assert_eq!(frame.tcp_checksum(), Some(expected));
//!     println!("{} {}:{} -> {}:{} {} len={}", seed.number, ip.src, tcp.src_port,
//!              ip.dst, tcp.dst_port, tcp.flags, frame.payload.len());
//! }
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod time;

pub mod seed;
pub mod wire;

#[cfg(feature = "std")]
pub mod track;

#[cfg(feature = "pcap")]
pub mod capture;
#[cfg(feature = "pcap")]
pub mod fields;

pub use error::{Error, Field, Layer};
#[allow(unused_imports)]
pub(crate) use time::Nanos;
pub use time::Timestamp;

/// The README's code blocks, compiled and run as doc-tests.
#[cfg(all(doctest, feature = "pcap"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
