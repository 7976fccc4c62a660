//! The impaired path: a client and a server namespace joined through a middle one, where
//! the forwarder drops, duplicates and reorders TCP segments. 5 MiB bulk transfers cross
//! it, for each family, TCP option setting and seed, captured on both sides: the sender's
//! capture shows retransmissions of segments that never arrived, the receiver's the holes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::forwarder::{Done, Forwarder, Rates};
use crate::net::{Capture, Family, ip, must, play, sh, sysctl};

const NS_CLIENT: &str = "synack-ic";
const NS_MIDDLE: &str = "synack-im";
const NS_SERVER: &str = "synack-is";
const CLIENT_MAC: &str = "02:00:00:00:01:01";
const SERVER_MAC: &str = "02:00:00:00:01:02";

/// The impairment: 1 % of the segments dropped, 1 % duplicated, 2 % held back one frame.
const RATES: Rates = Rates {
    drop: 10,
    duplicate: 10,
    reorder: 20,
};

/// The seeds CI runs.
const SEEDS: [u64; 2] = [1, 2];

/// One transfer through the impaired path, as each side captured it.
pub(crate) struct Transfer {
    /// Family, options and seed, for messages.
    pub name: String,
    /// The capture on the client, which sends the 5 MiB.
    pub sender: PathBuf,
    /// The capture on the server.
    pub receiver: PathBuf,
    /// What the forwarder did.
    pub done: Done,
}

/// The three namespaces and the two veth pairs; removed on drop.
struct Path3;

impl Path3 {
    fn new() -> Path3 {
        for ns in [NS_CLIENT, NS_MIDDLE, NS_SERVER] {
            sh(&["ip", "netns", "del", ns]);
            must(&["ip", "netns", "add", ns]);
        }
        ip(&format!(
            "link add synack-ic0 netns {NS_CLIENT} type veth peer name synack-im0 netns {NS_MIDDLE}"
        ));
        ip(&format!(
            "link add synack-is0 netns {NS_SERVER} type veth peer name synack-im1 netns {NS_MIDDLE}"
        ));
        let ends = [
            (NS_CLIENT, "synack-ic0", CLIENT_MAC, "198.19.0.1", "fd00:5ad::1"),
            (NS_SERVER, "synack-is0", SERVER_MAC, "198.19.0.2", "fd00:5ad::2"),
        ];
        for (i, (ns, dev, mac, v4, v6)) in ends.into_iter().enumerate() {
            ip(&format!("-n {ns} link set {dev} address {mac}"));
            ip(&format!("-n {ns} addr add {v4}/24 dev {dev}"));
            ip(&format!("-n {ns} addr add {v6}/64 dev {dev} nodad"));
            // The peer's addresses are known: no ARP or neighbour discovery on the path.
            let (_, _, peer_mac, peer4, peer6) = ends[1 - i];
            for a in [peer4, peer6] {
                ip(&format!(
                    "-n {ns} neigh replace {a} lladdr {peer_mac} dev {dev} nud permanent"
                ));
            }
        }
        let devs = [
            (NS_CLIENT, "synack-ic0"),
            (NS_SERVER, "synack-is0"),
            (NS_MIDDLE, "synack-im0"),
            (NS_MIDDLE, "synack-im1"),
        ];
        for (ns, dev) in devs {
            // Frames as on a wire: checksums computed, no segmentation offload, no receive
            // coalescing (the captures and the forwarder see what crosses the link).
            must(&[
                "ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off", "gro", "off",
            ]);
            ip(&format!("-n {ns} link set {dev} up"));
        }
        Path3
    }
}

impl Drop for Path3 {
    fn drop(&mut self) {
        for ns in [NS_CLIENT, NS_MIDDLE, NS_SERVER] {
            sh(&["ip", "netns", "del", ns]);
        }
    }
}

/// The transfers of one run of the kernel tests, made on first use (the callers have
/// checked what making them needs).
pub(crate) fn transfers() -> &'static [Transfer] {
    static TRANSFERS: OnceLock<Vec<Transfer>> = OnceLock::new();
    TRANSFERS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("impaired");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let _path = Path3::new();
        let mut all = Vec::new();
        let mut port = 2000;
        for options in ["sack-ts", "no-sack-no-ts"] {
            let on = if options == "sack-ts" { "1" } else { "0" };
            for ns in [NS_CLIENT, NS_SERVER] {
                sysctl(ns, "net.ipv4.tcp_sack", on);
                sysctl(ns, "net.ipv4.tcp_timestamps", on);
            }
            for (fam, server) in [(Family::V4, "198.19.0.2:"), (Family::V6, "[fd00:5ad::2]:")] {
                for seed in SEEDS {
                    port += 1;
                    let name = format!("{}-{options}-seed{seed}", fam.name);
                    all.push(transfer(&dir, &name, &format!("{server}{port}"), seed));
                }
            }
        }
        all
    })
}

fn transfer(dir: &Path, name: &str, addr: &str, seed: u64) -> Transfer {
    let sender = dir.join(format!("{name}-sender.pcap"));
    let receiver = dir.join(format!("{name}-receiver.pcap"));
    let fwd = Forwarder::start(NS_MIDDLE, "synack-im0", "synack-im1", RATES, seed);
    let caps = [
        Capture::start(NS_CLIENT, "synack-ic0", &sender),
        Capture::start(NS_SERVER, "synack-is0", &receiver),
    ];
    play(NS_SERVER, NS_CLIENT, addr, "bulk-5m");
    for c in caps {
        c.stop();
    }
    let done = fwd.stop();
    Transfer {
        name: name.to_string(),
        sender,
        receiver,
        done,
    }
}
