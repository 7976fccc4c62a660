//! Tracks every TCP connection of a capture and prints what happened, one line per event.
//!
//! ```text
//! cargo run --release --example connections -- [FILE] [--conn-log | --events-only] [--no-data]
//!     [--likely-server-ports zeek|P1,P2,..] [--count-bad-checksums] [--max-connections N]
//! ```
//!
//! With no FILE it runs on the seed's nine built-in frames (the lab's capture). `--conn-log` prints Zeek
//! `conn.log` rows (tab-separated, with a header) instead of events, each as soon as its
//! connection leaves the table (without Wireshark's sequence analysis, which only adds
//! anomaly events: `Config::analyze_sequence_numbers`). `--events-only` prints the events
//! without the analysis anomalies and without the closing summaries, from a tracker that
//! keeps neither (128 bytes a connection: `Config::conn_summaries`). `--no-data` leaves out
//! the per-segment data lines. `--streams` reassembles every connection's two streams too
//! (`Config::reassembly`) and says at the end how many bytes they delivered and gave up.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use synack::capture::CaptureReader;
use synack::driver::{Driver, Output};
use synack::format::event::{event_line, summary_line};
use synack::track::reassembly::{Chunk, ReassemblyConfig};
use synack::track::{Config, ConnSummary, ZEEK_LIKELY_SERVER_PORTS};

const USAGE: &str = "usage: connections [FILE] [--conn-log | --events-only] [--no-data] [--likely-server-ports zeek|P1,P2,..] \
[--count-bad-checksums] [--max-connections N] [--streams]";

struct Args {
    file: Option<String>,
    conn_log: bool,
    events_only: bool,
    config: Config,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        file: None,
        conn_log: false,
        events_only: false,
        config: Config::default().with_data_events(true),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--conn-log" => a.conn_log = true,
            "--events-only" => a.events_only = true,
            "--no-data" => a.config.data_events = false,
            "--count-bad-checksums" => a.config.zeek.count_bad_checksums = true,
            "--streams" => a.config.reassembly = Some(ReassemblyConfig::default()),
            "--likely-server-ports" => {
                let v = it.next().ok_or(USAGE)?;
                a.config.likely_server_ports = if v == "zeek" {
                    ZEEK_LIKELY_SERVER_PORTS.to_vec()
                } else {
                    v.split(',')
                        .map(|p| p.parse().map_err(|_| format!("bad port {p}")))
                        .collect::<Result<_, _>>()?
                };
            }
            "--max-connections" => {
                let v = it.next().ok_or(USAGE)?;
                a.config.max_connections = v.parse().map_err(|_| format!("bad number {v}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ => a.file = Some(arg),
        }
    }
    if a.conn_log && a.events_only {
        return Err(format!("--conn-log needs the summaries --events-only drops\n{USAGE}"));
    }
    // conn.log rows do not need Wireshark's sequence analysis (it only adds anomaly events).
    a.config.analyze_sequence_numbers = !a.conn_log && !a.events_only;
    a.config.conn_summaries = !a.events_only;
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("connections: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let reader = match &args.file {
        Some(path) => CaptureReader::open(path).map_err(io::Error::other)?,
        None => CaptureReader::seed(),
    };
    if args.conn_log {
        writeln!(out, "{}", ConnSummary::CONN_LOG_HEADER)?;
    }
    let (mut t0, mut line, mut status) = (None, String::new(), Ok(()));
    let streams = args.config.reassembly.is_some();
    let mut driver = Driver::new(reader, args.config);
    let (mut bytes, mut missing) = (0u64, 0u64);
    let mut tally = |c: synack::track::StreamChunk<'_>| match c.chunk {
        Chunk::Data { bytes: b, .. } => bytes += b.len() as u64,
        Chunk::Gap { len, .. } => missing += len,
        _ => {}
    };
    while let Some(item) = driver.next_with(&mut tally) {
        line.clear();
        match item {
            Ok(Output::Event(e)) if !args.conn_log => event_line(&mut line, &e, *t0.get_or_insert(e.timestamp)),
            Ok(Output::Summary(s)) if args.conn_log => s.write_conn_log(&mut line).map_err(io::Error::other)?,
            Ok(Output::Summary(s)) => summary_line(&mut line, &s),
            Ok(_) => continue,
            // A damaged capture: say so at the end, after everything it held.
            Err(e) => {
                status = Err(io::Error::other(e));
                continue;
            }
        }
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    if streams {
        eprintln!("streams: {bytes} bytes delivered, {missing} given up as gaps");
    }
    status
}
