//! `Config::analyze_sequence_numbers` off drops Wireshark's sequence analysis and nothing
//! else: over every capture of the corpus, the events are those of a tracker with it on less
//! the `Anomaly::Analysis` ones, and the summaries (Zeek's conn.log rows) are identical.

mod common;

use std::path::PathBuf;

use synack::capture::CaptureReader;
use synack::track::{Anomaly, Config, ConnSummary, Event, EventKind, Tracker};

fn run(path: &PathBuf, analyze: bool) -> (Vec<Event>, Vec<ConnSummary>) {
    let mut tracker = Tracker::new(
        Config::default()
            .with_analyze_sequence_numbers(analyze)
            .with_data_events(true),
    );
    let mut events = Vec::new();
    let Ok(mut reader) = CaptureReader::open(path) else {
        return (events, Vec::new());
    };
    while let Some(Ok(cf)) = reader.next_frame() {
        let frame = cf.dissect();
        events.extend_from_slice(tracker.observe(cf.timestamp, &frame));
    }
    (events, tracker.finish())
}

#[test]
fn only_the_analysis_events_go() {
    let (mut files, mut analysis_events, mut events) = (0, 0, 0);
    for path in common::corpus_captures() {
        let (on, on_summaries) = run(&path, true);
        let (off, off_summaries) = run(&path, false);
        let kept: Vec<Event> = on
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::Anomaly(Anomaly::Analysis { .. })))
            .copied()
            .collect();
        analysis_events += on.len() - kept.len();
        events += off.len();
        assert_eq!(kept, off, "{}: events differ", path.display());
        assert_eq!(on_summaries, off_summaries, "{}: summaries differ", path.display());
        files += 1;
    }
    eprintln!("{files} captures, {events} events the same, {analysis_events} analysis events dropped");
    assert!(
        files > 400 && analysis_events > 100 && events > 5_000,
        "the corpus is there"
    );
}

#[test]
fn the_state_is_smaller() {
    let on = Tracker::new(Config::default());
    let off = Tracker::new(Config::default().with_analyze_sequence_numbers(false));
    assert_eq!(
        on.bytes_per_connection(),
        off.bytes_per_connection() + Tracker::SEQUENCE_ANALYSIS_SIZE
    );
    assert_eq!(
        off.bytes_per_connection(),
        Tracker::connection_size() + Tracker::SUMMARY_SIZE
    );
}
