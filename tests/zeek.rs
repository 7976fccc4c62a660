//! The tracker's connection summaries against Zeek's own conn.log baselines
//! (`tests/data/zeek/expected.tsv`: 43 traces, 126 rows).
//!
//! Each row is run with the settings its Zeek run had: `-C` or not (bad checksums ignored or
//! counted), and the `likely_server_ports` of the scripts it loaded. Compared per row:
//! conn_state, history (with `X`/`x`, an application-analyzer limit, stripped as the corpus
//! README says), the packet, byte and missed-byte counts, where the baseline has them.

mod common;

use std::collections::HashMap;
use std::path::Path;

use synack::capture::CaptureReader;
use synack::track::{Config, ConnSummary, Tracker, ZEEK_LIKELY_SERVER_PORTS};

/// Likely server ports registered by each protocol script Zeek loads.
fn script_ports(script: &str) -> &'static [u16] {
    match script {
        "ftp" => &[21, 2811],
        "http" => &[80, 81, 631, 1080, 3128, 8000, 8080, 8888],
        "ssh" => &[22],
        "smtp" => &[25, 587],
        "irc" => &[6666, 6667, 6668, 6669],
        "ldap" => &[389, 3268],
        "modbus" => &[502],
        "postgresql" => &[5432],
        "ssl" => &[443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223],
        "syslog" => &[514],
        "mysql" => &[3306],
        "socks" => &[1080],
        "rdp" => &[3389],
        _ => &[],
    }
}

fn config_for(flags: &str, scripts: &str) -> Config {
    let mut config = Config::default();
    let ignores_checksums = flags.split_whitespace().any(|f| f == "-C") || flags.contains("ignore_checksums_nets");
    config.zeek.count_bad_checksums = !ignores_checksums;
    // Zeek reports content gaps of a partial connection when the script asks for it.
    config.zeek.report_gaps_for_partial = scripts.contains("report_gaps_for_partial = T");
    config.likely_server_ports = if scripts.starts_with("(not bare") {
        ZEEK_LIKELY_SERVER_PORTS.to_vec()
    } else {
        scripts
            .split(';')
            .filter_map(|s| s.trim().strip_prefix("@load base/protocols/"))
            .flat_map(|p| script_ports(p).iter().copied())
            .collect()
    };
    config
}

fn run(path: &Path, config: Config) -> Vec<ConnSummary> {
    let mut tracker = Tracker::new(config);
    let mut reader = CaptureReader::open(path).expect("open trace");
    while let Some(Ok(cf)) = reader.next_frame() {
        let frame = cf.dissect();
        tracker.observe(cf.timestamp, &frame);
    }
    tracker.finish()
}

/// Rows where Zeek's answer comes from an application-layer script, not from TCP: named
/// with the reason, reported, and left out of the conn_state requirement.
const NOT_MODELED: &[(&str, &str, &str)] = &[(
    "globus-url-copy.pcap",
    "55968",
    "the gridftp script detects the data channel and stops analysis mid-connection (skip_further_processing), so Zeek logs the state at that point",
)];

/// A Zeek run: trace, flags, scripts.
type RunKey = (String, String, String);

#[derive(Default)]
struct Score {
    rows: usize,
    skipped: Vec<String>,
    state_total: usize,
    state_ok: usize,
    history_total: usize,
    history_ok: usize,
    counts_total: usize,
    counts_ok: usize,
    failures: Vec<String>,
}

/// One row of `expected.tsv`, read by column name.
struct Row<'a> {
    header: &'a [&'a str],
    cells: Vec<&'a str>,
}

impl<'a> Row<'a> {
    fn get(&self, name: &str) -> &'a str {
        let i = self.header.iter().position(|h| *h == name).expect(name);
        self.cells.get(i).copied().unwrap_or("")
    }

    /// Its endpoints: originator host and port, responder host and port.
    fn endpoints(&self) -> [&'a str; 4] {
        ["orig_h", "orig_p", "resp_h", "resp_p"].map(|c| self.get(c))
    }

    fn what(&self) -> String {
        let [oh, op, rh, rp] = self.endpoints();
        format!("{} {oh}:{op} -> {rh}:{rp}", self.get("trace"))
    }

    /// Zeek's history less `X`/`x` (an application analyzer's limit, not TCP's).
    fn history(&self) -> String {
        self.get("history")
            .chars()
            .filter(|c| !matches!(c, 'X' | 'x'))
            .collect()
    }

    /// Why synack leaves it out, if it does.
    fn skipped(&self) -> Option<String> {
        let [_, op, _, rp] = self.endpoints();
        NOT_MODELED
            .iter()
            .find(|(t, p, _)| *t == self.get("trace") && (rp == *p || op == *p))
            .map(|(_, _, why)| why.to_string())
    }
}

/// Whether summary `s` goes from `a:ap` to `b:bp`.
fn same(s: &ConnSummary, [a, ap, b, bp]: [&str; 4]) -> bool {
    s.key.client.addr.to_string() == a
        && s.key.client.port.to_string() == ap
        && s.key.server.addr.to_string() == b
        && s.key.server.port.to_string() == bp
}

/// The first summary not yet used that matches the row: of the same endpoints in either
/// orientation, or, for history-only rows, of the same history (Zeek's log order is removal
/// order, so those match as a multiset).
fn find(summaries: &[ConnSummary], used: &[bool], row: &Row<'_>) -> Option<usize> {
    let unused = |i: &usize| !used[*i];
    let [oh, op, rh, rp] = row.endpoints();
    if oh.is_empty() || op.is_empty() {
        let want = row.history();
        return (0..summaries.len())
            .filter(unused)
            .find(|&i| summaries[i].history.as_str() == want)
            .or_else(|| (0..summaries.len()).find(unused));
    }
    (0..summaries.len())
        .filter(unused)
        .find(|&i| same(&summaries[i], [oh, op, rh, rp]) || same(&summaries[i], [rh, rp, oh, op]))
}

impl Score {
    /// Compares one summary with its row.
    fn compare(&mut self, s: &ConnSummary, row: &Row<'_>) {
        let what = row.what();
        let [oh, op, ..] = row.endpoints();
        let oriented = oh.is_empty() || op.is_empty() || same(s, row.endpoints());
        let want_state = row.get("conn_state");
        if !want_state.is_empty() {
            self.state_total += 1;
            if want_state == s.conn_state.name() && oriented {
                self.state_ok += 1;
            } else {
                let got = s.conn_state;
                self.failures.push(format!(
                    "{what}: conn_state {got} (oriented {oriented}), Zeek {want_state}"
                ));
            }
        }
        self.history_total += 1;
        let want_history = row.history();
        if want_history == s.history.as_str() {
            self.history_ok += 1;
        } else {
            self.failures
                .push(format!("{what}: history {}, Zeek {want_history}", s.history));
        }
        let bytes = |b: Option<u64>| b.map_or("-".into(), |b| b.to_string());
        let got = [
            ("orig_pkts", s.orig_pkts.to_string()),
            ("resp_pkts", s.resp_pkts.to_string()),
            ("orig_bytes", bytes(s.orig_bytes)),
            ("resp_bytes", bytes(s.resp_bytes)),
            ("missed_bytes", s.missed_bytes.to_string()),
        ];
        for (name, got) in got {
            let want = row.get(name);
            if want.is_empty() {
                continue;
            }
            self.counts_total += 1;
            if want == got {
                self.counts_ok += 1;
            } else {
                self.failures.push(format!("{what}: {name} {got}, Zeek {want}"));
            }
        }
    }

    fn print(&self) {
        eprintln!(
            "zeek corpus: {} rows; {} skipped; conn_state {}/{}; history {}/{}; packet and byte counts {}/{}",
            self.rows,
            self.skipped.len(),
            self.state_ok,
            self.state_total,
            self.history_ok,
            self.history_total,
            self.counts_ok,
            self.counts_total
        );
        for s in &self.skipped {
            eprintln!("  skipped: {s}");
        }
        for f in &self.failures {
            eprintln!("  differs: {f}");
        }
    }
}

#[test]
fn conn_log_rows_match_zeek() {
    let dir = common::data_dir().join("zeek");
    let text = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    // One run per (trace, flags, scripts), shared by the rows of that run: its summaries and
    // which of them a row took.
    let mut runs: HashMap<RunKey, (Vec<ConnSummary>, Vec<bool>)> = HashMap::new();
    let mut score = Score::default();
    for line in lines {
        let row = Row {
            header: &header,
            cells: line.split('\t').collect(),
        };
        score.rows += 1;
        if let Some(why) = row.skipped() {
            score.skipped.push(format!("{}: {why}", row.what()));
            continue;
        }
        let (trace, flags, scripts) = (row.get("trace"), row.get("zeek_flags"), row.get("zeek_scripts"));
        let (summaries, used) = runs
            .entry((trace.to_string(), flags.to_string(), scripts.to_string()))
            .or_insert_with(|| {
                let s = run(&dir.join(trace), config_for(flags, scripts));
                let n = s.len();
                (s, vec![false; n])
            });
        let Some(i) = find(summaries, used, &row) else {
            score.failures.push(format!("{}: no connection found", row.what()));
            score.state_total += usize::from(!row.get("conn_state").is_empty());
            score.history_total += 1;
            continue;
        };
        used[i] = true;
        score.compare(&summaries[i], &row);
    }
    score.print();
    assert_eq!(
        score.state_ok, score.state_total,
        "conn_state must agree on every row synack models"
    );
}
