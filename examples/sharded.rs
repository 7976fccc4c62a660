//! Tracks a capture's connections on N threads, one tracker per shard ([`synack::shard`]),
//! and prints the frames, connections and conn_state counts, and the throughput.
//!
//! ```text
//! cargo run --release --example sharded -- FILE [--threads N] [--shared | --copied | --fanout | --preload]
//! ```
//!
//! * `--shared` (the default; pcap files): one reader shares each chunk it reads with every
//!   shard, with the places of its frames: frames are never copied;
//! * `--copied`: one reader copies each shard's frames into batches (the pattern for a live
//!   source);
//! * `--fanout`: every shard thread reads the whole file and keeps its own frames;
//! * `--preload`: every frame is read first, and only the tracking is timed.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use synack::driver::Output;
use synack::shard::{Mode, track};
use synack::track::Config;

/// What one shard counts.
#[derive(Default)]
struct Tally {
    events: u64,
    states: BTreeMap<&'static str, u64>,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut file, mut mode) = (None, Mode::Shared);
    let mut threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--shared" => mode = Mode::Shared,
            "--copied" => mode = Mode::Copied,
            "--fanout" => mode = Mode::Fanout,
            "--preload" => mode = Mode::Preloaded,
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or(threads)
            }
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: sharded FILE [--threads N] [--shared | --copied | --fanout | --preload]");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let count = |t: &mut Tally, item: Output| match item {
        Output::Event(_) => t.events += 1,
        Output::Summary(s) => *t.states.entry(s.conn_state.name()).or_default() += 1,
        _ => {}
    };
    let shards = match track(&file, &Config::default(), threads, mode, Tally::default, count) {
        Ok(shards) => shards,
        Err(e) => {
            eprintln!("sharded: {e}");
            return ExitCode::FAILURE;
        }
    };
    let took = started.elapsed().as_secs_f64();
    let (mut total, mut states) = (Tally::default(), BTreeMap::new());
    let (mut frames, mut not_tcp, mut connections) = (0, 0, 0);
    for s in &shards {
        total.events += s.state.events;
        for (k, v) in &s.state.states {
            *states.entry(*k).or_insert(0) += v;
        }
        frames += s.stats.frames;
        not_tcp += s.stats.not_tcp;
        connections += s.stats.connections;
    }
    // A closed pipe (`| head -1`) ends the output quietly.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{frames} frames ({not_tcp} without TCP), {connections} connections, {} events on {threads} shard thread(s) ({mode:?}) in {took:.3} s: {:.2} M frames/s",
        total.events,
        frames as f64 / took / 1e6
    )
    .and_then(|()| writeln!(out, "conn_state: {states:?}"));
    ExitCode::SUCCESS
}
