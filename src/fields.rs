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
    Column::of(name).is_some()
}

fn status(v: ChecksumVerdict) -> u8 {
    match v {
        ChecksumVerdict::Good => 1,
        ChecksumVerdict::Unverifiable => 2,
        ChecksumVerdict::Bad { .. } | ChecksumVerdict::Partial | ChecksumVerdict::Zero => 0,
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

/// A field resolved from its name once ([`Column::of`]), so that writing a row does not
/// compare names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Column(F);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum F {
    FrameNumber,
    TimeEpoch,
    FrameLen,
    CapLen,
    EthSrc,
    EthDst,
    EthType,
    VlanId,
    IpVersion,
    IpHdrLen,
    IpDsfield,
    IpLen,
    IpId,
    IpDf,
    IpMf,
    IpFragOffset,
    IpTtl,
    IpProto,
    IpChecksum,
    IpChecksumStatus,
    IpSrc,
    IpDst,
    TcpSrcPort,
    TcpDstPort,
    TcpLen,
    TcpSeqRaw,
    TcpAckRaw,
    TcpHdrLen,
    TcpFlags,
    TcpWindowValue,
    TcpChecksum,
    TcpChecksumStatus,
    TcpUrgent,
    Mss,
    WscaleShift,
    SackPerm,
    TsVal,
    TsEcr,
    Stream,
    Seq,
    Ack,
    NxtSeq,
    WindowSize,
    ScaleFactor,
    SackLe,
    SackRe,
    Flag(AnalysisFlags),
    DupAckNum,
    InitialRtt,
    Completeness,
    SynackIpChecksum,
    SynackTcpChecksum,
}

const COLUMNS: &[(&str, F)] = &[
    ("frame.number", F::FrameNumber),
    ("frame.time_epoch", F::TimeEpoch),
    ("frame.len", F::FrameLen),
    ("frame.cap_len", F::CapLen),
    ("eth.src", F::EthSrc),
    ("eth.dst", F::EthDst),
    ("eth.type", F::EthType),
    ("vlan.id", F::VlanId),
    ("ip.version", F::IpVersion),
    ("ip.hdr_len", F::IpHdrLen),
    ("ip.dsfield", F::IpDsfield),
    ("ip.len", F::IpLen),
    ("ip.id", F::IpId),
    ("ip.flags.df", F::IpDf),
    ("ip.flags.mf", F::IpMf),
    ("ip.frag_offset", F::IpFragOffset),
    ("ip.ttl", F::IpTtl),
    ("ip.proto", F::IpProto),
    ("ip.checksum", F::IpChecksum),
    ("ip.checksum.status", F::IpChecksumStatus),
    ("ip.src", F::IpSrc),
    ("ip.dst", F::IpDst),
    ("tcp.srcport", F::TcpSrcPort),
    ("tcp.dstport", F::TcpDstPort),
    ("tcp.len", F::TcpLen),
    ("tcp.seq_raw", F::TcpSeqRaw),
    ("tcp.ack_raw", F::TcpAckRaw),
    ("tcp.hdr_len", F::TcpHdrLen),
    ("tcp.flags", F::TcpFlags),
    ("tcp.window_size_value", F::TcpWindowValue),
    ("tcp.checksum", F::TcpChecksum),
    ("tcp.checksum.status", F::TcpChecksumStatus),
    ("tcp.urgent_pointer", F::TcpUrgent),
    ("tcp.options.mss_val", F::Mss),
    ("tcp.options.wscale.shift", F::WscaleShift),
    ("tcp.options.sack_perm", F::SackPerm),
    ("tcp.options.timestamp.tsval", F::TsVal),
    ("tcp.options.timestamp.tsecr", F::TsEcr),
    ("tcp.stream", F::Stream),
    ("tcp.seq", F::Seq),
    ("tcp.ack", F::Ack),
    ("tcp.nxtseq", F::NxtSeq),
    ("tcp.window_size", F::WindowSize),
    ("tcp.window_size_scalefactor", F::ScaleFactor),
    ("tcp.options.sack_le", F::SackLe),
    ("tcp.options.sack_re", F::SackRe),
    ("tcp.analysis.duplicate_ack_num", F::DupAckNum),
    ("tcp.analysis.initial_rtt", F::InitialRtt),
    ("tcp.completeness", F::Completeness),
    ("synack.ip.checksum", F::SynackIpChecksum),
    ("synack.tcp.checksum", F::SynackTcpChecksum),
];

impl Column {
    /// Returns the column of a field name, or `None` for a name synack does not know.
    pub fn of(name: &str) -> Option<Column> {
        let named = COLUMNS.iter().find(|(n, _)| *n == name).map(|&(_, f)| Column(f));
        // The analysis flags are named once, by AnalysisFlags::field_name.
        named.or_else(|| {
            AnalysisFlags::all()
                .iter()
                .find(|f| f.field_name() == name)
                .map(|f| Column(F::Flag(f)))
        })
    }

    /// Returns the field's name.
    pub fn name(self) -> &'static str {
        match self.0 {
            F::Flag(f) => f.field_name(),
            _ => COLUMNS.iter().find(|(_, f)| *f == self.0).map_or("", |(n, _)| n),
        }
    }
}

/// Appends `v` in decimal.
fn dec(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// Appends ASCII bytes (digits) without re-validating them as UTF-8.
#[inline]
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len());
    for &b in bytes {
        out.push(char::from(b));
    }
}

/// Appends a signed value in decimal.
fn sdec(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    dec(out, v.unsigned_abs());
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends the low `digits` hex digits of `v`, zero-padded, after `0x`.
fn hex(out: &mut String, v: u32, digits: u32) {
    out.push_str("0x");
    for d in (0..digits).rev() {
        out.push(char::from(HEX[((v >> (4 * d)) & 0xf) as usize]));
    }
}

/// Appends a decimal value zero-padded to `width` digits.
fn dec_padded(out: &mut String, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut v = v;
    let mut i = buf.len();
    while v > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = (buf.len() - width).min(i);
    push_ascii(out, &buf[start..]);
}

fn mac(out: &mut String, m: &crate::wire::MacAddr) {
    for (i, b) in m.0.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

fn ipv4(out: &mut String, a: core::net::Ipv4Addr) {
    for (i, o) in a.octets().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        dec(out, u64::from(*o));
    }
}

/// Appends, comma-joined, the numbers `pick` takes from each well-formed TCP option.
fn option_numbers(out: &mut String, frame: &Frame<'_>, pick: impl Fn(TcpOption<'_>) -> Option<u64>) {
    let mut first = true;
    for o in frame.tcp.into_iter().flat_map(|t| t.options()).filter_map(Result::ok) {
        if let Some(v) = pick(o) {
            if !first {
                out.push(',');
            }
            first = false;
            dec(out, v);
        }
    }
}

/// Appends the value of field `name` for `row` to `out`; nothing when the frame lacks the
/// field or the name is unknown. To write many rows, resolve the names once with
/// [`Column::of`] and use [`write_column`].
pub fn write_field(out: &mut String, name: &str, row: &Row<'_>) {
    if let Some(c) = Column::of(name) {
        write_column(out, c, row);
    }
}

/// Appends the value of `column` for `row` to `out`; nothing when the frame lacks the field.
pub fn write_column(out: &mut String, column: Column, row: &Row<'_>) {
    let (cf, frame) = (row.captured(), row.frame());
    let ip = frame.ipv4.as_ref();
    let tcp = frame.tcp.as_ref();
    let a = row.analysis();
    match column.0 {
        F::FrameNumber => dec(out, cf.number),
        F::TimeEpoch => {
            sdec(out, cf.timestamp.secs);
            out.push('.');
            dec_padded(out, u64::from(cf.timestamp.nanos), 9);
        }
        F::FrameLen => dec(out, u64::from(cf.orig_len)),
        F::CapLen => dec(out, cf.cap_len() as u64),
        F::EthSrc => {
            if let Some(e) = frame.ethernet() {
                mac(out, &e.src);
            }
        }
        F::EthDst => {
            if let Some(e) = frame.ethernet() {
                mac(out, &e.dst);
            }
        }
        F::EthType => {
            if let Some(e) = frame.ethernet() {
                hex(out, u32::from(e.ethertype.0), 4);
            }
        }
        F::VlanId => {
            for (i, t) in frame.vlans.as_slice().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                dec(out, u64::from(t.vid));
            }
        }
        F::IpVersion => {
            if let Some(i) = ip {
                dec(out, u64::from(i.version()));
            }
        }
        F::IpHdrLen => {
            if let Some(i) = ip {
                dec(out, i.header_len() as u64);
            }
        }
        F::IpDsfield => {
            if let Some(i) = ip {
                hex(out, u32::from(i.dsfield()), 2);
            }
        }
        F::IpLen => {
            if let Some(l) = frame.ip_total_len() {
                dec(out, l as u64);
            }
        }
        F::IpId => {
            if let Some(i) = ip {
                hex(out, u32::from(i.identification), 4);
            }
        }
        F::IpDf => {
            if let Some(i) = ip {
                dec(out, u64::from(i.flags.contains(crate::wire::Ipv4Flags::DF)));
            }
        }
        F::IpMf => {
            if let Some(i) = ip {
                dec(out, u64::from(i.flags.contains(crate::wire::Ipv4Flags::MF)));
            }
        }
        F::IpFragOffset => {
            if let Some(i) = ip {
                dec(out, u64::from(i.fragment_offset_bytes()));
            }
        }
        F::IpTtl => {
            if let Some(i) = ip {
                dec(out, u64::from(i.ttl));
            }
        }
        F::IpProto => {
            if let Some(i) = ip {
                dec(out, u64::from(i.protocol.0));
            }
        }
        F::IpChecksum => {
            if let Some(i) = ip {
                hex(out, u32::from(i.checksum), 4);
            }
        }
        F::IpChecksumStatus => {
            if let Some(v) = row.ipv4_checksum() {
                dec(out, u64::from(status(v)));
            }
        }
        F::IpSrc => {
            if let Some(i) = ip {
                ipv4(out, i.src);
            }
        }
        F::IpDst => {
            if let Some(i) = ip {
                ipv4(out, i.dst);
            }
        }
        F::TcpSrcPort => {
            if let Some(t) = tcp {
                dec(out, u64::from(t.src_port));
            }
        }
        F::TcpDstPort => {
            if let Some(t) = tcp {
                dec(out, u64::from(t.dst_port));
            }
        }
        F::TcpLen => {
            if let Some(l) = frame.tcp_len() {
                dec(out, l as u64);
            }
        }
        F::TcpSeqRaw => {
            if let Some(t) = tcp {
                dec(out, u64::from(t.seq));
            }
        }
        F::TcpAckRaw => {
            if let Some(t) = tcp {
                dec(out, u64::from(t.ack));
            }
        }
        F::TcpHdrLen => {
            if let Some(t) = tcp {
                dec(out, t.header_len() as u64);
            }
        }
        F::TcpFlags => {
            if let Some(t) = tcp {
                hex(out, u32::from(t.flags.bits()), 4);
            }
        }
        F::TcpWindowValue => {
            if let Some(t) = tcp {
                dec(out, u64::from(t.window));
            }
        }
        F::TcpChecksum => {
            if let Some(t) = tcp {
                hex(out, u32::from(t.checksum), 4);
            }
        }
        F::TcpChecksumStatus => {
            if let Some(v) = row.tcp_checksum() {
                dec(out, u64::from(status(v)));
            }
        }
        F::TcpUrgent => {
            if let Some(t) = tcp {
                dec(out, u64::from(t.urgent_ptr));
            }
        }
        F::Mss => option_numbers(out, frame, |o| {
            if let TcpOption::Mss(m) = o {
                Some(u64::from(m))
            } else {
                None
            }
        }),
        F::WscaleShift => option_numbers(out, frame, |o| {
            if let TcpOption::WindowScale(s) = o {
                Some(u64::from(s))
            } else {
                None
            }
        }),
        F::SackPerm => {
            // An FT_NONE field: tshark prints the option's bytes in hex (kind 04, length 02).
            let n = tcp
                .into_iter()
                .flat_map(|t| t.options())
                .filter(|o| *o == Ok(TcpOption::SackPermitted))
                .count();
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(SACK_PERM_BYTES);
            }
        }
        F::TsVal => option_numbers(out, frame, |o| {
            if let TcpOption::Timestamps { tsval, .. } = o {
                Some(u64::from(tsval))
            } else {
                None
            }
        }),
        F::TsEcr => option_numbers(out, frame, |o| {
            if let TcpOption::Timestamps { tsecr, .. } = o {
                Some(u64::from(tsecr))
            } else {
                None
            }
        }),
        F::Stream => {
            if let Some(a) = a {
                dec(out, u64::from(a.stream));
            }
        }
        F::Seq => {
            if let Some(a) = a {
                dec(out, u64::from(a.seq));
            }
        }
        F::Ack => {
            if let Some(a) = a {
                dec(out, u64::from(a.ack.unwrap_or(tcp.map_or(0, |t| t.ack))));
            }
        }
        F::NxtSeq => {
            if let Some(n) = a.and_then(|a| a.nxtseq) {
                dec(out, u64::from(n));
            }
        }
        F::WindowSize => {
            if let Some(a) = a {
                dec(out, u64::from(a.window_size));
            }
        }
        F::ScaleFactor => {
            if let Some(s) = a.and_then(|a| a.scale) {
                sdec(out, i64::from(s.factor()));
            }
        }
        F::SackLe | F::SackRe => {
            let base = a.map_or(0, |a| a.peer_base);
            let right = column.0 == F::SackRe;
            let mut first = true;
            for o in tcp.into_iter().flat_map(|t| t.options()).filter_map(Result::ok) {
                if let TcpOption::Sack(blocks) = o {
                    for (l, r) in blocks.iter() {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        dec(out, u64::from(if right { r.0 } else { l.0 }.wrapping_sub(base)));
                    }
                }
            }
        }
        F::Flag(flag) => {
            if a.is_some_and(|a| a.flags.contains(flag)) {
                // FT_NONE fields print 1 per occurrence; the duplicate-ACK field occurs twice.
                out.push('1');
                if flag == AnalysisFlags::DUPLICATE_ACK {
                    out.push_str(",1");
                }
            }
        }
        F::DupAckNum => {
            if let Some(a) = a.filter(|a| a.flags.contains(AnalysisFlags::DUPLICATE_ACK)) {
                dec(out, u64::from(a.dupack_num));
            }
        }
        F::InitialRtt => {
            if let Some(d) = a.and_then(|a| a.initial_rtt) {
                dec(out, d.as_secs());
                out.push('.');
                dec_padded(out, u64::from(d.subsec_nanos()), 9);
            }
        }
        F::Completeness => {
            if let Some(a) = a {
                dec(out, u64::from(a.completeness));
            }
        }
        F::SynackIpChecksum => {
            if let Some(v) = row.ipv4_checksum() {
                out.push_str(v.name());
            }
        }
        F::SynackTcpChecksum => {
            if let Some(v) = row.tcp_checksum() {
                out.push_str(v.name());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_field_resolves_and_names_itself() {
        for n in DEFAULT_FIELDS.iter().chain(ANALYSIS_FIELDS).chain(SYNACK_FIELDS) {
            let c = Column::of(n).unwrap_or_else(|| panic!("{n} does not resolve"));
            assert_eq!(c.name(), *n);
        }
        assert_eq!(Column::of("tcp.analysis"), None);
    }
}
