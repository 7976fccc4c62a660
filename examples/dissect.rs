//! Dissects a capture file, one line per frame, or field by field.
//!
//! ```text
//! cargo run --release --example dissect -- [FILE] [--style tshark|netmon] [--details] [--hex]
//!                                          [--fields [a,b,c]]
//! ```
//!
//! With no FILE it reads the lab's nine frames built into the crate.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use synack::Timestamp;
use synack::capture::CaptureReader;
use synack::fields::FieldWriter;
use synack::format::frame::{details, hex_dump, netmon_line, tshark_line};

#[derive(Debug, Default)]
struct Args {
    file: Option<String>,
    netmon: bool,
    details: bool,
    hex: bool,
    fields: Option<FieldWriter>,
}

const USAGE: &str = "usage: dissect [FILE] [--style tshark|netmon] [--details] [--hex] [--fields [a,b,c]]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1).peekable();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--style" => match it.next().as_deref() {
                Some("netmon") => a.netmon = true,
                Some("tshark") => a.netmon = false,
                other => return Err(format!("unknown style {other:?}\n{USAGE}")),
            },
            "--details" => a.details = true,
            "--hex" => a.hex = true,
            "--fields" => {
                // A list follows unless the next word is an option or a file.
                let list = it.next_if(|n| !n.starts_with("--") && n.contains('.') && !std::path::Path::new(n).exists());
                a.fields = Some(match list {
                    Some(list) => FieldWriter::new(&list.split(',').collect::<Vec<_>>()).map_err(|e| e.to_string())?,
                    None => FieldWriter::all(),
                });
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ => a.file = Some(arg),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let mut args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&mut args) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) ends the output quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dissect: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &mut Args) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut reader = match &args.file {
        Some(path) => CaptureReader::open(path).map_err(io::Error::other)?,
        None => CaptureReader::seed(),
    };
    let progress = progress_bar(args.file.as_deref());
    let mut line = String::with_capacity(512);
    if let Some(fields) = &args.fields {
        fields.write_header(&mut line);
        writeln!(out, "{line}")?;
    }
    let mut first: Option<Timestamp> = None;
    let mut status = Ok(());
    loop {
        if let Some(p) = &progress {
            p.set_position(reader.offset());
        }
        let cf = match reader.next_frame() {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                status = Err(io::Error::other(e));
                break;
            }
        };
        line.clear();
        if let Some(fields) = args.fields.as_mut() {
            fields.write_row(&mut line, cf);
            line.push('\n');
            out.write_all(line.as_bytes())?;
            continue;
        }
        let frame = cf.dissect();
        match args.netmon {
            true => netmon_line(&mut line, &cf, &frame),
            false => tshark_line(&mut line, &cf, &frame, *first.get_or_insert(cf.timestamp)),
        }
        line.push('\n');
        if args.details {
            details(&mut line, &cf, &frame);
        }
        if args.hex {
            hex_dump(&mut line, cf.data);
        }
        out.write_all(line.as_bytes())?;
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    out.flush()?;
    status
}

fn progress_bar(path: Option<&str>) -> Option<indicatif::ProgressBar> {
    let path = path?;
    if !io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(path).ok()?.len();
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}").ok()?);
    Some(bar)
}
