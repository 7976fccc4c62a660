//! Zeek's timers (`src/track/zeek/timers.rs`) on the seed's lab exchange, its frames
//! rewritten with idle gaps before them: each rule's outcome as the rule in Zeek's source
//! gives it, on both sides of its threshold.

mod common;

use std::time::Duration;

use synack::capture::{CaptureReader, write};
use synack::driver::{Driver, Output};
use synack::track::{Config, ConnState, ConnSummary};
use synack::wire::LinkType;
use synack::{Timestamp, seed};

/// The seed's frames (1-based numbers) in this order, each `shift` later than in the seed.
fn rewritten(name: &str, frames: &[(usize, Duration)]) -> std::path::PathBuf {
    let file = common::data_dir().join("seed/seed.pcap");
    let mut reader = CaptureReader::open(&file).expect("the seed capture");
    let mut seed = Vec::new();
    while let Some(Ok(f)) = reader.next_frame() {
        seed.push((f.timestamp, f.data.to_vec(), f.orig_len));
    }
    assert_eq!(seed.len(), seed::FRAMES.len());
    let mut out = Vec::new();
    write::header(&mut out, LinkType::ETHERNET, 262_144).unwrap();
    for &(n, shift) in frames {
        let (ts, data, orig) = &seed[n - 1];
        write::record(&mut out, *ts + shift, data, *orig).unwrap();
    }
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("zeek-timers-{name}.pcap"));
    std::fs::write(&path, out).unwrap();
    path
}

/// The conn.log rows of a capture, by start time, with Zeek's default timers.
fn rows(file: &std::path::Path) -> Vec<ConnSummary> {
    let mut rows: Vec<ConnSummary> = Driver::open(file, Config::default())
        .unwrap()
        .filter_map(|o| match o.unwrap() {
            Output::Summary(s) => Some(s),
            _ => None,
        })
        .collect();
    rows.sort_by_key(|s| s.start);
    rows
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn all_frames(gap_before: usize, gap: Duration) -> Vec<(usize, Duration)> {
    (1..=9)
        .map(|n| (n, if n >= gap_before { gap } else { Duration::ZERO }))
        .collect()
}

fn seed_ts(n: usize) -> Timestamp {
    seed::FRAMES[n - 1].timestamp
}

/// `Session::InactivityTimer`: removed once `last_time + tcp_inactivity_timeout <= t`
/// (5 min); the data 300 s after the handshake's last packet starts a new row.
#[test]
fn inactivity_timeout_splits_the_row() {
    // Frame 3 is the handshake's last; frame 4 comes 3.43 s after it in the seed.
    let idle = seed_ts(4).saturating_since(seed_ts(3));
    let at = |extra: Duration| secs(300) - idle + extra;
    let two = rows(&rewritten("inactivity-300", &all_frames(4, at(Duration::ZERO))));
    assert_eq!(two.len(), 2, "{two:#?}");
    assert_eq!((two[0].conn_state, two[0].history.as_str()), (ConnState::S1, "ShA"));
    assert_eq!(two[1].start, seed_ts(4) + at(Duration::ZERO));
    assert!(!two[1].history.as_str().contains(['S', 'h']), "{}", two[1].history);
    let one = rows(&rewritten(
        "inactivity-299",
        &all_frames(4, at(Duration::ZERO) - Duration::from_millis(1)),
    ));
    assert_eq!(one.len(), 1, "{one:#?}");
    assert_eq!(one[0].conn_state, ConnState::SF);
}

/// `TCPSessionAdapter::AttemptTimer`: 5 s (`tcp_attempt_delay`) after the originator's first
/// SYN, an unanswered attempt is removed; a SYN after it starts a new row.
#[test]
fn attempt_timer_ends_an_unanswered_syn() {
    let two = rows(&rewritten("attempt-6", &[(1, Duration::ZERO), (1, secs(6))]));
    assert_eq!(two.len(), 2, "{two:#?}");
    for r in &two {
        assert_eq!((r.conn_state, r.history.as_str(), r.orig_pkts), (ConnState::S0, "S", 1));
    }
    let one = rows(&rewritten("attempt-4", &[(1, Duration::ZERO), (1, secs(4))]));
    assert_eq!(one.len(), 1, "{one:#?}");
    assert_eq!((one[0].conn_state, one[0].orig_pkts), (ConnState::S0, 2));
    // Answered, the attempt timer does nothing: the SYN-ACK 6 s later is the same row.
    let answered = rows(&rewritten(
        "attempt-answered",
        &[(1, Duration::ZERO), (2, secs(4)), (3, secs(10))],
    ));
    assert_eq!(answered.len(), 1, "{answered:#?}");
    assert_eq!(answered[0].history.as_str(), "ShA");
}

/// `ConnectionClosed` with the close complete (frame 8, the second FIN) sets
/// `ConnDeleteTimer` 5 s (`tcp_close_delay`) later and cancels the rest: a packet after it
/// starts a new row, whatever came between; one before it is the same row.
#[test]
fn close_delay_ends_a_closed_connection() {
    let mut late: Vec<(usize, Duration)> = all_frames(10, Duration::ZERO);
    let after_close = seed_ts(8).saturating_since(seed_ts(7));
    late.push((7, after_close + Duration::from_millis(5001)));
    let two = rows(&rewritten("close-5", &late));
    assert_eq!(two.len(), 2, "{two:#?}");
    assert_eq!(two[0].conn_state, ConnState::SF);
    assert_eq!(two[1].orig_pkts + two[1].resp_pkts, 1);
    late.pop();
    late.push((7, after_close + secs(4)));
    let one = rows(&rewritten("close-4", &late));
    assert_eq!(one.len(), 1, "{one:#?}");
    assert_eq!(one[0].conn_state, ConnState::SF);
}

/// After the first FIN only (frame 6, the server's: its peer still open) no delete timer is
/// set; the connection lives on until inactivity: the client's FIN 60 s later is the same row.
#[test]
fn a_half_close_waits_for_the_other_side() {
    let frames = all_frames(7, secs(60));
    let one = rows(&rewritten("half-close", &frames));
    assert_eq!(one.len(), 1, "{one:#?}");
    assert_eq!(one[0].conn_state, ConnState::SF);
}

/// With `ZeekSettings::timers` off, the phase timeouts decide (the closing phase's 5 s idle
/// ends the half-closed connection above).
#[test]
fn without_zeek_timers_the_phase_timeouts_decide() {
    let file = rewritten("half-close-phases", &all_frames(7, secs(60)));
    let n = Driver::open(&file, Config::default().with_zeek_timers(None))
        .unwrap()
        .filter(|o| matches!(o, Ok(Output::Summary(_))))
        .count();
    assert_eq!(n, 2);
}
