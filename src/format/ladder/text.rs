//! The ladder as `tshark -q -z flow,tcp,standard` prints it: `sequence_analysis_dump_to_file`
//! (Wireshark's `ui/tap-sequence-analysis.c`) over the items `tcp_seq_analysis_packet`
//! (`epan/dissectors/packet-tcp.c`) makes, one per TCP segment.

use core::fmt::Write as _;
use core::net::IpAddr;
use std::string::String;
use std::vec::Vec;

use super::{Arrow, Ladder};
use crate::Timestamp;
use crate::wire::TcpFlags;

const NODE_CHARS_WIDTH: usize = 20;
/// `MAX_NUM_NODES`: the most hosts the graph has columns for.
const MAX_NUM_NODES: usize = 40;
/// `NODE_OVERFLOW`: where an item from or to a host past them is drawn.
const NODE_OVERFLOW: usize = MAX_NUM_NODES + 1;
const CONV_TIME_HEADER: &str = "Conv.| Time    ";
const TIME_HEADER: &str = "|Time     ";
const CONV_TIME_EMPTY_HEADER: &str = "     |         ";
const TIME_EMPTY_HEADER: &str = "|         ";
const CONV_TIME_HEADER_LENGTH: usize = 16;
const TIME_HEADER_LENGTH: usize = 10;

/// `enlarge_string`: pads `s` with `pad` to `len` bytes.
fn enlarge(s: &mut String, len: usize, pad: char) {
    while s.len() < len {
        s.push(pad);
    }
}

/// `overwrite`: puts `text` in `s` over the positions between `p1` and `p2` (cut to their
/// distance), as GLib's `g_string_erase` and `g_string_insert` do it: a span that runs past
/// the end is not erased, only inserted at its start (or at the end).
fn overwrite(s: &mut String, text: &str, p1: usize, p2: usize) {
    if p1 == p2 {
        return;
    }
    let (pos, mut len) = if p1 > p2 { (p2, p1 - p2) } else { (p1, p2 - p1) };
    len = len.min(text.len());
    let text = &text[..len];
    let pos = pos.min(s.len());
    if pos + len <= s.len() {
        s.replace_range(pos..pos + len, "");
    }
    s.insert_str(pos, text);
}

/// `add_or_get_node`: the column of `addr`, added when there is room.
fn node(nodes: &mut Vec<IpAddr>, addr: IpAddr) -> usize {
    if let Some(i) = nodes.iter().position(|&n| n == addr) {
        return i;
    }
    if nodes.len() >= MAX_NUM_NODES {
        return NODE_OVERFLOW;
    }
    nodes.push(addr);
    nodes.len() - 1
}

/// The frame's time relative to the first frame's, with its precision, as Wireshark's time
/// column shows it (truncated, a minus sign before a negative one).
pub(super) fn relative_time(out: &mut String, t: Timestamp, first: Timestamp, digits: u8) {
    let d = t.as_nanos() - first.as_nanos();
    let (sign, d) = if d < 0 { ("-", -d) } else { ("", d) };
    let (secs, nanos) = (d / 1_000_000_000, d % 1_000_000_000);
    let digits = u32::from(digits.min(9));
    if digits == 0 {
        let _ = write!(out, "{sign}{secs}");
    } else {
        let frac = nanos / 10i128.pow(9 - digits);
        let _ = write!(out, "{sign}{secs}.{frac:0w$}", w = digits as usize);
    }
}

/// `tcp_seq_analysis_packet`'s label: the flags, and the length when there is payload.
fn label(a: &Arrow) -> String {
    let mut s = format!("{:#}", a.flags.wireshark());
    if let Some(len) = a.len.filter(|&l| l != 0) {
        let _ = write!(s, " - Len: {len}");
    }
    s
}

/// Its comment: the relative numbers.
fn comment(a: &Arrow) -> String {
    match a.ack {
        Some(ack) if a.flags.contains(TcpFlags::ACK) => format!("Seq = {} Ack = {ack}", a.seq),
        _ => format!("Seq = {}", a.seq),
    }
}

impl Ladder {
    /// Appends what `tshark -q -z flow,tcp,standard` prints for the capture (and
    /// `flow,tcp,network`: for TCP over IP both name the hosts by their IP addresses):
    /// every conversation, the hosts as columns in the order they first appear (at most 40),
    /// a `Conv.` column and a separator between conversations when there are several.
    pub fn write_text(&self, out: &mut String) {
        let Some(first) = self.arrows.first() else { return };
        let first_time = self.first.unwrap_or(first.time);
        // tshark keeps the conversation number in 16 bits.
        let conv = |a: &Arrow| a.conv as u16;
        let several = self.arrows.iter().any(|a| conv(a) != conv(first));
        let mut nodes = Vec::new();
        let ends: Vec<(usize, usize)> = self
            .arrows
            .iter()
            .map(|a| (node(&mut nodes, a.src.addr), node(&mut nodes, a.dst.addr)))
            .collect();
        let (header, empty_header, header_len) = if several {
            (CONV_TIME_HEADER, CONV_TIME_EMPTY_HEADER, CONV_TIME_HEADER_LENGTH)
        } else {
            (TIME_HEADER, TIME_EMPTY_HEADER, TIME_HEADER_LENGTH)
        };
        let empty_line = write_header(out, &nodes, header, empty_header);
        let separator = "-".repeat(empty_line.len() + header_len);
        let mut current = conv(first);
        for (a, &(src, dst)) in self.arrows.iter().zip(&ends) {
            if conv(a) != current {
                out.push_str(&separator);
                out.push('\n');
                current = conv(a);
            }
            if several {
                let mut c = conv(a).to_string();
                enlarge(&mut c, 5, ' ');
                out.push_str(&c);
            }
            let mut t = String::from("|");
            relative_time(&mut t, a.time, first_time, a.digits);
            enlarge(&mut t, 10, ' ');
            out.push_str(&t);
            write_item(out, a, (src, dst), &empty_line, empty_header);
        }
    }
}

/// The two header lines (the hosts, even-numbered ones on the first, odd on the second);
/// returns the empty line the items are drawn on.
fn write_header(out: &mut String, nodes: &[IpAddr], header: &str, empty_header: &str) -> String {
    out.push_str(header);
    let mut empty_line = String::new();
    let mut cell = String::new();
    let column = {
        let mut c = String::from("| ");
        enlarge(&mut c, NODE_CHARS_WIDTH, ' ');
        c
    };
    for addr in nodes.iter().step_by(2) {
        cell.clear();
        let _ = write!(cell, "| {addr}");
        enlarge(&mut cell, NODE_CHARS_WIDTH * 2, ' ');
        out.push_str(&cell);
        empty_line.push_str(&column);
    }
    out.push_str("|\n");
    out.push_str(empty_header);
    out.push_str(&column);
    for addr in nodes.iter().skip(1).step_by(2) {
        cell.clear();
        let _ = write!(cell, "| {addr}");
        if cell.len() < NODE_CHARS_WIDTH {
            enlarge(&mut cell, NODE_CHARS_WIDTH, ' ');
            cell.push_str("| ");
        }
        enlarge(&mut cell, NODE_CHARS_WIDTH * 2, ' ');
        out.push_str(&cell);
        empty_line.push_str(&column);
    }
    out.push('\n');
    empty_line.push('|');
    empty_line
}

/// One item: the label line with its comment, then the arrow line with the ports.
fn write_item(out: &mut String, a: &Arrow, (src, dst): (usize, usize), empty_line: &str, empty_header: &str) {
    let start = src * NODE_CHARS_WIDTH + NODE_CHARS_WIDTH / 2;
    let mut end = dst * NODE_CHARS_WIDTH + NODE_CHARS_WIDTH / 2;
    let width = if start != end {
        start.abs_diff(end)
    } else {
        // The same host at both ends.
        end = start + NODE_CHARS_WIDTH;
        NODE_CHARS_WIDTH
    };
    let mut line = empty_line.to_string();
    overwrite(&mut line, &label(a), start, end);
    out.push_str(&line);
    out.push_str(&comment(a));
    out.push('\n');
    out.push_str(empty_header);
    let mut line = empty_line.to_string();
    let arrow = if start < end {
        let mut s = "-".repeat(width - 2);
        s.push('>');
        s
    } else {
        let mut s = String::from("<");
        enlarge(&mut s, width - 1, '-');
        s
    };
    overwrite(&mut line, &arrow, start, end);
    let (sp, dp) = (format!("({})", a.src.port), format!("({})", a.dst.port));
    if start < end {
        overwrite(&mut line, &sp, start - 9, start - 1);
        overwrite(&mut line, &dp, end + 1, end + 9);
    } else {
        overwrite(&mut line, &sp, start + 1, start + 9);
        overwrite(&mut line, &dp, end - 9, end + 1);
    }
    out.push_str(&line);
    out.push('\n');
}
