//! Zeek's inactivity timer on the kernel's own captures: the veth capture rewritten with an
//! idle gap (every frame from the lab's data on shifted later), not made by sleeping.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use synack::capture::{CaptureReader, write};
use synack::driver::{Driver, Output};
use synack::track::{Config, ConnState};

use crate::common::needs;
use crate::net::captures;

/// Each server port's rows (conn_state and history), in order of their start.
fn rows(file: &Path) -> BTreeMap<u16, Vec<(ConnState, String)>> {
    let mut all: Vec<_> = Driver::open(file, Config::default())
        .expect("the capture opens")
        .filter_map(|o| match o.expect("the capture reads to its end") {
            Output::Summary(s) => Some(s),
            _ => None,
        })
        .collect();
    all.sort_by_key(|s| s.start);
    let mut by_port: BTreeMap<u16, Vec<(ConnState, String)>> = BTreeMap::new();
    for s in all {
        by_port
            .entry(s.key.server.port)
            .or_default()
            .push((s.conn_state, s.history.as_str().to_string()));
    }
    by_port
}

/// A copy of `file` with every frame from the first one carrying the lab's 5 bytes (port
/// 1005) on `gap` later.
fn shifted(file: &Path, gap: Duration) -> PathBuf {
    let out_path = file.with_file_name(format!(
        "{}-idle-{}ms.pcap",
        file.file_stem().unwrap().to_string_lossy(),
        gap.as_millis()
    ));
    let mut out = Vec::new();
    write::header(&mut out, synack::wire::LinkType::ETHERNET, 262_144).unwrap();
    let mut reader = CaptureReader::open(file).unwrap();
    let mut shift = Duration::ZERO;
    while let Some(Ok(f)) = reader.next_frame() {
        let d = f.dissect();
        if d.tcp.is_some_and(|t| t.dst_port == 1005) && d.payload.len() == 5 {
            shift = gap;
        }
        write::record(&mut out, f.timestamp + shift, f.data, f.orig_len).unwrap();
    }
    assert_eq!(shift, gap, "the lab's data is in {}", file.display());
    std::fs::write(&out_path, out).unwrap();
    out_path
}

/// `Session::InactivityTimer` (`src/Session.cc`): a connection is removed once `last_time +
/// tcp_inactivity_timeout <= t` (5 min, `init-bare.zeek`) and logged; a later packet starts a
/// new row with its own history. The lab's connection idle 300 s after its handshake gives
/// two rows (the first `ShA`, S1: both endpoints established; the second from the data on,
/// no SYN in it); idle 299 s, one row as captured. No other row changes.
#[test]
fn idle_kernel_connections_split_as_zeeks_inactivity_timer_says() {
    if !needs(
        "idle_kernel_connections_split_as_zeeks_inactivity_timer_says",
        &crate::TRAFFIC,
    ) {
        return;
    }
    for c in captures() {
        let before = rows(&c.veth);
        assert_eq!(before[&1005], [(ConnState::SF, before[&1005][0].1.clone())]);
        // The lab's client sends 50 ms after the handshake: 299 s more stays below 300 s.
        let kept = rows(&shifted(&c.veth, Duration::from_secs(299)));
        assert_eq!(kept, before, "{}: idle 299 s", c.family.name);
        let split = rows(&shifted(&c.veth, Duration::from_secs(300)));
        let lab = &split[&1005];
        assert_eq!(lab.len(), 2, "{}: {lab:?}", c.family.name);
        assert_eq!(lab[0], (ConnState::S1, "ShA".to_string()));
        assert!(!lab[1].1.contains(['S', 'h']), "{}: {lab:?}", c.family.name);
        for (port, r) in &before {
            if *port != 1005 {
                assert_eq!(&split[port], r, "{}: port {port}", c.family.name);
            }
        }
        eprintln!(
            "inactivity on kernel traffic over {}: {} ports unchanged, the lab split into {:?}",
            c.family.name,
            before.len() - 1,
            lab
        );
    }
}
