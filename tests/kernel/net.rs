//! The namespaces, the captures and the scenarios played between them: the kernel's traffic
//! is made once per run of the kernel tests and read by each.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::Need;

// ---------------------------------------------------------------------------------------------
// Real kernel traffic between two network namespaces.
// ---------------------------------------------------------------------------------------------

const NS_CLIENT: &str = "synack-c";
const NS_SERVER: &str = "synack-s";
const CLIENT_IP: &str = "198.18.0.1";
const SERVER_IP: &str = "198.18.0.2";
const SERVER_MAC: &str = "02:00:00:00:00:02";
const UNANSWERED_IP: &str = "198.18.0.3";
const CLIENT_IP6: &str = "fd00:5ac::1";
const SERVER_IP6: &str = "fd00:5ac::2";
const UNANSWERED_IP6: &str = "fd00:5ac::3";

/// The addresses of one family's scenarios, as socket addresses take them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Family {
    /// `ipv4` or `ipv6`, for file names and messages.
    pub(crate) name: &'static str,
    server: &'static str,
    unanswered: &'static str,
    loopback: &'static str,
}

impl Family {
    pub(crate) const V4: Family = Family {
        name: "ipv4",
        server: SERVER_IP,
        unanswered: UNANSWERED_IP,
        loopback: "127.0.0.1",
    };
    pub(crate) const V6: Family = Family {
        name: "ipv6",
        server: SERVER_IP6,
        unanswered: UNANSWERED_IP6,
        loopback: "::1",
    };

    /// `addr:port`, bracketed for IPv6.
    fn at(self, addr: &str, port: u16) -> String {
        if addr.contains(':') {
            format!("[{addr}]:{port}")
        } else {
            format!("{addr}:{port}")
        }
    }
}

pub(crate) fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub(crate) fn must(args: &[&str]) {
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
        ip(&format!(
            "link add synack-c0 netns {NS_CLIENT} type veth peer name synack-s0 netns {NS_SERVER}"
        ));
        ip(&format!("-n {NS_CLIENT} addr add {CLIENT_IP}/24 dev synack-c0"));
        ip(&format!("-n {NS_SERVER} addr add {SERVER_IP}/24 dev synack-s0"));
        // IPv6 beside IPv4, usable at once (no duplicate address detection).
        ip(&format!("-n {NS_CLIENT} addr add {CLIENT_IP6}/64 dev synack-c0 nodad"));
        ip(&format!("-n {NS_SERVER} addr add {SERVER_IP6}/64 dev synack-s0 nodad"));
        ip(&format!("-n {NS_SERVER} link set synack-s0 address {SERVER_MAC}"));
        // Addresses nobody answers: frames for them reach the server, which drops them.
        for a in [UNANSWERED_IP, UNANSWERED_IP6] {
            ip(&format!(
                "-n {NS_CLIENT} neigh replace {a} lladdr {SERVER_MAC} dev synack-c0 nud permanent"
            ));
        }
        for (ns, dev) in [(NS_CLIENT, "synack-c0"), (NS_SERVER, "synack-s0")] {
            ip(&format!("-n {ns} link set {dev} up"));
            ip(&format!("-n {ns} link set lo up"));
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

/// Runs `ip` with the words of `args`, which must succeed.
pub(crate) fn ip(args: &str) {
    let mut cmd = vec!["ip"];
    cmd.extend(args.split_whitespace());
    must(&cmd);
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [NS_CLIENT, NS_SERVER] {
            sh(&["ip", "netns", "del", ns]);
        }
    }
}

pub(crate) struct Capture {
    child: Child,
}

impl Capture {
    pub(crate) fn start(ns: &str, dev: &str, file: &Path) -> Capture {
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

    pub(crate) fn stop(mut self) {
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
pub(crate) fn play(server_ns: &str, client_ns: &str, addr: &str, scenario: &str) {
    let mut server = (!matches!(scenario, "refused" | "unanswered")).then(|| {
        let mut child = role(server_ns, "server", addr, scenario)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start server");
        // The server says when it listens (after libtest's own words, maybe on their line).
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        use std::io::BufRead;
        let mut line = String::new();
        while matches!(out.read_line(&mut line), Ok(n) if n > 0) && !line.contains(crate::traffic::LISTENING) {
            line.clear();
        }
        // Read the rest, so the server's last words do not meet a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        child
    });
    let status = role(client_ns, "client", addr, scenario)
        .stdout(Stdio::null())
        .status()
        .expect("client");
    assert!(status.success(), "client {scenario} failed");
    if let Some(s) = server.as_mut() {
        let deadline = Instant::now() + Duration::from_secs(40);
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

/// This test binary, started in namespace `ns` to play one side of a scenario (see
/// `traffic_role`).
fn role(ns: &str, side: &str, addr: &str, scenario: &str) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns])
        .arg(std::env::current_exe().expect("the test binary"))
        .args([
            "--ignored",
            "--exact",
            "traffic_role",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(crate::traffic::ROLE_VAR, format!("{side} {addr} {scenario}"));
    c
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

pub(crate) fn sysctl(ns: &str, key: &str, value: &str) {
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
/// The captures of one family: every scenario on the veth link seen from the client, a
/// connection whose capture starts after its handshake, and loopback inside one namespace.
pub(crate) struct Captures {
    pub(crate) family: Family,
    pub(crate) veth: PathBuf,
    pub(crate) mid: PathBuf,
    pub(crate) lo: PathBuf,
}

/// Makes the captures on first use (the callers have checked `TRAFFIC`). The client's
/// transmit checksum offload is switched off when ethtool is there, so the veth capture shows
/// both verdicts (good from the client, partial from the server), as the seed does.
pub(crate) fn captures() -> &'static [Captures; 2] {
    static CAPTURES: OnceLock<[Captures; 2]> = OnceLock::new();
    CAPTURES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kernel");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let _ns = Netns::new();
        [Family::V4, Family::V6].map(|f| make_captures(&dir, f))
    })
}

/// Plays every scenario over one family, in the namespaces already made.
fn make_captures(dir: &Path, fam: Family) -> Captures {
    let veth = dir.join(format!("veth-{}.pcap", fam.name));
    let cap = Capture::start(NS_CLIENT, "synack-c0", &veth);
    veth_scenarios(&fam);
    cap.stop();

    // A capture that starts after the handshake.
    let mid = dir.join(format!("midstream-{}.pcap", fam.name));
    let at = fam.at(fam.server, 1045);
    let player = std::thread::spawn(move || play(NS_SERVER, NS_CLIENT, &at, "midstream"));
    std::thread::sleep(Duration::from_millis(200));
    let cap = Capture::start(NS_CLIENT, "synack-c0", &mid);
    player.join().expect("midstream scenario");
    cap.stop();

    // Loopback inside one namespace: the kernel leaves partial checksums there.
    let lo = dir.join(format!("lo-{}.pcap", fam.name));
    let cap = Capture::start(NS_SERVER, "lo", &lo);
    play(NS_SERVER, NS_SERVER, &fam.at(fam.loopback, 1005), "lab");
    play(NS_SERVER, NS_SERVER, &fam.at(fam.loopback, 1020), "refused");
    cap.stop();

    Captures {
        family: fam,
        veth,
        mid,
        lo,
    }
}

/// The scenarios captured on the client's veth, one port each.
fn veth_scenarios(fam: &Family) {
    let port = |p: u16| fam.at(fam.server, p);
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
    // Where a FIN and a RST meet.
    for (p, scenario) in [
        (1049, "fin-then-reset"),
        (1050, "server-abort"),
        (1051, "data-after-close"),
        (1052, "fin-then-abort"),
    ] {
        play(NS_SERVER, NS_CLIENT, &port(p), scenario);
    }
    play(NS_SERVER, NS_CLIENT, &fam.at(fam.unanswered, 1044), "unanswered");
    simultaneous_close(&port(1046));
    // TCP Fast Open (the client caches the cookie per server address, so each family asks).
    for ns in [NS_CLIENT, NS_SERVER] {
        sysctl(ns, "net.ipv4.tcp_fastopen", "3");
    }
    play(NS_SERVER, NS_CLIENT, &port(1048), "fastopen");
    if fam.name == "ipv6" {
        // The lab exchange with a destination options header on the client's segments.
        play(NS_SERVER, NS_CLIENT, &port(1047), "dstopts");
    }
}

/// A simultaneous close at `at`: a slow token bucket on both ends holds each side's data and
/// FIN for about two seconds, so both FINs leave before either arrives.
fn simultaneous_close(at: &str) {
    for (ns, dev) in [(NS_CLIENT, "synack-c0"), (NS_SERVER, "synack-s0")] {
        must(&[
            "ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "16kbit", "burst",
            "2000", "limit", "100000",
        ]);
    }
    play(NS_SERVER, NS_CLIENT, at, "simultaneous-close");
    // The programs exit once each has read the other's FIN, while the last ACKs still wait in
    // the slow queues; deleting a queue drops what it holds, so let both drain first.
    let queues = [(NS_CLIENT, "synack-c0"), (NS_SERVER, "synack-s0")];
    drain(&queues);
    for (ns, dev) in queues {
        must(&["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root"]);
    }
}
