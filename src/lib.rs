//! # synack
//!
//! TCP/IP dissection in safe Rust: raw captured frames become typed headers, and TCP
//! conversations become events.
//!
//! Read a capture and follow its connections (the lab capture built into the crate;
//! [`Driver::open`](driver::Driver::open) reads a pcap or pcapng file):
//!
//! ```
//! # #[cfg(feature = "pcap")] {
//! use synack::capture::CaptureReader;
//! use synack::driver::{Driver, Output};
//! use synack::track::{CloseCause, Config, Direction, EventKind};
//!
//! for item in Driver::new(CaptureReader::seed(), Config::default()) {
//!     match item? {
//!         Output::Event(e) => match e.kind {
//!             EventKind::Established(h) => assert_eq!(h.mss, [Some(1460), Some(1460)]),
//!             EventKind::Closed(cause) => assert_eq!(
//!                 cause,
//!                 CloseCause::Graceful { initiator: Direction::ServerToClient, half_close: false }
//!             ),
//!             _ => {}
//!         },
//!         Output::Summary(conn) => {
//!             assert_eq!((conn.conn_state.name(), conn.history.as_str()), ("SF", "ShADafF"))
//!         }
//!         _ => {}
//!     }
//! }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! The layers, from bytes to outputs:
//!
//! * [`wire`] — stateless, zero-copy nom parsers for Ethernet II (with 802.1Q/802.1ad tags),
//!   IPv4, IPv6 with its extension headers, and TCP with every option; lazy views ([`wire::TcpPacket`]) that read fields on
//!   demand; checksum verdicts that recognise transmit offload; writers that put headers back
//!   into bytes. Works without `std`.
//! * [`capture`] (feature `pcap`, on by default) — timestamped frames from pcap and pcapng
//!   files, streamed with constant memory, and a pcap writer.
//! * [`driver`] (feature `pcap`) — a capture's frames through a tracker, as one iterator of
//!   events and summaries, with nothing to drain and a damaged capture reported in place.
//! * [`track`] (feature `std`) — the passive connection tracker: RFC 9293 states per
//!   endpoint, events for every handshake and teardown step, resets, refusals, timeouts and
//!   anomalies, Wireshark's sequence analysis, and Zeek `conn.log` summaries; and
//!   [`track::reassembly`], each direction's bytes in order (in-order data without a copy,
//!   bounded buffers, gaps and overlaps as Zeek and Suricata define them), alone or through
//!   the tracker ([`Config::reassembly`](track::Config::reassembly)).
//! * [`fields`] (feature `pcap`) — Wireshark display-filter fields formatted as tshark 4.0
//!   prints them, the stateful ones (`tcp.stream`, relative sequence numbers,
//!   `tcp.analysis.*`) included.
//! * [`format`](mod@format) (feature `pcap`) — frames, events and summaries as text: tshark-like and
//!   Network Monitor lines, field details, hex dumps, event and summary lines, and a
//!   conversation as Wireshark's "Follow TCP Stream" shows it.
//! * [`shard`] (feature `pcap`) — one capture on many cores: a symmetric flow hash, one
//!   tracker per shard thread, and a reader that shares its chunks with every shard.
//! * [`seed`] — the nine frames of the lab capture the project started from.
//!
//! [`Error`] (with its [`Layer`] and [`Field`]) is the parsers' one error type, and
//! [`Timestamp`] the capture time every layer shares.
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
pub mod driver;
#[cfg(feature = "pcap")]
pub mod fields;
#[cfg(feature = "pcap")]
pub mod format;
#[cfg(feature = "pcap")]
pub mod shard;

pub use error::{Error, Field, Layer};
#[allow(unused_imports)]
pub(crate) use time::Nanos;
pub use time::Timestamp;

/// The README's code blocks, compiled and run as doc-tests.
#[cfg(all(doctest, feature = "pcap"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
