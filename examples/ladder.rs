//! A picture of one TCP conversation, or of all of them as tshark's flow graph.
//!
//! ```text
//! cargo run --release --example ladder -- [FILE] [--stream N] [--format text|svg|mermaid] [--max-arrows N]
//! ```
//!
//! With no FILE it runs on the seed's nine built-in frames (the lab's capture). `text` (the
//! default) prints what `tshark -q -z flow,tcp,standard` prints: every conversation, or with
//! `--stream` the one whose `tcp.stream` number is N. `svg` and `mermaid` draw one
//! conversation (stream 0 unless `--stream` says), the tracker's notes beside the segments.

use std::io::{self, Write};
use std::process::ExitCode;

use synack::capture::CaptureReader;
use synack::format::ladder::{LadderBuilder, SvgOptions};

const USAGE: &str = "usage: ladder [FILE] [--stream N] [--format text|svg|mermaid] [--max-arrows N]";

struct Args {
    file: Option<String>,
    stream: Option<u32>,
    format: String,
    max_arrows: usize,
}

fn number<T: std::str::FromStr>(v: Option<String>) -> Result<T, String> {
    let v = v.ok_or(USAGE)?;
    v.parse().map_err(|_| format!("bad number {v}\n{USAGE}"))
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        file: None,
        stream: None,
        format: "text".into(),
        max_arrows: SvgOptions::default().max_arrows,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--stream" => a.stream = Some(number(it.next())?),
            "--max-arrows" => a.max_arrows = number(it.next())?,
            "--format" => a.format = it.next().ok_or(USAGE)?,
            "-h" | "--help" => return Err(USAGE.into()),
            f if !f.starts_with('-') && a.file.is_none() => a.file = Some(f.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if !["text", "svg", "mermaid"].contains(&a.format.as_str()) {
        return Err(format!("unknown format {}\n{USAGE}", a.format));
    }
    Ok(a)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let reader = match &args.file {
        Some(f) => CaptureReader::open(f).map_err(|e| e.to_string())?,
        None => CaptureReader::seed(),
    };
    let builder = match args.stream {
        Some(n) => LadderBuilder::only(n),
        None if args.format == "text" => LadderBuilder::new(),
        None => LadderBuilder::only(0),
    };
    let (ladder, damage) = builder.read(reader);
    if let Some(e) = damage {
        eprintln!("ladder: {e}");
    }
    let conv = args.stream.unwrap_or(0);
    let mut out = String::new();
    match args.format.as_str() {
        "svg" => ladder.write_svg(&mut out, conv, SvgOptions::default().with_max_arrows(args.max_arrows)),
        "mermaid" => ladder.write_mermaid(&mut out, conv),
        _ => ladder.write_text(&mut out),
    }
    io::stdout().write_all(out.as_bytes()).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
