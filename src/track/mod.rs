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
//! * A connection is keyed by its two endpoints ([`FlowKey`], the same for both directions),
//!   IPv4 or IPv6 as Zeek keys them: both addresses and both ports in a canonical order, the
//!   IPv6 flow label not part of it, and for IPv6 the final destination when a routing
//!   header has segments left ([`Frame::ip_addrs`](crate::wire::Frame::ip_addrs)). An IPv6
//!   connection costs what an IPv4 one does: its addresses are kept once each, shared by
//!   every connection that uses them ([`Tracker::IPV6_ADDRESS_SIZE`] bytes an address).
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
//!   same events, no summaries). Per connection that is 504 bytes with everything, 392
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
//! * Streams: with [`Config::reassembly`], each connection's two directions are reassembled
//!   ([`reassembly`]): the chunks (in-order payload as slices of the frame, buffered data,
//!   gaps, ends) go to the function given to [`Tracker::observe_with`] as [`StreamChunk`]s;
//!   overlaps whose bytes differ and buffers past their cap are anomaly events
//!   ([`Anomaly::InconsistentRetransmission`], [`Anomaly::StreamOverflow`]). A connection
//!   that leaves the table ends its streams (what was buffered, then the end).
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
//! sockets). [`crate::shard`] does all three for a capture file (`examples/sharded.rs`
//! measures them).
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

mod addrs;
mod admit;
pub mod analysis;
mod batch;
mod config;
mod conn;
mod conn_log;
mod event;
pub(crate) mod key;
mod observe;
mod process;
pub mod reassembly;
mod segment;
pub mod state;
mod streams;
mod summary;
pub(crate) mod table;
mod zeek;

use core::time::Duration;
use std::vec::Vec;

use addrs::V6Addrs;
use admit::Ends;
pub use analysis::{AnalysisFlags, Analyzer, Conversation, SegmentAnalysis, WindowScale};
pub use batch::BATCH;
pub use config::{Config, ZEEK_LIKELY_SERVER_PORTS};
use conn::Conn;
pub use conn_log::{ConnState, History, MAX_HISTORY};
pub use event::{Anomaly, CloseCause, ConnId, Event, EventKind, Handshake, Roles};
pub use key::{ConnKey, Direction, Endpoint, FlowKey};
pub use segment::Segment;
pub use state::{Control, TcpState, Transition, step};
pub use streams::StreamChunk;
use streams::{Owner, Streams};
use summary::summary;
pub use summary::{ConnSummary, OpenConn, Stats};
use table::Table;
use zeek::RangePool;
pub use zeek::{ZeekEndpointState, ZeekSettings, ZeekTimers};

use crate::Timestamp;
use crate::wire::{ChecksumVerdict, SynOptions};
use analysis::{Seg, SeqState};
use zeek::ZeekConn;

/// One segment's parts as the tracker reads them: from a frame or from a [`Segment`].
struct Parts<'e> {
    ends: Ends<'e>,
    seg: Seg,
    /// The payload as captured, and the urgent pointer (for the streams).
    payload: &'e [u8],
    urgent_ptr: u16,
    syn_opts: Option<SynOptions>,
    ip_len: u64,
    tcp_checksum: Option<ChecksumVerdict>,
    ip_checksum: Option<ChecksumVerdict>,
    /// The capture holds the whole payload.
    whole: bool,
}

/// The passive TCP connection tracker. See the [module docs](self).
#[derive(Debug)]
pub struct Tracker {
    config: Config,
    likely_ports: Vec<u64>,
    /// The connections.
    table: Table,
    /// Each slot's sequence analysis, when [`Config::analyze_sequence_numbers`] is on (kept
    /// apart so that the connections are smaller when it is off).
    seqs: Vec<SeqState>,
    /// Each slot's Zeek accounting, when [`Config::conn_summaries`] is on.
    zeeks: Vec<ZeekConn>,
    /// The sequence ranges Zeek's reassemblers hold (out-of-order data only).
    zeek_ranges: RangePool,
    events: Vec<Event>,
    finished: std::collections::VecDeque<ConnSummary>,
    next_id: ConnId,
    stats: Stats,
    clock: Timestamp,
    last_sweep: Timestamp,
    /// Set while [`Tracker::end`] closes the table: every summary is kept.
    ending: bool,
    /// The phases' timeouts in nanoseconds, for the check on every packet.
    timeout_nanos: [i64; 3],
    /// The IPv6 addresses the connections in the table use.
    v6: V6Addrs,
    /// Each slot's two streams, when [`Config::reassembly`] is on.
    streams: Option<Streams>,
}

/// A function for the stream chunks of a call that has none to give them to.
fn discard(_: StreamChunk<'_>) {}

impl Tracker {
    /// Returns a tracker.
    pub fn new(config: Config) -> Self {
        let mut likely_ports = vec![0u64; 1024];
        for &p in &config.likely_server_ports {
            likely_ports[usize::from(p) / 64] |= 1 << (p % 64);
        }
        Tracker {
            likely_ports,
            table: Table::new(),
            seqs: Vec::new(),
            zeeks: Vec::new(),
            zeek_ranges: RangePool::default(),
            events: Vec::with_capacity(16),
            finished: std::collections::VecDeque::new(),
            next_id: 0,
            v6: V6Addrs::default(),
            stats: Stats::default(),
            clock: Timestamp::default(),
            last_sweep: Timestamp::default(),
            ending: false,
            timeout_nanos: Self::timeouts_of(&config).map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
            streams: config.reassembly.map(Streams::new),
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

    /// The bytes each distinct IPv6 address costs while connections in the table use it
    /// (an IPv6 connection is [`Tracker::connection_size`] like an IPv4 one; its two
    /// addresses are kept once each, shared with the other connections that use them).
    pub const IPV6_ADDRESS_SIZE: usize = V6Addrs::BYTES_PER_ADDRESS;

    /// Returns how many distinct IPv6 addresses the connections in the table use.
    pub fn ipv6_addresses(&self) -> usize {
        self.v6.len()
    }

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
        let streams = if self.streams.is_some() { Self::STREAMS_SIZE } else { 0 };
        Self::connection_size() + seq + zeek + streams
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
        self.table.len() == 0
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
        let i = self.table.find(self.packed_flow(flow)?)?;
        Some(OpenConn::of(self.table.get(i), &self.v6))
    }

    /// Returns every connection in the table, in no particular order.
    pub fn connections(&self) -> impl Iterator<Item = OpenConn> + '_ {
        self.table.slots().map(|i| OpenConn::of(self.table.get(i), &self.v6))
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
        match self.packed_flow(key) {
            Some(flow) => self.table.hash(flow),
            None => self.table.hash(key),
        }
    }

    fn remove(&mut self, i: u32, cause: Option<CloseCause>, at: Timestamp) {
        // Read the connection where it lies (moving it out would copy ~600 bytes), then free.
        let c = self.table.get(i);
        let cause = match (c.closed, cause) {
            (Some(done), _) => done,
            (None, Some(cause)) => {
                self.events.push(Event {
                    conn: c.id(),
                    key: c.public_key(&self.v6),
                    timestamp: at,
                    direction: c.marks.last_dir(),
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
        if let Some(z) = self.zeeks.get_mut(i as usize) {
            z.release(&mut self.zeek_ranges);
            let z = &*z;
            if self.config.summary_backlog > 0 {
                if self.finished.len() >= self.config.summary_backlog && !self.ending {
                    self.finished.pop_front();
                    self.stats.summaries_dropped += 1;
                }
                self.finished.push_back(summary(c, z, cause, &self.v6));
            } else {
                self.stats.summaries_dropped += 1;
            }
        }
        let c = self.table.get(i);
        if let Some(streams) = &mut self.streams {
            streams.close(
                i,
                Owner {
                    conn: c.id(),
                    key: c.public_key(&self.v6),
                },
            );
        }
        if c.is_v6() {
            let (a, b) = c.key.ends(true);
            self.v6.release(a.addr_bits());
            self.v6.release(b.addr_bits());
        }
        self.table.remove(i);
    }

    /// Expires connections idle past their phase's timeout at packet time `now`, and returns
    /// the events (a [`CloseCause::TimedOut`] for each that had not closed). A live capture
    /// calls it when no packet came for a while; [`Tracker::observe`] does it as packets come.
    ///
    /// ```
    /// use std::time::Duration;
    /// use synack::track::{CloseCause, Config, EventKind, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// let syn = &synack::seed::FRAMES[0];
    /// tracker.observe(syn.timestamp, &parse_frame(syn.bytes)?);
    /// // No answer: past the embryonic timeout (30 s), the attempt times out.
    /// let events = tracker.advance(syn.timestamp + Duration::from_secs(31));
    /// assert!(matches!(events[0].kind, EventKind::Closed(CloseCause::TimedOut { .. })));
    /// assert!(tracker.is_empty());
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn advance(&mut self, now: Timestamp) -> &[Event] {
        self.advance_with(now, &mut discard)
    }

    /// [`Tracker::advance`], the stream chunks of the connections it closes
    /// ([`Config::reassembly`]) given to `sink`.
    pub fn advance_with(&mut self, now: Timestamp, sink: &mut dyn FnMut(StreamChunk<'_>)) -> &[Event] {
        self.events.clear();
        self.expire(now);
        self.hand_held(sink);
        &self.events
    }

    /// The idle timeout of each phase.
    fn timeouts(&self) -> [Duration; 3] {
        Self::timeouts_of(&self.config)
    }

    /// The phases' timeouts: Zeek's timers while the summaries are kept (the table never
    /// lets a connection go before Zeek would; see `ZeekTimers::phase`), else the
    /// configuration's.
    fn timeouts_of(config: &Config) -> [Duration; 3] {
        if let (true, Some(timers)) = (config.conn_summaries, config.zeek.timers) {
            timers.phase_timeouts()
        } else {
            [
                config.embryonic_timeout,
                config.established_timeout,
                config.closing_timeout,
            ]
        }
    }

    /// When Zeek's timers removed connection `i` by `now` (`Some(None)`: not yet), if they
    /// govern it (the summaries kept, [`ZeekSettings::timers`] on; else `None`).
    #[inline]
    fn zeek_removal(&self, i: u32, now: Timestamp) -> Option<Option<crate::Nanos>> {
        let (z, timers) = (self.zeeks.get(i as usize)?, self.config.zeek.timers?);
        let c = self.table.get(i);
        Some(timers.removal(&c.zeek, z, c.last, crate::Nanos::from(now)))
    }

    /// The phase a connection's list is: by Zeek's timers when the summaries are kept.
    #[inline]
    fn phase_of(&self, i: u32) -> conn::Phase {
        let c = self.table.get(i);
        match (self.zeeks.get(i as usize), self.config.zeek.timers) {
            (Some(z), Some(_)) => zeek::ZeekTimers::phase(&c.zeek, z),
            _ => conn::phase_of(c),
        }
    }

    fn expire(&mut self, now: Timestamp) {
        if now > self.clock {
            self.clock = now;
        }
        for (phase, timeout) in self.timeouts().into_iter().enumerate() {
            while let Some(head) = self.table.head(phase) {
                let c = self.table.get(head);
                // The list is ordered by `linked`, and `last >= linked`: once the head was
                // linked within the timeout, nothing behind it can have expired.
                if c.linked_within(crate::Nanos::from(now), timeout) {
                    break;
                }
                if crate::Nanos::from(now).since(c.last) <= timeout {
                    // Active since it was linked: move it back and look at the next head.
                    self.table.second_chance(head);
                    continue;
                }
                match self.zeek_removal(head, now).flatten() {
                    Some(at) => self.time_out_at(head, at.timestamp()),
                    None => self.time_out(head, timeout),
                }
            }
        }
    }

    /// Removes connection `i`, idle past `timeout`, as timed out at its last packet plus
    /// the timeout.
    fn time_out(&mut self, i: u32, timeout: Duration) {
        let at = self.table.get(i).last.timestamp() + timeout;
        self.time_out_at(i, at);
    }

    /// Removes connection `i` as timed out at `at`.
    fn time_out_at(&mut self, i: u32, at: Timestamp) {
        let c = self.table.get(i);
        let cause = CloseCause::TimedOut {
            client: c.half[0].state,
            server: c.half[1].state,
        };
        if c.closed.is_none() {
            self.stats.timed_out += 1;
        }
        self.remove(i, Some(cause), at);
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
        self.end_with(&mut discard)
    }

    /// [`Tracker::end`], the last chunks of every open connection's streams
    /// ([`Config::reassembly`]: what was buffered, the holes as gaps, then the end) given to
    /// `sink`.
    pub fn end_with(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) -> &[Event] {
        self.events.clear();
        let mut live: Vec<u32> = self.table.slots().collect();
        live.sort_by_key(|&i| self.table.get(i).id());
        self.ending = true;
        for i in live {
            let c = self.table.get(i);
            let cause = CloseCause::EndOfCapture {
                client: c.half[0].state,
                server: c.half[1].state,
            };
            self.remove(i, Some(cause), self.clock);
        }
        self.ending = false;
        self.hand_held(sink);
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
}
