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
use synack::fields::{self, DEFAULT_FIELDS, SYNACK_FIELDS};
use synack::format::frame::{details, hex_dump, netmon_line, tshark_line};

#[derive(Debug, Default)]
struct Args {
    file: Option<String>,
    netmon: bool,
    details: bool,
    hex: bool,
    fields: Option<Vec<String>>,
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
                let list = match it.peek() {
                    Some(next)
                        if !next.starts_with("--") && next.contains('.') && !std::path::Path::new(next).exists() =>
                    {
                        it.next().map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>())
                    }
                    _ => None,
                };
                let list = list.unwrap_or_else(|| {
                    DEFAULT_FIELDS
                        .iter()
                        .chain(fields::ANALYSIS_FIELDS)
                        .chain(SYNACK_FIELDS)
                        .map(|s| s.to_string())
                        .collect()
                });
                if let Some(bad) = list.iter().find(|f| !fields::is_known(f)) {
                    return Err(format!("unknown field {bad}"));
                }
                a.fields = Some(list);
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ => a.file = Some(arg),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) ends the output quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dissect: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut reader = match &args.file {
        Some(path) => CaptureReader::open(path).map_err(io::Error::other)?,
        None => CaptureReader::seed(),
    };
    let progress = progress_bar(args.file.as_deref());
    if let Some(cols) = &args.fields {
        writeln!(out, "{}", cols.join("\t"))?;
    }
    // Resolved once: writing a row then compares no names.
    let columns: Vec<fields::Column> = args
        .fields
        .iter()
        .flatten()
        .filter_map(|c| fields::Column::of(c))
        .collect();
    let mut first: Option<Timestamp> = None;
    // Wireshark's stateful columns need every frame in order.
    let mut analyzer = args
        .fields
        .as_ref()
        .filter(|cols| cols.iter().any(|c| fields::ANALYSIS_FIELDS.contains(&c.as_str())))
        .map(|_| synack::track::Analyzer::new());
    let mut line = String::with_capacity(512);
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
        let mut row = fields::Row::new(cf);
        if let Some(analyzer) = analyzer.as_mut() {
            let a = analyzer.analyze(cf.timestamp, row.frame());
            row = row.with_analysis(a);
        }
        let frame = *row.frame();
        let start = *first.get_or_insert(cf.timestamp);
        line.clear();
        if args.fields.is_some() {
            for (i, c) in columns.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                fields::write_column(&mut line, *c, &row);
            }
        } else if args.netmon {
            netmon_line(&mut line, &cf, &frame);
        } else {
            tshark_line(&mut line, &cf, &frame, start);
        }
        line.push('\n');
        if args.details && args.fields.is_none() {
            details(&mut line, &cf, &frame);
        }
        if args.hex && args.fields.is_none() {
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
