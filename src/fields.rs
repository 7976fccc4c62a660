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
use crate::wire::{
    ChecksumVerdict, Frame, IpProtocol, Ipv4Flags, Ipv4Header, Ipv6ExtHeader, Ipv6Fragment, Ipv6Header, TcpHeader,
    TcpOption,
};

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
    "ipv6.version",
    "ipv6.tclass",
    "ipv6.flow",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.hopopts.nxt",
    "ipv6.hopopts.len",
    "ipv6.dstopts.nxt",
    "ipv6.dstopts.len",
    "ipv6.routing.nxt",
    "ipv6.routing.len",
    "ipv6.routing.type",
    "ipv6.routing.segleft",
    "ipv6.fraghdr.nxt",
    "ipv6.fraghdr.offset",
    "ipv6.fraghdr.more",
    "ipv6.fraghdr.ident",
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

/// `tcp.checksum.status` as tshark 4.0 gives it: a checksum field of 0xffff that verifies
/// is "bad", since the sum should have been written 0x0000 (RFC 1624; `dissect_tcp`). The
/// verdict itself stays good: receivers accept it (Linux sends such segments).
fn tcp_status(v: ChecksumVerdict, r: &Row<'_>) -> u8 {
    match v {
        ChecksumVerdict::Good if r.frame().tcp.as_ref().is_some_and(|t| t.checksum == 0xffff) => 0,
        v => status(v),
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

/// Appends one field's value for one row; nothing when the frame lacks the field.
type Writer = fn(&mut String, &Row<'_>);

/// The fields: one line each, its name as tshark spells it and how its value is written.
/// (The `tcp.analysis.*` flags are named once, by [`AnalysisFlags::field_name`].)
#[rustfmt::skip]
const FIELDS: &[(&str, Writer)] = &[
    ("frame.number", |o, r| dec(o, r.captured().number)),
    ("frame.time_epoch", |o, r| time(o, r.captured().timestamp.secs, r.captured().timestamp.nanos)),
    ("frame.len", |o, r| dec(o, u64::from(r.captured().orig_len))),
    ("frame.cap_len", |o, r| dec(o, r.captured().cap_len() as u64)),
    ("eth.src", |o, r| if let Some(e) = r.frame().ethernet() { mac(o, &e.src) }),
    ("eth.dst", |o, r| if let Some(e) = r.frame().ethernet() { mac(o, &e.dst) }),
    ("eth.type", |o, r| if let Some(e) = r.frame().ethernet() { hex(o, u32::from(e.ethertype.0), 4) }),
    ("vlan.id", |o, r| joined(o, r.frame().vlans.as_slice().iter().map(|t| u64::from(t.vid)))),
    // The IPv6 dissector fills `ip.version` too.
    ("ip.version", |o, r| if let Some(i) = ip(r) { dec(o, u64::from(i.version())) } else if let Some(i) = ip6(r) { dec(o, u64::from(i.version())) }),
    ("ip.hdr_len", |o, r| if let Some(i) = ip(r) { dec(o, i.header_len() as u64) }),
    ("ip.dsfield", |o, r| if let Some(i) = ip(r) { hex(o, u32::from(i.dsfield()), 2) }),
    ("ip.len", |o, r| if let (Some(_), Some(l)) = (ip(r), r.frame().ip_total_len()) { dec(o, l as u64) }),
    ("ip.id", |o, r| if let Some(i) = ip(r) { hex(o, u32::from(i.identification), 4) }),
    ("ip.flags.df", |o, r| if let Some(i) = ip(r) { dec(o, u64::from(i.flags.contains(Ipv4Flags::DF))) }),
    ("ip.flags.mf", |o, r| if let Some(i) = ip(r) { dec(o, u64::from(i.flags.contains(Ipv4Flags::MF))) }),
    ("ip.frag_offset", |o, r| if let Some(i) = ip(r) { dec(o, u64::from(i.fragment_offset_bytes())) }),
    ("ip.ttl", |o, r| if let Some(i) = ip(r) { dec(o, u64::from(i.ttl)) }),
    ("ip.proto", |o, r| if let Some(i) = ip(r) { dec(o, u64::from(i.protocol.0)) }),
    ("ip.checksum", |o, r| if let Some(i) = ip(r) { hex(o, u32::from(i.checksum), 4) }),
    ("ip.checksum.status", |o, r| if let Some(v) = r.ipv4_checksum() { dec(o, u64::from(status(v))) }),
    ("ip.src", |o, r| if let Some(i) = ip(r) { ipv4(o, i.src) }),
    ("ip.dst", |o, r| if let Some(i) = ip(r) { ipv4(o, i.dst) }),
    ("ipv6.version", |o, r| if let Some(i) = ip6(r) { dec(o, u64::from(i.version())) }),
    ("ipv6.tclass", |o, r| if let Some(i) = ip6(r) { hex(o, u32::from(i.traffic_class), 8) }),
    ("ipv6.flow", |o, r| if let Some(i) = ip6(r) { hex(o, i.flow_label, 6) }),
    ("ipv6.plen", |o, r| if let Some(i) = ip6(r) { dec(o, u64::from(i.payload_len)) }),
    ("ipv6.nxt", |o, r| if let Some(i) = ip6(r) { dec(o, u64::from(i.next_header.0)) }),
    ("ipv6.hlim", |o, r| if let Some(i) = ip6(r) { dec(o, u64::from(i.hop_limit)) }),
    ("ipv6.src", |o, r| if let Some(i) = ip6(r) { ipv6(o, i.src) }),
    ("ipv6.dst", |o, r| if let Some(i) = ip6(r) { ipv6(o, i.dst) }),
    ("ipv6.hopopts.nxt", |o, r| joined(o, ext(r, IpProtocol::HOP_BY_HOP).map(|h| u64::from(h.next_header().0)))),
    ("ipv6.hopopts.len", |o, r| joined(o, ext(r, IpProtocol::HOP_BY_HOP).map(|h| u64::from(h.len_field())))),
    ("ipv6.dstopts.nxt", |o, r| joined(o, ext(r, IpProtocol::DESTINATION_OPTIONS).map(|h| u64::from(h.next_header().0)))),
    ("ipv6.dstopts.len", |o, r| joined(o, ext(r, IpProtocol::DESTINATION_OPTIONS).map(|h| u64::from(h.len_field())))),
    ("ipv6.routing.nxt", |o, r| joined(o, ext(r, IpProtocol::ROUTING).map(|h| u64::from(h.next_header().0)))),
    ("ipv6.routing.len", |o, r| joined(o, ext(r, IpProtocol::ROUTING).map(|h| u64::from(h.len_field())))),
    ("ipv6.routing.type", |o, r| joined(o, ext(r, IpProtocol::ROUTING).filter_map(|h| h.routing()).map(|x| u64::from(x.routing_type)))),
    ("ipv6.routing.segleft", |o, r| joined(o, ext(r, IpProtocol::ROUTING).filter_map(|h| h.routing()).map(|x| u64::from(x.segments_left)))),
    ("ipv6.fraghdr.nxt", |o, r| joined(o, ext(r, IpProtocol::FRAGMENT).map(|h| u64::from(h.next_header().0)))),
    ("ipv6.fraghdr.offset", |o, r| joined(o, fragments(r).map(|f| u64::from(f.offset)))),
    ("ipv6.fraghdr.more", |o, r| joined(o, fragments(r).map(|f| u64::from(f.more)))),
    ("ipv6.fraghdr.ident", |o, r| hexes(o, fragments(r).map(|f| f.identification), 8)),
    ("tcp.srcport", |o, r| if let Some(t) = tcp(r) { dec(o, u64::from(t.src_port)) }),
    ("tcp.dstport", |o, r| if let Some(t) = tcp(r) { dec(o, u64::from(t.dst_port)) }),
    ("tcp.len", |o, r| if let Some(l) = r.frame().tcp_len() { dec(o, l as u64) }),
    ("tcp.seq_raw", |o, r| if let Some(t) = tcp(r) { dec(o, u64::from(t.seq)) }),
    ("tcp.ack_raw", |o, r| if let Some(t) = tcp(r) { dec(o, u64::from(t.ack)) }),
    ("tcp.hdr_len", |o, r| if let Some(t) = tcp(r) { dec(o, t.header_len() as u64) }),
    ("tcp.flags", |o, r| if let Some(t) = tcp(r) { hex(o, u32::from(t.flags.bits()), 4) }),
    ("tcp.window_size_value", |o, r| if let Some(t) = tcp(r) { dec(o, u64::from(t.window)) }),
    ("tcp.checksum", |o, r| if let Some(t) = tcp(r) { hex(o, u32::from(t.checksum), 4) }),
    ("tcp.checksum.status", |o, r| if let Some(v) = r.tcp_checksum() { dec(o, u64::from(tcp_status(v, r))) }),
    ("tcp.urgent_pointer", |o, r| if let Some(t) = tcp(r) { dec(o, u64::from(t.urgent_ptr)) }),
    ("tcp.options.mss_val", |o, r| joined(o, options(r).filter_map(|x| if let TcpOption::Mss(m) = x { Some(u64::from(m)) } else { None }))),
    ("tcp.options.wscale.shift", |o, r| joined(o, options(r).filter_map(|x| if let TcpOption::WindowScale(s) = x { Some(u64::from(s)) } else { None }))),
    // An FT_NONE field: tshark prints the option's bytes in hex (kind 04, length 02).
    ("tcp.options.sack_perm", |o, r| repeated(o, SACK_PERM_BYTES, options(r).filter(|x| *x == TcpOption::SackPermitted).count())),
    ("tcp.options.timestamp.tsval", |o, r| joined(o, options(r).filter_map(|x| if let TcpOption::Timestamps { tsval, .. } = x { Some(u64::from(tsval)) } else { None }))),
    ("tcp.options.timestamp.tsecr", |o, r| joined(o, options(r).filter_map(|x| if let TcpOption::Timestamps { tsecr, .. } = x { Some(u64::from(tsecr)) } else { None }))),
    ("tcp.stream", |o, r| if let Some(a) = r.analysis() { dec(o, u64::from(a.stream)) }),
    ("tcp.seq", |o, r| if let Some(a) = r.analysis() { dec(o, u64::from(a.seq)) }),
    ("tcp.ack", |o, r| if let Some(a) = r.analysis() { dec(o, u64::from(a.ack.unwrap_or(tcp(r).map_or(0, |t| t.ack)))) }),
    ("tcp.nxtseq", |o, r| if let Some(n) = r.analysis().and_then(|a| a.nxtseq) { dec(o, u64::from(n)) }),
    ("tcp.window_size", |o, r| if let Some(a) = r.analysis() { dec(o, u64::from(a.window_size)) }),
    ("tcp.window_size_scalefactor", |o, r| if let Some(s) = r.analysis().and_then(|a| a.scale) { sdec(o, i64::from(s.factor())) }),
    ("tcp.options.sack_le", |o, r| sack_edges(o, r, false)),
    ("tcp.options.sack_re", |o, r| sack_edges(o, r, true)),
    ("tcp.analysis.duplicate_ack_num", |o, r| if let Some(a) = r.analysis().filter(|a| a.flags.contains(AnalysisFlags::DUPLICATE_ACK)) { dec(o, u64::from(a.dupack_num)) }),
    ("tcp.analysis.initial_rtt", |o, r| if let Some(d) = r.analysis().and_then(|a| a.initial_rtt) { time(o, d.as_secs() as i64, d.subsec_nanos()) }),
    ("tcp.completeness", |o, r| if let Some(a) = r.analysis() { dec(o, u64::from(a.completeness)) }),
    ("synack.ip.checksum", |o, r| if let Some(v) = r.ipv4_checksum() { o.push_str(v.name()) }),
    ("synack.tcp.checksum", |o, r| if let Some(v) = r.tcp_checksum() { o.push_str(v.name()) }),
];

/// A field resolved from its name once ([`Column::of`]), so that writing a row does not
/// compare names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Column(C);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum C {
    /// A row of [`FIELDS`].
    Field(usize),
    /// A `tcp.analysis.*` flag: FT_NONE fields print 1 per occurrence.
    Flag(AnalysisFlags),
}

impl Column {
    /// Returns the column of a field name, or `None` for a name synack does not know.
    pub fn of(name: &str) -> Option<Column> {
        let named = FIELDS.iter().position(|(n, _)| *n == name).map(|i| Column(C::Field(i)));
        named.or_else(|| {
            AnalysisFlags::all()
                .iter()
                .find(|f| f.field_name() == name)
                .map(|f| Column(C::Flag(f)))
        })
    }

    /// Returns the field's name.
    pub fn name(self) -> &'static str {
        match self.0 {
            C::Field(i) => FIELDS[i].0,
            C::Flag(f) => f.field_name(),
        }
    }
}

fn ip<'r>(r: &'r Row<'_>) -> Option<&'r Ipv4Header<'r>> {
    r.frame().ipv4.as_ref()
}

fn ip6<'r>(r: &'r Row<'_>) -> Option<&'r Ipv6Header> {
    r.frame().ipv6.as_ref()
}

/// The frame's IPv6 extension headers of one kind.
fn ext<'r>(r: &'r Row<'_>, kind: IpProtocol) -> impl Iterator<Item = Ipv6ExtHeader<'r>> {
    r.frame().ipv6_extensions.headers().filter(move |h| h.kind == kind)
}

/// The frame's IPv6 fragment headers.
fn fragments<'r>(r: &'r Row<'_>) -> impl Iterator<Item = Ipv6Fragment> + 'r {
    ext(r, IpProtocol::FRAGMENT).filter_map(|h| h.fragment())
}

fn tcp<'r>(r: &'r Row<'_>) -> Option<&'r TcpHeader<'r>> {
    r.frame().tcp.as_ref()
}

/// The frame's well-formed TCP options.
fn options<'r>(r: &'r Row<'_>) -> impl Iterator<Item = TcpOption<'r>> {
    tcp(r).into_iter().flat_map(|t| t.options()).filter_map(Result::ok)
}

/// Appends the numbers comma-joined.
fn joined(out: &mut String, values: impl Iterator<Item = u64>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        dec(out, v);
    }
}

/// Appends the numbers in hex (`digits` wide), comma-joined.
fn hexes(out: &mut String, values: impl Iterator<Item = u32>, digits: u32) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        hex(out, v, digits);
    }
}

/// Appends `text` `n` times, comma-joined.
fn repeated(out: &mut String, text: &str, n: usize) {
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(text);
    }
}

/// Appends seconds and nanoseconds as `s.nnnnnnnnn`.
fn time(out: &mut String, secs: i64, nanos: u32) {
    sdec(out, secs);
    out.push('.');
    dec_padded(out, u64::from(nanos), 9);
}

/// Appends the left (or right) edges of every SACK block, relative to the receiver's base.
fn sack_edges(out: &mut String, r: &Row<'_>, right: bool) {
    let base = r.analysis().map_or(0, |a| a.peer_base);
    let mut first = true;
    for o in options(r) {
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

/// Appends an IPv6 address as Wireshark prints one (RFC 5952's text form).
fn ipv6(out: &mut String, a: core::net::Ipv6Addr) {
    use core::fmt::Write;
    let _ = write!(out, "{a}");
}

fn ipv4(out: &mut String, a: core::net::Ipv4Addr) {
    for (i, o) in a.octets().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        dec(out, u64::from(*o));
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
    match column.0 {
        C::Field(i) => (FIELDS[i].1)(out, row),
        C::Flag(flag) => {
            let shown = |a: &SegmentAnalysis| match flag {
                AnalysisFlags::RETRANSMISSION => a.flags.is_retransmission(),
                _ => a.flags.contains(flag),
            };
            if row.analysis().is_some_and(shown) {
                // The duplicate-ACK field occurs twice.
                out.push_str(if flag == AnalysisFlags::DUPLICATE_ACK {
                    "1,1"
                } else {
                    "1"
                });
            }
        }
    }
}

/// A field name synack does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown field {name}")]
pub struct UnknownField {
    /// The name given.
    pub name: String,
}

/// Writes rows of chosen fields, tab-separated as `tshark -T fields` prints them, and runs
/// Wireshark's sequence analysis over every frame when a column needs it (so it must see
/// every frame, in order).
///
/// ```
/// use synack::capture::CaptureReader;
/// use synack::fields::FieldWriter;
///
/// let mut fields = FieldWriter::new(&["frame.number", "tcp.stream", "tcp.seq", "tcp.len"])?;
/// let mut reader = CaptureReader::seed();
/// let mut rows = Vec::new();
/// while let Some(frame) = reader.next_frame() {
///     let mut row = String::new();
///     fields.write_row(&mut row, frame?);
///     rows.push(row);
/// }
/// assert_eq!(rows[3], "4\t0\t1\t5"); // the lab's 5 bytes, at relative sequence 1
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FieldWriter {
    columns: Vec<Column>,
    analyzer: Option<crate::track::Analyzer>,
}

impl FieldWriter {
    /// Returns a writer of the named fields, in order.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownField> {
        let columns = names
            .iter()
            .map(|n| {
                Column::of(n.as_ref()).ok_or_else(|| UnknownField {
                    name: n.as_ref().to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let stateful = columns.iter().any(|c| ANALYSIS_FIELDS.contains(&c.name()));
        Ok(FieldWriter {
            columns,
            analyzer: stateful.then(crate::track::Analyzer::new),
        })
    }

    /// Returns a writer of every field synack knows: [`DEFAULT_FIELDS`], [`ANALYSIS_FIELDS`]
    /// and [`SYNACK_FIELDS`].
    pub fn all() -> Self {
        let names: Vec<&str> = DEFAULT_FIELDS
            .iter()
            .chain(ANALYSIS_FIELDS)
            .chain(SYNACK_FIELDS)
            .copied()
            .collect();
        FieldWriter::new(&names).expect("the listed fields are known")
    }

    /// Appends the header row (the field names, tab-separated; no newline).
    pub fn write_header(&self, out: &mut String) {
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            out.push_str(c.name());
        }
    }

    /// Appends one frame's row (no newline). Give it every frame of the capture, in order.
    pub fn write_row(&mut self, out: &mut String, frame: CapturedFrame<'_>) {
        let mut row = Row::new(frame);
        if let Some(analyzer) = self.analyzer.as_mut() {
            let a = analyzer.analyze(frame.timestamp, row.frame());
            row = row.with_analysis(a);
        }
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            write_column(out, *c, &row);
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
