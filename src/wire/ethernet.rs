//! Ethernet II headers and 802.1Q / 802.1ad VLAN tags.

use core::fmt;

use nom::IResult;

use crate::error::{Error, Layer, fail, out_buf};

/// Where each field of the Ethernet II header lies, in bytes from its start (smoltcp's
/// `field`): the views read and [`EthernetHeader::emit`] writes through these.
pub mod field {
    use core::ops::Range;

    /// Destination address.
    pub const DST: Range<usize> = 0..6;
    /// Source address.
    pub const SRC: Range<usize> = 6..12;
    /// EtherType (or the outer tag's TPID).
    pub const ETHERTYPE: Range<usize> = 12..14;
}

/// A 48-bit MAC address; prints as `2c:f0:5d:47:37:da`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The broadcast address `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// Returns the six octets.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }

    /// Returns true for a group (multicast or broadcast) address.
    pub fn is_multicast(self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

/// An EtherType; unknown values are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EtherType(pub u16);

impl EtherType {
    /// Internet Protocol version 4.
    pub const IPV4: EtherType = EtherType(0x0800);
    /// Address Resolution Protocol.
    pub const ARP: EtherType = EtherType(0x0806);
    /// 802.1Q customer VLAN tag.
    pub const VLAN: EtherType = EtherType(0x8100);
    /// Internet Protocol version 6.
    pub const IPV6: EtherType = EtherType(0x86dd);
    /// 802.1ad service VLAN tag (QinQ outer tag).
    pub const QINQ: EtherType = EtherType(0x88a8);
    /// Pre-standard QinQ outer tag used by some vendors.
    pub const QINQ_LEGACY: EtherType = EtherType(0x9100);

    /// Returns true for the tag protocol identifiers that introduce a VLAN tag.
    pub fn is_vlan_tag(self) -> bool {
        matches!(self, EtherType::VLAN | EtherType::QINQ | EtherType::QINQ_LEGACY)
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EtherType::IPV4 => f.write_str("IPv4"),
            EtherType::ARP => f.write_str("ARP"),
            EtherType::VLAN => f.write_str("802.1Q"),
            EtherType::IPV6 => f.write_str("IPv6"),
            EtherType::QINQ => f.write_str("802.1ad"),
            EtherType(v) => write!(f, "0x{v:04x}"),
        }
    }
}

/// An Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetHeader {
    /// Destination address.
    pub dst: MacAddr,
    /// Source address.
    pub src: MacAddr,
    /// The EtherType field as on the wire (a VLAN TPID when tags follow).
    pub ethertype: EtherType,
}

impl EthernetHeader {
    /// Length of the header in bytes.
    pub const LEN: usize = 14;

    /// Writes the header into the start of `buf` and returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let out = out_buf(buf, Self::LEN, Layer::Ethernet)?;
        out[field::DST].copy_from_slice(&self.dst.0);
        out[field::SRC].copy_from_slice(&self.src.0);
        out[field::ETHERTYPE].copy_from_slice(&self.ethertype.0.to_be_bytes());
        Ok(Self::LEN)
    }
}

/// Parses an Ethernet II header; the rest is what follows it (a VLAN tag or the payload).
///
/// ```
/// let frame = synack::seed::FRAMES[0].bytes;
/// let (rest, eth) = synack::wire::parse_ethernet(frame).unwrap();
/// assert_eq!(eth.src.to_string(), "2c:f0:5d:47:38:6e");
/// assert_eq!(eth.ethertype, synack::wire::EtherType::IPV4);
/// assert_eq!(rest.len(), frame.len() - 14);
/// ```
#[inline]
pub fn parse_ethernet(input: &[u8]) -> IResult<&[u8], EthernetHeader, Error> {
    let Some((h, rest)) = input.split_first_chunk::<{ EthernetHeader::LEN }>() else {
        return fail(Error::Truncated {
            layer: Layer::Ethernet,
            offset: 0,
            needed: EthernetHeader::LEN,
            available: input.len(),
        });
    };
    // The fields are read through the view, the one place that knows where they are.
    Ok((rest, crate::wire::slice::EthernetSlice(h).to_header()))
}

/// One 802.1Q or 802.1ad tag: the TPID that introduced it and its tag control information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VlanTag {
    /// Tag protocol identifier (0x8100, 0x88a8 or 0x9100) that introduced this tag.
    pub tpid: u16,
    /// Priority code point (3 bits).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (12 bits).
    pub vid: u16,
    /// The EtherType that follows this tag.
    pub ethertype: EtherType,
}

impl VlanTag {
    /// Length of the tag body (TCI and inner EtherType) in bytes; the TPID belongs to the
    /// header before it.
    pub const LEN: usize = 4;
    const PCP_SHIFT: u16 = 13;
    const DEI_MASK: u16 = 0x1000;
    const VID_MASK: u16 = 0x0fff;

    /// Decodes a tag body (TCI and inner EtherType) introduced by `tpid`.
    #[inline]
    pub(crate) fn from_body(tpid: EtherType, t: &[u8; Self::LEN]) -> VlanTag {
        let tci = u16::from_be_bytes([t[0], t[1]]);
        VlanTag {
            tpid: tpid.0,
            pcp: (tci >> Self::PCP_SHIFT) as u8,
            dei: tci & Self::DEI_MASK != 0,
            vid: tci & Self::VID_MASK,
            ethertype: EtherType(u16::from_be_bytes([t[2], t[3]])),
        }
    }

    /// Returns the 16-bit tag control information.
    pub fn tci(&self) -> u16 {
        (u16::from(self.pcp & 0x7) << Self::PCP_SHIFT)
            | if self.dei { Self::DEI_MASK } else { 0 }
            | (self.vid & Self::VID_MASK)
    }

    /// Writes the tag body (TCI and inner EtherType) into `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let out = out_buf(buf, Self::LEN, Layer::Vlan)?;
        out[0..2].copy_from_slice(&self.tci().to_be_bytes());
        out[2..4].copy_from_slice(&self.ethertype.0.to_be_bytes());
        Ok(Self::LEN)
    }
}

/// Parses a VLAN tag body (TCI and inner EtherType) introduced by `tpid`.
#[inline]
pub fn parse_vlan(tpid: EtherType) -> impl Fn(&[u8]) -> IResult<&[u8], VlanTag, Error> {
    move |input: &[u8]| {
        let Some((t, rest)) = input.split_first_chunk::<{ VlanTag::LEN }>() else {
            return fail(Error::Truncated {
                layer: Layer::Vlan,
                offset: 0,
                needed: VlanTag::LEN,
                available: input.len(),
            });
        };
        Ok((rest, VlanTag::from_body(tpid, t)))
    }
}

/// Up to [`VlanTags::MAX`] VLAN tags, outermost first, held inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanTags {
    tags: [VlanTag; VlanTags::MAX],
    len: u8,
}

impl VlanTags {
    /// The most tags a frame is decoded through; deeper stacks are handed over undecoded.
    pub const MAX: usize = 4;

    /// Returns the number of tags.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Returns true when the frame carried no tag.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the tags, outermost first.
    pub fn as_slice(&self) -> &[VlanTag] {
        &self.tags[..self.len()]
    }

    /// Returns the outermost tag.
    pub fn outer(&self) -> Option<&VlanTag> {
        self.as_slice().first()
    }

    /// Appends a tag; returns false when the stack is full.
    pub fn push(&mut self, tag: VlanTag) -> bool {
        if self.len() == Self::MAX {
            return false;
        }
        self.tags[self.len()] = tag;
        self.len += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn mac_display() {
        assert_eq!(
            MacAddr([0x2c, 0xf0, 0x5d, 0x47, 0x37, 0xda]).to_string(),
            "2c:f0:5d:47:37:da"
        );
        assert!(MacAddr::BROADCAST.is_multicast());
    }

    #[test]
    fn ethernet_fixture() {
        let bytes = [
            0x2c, 0xf0, 0x5d, 0x47, 0x37, 0xda, // destination 2c:f0:5d:47:37:da
            0x2c, 0xf0, 0x5d, 0x47, 0x38, 0x6e, // source 2c:f0:5d:47:38:6e
            0x08, 0x00, // EtherType IPv4
            0x45, // first payload byte
        ];
        let (rest, h) = parse_ethernet(&bytes).unwrap();
        assert_eq!(rest, &[0x45]);
        assert_eq!(h.dst, MacAddr([0x2c, 0xf0, 0x5d, 0x47, 0x37, 0xda]));
        assert_eq!(h.src, MacAddr([0x2c, 0xf0, 0x5d, 0x47, 0x38, 0x6e]));
        assert_eq!(h.ethertype, EtherType::IPV4);
        let mut out = [0u8; 14];
        assert_eq!(h.emit(&mut out), Ok(14));
        assert_eq!(out, bytes[..14]);
    }

    #[test]
    fn ethernet_truncation_sweep() {
        let bytes = [0u8; 14];
        for n in 0..14 {
            assert_eq!(
                parse_ethernet(&bytes[..n]),
                Err(nom::Err::Error(Error::Truncated {
                    layer: Layer::Ethernet,
                    offset: 0,
                    needed: 14,
                    available: n
                }))
            );
        }
    }

    #[test]
    fn vlan_fixture_and_truncation() {
        let bytes = [
            0xa0, 0x64, // PCP 5, DEI 0, VID 100
            0x08, 0x00, // inner EtherType IPv4
        ];
        let (rest, t) = parse_vlan(EtherType::VLAN)(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!((t.pcp, t.dei, t.vid, t.ethertype), (5, false, 100, EtherType::IPV4));
        assert_eq!(t.tci(), 0xa064);
        for n in 0..4 {
            assert_eq!(
                parse_vlan(EtherType::QINQ)(&bytes[..n]),
                Err(nom::Err::Error(Error::Truncated {
                    layer: Layer::Vlan,
                    offset: 0,
                    needed: 4,
                    available: n
                }))
            );
        }
    }

    #[test]
    fn ethertype_keeps_unknown() {
        assert_eq!(EtherType(0x88cc).to_string(), "0x88cc");
        assert_eq!(EtherType::IPV6.to_string(), "IPv6");
    }
}
