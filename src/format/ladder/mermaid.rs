//! One conversation as a Mermaid `sequenceDiagram`.

use core::fmt::Write as _;
use std::string::String;

use super::{Arrow, Ladder, text};
use crate::track::AnalysisFlags;

/// The most arrows drawn; the rest is one note saying how many.
const MAX_ARROWS: usize = 200;

/// An arrow's text: flags, numbers, length and what Wireshark's analysis says of it.
pub(super) fn describe(a: &Arrow) -> String {
    let mut s = format!("{:#}", a.flags.wireshark());
    let _ = write!(s, " Seq={}", a.seq);
    if let Some(ack) = a.ack {
        let _ = write!(s, " Ack={ack}");
    }
    if let Some(len) = a.len.filter(|&l| l > 0) {
        let _ = write!(s, " Len={len}");
    }
    if a.analysis.is_retransmission() {
        s.push_str(" (retransmission)");
    }
    for (flag, word) in [
        (AnalysisFlags::OUT_OF_ORDER, "out of order"),
        (AnalysisFlags::DUPLICATE_ACK, "duplicate ACK"),
        (AnalysisFlags::ZERO_WINDOW, "zero window"),
    ] {
        if a.analysis.contains(flag) {
            let _ = write!(s, " ({word})");
        }
    }
    s
}

impl Ladder {
    /// Appends conversation `conv` as a Mermaid `sequenceDiagram`: the sender of its first
    /// segment as `C`, the other host as `S`, one message per segment (dotted for
    /// retransmissions) with its time, the notes over both, and past 200 segments one note
    /// saying how many more there are. Nothing is written for a conversation not in the
    /// ladder.
    pub fn write_mermaid(&self, out: &mut String, conv: u32) {
        let mut arrows = self.arrows_of(conv).peekable();
        let Some(&&first) = arrows.peek() else { return };
        let start = self.first.unwrap_or(first.time);
        let (c, s) = (first.src, first.dst);
        let _ = writeln!(out, "sequenceDiagram");
        let _ = writeln!(out, "    participant C as {c}");
        let _ = writeln!(out, "    participant S as {s}");
        let mut notes = self.notes_of(conv).peekable();
        let (mut drawn, mut rest) = (0, 0);
        for a in arrows {
            if drawn == MAX_ARROWS {
                rest += 1;
                continue;
            }
            drawn += 1;
            let (from, to) = if a.src == c { ("C", "S") } else { ("S", "C") };
            let line = if a.analysis.is_retransmission() { "-->>" } else { "->>" };
            let mut t = String::new();
            text::relative_time(&mut t, a.time, start, a.digits.min(6));
            let _ = writeln!(out, "    {from}{line}{to}: {} at {t} s", describe(a));
            while let Some(n) = notes.next_if(|n| n.frame == a.frame) {
                let _ = writeln!(out, "    Note over C,S: {}", clean(&n.text));
            }
        }
        if rest > 0 {
            let _ = writeln!(out, "    Note over C,S: ... {rest} more segments not drawn ...");
        }
    }
}

/// A note's text with the characters Mermaid reads in a message (`;` ends a statement, `#`
/// starts an entity) replaced.
fn clean(s: &str) -> String {
    s.replace(';', ",").replace('#', "no. ")
}
