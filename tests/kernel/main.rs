//! The Linux kernel's own TCP traffic between two network namespaces, captured by tcpdump:
//! diffed against tshark 4.0 column for column (`kernel_traffic_matches_tshark`), and read by
//! the tracker, one scenario per outcome (`tracker::tracker_on_kernel_traffic`, which needs no
//! tshark). The captures are made once per run of this binary (`net`) and read by both tests;
//! the two sides of each scenario (`traffic`) are this binary again, started in a namespace
//! (`traffic_role`).

#[path = "../common/mod.rs"]
mod common;
mod net;
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

#[test]
fn kernel_traffic_matches_tshark() {
    let mut what = TRAFFIC.to_vec();
    what.extend([Need::Tshark, Need::Ethtool]);
    if !needs("kernel_traffic_matches_tshark", &what) {
        return;
    }
    let Captures { veth, mid, lo } = captures();
    let mut tally = Tally::default();
    for file in [veth, lo, mid] {
        let (ours, stderr) = dissect_fields(file);
        assert!(stderr.is_empty(), "dissect: {stderr}");
        let theirs = tshark_fields(file);
        assert_eq!(ours.rows.len(), theirs.rows.len(), "frame count of {}", file.display());
        compare(file, &ours, &theirs, &mut tally);

        // The scenarios really happened: count what they leave in the capture.
        let flags =
            |r: &Vec<String>| u16::from_str_radix(ours.get(r, "tcp.flags").trim_start_matches("0x"), 16).unwrap_or(0);
        let rsts = ours.rows.iter().filter(|r| flags(r) & 0x004 != 0).count();
        let syns: Vec<&Vec<String>> = ours.rows.iter().filter(|r| flags(r) & 0x012 == 0x002).collect();
        if file == mid {
            assert!(syns.is_empty(), "the midstream capture starts after the handshake");
            continue;
        }
        assert!(rsts >= 1, "{}: no RST", file.display());
        assert!(!syns.is_empty());
        if file == veth {
            assert!(rsts >= 2, "refused and abort each leave a RST");
            assert!(
                syns.iter()
                    .any(|r| ours.get(r, "tcp.options.timestamp.tsval").is_empty()),
                "a SYN without timestamps"
            );
            assert!(
                syns.iter()
                    .any(|r| !ours.get(r, "tcp.options.timestamp.tsval").is_empty()),
                "a SYN with timestamps"
            );
            assert!(
                syns.iter().any(|r| ours.get(r, "tcp.options.wscale.shift").is_empty()),
                "a SYN without window scale"
            );
            assert!(
                syns.iter().any(|r| ours.get(r, "tcp.options.sack_perm").is_empty()),
                "a SYN without SACK"
            );
            assert!(
                ours.rows.iter().any(|r| ours.get(r, "tcp.len") == "5"),
                "the lab's 5 bytes"
            );
            let verdicts: std::collections::HashSet<&str> =
                ours.rows.iter().map(|r| ours.get(r, "synack.tcp.checksum")).collect();
            assert!(
                verdicts.contains("good") && verdicts.contains("partial"),
                "verdicts seen: {verdicts:?}"
            );
        } else {
            // Socket traffic on loopback is left partial; the RST the kernel answers a refused
            // SYN with (tcp_v4_send_reset) is computed in full.
            for r in &ours.rows {
                let want = if flags(r) & 0x004 != 0 { "good" } else { "partial" };
                assert_eq!(
                    ours.get(r, "synack.tcp.checksum"),
                    want,
                    "loopback frame {}",
                    ours.get(r, "frame.number")
                );
            }
        }
    }
    report("kernel traffic", &tally);
    assert!(tally.frames > 40, "too few frames: {}", tally.frames);
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches against tshark",
        tally.mismatches.len()
    );
}
