//! Shared helpers for the tests that diff `dissect --fields` against tshark.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use synack::fields::{ANALYSIS_FIELDS, DEFAULT_FIELDS};

/// Returns the path of an example binary built by `cargo test`.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built: cargo test builds examples; run `cargo build --examples`",
        path.display()
    );
    path
}

/// Returns true when `tool` runs. When it does not, the test fails if `SYNACK_REQUIRE_TOOLS`
/// is set (CI sets it), and is reported as skipped otherwise.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("SYNACK_REQUIRE_TOOLS").is_none(),
            "{tool} is required (SYNACK_REQUIRE_TOOLS is set) but does not run"
        );
        eprintln!("SKIPPED: {tool} not installed (install it, or run .ci/run, for this test)");
    }
    ok
}

/// Returns the shared corpus folder, which lies beside the repository.
pub fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "corpus not found at {}: the tests expect shared/ beside the repository",
        dir.display()
    );
    dir
}

/// Returns every capture file (pcap and pcapng) of the corpus's tcpdump and zeek folders,
/// sorted by path.
pub fn corpus_captures() -> Vec<PathBuf> {
    let corpus = corpus();
    let mut v = Vec::new();
    for d in ["tcpdump", "zeek"] {
        for e in std::fs::read_dir(corpus.join(d)).unwrap().flatten() {
            let p = e.path();
            if matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng")) {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// A table of tab-separated values with a header row.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(text: &str) -> Table {
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split('\t')
            .map(str::to_string)
            .collect();
        let rows = lines.map(|l| l.split('\t').map(str::to_string).collect()).collect();
        Table { header, rows }
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    pub fn get<'a>(&'a self, row: &'a [String], name: &str) -> &'a str {
        self.col(name).and_then(|i| row.get(i)).map_or("", String::as_str)
    }
}

/// Runs `dissect --fields` on a capture. Returns the table, and stderr.
pub fn dissect_fields(file: &Path) -> (Table, String) {
    let out = Command::new(example("dissect"))
        .arg(file)
        .arg("--fields")
        .output()
        .expect("run dissect");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "dissect panicked on {}: {stderr}",
        file.display()
    );
    (Table::parse(&String::from_utf8_lossy(&out.stdout)), stderr)
}

/// Runs tshark with checksum validation on, printing the default columns.
pub fn tshark_fields(file: &Path) -> Table {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file);
    cmd.args(["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]);
    cmd.args([
        "-T",
        "fields",
        "-E",
        "header=y",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in DEFAULT_FIELDS.iter().chain(ANALYSIS_FIELDS) {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    Table::parse(&String::from_utf8_lossy(&out.stdout))
}

/// One disagreement.
#[derive(Debug)]
pub struct Mismatch {
    pub file: String,
    pub frame: String,
    pub column: String,
    pub ours: String,
    pub theirs: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} frame {} column {}: ours {:?}, tshark {:?}",
            self.file, self.frame, self.column, self.ours, self.theirs
        )
    }
}

/// What a comparison covered.
#[derive(Debug, Default)]
pub struct Tally {
    pub frames: usize,
    pub cells: usize,
    pub mismatches: Vec<Mismatch>,
}

/// Compares every default column of every frame that both read as IPv4/TCP (one IPv4 header,
/// one TCP header: tunnels and ICMP-quoted headers are left out).
pub fn compare(file: &Path, ours: &Table, theirs: &Table, tally: &mut Tally) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let by_number: HashMap<&str, &Vec<String>> =
        theirs.rows.iter().map(|r| (theirs.get(r, "frame.number"), r)).collect();
    for row in &ours.rows {
        let number = ours.get(row, "frame.number");
        let Some(t) = by_number.get(number) else { continue };
        let single = |tab: &Table, r: &[String], c: &str| {
            let v = tab.get(r, c).to_string();
            !v.is_empty() && !v.contains(',')
        };
        // Frames whose payload tshark decodes further into another Ethernet, IPv4 or TCP
        // header (OpenFlow packet-ins, ICMP errors, tunnels) are out of scope.
        let nested = ["eth.src", "ip.src", "tcp.srcport"]
            .iter()
            .any(|c| theirs.get(t, c).contains(','));
        if nested || !(single(ours, row, "tcp.srcport") && single(theirs, t, "tcp.srcport")) {
            continue;
        }
        tally.frames += 1;
        for col in DEFAULT_FIELDS.iter().chain(ANALYSIS_FIELDS) {
            tally.cells += 1;
            let (a, b) = (ours.get(row, col), theirs.get(t, col));
            if a != b {
                tally.mismatches.push(Mismatch {
                    file: name.clone(),
                    frame: number.to_string(),
                    column: col.to_string(),
                    ours: a.to_string(),
                    theirs: b.to_string(),
                });
            }
        }
    }
}

/// An Ethernet II / IPv4 / TCP frame without options, from `src` to `dst` (address, port),
/// with `len` zero bytes of payload, a window and a good TCP checksum.
#[allow(clippy::too_many_arguments)]
pub fn tcp_frame(
    src: (std::net::Ipv4Addr, u16),
    dst: (std::net::Ipv4Addr, u16),
    flags: synack::wire::TcpFlags,
    seq: u32,
    ack: u32,
    len: usize,
    window: u16,
) -> Vec<u8> {
    use synack::wire::{EtherType, EthernetHeader, IpProtocol, Ipv4Header, MacAddr, TcpHeader, fill_tcp_checksum};
    let mut tcp = TcpHeader::new(src.1, dst.1, seq, ack, flags);
    tcp.window = window;
    let ip = Ipv4Header::new(src.0, dst.0, IpProtocol::TCP, (20 + len) as u16);
    let eth = EthernetHeader {
        dst: MacAddr([2, 0, 0, 0, 0, 1]),
        src: MacAddr([2, 0, 0, 0, 0, 2]),
        ethertype: EtherType::IPV4,
    };
    let mut buf = vec![0u8; 54 + len];
    eth.emit(&mut buf).unwrap();
    ip.emit(&mut buf[14..], true).unwrap();
    tcp.emit(&mut buf[34..]).unwrap();
    fill_tcp_checksum(&mut buf[34..], src.0, dst.0).unwrap();
    buf
}
