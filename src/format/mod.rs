//! Output formats: frames and the tracker's results as the text people and tools read.
//!
//! * [`frame`] — one frame as a tshark-like line, a Network Monitor line (the lab report's
//!   form), every field, or a hex dump.
//! * [`event`] — one event or connection summary as a line.
//! * [`follow`] — one conversation's payload as Wireshark's "Follow TCP Stream" (`tshark -z
//!   follow,tcp,...`) shows it, and tcpflow's file names.
//! * [`ladder`] — each conversation's ladder diagram: as `tshark -z flow,tcp,standard` prints
//!   it, as SVG, as a Mermaid `sequenceDiagram`.
//!
//! Wireshark's display-filter fields (`tshark -T fields`) are in [`crate::fields`], and Zeek's
//! `conn.log` rows in [`ConnSummary::write_conn_log`](crate::track::ConnSummary::write_conn_log).

pub mod event;
pub mod follow;
pub mod frame;
pub mod ladder;
