//! The passive connection tracker: both directions of every TCP connection, turned into
//! events (handshake, teardown, resets, refusals, timeouts, anomalies) and, at the end, one
//! summary per connection with Zeek's `conn_state` and `history`.
//!
//! ```text
//!                              +---------+ ---------\      active OPEN
//!                              |  CLOSED |            \    -----------
//!                              +---------+<---------\   \   create TCB
//!                                |     ^              \   \  snd SYN
//!                   passive OPEN |     |   CLOSE        \   \
//!                   ------------ |     | ----------       \   \
//!                    create TCB  |     | delete TCB         \   \
//!                                V     |                      \   \
//!            rcv RST (note 1)  +---------+            CLOSE    |    \
//!         -------------------->|  LISTEN |          ---------- |     |
//!        /                     +---------+          delete TCB |     |
//!       /           rcv SYN      |     |     SEND              |     |
//!      /           -----------   |     |    -------            |     V
//! +--------+      snd SYN,ACK  /       \   snd SYN          +--------+
//! |        |<-----------------           ------------------>|        |
//! |  SYN   |                    rcv SYN                     |  SYN   |
//! |  RCVD  |<-----------------------------------------------|  SENT  |
//! |        |                  snd SYN,ACK                   |        |
//! |        |------------------           -------------------|        |
//! +--------+   rcv ACK of SYN  \       /  rcv SYN,ACK       +--------+
//!    |         --------------   |     |   -----------
//!    |                x         |     |     snd ACK
//!    |                          V     V
//!    |  CLOSE                 +---------+
//!    | -------                |  ESTAB  |
//!    | snd FIN                +---------+
//!    |                 CLOSE    |     |    rcv FIN
//!    V                -------   |     |    -------
//! +---------+         snd FIN  /       \   snd ACK         +---------+
//! |  FIN    |<----------------          ------------------>|  CLOSE  |
//! | WAIT-1  |------------------                            |   WAIT  |
//! +---------+          rcv FIN  \                          +---------+
//!   | rcv ACK of FIN   -------   |                          CLOSE  |
//!   | --------------   snd ACK   |                         ------- |
//!   V        x                   V                         snd FIN V
//! +---------+               +---------+                    +---------+
//! |FINWAIT-2|               | CLOSING |                    | LAST-ACK|
//! +---------+               +---------+                    +---------+
//!   |              rcv ACK of FIN |                 rcv ACK of FIN |
//!   |  rcv FIN     -------------- |    Timeout=2MSL -------------- |
//!   |  -------            x       V    ------------        x       V
//!    \ snd ACK              +---------+delete TCB          +---------+
//!      -------------------->|TIME-WAIT|------------------->| CLOSED  |
//!                           +---------+                    +---------+
//! ```
//! *RFC 9293 §3.3.2, Figure 5: TCP Connection State Diagram.*
//!
//! # Model
//!
//! * A connection is keyed by its two endpoints ([`FlowKey`], the same for both directions).
//!   Each has two half-connections, one per [`Direction`], holding ISN, next sequence, highest
//!   ACK, window and scale, MSS, SACK-permitted, timestamps, FIN position and RST. Each
//!   endpoint's [`TcpState`] changes in one place, [`state::step`], a table of
//!   `(sender, receiver, control)` arms with a reason each. An observer presumes a segment
//!   it saw is received.
//! * Roles follow Zeek: the sender of a SYN is the client (originator). With no SYN, the first
//!   frame's sender is the client, unless its source port is in
//!   [`Config::likely_server_ports`]; Zeek's evidence-based flips then apply (a SYN-ACK's sender
//!   later answered by a SYN; a lone SYN-ACK followed by an ACK or data from the other side),
//!   each reported as [`EventKind::RolesFlipped`].
//! * Alongside, each connection keeps Zeek's own endpoint states and history, so
//!   [`ConnSummary`] carries `conn_state`, `history`, byte and packet counts as Zeek's
//!   `conn.log` has them, and Wireshark's sequence analysis, so anomalies use Wireshark's
//!   words ([`AnalysisFlags`]). Each of the two can be turned off, and costs nothing then:
//!   a sensor that needs only the events and `conn.log` turns the analysis off
//!   ([`Config::analyze_sequence_numbers`]: the same events less the analysis anomalies); one
//!   that needs only the events turns the summaries off too ([`Config::conn_summaries`]: the
//!   same events, no summaries). Per connection that is 456 bytes with everything, 344
//!   without the analysis, 240 without the summaries and 128 with neither
//!   ([`Tracker::bytes_per_connection`]); with neither, a packet takes a third to a half less
//!   time (README's Performance section).
//!
//!   ```
//!   use synack::track::{Config, Tracker};
//!   use synack::wire::parse_frame;
//!
//!   let mut full = Tracker::new(Config::default());
//!   let mut lean = Tracker::new(Config::events_only());
//!   assert_eq!(lean.bytes_per_connection(), 128);
//!   for seed in synack::seed::FRAMES {
//!       let frame = parse_frame(seed.bytes).unwrap();
//!       // The seed has no retransmissions or other analysis anomalies: the same events.
//!       assert_eq!(full.observe(seed.timestamp, &frame), lean.observe(seed.timestamp, &frame));
//!   }
//!   assert_eq!(full.finish().len(), 1);
//!   assert!(lean.finish().is_empty());
//!   ```
//! * Bounded: at most [`Config::max_connections`] entries; idle connections expire by packet
//!   time ([`Config::embryonic_timeout`], [`Config::established_timeout`],
//!   [`Config::closing_timeout`]); when the table is full, the least recently active
//!   connection is evicted with an event. The table's hasher is keyed at random per tracker.
//!   [`Tracker::observe`] reuses one event buffer: no allocation per packet once the table
//!   has grown.
//!
//! ```
//! use synack::track::{Config, EventKind, Tracker, CloseCause, Direction};
//! use synack::wire::parse_frame;
//!
//! let mut tracker = Tracker::new(Config::default());
//! let mut log = Vec::new();
//! for seed in synack::seed::FRAMES {
//!     let frame = parse_frame(seed.bytes).unwrap();
//!     for event in tracker.observe(seed.timestamp, &frame) {
//!         log.push(event.kind);
//!     }
//! }
//! assert!(matches!(log[log.len() - 1],
//!     EventKind::Closed(CloseCause::Graceful { initiator: Direction::ServerToClient, .. })));
//! let summaries = tracker.finish();
//! assert_eq!(summaries[0].conn_state.name(), "SF");
//! assert_eq!(summaries[0].history.as_str(), "ShADafF");
//! ```
//!
//! # Many cores
//!
//! A tracker is single-threaded; to use N cores, run N trackers and give each the frames of
//! its own connections. [`FlowKey::symmetric_hash`] is the same for both directions of a
//! connection and in every process, so `hash % N` picks a shard that sees all of a
//! connection's frames (frames without TCP can go to any shard: they only count as
//! [`Stats::not_tcp`]). How the frames reach the shards is the caller's: one reading thread
//! handing each shard its frames in batches (a single source, such as a live capture), the
//! same without copying a frame (the reader shares each chunk of a file it reads once and
//! tells every shard where its frames are in it: the fastest on 2 cores), or every shard
//! reading the whole source and keeping its own frames (`PACKET_FANOUT_HASH` does it for
//! sockets). `examples/sharded.rs` does all three and measures them.
//!
//! ```
//! use synack::track::{Config, FlowKey, Tracker};
//! use synack::wire::parse_frame;
//!
//! let mut shards: Vec<Tracker> = (0..2).map(|_| Tracker::new(Config::default())).collect();
//! for seed in synack::seed::FRAMES {
//!     let frame = parse_frame(seed.bytes).unwrap();
//!     let shard = FlowKey::of(&frame).map_or(0, |k| (k.symmetric_hash() % 2) as usize);
//!     shards[shard].observe(seed.timestamp, &frame);
//! }
//! // The lab's one connection, whole, on one shard.
//! let summaries: Vec<_> = shards.iter_mut().flat_map(Tracker::finish).collect();
//! assert_eq!(summaries.len(), 1);
//! assert_eq!(summaries[0].history.as_str(), "ShADafF");
//! ```

pub mod analysis;
mod config;
mod event;
mod key;
mod segment;
pub mod state;
mod zeek;

use core::fmt;
use core::hash::BuildHasher;
use core::time::Duration;
use std::vec::Vec;

pub use analysis::{AnalysisFlags, Analyzer, Conversation, SegmentAnalysis, WindowScale};
pub use config::{Config, ZEEK_LIKELY_SERVER_PORTS};
pub use event::{Anomaly, CloseCause, ConnId, Event, EventKind, Handshake, Roles};
pub use key::{ConnKey, Direction, Endpoint, FlowKey};
use key::{Packed, PackedFlow, PackedKey};
pub use segment::Segment;
pub use state::{Control, TcpState, Transition, step};
pub use zeek::{ConnState, History, MAX_HISTORY, ZeekEndpointState, ZeekSettings};

use crate::Timestamp;
use crate::wire::{ChecksumVerdict, Frame, MAX_WINDOW_SCALE, SeqNumber, SynOptions, TcpFlags};
use analysis::{Seg, SeqState};
use zeek::{ZeekConn, ZeekStates};

/// One finished connection, with Zeek's `conn.log` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnSummary {
    /// The connection.
    pub id: ConnId,
    /// Its endpoints with their final roles (`id.orig_*` is the client).
    pub key: ConnKey,
    /// The first frame's time (`ts`).
    pub start: Timestamp,
    /// The time of the last frame Zeek counts towards the duration.
    pub last: Timestamp,
    /// Zeek's `duration`, when logged (above zero).
    pub duration: Option<Duration>,
    /// Zeek's `orig_bytes` (from sequence numbers), when logged.
    pub orig_bytes: Option<u64>,
    /// Zeek's `resp_bytes`, when logged.
    pub resp_bytes: Option<u64>,
    /// Zeek's `conn_state`.
    pub conn_state: ConnState,
    /// Zeek's `missed_bytes`: data acknowledged but never seen, counted when
    /// [`ZeekSettings::report_gaps`] is on (as Zeek counts it when it reassembles), else 0.
    pub missed_bytes: u64,
    /// Zeek's `history`.
    pub history: History,
    /// Packets from the client.
    pub orig_pkts: u64,
    /// IP bytes from the client.
    pub orig_ip_bytes: u64,
    /// Packets from the server.
    pub resp_pkts: u64,
    /// IP bytes from the server.
    pub resp_ip_bytes: u64,
    /// Why it ended.
    pub cause: CloseCause,
    /// The final RFC 9293 states, client's and server's.
    pub states: [TcpState; 2],
    /// What the handshake negotiated, when it completed.
    pub handshake: Option<Handshake>,
    /// The side that sent the first FIN (the active close), when one did.
    pub first_fin: Option<Direction>,
}

impl ConnSummary {
    /// Returns the side whose RST ended the connection (the server's for a refused SYN).
    pub fn reset_by(&self) -> Option<Direction> {
        match self.cause {
            CloseCause::Reset { by, .. } => Some(by),
            CloseCause::Refused => Some(Direction::ServerToClient),
            _ => None,
        }
    }
}

impl ConnSummary {
    /// The `conn.log` columns [`ConnSummary::write_conn_log`] writes, tab-separated.
    pub const CONN_LOG_HEADER: &'static str = "ts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tduration\torig_bytes\tresp_bytes\tconn_state\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes";

    /// Writes one `conn.log` row (no newline), formatted as Zeek's ASCII writer does.
    pub fn write_conn_log(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let ts = self.start;
        write!(out, "{}.{:06}\t", ts.secs, ts.nanos / 1000)?;
        write!(
            out,
            "{}\t{}\t{}\t{}\t",
            self.key.client.addr, self.key.client.port, self.key.server.addr, self.key.server.port
        )?;
        match self.duration {
            Some(d) => write!(out, "{}.{:06}\t", d.as_secs(), d.subsec_micros())?,
            None => out.write_str("-\t")?,
        }
        for b in [self.orig_bytes, self.resp_bytes] {
            match b {
                Some(b) => write!(out, "{b}\t")?,
                None => out.write_str("-\t")?,
            }
        }
        write!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.conn_state,
            self.missed_bytes,
            if self.history.as_str().is_empty() {
                "-"
            } else {
                self.history.as_str()
            },
            self.orig_pkts,
            self.orig_ip_bytes,
            self.resp_pkts,
            self.resp_ip_bytes
        )
    }
}

/// A connection in the tracker's table, as the tracker sees it now
/// ([`Tracker::lookup`], [`Tracker::connections`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenConn {
    /// The connection.
    pub id: ConnId,
    /// Its endpoints with the roles as known now.
    pub key: ConnKey,
    /// How the roles were decided.
    pub roles: Roles,
    /// The RFC 9293 states, client's and server's.
    pub states: [TcpState; 2],
    /// What the handshake negotiated, once it completed.
    pub handshake: Option<Handshake>,
    /// Why it closed, when it has (it stays in the table for [`Config::closing_timeout`]).
    pub closed: Option<CloseCause>,
    /// The side that sent the first FIN, when one did.
    pub first_fin: Option<Direction>,
    /// Its last frame's time.
    pub last: Timestamp,
}

impl OpenConn {
    fn of(c: &Conn) -> OpenConn {
        OpenConn {
            id: c.id,
            key: c.key.public(),
            roles: c.roles,
            states: [c.half[0].state, c.half[1].state],
            handshake: c.established.map(|t| handshake(c, t)),
            closed: c.closed,
            first_fin: c.marks.first_fin(),
            last: c.last.timestamp(),
        }
    }
}

/// Counts of what the tracker was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Frames observed.
    pub frames: u64,
    /// Frames without a TCP header (not IPv4/TCP, fragments, malformed), ignored.
    pub not_tcp: u64,
    /// Connections created.
    pub connections: u64,
    /// Connections evicted because the table was full.
    pub evicted: u64,
    /// Connections expired by a timeout.
    pub timed_out: u64,
    /// Summaries dropped because more than [`Config::summary_backlog`] waited undrained.
    pub summaries_dropped: u64,
    /// Frames dropped because their IPv4 checksum did not verify (only with
    /// [`ZeekSettings::count_bad_checksums`], as Zeek without `-C`).
    pub bad_checksum_dropped: u64,
}

/// What a SYN offered, kept for the handshake (the event carries the full options), in
/// 4 bytes: the MSS, the window-scale shift, a bit for each option seen and one for each of
/// the SYN's ACK, ECE and CWR flags.
#[derive(Debug, Clone, Copy, Default)]
struct SynSeen {
    mss: u16,
    window_scale: u8,
    bits: u8,
}

impl SynSeen {
    const MSS: u8 = 1;
    const WINDOW_SCALE: u8 = 2;
    const SACK_PERMITTED: u8 = 4;
    const TIMESTAMPS: u8 = 8;
    const FAST_OPEN: u8 = 16;
    /// The SYN carried ACK (a SYN-ACK).
    const ACK: u8 = 32;
    const ECE: u8 = 64;
    const CWR: u8 = 128;

    /// Records the flags the handshake reads.
    fn with_flags(mut self, flags: TcpFlags) -> Self {
        for (flag, bit) in [
            (TcpFlags::ACK, Self::ACK),
            (TcpFlags::ECE, Self::ECE),
            (TcpFlags::CWR, Self::CWR),
        ] {
            if flags.contains(flag) {
                self.bits |= bit;
            }
        }
        self
    }

    fn has(self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    fn mss(self) -> Option<u16> {
        self.has(Self::MSS).then_some(self.mss)
    }

    fn window_scale(self) -> Option<u8> {
        self.has(Self::WINDOW_SCALE).then_some(self.window_scale)
    }

    fn sack_permitted(self) -> bool {
        self.has(Self::SACK_PERMITTED)
    }

    fn timestamps(self) -> bool {
        self.has(Self::TIMESTAMPS)
    }

    fn fast_open(self) -> bool {
        self.has(Self::FAST_OPEN)
    }
}

impl From<SynOptions> for SynSeen {
    fn from(o: SynOptions) -> SynSeen {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        SynSeen {
            mss: o.mss.unwrap_or(0),
            window_scale: o.window_scale.unwrap_or(0),
            bits: bit(o.mss.is_some(), Self::MSS)
                | bit(o.window_scale.is_some(), Self::WINDOW_SCALE)
                | bit(o.sack_permitted, Self::SACK_PERMITTED)
                | bit(o.timestamps.is_some(), Self::TIMESTAMPS)
                | bit(o.fast_open, Self::FAST_OPEN),
        }
    }
}

/// One direction's state as the observer infers it, in 24 bytes: the sequence numbers are
/// plain `u32`s with a presence bit each in `has` (an `Option<SeqNumber>` takes 8 bytes, and
/// a million connections make every byte count).
#[derive(Debug, Clone, Copy)]
struct Half {
    state: TcpState,
    /// Which of the optional fields are set (`Half::ISN`, ...), and `DATA_AFTER_PEER_FIN`.
    has: u8,
    /// The last window advertised, unscaled.
    window: u16,
    syn: SynSeen,
    /// Its SYN's sequence number, when `has & ISN`; until then, Zeek's starting sequence
    /// for this side (see `Half::zeek_start`).
    isn: u32,
    /// One past the highest sequence number sent (SYN and FIN count).
    next_seq: u32,
    /// The sequence number of its FIN, when `has & FIN_SEQ`; until then, for the client
    /// while Zeek's history is `H`, Zeek's highest sequence since its start (see
    /// `HistShape::after`).
    fin_seq: u32,
    /// Wireshark's base for relative sequence numbers (its SYN's, or one below the first
    /// sequence or the peer's first acknowledgment), when `has & BASE`.
    base: u32,
}

impl Default for Half {
    fn default() -> Self {
        Half {
            state: TcpState::Closed,
            has: 0,
            window: 0,
            syn: SynSeen::default(),
            isn: 0,
            next_seq: 0,
            fin_seq: 0,
            base: 0,
        }
    }
}

impl Half {
    const ISN: u8 = 1;
    const NEXT_SEQ: u8 = 2;
    const FIN_SEQ: u8 = 4;
    const SYN: u8 = 8;
    /// Payload bytes sent after the peer's FIN.
    const DATA_AFTER_PEER_FIN: u8 = 16;
    const BASE: u8 = 32;

    fn get(&self, bit: u8, v: u32) -> Option<SeqNumber> {
        (self.has & bit != 0).then_some(SeqNumber(v))
    }

    fn isn(&self) -> Option<SeqNumber> {
        self.get(Self::ISN, self.isn)
    }

    fn next_seq(&self) -> Option<SeqNumber> {
        self.get(Self::NEXT_SEQ, self.next_seq)
    }

    fn fin_seq(&self) -> Option<SeqNumber> {
        self.get(Self::FIN_SEQ, self.fin_seq)
    }

    /// What its SYN offered, once it sent one.
    fn syn(&self) -> Option<SynSeen> {
        (self.has & Self::SYN != 0).then_some(self.syn)
    }

    fn data_after_peer_fin(&self) -> bool {
        self.has & Self::DATA_AFTER_PEER_FIN != 0
    }

    /// Zeek's starting sequence for this side: its SYN's, else (kept in `isn` while there is
    /// no SYN) its first segment's less one, or the peer's ACK less one before it sent any.
    fn zeek_start(&self) -> u32 {
        self.isn
    }
}

/// The shape of Zeek's history so far, all that its role decisions read of it: a lone SYN-ACK
/// answered from the other side flips the roles only while the history is exactly `H`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HistShape {
    Empty = 0,
    LoneH = 1,
    Other = 2,
}

impl HistShape {
    /// The shape after a packet Zeek analyses without flipping the roles (`orig`: from the
    /// client, whose half is `client` and Zeek state and previous state `state`, as before
    /// the packet). A letter is added by every packet but a quiet one (no flags, no payload,
    /// a window), and while the history is `H`, the client's SYNs: their relative sequence
    /// is 0 again, as was the `H`'s, unless their payload is, to Zeek, a retransmission (`T`).
    ///
    /// That takes Zeek's highest sequence sent since the SYN that set the client's start:
    /// while the history is `H` the client has sent no FIN, and its half keeps it in place of
    /// the FIN's sequence (`fin_seq`, unused without `Half::FIN_SEQ`). `gap` says whether the
    /// packet's ACK reveals a content gap (a `g`, when gaps are reported).
    fn after(self, orig: bool, seg: &Seg, client: &mut Half, state: [ZeekEndpointState; 2], gap: bool) -> HistShape {
        if gap {
            return HistShape::Other;
        }
        let f = seg.flags;
        let controls = f & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST | TcpFlags::ACK);
        let quiet = controls.is_empty() && seg.len == 0 && seg.window != 0;
        let clean = orig && seg.window != 0;
        let end = seg.seq.wrapping_add(seg.len + 1);
        match self {
            HistShape::Empty if quiet => HistShape::Empty,
            HistShape::Empty if clean && seg.len == 0 && controls == TcpFlags::SYN | TcpFlags::ACK => {
                client.fin_seq = end;
                HistShape::LoneH
            }
            HistShape::LoneH if quiet => HistShape::LoneH,
            HistShape::LoneH if clean && controls & !TcpFlags::ACK == TcpFlags::SYN => {
                let [state, prev] = state;
                if zeek::sender_start(state, prev, true, seg.seq, client.zeek_start()).is_some() {
                    // A new start (Zeek's init_endpoint): payload lies behind it.
                    client.fin_seq = end;
                    return if seg.len > 0 {
                        HistShape::Other
                    } else {
                        HistShape::LoneH
                    };
                }
                let d = end.wrapping_sub(client.fin_seq) as i32;
                if d.unsigned_abs() > zeek::TOO_LARGE_SEQ_DELTA.unsigned_abs() {
                    HistShape::LoneH
                } else if d > 0 {
                    client.fin_seq = end;
                    HistShape::LoneH
                } else if seg.len > 0 {
                    HistShape::Other
                } else {
                    HistShape::LoneH
                }
            }
            _ => HistShape::Other,
        }
    }
}

/// Three small facts about a connection in one byte: the shape of Zeek's history (bits 0-1),
/// whether both sides sent a SYN without ACK (bit 2), and which side sent the first FIN
/// (bits 3-4: none, client, server).
#[derive(Debug, Clone, Copy, Default)]
struct Marks(u8);

impl Marks {
    const SIMULTANEOUS_OPEN: u8 = 4;

    fn hist(self) -> HistShape {
        match self.0 & 3 {
            0 => HistShape::Empty,
            1 => HistShape::LoneH,
            _ => HistShape::Other,
        }
    }

    fn set_hist(&mut self, h: HistShape) {
        self.0 = (self.0 & !3) | h as u8;
    }

    fn simultaneous_open(self) -> bool {
        self.0 & Self::SIMULTANEOUS_OPEN != 0
    }

    fn set_simultaneous_open(&mut self) {
        self.0 |= Self::SIMULTANEOUS_OPEN;
    }

    fn first_fin(self) -> Option<Direction> {
        match self.0 >> 3 & 3 {
            0 => None,
            1 => Some(Direction::ClientToServer),
            _ => Some(Direction::ServerToClient),
        }
    }

    fn set_first_fin(&mut self, d: Direction) {
        let v = match d {
            Direction::ClientToServer => 1,
            Direction::ServerToClient => 2,
        };
        self.0 = (self.0 & !(3 << 3)) | v << 3;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Embryonic = 0,
    Established = 1,
    Closing = 2,
}

const NIL: u32 = u32::MAX;

/// How stale a connection's place in its LRU list may get before a packet moves it.
const RELINK: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
struct Conn {
    id: ConnId,
    key: PackedKey,
    /// The last packet's time.
    last: crate::Nanos,
    last_dir: Direction,
    half: [Half; 2],
    /// Zeek's endpoint states (the rest of its accounting is kept apart, when kept).
    zeek: ZeekStates,
    roles: Roles,
    /// The history's shape, a simultaneous open, the first FIN's direction.
    marks: Marks,
    syn_ts: Option<crate::Nanos>,
    synack_ts: Option<crate::Nanos>,
    /// When the handshake completed (what it negotiated is recomputed from the halves).
    established: Option<crate::Nanos>,
    closed: Option<CloseCause>,
    phase: Phase,
    /// The payload bytes of each side's last SYN (at most 65 515 in IPv4), [client, server].
    syn_data: [u16; 2],
    /// How long before `last` it was put at its list's tail, in nanoseconds; `u32::MAX`:
    /// 4.29 s or more (what the list's order needs is exact, see `Conn::linked_within`).
    linked_lag: u32,
    prev: u32,
    next: u32,
}

impl Conn {
    /// Records a packet's time (it may be earlier than the last: captures are not always in
    /// order; the place in the list then counts as linked at the packet).
    fn set_last(&mut self, t: crate::Nanos) {
        let lag = i64::from(self.linked_lag).saturating_add(t.get().saturating_sub(self.last.get()));
        if self.linked_lag != u32::MAX {
            self.linked_lag = lag.clamp(0, i64::from(u32::MAX)) as u32;
        }
        self.last = t;
    }

    /// Puts its link time at its last packet.
    fn relink(&mut self) {
        self.linked_lag = 0;
    }

    /// Whether it was linked within `d` of `now`; false when it is not known to have been
    /// (linked 4.29 s or more before its last packet).
    fn linked_within(&self, now: crate::Nanos, d: Duration) -> bool {
        if self.linked_lag == u32::MAX {
            return false;
        }
        let linked = self.last.get().saturating_sub(i64::from(self.linked_lag));
        Duration::from_nanos(now.get().saturating_sub(linked).max(0) as u64) <= d
    }
}

type Hasher = foldhash::fast::RandomState;

/// The passive TCP connection tracker. See the [module docs](self).
#[derive(Debug)]
pub struct Tracker {
    config: Config,
    likely_ports: Vec<u64>,
    /// Slot indices, hashed by their connection's flow key: 4 bytes a bucket, and the key
    /// compared in the connection itself, which the packet reads next anyway.
    table: hashbrown::HashTable<u32>,
    hasher: Hasher,
    slots: Vec<Option<Conn>>,
    /// Each slot's sequence analysis, when [`Config::analyze_sequence_numbers`] is on (kept
    /// apart so that the connections are smaller when it is off).
    seqs: Vec<SeqState>,
    /// Each slot's Zeek accounting, when [`Config::conn_summaries`] is on.
    zeeks: Vec<ZeekConn>,
    free: Vec<u32>,
    /// Least recently active first, one list per phase: (head, tail).
    lru: [(u32, u32); 3],
    events: Vec<Event>,
    finished: std::collections::VecDeque<ConnSummary>,
    next_id: ConnId,
    stats: Stats,
    clock: Timestamp,
    last_sweep: Timestamp,
    /// Set while [`Tracker::end`] closes the table: every summary is kept.
    ending: bool,
}

impl Tracker {
    /// Returns a tracker.
    pub fn new(config: Config) -> Self {
        let mut likely_ports = vec![0u64; 1024];
        for &p in &config.likely_server_ports {
            likely_ports[usize::from(p) / 64] |= 1 << (p % 64);
        }
        Tracker {
            likely_ports,
            table: hashbrown::HashTable::new(),
            hasher: Hasher::default(),
            slots: Vec::new(),
            seqs: Vec::new(),
            zeeks: Vec::new(),
            free: Vec::new(),
            lru: [(NIL, NIL); 3],
            events: Vec::with_capacity(16),
            finished: std::collections::VecDeque::new(),
            next_id: 0,
            stats: Stats::default(),
            clock: Timestamp::default(),
            last_sweep: Timestamp::default(),
            ending: false,
            config,
        }
    }

    /// Returns the bytes of state kept inline for each connection in the table (not counting
    /// the hash table's entry, a 32-bit slot index, nor the Zeek accounting and the sequence
    /// analysis: see [`Tracker::bytes_per_connection`]).
    pub fn connection_size() -> usize {
        core::mem::size_of::<Option<Conn>>()
    }

    /// The bytes of Wireshark's sequence analysis kept for each connection when
    /// [`Config::analyze_sequence_numbers`] is on.
    pub const SEQUENCE_ANALYSIS_SIZE: usize = core::mem::size_of::<SeqState>();

    /// The bytes of Zeek's accounting kept for each connection when
    /// [`Config::conn_summaries`] is on.
    pub const SUMMARY_SIZE: usize = core::mem::size_of::<ZeekConn>();

    /// Returns the bytes of state this tracker keeps for each connection, with its settings
    /// (not counting the hash table's entry).
    pub fn bytes_per_connection(&self) -> usize {
        let seq = if self.config.analyze_sequence_numbers {
            Self::SEQUENCE_ANALYSIS_SIZE
        } else {
            0
        };
        let zeek = if self.config.conn_summaries {
            Self::SUMMARY_SIZE
        } else {
            0
        };
        Self::connection_size() + seq + zeek
    }

    /// Returns the settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Returns the counts so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Returns how many connections the table holds.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Returns true when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Returns the connection `flow` belongs to, while it is in the table.
    ///
    /// ```
    /// use synack::seed::{CLIENT, CLIENT_PORT, SERVER, SERVER_PORT};
    /// use synack::track::{Config, Endpoint, FlowKey, TcpState, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// for seed in &synack::seed::FRAMES[..3] {
    ///     tracker.observe(seed.timestamp, &parse_frame(seed.bytes)?);
    /// }
    /// // Either order of the endpoints finds it.
    /// let flow = FlowKey::new(Endpoint::new(SERVER, SERVER_PORT), Endpoint::new(CLIENT, CLIENT_PORT));
    /// let conn = tracker.lookup(&flow).expect("in the table");
    /// assert_eq!(conn.key.client.port, CLIENT_PORT);
    /// assert_eq!(conn.states, [TcpState::Established, TcpState::Established]);
    /// assert_eq!(tracker.connections().count(), 1);
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn lookup(&self, flow: &FlowKey) -> Option<OpenConn> {
        let flow = flow.packed()?;
        let hash = self.hasher.hash_one(flow);
        let slots = &self.slots;
        let i = *self.table.find(hash, |&j| {
            slots[j as usize].as_ref().is_some_and(|c| c.key.flow() == flow)
        })?;
        self.slots[i as usize].as_ref().map(OpenConn::of)
    }

    /// Returns every connection in the table, in no particular order.
    pub fn connections(&self) -> impl Iterator<Item = OpenConn> + '_ {
        self.table
            .iter()
            .filter_map(|&i| self.slots[i as usize].as_ref().map(OpenConn::of))
    }

    /// Returns the summaries of connections removed so far and not yet taken. A streaming
    /// caller drains them now and then; at most [`Config::summary_backlog`] wait here. None
    /// are made when [`Config::conn_summaries`] is off.
    pub fn drain_summaries(&mut self) -> std::collections::vec_deque::Drain<'_, ConnSummary> {
        self.finished.drain(..)
    }

    /// Returns the table's hash of a key. The hasher is keyed at random for each tracker, so
    /// endpoints crafted to collide for one tracker (or for a fixed hasher) do not collide here.
    pub fn table_hash(&self, key: &FlowKey) -> u64 {
        match key.packed() {
            Some(flow) => self.hasher.hash_one(flow),
            None => self.hasher.hash_one(key),
        }
    }

    fn is_likely_server_port(&self, p: u16) -> bool {
        self.likely_ports[usize::from(p) / 64] & (1 << (p % 64)) != 0
    }

    // ---- the LRU lists ----

    fn unlink(&mut self, i: u32) {
        let (prev, next, phase) = {
            let c = self.slots[i as usize].as_ref().expect("live slot");
            (c.prev, c.next, c.phase as usize)
        };
        if prev == NIL {
            self.lru[phase].0 = next;
        } else if let Some(p) = self.slots[prev as usize].as_mut() {
            p.next = next;
        }
        if next == NIL {
            self.lru[phase].1 = prev;
        } else if let Some(n) = self.slots[next as usize].as_mut() {
            n.prev = prev;
        }
    }

    fn push_back(&mut self, i: u32) {
        let phase = self.slots[i as usize].as_ref().expect("live slot").phase as usize;
        let tail = self.lru[phase].1;
        if let Some(c) = self.slots[i as usize].as_mut() {
            c.prev = tail;
            c.next = NIL;
        }
        if tail == NIL {
            self.lru[phase].0 = i;
        } else if let Some(t) = self.slots[tail as usize].as_mut() {
            t.next = i;
        }
        self.lru[phase].1 = i;
    }

    /// Records activity. The connection moves to the tail of its LRU list only when its phase
    /// changed or its place is more than [`RELINK`] old: moving touches two neighbours at
    /// random places in memory, which costs more than the rest of a packet at a million open
    /// connections. A connection whose place is stale gets a second chance when it reaches
    /// the head (see `expire` and `evict_one`), so both see true idle times.
    fn touch(&mut self, i: u32) {
        let c = self.slots[i as usize].as_mut().expect("live slot");
        let phase = phase_of(c);
        if phase == c.phase && Duration::from_nanos(u64::from(c.linked_lag)) < RELINK {
            return;
        }
        self.unlink(i);
        let c = self.slots[i as usize].as_mut().expect("live slot");
        c.phase = phase;
        c.relink();
        self.push_back(i);
    }

    /// Moves a list head whose place is stale (active since it was linked) to the tail.
    /// Returns false when the head's place is current.
    fn second_chance(&mut self, i: u32) -> bool {
        let c = self.slots[i as usize].as_ref().expect("live slot");
        if c.linked_lag == 0 {
            return false;
        }
        self.unlink(i);
        let c = self.slots[i as usize].as_mut().expect("live slot");
        c.relink();
        self.push_back(i);
        true
    }

    fn remove(&mut self, i: u32, cause: Option<CloseCause>, at: Timestamp) {
        self.unlink(i);
        // Read the connection where it lies (moving it out would copy ~600 bytes), then free.
        let Some(c) = self.slots[i as usize].as_ref() else {
            return;
        };
        let cause = match (c.closed, cause) {
            (Some(done), _) => done,
            (None, Some(cause)) => {
                self.events.push(Event {
                    conn: c.id,
                    key: c.key.public(),
                    timestamp: at,
                    direction: c.last_dir,
                    frame: 0,
                    kind: EventKind::Closed(cause),
                });
                cause
            }
            (None, None) => CloseCause::EndOfCapture {
                client: c.half[0].state,
                server: c.half[1].state,
            },
        };
        if let Some(z) = self.zeeks.get(i as usize) {
            if self.config.summary_backlog > 0 {
                if self.finished.len() >= self.config.summary_backlog && !self.ending {
                    self.finished.pop_front();
                    self.stats.summaries_dropped += 1;
                }
                self.finished.push_back(summary(c, z, cause));
            } else {
                self.stats.summaries_dropped += 1;
            }
        }
        let hash = self.hasher.hash_one(c.key.flow());
        if let Ok(entry) = self.table.find_entry(hash, |&j| j == i) {
            entry.remove();
        }
        self.slots[i as usize] = None;
        self.free.push(i);
    }

    /// Expires connections idle past their phase's timeout at packet time `now`, and returns
    /// the events (a [`CloseCause::TimedOut`] for each that had not closed).
    pub fn advance(&mut self, now: Timestamp) -> &[Event] {
        self.events.clear();
        self.expire(now);
        &self.events
    }

    fn expire(&mut self, now: Timestamp) {
        if now > self.clock {
            self.clock = now;
        }
        let timeouts = [
            self.config.embryonic_timeout,
            self.config.established_timeout,
            self.config.closing_timeout,
        ];
        for (phase, timeout) in timeouts.into_iter().enumerate() {
            loop {
                let head = self.lru[phase].0;
                if head == NIL {
                    break;
                }
                let c = self.slots[head as usize].as_ref().expect("live slot");
                // The list is ordered by `linked`, and `last >= linked`: once the head was
                // linked within the timeout, nothing behind it can have expired.
                if c.linked_within(crate::Nanos::from(now), timeout) {
                    break;
                }
                if crate::Nanos::from(now).since(c.last) <= timeout {
                    // Active since it was linked: move it back and look at the next head.
                    self.second_chance(head);
                    continue;
                }
                let cause = CloseCause::TimedOut {
                    client: c.half[0].state,
                    server: c.half[1].state,
                };
                if c.closed.is_none() {
                    self.stats.timed_out += 1;
                }
                let at = c.last.timestamp() + timeout;
                self.remove(head, Some(cause), at);
            }
        }
    }

    /// Closes every connection still in the table at the last packet's time, and returns
    /// the events: a [`CloseCause::EndOfCapture`] close for each that had not closed, in
    /// either configuration (with [`Config::conn_summaries`] off too). Their summaries wait
    /// in [`Tracker::drain_summaries`], all of them ([`Config::summary_backlog`] does not drop
    /// any here). The tracker stays usable: its statistics are readable, and later frames
    /// start new connections.
    ///
    /// ```
    /// use synack::track::{CloseCause, Config, EventKind, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default().with_conn_summaries(false));
    /// for seed in &synack::seed::FRAMES[..5] {
    ///     tracker.observe(seed.timestamp, &parse_frame(seed.bytes)?);
    /// }
    /// // The capture ends before the teardown: the connection is still established.
    /// let ended = tracker.end();
    /// assert!(matches!(ended[0].kind, EventKind::Closed(CloseCause::EndOfCapture { .. })));
    /// assert_eq!((tracker.len(), tracker.stats().connections), (0, 1));
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn end(&mut self) -> &[Event] {
        self.events.clear();
        let mut live: Vec<u32> = self.table.iter().copied().collect();
        live.sort_by_key(|&i| self.slots[i as usize].as_ref().map(|c| c.id));
        self.ending = true;
        for i in live {
            let Some(c) = self.slots[i as usize].as_ref() else {
                continue;
            };
            let cause = CloseCause::EndOfCapture {
                client: c.half[0].state,
                server: c.half[1].state,
            };
            self.remove(i, Some(cause), self.clock);
        }
        self.ending = false;
        &self.events
    }

    /// Closes every remaining connection (as [`Tracker::end`] does) and returns all
    /// summaries not yet taken, in the order the connections ended (none when
    /// [`Config::conn_summaries`] is off). The statistics stay readable.
    ///
    /// ```
    /// use synack::track::{Config, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// for seed in synack::seed::FRAMES {
    ///     tracker.observe(seed.timestamp, &parse_frame(seed.bytes)?);
    /// }
    /// let conns = tracker.finish();
    /// assert_eq!((conns[0].conn_state.name(), conns[0].history.as_str()), ("SF", "ShADafF"));
    /// assert_eq!(tracker.stats().frames, 9);
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn finish(&mut self) -> Vec<ConnSummary> {
        self.end();
        self.events.clear();
        self.finished.drain(..).collect()
    }

    fn evict_one(&mut self, now: Timestamp) {
        // The least recently active of the three lists' heads, once every head's place is
        // current (bounded, so a table of stale places cannot stall a packet).
        let mut best: Option<(crate::Nanos, u32)> = None;
        for phase in 0..self.lru.len() {
            for _ in 0..64 {
                let head = self.lru[phase].0;
                if head == NIL || !self.second_chance(head) {
                    break;
                }
            }
            let head = self.lru[phase].0;
            if head != NIL {
                let t = self.slots[head as usize].as_ref().expect("live slot").last;
                if best.is_none_or(|(bt, _)| t < bt) {
                    best = Some((t, head));
                }
            }
        }
        if let Some((_, i)) = best {
            let was_open = self.slots[i as usize].as_ref().is_some_and(|c| c.closed.is_none());
            if was_open {
                self.stats.evicted += 1;
            }
            self.remove(i, Some(CloseCause::Evicted), now);
        }
    }

    fn create(&mut self, flow: PackedFlow, src: Packed, dst: Packed, flags: TcpFlags, ts: Timestamp) -> u32 {
        if self.table.len() >= self.config.max_connections.max(1) {
            self.evict_one(ts);
        }
        // Zeek's WantConnection: a first frame that is not a pure SYN may be flipped by port.
        let pure_syn = flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN;
        let mut roles = if pure_syn { Roles::FromSyn } else { Roles::Guessed };
        let mut key = PackedKey::new(src, dst);
        if !pure_syn && self.is_likely_server_port(src.port()) {
            let flip = if self.is_likely_server_port(dst.port()) {
                !flags.contains(TcpFlags::SYN) && src.port() < dst.port()
            } else {
                true
            };
            if flip {
                key = key.flipped();
                roles = Roles::GuessedFromPort;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.stats.connections += 1;
        let conn = Conn {
            id,
            key,
            last: crate::Nanos::from(ts),
            last_dir: key.direction_from(src),
            half: [Half::default(); 2],
            zeek: ZeekStates::default(),
            roles,
            // Zeek's history starts with `^` after a flip by port.
            marks: {
                let mut m = Marks::default();
                if roles == Roles::GuessedFromPort {
                    m.set_hist(HistShape::Other);
                }
                m
            },
            syn_ts: None,
            synack_ts: None,
            established: None,
            closed: None,
            phase: Phase::Embryonic,
            syn_data: [0; 2],
            linked_lag: 0,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(conn);
                i
            }
            None => {
                self.slots.push(Some(conn));
                (self.slots.len() - 1) as u32
            }
        };
        if self.config.analyze_sequence_numbers {
            let seq = SeqState::default();
            match self.seqs.get_mut(i as usize) {
                Some(s) => *s = seq,
                None => self.seqs.push(seq),
            }
        }
        if self.config.conn_summaries {
            let mut zeek = ZeekConn::new(ts).with_gaps(self.config.zeek.report_gaps);
            if roles == Roles::GuessedFromPort {
                zeek.flip();
            }
            match self.zeeks.get_mut(i as usize) {
                Some(z) => *z = zeek,
                None => self.zeeks.push(zeek),
            }
        }
        let (slots, hasher) = (&self.slots, &self.hasher);
        let rehash = |&j: &u32| slots[j as usize].as_ref().map_or(0, |c| hasher.hash_one(c.key.flow()));
        self.table.insert_unique(hasher.hash_one(flow), i, rehash);
        self.push_back(i);
        self.events.push(Event {
            conn: id,
            key: key.public(),
            timestamp: ts,
            direction: key.direction_from(src),
            frame: self.stats.frames,
            kind: EventKind::New { roles },
        });
        i
    }

    /// Observes one frame at `timestamp` and returns the events it caused (empty for frames
    /// without a TCP header). The slice is valid until the next call. The frame's checksums
    /// are verified as [`Config::verify_checksums`] and
    /// [`ZeekSettings::count_bad_checksums`] ask.
    ///
    /// Idle connections are also expired here, at most once per second of packet time, so a
    /// caller that never calls [`Tracker::advance`] still stays within its bounds.
    ///
    /// ```
    /// use synack::track::{Config, EventKind, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// let syn = &synack::seed::FRAMES[0];
    /// let events = tracker.observe(syn.timestamp, &parse_frame(syn.bytes)?);
    /// assert!(matches!(events[0].kind, EventKind::New { .. }));
    /// assert!(matches!(events[1].kind, EventKind::Syn { isn: 2672442395, .. }));
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn observe(&mut self, timestamp: Timestamp, frame: &Frame<'_>) -> &[Event] {
        let Some(mut seg) = Segment::from_frame(frame) else {
            self.begin(timestamp);
            self.stats.not_tcp += 1;
            return &self.events;
        };
        if self.config.verify_checksums || self.config.zeek.count_bad_checksums {
            seg.tcp_checksum = frame.tcp_checksum();
        }
        if self.config.zeek.count_bad_checksums {
            seg.ip_checksum = frame.ipv4_checksum();
        }
        self.observe_segment(timestamp, &seg)
    }

    /// Counts a frame given at `timestamp` and expires idle connections, at most once per
    /// second of packet time.
    fn begin(&mut self, timestamp: Timestamp) {
        self.events.clear();
        self.stats.frames += 1;
        if timestamp > self.clock {
            self.clock = timestamp;
        }
        if timestamp.saturating_since(self.last_sweep) >= Duration::from_secs(1) {
            self.last_sweep = timestamp;
            self.expire(timestamp);
        }
    }

    /// Observes one segment at `timestamp` (counted as one frame) and returns the events it
    /// caused. Its checksum verdicts are read as given (`None`: not verified).
    pub fn observe_segment(&mut self, timestamp: Timestamp, seg: &Segment<'_>) -> &[Event] {
        self.begin(timestamp);
        let Some((src, dst)) = seg.packed() else {
            self.stats.not_tcp += 1;
            return &self.events;
        };
        let flow = PackedFlow::new(src, dst);
        let flags = seg.flags;
        let count_bad = self.config.zeek.count_bad_checksums;
        // Zeek without -C drops a packet whose IPv4 header checksum does not verify.
        if count_bad
            && seg
                .ip_checksum
                .is_some_and(|v| !matches!(v, ChecksumVerdict::Good | ChecksumVerdict::Unverifiable))
        {
            self.stats.bad_checksum_dropped += 1;
            return &self.events;
        }
        let hash = self.hasher.hash_one(flow);
        let slots = &self.slots;
        let found = self.table.find(hash, |&j| {
            slots[j as usize].as_ref().is_some_and(|c| c.key.flow() == flow)
        });
        let idx = match found.copied() {
            Some(i) if self.is_reuse(i, src, flags, seg.seq) => {
                self.remove(i, None, timestamp);
                self.create(flow, src, dst, flags, timestamp)
            }
            Some(i) => i,
            None => self.create(flow, src, dst, flags, timestamp),
        };
        let verdict = if self.config.verify_checksums || count_bad {
            seg.tcp_checksum
        } else {
            None
        };
        let bad_checksum = matches!(verdict, Some(ChecksumVerdict::Bad { .. }));
        // To Zeek, anything that does not verify is bad (it knows no offload artefacts).
        let zeek_bad = count_bad
            && matches!(
                verdict,
                Some(ChecksumVerdict::Bad { .. } | ChecksumVerdict::Partial | ChecksumVerdict::Zero)
            );
        let syn_opts = seg.syn_options;
        let s = Seg {
            seq: seg.seq,
            ack: seg.ack,
            len: seg.len,
            flags,
            window: seg.window,
            wscale: syn_opts.and_then(|o| o.window_scale),
            ts: timestamp,
        };
        let ip_len = u64::from(seg.ip_len);
        let data_events = self.config.data_events;
        let frame_no = self.stats.frames;

        let conn = self.slots[idx as usize].as_mut().expect("live slot");
        let seq = self.seqs.get_mut(idx as usize);
        let zeek = self.zeeks.get_mut(idx as usize);
        let mut out = Emitter {
            events: &mut self.events,
            frame: frame_no,
            ts: timestamp,
        };
        process(
            conn,
            seq,
            zeek,
            &mut out,
            src,
            &s,
            syn_opts,
            ip_len,
            bad_checksum,
            zeek_bad,
            data_events,
            self.config.zeek.report_gaps,
        );
        self.touch(idx);
        &self.events
    }

    /// Port reuse, by Zeek's rule (`IsReuse`): a SYN whose sequence number differs from the
    /// connection's start, or any SYN once a side has closed, starts a new connection; so
    /// does a SYN-ACK on a connection whose originator was never seen.
    ///
    /// One exception: a SYN from the server while the client's SYN is unanswered is a
    /// simultaneous open (RFC 9293 §3.5, fig. 7), not a new connection. (Zeek would split it.)
    fn is_reuse(&self, i: u32, src: Packed, flags: TcpFlags, seq: u32) -> bool {
        // Only a SYN starts a new connection: the rest of the test is for SYNs alone.
        if !flags.contains(TcpFlags::SYN) {
            return false;
        }
        let c = self.slots[i as usize].as_ref().expect("live slot");
        let from_server = c.key.direction_from(src) == Direction::ServerToClient;
        let simultaneous_open = from_server
            && flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN
            && c.half[1].isn().is_none()
            && c.half[0].state == TcpState::SynSent;
        if simultaneous_open {
            return false;
        }
        let start = [c.half[0].zeek_start(), c.half[1].zeek_start()];
        if let Some(z) = self.zeeks.get(i as usize)
            && !c.zeek.did_close(0)
            && !c.zeek.did_close(1)
        {
            debug_assert_eq!(start, [z.ep[0].start_seq, z.ep[1].start_seq], "Zeek's starts, {c:?}");
        }
        c.zeek.is_reuse(flags, seq, start)
    }
}

fn phase_of(c: &Conn) -> Phase {
    if c.closed.is_some() || c.half.iter().any(|h| h.fin_seq().is_some()) || c.zeek.any_reset() {
        Phase::Closing
    } else if c.established.is_some() || c.roles != Roles::FromSyn {
        Phase::Established
    } else {
        Phase::Embryonic
    }
}

fn summary(c: &Conn, z: &ZeekConn, cause: CloseCause) -> ConnSummary {
    let logs = z.logs_sizes();
    ConnSummary {
        id: c.id,
        key: c.key.public(),
        start: z.start.timestamp(),
        last: z.last.timestamp(),
        duration: logs.then(|| z.last.since(z.start)),
        orig_bytes: logs.then(|| z.orig_bytes(&c.zeek)),
        resp_bytes: logs.then(|| z.resp_bytes(&c.zeek)),
        conn_state: z.conn_state(&c.zeek),
        missed_bytes: z.missed_bytes,
        history: z.history,
        orig_pkts: z.pkts[0],
        orig_ip_bytes: z.ip_bytes[0],
        resp_pkts: z.pkts[1],
        resp_ip_bytes: z.ip_bytes[1],
        cause,
        states: [c.half[0].state, c.half[1].state],
        handshake: c.established.map(|t| handshake(c, t)),
        first_fin: c.marks.first_fin(),
    }
}

struct Emitter<'a> {
    events: &'a mut Vec<Event>,
    frame: u64,
    ts: Timestamp,
}

impl Emitter<'_> {
    fn emit(&mut self, c: &Conn, direction: Direction, kind: EventKind) {
        if c.closed.is_some() && !matches!(kind, EventKind::Closed(_)) {
            return;
        }
        self.events.push(Event {
            conn: c.id,
            key: c.key.public(),
            timestamp: self.ts,
            direction,
            frame: self.frame,
            kind,
        });
    }
}

fn flip(c: &mut Conn, seq: Option<&mut SeqState>) {
    c.key = c.key.flipped();
    c.half.swap(0, 1);
    c.syn_data.swap(0, 1);
    if let Some(seq) = seq {
        seq.flows.swap(0, 1);
    }
}

#[allow(clippy::too_many_arguments)]
fn process(
    c: &mut Conn,
    mut seq_analysis: Option<&mut SeqState>,
    mut zeek: Option<&mut ZeekConn>,
    out: &mut Emitter<'_>,
    src: Packed,
    seg: &Seg,
    syn_opts: Option<SynOptions>,
    ip_len: u64,
    bad_checksum: bool,
    zeek_bad: bool,
    data_events: bool,
    report_gaps: bool,
) {
    let flags = seg.flags;
    let syn = flags.contains(TcpFlags::SYN);
    let fin = flags.contains(TcpFlags::FIN);
    let rst = flags.contains(TcpFlags::RST);
    let ackf = flags.contains(TcpFlags::ACK);

    // Zeek's view (conn_state, history, counts); it may flip the roles.
    let dir = c.key.direction_from(src);
    if zeek_bad {
        // Zeek records a `C` and analyses nothing else of the packet.
        if let Some(z) = zeek.as_deref_mut() {
            z.bad_checksum(dir == Direction::ClientToServer);
        }
        c.marks.set_hist(HistShape::Other);
        out.emit(c, dir, EventKind::Anomaly(Anomaly::BadChecksum));
        return;
    }
    let orig = dir == Direction::ClientToServer;
    let hist_before = c.marks.hist();
    let hist = if hist_before == HistShape::Other {
        HistShape::Other
    } else {
        // While the history is empty or `H`, the server sent at most quiet packets: its
        // content frontier is one past its start, when it sent any (Zeek's gap check).
        let gap = report_gaps
            && orig
            && flags.contains(TcpFlags::ACK)
            && !flags.contains(TcpFlags::RST)
            && c.zeek.state(1) != ZeekEndpointState::Inactive
            && (1..zeek::TOO_LARGE_SEQ_DELTA)
                .contains(&(seg.ack.wrapping_sub(c.half[1].zeek_start().wrapping_add(1)) as i32));
        let state = [c.zeek.state(0), c.zeek.prev_state(0)];
        hist_before.after(orig, seg, &mut c.half[0], state, gap)
    };
    // Zeek's starting sequences of sides without a SYN (see `Half::zeek_start`), as its
    // init_endpoint sets them: the sender's, and an inactive receiver's from the ACK.
    {
        let (s, r) = (dir.index(), 1 - dir.index());
        if c.half[s].has & Half::ISN == 0 {
            let start = zeek::sender_start(
                c.zeek.state(s),
                c.zeek.prev_state(s),
                syn,
                seg.seq,
                c.half[s].zeek_start(),
            );
            if let Some(start) = start {
                c.half[s].isn = start;
            }
        }
        if ackf && c.zeek.state(r) == ZeekEndpointState::Inactive && c.half[r].has & Half::ISN == 0 {
            c.half[r].isn = seg.ack.wrapping_sub(1);
        }
    }
    let flipped = zeek::packet(&mut c.zeek, zeek, hist_before == HistShape::LoneH, orig, seg, ip_len);
    if hist_before != HistShape::Other {
        c.marks.set_hist(if flipped { HistShape::Other } else { hist });
    }
    if flipped {
        flip(c, seq_analysis.as_deref_mut());
        out.emit(c, c.key.direction_from(src), EventKind::RolesFlipped);
    }
    let dir = c.key.direction_from(src);
    c.set_last(crate::Nanos::from(seg.ts));
    c.last_dir = dir;
    if bad_checksum {
        out.emit(c, dir, EventKind::Anomaly(Anomaly::BadChecksum));
    }
    if flags.is_invalid_combination() {
        out.emit(c, dir, EventKind::Anomaly(Anomaly::InvalidFlags(flags)));
    }

    // Wireshark's sequence analysis (its anomalies are reported after the handshake events).
    // Relative sequence numbers start where Wireshark's do.
    {
        let (s, r) = (dir.index(), 1 - dir.index());
        if flags.contains(TcpFlags::SYN) {
            c.half[s].base = seg.seq;
            c.half[s].has |= Half::BASE;
        } else if c.half[s].has & Half::BASE == 0 {
            c.half[s].base = seg.seq.wrapping_sub(1);
            c.half[s].has |= Half::BASE;
        }
        if flags.contains(TcpFlags::ACK) && c.half[r].has & Half::BASE == 0 {
            c.half[r].base = seg.ack.wrapping_sub(1);
            c.half[r].has |= Half::BASE;
        }
    }
    let (analysis_flags, dup_ack_count) = match seq_analysis.as_deref_mut() {
        Some(conv) => conv.segment_flags(dir.index(), seg),
        None => (AnalysisFlags::empty(), 0),
    };

    let s = dir.index();
    let r = 1 - s;
    let seq = SeqNumber(seg.seq);
    let ack = SeqNumber(seg.ack);
    let seg_end = seq + (seg.len + u32::from(syn) + u32::from(fin));

    // Handshake segments.
    if syn && !rst {
        let opts = syn_opts.unwrap_or_default();
        if !ackf {
            let retransmission = c.half[s].isn() == Some(seq);
            if c.half[r].syn().is_some_and(|syn| !syn.has(SynSeen::ACK)) && !retransmission {
                out.emit(c, dir, EventKind::SimultaneousOpen);
                c.marks.set_simultaneous_open();
            } else {
                out.emit(
                    c,
                    dir,
                    EventKind::Syn {
                        isn: seg.seq,
                        options: opts,
                        retransmission,
                    },
                );
            }
            c.syn_ts = Some(crate::Nanos::from(seg.ts));
        } else {
            let retransmission = c.half[s].isn() == Some(seq);
            let before_syn = c.half[r].syn().is_none();
            let syn_to_synack = c.syn_ts.map(|t| crate::Nanos::from(seg.ts).since(t));
            out.emit(
                c,
                dir,
                EventKind::SynAck {
                    isn: seg.seq,
                    options: opts,
                    retransmission,
                    before_syn,
                    syn_to_synack,
                },
            );
            if !retransmission || c.synack_ts.is_none() {
                c.synack_ts = Some(crate::Nanos::from(seg.ts));
            }
        }
        let h = &mut c.half[s];
        h.isn = seq.0;
        h.syn = SynSeen::from(opts).with_flags(flags);
        h.has |= Half::ISN | Half::SYN;
        c.syn_data[s] = u16::try_from(seg.len).unwrap_or(u16::MAX);
    } else if seg.len > 0 && c.half[s].state.is_handshake() && c.established.is_none() && c.roles == Roles::FromSyn {
        out.emit(c, dir, EventKind::Anomaly(Anomaly::DataBeforeEstablished));
    }

    if !analysis_flags.is_empty() {
        out.emit(
            c,
            dir,
            EventKind::Anomaly(Anomaly::Analysis {
                flags: analysis_flags,
                dup_ack_count,
            }),
        );
    }

    // RST: accepted when in the receiver's window (RFC 5961 §3.2), or when no window is known.
    let mut rst_in_window = true;
    if rst {
        if let Some(expected) = c.half[s].next_seq() {
            let scale = if c.established.is_some() {
                window_scales(c).map_or(0, |w| w[r])
            } else {
                0
            };
            let window = (u32::from(c.half[r].window) << scale).max(1);
            let off = seq.diff(expected) as u32;
            // In window: [RCV.NXT, RCV.NXT + RCV.WND); a RST one below (after a FIN) also counts.
            rst_in_window = off < window || seq + 1 == expected;
        }
        if c.half[s].next_seq().is_none() && c.half[r].state == TcpState::SynSent {
            // A RST answering a SYN: acceptable when it acknowledges the SYN (RFC 9293 §3.10.7.3).
            rst_in_window = !ackf || c.half[r].isn().is_none_or(|isn| ack == isn + 1);
        }
        if !rst_in_window {
            out.emit(c, dir, EventKind::Anomaly(Anomaly::RstOutOfWindow));
        }
    }

    // FIN events.
    let new_fin = fin && c.half[s].fin_seq().is_none_or(|f| f != seq + seg.len);
    if new_fin && !rst {
        let first_fin = c.marks.first_fin();
        let first = first_fin.is_none() || first_fin == Some(dir) && c.half[r].fin_seq().is_none();
        if first_fin.is_none() {
            c.marks.set_first_fin(dir);
        }
        out.emit(c, dir, EventKind::Fin { first, data: seg.len });
    }
    if seg.len > 0 && c.half[r].fin_seq().is_some() {
        c.half[s].has |= Half::DATA_AFTER_PEER_FIN;
    }

    // The state machine.
    let acks_syn = ackf && c.half[r].isn().is_some_and(|isn| ack > isn);
    let acks_fin = ackf && c.half[r].fin_seq().is_some_and(|f| ack > f);
    let control = if rst {
        Control::Rst
    } else if syn && ackf {
        Control::SynAck
    } else if syn {
        Control::Syn
    } else if fin {
        Control::Fin { acks_fin }
    } else if ackf {
        Control::Ack { acks_syn, acks_fin }
    } else {
        Control::Other
    };
    let (before_s, before_r) = (c.half[s].state, c.half[r].state);
    // A connection first seen midstream is taken as established on both sides.
    if c.roles != Roles::FromSyn && c.half[s].isn().is_none() && before_s == TcpState::Closed && !syn {
        c.half[s].state = TcpState::Established;
        if c.half[r].state == TcpState::Closed {
            c.half[r].state = TcpState::Established;
        }
    }
    let (cur_s, cur_r) = (c.half[s].state, c.half[r].state);
    if !rst || rst_in_window {
        let t = step(cur_s, cur_r, control);
        c.half[s].state = t.sender;
        c.half[r].state = t.receiver;
    }
    let (after_s, after_r) = (c.half[s].state, c.half[r].state);

    // Established.
    let established_now = c.established.is_none()
        && after_s == TcpState::Established
        && after_r == TcpState::Established
        && (before_s != TcpState::Established || before_r != TcpState::Established)
        && c.half[0].syn().is_some()
        && c.half[1].syn().is_some();
    if established_now
        || (c.established.is_none()
            && matches!(control, Control::Fin { .. })
            && before_s == TcpState::SynSent
            && before_r == TcpState::SynReceived)
    {
        c.established = Some(crate::Nanos::from(seg.ts));
        let hs = handshake(c, crate::Nanos::from(seg.ts));
        out.emit(c, dir, EventKind::Established(hs));
    }

    // Teardown acknowledgments.
    if acks_fin && !rst {
        if before_r == TcpState::FinWait1 && matches!(after_r, TcpState::FinWait2 | TcpState::TimeWait) {
            out.emit(c, dir, EventKind::FinAcked);
        }
        if before_r == TcpState::LastAck && after_r == TcpState::Closed {
            out.emit(c, dir, EventKind::FinalAck);
        }
        if before_r == TcpState::Closing && after_r == TcpState::TimeWait {
            out.emit(c, dir, EventKind::FinAcked);
        }
    }

    // Data events.
    if data_events && seg.len > 0 && !rst {
        if let Some(conv) = &seq_analysis {
            debug_assert_eq!(c.half[s].base, conv.flows[s].base_seq, "the bases agree");
        }
        let base = c.half[s].isn().unwrap_or(SeqNumber(c.half[s].base));
        let mut rel = u64::from(seq.diff(base) as u32);
        if syn {
            rel += 1;
        }
        out.emit(
            c,
            dir,
            EventKind::Data {
                relative_seq: rel,
                len: seg.len,
            },
        );
    }

    // Bookkeeping.
    {
        let h = &mut c.half[s];
        if !rst && h.next_seq().is_none_or(|n| seg_end > n) {
            h.next_seq = seg_end.0;
            h.has |= Half::NEXT_SEQ;
        }
        if !rst {
            h.window = seg.window;
        }
        if fin && !rst {
            h.fin_seq = (seq + seg.len).0;
            h.has |= Half::FIN_SEQ;
        }
    }

    // Closing.
    if c.closed.is_none() {
        let cause = if rst && rst_in_window {
            if before_r == TcpState::SynSent && dir == Direction::ServerToClient && c.established.is_none() {
                Some(CloseCause::Refused)
            } else {
                Some(CloseCause::Reset {
                    by: dir,
                    state: cur_s,
                    in_window: true,
                })
            }
        } else {
            let done = |st: TcpState| matches!(st, TcpState::TimeWait | TcpState::Closed);
            if done(c.half[0].state)
                && done(c.half[1].state)
                && c.half[0].fin_seq().is_some()
                && c.half[1].fin_seq().is_some()
            {
                let both_closing = before_s == TcpState::Closing || before_r == TcpState::Closing;
                let simultaneous =
                    both_closing || (c.half[0].state == TcpState::TimeWait && c.half[1].state == TcpState::TimeWait);
                Some(if simultaneous {
                    CloseCause::Simultaneous
                } else {
                    let initiator = c.marks.first_fin().unwrap_or(dir);
                    CloseCause::Graceful {
                        initiator,
                        half_close: c.half[initiator.reverse().index()].data_after_peer_fin(),
                    }
                })
            } else {
                None
            }
        };
        if let Some(cause) = cause {
            out.emit(c, dir, EventKind::Closed(cause));
            c.closed = Some(cause);
        }
    }
}

/// The window-scale shifts in force (client's, server's): only when both SYNs carried the
/// option (RFC 7323 §2.2), clamped to 14.
fn window_scales(c: &Conn) -> Option<[u8; 2]> {
    match (c.half[0].syn()?.window_scale(), c.half[1].syn()?.window_scale()) {
        (Some(a), Some(b)) => Some([a.min(MAX_WINDOW_SCALE), b.min(MAX_WINDOW_SCALE)]),
        _ => None,
    }
}

fn handshake(c: &Conn, ack_ts: crate::Nanos) -> Handshake {
    let cs = c.half[0].syn().unwrap_or_default();
    let ss = c.half[1].syn().unwrap_or_default();
    // A Half that sent no SYN has no bits set.
    let (client, server) = (c.half[0].syn, c.half[1].syn);
    let ecn =
        client.has(SynSeen::ECE) && client.has(SynSeen::CWR) && server.has(SynSeen::ECE) && !server.has(SynSeen::CWR);
    let simultaneous = c.marks.simultaneous_open();
    Handshake {
        mss: [cs.mss(), ss.mss()],
        window_scale: window_scales(c),
        sack_permitted: cs.sack_permitted() && ss.sack_permitted(),
        timestamps: cs.timestamps() && ss.timestamps(),
        ecn,
        fast_open_data: u32::from(c.syn_data[0]),
        fast_open: cs.fast_open(),
        syn_to_synack: match (c.syn_ts, c.synack_ts) {
            (Some(a), Some(b)) => Some(b.since(a)),
            _ => None,
        },
        synack_to_ack: c.synack_ts.map(|b| ack_ts.since(b)),
        simultaneous,
    }
}
