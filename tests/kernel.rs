//! The Linux kernel's own TCP traffic between two network namespaces, captured by tcpdump:
//! diffed against tshark 4.0 column for column (`kernel_traffic_matches_tshark`), and read by
//! the tracker, one scenario per outcome (`tracker_on_kernel_traffic`, which needs no tshark).
//! The captures are made once per run of this file and read by both tests.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Need, Tally, compare, dissect_fields, needs, report, tshark_fields};

/// What making the captures needs.
const TRAFFIC: [Need; 5] = [Need::Ip, Need::Tc, Need::Sysctl, Need::Tcpdump, Need::Netns];

// ---------------------------------------------------------------------------------------------
// Real kernel traffic between two network namespaces.
// ---------------------------------------------------------------------------------------------

const NS_CLIENT: &str = "synack-c";
const NS_SERVER: &str = "synack-s";
const CLIENT_IP: &str = "198.18.0.1";
const SERVER_IP: &str = "198.18.0.2";
const SERVER_MAC: &str = "02:00:00:00:00:02";
const UNANSWERED_IP: &str = "198.18.0.3";

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn must(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two namespaces joined by a veth pair; removed on drop.
struct Netns;

impl Netns {
    fn new() -> Netns {
        for ns in [NS_CLIENT, NS_SERVER] {
            sh(&["ip", "netns", "del", ns]);
            must(&["ip", "netns", "add", ns]);
        }
        must(&[
            "ip",
            "link",
            "add",
            "synack-c0",
            "netns",
            NS_CLIENT,
            "type",
            "veth",
            "peer",
            "name",
            "synack-s0",
            "netns",
            NS_SERVER,
        ]);
        must(&[
            "ip",
            "-n",
            NS_CLIENT,
            "addr",
            "add",
            &format!("{CLIENT_IP}/24"),
            "dev",
            "synack-c0",
        ]);
        must(&[
            "ip",
            "-n",
            NS_SERVER,
            "addr",
            "add",
            &format!("{SERVER_IP}/24"),
            "dev",
            "synack-s0",
        ]);
        must(&["ip", "-n", NS_SERVER, "link", "set", "synack-s0", "address", SERVER_MAC]);
        // An address nobody answers: frames for it reach the server, which drops them.
        must(&[
            "ip",
            "-n",
            NS_CLIENT,
            "neigh",
            "replace",
            UNANSWERED_IP,
            "lladdr",
            SERVER_MAC,
            "dev",
            "synack-c0",
            "nud",
            "permanent",
        ]);
        for (ns, dev) in [(NS_CLIENT, "synack-c0"), (NS_SERVER, "synack-s0")] {
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        // The client computes its checksums; the server leaves them to (absent) offload, so the
        // capture on the client shows both verdicts, as the seed does. The tracker's scenarios
        // do not depend on it, and run without ethtool.
        if Need::Ethtool.present() {
            must(&[
                "ip",
                "netns",
                "exec",
                NS_CLIENT,
                "ethtool",
                "-K",
                "synack-c0",
                "tx",
                "off",
            ]);
        }
        Netns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [NS_CLIENT, NS_SERVER] {
            sh(&["ip", "netns", "del", ns]);
        }
    }
}

struct Capture {
    child: Child,
}

impl Capture {
    fn start(ns: &str, dev: &str, file: &Path) -> Capture {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                ns,
                "tcpdump",
                "-i",
                dev,
                "-n",
                "-s",
                "0",
                "-U",
                "--immediate-mode",
                "-B",
                "262144",
                "-w",
            ])
            .arg(file)
            // No capture filter: on this kernel a `tcp` filter on a namespace's loopback
            // passes nothing, and the namespaces carry only the test's traffic anyway.
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump");
        // Wait for "listening on" so no packet is missed.
        let mut stderr = child.stderr.take().unwrap();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        use std::io::Read;
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("listening on") {
            assert!(Instant::now() < deadline, "tcpdump did not start");
            match stderr.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        // "listening on" comes a moment before the socket sees packets.
        std::thread::sleep(Duration::from_millis(500));
        Capture { child }
    }

    fn stop(mut self) {
        std::thread::sleep(Duration::from_millis(300));
        sh(&["kill", "-INT", &self.child.id().to_string()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs one scenario: a server in `server_ns` (unless the scenario has none) and a client in
/// `client_ns`, each bounded in time.
fn play(server_ns: &str, client_ns: &str, addr: &str, scenario: &str) {
    let traffic = common::example("traffic");
    let mut server = (!matches!(scenario, "refused" | "unanswered")).then(|| {
        let mut child = Command::new("ip")
            .args(["netns", "exec", server_ns])
            .arg(&traffic)
            .args(["server", addr, scenario])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start server");
        let mut out = child.stdout.take().unwrap();
        let mut b = [0u8; 16];
        use std::io::Read;
        let _ = out.read(&mut b); // "listening"
        child
    });
    let status = Command::new("ip")
        .args(["netns", "exec", client_ns])
        .arg(&traffic)
        .args(["client", addr, scenario])
        .status()
        .expect("client");
    assert!(status.success(), "client {scenario} failed");
    if let Some(s) = server.as_mut() {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(st) = s.try_wait().unwrap() {
                assert!(st.success(), "server {scenario} failed");
                break;
            }
            if Instant::now() > deadline {
                let _ = s.kill();
                panic!("server {scenario} did not finish");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Waits (at most 20 s) until the root queues of `devs` have held nothing for two looks
/// 300 ms apart: an ACK leaving one queue may put an answer into the other.
fn drain(devs: &[(&str, &str)]) {
    let empty = |ns: &str, dev: &str| {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "tc", "-s", "qdisc", "show", "dev", dev])
            .output()
            .expect("run tc");
        String::from_utf8_lossy(&out.stdout).contains("backlog 0b 0p")
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut quiet = 0;
    while quiet < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "queues on {devs:?} did not drain in 20 s"
        );
        quiet = if devs.iter().all(|&(ns, dev)| empty(ns, dev)) {
            quiet + 1
        } else {
            0
        };
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn sysctl(ns: &str, key: &str, value: &str) {
    must(&[
        "ip",
        "netns",
        "exec",
        ns,
        "sysctl",
        "-q",
        "-w",
        &format!("{key}={value}"),
    ]);
}

/// The captures of one run: every scenario on the veth link seen from the client, a
/// connection whose capture starts after its handshake, and loopback inside one namespace.
struct Captures {
    veth: PathBuf,
    mid: PathBuf,
    lo: PathBuf,
}

/// Makes the captures on first use (the callers have checked `TRAFFIC`). The client's
/// transmit checksum offload is switched off when ethtool is there, so the veth capture shows
/// both verdicts (good from the client, partial from the server), as the seed does.
fn captures() -> &'static Captures {
    static CAPTURES: OnceLock<Captures> = OnceLock::new();
    CAPTURES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kernel");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        make_captures(&dir)
    })
}

fn make_captures(dir: &Path) -> Captures {
    let _ns = Netns::new();
    let veth = dir.join("veth.pcap");
    let cap = Capture::start(NS_CLIENT, "synack-c0", &veth);
    let port = |p: u16| format!("{SERVER_IP}:{p}");
    play(NS_SERVER, NS_CLIENT, &port(1005), "lab");
    play(NS_SERVER, NS_CLIENT, &port(1006), "client-close");
    play(NS_SERVER, NS_CLIENT, &port(1007), "refused");
    play(NS_SERVER, NS_CLIENT, &port(1008), "abort");
    play(NS_SERVER, NS_CLIENT, &port(1009), "bulk");
    // SYNs without timestamps, window scaling, SACK, then without all three.
    for (i, key) in [
        "net.ipv4.tcp_timestamps",
        "net.ipv4.tcp_window_scaling",
        "net.ipv4.tcp_sack",
    ]
    .iter()
    .enumerate()
    {
        sysctl(NS_CLIENT, key, "0");
        play(NS_SERVER, NS_CLIENT, &port(1010 + i as u16), "lab");
    }
    for key in [
        "net.ipv4.tcp_timestamps",
        "net.ipv4.tcp_window_scaling",
        "net.ipv4.tcp_sack",
    ] {
        sysctl(NS_CLIENT, key, "1");
    }
    // The tracker's scenarios.
    play(NS_SERVER, NS_CLIENT, &port(1040), "half-close");
    play(NS_SERVER, NS_CLIENT, &port(1041), "reuse");
    play(NS_SERVER, NS_CLIENT, &port(1042), "keepalive");
    play(NS_SERVER, NS_CLIENT, &port(1043), "zero-window");
    play(NS_SERVER, NS_CLIENT, &format!("{UNANSWERED_IP}:1044"), "unanswered");
    // A simultaneous close: a slow token bucket on both ends holds each side's data and FIN
    // for about two seconds, so both FINs leave before either arrives.
    for (ns, dev) in [(NS_CLIENT, "synack-c0"), (NS_SERVER, "synack-s0")] {
        must(&[
            "ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "16kbit", "burst",
            "2000", "limit", "100000",
        ]);
    }
    play(NS_SERVER, NS_CLIENT, &port(1046), "simultaneous-close");
    // The programs exit once each has read the other's FIN, while the last ACKs still wait in
    // the slow queues; deleting a queue drops what it holds, so let both drain first.
    let queues = [(NS_CLIENT, "synack-c0"), (NS_SERVER, "synack-s0")];
    drain(&queues);
    for (ns, dev) in queues {
        must(&["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root"]);
    }
    cap.stop();

    // A capture that starts after the handshake.
    let mid = dir.join("midstream.pcap");
    let player = std::thread::spawn(move || play(NS_SERVER, NS_CLIENT, &format!("{SERVER_IP}:1045"), "midstream"));
    std::thread::sleep(Duration::from_millis(200));
    let cap = Capture::start(NS_CLIENT, "synack-c0", &mid);
    player.join().expect("midstream scenario");
    cap.stop();

    // Loopback inside one namespace: the kernel leaves partial checksums there.
    let lo = dir.join("lo.pcap");
    let cap = Capture::start(NS_SERVER, "lo", &lo);
    play(NS_SERVER, NS_SERVER, &format!("127.0.0.1:{}", 1005), "lab");
    play(NS_SERVER, NS_SERVER, &format!("127.0.0.1:{}", 1020), "refused");
    cap.stop();

    Captures { veth, mid, lo }
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

// ---------------------------------------------------------------------------------------------
// The tracker on the kernel's traffic: one scenario per outcome.
// ---------------------------------------------------------------------------------------------

/// The events and summaries of one server port.
struct Conversation {
    events: Vec<synack::track::Event>,
    summaries: Vec<synack::track::ConnSummary>,
}

fn track(file: &Path) -> HashMap<u16, Conversation> {
    use synack::capture::CaptureReader;
    use synack::track::{Config, Tracker};
    let mut tracker = Tracker::new(Config::default());
    let mut events = Vec::new();
    let mut reader = CaptureReader::open(file).unwrap();
    while let Some(Ok(cf)) = reader.next_frame() {
        let frame = cf.dissect();
        events.extend_from_slice(tracker.observe(cf.timestamp, &frame));
    }
    let mut by_port: HashMap<u16, Conversation> = HashMap::new();
    for e in events {
        by_port
            .entry(e.key.server.port)
            .or_insert_with(|| Conversation {
                events: vec![],
                summaries: vec![],
            })
            .events
            .push(e);
    }
    for s in tracker.finish() {
        by_port
            .entry(s.key.server.port)
            .or_insert_with(|| Conversation {
                events: vec![],
                summaries: vec![],
            })
            .summaries
            .push(s);
    }
    by_port
}

#[test]
fn tracker_on_kernel_traffic() {
    if !needs("tracker_on_kernel_traffic", &TRAFFIC) {
        return;
    }
    let Captures { veth, mid, .. } = captures();
    use synack::track::{AnalysisFlags, Anomaly, CloseCause, ConnState, Direction, EventKind, Roles, TcpState};
    let conv = track(veth);
    let get = |port: u16| {
        conv.get(&port)
            .unwrap_or_else(|| panic!("no connection on port {port}"))
    };
    let kinds = |port: u16| get(port).events.iter().map(|e| e.kind).collect::<Vec<_>>();
    let cause = |port: u16| {
        kinds(port)
            .iter()
            .find_map(|k| if let EventKind::Closed(c) = k { Some(*c) } else { None })
    };
    let state = |port: u16| get(port).summaries.iter().map(|s| s.conn_state).collect::<Vec<_>>();
    let analysis = |port: u16| {
        kinds(port).iter().fold(AnalysisFlags::empty(), |acc, k| match k {
            EventKind::Anomaly(Anomaly::Analysis { flags, .. }) => acc | *flags,
            _ => acc,
        })
    };
    let mut report = Vec::new();

    // The lab exchange: the server closes first; every step of the teardown is seen.
    let k = kinds(1005);
    let steps: Vec<&str> = k
        .iter()
        .filter_map(|k| match k {
            EventKind::Syn { .. } => Some("syn"),
            EventKind::SynAck { .. } => Some("synack"),
            EventKind::Established(_) => Some("established"),
            EventKind::Fin { first: true, .. } => Some("fin1"),
            EventKind::FinAcked => Some("fin1-acked"),
            EventKind::Fin { first: false, .. } => Some("fin2"),
            EventKind::FinalAck => Some("final-ack"),
            EventKind::Closed(_) => Some("closed"),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        [
            "syn",
            "synack",
            "established",
            "fin1",
            "fin1-acked",
            "fin2",
            "final-ack",
            "closed"
        ]
    );
    assert_eq!(
        cause(1005),
        Some(CloseCause::Graceful {
            initiator: Direction::ServerToClient,
            half_close: false
        })
    );
    assert_eq!(state(1005), [ConnState::SF]);
    let fin1 = get(1005)
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Fin { first: true, .. }))
        .unwrap();
    assert_eq!(fin1.direction, Direction::ServerToClient);
    report.push("lab: graceful, server first, SF");

    assert_eq!(
        cause(1006),
        Some(CloseCause::Graceful {
            initiator: Direction::ClientToServer,
            half_close: false
        })
    );
    assert_eq!(state(1006), [ConnState::SF]);
    report.push("client-close: graceful, client first, SF");

    assert_eq!(cause(1007), Some(CloseCause::Refused));
    assert_eq!(state(1007), [ConnState::REJ]);
    report.push("refused: REJ");

    assert!(
        matches!(
            cause(1008),
            Some(CloseCause::Reset {
                by: Direction::ClientToServer,
                in_window: true,
                ..
            })
        ),
        "{:?}",
        cause(1008)
    );
    assert_eq!(state(1008), [ConnState::RSTO]);
    report.push("abort: reset by the client, RSTO");

    // The server sends "ok" and closes; the client closes as soon as it reads "ok". Whether
    // the two FINs cross on the wire (a simultaneous close) is up to the scheduler: the
    // cause must say which happened, from the frames themselves.
    let fins: Vec<&synack::track::Event> = get(1009)
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Fin { .. }))
        .collect();
    assert_eq!(fins.len(), 2);
    let crossed = !get(1009)
        .events
        .iter()
        .any(|e| e.kind == EventKind::FinAcked && e.frame == fins[1].frame);
    let want = if crossed {
        CloseCause::Simultaneous
    } else {
        CloseCause::Graceful {
            initiator: fins[0].direction,
            half_close: false,
        }
    };
    assert_eq!(cause(1009), Some(want));
    assert_eq!(state(1009), [ConnState::SF]);

    // The established handshake values are the kernel's.
    let Some(EventKind::Established(h)) = kinds(1009).into_iter().find(|k| matches!(k, EventKind::Established(_)))
    else {
        panic!("no handshake on 1009")
    };
    assert_eq!(h.mss, [Some(1460), Some(1460)]);
    assert!(h.sack_permitted && h.timestamps && h.window_scale.is_some());
    assert!(h.syn_to_synack.is_some() && h.synack_to_ack.is_some());
    report.push("bulk: SF, MSS 1460/1460, SACK, timestamps, window scale");

    assert_eq!(
        cause(1040),
        Some(CloseCause::Graceful {
            initiator: Direction::ClientToServer,
            half_close: true
        })
    );
    assert_eq!(state(1040), [ConnState::SF]);
    report.push("half-close: graceful with data after the first FIN, SF");

    let reuse = get(1041);
    assert_eq!(reuse.summaries.len(), 5, "five connections on one 4-tuple");
    assert!(
        reuse
            .summaries
            .iter()
            .all(|s| s.conn_state == ConnState::SF && s.key.client.port == 45000)
    );
    let closes = reuse
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Closed(CloseCause::Graceful { .. })))
        .count();
    assert_eq!(closes, 5);
    report.push("reuse: 5 connections from port 45000, each SF");

    let ka = analysis(1042);
    assert!(
        ka.contains(AnalysisFlags::KEEP_ALIVE) && ka.contains(AnalysisFlags::KEEP_ALIVE_ACK),
        "{ka:?}"
    );
    assert_eq!(state(1042), [ConnState::SF]);
    report.push("keepalive: keep-alive and keep-alive ACK, SF");

    let zw = analysis(1043);
    assert!(zw.contains(AnalysisFlags::ZERO_WINDOW), "{zw:?}");
    assert_eq!(state(1043), [ConnState::SF]);
    report.push("zero-window: zero window seen, SF");

    assert_eq!(cause(1046), Some(CloseCause::Simultaneous));
    assert_eq!(state(1046), [ConnState::SF]);
    report.push("simultaneous-close: the FINs crossed, SF");

    let un = get(1044);
    assert!(
        un.events.iter().any(|e| matches!(
            e.kind,
            EventKind::Syn {
                retransmission: true,
                ..
            }
        )),
        "SYN retransmitted"
    );
    assert_eq!(state(1044), [ConnState::S0]);
    assert!(matches!(
        un.summaries[0].cause,
        CloseCause::EndOfCapture {
            client: TcpState::SynSent,
            ..
        }
    ));
    report.push("unanswered: SYN retransmitted, S0");

    let mid = track(mid);
    let m = mid.get(&1045).expect("the midstream connection");
    assert_eq!(m.events[0].kind, EventKind::New { roles: Roles::Guessed });
    assert!(!m.events.iter().any(|e| matches!(e.kind, EventKind::Established(_))));
    assert!(matches!(
        m.events
            .iter()
            .rev()
            .find_map(|e| if let EventKind::Closed(c) = e.kind {
                Some(c)
            } else {
                None
            }),
        Some(CloseCause::Graceful { .. })
    ));
    // Zeek: both sides partial, then both closed.
    assert_eq!(m.summaries[0].conn_state, ConnState::SF);
    assert!(!m.summaries[0].history.as_str().contains('S'));
    report.push("midstream: roles guessed, no handshake, closed gracefully, SF without S");
    for r in report {
        eprintln!("tracker on kernel traffic: {r}");
    }
}
