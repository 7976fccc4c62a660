//! TCP headers (RFC 9293 §3.1), flags and sequence numbers.

use core::fmt;

use bitflags::bitflags;
use nom::IResult;

use crate::error::{Error, Field, Layer, fail, out_buf};
use crate::wire::checksum::{self, ChecksumVerdict, PseudoHeader};
use crate::wire::slice::TcpSlice;
use crate::wire::tcp_options::TcpOptions;

/// Where each fixed field of the TCP header lies, in bytes from its start (smoltcp's `field`):
/// the views read and [`TcpHeader::emit`] writes through these.
pub mod field {
    use core::ops::Range;

    /// Source port.
    pub const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub const DST_PORT: Range<usize> = 2..4;
    /// Sequence number.
    pub const SEQ: Range<usize> = 4..8;
    /// Acknowledgment number.
    pub const ACK: Range<usize> = 8..12;
    /// Data offset (the high 4 bits), reserved bits and flags.
    pub const OFFSET_FLAGS: Range<usize> = 12..14;
    /// Window.
    pub const WINDOW: Range<usize> = 14..16;
    /// Checksum.
    pub const CHECKSUM: Range<usize> = 16..18;
    /// Urgent pointer.
    pub const URGENT: Range<usize> = 18..20;
    /// Options, up to the data offset.
    pub const OPTIONS: usize = 20;
}

bitflags! {
    /// The twelve bits after the data offset: nine flags and three reserved bits.
    ///
    /// Built with `from_bits_retain`, so reserved bits survive for anomaly reporting. No
    /// combination is rejected: a passive observer reports SYN+FIN or SYN+RST, it does not
    /// refuse them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct TcpFlags: u16 {
        /// No more data from sender.
        const FIN = 0x001;
        /// Synchronize sequence numbers.
        const SYN = 0x002;
        /// Reset the connection.
        const RST = 0x004;
        /// Push function.
        const PSH = 0x008;
        /// Acknowledgment field is significant.
        const ACK = 0x010;
        /// Urgent pointer field is significant.
        const URG = 0x020;
        /// ECN-Echo (RFC 3168).
        const ECE = 0x040;
        /// Congestion window reduced (RFC 3168).
        const CWR = 0x080;
        /// ECN nonce (RFC 3540, historic), now AccECN's AE bit.
        const NS = 0x100;
        /// The three reserved bits.
        const RESERVED = 0xe00;
    }
}

impl TcpFlags {
    /// The names as tshark 4.0's `tcp_flags_to_str` writes them.
    const NAMES: [(TcpFlags, &'static str); 9] = [
        (TcpFlags::FIN, "FIN"),
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::URG, "URG"),
        (TcpFlags::ECE, "ECE"),
        (TcpFlags::CWR, "CWR"),
        (TcpFlags::NS, "AE"),
    ];

    /// Returns a value that prints as Wireshark's Info column does: `[SYN, ACK]`,
    /// `[<None>]` when no bit is set (`tcp_flags_to_str`, in brackets; its alternate form,
    /// `{:#}`, leaves the brackets out, as the flow graph's labels have it).
    pub fn wireshark(self) -> WiresharkFlags {
        WiresharkFlags(self)
    }

    /// Returns a value that prints as the seed's Network Monitor does: eight characters
    /// `CEUAPRSF`, a dot for each clear bit (`...A..S.` for SYN+ACK).
    pub fn netmon(self) -> NetmonFlags {
        NetmonFlags(self)
    }

    /// Returns true for combinations no conforming stack sends: SYN+FIN, SYN+RST, FIN+RST,
    /// or no flag at all.
    pub fn is_invalid_combination(self) -> bool {
        let f = self & !TcpFlags::RESERVED;
        f.is_empty()
            || f.contains(TcpFlags::SYN | TcpFlags::FIN)
            || f.contains(TcpFlags::SYN | TcpFlags::RST)
            || f.contains(TcpFlags::FIN | TcpFlags::RST)
    }
}

/// [`TcpFlags`] printed as Wireshark prints them (`[SYN, ACK]`).
#[derive(Debug, Clone, Copy)]
pub struct WiresharkFlags(TcpFlags);

impl fmt::Display for WiresharkFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let brackets = !f.alternate();
        if brackets {
            f.write_str("[")?;
        }
        let mut first = true;
        for (flag, name) in TcpFlags::NAMES {
            if self.0.contains(flag) {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if self.0.intersects(TcpFlags::RESERVED) {
            if !first {
                f.write_str(", ")?;
            }
            f.write_str("Reserved")?;
            first = false;
        }
        if first {
            f.write_str("<None>")?;
        }
        if brackets {
            f.write_str("]")?;
        }
        Ok(())
    }
}

/// [`TcpFlags`] printed as Microsoft Network Monitor prints them (`...A..S.`).
#[derive(Debug, Clone, Copy)]
pub struct NetmonFlags(TcpFlags);

impl fmt::Display for NetmonFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ORDER: [(TcpFlags, char); 8] = [
            (TcpFlags::CWR, 'C'),
            (TcpFlags::ECE, 'E'),
            (TcpFlags::URG, 'U'),
            (TcpFlags::ACK, 'A'),
            (TcpFlags::PSH, 'P'),
            (TcpFlags::RST, 'R'),
            (TcpFlags::SYN, 'S'),
            (TcpFlags::FIN, 'F'),
        ];
        for (flag, c) in ORDER {
            fmt::Write::write_char(f, if self.0.contains(flag) { c } else { '.' })?;
        }
        Ok(())
    }
}

impl fmt::Display for TcpFlags {
    /// Prints the Wireshark form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.wireshark().fmt(f)
    }
}

/// A TCP sequence number: compared and subtracted modulo 2^32 (RFC 9293 §3.4).
///
/// Never compare raw `u32` sequence numbers: `SeqNumber(0xffff_fff0) < SeqNumber(5)` holds,
/// because 5 lies 21 bytes after 0xffff_fff0 in sequence space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// Returns how far `self` lies after `earlier` (negative when before), modulo 2^32.
    #[inline]
    pub fn diff(self, earlier: SeqNumber) -> i32 {
        self.0.wrapping_sub(earlier.0) as i32
    }

    /// Returns true when `self` lies in `[start, start + len)`.
    #[inline]
    pub fn in_window(self, start: SeqNumber, len: u32) -> bool {
        self.0.wrapping_sub(start.0) < len
    }
}

impl core::ops::Add<u32> for SeqNumber {
    type Output = SeqNumber;

    /// Returns the sequence number `n` bytes later, modulo 2^32.
    #[inline]
    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl PartialOrd for SeqNumber {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.diff(*other).cmp(&0))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A TCP header. Options are kept as a borrowed slice and walked by [`TcpHeader::options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpHeader<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Data offset in 32-bit words (5..=15).
    pub data_offset: u8,
    /// Flags, reserved bits kept.
    pub flags: TcpFlags,
    /// Window (unscaled, as on the wire).
    pub window: u16,
    /// Checksum as on the wire.
    pub checksum: u16,
    /// Urgent pointer.
    pub urgent_ptr: u16,
    /// Options area (data offset * 4 - 20 bytes, possibly empty).
    pub options: &'a [u8],
}

impl<'a> TcpHeader<'a> {
    /// Minimum header length in bytes (data offset 5).
    pub const MIN_LEN: usize = 20;
    /// Maximum header length in bytes (data offset 15).
    pub const MAX_LEN: usize = 60;
    /// Offset of the checksum field.
    pub const CHECKSUM_OFFSET: usize = 16;
    pub(crate) const FLAGS_MASK: u16 = 0x0fff;
    pub(crate) const DATA_OFFSET_SHIFT: u16 = 12;

    /// Returns a header from `src_port` to `dst_port` with the given numbers and flags, a
    /// window of 65535 and no options.
    pub fn new(src_port: u16, dst_port: u16, seq: u32, ack: u32, flags: TcpFlags) -> Self {
        TcpHeader {
            src_port,
            dst_port,
            seq,
            ack,
            data_offset: 5,
            flags,
            window: u16::MAX,
            checksum: 0,
            urgent_ptr: 0,
            options: &[],
        }
    }

    /// Returns the header length in bytes (data offset * 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.data_offset) * 4
    }

    /// Returns the sequence number as a [`SeqNumber`].
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(self.seq)
    }

    /// Returns the acknowledgment number as a [`SeqNumber`].
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(self.ack)
    }

    /// Returns an iterator over the options.
    pub fn options(&self) -> TcpOptions<'a> {
        TcpOptions::new(self.options)
    }

    /// Writes the header, options included, into `buf` with the stored checksum, and returns
    /// the bytes written. See [`fill_tcp_checksum`] to compute the checksum afterwards.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = Self::MIN_LEN + self.options.len();
        if len > Self::MAX_LEN || !len.is_multiple_of(4) || len != self.header_len() {
            return Err(Error::InvalidField {
                layer: Layer::Tcp,
                offset: field::OFFSET_FLAGS.start,
                field: Field::DataOffset,
                value: u32::from(self.data_offset),
                reason: "does not match the options length (options must fill whole words)",
            });
        }
        let out = out_buf(buf, len, Layer::Tcp)?;
        out[field::SRC_PORT].copy_from_slice(&self.src_port.to_be_bytes());
        out[field::DST_PORT].copy_from_slice(&self.dst_port.to_be_bytes());
        out[field::SEQ].copy_from_slice(&self.seq.to_be_bytes());
        out[field::ACK].copy_from_slice(&self.ack.to_be_bytes());
        let word = (u16::from(self.data_offset) << Self::DATA_OFFSET_SHIFT) | (self.flags.bits() & Self::FLAGS_MASK);
        out[field::OFFSET_FLAGS].copy_from_slice(&word.to_be_bytes());
        out[field::WINDOW].copy_from_slice(&self.window.to_be_bytes());
        out[field::CHECKSUM].copy_from_slice(&self.checksum.to_be_bytes());
        out[field::URGENT].copy_from_slice(&self.urgent_ptr.to_be_bytes());
        out[field::OPTIONS..len].copy_from_slice(self.options);
        Ok(len)
    }

    /// Returns the verdict on the checksum of `segment` (this header, options and payload, as
    /// captured) sent from `src` to `dst`. `complete` says whether the whole segment was
    /// captured; when it was not, the verdict is [`ChecksumVerdict::Unverifiable`].
    pub fn verify_checksum(&self, addrs: impl Into<PseudoHeader>, segment: &[u8], complete: bool) -> ChecksumVerdict {
        if !complete {
            return ChecksumVerdict::Unverifiable;
        }
        checksum::verify_transport(addrs, 6, segment, Self::CHECKSUM_OFFSET)
    }
}

/// Computes the TCP checksum of `segment` (header, options and payload as written by
/// [`TcpHeader::emit`]) between the pseudo-header's addresses (`(src, dst)` of either family)
/// and stores it in the segment.
pub fn fill_tcp_checksum(segment: &mut [u8], addrs: impl Into<PseudoHeader>) -> Result<u16, Error> {
    if segment.len() < TcpHeader::MIN_LEN {
        return Err(Error::BufferTooSmall {
            layer: Layer::Tcp,
            needed: TcpHeader::MIN_LEN,
            available: segment.len(),
        });
    }
    let c = checksum::compute_transport(addrs, 6, segment, TcpHeader::CHECKSUM_OFFSET);
    segment[TcpHeader::CHECKSUM_OFFSET..TcpHeader::CHECKSUM_OFFSET + 2].copy_from_slice(&c.to_be_bytes());
    Ok(c)
}

/// Parses a TCP header. The rest is the payload: whatever follows the header in `input`, so
/// pass the IPv4 payload as cut by its total length.
///
/// Checks: 20 bytes present; data offset ≥ 5; data offset * 4 bytes present. Nothing else:
/// flags, ports and options are reported, not judged.
#[inline]
pub fn parse_tcp(input: &[u8]) -> IResult<&[u8], TcpHeader<'_>, Error> {
    let Some((h, _)) = input.split_first_chunk::<{ TcpHeader::MIN_LEN }>() else {
        return fail(Error::Truncated {
            layer: Layer::Tcp,
            offset: 0,
            needed: TcpHeader::MIN_LEN,
            available: input.len(),
        });
    };
    // The fixed fields are read through the view, the one place that knows their bits.
    let mut view = TcpSlice { fixed: h, options: &[] };
    let data_offset = view.data_offset();
    let header_len = view.header_len();
    if header_len < TcpHeader::MIN_LEN {
        return fail(Error::InvalidField {
            layer: Layer::Tcp,
            offset: field::OFFSET_FLAGS.start,
            field: Field::DataOffset,
            value: u32::from(data_offset),
            reason: "below the minimum of 5 words",
        });
    }
    if input.len() < header_len {
        return fail(Error::Truncated {
            layer: Layer::Tcp,
            offset: 0,
            needed: header_len,
            available: input.len(),
        });
    }
    view.options = &input[TcpHeader::MIN_LEN..header_len];
    let header = view.to_header();
    Ok((&input[header_len..], header))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::net::Ipv4Addr;
    use std::string::ToString;

    /// The seed's SYN-ACK TCP header (frame 161), flags byte repaired to 0x12.
    const SYNACK: [u8; 32] = [
        0x03, 0xed, // source port 1005
        0xc3, 0x6e, // destination port 50030
        0xdf, 0x5b, 0x1a, 0x3a, // sequence number 3747289658
        0x9f, 0x4a, 0x3c, 0x1c, // acknowledgment number 2672442396
        0x80, // data offset 8 words (32 bytes), reserved 0
        0x12, // flags SYN+ACK
        0xff, 0xff, // window 65535
        0xcd, 0x93, // checksum 0xcd93 (pseudo-header sum: offload)
        0x00, 0x00, // urgent pointer 0
        0x02, 0x04, 0x05, 0xb4, // MSS 1460
        0x01, // NOP
        0x03, 0x03, 0x08, // window scale 8
        0x01, 0x01, // NOP NOP
        0x04, 0x02, // SACK permitted
    ];

    #[test]
    fn fixture_fields() {
        let (rest, h) = parse_tcp(&SYNACK).unwrap();
        assert!(rest.is_empty());
        assert_eq!((h.src_port, h.dst_port), (1005, 50030));
        assert_eq!((h.seq, h.ack), (3747289658, 2672442396));
        assert_eq!(h.header_len(), 32);
        assert_eq!(h.flags, TcpFlags::SYN | TcpFlags::ACK);
        assert_eq!((h.window, h.checksum, h.urgent_ptr), (65535, 0xcd93, 0));
        assert_eq!(h.options.len(), 12);
        let verdict = h.verify_checksum(
            (Ipv4Addr::new(10, 7, 92, 174), Ipv4Addr::new(10, 7, 92, 177)),
            &SYNACK,
            true,
        );
        assert_eq!(verdict, ChecksumVerdict::Partial);
        let mut out = [0u8; 32];
        assert_eq!(h.emit(&mut out), Ok(32));
        assert_eq!(out, SYNACK);
        fill_tcp_checksum(&mut out, (Ipv4Addr::new(10, 7, 92, 174), Ipv4Addr::new(10, 7, 92, 177))).unwrap();
        let (_, h2) = parse_tcp(&out).unwrap();
        assert_eq!(
            h2.verify_checksum(
                (Ipv4Addr::new(10, 7, 92, 174), Ipv4Addr::new(10, 7, 92, 177)),
                &out,
                true
            ),
            ChecksumVerdict::Good
        );
    }

    #[test]
    fn truncation_sweep() {
        for n in 0..20 {
            assert_eq!(
                parse_tcp(&SYNACK[..n]),
                Err(nom::Err::Error(Error::Truncated {
                    layer: Layer::Tcp,
                    offset: 0,
                    needed: 20,
                    available: n
                }))
            );
        }
        for n in 20..32 {
            assert_eq!(
                parse_tcp(&SYNACK[..n]),
                Err(nom::Err::Error(Error::Truncated {
                    layer: Layer::Tcp,
                    offset: 0,
                    needed: 32,
                    available: n
                }))
            );
        }
    }

    #[test]
    fn data_offset_below_five() {
        let mut b = SYNACK;
        for off in 0..5u8 {
            b[12] = off << 4;
            assert_eq!(
                parse_tcp(&b),
                Err(nom::Err::Error(Error::InvalidField {
                    layer: Layer::Tcp,
                    offset: 12,
                    field: Field::DataOffset,
                    value: u32::from(off),
                    reason: "below the minimum of 5 words"
                }))
            );
        }
    }

    #[test]
    fn flags_keep_reserved_and_print() {
        let all = TcpFlags::from_bits_retain(0x0fff);
        assert_eq!(all.bits(), 0x0fff);
        assert_eq!(all.netmon().to_string(), "CEUAPRSF");
        assert_eq!(
            all.wireshark().to_string(),
            "[FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE, Reserved]"
        );
        assert_eq!((TcpFlags::SYN | TcpFlags::ACK).to_string(), "[SYN, ACK]");
        assert_eq!((TcpFlags::SYN | TcpFlags::ACK).netmon().to_string(), "...A..S.");
        assert_eq!(TcpFlags::empty().wireshark().to_string(), "[<None>]");
        assert!(TcpFlags::empty().is_invalid_combination());
        assert!((TcpFlags::SYN | TcpFlags::FIN).is_invalid_combination());
        assert!((TcpFlags::SYN | TcpFlags::RST).is_invalid_combination());
        assert!((TcpFlags::FIN | TcpFlags::RST | TcpFlags::ACK).is_invalid_combination());
        assert!(!(TcpFlags::FIN | TcpFlags::ACK).is_invalid_combination());
    }

    #[test]
    fn seq_numbers_wrap() {
        let a = SeqNumber(0xffff_fff0);
        let b = a + 21;
        assert_eq!(b, SeqNumber(5));
        assert!(a < b);
        assert_eq!(b.diff(a), 21);
        assert_eq!(a.diff(b), -21);
        assert!(SeqNumber(2).in_window(a, 100));
        assert!(!SeqNumber(0xffff_ffe0).in_window(a, 100));
    }
}
