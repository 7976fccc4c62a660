//! Writes classic pcap files (nanosecond resolution), for tests and tools that produce captures.

use std::io::{self, Write};

use crate::Timestamp;
use crate::wire::LinkType;

/// The nanosecond-resolution pcap magic.
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;

/// Writes a pcap file header.
pub fn header<W: Write>(out: &mut W, link: LinkType, snaplen: u32) -> io::Result<()> {
    out.write_all(&MAGIC_NANOS.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&0i32.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?;
    out.write_all(&snaplen.to_le_bytes())?;
    out.write_all(&link.0.to_le_bytes())
}

/// Writes one record.
pub fn record<W: Write>(out: &mut W, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
    out.write_all(&(ts.secs as u32).to_le_bytes())?;
    out.write_all(&ts.nanos.to_le_bytes())?;
    out.write_all(&(data.len() as u32).to_le_bytes())?;
    out.write_all(&orig_len.to_le_bytes())?;
    out.write_all(data)
}

/// Returns the seed's nine frames as a pcap file.
pub fn seed_pcap() -> Vec<u8> {
    let mut out = Vec::new();
    header(&mut out, LinkType::ETHERNET, 65535).expect("writing to a Vec cannot fail");
    for f in crate::seed::FRAMES {
        record(&mut out, f.timestamp, f.bytes, f.bytes.len() as u32).expect("writing to a Vec cannot fail");
    }
    out
}
