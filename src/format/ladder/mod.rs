//! A picture of each conversation: the ladder (sequence) diagram of its segments, as
//! Wireshark's flow graph draws it, in three forms.
//!
//! [`Ladder`] is the model: the participants, one [`Arrow`] per TCP segment (its flags,
//! length, relative sequence and acknowledgment numbers, time and Wireshark's analysis
//! flags), grouped by conversation (Wireshark's `tcp.stream`), and [`Note`]s from the
//! tracker's events (the handshake's options, who closes first, the final ACK, how it
//! closed). [`LadderBuilder`] makes it from a capture's frames. Then:
//!
//! * [`Ladder::write_text`] — what `tshark -q -z flow,tcp,standard` (and `flow,tcp,network`)
//!   prints, byte for byte: `sequence_analysis_dump_to_file` in Wireshark's
//!   `ui/tap-sequence-analysis.c` over the items of `tcp_seq_analysis_packet`
//!   (`epan/dissectors/packet-tcp.c`);
//! * [`Ladder::write_svg`] — one conversation drawn as the lab report's figures draw it: two
//!   lifelines, an arrow per segment, a time axis, the notes beside the arrows, tcptrace's
//!   colours for retransmissions, out-of-order segments and duplicate ACKs;
//! * [`Ladder::write_mermaid`] — one conversation as a Mermaid `sequenceDiagram` (GitHub and
//!   GitLab render it), with the same notes.
//!
//! ```
//! use synack::capture::CaptureReader;
//! use synack::format::ladder::Ladder;
//!
//! let (ladder, damage) = Ladder::read(CaptureReader::seed());
//! assert!(damage.is_none());
//! let mut text = String::new();
//! ladder.write_text(&mut text);
//! assert!(text.starts_with("|Time     | 10.7.92.177                           |\n"));
//! assert!(text.contains("|0.000000000|         SYN       |                   |Seq = 0\n"));
//! let mut mermaid = String::new();
//! ladder.write_mermaid(&mut mermaid, 0);
//! assert!(mermaid.contains("Note over C,S: handshake complete: MSS 1460/1460, window scale 8/8"));
//! ```

mod mermaid;
mod notes;
mod svg;
mod text;

use std::string::String;
use std::vec::Vec;

use crate::Timestamp;
use crate::capture::{CaptureError, CaptureReader, CapturedFrame};
use crate::track::{AnalysisFlags, Analyzer, Config, Endpoint, FlowKey, Tracker};
use crate::wire::TcpFlags;

pub use svg::SvgOptions;

/// One TCP segment of the ladder: an arrow from its sender to its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Arrow {
    /// The frame's number in the capture (from 1).
    pub frame: u64,
    /// Its conversation (Wireshark's `tcp.stream`).
    pub conv: u32,
    /// The frame's time.
    pub time: Timestamp,
    /// How many digits after the decimal point its time is shown with (the capture
    /// interface's precision: [`CaptureReader::time_digits`]).
    pub digits: u8,
    /// The sender.
    pub src: Endpoint,
    /// The receiver.
    pub dst: Endpoint,
    /// The flags.
    pub flags: TcpFlags,
    /// The payload's length, when the IP header tells it.
    pub len: Option<u32>,
    /// The sequence number, relative to the sender's first (`tcp.seq`).
    pub seq: u32,
    /// The acknowledgment number, relative (`tcp.ack`), when ACK is set.
    pub ack: Option<u32>,
    /// Wireshark's analysis of the segment (`tcp.analysis.*`).
    pub analysis: AnalysisFlags,
}

/// What a note says: the tracker's reading of the conversation at one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoteKind {
    /// The handshake completed.
    Handshake,
    /// A step of the teardown: a FIN, its acknowledgment, the final ACK.
    Teardown,
    /// How the connection closed (a reset, a refusal, a timeout too).
    Closed,
    /// Something wrong: a bad checksum, a RST outside the window, an inconsistency.
    Anomaly,
}

/// A note beside one arrow.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Note {
    /// The frame of the arrow it belongs to.
    pub frame: u64,
    /// Its conversation.
    pub conv: u32,
    /// What kind of note.
    pub kind: NoteKind,
    /// The text ("handshake complete: MSS 1460/1460, window scale 8/8").
    pub text: String,
}

/// The ladder of a capture's TCP conversations. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Ladder {
    /// The capture's first frame's time (times are shown relative to it, as tshark does).
    first: Option<Timestamp>,
    arrows: Vec<Arrow>,
    notes: Vec<Note>,
}

impl Ladder {
    /// Reads a whole capture into a ladder of all its conversations; a damaged capture's
    /// error comes with the ladder of its frames before the damage.
    pub fn read(reader: CaptureReader<'_>) -> (Ladder, Option<CaptureError>) {
        LadderBuilder::new().read(reader)
    }

    /// Returns the arrows, in frame order.
    pub fn arrows(&self) -> &[Arrow] {
        &self.arrows
    }

    /// Returns the notes, in frame order.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// Returns the capture's first frame's time.
    pub fn start(&self) -> Option<Timestamp> {
        self.first
    }

    /// Returns the conversations' numbers, in the order of their first arrow.
    pub fn conversations(&self) -> Vec<u32> {
        let mut seen = Vec::new();
        for a in &self.arrows {
            if !seen.contains(&a.conv) {
                seen.push(a.conv);
            }
        }
        seen
    }

    /// Returns the arrows of conversation `conv`.
    pub fn arrows_of(&self, conv: u32) -> impl Iterator<Item = &Arrow> + '_ {
        self.arrows.iter().filter(move |a| a.conv == conv)
    }

    /// Returns the notes of conversation `conv`.
    pub fn notes_of(&self, conv: u32) -> impl Iterator<Item = &Note> + '_ {
        self.notes.iter().filter(move |n| n.conv == conv)
    }
}

/// Makes a [`Ladder`] from a capture's frames: Wireshark's analysis (for `tcp.stream` and the
/// relative numbers) and the tracker (for the notes) see every frame; the ladder keeps the
/// arrows of every conversation or of one.
#[derive(Debug)]
pub struct LadderBuilder {
    only: Option<u32>,
    analyzer: Analyzer,
    tracker: Tracker,
    ladder: Ladder,
}

impl Default for LadderBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LadderBuilder {
    /// Returns a builder that keeps every conversation.
    pub fn new() -> Self {
        LadderBuilder {
            only: None,
            analyzer: Analyzer::new(),
            tracker: Tracker::new(Config::default().with_conn_summaries(false)),
            ladder: Ladder::default(),
        }
    }

    /// Returns a builder that keeps conversation `conv` only (the others are analysed, not
    /// kept: a large capture's one conversation in little memory).
    pub fn only(conv: u32) -> Self {
        LadderBuilder {
            only: Some(conv),
            ..Self::new()
        }
    }

    /// Takes the capture's next frame; `digits` is its time precision
    /// ([`CaptureReader::time_digits`]).
    pub fn frame(&mut self, cf: &CapturedFrame<'_>, digits: u8) {
        self.ladder.first.get_or_insert(cf.timestamp);
        let frame = cf.dissect();
        let analysis = self.analyzer.analyze(cf.timestamp, &frame);
        let (Some(a), Some(tcp), Some((src, dst))) = (analysis, frame.tcp.as_ref(), FlowKey::endpoints_of(&frame))
        else {
            return;
        };
        if self.only.is_some_and(|c| c != a.stream) {
            // The tracker needs the conversation's own frames only.
            return;
        }
        let events = self.tracker.observe(cf.timestamp, &frame);
        self.ladder.arrows.push(Arrow {
            frame: cf.number,
            conv: a.stream,
            time: cf.timestamp,
            digits,
            src,
            dst,
            flags: tcp.flags,
            len: frame.tcp_len().map(|l| l as u32),
            seq: a.seq,
            ack: a.ack,
            analysis: a.flags,
        });
        for e in events {
            if let Some((kind, text)) = notes::note(e) {
                self.ladder.notes.push(Note {
                    frame: cf.number,
                    conv: a.stream,
                    kind,
                    text,
                });
            }
        }
    }

    /// Reads every frame of `reader` and returns the ladder, and the capture's error when it
    /// is damaged (the ladder then has the frames before the damage).
    pub fn read(mut self, mut reader: CaptureReader<'_>) -> (Ladder, Option<CaptureError>) {
        while let Some(frame) = reader.next_frame() {
            let frame = match frame {
                Ok(f) => f,
                Err(e) => return (self.finish(), Some(e)),
            };
            let (interface, before) = (frame.interface, self.ladder.arrows.len());
            self.frame(&frame, 0);
            // The precision is the reader's to tell, once the frame is let go.
            let digits = reader.time_digits(interface);
            for a in &mut self.ladder.arrows[before..] {
                a.digits = digits;
            }
        }
        (self.finish(), None)
    }

    /// Returns the ladder.
    pub fn finish(self) -> Ladder {
        self.ladder
    }
}
