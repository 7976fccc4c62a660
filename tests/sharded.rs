//! `examples/sharded` in each of its four modes, on 1 to 3 threads, reads the frames and
//! finds the connections one tracker finds in the same capture, with the same conn_state
//! counts.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use synack::capture::CaptureReader;
use synack::track::{Config, Tracker};

/// The connections and conn_state counts of one tracker over the whole file, printed as the
/// example prints them.
fn one_tracker(path: &std::path::Path) -> (u64, usize, String) {
    let mut reader = CaptureReader::open(path).expect("capture opens");
    let mut tracker = Tracker::new(Config::default());
    let mut frames = 0;
    while let Some(next) = reader.next_frame() {
        frames += 1;
        let cf = next.expect("frame reads");
        let frame = cf.dissect();
        tracker.observe(cf.timestamp, &frame);
    }
    let summaries = tracker.finish();
    let mut states: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &summaries {
        *states.entry(s.conn_state.name()).or_default() += 1;
    }
    (frames, summaries.len(), format!("conn_state: {states:?}"))
}

#[test]
fn every_mode_finds_what_one_tracker_finds() {
    let dir = std::env::temp_dir().join(format!("synack-sharded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let synth = dir.join("synth.pcap");
    let made = Command::new(common::example("synth_capture"))
        .arg(&synth)
        .arg("2")
        .status()
        .expect("synth_capture runs");
    assert!(made.success());
    let corpus = common::data_dir().join("zeek");
    let files = [
        synth.clone(),
        corpus.join("ssh__ssh.pcap"),
        corpus.join("wikipedia.pcap"),
    ];
    for file in &files {
        let (frames, connections, states) = one_tracker(file);
        assert!(connections > 5, "{} has connections", file.display());
        for mode in [None, Some("--shared"), Some("--fanout"), Some("--preload")] {
            for threads in ["1", "2", "3"] {
                let mut cmd = Command::new(common::example("sharded"));
                cmd.arg(file).args(["--threads", threads]).args(mode);
                let out = cmd.output().expect("sharded runs");
                assert!(out.status.success(), "{cmd:?}");
                let text = String::from_utf8(out.stdout).unwrap();
                let what = format!("{cmd:?}:\n{text}");
                assert!(text.contains(&format!("{frames} frames")), "{what}");
                assert!(text.contains(&format!(" {connections} connections")), "{what}");
                assert!(text.lines().any(|l| l == states), "{what}\nwant {states}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The part of the example's output that does not depend on the mode or the time taken.
fn counts(text: &str) -> String {
    text.lines()
        .map(|l| l.split(" on ").next().unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `--shared` walks pcap records itself (with pcap-parser's frame parser): on every pcap file
/// of the corpus (big- and little-endian, micro- and nanosecond, truncated, with invalid
/// timestamps) it counts what the default mode, which reads through `CaptureReader`, counts.
#[test]
fn shared_reads_every_pcap_as_the_capture_reader_does() {
    let mut files = 0;
    for path in common::corpus_captures() {
        let mut magic = [0u8; 4];
        let Ok(mut f) = std::fs::File::open(&path) else {
            continue;
        };
        if std::io::Read::read_exact(&mut f, &mut magic).is_err() {
            continue;
        }
        // Legacy pcap only (pcapng starts with 0a0d0d0a).
        let pcap = [0xa1b2_c3d4u32, 0xa1b2_3c4d];
        if !pcap.contains(&u32::from_le_bytes(magic)) && !pcap.contains(&u32::from_be_bytes(magic)) {
            continue;
        }
        let run = |mode: Option<&str>| {
            let out = Command::new(common::example("sharded"))
                .arg(&path)
                .args(["--threads", "2"])
                .args(mode)
                .output()
                .expect("sharded runs");
            (out.status.success(), counts(&String::from_utf8_lossy(&out.stdout)))
        };
        assert_eq!(run(None), run(Some("--shared")), "{}", path.display());
        files += 1;
    }
    assert!(files > 400, "{files} pcap files");
}
