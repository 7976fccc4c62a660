//! `synack::shard::track` in each of its modes, on 1 to 3 threads, reads every frame and finds
//! the connections one tracker finds in the same capture, with the same conn_state counts and
//! events; on every pcap file of the corpus the chunk reader (which walks pcap records itself,
//! in the shared and fanout modes) agrees with the copying reader (the capture reader), damage
//! included; and a panic in one shard's function reaches the caller without a hang.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use synack::driver::{Driver, Output};
use synack::shard::{Mode, track};
use synack::track::Config;

/// Frames, connections, events and conn_state counts.
type Counts = (u64, u64, u64, BTreeMap<String, u64>);

fn count(c: &mut Counts, item: Output) {
    match item {
        Output::Event(_) => c.2 += 1,
        Output::Summary(s) => *c.3.entry(s.conn_state.to_string()).or_default() += 1,
        _ => {}
    }
}

/// What one tracker finds over the whole file (`None` when the capture is damaged).
fn one_tracker(path: &Path) -> Option<Counts> {
    let mut driver = Driver::open(path, Config::default()).ok()?;
    let mut c = Counts::default();
    for item in &mut driver {
        count(&mut c, item.ok()?);
    }
    let stats = driver.tracker().stats();
    (c.0, c.1) = (stats.frames, stats.connections);
    Some(c)
}

fn sharded(path: &Path, threads: usize, mode: Mode) -> Option<Counts> {
    let shards = track(path, &Config::default(), threads, mode, Counts::default, count).ok()?;
    let mut all = Counts::default();
    for s in shards {
        all.0 += s.stats.frames;
        all.1 += s.stats.connections;
        all.2 += s.state.2;
        for (k, v) in s.state.3 {
            *all.3.entry(k).or_default() += v;
        }
    }
    Some(all)
}

const MODES: [Mode; 4] = [Mode::Shared, Mode::Copied, Mode::Fanout, Mode::Preloaded];

/// A fresh directory named after `name` (removed when dropped), and in it a synthetic capture
/// of `megabytes` MiB written by the `synth_capture` example.
fn synthetic(name: &str, megabytes: u32) -> (common::TempDir, PathBuf) {
    let dir = common::TempDir::new(name);
    let synth = dir.path().join("synth.pcap");
    let made = Command::new(common::example("synth_capture"))
        .arg(&synth)
        .arg(megabytes.to_string())
        .status()
        .expect("synth_capture runs");
    assert!(made.success());
    (dir, synth)
}

#[test]
fn every_mode_finds_what_one_tracker_finds() {
    let (dir, synth) = synthetic("synack-sharded", 2);
    let corpus = common::data_dir().join("zeek");
    // Larger than a chunk of the shared reader, a pcapng file (read by copying in every mode
    // but fanout), and traces with many states.
    let files = [
        synth.clone(),
        corpus.join("irc-dcc-send.pcapng"),
        corpus.join("ssh__ssh.pcap"),
        corpus.join("wikipedia.pcap"),
    ];
    for file in &files {
        let want = one_tracker(file).expect("an undamaged capture");
        assert!(want.1 >= 3, "{} has connections", file.display());
        for mode in MODES {
            for threads in 1..=3 {
                let got = sharded(file, threads, mode);
                assert_eq!(got.as_ref(), Some(&want), "{} {mode:?} on {threads}", file.display());
            }
        }
    }
    drop(dir);
}

/// On every pcap file of the corpus (big- and little-endian, micro- and nanosecond,
/// truncated, with invalid timestamps), the chunk reader (shared, and each shard's own in
/// fanout) gives the shards what the capture reader gives them, and fails where it fails.
/// (Against one tracker, a capture whose time jumps back and forth can differ: idle timeouts
/// in a shard follow its own frames' times; `kday3.pcap`, a fuzzed trace, jumps 24 days ahead
/// and back.)
#[test]
fn chunks_read_every_pcap_as_the_capture_reader_does() {
    let mut files = 0;
    for path in common::corpus_captures() {
        if path.extension().is_some_and(|e| e == "pcapng") {
            continue;
        }
        let copied = sharded(&path, 2, Mode::Copied);
        assert_eq!(sharded(&path, 2, Mode::Shared), copied, "{}", path.display());
        assert_eq!(sharded(&path, 2, Mode::Fanout), copied, "{}", path.display());
        files += usize::from(copied.is_some());
    }
    assert!(files > 400, "{files} readable pcap files");
}

/// A panic in one shard's function reaches the caller as that panic, in every mode, and the
/// other shards neither wait for that shard nor hold back the reading (the shared mode's
/// shards take turns at it).
#[test]
fn a_panicking_shard_reaches_the_caller_and_stops_nothing() {
    // 32 chunks: more than the shared mode reads ahead.
    let (dir, synth) = synthetic("synack-sharded-panic", 8);
    for mode in MODES {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = synth.clone();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                // One shard panics at its hundredth event, early in the file; the other goes
                // on to the end.
                let once = std::sync::atomic::AtomicBool::new(false);
                let each = |seen: &mut u32, item: Output| {
                    if matches!(item, Output::Event(_)) {
                        *seen += 1;
                        let first = *seen == 100 && !once.swap(true, std::sync::atomic::Ordering::Relaxed);
                        assert!(!first, "the shard's function panics");
                    }
                };
                track(&path, &Config::default(), 2, mode, || 0u32, each)
            });
            let _ = tx.send(outcome.is_err());
        });
        let panicked = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("{mode:?}: the shards hang"));
        assert!(panicked, "{mode:?}: the panic reaches the caller");
    }
    drop(dir);
}
