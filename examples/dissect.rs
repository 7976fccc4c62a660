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
use synack::capture::{CaptureReader, CapturedFrame};
use synack::fields::{self, DEFAULT_FIELDS, SYNACK_FIELDS};
use synack::wire::{ChecksumVerdict, Content, Frame, LinkType, TcpFlags, TcpOption};

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

/// Where the frames come from: a file, or the built-in seed.
enum Source {
    File(CaptureReader<'static>),
    Seed(usize),
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
    let mut source = match &args.file {
        Some(path) => Source::File(CaptureReader::open(path).map_err(io::Error::other)?),
        None => Source::Seed(0),
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
        let cf = match &mut source {
            Source::File(r) => {
                if let Some(p) = &progress {
                    p.set_position(r.offset());
                }
                match r.next_frame() {
                    None => break,
                    Some(Ok(f)) => f,
                    Some(Err(e)) => {
                        status = Err(io::Error::other(e));
                        break;
                    }
                }
            }
            Source::Seed(i) => {
                let Some(seed) = synack::seed::FRAMES.get(*i) else {
                    break;
                };
                *i += 1;
                CapturedFrame {
                    number: *i as u64,
                    timestamp: seed.timestamp,
                    orig_len: seed.bytes.len() as u32,
                    link: LinkType::ETHERNET,
                    interface: 0,
                    data: seed.bytes,
                }
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

use std::fmt::Write as _;

/// A line in the shape of tshark's default output (sequence numbers raw).
fn tshark_line(s: &mut String, cf: &CapturedFrame<'_>, f: &Frame<'_>, start: Timestamp) {
    let rel = cf.timestamp.saturating_since(start);
    let _ = write!(s, "{:5} {}.{:09} ", cf.number, rel.as_secs(), rel.subsec_nanos());
    match (f.ipv4, f.tcp) {
        (Some(ip), Some(t)) => {
            let _ = write!(
                s,
                "{} → {} TCP {} {} → {} {} Seq={}",
                ip.src,
                ip.dst,
                cf.orig_len,
                t.src_port,
                t.dst_port,
                t.flags.wireshark(),
                t.seq
            );
            if t.flags.contains(TcpFlags::ACK) {
                let _ = write!(s, " Ack={}", t.ack);
            }
            let _ = write!(s, " Win={} Len={}", t.window, f.tcp_len().unwrap_or(0));
            for o in t.options().flatten() {
                let _ = match o {
                    TcpOption::Mss(m) => write!(s, " MSS={m}"),
                    TcpOption::WindowScale(w) => write!(s, " WS={}", 1u32 << w.min(14)),
                    TcpOption::SackPermitted => write!(s, " SACK_PERM"),
                    TcpOption::Timestamps { tsval, tsecr } => write!(s, " TSval={tsval} TSecr={tsecr}"),
                    TcpOption::Sack(b) => {
                        for (l, r) in b.iter() {
                            let _ = write!(s, " SLE={l} SRE={r}");
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                };
            }
            for (name, v) in [("IP", f.ipv4_checksum()), ("TCP", f.tcp_checksum())] {
                match v {
                    Some(ChecksumVerdict::Bad { .. }) => {
                        let _ = write!(s, " [{name} CHECKSUM INCORRECT]");
                    }
                    Some(v @ (ChecksumVerdict::Partial | ChecksumVerdict::Zero)) => {
                        let _ = write!(s, " [{name} checksum {}: offload]", v.name());
                    }
                    _ => {}
                }
            }
        }
        (Some(ip), None) => {
            let what = match f.content {
                Content::Ipv4Fragment => "IPv4 fragment".to_string(),
                Content::Ipv4Other(p) => format!("IPv4 protocol {p}"),
                _ => "IPv4".to_string(),
            };
            let _ = write!(s, "{} → {} {} {}", ip.src, ip.dst, what, cf.orig_len);
        }
        _ => {
            let _ = write!(s, "{} ", cf.orig_len);
            let _ = match f.content {
                Content::NotIpv4(t) => write!(s, "not IPv4 (EtherType {t})"),
                Content::UnsupportedLink(l) => write!(s, "unsupported link type {l}"),
                _ => Ok(()),
            };
        }
    }
    if let Some(e) = f.error {
        let _ = write!(s, " [Malformed: {e}]");
    }
}

/// A line in the seed's Network Monitor form.
fn netmon_line(s: &mut String, cf: &CapturedFrame<'_>, f: &Frame<'_>) {
    let _ = write!(s, "{}\t{}\t", cf.number, cf.timestamp);
    match (f.ipv4, f.tcp) {
        (Some(ip), Some(t)) => {
            let len = f.tcp_len().unwrap_or(0);
            let _ = write!(
                s,
                "{}\t{}\tTCP\tTCP-Flags={}, SrcPort={}, DstPort={}, PayloadLen={}, Seq={}",
                ip.src,
                ip.dst,
                t.flags.netmon(),
                t.src_port,
                t.dst_port,
                len,
                t.seq
            );
            if len > 0 {
                let _ = write!(s, " - {}", t.seq_number() + len as u32);
            }
            let _ = write!(s, ", Ack={}, Win={}", t.ack, t.window);
        }
        _ => {
            let _ = write!(s, "-\t-\t{:?}", f.content);
        }
    }
}

fn verdict(v: Option<ChecksumVerdict>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Field-by-field details, flag bits drawn as the lab report's Frame Details draw them.
fn details(s: &mut String, cf: &CapturedFrame<'_>, f: &Frame<'_>) {
    let _ = writeln!(
        s,
        "  Frame {}: {} bytes on wire, {} captured{}",
        cf.number,
        cf.orig_len,
        cf.cap_len(),
        if cf.is_cut() { " (cut by snapshot length)" } else { "" }
    );
    if let Some(e) = f.ethernet() {
        let _ = writeln!(
            s,
            "  Ethernet II: Src: {}, Dst: {}, Type: {}",
            e.src, e.dst, e.ethertype
        );
    }
    for t in f.vlans.as_slice() {
        let _ = writeln!(s, "  802.1Q: PCP {}, DEI {}, VID {}", t.pcp, u8::from(t.dei), t.vid);
    }
    if let Some(ip) = f.ipv4 {
        let _ = writeln!(s, "  IPv4: {} -> {}", ip.src, ip.dst);
        let _ = writeln!(s, "    Version: 4, HeaderLength: {} bytes", ip.header_len());
        let _ = writeln!(s, "    DSCP: {}, ECN: {}", ip.dscp, ip.ecn);
        let _ = writeln!(s, "    TotalLength: {}", ip.total_len);
        let _ = writeln!(
            s,
            "    Identification: {} (0x{:04X})",
            ip.identification, ip.identification
        );
        let _ = writeln!(
            s,
            "    Flags: {:?}, FragmentOffset: {}",
            ip.flags,
            ip.fragment_offset_bytes()
        );
        let _ = writeln!(s, "    TimeToLive: {}, Protocol: {}", ip.ttl, ip.protocol);
        let _ = writeln!(s, "    Checksum: 0x{:04X} {}", ip.checksum, verdict(f.ipv4_checksum()));
        for o in ip.options() {
            let _ = writeln!(s, "    Option: {o:?}");
        }
    }
    if let Some(t) = f.tcp {
        let _ = writeln!(
            s,
            "  Tcp: Flags={}, SrcPort={}, DstPort={}",
            t.flags.netmon(),
            t.src_port,
            t.dst_port
        );
        let _ = writeln!(s, "    SequenceNumber: {} (0x{:08X})", t.seq, t.seq);
        let _ = writeln!(s, "    AcknowledgementNumber: {} (0x{:08X})", t.ack, t.ack);
        let _ = writeln!(
            s,
            "    DataOffset: {} (0x{:02X}): {} bytes",
            t.data_offset << 4,
            t.data_offset << 4,
            t.header_len()
        );
        let _ = writeln!(s, "    Flags: {}", t.flags.netmon());
        const BITS: [(TcpFlags, &str, &str, &str); 8] = [
            (TcpFlags::CWR, "CWR", "Congestion window reduced", "CWR not significant"),
            (TcpFlags::ECE, "ECE", "ECN-Echo", "ECN-Echo not significant"),
            (TcpFlags::URG, "Urgent", "Urgent data", "Not Urgent Data"),
            (
                TcpFlags::ACK,
                "Ack",
                "Acknowledgement field significant",
                "Acknowledgement field not significant",
            ),
            (TcpFlags::PSH, "Push", "Push Function", "No Push Function"),
            (TcpFlags::RST, "Reset", "Reset", "No Reset"),
            (
                TcpFlags::SYN,
                "Syn",
                "Synchronize sequence numbers",
                "Not Synchronize sequence numbers",
            ),
            (TcpFlags::FIN, "Fin", "End of data", "Not End of data"),
        ];
        for (i, (flag, name, on, off)) in BITS.iter().enumerate() {
            let set = t.flags.contains(*flag);
            let mut bits = String::new();
            for j in 0..8 {
                bits.push(if j == i { if set { '1' } else { '0' } } else { '.' });
            }
            let _ = writeln!(s, "      {name}: ({bits}) {}", if set { on } else { off });
        }
        let _ = writeln!(s, "    Window: {}", t.window);
        let _ = writeln!(s, "    Checksum: 0x{:04X} {}", t.checksum, verdict(f.tcp_checksum()));
        let _ = writeln!(s, "    UrgentPointer: {}", t.urgent_ptr);
        for o in t.options() {
            let _ = match o {
                Ok(TcpOption::Mss(m)) => writeln!(s, "    Option: MaxSegmentSize {m}"),
                Ok(TcpOption::WindowScale(w)) => {
                    writeln!(s, "    Option: WindowScale {w} (multiply by {})", 1u32 << w.min(14))
                }
                Ok(o) => writeln!(s, "    Option: {o:?}"),
                Err(e) => writeln!(s, "    Option: malformed: {e}"),
            };
        }
        let _ = writeln!(s, "    Payload: {} bytes", f.payload.len());
    }
    if !f.trailer().is_empty() {
        let _ = writeln!(s, "  Trailer/padding: {} bytes", f.trailer().len());
    }
    if let Some(e) = f.error {
        let _ = writeln!(s, "  Malformed: {e}");
    }
}

/// A hex dump, 16 bytes a row, as the report's Hex Details show it.
fn hex_dump(s: &mut String, data: &[u8]) {
    for (row, chunk) in data.chunks(16).enumerate() {
        let _ = write!(s, "  {:04X} ", row * 16);
        for b in chunk {
            let _ = write!(s, " {b:02X}");
        }
        for _ in chunk.len()..16 {
            s.push_str("   ");
        }
        s.push_str("  ");
        for &b in chunk {
            s.push(if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            });
        }
        s.push('\n');
    }
}
