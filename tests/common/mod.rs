//! Shared helpers: the test data, what a test needs from the machine, and the comparison of
//! `dissect --fields` with tshark.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use synack::fields::{ANALYSIS_FIELDS, DEFAULT_FIELDS};
use synack::track::AnalysisFlags;

pub mod by_hand;
pub mod follow;
pub mod sim;

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

/// Something a test needs from the machine beyond the Rust toolchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Wireshark's command-line dissector, the field-by-field oracle.
    Tshark,
    /// tcpdump, which captures the kernel's traffic.
    Tcpdump,
    /// iproute2's `ip`: namespaces, veth pairs, addresses.
    Ip,
    /// iproute2's `tc`: the token bucket that makes FINs cross.
    Tc,
    /// procps's `sysctl`: TCP options switched off per namespace.
    Sysctl,
    /// ethtool: transmit checksum offload switched off on one end.
    Ethtool,
    /// The right to create network namespaces (root, or CAP_SYS_ADMIN).
    Netns,
    /// Chromium, headless: renders the SVG pictures.
    Chromium,
    /// Mermaid's command-line renderer (`mmdc`, npm's `@mermaid-js/mermaid-cli`), which
    /// drives Chromium.
    Mermaid,
}

impl Need {
    /// The name a SKIPPED line gives it.
    pub fn name(self) -> &'static str {
        match self {
            Need::Tshark => "tshark",
            Need::Tcpdump => "tcpdump",
            Need::Ip => "ip",
            Need::Tc => "tc",
            Need::Sysctl => "sysctl",
            Need::Ethtool => "ethtool",
            Need::Netns => "the right to create network namespaces",
            Need::Chromium => "chromium",
            Need::Mermaid => "mmdc",
        }
    }

    /// Returns true when the machine has it (looked at once per test binary).
    pub fn present(self) -> bool {
        static SEEN: std::sync::Mutex<Vec<(Need, bool)>> = std::sync::Mutex::new(Vec::new());
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(_, ok)) = seen.iter().find(|(n, _)| *n == self) {
            return ok;
        }
        let ok = self.look();
        seen.push((self, ok));
        ok
    }

    fn look(self) -> bool {
        let runs = |args: &[&str]| {
            Command::new(args[0])
                .args(&args[1..])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        match self {
            Need::Tshark => runs(&["tshark", "--version"]),
            Need::Tcpdump => runs(&["tcpdump", "--version"]),
            Need::Ip => runs(&["ip", "-V"]),
            Need::Tc => runs(&["tc", "-V"]),
            Need::Sysctl => runs(&["sysctl", "--version"]),
            Need::Ethtool => runs(&["ethtool", "--version"]),
            Need::Chromium => runs(&["chromium", "--version"]),
            Need::Mermaid => runs(&["mmdc", "--version"]) && runs(&["chromium", "--version"]),
            Need::Netns => {
                // Try it: add a namespace and remove it again.
                let probe = format!("synack-probe-{}", std::process::id());
                let ok = runs(&["ip", "netns", "add", &probe]);
                if ok {
                    runs(&["ip", "netns", "del", &probe]);
                }
                ok
            }
        }
    }
}

/// Returns true when the machine has everything `test` needs. Otherwise prints one line
/// `SKIPPED: <test>: needs <what is missing>` (to the process's stderr, so that `cargo test`
/// shows it without `--nocapture`) and returns false, or fails the test when
/// `SYNACK_REQUIRE_TOOLS` is set (CI sets it).
pub fn needs(test: &str, what: &[Need]) -> bool {
    let missing: Vec<&str> = what.iter().filter(|n| !n.present()).map(|n| n.name()).collect();
    if missing.is_empty() {
        return true;
    }
    let line = format!("SKIPPED: {test}: needs {}", missing.join(", "));
    assert!(
        std::env::var_os("SYNACK_REQUIRE_TOOLS").is_none(),
        "{line} (SYNACK_REQUIRE_TOOLS is set, so a skip is a failure)"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
    false
}

/// Returns the repository's test data folder, `tests/data`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// A fresh folder in the system's temporary directory, named after `name` and the process,
/// removed with what it holds when dropped, so a failing test leaves nothing behind either.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates the folder (empty: one left by an earlier process of the same id is cleared).
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Returns every capture file (pcap and pcapng) of the test data's tcpdump and zeek folders,
/// sorted by path.
pub fn corpus_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = ["tcpdump", "zeek"]
        .iter()
        .flat_map(|d| captures_in(&data_dir().join(d)))
        .collect();
    v.sort();
    v
}

/// Returns the capture files (pcap and pcapng) in `dir`, sorted by path.
pub fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng")))
        .collect();
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

/// The `tcp.analysis.*` flag columns of [`ANALYSIS_FIELDS`] (those an [`AnalysisFlags`]
/// bit stands for).
pub fn analysis_flag_columns() -> impl Iterator<Item = &'static str> {
    ANALYSIS_FIELDS
        .iter()
        .copied()
        .filter(|&name| AnalysisFlags::all().iter().any(|f| f.field_name() == name))
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

/// Prints what a comparison covered and its first mismatches (`SYNACK_SHOW_MISMATCHES`, 40
/// by default).
pub fn report(what: &str, tally: &Tally) {
    eprintln!(
        "{what}: {} frames, {} cells compared, {} matched, {} mismatches",
        tally.frames,
        tally.cells,
        tally.cells - tally.mismatches.len(),
        tally.mismatches.len()
    );
    let mut by_column: std::collections::BTreeMap<&str, usize> = Default::default();
    for m in &tally.mismatches {
        *by_column.entry(m.column.as_str()).or_default() += 1;
    }
    for (c, n) in &by_column {
        eprintln!("  {n:6} mismatches in {c}");
    }
    let show = std::env::var("SYNACK_SHOW_MISMATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for m in tally.mismatches.iter().take(show) {
        eprintln!("  {m}");
    }
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
pub fn tcp_frame(
    src: (std::net::Ipv4Addr, u16),
    dst: (std::net::Ipv4Addr, u16),
    flags: synack::wire::TcpFlags,
    seq: u32,
    ack: u32,
    len: usize,
    window: u16,
) -> Vec<u8> {
    use synack::wire::{MacAddr, PacketBuilder};
    PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 2]), MacAddr([2, 0, 0, 0, 0, 1]))
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, window)
        .flags(flags)
        .ack_number(ack)
        .build(&vec![0u8; len])
        .expect("a frame within the limits")
}
