//! One TCP conversation's payload as `tshark -q -z follow,tcp,MODE,N` prints it, or every
//! connection's two streams written to files, reassembled by the library.
//!
//! ```text
//! cargo run --release --example follow -- [FILE] [--stream N] [--raw | --ascii | --hex]
//! cargo run --release --example follow -- [FILE] --write DIR
//! ```
//!
//! With no FILE it runs on the seed's nine built-in frames (the lab's capture). `--stream`
//! picks the conversation by Wireshark's `tcp.stream` number (0 by default); `--ascii` is the
//! default mode. `--write DIR` writes each direction of each connection to a file named as
//! tcpflow names them (sender, then receiver), its bytes at their stream offsets: a gap
//! (bytes the capture lacks) leaves zeros, as tcpflow's files do.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::process::ExitCode;

use synack::capture::CaptureReader;
use synack::driver::Driver;
use synack::format::follow::{Follow, FollowMode, tcpflow_name};
use synack::track::reassembly::{Chunk, ReassemblyConfig};
use synack::track::{Config, ConnId, Direction, StreamChunk};

const USAGE: &str = "usage: follow [FILE] [--stream N] [--raw | --ascii | --hex] | [FILE] --write DIR";

struct Args {
    file: Option<String>,
    stream: u32,
    mode: FollowMode,
    write: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        file: None,
        stream: 0,
        mode: FollowMode::Ascii,
        write: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--raw" => a.mode = FollowMode::Raw,
            "--ascii" => a.mode = FollowMode::Ascii,
            "--hex" => a.mode = FollowMode::Hex,
            "--stream" => {
                let v = it.next().ok_or(USAGE)?;
                a.stream = v.parse().map_err(|_| format!("bad stream number {v}"))?;
            }
            "--write" => a.write = Some(it.next().ok_or(USAGE)?),
            "-h" | "--help" => return Err(USAGE.into()),
            f if !f.starts_with('-') && a.file.is_none() => a.file = Some(f.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn open(file: &Option<String>) -> Result<CaptureReader<'static>, String> {
    match file {
        Some(f) => CaptureReader::open(f).map_err(|e| e.to_string()),
        None => Ok(CaptureReader::seed()),
    }
}

/// Prints conversation `stream` as tshark does.
fn follow(mut reader: CaptureReader<'_>, stream: u32, mode: FollowMode) -> Result<(), String> {
    let mut follow = Follow::new(stream);
    while let Some(frame) = reader.next_frame() {
        match frame {
            Ok(frame) => follow.frame(frame.timestamp, &frame.dissect()),
            Err(e) => eprintln!("follow: {e}"),
        }
    }
    let mut out = String::new();
    follow.write(&mut out, stream, mode);
    io::stdout().write_all(out.as_bytes()).map_err(|e| e.to_string())
}

/// Writes every connection's streams to files in `dir`.
fn write(reader: CaptureReader<'_>, dir: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut files: HashMap<(ConnId, Direction), File> = HashMap::new();
    let mut names: HashMap<String, u32> = HashMap::new();
    let mut failure = None;
    let mut on_chunk = |c: StreamChunk<'_>| {
        let Chunk::Data { offset, bytes } = c.chunk else {
            if matches!(c.chunk, Chunk::End { .. }) {
                files.remove(&(c.conn, c.direction));
            }
            return;
        };
        let file = match files.entry((c.conn, c.direction)) {
            Entry::Occupied(f) => f.into_mut(),
            Entry::Vacant(slot) => {
                let (from, to) = match c.direction {
                    Direction::ClientToServer => (c.key.client, c.key.server),
                    Direction::ServerToClient => (c.key.server, c.key.client),
                };
                let count = names.entry(tcpflow_name(from, to, 0)).or_insert(0);
                let path = std::path::Path::new(dir).join(tcpflow_name(from, to, *count));
                *count += 1;
                match File::create(&path) {
                    Ok(f) => slot.insert(f),
                    Err(e) => return failure = Some(format!("{}: {e}", path.display())),
                }
            }
        };
        if let Err(e) = file.seek(SeekFrom::Start(offset)).and_then(|_| file.write_all(bytes)) {
            failure = Some(e.to_string());
        }
    };
    let config = Config::default().with_reassembly(ReassemblyConfig::default());
    let mut driver = Driver::new(reader, config);
    while let Some(item) = driver.next_with(&mut on_chunk) {
        if let Err(e) = item {
            eprintln!("follow: {e}");
        }
    }
    failure.map_or(Ok(()), Err)
}

fn main() -> ExitCode {
    let run = || -> Result<(), String> {
        let args = parse_args()?;
        let reader = open(&args.file)?;
        match &args.write {
            Some(dir) => write(reader, dir),
            None => follow(reader, args.stream, args.mode),
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
