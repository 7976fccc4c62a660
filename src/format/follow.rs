//! One TCP conversation's payload as Wireshark's "Follow TCP Stream" shows it, and as
//! `tshark -q -z follow,tcp,MODE,N` prints it (tshark 4.0).
//!
//! This is Wireshark's own algorithm — `follow_tcp_tap_listener` and
//! `check_follow_fragments` in `epan/dissectors/packet-tcp.c`, printed by `follow_draw` in
//! `ui/cli/tap-follow.c` — kept for output that matches tshark's byte for byte: one record
//! per segment, in the order Wireshark makes them; a segment beyond a hole waits until the
//! hole fills or until the other side acknowledges past its start, when Wireshark inserts
//! the text `[N bytes missing in capture file]` (and a NUL) for the hole; payload cut by the
//! snapshot length is shown as captured, with no marker. It keeps the whole conversation in
//! memory, as tshark does. To build on a conversation's bytes, use the
//! [`Reassembler`](crate::track::reassembly::Reassembler) (bounded, gaps as Zeek defines
//! them) through [`Config::reassembly`](crate::track::Config::reassembly).
//!
//! ```
//! use synack::capture::CaptureReader;
//! use synack::format::follow::{Follow, FollowMode};
//!
//! let mut follow = Follow::new(0);
//! let mut reader = CaptureReader::seed();
//! while let Some(frame) = reader.next_frame() {
//!     let frame = frame?;
//!     follow.frame(frame.timestamp, &frame.dissect());
//! }
//! let mut out = String::new();
//! follow.write(&mut out, 0, FollowMode::Raw);
//! assert!(out.contains("Node 0: 10.7.92.177:50030\nNode 1: 10.7.92.174:1005\n3131313131\n"));
//! # Ok::<(), synack::capture::CaptureError>(())
//! ```

use std::fmt::Write as _;
use std::string::String;
use std::vec::Vec;

use crate::Timestamp;
use crate::track::{Analyzer, Endpoint, FlowKey};
use crate::wire::{Frame, SeqNumber, TcpFlags};

/// How the records are printed (tshark's `follow,tcp,MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FollowMode {
    /// `raw`: each record's bytes as lowercase hex on one line.
    Raw,
    /// `ascii`: each record's length, then its bytes, non-printable ones as `.` (CR and LF
    /// kept).
    Ascii,
    /// `hex`: a hex dump per record, offsets counted per direction.
    Hex,
}

impl FollowMode {
    /// Returns the mode's name as tshark spells it.
    pub fn name(self) -> &'static str {
        match self {
            FollowMode::Raw => "raw",
            FollowMode::Ascii => "ascii",
            FollowMode::Hex => "hex",
        }
    }
}

/// One record (`follow_record_t`): bytes from one side.
#[derive(Debug, Clone)]
struct Record {
    is_server: bool,
    /// The sequence number of its first byte (for fragments waiting for their turn).
    seq: u32,
    data: Vec<u8>,
}

/// Wireshark's `GT_SEQ`, `LT_SEQ`.
fn gt(a: u32, b: u32) -> bool {
    SeqNumber(a) > SeqNumber(b)
}

fn lt(a: u32, b: u32) -> bool {
    SeqNumber(a) < SeqNumber(b)
}

/// Conversations followed as Wireshark follows them. Give it every frame of the capture; it
/// keeps those of the conversations it follows (by `tcp.stream` number).
#[derive(Debug)]
pub struct Follow {
    /// The one conversation followed, or all of them.
    only: Option<u32>,
    analyzer: Analyzer,
    streams: std::collections::BTreeMap<u32, Stream>,
}

/// One conversation as Wireshark follows it (`follow_info_t`).
#[derive(Debug, Default)]
struct Stream {
    /// The sender of the conversation's first segment, and its peer.
    nodes: Option<(Endpoint, Endpoint)>,
    /// The next sequence number expected from each side [client, server], relative.
    seq: [u32; 2],
    bytes_written: [u64; 2],
    fragments: [Vec<Record>; 2],
    payload: Vec<Record>,
}

impl Follow {
    /// Follows conversation `stream` (Wireshark's `tcp.stream` number).
    pub fn new(stream: u32) -> Self {
        Follow {
            only: Some(stream),
            analyzer: Analyzer::new(),
            streams: Default::default(),
        }
    }

    /// Follows every conversation (as many `-z follow` options would, in one pass).
    pub fn all() -> Self {
        Follow {
            only: None,
            ..Follow::new(0)
        }
    }

    /// Returns the numbers of the conversations seen with payload or segments so far.
    pub fn streams(&self) -> impl Iterator<Item = u32> + '_ {
        self.streams.keys().copied()
    }

    /// Takes the capture's next frame.
    pub fn frame(&mut self, timestamp: Timestamp, frame: &Frame<'_>) {
        let Some(a) = self.analyzer.analyze(timestamp, frame) else {
            return;
        };
        let (Some(tcp), Some((src, dst))) = (frame.tcp.as_ref(), FlowKey::endpoints_of(frame)) else {
            return;
        };
        // The tap runs only when the dissector knows the segment's length (th_have_seglen).
        let Some(seglen) = frame.tcp_len() else { return };
        if self.only.is_some_and(|n| n != a.stream) {
            return;
        }
        // Wireshark's relative acknowledgment when ACK is set; the field as sent otherwise.
        let ack = a.ack.unwrap_or(tcp.ack);
        let stream = self.streams.entry(a.stream).or_default();
        stream.tap(src, dst, a.seq, ack, tcp.flags, seglen as u32, frame.payload);
    }

    /// Returns the records of conversation `stream` so far: which side sent each (`false`
    /// for node 0, the sender of the conversation's first segment) and its bytes.
    pub fn records(&self, stream: u32) -> impl Iterator<Item = (bool, &[u8])> + '_ {
        self.streams
            .get(&stream)
            .into_iter()
            .flat_map(|s| s.payload.iter().map(|r| (r.is_server, r.data.as_slice())))
    }

    /// Returns the two nodes of conversation `stream` (the sender of its first segment
    /// first), once a segment was seen.
    pub fn nodes(&self, stream: u32) -> Option<(Endpoint, Endpoint)> {
        self.streams.get(&stream)?.nodes
    }

    /// Appends what tshark prints for conversation `stream` (`follow_draw`).
    pub fn write(&self, out: &mut String, stream: u32, mode: FollowMode) {
        const SEPARATOR: &str = "===================================================================\n";
        let _ = write!(
            out,
            "\n{SEPARATOR}Follow: tcp,{}\nFilter: tcp.stream eq {stream}\n",
            mode.name()
        );
        let empty = Stream::default();
        let s = self.streams.get(&stream).unwrap_or(&empty);
        match s.nodes {
            Some((a, b)) => {
                for (i, n) in [a, b].iter().enumerate() {
                    if n.addr.is_ipv6() {
                        let _ = writeln!(out, "Node {i}: [{}]:{}", n.addr, n.port);
                    } else {
                        let _ = writeln!(out, "Node {i}: {}:{}", n.addr, n.port);
                    }
                }
            }
            None => out.push_str("Node 0: :0\nNode 1: :0\n"),
        }
        s.write_records(out, mode);
        out.push_str(SEPARATOR);
    }
}

impl Stream {
    /// `follow_tcp_tap_listener`: one segment of the conversation.
    #[allow(clippy::too_many_arguments)]
    fn tap(&mut self, src: Endpoint, dst: Endpoint, seq: u32, ack: u32, flags: TcpFlags, seglen: u32, data: &[u8]) {
        let mut sequence = seq;
        let mut length = seglen;
        if flags.contains(TcpFlags::SYN) {
            sequence = sequence.wrapping_add(1);
        }
        let (client, _) = *self.nodes.get_or_insert((src, dst));
        let s = usize::from(src != client);
        // Does this segment acknowledge fragments of the other side's that the capture lacks
        // the segments before (Wireshark's bug 592)?
        if !self.fragments[1 - s].is_empty() {
            while self.check_fragments(1 - s, ack, true) {}
        }
        if self.bytes_written[s] == 0 && self.seq[s] == 0 {
            self.seq[s] = sequence;
        }
        let (mut from, mut len) = (0usize, data.len());
        if lt(sequence, self.seq[s]) {
            // Dated, but maybe a retransmission with more data.
            let nextseq = sequence.wrapping_add(length);
            if gt(nextseq, self.seq[s]) {
                from = self.seq[s].wrapping_sub(sequence) as usize;
                len = len.saturating_sub(from);
                sequence = self.seq[s];
                length = nextseq.wrapping_sub(self.seq[s]);
            }
        }
        if len == 0 || lt(sequence, self.seq[s]) {
            return;
        }
        let record = Record {
            is_server: s == 1,
            seq: sequence,
            data: data[from..from + len].to_vec(),
        };
        if sequence == self.seq[s] {
            self.seq[s] = self.seq[s].wrapping_add(length);
            self.bytes_written[s] += record.data.len() as u64;
            self.payload.push(record);
            while self.check_fragments(s, 0, false) {}
        } else {
            self.fragments[s].push(record);
        }
    }

    /// `check_follow_fragments`: moves the first waiting fragment of side `s` that is due (or
    /// overlaps what was shown) to the records; with `use_ack`, a hole that `acknowledged`
    /// passes gets the missing-bytes marker. Returns whether it did anything.
    fn check_fragments(&mut self, s: usize, acknowledged: u32, use_ack: bool) -> bool {
        let Some(first) = self.fragments[s].first() else {
            return false;
        };
        let mut lowest = first.seq;
        for i in 0..self.fragments[s].len() {
            let f = &self.fragments[s][i];
            if gt(lowest, f.seq) {
                lowest = f.seq;
            }
            if lt(f.seq, self.seq[s]) {
                let newseq = f.seq.wrapping_add(f.data.len() as u32);
                if gt(newseq, self.seq[s]) {
                    // Part of it was shown already: the rest.
                    let new_pos = self.seq[s].wrapping_sub(f.seq) as usize;
                    if f.data.len() > new_pos {
                        let rest = Record {
                            is_server: s == 1,
                            seq: self.seq[s],
                            data: f.data[new_pos..].to_vec(),
                        };
                        self.seq[s] = self.seq[s].wrapping_add((f.data.len() - new_pos) as u32);
                        self.payload.push(rest);
                    }
                }
                self.fragments[s].remove(i);
                return true;
            }
            if f.seq == self.seq[s] {
                let f = self.fragments[s].remove(i);
                self.seq[s] = self.seq[s].wrapping_add(f.data.len() as u32);
                if !f.data.is_empty() {
                    self.payload.push(f);
                }
                return true;
            }
        }
        if use_ack && gt(acknowledged, lowest) {
            // Frames the capture lacks but the receiver had: a marker in their place.
            let missing = lowest.wrapping_sub(self.seq[s]) as i32;
            let mut data = format!("[{missing} bytes missing in capture file]").into_bytes();
            data.push(0);
            self.payload.push(Record {
                is_server: s == 1,
                seq: lowest,
                data,
            });
            self.seq[s] = lowest;
            return true;
        }
        false
    }

    /// `follow_draw`'s loop over the records.
    fn write_records(&self, out: &mut String, mode: FollowMode) {
        let mut pos = [0u32; 2];
        for r in &self.payload {
            let tab = if r.is_server { "\t" } else { "" };
            match mode {
                FollowMode::Raw => {
                    out.push_str(tab);
                    for b in &r.data {
                        let _ = write!(out, "{b:02x}");
                    }
                    out.push('\n');
                }
                FollowMode::Ascii => {
                    let _ = writeln!(out, "{tab}{}", r.data.len());
                    out.extend(r.data.iter().map(|&b| match b {
                        b'\r' | b'\n' => b as char,
                        0x20..=0x7e => b as char,
                        _ => '.',
                    }));
                    out.push('\n');
                }
                FollowMode::Hex => {
                    let p = &mut pos[usize::from(r.is_server)];
                    hex_dump(out, tab, *p, &r.data);
                    *p = p.wrapping_add(r.data.len() as u32);
                }
            }
        }
    }
}

/// `follow_print_hex`: 16 bytes a line, the offset in 8 uppercase hex digits, a space after
/// the 8th byte in both the hex and the text column.
fn hex_dump(out: &mut String, prefix: &str, mut offset: u32, data: &[u8]) {
    for line in data.chunks(16) {
        let mut hex = String::with_capacity(49);
        let mut text = String::with_capacity(17);
        for (i, &b) in line.iter().enumerate() {
            let _ = write!(hex, "{b:02x} ");
            text.push(if (0x20..0x7f).contains(&b) { b as char } else { '.' });
            if i == 7 {
                hex.push(' ');
                text.push(' ');
            }
        }
        let text = text.strip_suffix(' ').unwrap_or(&text);
        let _ = writeln!(out, "{prefix}{offset:08X}  {hex:<50}{text}");
        offset = offset.wrapping_add(16);
    }
}

/// Returns the name tcpflow gives the file of one direction's bytes: the sender's address
/// and port, then the receiver's (`%A.%a-%B.%b`: IPv4 octets as three digits, ports as
/// five, IPv6 addresses as `inet_ntop` writes them), and `c` with the count when an earlier
/// connection had the same name (`%C%c`).
///
/// ```
/// use std::net::Ipv4Addr;
/// use synack::format::follow::tcpflow_name;
/// use synack::track::Endpoint;
///
/// let (c, s) = (Endpoint::new(Ipv4Addr::new(10, 7, 92, 177), 50030), Endpoint::new(Ipv4Addr::new(10, 7, 92, 174), 1005));
/// assert_eq!(tcpflow_name(c, s, 0), "010.007.092.177.50030-010.007.092.174.01005");
/// assert_eq!(tcpflow_name(s, c, 2), "010.007.092.174.01005-010.007.092.177.50030c2");
/// ```
pub fn tcpflow_name(sender: Endpoint, receiver: Endpoint, connection_count: u32) -> String {
    let mut name = String::new();
    for (i, e) in [sender, receiver].iter().enumerate() {
        if i == 1 {
            name.push('-');
        }
        match e.addr {
            core::net::IpAddr::V4(a) => {
                let [w, x, y, z] = a.octets();
                let _ = write!(name, "{w:03}.{x:03}.{y:03}.{z:03}");
            }
            core::net::IpAddr::V6(a) => {
                let _ = write!(name, "{a}");
            }
        }
        let _ = write!(name, ".{:05}", e.port);
    }
    if connection_count > 0 {
        let _ = write!(name, "c{connection_count}");
    }
    name
}
