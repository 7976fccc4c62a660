//! One frame as text: a tshark-like line, the lab report's Network Monitor line, every field,
//! and a hex dump.
//!
//! ```
//! use synack::capture::CaptureReader;
//! use synack::format::frame::{netmon_line, tshark_line};
//!
//! let mut reader = CaptureReader::seed();
//! let cf = reader.next_frame().unwrap()?;
//! let (mut a, mut b) = (String::new(), String::new());
//! tshark_line(&mut a, &cf, &cf.dissect(), cf.timestamp);
//! netmon_line(&mut b, &cf, &cf.dissect());
//! assert!(a.starts_with("    1 0.000000000 10.7.92.177 → 10.7.92.174 TCP 66 50030 → 1005 [SYN] Seq=2672442395 Win=64240 Len=0 MSS=1460"));
//! assert!(b.ends_with("TCP-Flags=......S., SrcPort=50030, DstPort=1005, PayloadLen=0, Seq=2672442395, Ack=0, Win=64240"));
//! # Ok::<(), synack::capture::CaptureError>(())
//! ```

use std::fmt::Write as _;
use std::string::String;

use crate::Timestamp;
use crate::capture::CapturedFrame;
use crate::wire::{ChecksumVerdict, Content, Frame, TcpFlags, TcpOption};

/// Appends a line in the shape of tshark's default output (sequence numbers raw; `start` is
/// the first frame's time), without the newline.
pub fn tshark_line(s: &mut String, cf: &CapturedFrame<'_>, f: &Frame<'_>, start: Timestamp) {
    let rel = cf.timestamp.saturating_since(start);
    let _ = write!(s, "{:5} {}.{:09} ", cf.number, rel.as_secs(), rel.subsec_nanos());
    match (f.ip_addrs(), f.tcp) {
        (Some((src, dst)), Some(t)) => {
            let _ = write!(
                s,
                "{} → {} TCP {} {} → {} {} Seq={}",
                src,
                dst,
                cf.orig_len,
                t.src_port,
                t.dst_port,
                t.flags.wireshark(),
                t.seq
            );
            if t.flags.contains(TcpFlags::ACK) {
                let _ = write!(s, " Ack={}", t.ack);
            }
            let _ = write!(s, " Win={} Len={}", t.window, f.tcp_len().unwrap_or(0));
            for o in t.options().flatten() {
                let _ = match o {
                    TcpOption::Mss(m) => write!(s, " MSS={m}"),
                    TcpOption::WindowScale(w) => write!(s, " WS={}", 1u32 << w.min(14)),
                    TcpOption::SackPermitted => write!(s, " SACK_PERM"),
                    TcpOption::Timestamps { tsval, tsecr } => write!(s, " TSval={tsval} TSecr={tsecr}"),
                    TcpOption::Sack(b) => {
                        for (l, r) in b.iter() {
                            let _ = write!(s, " SLE={l} SRE={r}");
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                };
            }
            for (name, v) in [("IP", f.ipv4_checksum()), ("TCP", f.tcp_checksum())] {
                match v {
                    Some(ChecksumVerdict::Bad { .. }) => {
                        let _ = write!(s, " [{name} CHECKSUM INCORRECT]");
                    }
                    Some(v @ (ChecksumVerdict::Partial | ChecksumVerdict::Zero)) => {
                        let _ = write!(s, " [{name} checksum {}: offload]", v.name());
                    }
                    _ => {}
                }
            }
        }
        (Some((src, dst)), None) => {
            let what = match f.content {
                Content::Ipv4Fragment => "IPv4 fragment".to_string(),
                Content::Ipv4Other(p) => format!("IPv4 protocol {p}"),
                Content::Ipv6Fragment => "IPv6 fragment".to_string(),
                Content::Ipv6Other(p) => format!("IPv6 next header {p}"),
                _ if f.ipv6.is_some() => "IPv6".to_string(),
                _ => "IPv4".to_string(),
            };
            let _ = write!(s, "{src} → {dst} {what} {}", cf.orig_len);
        }
        _ => {
            let _ = write!(s, "{} ", cf.orig_len);
            let _ = match f.content {
                Content::NotIp(t) => write!(s, "not IP (EtherType {t})"),
                Content::UnsupportedLink(l) => write!(s, "unsupported link type {l}"),
                _ => Ok(()),
            };
        }
    }
    if let Some(e) = f.error {
        let _ = write!(s, " [Malformed: {e}]");
    }
}

/// Appends a line in the lab report's Network Monitor form, without the newline.
pub fn netmon_line(s: &mut String, cf: &CapturedFrame<'_>, f: &Frame<'_>) {
    let _ = write!(s, "{}\t{}\t", cf.number, cf.timestamp);
    match (f.ipv4, f.tcp) {
        (Some(ip), Some(t)) => {
            let len = f.tcp_len().unwrap_or(0);
            let _ = write!(
                s,
                "{}\t{}\tTCP\tTCP-Flags={}, SrcPort={}, DstPort={}, PayloadLen={}, Seq={}",
                ip.src,
                ip.dst,
                t.flags.netmon(),
                t.src_port,
                t.dst_port,
                len,
                t.seq
            );
            if len > 0 {
                let _ = write!(s, " - {}", t.seq_number() + len as u32);
            }
            let _ = write!(s, ", Ack={}, Win={}", t.ack, t.window);
        }
        _ => {
            let _ = write!(s, "-\t-\t{:?}", f.content);
        }
    }
}

fn verdict(v: Option<ChecksumVerdict>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Appends the frame's fields one per line, flag bits drawn as the lab report's Frame Details
/// draw them.
pub fn details(s: &mut String, cf: &CapturedFrame<'_>, f: &Frame<'_>) {
    let _ = writeln!(
        s,
        "  Frame {}: {} bytes on wire, {} captured{}",
        cf.number,
        cf.orig_len,
        cf.cap_len(),
        if cf.is_cut() { " (cut by snapshot length)" } else { "" }
    );
    if let Some(e) = f.ethernet() {
        let _ = writeln!(
            s,
            "  Ethernet II: Src: {}, Dst: {}, Type: {}",
            e.src, e.dst, e.ethertype
        );
    }
    for t in f.vlans.as_slice() {
        let _ = writeln!(s, "  802.1Q: PCP {}, DEI {}, VID {}", t.pcp, u8::from(t.dei), t.vid);
    }
    details_ipv4(s, f);
    details_tcp(s, f);
    if !f.trailer().is_empty() {
        let _ = writeln!(s, "  Trailer/padding: {} bytes", f.trailer().len());
    }
    if let Some(e) = f.error {
        let _ = writeln!(s, "  Malformed: {e}");
    }
}

fn details_ipv4(s: &mut String, f: &Frame<'_>) {
    if let Some(ip) = f.ipv4 {
        let _ = writeln!(s, "  IPv4: {} -> {}", ip.src, ip.dst);
        let _ = writeln!(s, "    Version: 4, HeaderLength: {} bytes", ip.header_len());
        let _ = writeln!(s, "    DSCP: {}, ECN: {}", ip.dscp, ip.ecn);
        let _ = writeln!(s, "    TotalLength: {}", ip.total_len);
        let _ = writeln!(
            s,
            "    Identification: {} (0x{:04X})",
            ip.identification, ip.identification
        );
        let _ = writeln!(
            s,
            "    Flags: {:?}, FragmentOffset: {}",
            ip.flags,
            ip.fragment_offset_bytes()
        );
        let _ = writeln!(s, "    TimeToLive: {}, Protocol: {}", ip.ttl, ip.protocol);
        let _ = writeln!(s, "    Checksum: 0x{:04X} {}", ip.checksum, verdict(f.ipv4_checksum()));
        for o in ip.options() {
            let _ = writeln!(s, "    Option: {o:?}");
        }
    }
}

/// The TCP flag bits, as the lab report's Frame Details name them: set, and not set.
const FLAG_BITS: [(TcpFlags, &str, &str, &str); 8] = [
    (TcpFlags::CWR, "CWR", "Congestion window reduced", "CWR not significant"),
    (TcpFlags::ECE, "ECE", "ECN-Echo", "ECN-Echo not significant"),
    (TcpFlags::URG, "Urgent", "Urgent data", "Not Urgent Data"),
    (
        TcpFlags::ACK,
        "Ack",
        "Acknowledgement field significant",
        "Acknowledgement field not significant",
    ),
    (TcpFlags::PSH, "Push", "Push Function", "No Push Function"),
    (TcpFlags::RST, "Reset", "Reset", "No Reset"),
    (
        TcpFlags::SYN,
        "Syn",
        "Synchronize sequence numbers",
        "Not Synchronize sequence numbers",
    ),
    (TcpFlags::FIN, "Fin", "End of data", "Not End of data"),
];

fn details_tcp(s: &mut String, f: &Frame<'_>) {
    if let Some(t) = f.tcp {
        let _ = writeln!(
            s,
            "  Tcp: Flags={}, SrcPort={}, DstPort={}",
            t.flags.netmon(),
            t.src_port,
            t.dst_port
        );
        let _ = writeln!(s, "    SequenceNumber: {} (0x{:08X})", t.seq, t.seq);
        let _ = writeln!(s, "    AcknowledgementNumber: {} (0x{:08X})", t.ack, t.ack);
        let _ = writeln!(
            s,
            "    DataOffset: {} (0x{:02X}): {} bytes",
            t.data_offset << 4,
            t.data_offset << 4,
            t.header_len()
        );
        let _ = writeln!(s, "    Flags: {}", t.flags.netmon());
        for (i, (flag, name, on, off)) in FLAG_BITS.iter().enumerate() {
            let set = t.flags.contains(*flag);
            let mut bits = String::new();
            for j in 0..8 {
                bits.push(if j == i { if set { '1' } else { '0' } } else { '.' });
            }
            let _ = writeln!(s, "      {name}: ({bits}) {}", if set { on } else { off });
        }
        let _ = writeln!(s, "    Window: {}", t.window);
        let _ = writeln!(s, "    Checksum: 0x{:04X} {}", t.checksum, verdict(f.tcp_checksum()));
        let _ = writeln!(s, "    UrgentPointer: {}", t.urgent_ptr);
        for o in t.options() {
            let _ = match o {
                Ok(TcpOption::Mss(m)) => writeln!(s, "    Option: MaxSegmentSize {m}"),
                Ok(TcpOption::WindowScale(w)) => {
                    writeln!(s, "    Option: WindowScale {w} (multiply by {})", 1u32 << w.min(14))
                }
                Ok(o) => writeln!(s, "    Option: {o:?}"),
                Err(e) => writeln!(s, "    Option: malformed: {e}"),
            };
        }
        let _ = writeln!(s, "    Payload: {} bytes", f.payload.len());
    }
}

/// Appends a hex dump, 16 bytes a row, as the lab report's Hex Details show it.
pub fn hex_dump(s: &mut String, data: &[u8]) {
    for (row, chunk) in data.chunks(16).enumerate() {
        let _ = write!(s, "  {:04X} ", row * 16);
        for b in chunk {
            let _ = write!(s, " {b:02X}");
        }
        for _ in chunk.len()..16 {
            s.push_str("   ");
        }
        s.push_str("  ");
        for &b in chunk {
            s.push(if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            });
        }
        s.push('\n');
    }
}
