//! Tracks every TCP connection of a capture and prints what happened, one line per event.
//!
//! ```text
//! cargo run --release --example connections -- [FILE] [--conn-log | --events-only] [--no-data]
//!     [--likely-server-ports zeek|P1,P2,..] [--count-bad-checksums] [--max-connections N]
//! ```
//!
//! With no FILE it runs on the seed's nine built-in frames. `--conn-log` prints Zeek
//! `conn.log` rows (tab-separated, with a header) instead of events, each as soon as its
//! connection leaves the table (without Wireshark's sequence analysis, which only adds
//! anomaly events: `Config::analyze_sequence_numbers`). `--events-only` prints the events
//! without the analysis anomalies and without the closing summaries, from a tracker that
//! keeps neither (128 bytes a connection: `Config::conn_summaries`). `--no-data` leaves out
//! the per-segment data lines.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use synack::Timestamp;
use synack::capture::CaptureReader;
use synack::track::{
    Anomaly, Config, ConnSummary, Event, EventKind, Handshake, Roles, Tracker, ZEEK_LIKELY_SERVER_PORTS,
};
use synack::wire::{LinkType, SynOptions, dissect_frame};

const USAGE: &str = "usage: connections [FILE] [--conn-log | --events-only] [--no-data] [--likely-server-ports zeek|P1,P2,..] \
[--count-bad-checksums] [--max-connections N]";

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
        config: Config {
            data_events: true,
            ..Config::default()
        },
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--conn-log" => a.conn_log = true,
            "--events-only" => a.events_only = true,
            "--no-data" => a.config.data_events = false,
            "--count-bad-checksums" => a.config.zeek.count_bad_checksums = true,
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
    let mut tracker = Tracker::new(args.config);
    let mut first: Option<Timestamp> = None;
    let mut line = String::new();
    let mut status = Ok(());
    if args.conn_log {
        writeln!(out, "{}", ConnSummary::CONN_LOG_HEADER)?;
    }
    let mut handle = |ts: Timestamp, events: &[Event], out: &mut BufWriter<_>| -> io::Result<()> {
        let t0 = *first.get_or_insert(ts);
        if args.conn_log {
            return Ok(());
        }
        for e in events {
            line.clear();
            describe(&mut line, e, t0);
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    match &args.file {
        Some(path) => {
            let mut reader = CaptureReader::open(path).map_err(io::Error::other)?;
            loop {
                match reader.next_frame() {
                    None => break,
                    Some(Ok(cf)) => {
                        let frame = cf.dissect();
                        let events = tracker.observe(cf.timestamp, &frame);
                        handle(cf.timestamp, events, &mut out)?;
                        if args.conn_log {
                            for s in tracker.drain_summaries() {
                                conn_log_row(&s, &mut out)?;
                            }
                        }
                    }
                    Some(Err(e)) => {
                        status = Err(io::Error::other(e));
                        break;
                    }
                }
            }
        }
        None => {
            for seed in synack::seed::FRAMES {
                let frame = dissect_frame(LinkType::ETHERNET, seed.bytes);
                let events = tracker.observe(seed.timestamp, &frame);
                handle(seed.timestamp, events, &mut out)?;
            }
        }
    }
    let summaries = tracker.finish();
    let mut row = String::new();
    for s in &summaries {
        row.clear();
        if args.conn_log {
            s.write_conn_log(&mut row).map_err(io::Error::other)?;
        } else {
            use std::fmt::Write as _;
            let _ = write!(
                row,
                "summary #{} {}: conn_state {} history {} ({}), {} bytes client->server, {} bytes server->client",
                s.id,
                s.key,
                s.conn_state,
                s.history,
                s.cause,
                s.orig_bytes.unwrap_or(0),
                s.resp_bytes.unwrap_or(0)
            );
        }
        writeln!(out, "{row}")?;
    }
    out.flush()?;
    status
}

fn conn_log_row(s: &ConnSummary, out: &mut impl Write) -> io::Result<()> {
    let mut row = String::new();
    s.write_conn_log(&mut row).map_err(io::Error::other)?;
    writeln!(out, "{row}")
}

fn describe(line: &mut String, e: &Event, t0: Timestamp) {
    use std::fmt::Write as _;
    let rel = e.timestamp.saturating_since(t0);
    let _ = write!(
        line,
        "{:>4} +{}.{:06} #{} {} ",
        e.frame,
        rel.as_secs(),
        rel.subsec_micros(),
        e.conn,
        e.direction
    );
    let _ = match e.kind {
        EventKind::New { roles } => write!(
            line,
            "new connection {} ({})",
            e.key,
            match roles {
                Roles::FromSyn => "client sent the SYN",
                Roles::Guessed => "no SYN seen: roles guessed from the first frame",
                Roles::GuessedFromPort => "no SYN seen: roles guessed from a likely server port",
            }
        ),
        EventKind::RolesFlipped => write!(line, "roles flipped: client is now {}", e.key.client),
        EventKind::Syn {
            isn,
            options,
            retransmission,
        } => {
            let _ = write!(
                line,
                "SYN isn={isn}{}",
                if retransmission { " (retransmission)" } else { "" }
            );
            opts(line, &options)
        }
        EventKind::SynAck {
            isn,
            options,
            retransmission,
            before_syn,
            ..
        } => {
            let _ = write!(
                line,
                "SYN-ACK isn={isn}{}{}",
                if retransmission { " (retransmission)" } else { "" },
                if before_syn { " (before any SYN)" } else { "" }
            );
            opts(line, &options)
        }
        EventKind::SimultaneousOpen => write!(line, "SYN crossed the peer's SYN: simultaneous open"),
        EventKind::Established(h) => established(line, &h),
        EventKind::Data { relative_seq, len } => write!(line, "{len} bytes at relative seq {relative_seq}"),
        EventKind::Fin { first: true, data } => write!(
            line,
            "FIN: the {} closes first (active close){}",
            e.direction.sender(),
            if data > 0 {
                format!(", with {data} bytes")
            } else {
                String::new()
            }
        ),
        EventKind::Fin { first: false, data } => write!(
            line,
            "FIN: the {} closes too{}",
            e.direction.sender(),
            if data > 0 {
                format!(", with {data} bytes")
            } else {
                String::new()
            }
        ),
        EventKind::FinAcked => write!(line, "the {} acknowledges the first FIN", e.direction.sender()),
        EventKind::FinalAck => write!(
            line,
            "the {} acknowledges the second FIN (final ACK)",
            e.direction.sender()
        ),
        EventKind::Closed(cause) => write!(line, "closed {cause}"),
        EventKind::Anomaly(a) => match a {
            Anomaly::Analysis { flags, dup_ack_count } => {
                let names: Vec<&str> = flags.iter().map(|f| f.field_name()).collect();
                let _ = write!(line, "anomaly {}", names.join(" "));
                if dup_ack_count > 0 {
                    write!(line, " (#{dup_ack_count})")
                } else {
                    Ok(())
                }
            }
            Anomaly::BadChecksum => write!(line, "anomaly: bad TCP checksum"),
            Anomaly::InvalidFlags(f) => write!(line, "anomaly: invalid flag combination {f}"),
            Anomaly::RstOutOfWindow => write!(line, "anomaly: RST outside the window, ignored (RFC 5961)"),
            Anomaly::DataBeforeEstablished => write!(line, "anomaly: data before the handshake completed"),
        },
    };
}

fn opts(line: &mut String, o: &SynOptions) -> std::fmt::Result {
    use std::fmt::Write as _;
    if let Some(m) = o.mss {
        write!(line, " mss={m}")?;
    }
    if let Some(w) = o.window_scale {
        write!(line, " wscale={w}")?;
    }
    if o.sack_permitted {
        write!(line, " sack_perm")?;
    }
    if let Some((v, _)) = o.timestamps {
        write!(line, " tsval={v}")?;
    }
    if o.fast_open {
        write!(line, " tfo")?;
    }
    Ok(())
}

fn established(line: &mut String, h: &Handshake) -> std::fmt::Result {
    use std::fmt::Write as _;
    let mss = |m: Option<u16>| m.map_or("-".to_string(), |m| m.to_string());
    write!(line, "handshake complete: MSS {}/{}", mss(h.mss[0]), mss(h.mss[1]))?;
    match h.window_scale {
        Some([c, s]) => write!(line, ", window scale {c}/{s}")?,
        None => write!(line, ", no window scaling")?,
    }
    write!(
        line,
        "{}",
        if h.sack_permitted {
            ", SACK permitted"
        } else {
            ", no SACK"
        }
    )?;
    write!(
        line,
        "{}",
        if h.timestamps {
            ", timestamps"
        } else {
            ", no timestamps"
        }
    )?;
    if h.ecn {
        write!(line, ", ECN")?;
    }
    if h.fast_open {
        write!(line, ", TFO with {} bytes", h.fast_open_data)?;
    }
    if h.simultaneous {
        write!(line, ", simultaneous open")?;
    }
    let ms = |d: Option<std::time::Duration>| d.map_or("-".to_string(), |d| format!("{:.3} ms", d.as_secs_f64() * 1e3));
    write!(
        line,
        "; RTT SYN->SYN-ACK {}, SYN-ACK->ACK {}",
        ms(h.syn_to_synack),
        ms(h.synack_to_ack)
    )
}
