//! The tracker's connection ids and Wireshark's `tcp.stream` numbers (the [`Analyzer`]'s)
//! are one numbering: both count from 0 in the order connections start, so they agree on
//! every frame until the first place where the two models disagree on where a connection
//! starts — the tracker starts a new connection on a key it had already removed (after its
//! timeout or close, as Zeek logs a new row), or one of them takes a SYN on a known key for a
//! new connection where the other does not. This test checks that mapping on every capture
//! of the test data, frame by frame up to that place.

mod common;

use std::collections::HashSet;

use synack::capture::CaptureReader;
use synack::track::{Analyzer, Config, FlowKey, Tracker};

/// Frames compared, frames where the ids were equal, and whether the capture was compared to
/// its end.
fn compare(path: &std::path::Path) -> (u64, u64, bool) {
    let Ok(mut reader) = CaptureReader::open(path) else {
        return (0, 0, true);
    };
    let mut analyzer = Analyzer::new();
    let mut tracker = Tracker::new(Config::default());
    let (mut keys, mut ids, mut streams) = (HashSet::new(), HashSet::new(), HashSet::new());
    let (mut compared, mut equal) = (0, 0);
    while let Some(Ok(cf)) = reader.next_frame() {
        let frame = cf.dissect();
        let analysis = analyzer.analyze(cf.timestamp, &frame);
        tracker.observe(cf.timestamp, &frame);
        let (Some(a), Some(key)) = (analysis, FlowKey::of(&frame)) else {
            continue;
        };
        let Some(conn) = tracker.lookup(&key) else {
            continue;
        };
        let seen_key = !keys.insert(key);
        let new_conn = ids.insert(conn.id);
        let new_stream = streams.insert(a.stream);
        if seen_key && (new_conn || new_stream) {
            // A connection started on a known key: from here on the numberings may differ.
            return (compared, equal, false);
        }
        compared += 1;
        equal += u64::from(u64::from(a.stream) == conn.id);
    }
    (compared, equal, true)
}

#[test]
fn connection_ids_are_tcp_stream_numbers_until_a_key_is_reused() {
    let mut paths = common::corpus_captures();
    paths.push(common::data_dir().join("seed/seed.pcap"));
    let (mut frames, mut whole) = (0, 0);
    for path in &paths {
        let (compared, equal, to_end) = compare(path);
        assert_eq!(equal, compared, "{}: ids differ from tcp.stream", path.display());
        frames += compared;
        whole += u64::from(to_end);
    }
    eprintln!(
        "stream ids: {frames} TCP frames compared, {whole} of {} captures to their end",
        paths.len()
    );
    assert!(frames > 5_000, "the corpus has TCP frames to compare");
}
