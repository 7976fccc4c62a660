//! What the tracker reports of a connection: its summary when it ends ([`ConnSummary`], Zeek's
//! `conn.log` columns), a look at it while it is open ([`OpenConn`]), and the tracker's counts
//! ([`Stats`]).

use core::fmt;
use core::time::Duration;

use super::addrs::V6Addrs;
use super::conn::{Conn, handshake};
use super::conn_log::{ConnState, History};
use super::event::{CloseCause, ConnId, Handshake, Roles};
use super::key::{ConnKey, Direction};
use super::state::TcpState;
use super::zeek::ZeekConn;
#[cfg(doc)]
use super::{Config, Tracker, ZeekSettings};
use crate::Timestamp;

/// One finished connection, with Zeek's `conn.log` columns.
///
/// ```
/// use synack::capture::CaptureReader;
/// use synack::driver::{Driver, Output};
/// use synack::track::{CloseCause, Config, ConnSummary, Direction};
///
/// let summaries: Vec<ConnSummary> = Driver::new(CaptureReader::seed(), Config::default())
///     .filter_map(|item| if let Ok(Output::Summary(s)) = item { Some(s) } else { None })
///     .collect();
/// let lab = &summaries[0];
/// assert_eq!((lab.conn_state.name(), lab.history.as_str(), lab.orig_bytes), ("SF", "ShADafF", Some(5)));
/// assert_eq!(lab.first_fin, Some(Direction::ServerToClient));
/// assert!(matches!(lab.cause, CloseCause::Graceful { .. }));
/// let mut row = String::new();
/// lab.write_conn_log(&mut row)?;
/// assert!(row.contains("\t10.7.92.177\t50030\t10.7.92.174\t1005\t"));
/// # Ok::<(), std::fmt::Error>(())
/// ```
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
    /// Zeek's `missed_bytes`: data acknowledged but never seen, as Zeek's reassembler finds
    /// it ([`ZeekSettings::reassemble`], on by default; 0 when off).
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
    pub(super) fn of(c: &Conn, v6: &V6Addrs) -> OpenConn {
        OpenConn {
            id: c.id(),
            key: c.public_key(v6),
            roles: c.roles,
            states: [c.half[0].state, c.half[1].state],
            handshake: c.established_at().map(|t| handshake(c, t)),
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
    /// Frames without a TCP header (not TCP over IP, later fragments, malformed), ignored.
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

pub(super) fn summary(c: &Conn, z: &ZeekConn, cause: CloseCause, v6: &V6Addrs) -> ConnSummary {
    let logs = z.logs_sizes();
    ConnSummary {
        id: c.id(),
        key: c.public_key(v6),
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
        handshake: c.established_at().map(|t| handshake(c, t)),
        first_fin: c.marks.first_fin(),
    }
}
