//! The Linux kernel's own TCP traffic between two network namespaces, captured by tcpdump:
//! diffed against tshark 4.0 column for column (`kernel_traffic_matches_tshark`), and read by
//! the tracker, one scenario per outcome (`tracker::tracker_on_kernel_traffic`, which needs no
//! tshark). The captures are made once per run of this binary (`net`) and read by both tests;
//! the two sides of each scenario (`traffic`) are this binary again, started in a namespace
//! (`traffic_role`).

#[path = "../common/mod.rs"]
mod common;
mod follow;
mod forwarder;
mod impaired;
mod net;
mod rng;
mod timers;
mod tracker;
mod traffic;

use common::{Need, Tally, compare, dissect_fields, needs, report, tshark_fields};
use net::{Captures, captures};

/// What making the captures needs.
const TRAFFIC: [Need; 5] = [Need::Ip, Need::Tc, Need::Sysctl, Need::Tcpdump, Need::Netns];

/// Not a test: the entry point of one side of a scenario, which the kernel tests start in a
/// namespace (`--ignored --exact traffic_role`, with the role in `SYNACK_TRAFFIC`).
#[test]
#[ignore = "one side of a kernel scenario, started by the kernel tests"]
fn traffic_role() {
    let spec = std::env::var(traffic::ROLE_VAR).expect("started by the kernel tests, with SYNACK_TRAFFIC set");
    if let Err(e) = traffic::play_role(&spec) {
        panic!("traffic {spec}: {e}");
    }
}

/// `dissect --fields` and tshark on one kernel capture: dissect silent, the same frames, every
/// cell compared into `tally`. Returns both tables.
fn compare_with_tshark(file: &std::path::Path, tally: &mut Tally) -> (common::Table, common::Table) {
    let (ours, stderr) = dissect_fields(file);
    assert!(stderr.is_empty(), "dissect: {stderr}");
    let theirs = tshark_fields(file);
    assert_eq!(ours.rows.len(), theirs.rows.len(), "frame count of {}", file.display());
    compare(file, &ours, &theirs, tally);
    (ours, theirs)
}

/// 5 MiB transfers through the impairment forwarder (drops, duplicates, reordering; with
/// SACK and timestamps and with both off; two seeds; both families), captured on the sender
/// and on the receiver: every cell equal to tshark, the analysis columns included.
#[test]
fn impaired_kernel_traffic_matches_tshark() {
    let mut what = TRAFFIC.to_vec();
    what.extend([Need::Tshark, Need::Ethtool]);
    if !needs("impaired_kernel_traffic_matches_tshark", &what) {
        return;
    }
    let mut tally = Tally::default();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for t in impaired::transfers() {
        let d = t.done;
        eprintln!(
            "{}: {} frames forwarded, {} dropped, {} duplicated, {} reordered",
            t.name, d.forwarded, d.dropped, d.duplicated, d.reordered
        );
        assert!(
            d.dropped > 0 && d.duplicated > 0 && d.reordered > 0,
            "{}: {d:?}",
            t.name
        );
        for file in [&t.sender, &t.receiver] {
            let (_, theirs) = compare_with_tshark(file, &mut tally);
            assert!(
                theirs.rows.len() > 3000,
                "{}: {} frames",
                file.display(),
                theirs.rows.len()
            );
            for row in &theirs.rows {
                for col in common::analysis_flag_columns() {
                    if !theirs.get(row, col).is_empty() {
                        *seen.entry(col).or_default() += 1;
                    }
                }
            }
        }
    }
    report("impaired kernel traffic", &tally);
    eprintln!("tshark's analysis flags on these captures: {seen:?}");
    // The path did what it is for: the sender retransmits, the receiver sees holes.
    for col in [
        "tcp.analysis.retransmission",
        "tcp.analysis.lost_segment",
        "tcp.analysis.duplicate_ack",
        "tcp.analysis.out_of_order",
    ] {
        assert!(
            seen.get(col).is_some_and(|&n| n > 0),
            "no {col} in the impaired captures"
        );
    }
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches against tshark",
        tally.mismatches.len()
    );
}

#[test]
fn kernel_traffic_matches_tshark() {
    let mut what = TRAFFIC.to_vec();
    what.extend([Need::Tshark, Need::Ethtool]);
    if !needs("kernel_traffic_matches_tshark", &what) {
        return;
    }
    for set in captures() {
        let Captures { family, veth, mid, lo } = set;
        let mut tally = Tally::default();
        for file in [veth, lo, mid] {
            let (ours, _) = compare_with_tshark(file, &mut tally);
            scenarios_happened(&ours, file, *family, [veth, lo, mid].map(|f| f == file));
        }
        report(&format!("kernel traffic over {}", family.name), &tally);
        assert!(tally.frames > 40, "too few frames: {}", tally.frames);
        assert!(
            tally.mismatches.is_empty(),
            "{} mismatches against tshark",
            tally.mismatches.len()
        );
    }
}

#[test]
fn kernel_follow_matches_tshark() {
    let mut what = TRAFFIC.to_vec();
    what.extend([Need::Tshark]);
    if !needs("kernel_follow_matches_tshark", &what) {
        return;
    }
    for set in captures() {
        let mut tally = common::follow::FollowTally::default();
        // The capture as made, then three impaired copies.
        let (copies, impaired) = follow::impaired_copies(&set.veth, "impaired", set.family.name);
        for file in std::iter::once(set.veth.clone()).chain(copies) {
            let followed = common::follow::follow_all(&file);
            common::follow::compare_follow(&file, &followed, &mut tally);
            common::follow::compare_reassembly(&file, &followed, &mut tally);
        }
        tally.print(&format!(
            "kernel traffic over {} and three impaired copies ({} frames dropped, {} duplicated, {} swapped)",
            set.family.name, impaired.dropped, impaired.duplicated, impaired.swapped
        ));
        assert!(tally.markers > 0, "the impaired copies show missing bytes");
        assert!(tally.differ.is_empty(), "follow differs from tshark");
        assert!(
            tally.reassembly_differ.is_empty(),
            "the reassembler differs from follow"
        );
    }
}

#[test]
fn kernel_flow_matches_tshark() {
    let mut what = TRAFFIC.to_vec();
    what.extend([Need::Tshark]);
    if !needs("kernel_flow_matches_tshark", &what) {
        return;
    }
    use synack::format::ladder::Ladder;
    for set in captures() {
        let (mut files, mut lines) = (Vec::new(), 0);
        files.extend([set.veth.clone(), set.lo.clone(), set.mid.clone()]);
        files.extend(follow::impaired_copies(&set.veth, "flow-impaired", set.family.name).0);
        for file in &files {
            let (ladder, damage) = Ladder::read(synack::capture::CaptureReader::open(file).expect("open"));
            assert!(damage.is_none(), "{}", file.display());
            let mut ours = String::new();
            ladder.write_text(&mut ours);
            let out = std::process::Command::new("tshark")
                .arg("-r")
                .arg(file)
                .args(["-q", "-z", "flow,tcp,standard", "-z", "flow,tcp,network"])
                .output()
                .expect("run tshark");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                ours.repeat(2),
                "{}",
                file.display()
            );
            lines += ours.lines().count();
        }
        eprintln!(
            "kernel traffic over {}: flow graph of {} captures (three impaired), {lines} lines, equal to tshark's",
            set.family.name,
            files.len()
        );
    }
}

/// The scenarios really happened: counts what they leave in the capture `file`, which is
/// the veth capture, the loopback one or the midstream one (`[veth, lo, mid]`).
fn scenarios_happened(ours: &common::Table, file: &std::path::Path, family: net::Family, [veth, _lo, mid]: [bool; 3]) {
    let flags =
        |r: &Vec<String>| u16::from_str_radix(ours.get(r, "tcp.flags").trim_start_matches("0x"), 16).unwrap_or(0);
    let rsts = ours.rows.iter().filter(|r| flags(r) & 0x004 != 0).count();
    let syns: Vec<&Vec<String>> = ours.rows.iter().filter(|r| flags(r) & 0x012 == 0x002).collect();
    if mid {
        assert!(syns.is_empty(), "the midstream capture starts after the handshake");
        return;
    }
    assert!(rsts >= 1, "{}: no RST", file.display());
    assert!(!syns.is_empty());
    if !veth {
        // Socket traffic on loopback is left partial; the RST the kernel answers a refused
        // SYN with is computed in full over IPv4 (tcp_v4_send_reset), and left partial over
        // IPv6 too (tcp_v6_send_response calls __tcp_v6_send_check, which sets up offload).
        for r in &ours.rows {
            let rst = flags(r) & 0x004 != 0;
            let want = if rst && family.name == "ipv4" {
                "good"
            } else {
                "partial"
            };
            let frame = ours.get(r, "frame.number");
            assert_eq!(ours.get(r, "synack.tcp.checksum"), want, "loopback frame {frame}");
        }
        return;
    }
    assert!(rsts >= 2, "refused and abort each leave a RST");
    let has = |name: &str| syns.iter().any(|r| !ours.get(r, name).is_empty());
    let lacks = |name: &str| syns.iter().any(|r| ours.get(r, name).is_empty());
    assert!(lacks("tcp.options.timestamp.tsval"), "a SYN without timestamps");
    assert!(has("tcp.options.timestamp.tsval"), "a SYN with timestamps");
    assert!(lacks("tcp.options.wscale.shift"), "a SYN without window scale");
    assert!(lacks("tcp.options.sack_perm"), "a SYN without SACK");
    assert!(
        ours.rows.iter().any(|r| ours.get(r, "tcp.len") == "5"),
        "the lab's 5 bytes"
    );
    if family.name == "ipv6" {
        let dstopts = ours
            .rows
            .iter()
            .filter(|r| ours.get(r, "ipv6.dstopts.nxt") == "6")
            .count();
        assert!(
            dstopts >= 5,
            "the dstopts scenario's segments carry the header ({dstopts})"
        );
    }
    let verdicts: std::collections::HashSet<&str> =
        ours.rows.iter().map(|r| ours.get(r, "synack.tcp.checksum")).collect();
    assert!(
        verdicts.contains("good") && verdicts.contains("partial"),
        "verdicts seen: {verdicts:?}"
    );
}
