//! The tracker's events and summaries as text, one line each.
//!
//! ```
//! use synack::capture::CaptureReader;
//! use synack::driver::{Driver, Output};
//! use synack::format::event::{event_line, summary_line};
//! use synack::track::Config;
//!
//! let mut lines = Vec::new();
//! let t0 = synack::seed::FRAMES[0].timestamp;
//! for item in Driver::new(CaptureReader::seed(), Config::default()) {
//!     let mut line = String::new();
//!     match item? {
//!         Output::Event(e) => event_line(&mut line, &e, t0),
//!         Output::Summary(s) => summary_line(&mut line, &s),
//!         _ => continue,
//!     }
//!     lines.push(line);
//! }
//! assert_eq!(lines[0], "   1 +0.000000 #0 client->server new connection 10.7.92.177:50030 -> 10.7.92.174:1005 (client sent the SYN)");
//! assert_eq!(lines[lines.len() - 1], "summary #0 10.7.92.177:50030 -> 10.7.92.174:1005: conn_state SF history ShADafF (gracefully, initiated by the server), 5 bytes client->server, 0 bytes server->client");
//! # Ok::<(), synack::capture::CaptureError>(())
//! ```

use core::fmt::{self, Write as _};
use std::string::String;
use std::vec::Vec;

use crate::Timestamp;
use crate::track::{Anomaly, ConnSummary, Event, EventKind, Handshake, Roles};
use crate::wire::SynOptions;

/// Appends a connection's summary as a line (no newline): its endpoints, Zeek's `conn_state`
/// and `history`, why it ended, and the bytes each way. [`ConnSummary::write_conn_log`] writes
/// a `conn.log` row instead.
pub fn summary_line(line: &mut String, s: &ConnSummary) {
    let _ = write!(
        line,
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

/// Appends one event as a line (no newline): frame number, time since `t0`, connection,
/// direction, and what happened in words.
pub fn event_line(line: &mut String, e: &Event, t0: Timestamp) {
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
        EventKind::Fin { first, data } => fin(line, e.direction, first, data),
        EventKind::FinAcked => write!(line, "the {} acknowledges the first FIN", e.direction.sender()),
        EventKind::FinalAck => write!(
            line,
            "the {} acknowledges the second FIN (final ACK)",
            e.direction.sender()
        ),
        EventKind::Closed(cause) => write!(line, "closed {cause}"),
        EventKind::Anomaly(a) => anomaly(line, a),
    };
}

fn fin(line: &mut String, d: crate::track::Direction, first: bool, data: u32) -> fmt::Result {
    let who = d.sender();
    if first {
        write!(line, "FIN: the {who} closes first (active close)")?;
    } else {
        write!(line, "FIN: the {who} closes too")?;
    }
    if data > 0 {
        write!(line, ", with {data} bytes")?;
    }
    Ok(())
}

fn anomaly(line: &mut String, a: Anomaly) -> fmt::Result {
    match a {
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
        Anomaly::InconsistentRetransmission => write!(line, "anomaly: retransmitted bytes differ from the first copy"),
        Anomaly::StreamOverflow => write!(line, "anomaly: stream buffer full, holes given up as gaps"),
    }
}

fn opts(line: &mut String, o: &SynOptions) -> fmt::Result {
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

fn established(line: &mut String, h: &Handshake) -> fmt::Result {
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
