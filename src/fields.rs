//! Wireshark display-filter fields, formatted as `tshark -T fields` (4.0) prints them.
//!
//! [`write_field`] appends one column's value for one frame ([`Row`]): empty when the field is absent,
//! several occurrences comma-joined (tshark's `-E occurrence=a -E aggregator=,`). Checksum
//! statuses follow tshark with validation on (`-o ip.check_checksum:TRUE -o
//! tcp.check_checksum:TRUE`): 0 bad, 1 good, 2 unverified. Offload artefacts are "bad" to
//! tshark; synack's own verdicts are in `synack.ip.checksum` and `synack.tcp.checksum`.
//!
//! ```
//! use synack::capture::CapturedFrame;
//! use synack::fields::{write_field, Row};
//! use synack::wire::LinkType;
//!
//! let seed = synack::seed::FRAMES[1];
//! let cf = CapturedFrame { number: 2, timestamp: seed.timestamp, orig_len: 66,
//!                          link: LinkType::ETHERNET, interface: 0, data: seed.bytes };
//! let row = Row::new(cf);
//! let mut out = String::new();
//! for name in ["tcp.flags", "ip.id", "tcp.options.sack_perm", "ip.checksum.status", "synack.tcp.checksum"] {
//!     write_field(&mut out, name, &row);
//!     out.push('\t');
//! }
//! assert_eq!(out, "0x0012\t0xe0d1\t0402\t0\tpartial\t");
//! ```

use core::cell::OnceCell;
use core::fmt::Write;

use crate::capture::CapturedFrame;
use crate::track::{AnalysisFlags, SegmentAnalysis};
use crate::wire::{ChecksumVerdict, Frame, TcpOption};

/// The default column set of `dissect --fields`.
pub const DEFAULT_FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "frame.len",
    "frame.cap_len",
    "eth.src",
    "eth.dst",
    "eth.type",
    "vlan.id",
    "ip.version",
    "ip.hdr_len",
    "ip.dsfield",
    "ip.len",
    "ip.id",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.checksum",
    "ip.checksum.status",
    "ip.src",
    "ip.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.len",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.checksum",
    "tcp.checksum.status",
    "tcp.urgent_pointer",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
];

/// Wireshark's stateful TCP columns: conversation numbers, relative sequence numbers, window
/// scaling and the `tcp.analysis.*` flags. [`Row::with_analysis`] supplies their values, from
/// a [`crate::track::Analyzer`] run over the capture in order.
pub const ANALYSIS_FIELDS: &[&str] = &[
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.nxtseq",
    "tcp.window_size",
    "tcp.window_size_scalefactor",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "tcp.analysis.retransmission",
    "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission",
    "tcp.analysis.out_of_order",
    "tcp.analysis.lost_segment",
    "tcp.analysis.ack_lost_segment",
    "tcp.analysis.duplicate_ack",
    "tcp.analysis.duplicate_ack_num",
    "tcp.analysis.zero_window",
    "tcp.analysis.zero_window_probe",
    "tcp.analysis.keep_alive",
    "tcp.analysis.keep_alive_ack",
    "tcp.analysis.window_update",
    "tcp.analysis.window_full",
    "tcp.analysis.reused_ports",
    "tcp.analysis.initial_rtt",
    "tcp.completeness",
];

/// synack's own columns, appended to the default set.
pub const SYNACK_FIELDS: &[&str] = &["synack.ip.checksum", "synack.tcp.checksum"];

/// Returns true for a field name [`write_field`] knows.
pub fn is_known(name: &str) -> bool {
    DEFAULT_FIELDS.contains(&name) || SYNACK_FIELDS.contains(&name) || ANALYSIS_FIELDS.contains(&name)
}

fn status(v: ChecksumVerdict) -> u8 {
    match v {
        ChecksumVerdict::Good => 1,
        ChecksumVerdict::Unverifiable => 2,
        ChecksumVerdict::Bad { .. } | ChecksumVerdict::Partial | ChecksumVerdict::Zero => 0,
    }
}

/// Appends `items` comma-joined.
fn joined<I: Iterator<Item = T>, T: core::fmt::Display>(out: &mut String, items: I) {
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v}");
    }
}

/// One frame as a row of fields: the captured frame, its decoding, and its checksum verdicts,
/// each computed at most once however many columns ask for it.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    captured: CapturedFrame<'a>,
    frame: Frame<'a>,
    ipv4_checksum: OnceCell<Option<ChecksumVerdict>>,
    tcp_checksum: OnceCell<Option<ChecksumVerdict>>,
    analysis: Option<SegmentAnalysis>,
}

impl<'a> Row<'a> {
    /// Returns the row of a captured frame, decoding it.
    pub fn new(captured: CapturedFrame<'a>) -> Self {
        Row {
            captured,
            frame: captured.dissect(),
            ipv4_checksum: OnceCell::new(),
            tcp_checksum: OnceCell::new(),
            analysis: None,
        }
    }

    /// Returns the row with Wireshark's sequence analysis of the frame, for the
    /// [`ANALYSIS_FIELDS`] columns.
    pub fn with_analysis(mut self, analysis: Option<SegmentAnalysis>) -> Self {
        self.analysis = analysis;
        self
    }

    /// Returns the sequence analysis, when supplied.
    pub fn analysis(&self) -> Option<&SegmentAnalysis> {
        self.analysis.as_ref()
    }

    /// Returns the captured frame.
    pub fn captured(&self) -> &CapturedFrame<'a> {
        &self.captured
    }

    /// Returns the decoded frame.
    pub fn frame(&self) -> &Frame<'a> {
        &self.frame
    }

    /// Returns the IPv4 header checksum verdict (computed on first use).
    pub fn ipv4_checksum(&self) -> Option<ChecksumVerdict> {
        *self.ipv4_checksum.get_or_init(|| self.frame.ipv4_checksum())
    }

    /// Returns the TCP checksum verdict (computed on first use).
    pub fn tcp_checksum(&self) -> Option<ChecksumVerdict> {
        *self.tcp_checksum.get_or_init(|| self.frame.tcp_checksum())
    }
}

/// The bytes of a SACK-permitted option (kind 4, length 2), as tshark prints the field.
const SACK_PERM_BYTES: &str = "0402";

/// Appends, comma-joined, what `pick` takes from each well-formed TCP option of the frame.
fn option_values<T: core::fmt::Display>(
    out: &mut String,
    frame: &Frame<'_>,
    pick: impl Fn(TcpOption<'_>) -> Option<T>,
) {
    let options = frame.tcp.into_iter().flat_map(|t| t.options()).filter_map(Result::ok);
    joined(out, options.filter_map(pick));
}

/// Appends the value of field `name` for `row` to `out`; nothing when the frame lacks the
/// field or the name is unknown.
pub fn write_field(out: &mut String, name: &str, row: &Row<'_>) {
    let (cf, frame) = (row.captured(), row.frame());
    let ip = frame.ipv4;
    let tcp = frame.tcp;
    let eth = frame.ethernet();
    let _ = match name {
        "frame.number" => write!(out, "{}", cf.number),
        "frame.time_epoch" => write!(out, "{}", cf.timestamp),
        "frame.len" => write!(out, "{}", cf.orig_len),
        "frame.cap_len" => write!(out, "{}", cf.cap_len()),
        "eth.src" => eth.map_or(Ok(()), |e| write!(out, "{}", e.src)),
        "eth.dst" => eth.map_or(Ok(()), |e| write!(out, "{}", e.dst)),
        "eth.type" => eth.map_or(Ok(()), |e| write!(out, "0x{:04x}", e.ethertype.0)),
        "vlan.id" => {
            joined(out, frame.vlans.as_slice().iter().map(|t| t.vid));
            Ok(())
        }
        "ip.version" => ip.map_or(Ok(()), |i| write!(out, "{}", i.version())),
        "ip.hdr_len" => ip.map_or(Ok(()), |i| write!(out, "{}", i.header_len())),
        "ip.dsfield" => ip.map_or(Ok(()), |i| write!(out, "0x{:02x}", i.dsfield())),
        "ip.len" => frame.ip_total_len().map_or(Ok(()), |l| write!(out, "{l}")),
        "ip.id" => ip.map_or(Ok(()), |i| write!(out, "0x{:04x}", i.identification)),
        "ip.flags.df" => ip.map_or(Ok(()), |i| {
            write!(out, "{}", u8::from(i.flags.contains(crate::wire::Ipv4Flags::DF)))
        }),
        "ip.flags.mf" => ip.map_or(Ok(()), |i| {
            write!(out, "{}", u8::from(i.flags.contains(crate::wire::Ipv4Flags::MF)))
        }),
        "ip.frag_offset" => ip.map_or(Ok(()), |i| write!(out, "{}", i.fragment_offset_bytes())),
        "ip.ttl" => ip.map_or(Ok(()), |i| write!(out, "{}", i.ttl)),
        "ip.proto" => ip.map_or(Ok(()), |i| write!(out, "{}", i.protocol.0)),
        "ip.checksum" => ip.map_or(Ok(()), |i| write!(out, "0x{:04x}", i.checksum)),
        "ip.checksum.status" => row.ipv4_checksum().map_or(Ok(()), |v| write!(out, "{}", status(v))),
        "ip.src" => ip.map_or(Ok(()), |i| write!(out, "{}", i.src)),
        "ip.dst" => ip.map_or(Ok(()), |i| write!(out, "{}", i.dst)),
        "tcp.srcport" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.src_port)),
        "tcp.dstport" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.dst_port)),
        "tcp.len" => frame.tcp_len().map_or(Ok(()), |l| write!(out, "{l}")),
        "tcp.seq_raw" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.seq)),
        "tcp.ack_raw" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.ack)),
        "tcp.hdr_len" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.header_len())),
        "tcp.flags" => tcp.map_or(Ok(()), |t| write!(out, "0x{:04x}", t.flags.bits())),
        "tcp.window_size_value" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.window)),
        "tcp.checksum" => tcp.map_or(Ok(()), |t| write!(out, "0x{:04x}", t.checksum)),
        "tcp.checksum.status" => row.tcp_checksum().map_or(Ok(()), |v| write!(out, "{}", status(v))),
        "tcp.urgent_pointer" => tcp.map_or(Ok(()), |t| write!(out, "{}", t.urgent_ptr)),
        "tcp.options.mss_val" => {
            option_values(out, frame, |o| if let TcpOption::Mss(m) = o { Some(m) } else { None });
            Ok(())
        }
        "tcp.options.wscale.shift" => {
            option_values(out, frame, |o| {
                if let TcpOption::WindowScale(s) = o {
                    Some(s)
                } else {
                    None
                }
            });
            Ok(())
        }
        "tcp.options.sack_perm" => {
            // An FT_NONE field: tshark prints the option's bytes in hex (kind 04, length 02).
            option_values(out, frame, |o| {
                (o == TcpOption::SackPermitted).then_some(SACK_PERM_BYTES)
            });
            Ok(())
        }
        "tcp.options.timestamp.tsval" => {
            option_values(out, frame, |o| {
                if let TcpOption::Timestamps { tsval, .. } = o {
                    Some(tsval)
                } else {
                    None
                }
            });
            Ok(())
        }
        "tcp.options.timestamp.tsecr" => {
            option_values(out, frame, |o| {
                if let TcpOption::Timestamps { tsecr, .. } = o {
                    Some(tsecr)
                } else {
                    None
                }
            });
            Ok(())
        }
        "tcp.stream" => row.analysis().map_or(Ok(()), |a| write!(out, "{}", a.stream)),
        "tcp.seq" => row.analysis().map_or(Ok(()), |a| write!(out, "{}", a.seq)),
        "tcp.ack" => row.analysis().map_or(Ok(()), |a| match a.ack {
            Some(ack) => write!(out, "{ack}"),
            None => write!(out, "{}", tcp.map_or(0, |t| t.ack)),
        }),
        "tcp.nxtseq" => row
            .analysis()
            .and_then(|a| a.nxtseq)
            .map_or(Ok(()), |n| write!(out, "{n}")),
        "tcp.window_size" => row.analysis().map_or(Ok(()), |a| write!(out, "{}", a.window_size)),
        "tcp.window_size_scalefactor" => row
            .analysis()
            .and_then(|a| a.scale)
            .map_or(Ok(()), |s| write!(out, "{}", s.factor())),
        "tcp.options.sack_le" | "tcp.options.sack_re" => {
            let base = row.analysis().map_or(0, |a| a.peer_base);
            let right = name.ends_with("re");
            let mut first = true;
            for o in tcp.into_iter().flat_map(|t| t.options()).filter_map(Result::ok) {
                if let TcpOption::Sack(blocks) = o {
                    for (l, r) in blocks.iter() {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        let _ = write!(out, "{}", if right { r.0 } else { l.0 }.wrapping_sub(base));
                    }
                }
            }
            Ok(())
        }
        "tcp.analysis.duplicate_ack_num" => row
            .analysis()
            .filter(|a| a.flags.contains(AnalysisFlags::DUPLICATE_ACK))
            .map_or(Ok(()), |a| write!(out, "{}", a.dupack_num)),
        "tcp.analysis.initial_rtt" => row
            .analysis()
            .and_then(|a| a.initial_rtt)
            .map_or(Ok(()), |d| write!(out, "{}.{:09}", d.as_secs(), d.subsec_nanos())),
        "tcp.completeness" => row.analysis().map_or(Ok(()), |a| write!(out, "{}", a.completeness)),
        n if n.starts_with("tcp.analysis.") => {
            if let Some(a) = row.analysis() {
                if let Some(f) = a.flags.iter().find(|f| f.field_name() == n) {
                    // FT_NONE fields print 1 per occurrence; the duplicate-ACK field occurs twice.
                    let _ = f;
                    out.push('1');
                    if n == "tcp.analysis.duplicate_ack" {
                        out.push_str(",1");
                    }
                }
            }
            Ok(())
        }
        "synack.ip.checksum" => row.ipv4_checksum().map_or(Ok(()), |v| write!(out, "{}", v.name())),
        "synack.tcp.checksum" => row.tcp_checksum().map_or(Ok(()), |v| write!(out, "{}", v.name())),
        _ => Ok(()),
    };
}
