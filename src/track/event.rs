//! What the tracker reports.

use core::fmt;
use core::time::Duration;

use super::analysis::AnalysisFlags;
use super::key::{ConnKey, Direction};
use super::state::TcpState;
use crate::Timestamp;
use crate::wire::SynOptions;

/// A connection's identifier: unique within one tracker, counted from 0 in the order
/// connections start.
///
/// It is the number Wireshark shows as `tcp.stream` (and [`Analyzer`](super::Analyzer)
/// gives as [`SegmentAnalysis::stream`](super::SegmentAnalysis::stream)): both count
/// connections from 0 in the order of their first frame, so they agree on every frame until
/// the two models first disagree on where a connection starts. That happens on a key already
/// seen: the tracker removes a connection after its timeout or close and starts a new one on
/// the key's next packet (Zeek logs a new row), where Wireshark keeps one conversation for the
/// whole capture unless a SYN brings a new initial sequence number; and Zeek's rule for a SYN
/// that reuses a key is not Wireshark's. From there on the two numberings are offset. On the
/// test data they agree on all 6 158 TCP frames before such a place, and 439 of 444 captures
/// have none (`tests/stream_ids.rs`).
pub type ConnId = u64;

/// One thing a frame (or the passing of time) did to a connection: which connection (its
/// endpoints with the roles as known then), when, by which frame, in which direction, and
/// what.
///
/// ```
/// use synack::capture::CaptureReader;
/// use synack::driver::{Driver, Output};
/// use synack::track::{Config, Direction, EventKind};
///
/// let first_fin = Driver::new(CaptureReader::seed(), Config::default())
///     .filter_map(|item| match item {
///         Ok(Output::Event(e)) if matches!(e.kind, EventKind::Fin { first: true, .. }) => Some(e),
///         _ => None,
///     })
///     .next()
///     .unwrap();
/// // The server closes first, in frame 6 of the lab's capture.
/// assert_eq!((first_fin.frame, first_fin.direction), (6, Direction::ServerToClient));
/// assert_eq!(first_fin.sender(), first_fin.key.server);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The connection.
    pub conn: ConnId,
    /// Its endpoints, with the roles as known when the event was made.
    pub key: ConnKey,
    /// When (the frame's timestamp, or the `advance`/`finish` time).
    pub timestamp: Timestamp,
    /// The direction of the frame that caused it (for timeouts and evictions, the direction
    /// of the connection's last frame).
    pub direction: Direction,
    /// The 1-based number of the frame that caused it, counting every frame given to
    /// [`Tracker::observe`](super::Tracker::observe) (the capture's frame number when every
    /// frame is observed); 0 for events of `advance` and `finish`.
    pub frame: u64,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// Returns the endpoint that sent the frame behind the event (for timeouts and evictions,
    /// the connection's last frame), by the roles the event's key carries.
    ///
    /// ```
    /// use synack::track::{Config, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// let events = tracker.observe(synack::seed::FRAMES[0].timestamp, &parse_frame(synack::seed::FRAMES[0].bytes)?);
    /// assert_eq!(events[0].sender().to_string(), "10.7.92.177:50030");
    /// assert_eq!(events[0].receiver().port, 1005);
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn sender(&self) -> super::Endpoint {
        match self.direction {
            Direction::ClientToServer => self.key.client,
            Direction::ServerToClient => self.key.server,
        }
    }

    /// Returns the endpoint the frame behind the event went to.
    pub fn receiver(&self) -> super::Endpoint {
        match self.direction {
            Direction::ClientToServer => self.key.server,
            Direction::ServerToClient => self.key.client,
        }
    }
}

/// How the roles (client and server) were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Roles {
    /// From a SYN: its sender is the client.
    FromSyn,
    /// Guessed from the first frame, which was not a SYN: its sender is taken as the client.
    Guessed,
    /// Guessed from the first frame's source port, a likely server port: its sender is the server.
    GuessedFromPort,
}

/// What a handshake negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Handshake {
    /// MSS announced by the client and by the server.
    pub mss: [Option<u16>; 2],
    /// Window-scale shifts in force, client's and server's (only when both SYNs carried the
    /// option, RFC 7323 §2.2; clamped to 14).
    pub window_scale: Option<[u8; 2]>,
    /// Both SYNs carried SACK-permitted.
    pub sack_permitted: bool,
    /// Both SYNs carried timestamps.
    pub timestamps: bool,
    /// ECN negotiated (SYN with ECE+CWR, SYN-ACK with ECE, RFC 3168 §6.1.1).
    pub ecn: bool,
    /// TCP Fast Open: payload bytes carried on the client's SYN.
    pub fast_open_data: u32,
    /// A Fast Open option was present on the SYN.
    pub fast_open: bool,
    /// SYN to SYN-ACK at the capture point (the server side's RTT share).
    pub syn_to_synack: Option<Duration>,
    /// SYN-ACK to the ACK at the capture point (the client side's RTT share).
    pub synack_to_ack: Option<Duration>,
    /// The handshake was a simultaneous open.
    pub simultaneous: bool,
}

/// Why a connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// Both FINs sent and acknowledged; `initiator` sent the first.
    Graceful {
        /// The side that closed first (active close).
        initiator: Direction,
        /// The other side sent data after receiving the first FIN (a half-close).
        half_close: bool,
    },
    /// Both sides sent FIN before seeing the other's.
    Simultaneous,
    /// A RST.
    Reset {
        /// The side that sent it.
        by: Direction,
        /// The sender's state when it sent it.
        state: TcpState,
        /// The RST was in the receiver's window (RFC 5961 §3.2), or no window was known.
        in_window: bool,
    },
    /// The SYN was answered by a RST.
    Refused,
    /// Idle past the configured timeout.
    TimedOut {
        /// The client's state.
        client: TcpState,
        /// The server's state.
        server: TcpState,
    },
    /// Evicted to make room (the table was full); it was the least recently active.
    Evicted,
    /// Still open at the end of the capture ([`Tracker::finish`](super::Tracker::finish)).
    EndOfCapture {
        /// The client's state.
        client: TcpState,
        /// The server's state.
        server: TcpState,
    },
}

/// An anomaly on one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// Wireshark's `tcp.analysis.*` flags.
    Analysis {
        /// The flags (never empty).
        flags: AnalysisFlags,
        /// The duplicate-ACK count when `DUPLICATE_ACK` is set.
        dup_ack_count: u32,
    },
    /// The TCP checksum is bad.
    BadChecksum,
    /// SYN+FIN, SYN+RST, FIN+RST, or no flags at all.
    InvalidFlags(crate::wire::TcpFlags),
    /// A RST outside the receiver's window: ignored (RFC 5961 §3.2).
    RstOutOfWindow,
    /// Payload before the handshake completed.
    DataBeforeEstablished,
    /// A segment's payload overlaps bytes of the stream already buffered or kept and differs
    /// from them (Zeek's `rexmit_inconsistency`, Suricata's overlap with different data);
    /// with [`Config::reassembly`](super::Config::reassembly).
    InconsistentRetransmission,
    /// A stream's buffer reached its cap and the reassembler stopped waiting for the holes
    /// below what it buffered: they are given up as gaps
    /// ([`GapCause::Overflow`](super::reassembly::GapCause::Overflow)).
    StreamOverflow,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A new connection entered the table.
    New {
        /// How the roles were decided.
        roles: Roles,
    },
    /// Zeek's rules swapped client and server; the key now carries the new roles.
    RolesFlipped,
    /// The client's SYN.
    Syn {
        /// The client's initial sequence number.
        isn: u32,
        /// Its options.
        options: SynOptions,
        /// A retransmission of an earlier SYN (same ISN).
        retransmission: bool,
    },
    /// The server's SYN-ACK.
    SynAck {
        /// The server's initial sequence number.
        isn: u32,
        /// Its options.
        options: SynOptions,
        /// A retransmission of an earlier SYN-ACK.
        retransmission: bool,
        /// No SYN was seen before it.
        before_syn: bool,
        /// The time since the client's (last) SYN at the capture point: the server side's
        /// share of the round trip, known before the handshake completes (a scan's SYN,
        /// SYN-ACK, RST never does). `None` without a SYN.
        syn_to_synack: Option<Duration>,
    },
    /// Both sides sent a SYN without ACK (simultaneous open, RFC 9293 §3.5 fig. 7).
    SimultaneousOpen,
    /// The handshake completed.
    Established(Handshake),
    /// Payload (only with [`Config::data_events`](super::Config::data_events)).
    Data {
        /// The sequence number relative to the sender's ISN (1 = first byte).
        relative_seq: u64,
        /// Payload bytes.
        len: u32,
    },
    /// A FIN (each new one; retransmissions are anomalies).
    Fin {
        /// The first FIN of the connection (an active close) or the second.
        first: bool,
        /// Payload bytes carried with it.
        data: u32,
    },
    /// The first FIN was acknowledged (its sender moves to FIN-WAIT-2).
    FinAcked,
    /// The second FIN was acknowledged: the final ACK.
    FinalAck,
    /// The connection is over; nothing more is reported for it.
    Closed(CloseCause),
    /// An anomaly.
    Anomaly(Anomaly),
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CloseCause::Graceful { initiator, half_close } => write!(
                f,
                "gracefully, initiated by the {}{}",
                initiator.sender(),
                if half_close {
                    " (half-close: the other side sent data after the first FIN)"
                } else {
                    ""
                }
            ),
            CloseCause::Simultaneous => f.write_str("by a simultaneous close"),
            CloseCause::Reset { by, state, in_window } => write!(
                f,
                "reset by the {} in {}{}",
                by.sender(),
                state,
                if in_window { "" } else { " (outside the window)" }
            ),
            CloseCause::Refused => f.write_str("refused (SYN answered by RST)"),
            CloseCause::TimedOut { client, server } => {
                write!(f, "timed out (client {client}, server {server})")
            }
            CloseCause::Evicted => f.write_str("evicted (table full)"),
            CloseCause::EndOfCapture { client, server } => {
                write!(f, "at the end of the capture (client {client}, server {server})")
            }
        }
    }
}
