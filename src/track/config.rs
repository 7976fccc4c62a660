//! The tracker's settings.

use core::time::Duration;
use std::vec::Vec;

use super::ZeekSettings;
use super::reassembly::ReassemblyConfig;
#[cfg(doc)]
use super::{Anomaly, ConnSummary, EventKind, Stats, Tracker};

/// The ports Zeek's analyzers register as likely server ports when all base scripts are
/// loaded (`likely_server_ports` in a default `zeek` run). A bare run (`zeek -b`) has only
/// those of the loaded protocol scripts.
pub const ZEEK_LIKELY_SERVER_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 80, 81, 88, 110, 135, 139, 143, 389, 443, 445, 502, 563, 585, 587, 614, 631, 636, 989, 990,
    992, 993, 995, 1080, 1723, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669,
    8000, 8080, 8888, 20000,
];

/// The tracker's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The most connections kept at once; when full, the least recently active is evicted.
    pub max_connections: usize,
    /// Idle time after which a connection whose handshake has not completed expires. This
    /// and the two below apply without the summaries (or with [`ZeekSettings::timers`]
    /// off); with them, Zeek's timers end the connections, as Zeek does.
    pub embryonic_timeout: Duration,
    /// Idle time after which an established connection expires.
    pub established_timeout: Duration,
    /// Idle time after which a closing or closed connection (FIN or RST seen) is removed:
    /// TIME-WAIT as the observer keeps it, and Zeek's `tcp_close_delay`.
    pub closing_timeout: Duration,
    /// The most summaries kept until [`Tracker::drain_summaries`] or [`Tracker::finish`]
    /// takes them; beyond it the oldest are dropped (and counted in [`Stats`]).
    pub summary_backlog: usize,
    /// Emit an [`EventKind::Data`] for every segment with payload.
    pub data_events: bool,
    /// Verify TCP checksums and report bad ones ([`Anomaly::BadChecksum`]).
    pub verify_checksums: bool,
    /// Run Wireshark's sequence analysis on every segment and report what it finds
    /// ([`Anomaly::Analysis`]: retransmissions, duplicate ACKs, zero windows, ...), as
    /// Wireshark's `tcp.analyze_sequence_numbers` preference does. On by default. Off, each
    /// connection keeps [`Tracker::SEQUENCE_ANALYSIS_SIZE`] bytes less and a packet costs
    /// about a sixth less; the handshake, teardown and Zeek's summaries are the same.
    pub analyze_sequence_numbers: bool,
    /// Keep Zeek's `conn.log` accounting (its endpoint states, history, packet and byte
    /// counts) for every connection, and a [`ConnSummary`] for each that ends. On by default.
    /// Off, the tracker reports events only ([`Tracker::finish`] and
    /// [`Tracker::drain_summaries`] return nothing) and each connection keeps
    /// [`Tracker::SUMMARY_SIZE`] bytes less: the roles, port reuse and closing phase are then
    /// decided from the RFC 9293 model's own state, by rules that reproduce Zeek's (the
    /// events are the same on every capture of the corpus, `tests/summaries_off.rs`, when
    /// both end idle connections by the phase timeouts: Zeek's timers,
    /// [`ZeekSettings::timers`], need the times kept with the summaries).
    pub conn_summaries: bool,
    /// Zeek settings for the summaries.
    pub zeek: ZeekSettings,
    /// Reassemble each connection's two streams with these settings, the chunks handed to
    /// the function given to [`Tracker::observe_with`] (and the other `_with` methods; the
    /// driver's [`next_with`](crate::driver::Driver::next_with)). Off (`None`) by default.
    /// Each connection then keeps two [`Reassembler`](super::reassembly::Reassembler)s
    /// (their out-of-order buffers within [`ReassemblyConfig::max_buffered`] each and
    /// [`ReassemblyConfig::max_total`] across connections).
    pub reassembly: Option<ReassemblyConfig>,
    /// Source ports that make Zeek take a midstream connection's first sender for the
    /// responder (Zeek's `likely_server_ports`); empty as in `zeek -b` with only the conn
    /// scripts. [`ZEEK_LIKELY_SERVER_PORTS`] is a default run's set.
    pub likely_server_ports: Vec<u16>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_connections: 1 << 20,
            embryonic_timeout: Duration::from_secs(30),
            established_timeout: Duration::from_secs(300),
            closing_timeout: Duration::from_secs(5),
            summary_backlog: 1 << 16,
            data_events: false,
            verify_checksums: true,
            analyze_sequence_numbers: true,
            conn_summaries: true,
            zeek: ZeekSettings::default(),
            reassembly: None,
            likely_server_ports: Vec::new(),
        }
    }
}

/// Chained setters, for a configuration in one expression (the fields are public too).
///
/// ```
/// use std::time::Duration;
/// use synack::track::{Config, Tracker};
///
/// let tracker = Tracker::new(Config::default().with_max_connections(1000).with_established_timeout(Duration::from_secs(60)));
/// assert_eq!(tracker.config().max_connections, 1000);
/// assert_eq!(Tracker::new(Config::events_only()).bytes_per_connection(), 128);
/// ```
impl Config {
    /// Returns the configuration of a sensor that wants the events only: no summaries, no
    /// sequence analysis (128 bytes a connection; every event but [`Anomaly::Analysis`]).
    ///
    /// [`Anomaly::Analysis`]: super::Anomaly::Analysis
    pub fn events_only() -> Self {
        Config::default()
            .with_conn_summaries(false)
            .with_analyze_sequence_numbers(false)
    }

    /// Sets [`Config::max_connections`].
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Sets [`Config::embryonic_timeout`].
    pub fn with_embryonic_timeout(mut self, d: Duration) -> Self {
        self.embryonic_timeout = d;
        self
    }

    /// Sets [`Config::established_timeout`].
    pub fn with_established_timeout(mut self, d: Duration) -> Self {
        self.established_timeout = d;
        self
    }

    /// Sets [`Config::closing_timeout`].
    pub fn with_closing_timeout(mut self, d: Duration) -> Self {
        self.closing_timeout = d;
        self
    }

    /// Sets [`Config::summary_backlog`].
    pub fn with_summary_backlog(mut self, n: usize) -> Self {
        self.summary_backlog = n;
        self
    }

    /// Sets [`Config::data_events`].
    pub fn with_data_events(mut self, on: bool) -> Self {
        self.data_events = on;
        self
    }

    /// Sets [`Config::verify_checksums`].
    pub fn with_verify_checksums(mut self, on: bool) -> Self {
        self.verify_checksums = on;
        self
    }

    /// Sets [`Config::analyze_sequence_numbers`].
    pub fn with_analyze_sequence_numbers(mut self, on: bool) -> Self {
        self.analyze_sequence_numbers = on;
        self
    }

    /// Sets [`Config::conn_summaries`].
    pub fn with_conn_summaries(mut self, on: bool) -> Self {
        self.conn_summaries = on;
        self
    }

    /// Sets [`ZeekSettings::count_bad_checksums`].
    pub fn with_count_bad_checksums(mut self, on: bool) -> Self {
        self.zeek.count_bad_checksums = on;
        self
    }

    /// Sets [`ZeekSettings::reassemble`].
    pub fn with_zeek_reassembly(mut self, on: bool) -> Self {
        self.zeek.reassemble = on;
        self
    }

    /// Sets [`ZeekSettings::timers`].
    pub fn with_zeek_timers(mut self, timers: Option<super::ZeekTimers>) -> Self {
        self.zeek.timers = timers;
        self
    }

    /// Sets [`ZeekSettings::report_gaps_for_partial`].
    pub fn with_report_gaps_for_partial(mut self, on: bool) -> Self {
        self.zeek.report_gaps_for_partial = on;
        self
    }

    /// Sets [`Config::reassembly`]: reassemble the streams with `settings`.
    pub fn with_reassembly(mut self, settings: ReassemblyConfig) -> Self {
        self.reassembly = Some(settings);
        self
    }

    /// Sets [`Config::likely_server_ports`].
    pub fn with_likely_server_ports(mut self, ports: impl Into<Vec<u16>>) -> Self {
        self.likely_server_ports = ports.into();
        self
    }
}
