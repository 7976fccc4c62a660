//! One conversation as an SVG picture: two lifelines, an arrow per segment going down the
//! page as time passes, the time on the left, the notes on the right.

use core::fmt::Write as _;
use std::string::String;

use super::{Arrow, Ladder, NoteKind, mermaid::describe, text};
use crate::track::AnalysisFlags;

/// How an SVG ladder is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SvgOptions {
    /// The most arrows drawn; past them one row says how many segments were left out.
    pub max_arrows: usize,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions { max_arrows: 100 }
    }
}

impl SvgOptions {
    /// Sets [`SvgOptions::max_arrows`].
    pub fn with_max_arrows(mut self, n: usize) -> Self {
        self.max_arrows = n;
        self
    }
}

const WIDTH: u32 = 960;
const TOP: u32 = 96;
const ROW: u32 = 44;
/// The lifelines' x.
const LEFT: u32 = 170;
const RIGHT: u32 = 530;
/// Where the notes start.
const NOTES: u32 = 556;

/// The colour of an arrow, after tcptrace's time-sequence graph: retransmissions red (its
/// red arrows), duplicate ACKs green (its green ticks on the ACK line), zero windows yellow
/// (its window line); out-of-order segments, which tcptrace marks with an `O`, purple; the
/// rest dark grey.
fn colour(a: &Arrow) -> &'static str {
    let f = a.analysis;
    if f.is_retransmission() {
        "#d62728"
    } else if f.contains(AnalysisFlags::OUT_OF_ORDER) {
        "#9467bd"
    } else if f.contains(AnalysisFlags::DUPLICATE_ACK) {
        "#2ca02c"
    } else if f.contains(AnalysisFlags::ZERO_WINDOW) {
        "#bcbd22"
    } else {
        "#333333"
    }
}

fn note_colour(k: NoteKind) -> &'static str {
    match k {
        NoteKind::Handshake => "#006d2c",
        NoteKind::Teardown => "#1f77b4",
        NoteKind::Closed => "#17becf",
        _ => "#d62728",
    }
}

/// Text with the characters XML reads escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Ladder {
    /// Appends conversation `conv` as an SVG document (nothing for a conversation not in the
    /// ladder): its two hosts as lifelines (the sender of its first segment on the left),
    /// an arrow per segment with its flags, relative numbers, length and time, the notes
    /// beside their arrows, a legend of the colours; past `options.max_arrows`, one row
    /// saying how many segments were left out.
    pub fn write_svg(&self, out: &mut String, conv: u32, options: SvgOptions) {
        let arrows: Vec<&Arrow> = self.arrows_of(conv).collect();
        let Some(&first) = arrows.first() else { return };
        let start = self.first.unwrap_or(first.time);
        let drawn = arrows.len().min(options.max_arrows);
        let elided = arrows.len() - drawn;
        let rows = drawn as u32 + u32::from(elided > 0);
        let height = TOP + rows * ROW + 70;
        let _ = writeln!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"##
        );
        let _ = writeln!(out, r##"<rect width="100%" height="100%" fill="white"/>"##);
        let _ = writeln!(
            out,
            r##"<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>"##
        );
        let bottom = TOP + rows * ROW;
        for (x, e) in [(LEFT, first.src), (RIGHT, first.dst)] {
            let _ = writeln!(
                out,
                r##"<rect x="{}" y="20" width="200" height="40" rx="6" fill="#f0f0f0" stroke="#333333"/><text x="{x}" y="45" text-anchor="middle" font-weight="bold">{}</text>"##,
                x - 100,
                esc(&e.to_string())
            );
            let _ = writeln!(
                out,
                r##"<line x1="{x}" y1="60" x2="{x}" y2="{bottom}" stroke="#999999" stroke-width="2"/>"##
            );
        }
        let _ = writeln!(out, r##"<text x="20" y="80" fill="#666666">time (s)</text>"##);
        let mut notes = self.notes_of(conv).peekable();
        for (i, a) in arrows.iter().take(drawn).enumerate() {
            let y = TOP + i as u32 * ROW;
            self.svg_arrow(out, a, y, start, first.src == a.src);
            let mut dy = 0;
            while let Some(n) = notes.next_if(|n| n.frame == a.frame) {
                let _ = writeln!(
                    out,
                    r##"<text x="{NOTES}" y="{}" fill="{}">{}</text>"##,
                    y + 18 + dy,
                    note_colour(n.kind),
                    esc(&n.text)
                );
                dy += 14;
            }
        }
        if elided > 0 {
            let y = TOP + drawn as u32 * ROW + 24;
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{y}" text-anchor="middle" font-style="italic" fill="#666666">... {elided} more segments not drawn ...</text>"##,
                (LEFT + RIGHT) / 2
            );
        }
        legend(out, bottom + 30);
        out.push_str("</svg>\n");
    }

    /// One arrow at height `y`, from the left lifeline when `rightward`.
    fn svg_arrow(&self, out: &mut String, a: &Arrow, y: u32, start: crate::Timestamp, rightward: bool) {
        let (x1, x2) = if rightward { (LEFT, RIGHT) } else { (RIGHT, LEFT) };
        let c = colour(a);
        let mut t = String::new();
        text::relative_time(&mut t, a.time, start, a.digits.min(6));
        let dash = if a.analysis.is_retransmission() {
            r##" stroke-dasharray="6 3""##
        } else {
            ""
        };
        let _ = writeln!(out, r##"<text x="20" y="{}" fill="#666666">{t}</text>"##, y + 22);
        let _ = writeln!(
            out,
            r##"<line x1="{x1}" y1="{}" x2="{x2}" y2="{}" stroke="{c}" stroke-width="2" marker-end="url(#head)"{dash}/>"##,
            y + 12,
            y + 34
        );
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="{c}">{}</text>"##,
            (LEFT + RIGHT) / 2,
            y + 14,
            esc(&describe(a))
        );
    }
}

/// The colours' key at height `y`.
fn legend(out: &mut String, y: u32) {
    let mut x = 20;
    for (colour, what) in [
        ("#333333", "segment"),
        ("#d62728", "retransmission"),
        ("#9467bd", "out of order"),
        ("#2ca02c", "duplicate ACK"),
        ("#bcbd22", "zero window"),
    ] {
        let _ = writeln!(
            out,
            r##"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}">{what}</text>"##,
            x + 24,
            x + 30,
            y + 4
        );
        x += 150;
    }
}
