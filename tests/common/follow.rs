//! The follow output and the reassembled streams against tshark's `-z follow,tcp,...`: the
//! helpers the corpus test (`tests/follow.rs`) and the kernel test share.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use synack::capture::CaptureReader;
use synack::driver::Driver;
use synack::format::follow::{Follow, FollowMode};
use synack::track::reassembly::{Chunk, ReassemblyConfig};
use synack::track::{Config, Direction, Endpoint, FlowKey};

const SEPARATOR: &str = "===================================================================\n";

/// Every conversation of `file` followed in one pass.
pub fn follow_all(file: &Path) -> Follow {
    let mut follow = Follow::all();
    let mut reader = CaptureReader::open(file).expect("open capture");
    while let Some(Ok(frame)) = reader.next_frame() {
        follow.frame(frame.timestamp, &frame.dissect());
    }
    follow
}

/// tshark's output for the given conversations, both modes, in one run: each block by its
/// (mode, stream).
pub fn tshark_follow(file: &Path, streams: &[u32]) -> BTreeMap<(String, u32), String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file).arg("-q");
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some((_, args, _)) = TSHARK_ARGS.iter().find(|(f, ..)| *f == name) {
        cmd.args(*args);
    }
    for &n in streams {
        for mode in ["raw", "ascii"] {
            cmd.arg("-z").arg(format!("follow,tcp,{mode},{n}"));
        }
    }
    let out = cmd.output().expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut blocks = BTreeMap::new();
    let marker = format!("\n{SEPARATOR}Follow: tcp,");
    for part in text.split(&marker).skip(1) {
        let block = format!("{marker}{part}");
        let mode = part.split(',').next().unwrap_or("").trim().to_string();
        let mode = mode.split('\n').next().unwrap_or("").to_string();
        let stream = block
            .split("Filter: tcp.stream eq ")
            .nth(1)
            .and_then(|r| r.split('\n').next())
            .and_then(|n| n.parse().ok())
            .expect("a stream number");
        blocks.insert((mode, stream), block);
    }
    blocks
}

/// Captures tshark reads with more arguments, and why.
pub const TSHARK_ARGS: &[(&str, &[&str], &str)] = &[(
    "of10_s4810.pcap",
    &["--disable-protocol", "openflow"],
    "the OpenFlow dissector dissects the Ethernet frame inside a PACKET_IN message, whose MAC \
     addresses then stand as the packet's source when the follow tap runs: tshark takes the \
     client's segment for the server's (with OpenFlow off, every byte is equal)",
)];

/// Each direction's bytes as the reassembler gives them, by connection and sender (gaps as
/// `None`).
pub type Streams = BTreeMap<(u64, Endpoint), Vec<Option<u8>>>;

/// What [`reassembled`] found besides the streams: each connection's key, its bytes given up
/// as acknowledged gaps, and its conn.log `missed_bytes`.
#[derive(Debug, Default)]
pub struct Conns {
    pub keys: BTreeMap<u64, FlowKey>,
    pub acked_gaps: BTreeMap<u64, u64>,
    pub missed: BTreeMap<u64, u64>,
}

pub fn reassembled(file: &Path) -> (Streams, Conns) {
    // Wireshark's conversations never end on a timer; Zeek's timers would end a connection
    // where Zeek logs two rows (an unanswered SYN-ACK's 5-second attempt timer in a bare
    // run, say), so the phase timeouts here.
    let config = Config::default()
        .with_reassembly(ReassemblyConfig::default())
        .with_zeek_timers(None);
    let mut driver = Driver::open(file, config).expect("open capture");
    let mut streams = Streams::new();
    let mut conns = Conns::default();
    let (keys, gaps) = (&mut conns.keys, &mut conns.acked_gaps);
    let mut ends: BTreeMap<(u64, Endpoint), u64> = BTreeMap::new();
    while let Some(item) = driver.next_with(&mut |c| {
        let sender = match c.direction {
            Direction::ClientToServer => c.key.client,
            Direction::ServerToClient => c.key.server,
        };
        keys.insert(c.conn, FlowKey::new(c.key.client, c.key.server));
        let s = streams.entry((c.conn, sender)).or_default();
        let end = ends.entry((c.conn, sender)).or_default();
        match c.chunk {
            Chunk::Data { offset, bytes } => {
                assert_eq!(offset, *end, "in order, no overlap");
                s.extend(bytes.iter().map(|&b| Some(b)));
                *end += bytes.len() as u64;
            }
            Chunk::Gap { offset, len, cause } => {
                assert_eq!(offset, *end);
                if cause == synack::track::reassembly::GapCause::Acknowledged {
                    *gaps.entry(c.conn).or_default() += len;
                }
                s.extend(std::iter::repeat_n(None, len.min(1 << 20) as usize));
                *end += len;
            }
            _ => {}
        }
    }) {
        if let Ok(synack::driver::Output::Summary(s)) = item {
            conns.missed.insert(s.id, s.missed_bytes);
        }
    }
    (streams, conns)
}

/// Whether a segment of `file` carries a RST and payload.
pub fn rst_with_payload(file: &Path) -> bool {
    let mut reader = CaptureReader::open(file).expect("open capture");
    while let Some(Ok(frame)) = reader.next_frame() {
        let f = frame.dissect();
        if f.tcp.is_some_and(|t| t.flags.contains(synack::wire::TcpFlags::RST)) && !f.payload.is_empty() {
            return true;
        }
    }
    false
}

/// What the comparisons found.
#[derive(Debug, Default)]
pub struct FollowTally {
    /// Conversations compared with tshark, their records, bytes and missing-bytes markers.
    pub conversations: usize,
    pub records: usize,
    pub bytes: usize,
    pub markers: usize,
    /// Conversations whose output differs from tshark's.
    pub differ: Vec<String>,
    /// Conversations whose reassembled streams were compared with the follow records, and
    /// their bytes.
    pub reassembled: usize,
    pub reassembled_bytes: usize,
    /// Conversations whose reassembled streams disagree with the follow records.
    pub reassembly_differ: Vec<String>,
    /// Bytes follow shows that the capture has after the receiver acknowledged them: gaps by
    /// Zeek's rule.
    pub late: usize,
}

impl FollowTally {
    pub fn print(&self, what: &str) {
        eprintln!(
            "{what}: follow {} conversations, {} records, {} bytes ({} missing-bytes markers), raw and ascii: {} differ from tshark; reassembly against follow: {} conversations, {} bytes ({} captured after their ACK: gaps by Zeek's rule), {} differ",
            self.conversations,
            self.records,
            self.bytes,
            self.markers,
            self.differ.len(),
            self.reassembled,
            self.reassembled_bytes,
            self.late,
            self.reassembly_differ.len()
        );
        for d in self.differ.iter().chain(&self.reassembly_differ) {
            eprintln!("  differs: {d}");
        }
    }
}

const MARKER_END: &[u8] = b" bytes missing in capture file]\0";

/// A follow record as stream bytes: a missing-bytes marker as that many unknown bytes.
fn expand(data: &[u8], out: &mut Vec<Option<u8>>) {
    if data.first() == Some(&b'[') && data.ends_with(MARKER_END) {
        let n: usize = std::str::from_utf8(&data[1..data.len() - MARKER_END.len()])
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        out.extend(std::iter::repeat_n(None, n));
    } else {
        out.extend(data.iter().map(|&b| Some(b)));
    }
}

/// Compares the follow output of every conversation of `file` with tshark's.
pub fn compare_follow(file: &Path, follow: &Follow, tally: &mut FollowTally) {
    let ids: Vec<u32> = follow.streams().collect();
    if ids.is_empty() {
        return;
    }
    let theirs = tshark_follow(file, &ids);
    for &n in &ids {
        for (mode, name) in [(FollowMode::Raw, "raw"), (FollowMode::Ascii, "ascii")] {
            let mut ours = String::new();
            follow.write(&mut ours, n, mode);
            let want = theirs.get(&(name.to_string(), n)).map_or("", String::as_str);
            if ours != want {
                tally.differ.push(format!("{} stream {n} {name}", file.display()));
            }
        }
        tally.conversations += 1;
        for (_, data) in follow.records(n) {
            tally.records += 1;
            tally.bytes += data.len();
            tally.markers += usize::from(data.ends_with(MARKER_END));
        }
    }
}

/// Compares the reassembled streams of `file` with its follow records: a byte both know is
/// the same; a byte follow marks missing, the reassembler gave up as a gap (or never
/// reached); a byte follow shows, the reassembler delivered — unless the capture has it
/// after the receiver's acknowledgment of it, when Zeek's rule (the reassembler's, and Zeek's
/// `missed_bytes`) had given it up already: those bytes are counted, and the connection's
/// acknowledged gaps must then equal its conn.log `missed_bytes` (two implementations of
/// Zeek's rule). Conversations on a key the tracker saw under more than one connection (where
/// tcp.stream and ConnId part) are left out, and so are captures with a RST carrying payload
/// (Wireshark follows it; the reassembler does not take it as stream data).
pub fn compare_reassembly(file: &Path, follow: &Follow, tally: &mut FollowTally) {
    if rst_with_payload(file) {
        return;
    }
    let (ours, found) = reassembled(file);
    let keys = &found.keys;
    for n in follow.streams().collect::<Vec<_>>() {
        let Some(nodes) = follow.nodes(n) else { continue };
        let conn = u64::from(n);
        let flow = FlowKey::new(nodes.0, nodes.1);
        let conns: BTreeSet<u64> = keys.iter().filter(|(_, k)| **k == flow).map(|(c, _)| *c).collect();
        if conns.len() != 1 || !conns.contains(&conn) {
            continue;
        }
        let mut want: [Vec<Option<u8>>; 2] = Default::default();
        for (server, data) in follow.records(n) {
            expand(data, &mut want[usize::from(server)]);
        }
        let mut late = 0;
        for (node, w) in [nodes.0, nodes.1].iter().zip(&want) {
            let whole = ours.get(&(conn, *node)).map(Vec::as_slice).unwrap_or(&[]);
            // A direction first seen after the peer acknowledged into it starts, for the
            // reassembler, at that acknowledgment (Zeek's init_peer); for Wireshark's follow,
            // at its own first segment: the reassembler's leading gap is then not in the
            // records. But a leading gap can also be the first segment captured after its
            // ACK (a gap by Zeek's rule, data to follow): the records are compared at the
            // reassembler's own offsets first, and without its leading gap if they differ.
            let lead = whole.iter().take_while(|b| b.is_none()).count();
            let stripped = &whole[lead..];
            let first_bad = |got: &[Option<u8>]| {
                let mut late = 0;
                let bad = w
                    .iter()
                    .enumerate()
                    .find(|&(i, b)| match (b, got.get(i).copied().flatten()) {
                        (Some(x), Some(y)) => *x != y,
                        (Some(_), None) => {
                            late += 1;
                            false
                        }
                        (None, Some(_)) => true,
                        (None, None) => false,
                    })
                    .map(|(i, _)| i);
                (bad, late)
            };
            let (mut bad, mut n) = first_bad(whole);
            if bad.is_some() && lead > 0 && w.first().is_some_and(Option::is_some) {
                (bad, n) = first_bad(stripped);
            }
            late += n;
            if let Some(i) = bad {
                tally.reassembly_differ.push(format!(
                    "{} stream {n} from {node}: first at offset {i}",
                    file.display()
                ));
            }
            tally.reassembled_bytes += w.len();
        }
        if late > 0 {
            tally.late += late;
            let (gaps, missed) = (found.acked_gaps.get(&conn), found.missed.get(&conn));
            if gaps != missed || gaps.is_none_or(|&g| g < late as u64) {
                tally.reassembly_differ.push(format!(
                    "{} stream {n}: {late} bytes after their ACK; acknowledged gaps {gaps:?}, missed_bytes {missed:?}",
                    file.display()
                ));
            }
        }
        tally.reassembled += 1;
    }
}
