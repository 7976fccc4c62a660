//! IPv6 extension headers (RFC 8200 §4): hop-by-hop options (first only), destination
//! options, routing (types 0, 2 and 4 read), fragment, authentication (skipped by its
//! length), and the headers that end the chain (ESP, No Next Header, any upper layer).

use core::net::Ipv6Addr;

use nom::IResult;

use crate::error::{Error, Field, Layer, fail};
use crate::wire::IpProtocol;

/// The most extension headers [`parse_ipv6_extensions`] walks; one more is an error.
/// (RFC 8200 sets no limit; RFC 7112 asks that the whole chain fit the first fragment, and
/// no legitimate packet needs more than a handful.)
pub const MAX_EXTENSION_HEADERS: usize = 16;

/// Whether `p` names an extension header with the common layout (next header, length):
/// hop-by-hop, routing, fragment, AH, destination options, mobility, HIP, shim6 and the two
/// experimental values, as Wireshark's IPv6 dissector walks them.
#[inline]
fn is_extension(p: IpProtocol) -> bool {
    matches!(p.0, 0 | 43 | 44 | 51 | 60 | 135 | 139 | 140 | 253 | 254)
}

/// One extension header, borrowed whole (its next-header and length bytes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6ExtHeader<'a> {
    /// Its type: the next-header value that introduced it.
    pub kind: IpProtocol,
    /// Its bytes, from its next-header byte to its end.
    pub bytes: &'a [u8],
    /// Its offset from the end of the fixed IPv6 header.
    pub offset: usize,
}

impl<'a> Ipv6ExtHeader<'a> {
    /// The header after this one.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.bytes[0])
    }

    /// The length byte as on the wire (units depend on the kind: 8 bytes less one, 4 bytes
    /// less two for AH, reserved for a fragment header).
    pub fn len_field(&self) -> u8 {
        self.bytes[1]
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a header has at least its next-header and length bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The options of a hop-by-hop or destination options header.
    pub fn options(&self) -> Option<Ipv6Options<'a>> {
        matches!(self.kind, IpProtocol::HOP_BY_HOP | IpProtocol::DESTINATION_OPTIONS)
            .then(|| Ipv6Options::new(&self.bytes[2..]))
    }

    /// A routing header's fields.
    pub fn routing(&self) -> Option<Ipv6Routing<'a>> {
        (self.kind == IpProtocol::ROUTING).then(|| Ipv6Routing {
            routing_type: self.bytes[2],
            segments_left: self.bytes[3],
            data: &self.bytes[4..],
        })
    }

    /// A fragment header's fields.
    pub fn fragment(&self) -> Option<Ipv6Fragment> {
        (self.kind == IpProtocol::FRAGMENT).then(|| Ipv6Fragment::of(self.bytes))
    }
}

/// A fragment header (RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Fragment {
    /// The fragment offset in 8-byte units.
    pub offset: u16,
    /// More fragments follow (M).
    pub more: bool,
    /// The identification.
    pub identification: u32,
    /// The reserved byte after the next header.
    pub reserved: u8,
    /// The two reserved bits beside M.
    pub reserved_bits: u8,
}

impl Ipv6Fragment {
    fn of(b: &[u8]) -> Ipv6Fragment {
        let word = u16::from_be_bytes([b[2], b[3]]);
        Ipv6Fragment {
            offset: word >> 3,
            more: word & 1 != 0,
            identification: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            reserved: b[1],
            reserved_bits: (word >> 1 & 3) as u8,
        }
    }

    /// The fragment offset in bytes.
    pub fn offset_bytes(&self) -> u32 {
        u32::from(self.offset) * 8
    }

    /// Offset 0 and no more fragments (RFC 6946): the whole datagram in one, not a fragment
    /// of anything.
    pub fn is_atomic(&self) -> bool {
        self.offset == 0 && !self.more
    }

    /// A fragment other than the first: its payload is not an upper-layer header.
    pub fn is_later(&self) -> bool {
        self.offset != 0
    }
}

/// A routing header (RFC 8200 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Routing<'a> {
    /// The routing type (0: source route, deprecated by RFC 5095; 2: Mobile IPv6; 4: segment
    /// routing, RFC 8754).
    pub routing_type: u8,
    /// Route segments still to visit.
    pub segments_left: u8,
    /// The type-specific data (after the first four bytes).
    pub data: &'a [u8],
}

impl<'a> Ipv6Routing<'a> {
    /// The addresses of a type 0, 2 or 4 header, in the order they appear (for type 4, the
    /// segment list: the final segment first); none for other types.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv6Addr> + 'a {
        let n = match self.routing_type {
            0 => usize::MAX,
            2 => 1,
            // SRH: last entry, flags, tag; then last entry + 1 segments (TLVs may follow).
            4 => self.data.first().map_or(0, |&last| usize::from(last) + 1),
            _ => 0,
        };
        self.data
            .get(4..)
            .unwrap_or_default()
            .chunks_exact(16)
            .take(n)
            .map(|c| Ipv6Addr::from(<[u8; 16]>::try_from(c).unwrap_or_default()))
    }

    /// The datagram's final destination when segments are left (RFC 8200 §8.1: the address
    /// the upper-layer checksum's pseudo-header uses): a type 0 route's last address, a type
    /// 2 header's home address, a segment list's first entry.
    pub fn final_destination(&self) -> Option<Ipv6Addr> {
        if self.segments_left == 0 {
            return None;
        }
        match self.routing_type {
            0 => self.addresses().last(),
            2 | 4 => self.addresses().next(),
            _ => None,
        }
    }
}

/// One hop-by-hop or destination option (RFC 8200 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ipv6Option<'a> {
    /// One byte of padding (type 0).
    Pad1,
    /// N bytes of padding (type 1), N = 2 + the data length given.
    PadN(u8),
    /// Router alert (type 5, RFC 2711) with its value.
    RouterAlert(u16),
    /// Jumbo payload (type 0xc2, RFC 2675): the datagram's length past the fixed header.
    JumboPayload(u32),
    /// Any other option, with its type and data.
    Unknown {
        /// The option type.
        kind: u8,
        /// Its data.
        data: &'a [u8],
    },
}

/// Iterator over the options of a hop-by-hop or destination options header. Yields an error
/// for an option whose length runs past the header (or is wrong for its type) and stops.
#[derive(Debug, Clone)]
pub struct Ipv6Options<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Ipv6Options<'a> {
    /// Returns an iterator over the options in `data` (the header's bytes after its first two).
    pub fn new(data: &'a [u8]) -> Self {
        Ipv6Options { data, pos: 0 }
    }
}

impl<'a> Iterator for Ipv6Options<'a> {
    type Item = Result<Ipv6Option<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.pos;
        let rest = self.data.get(at..).filter(|r| !r.is_empty())?;
        let kind = rest[0];
        if kind == 0 {
            self.pos += 1;
            return Some(Ok(Ipv6Option::Pad1));
        }
        let bad = |length: u8| Error::BadOptionLength {
            layer: Layer::Ipv6Options,
            offset: at,
            kind,
            length,
            available: rest.len(),
        };
        let (length, data) = match rest.get(1) {
            Some(&l) if usize::from(l) + 2 <= rest.len() => (l, &rest[2..2 + usize::from(l)]),
            other => {
                self.pos = self.data.len();
                return Some(Err(bad(other.copied().unwrap_or(0))));
            }
        };
        self.pos += 2 + usize::from(length);
        let option = match (kind, data) {
            (1, _) => Ipv6Option::PadN(length),
            (5, &[a, b]) => Ipv6Option::RouterAlert(u16::from_be_bytes([a, b])),
            (0xc2, &[a, b, c, d]) => Ipv6Option::JumboPayload(u32::from_be_bytes([a, b, c, d])),
            (5 | 0xc2, _) => {
                self.pos = self.data.len();
                return Some(Err(bad(length)));
            }
            _ => Ipv6Option::Unknown { kind, data },
        };
        Some(Ok(option))
    }
}

/// The extension headers of one datagram, walked once by [`parse_ipv6_extensions`], with the
/// facts the layers above read kept at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ipv6Extensions<'a> {
    first: IpProtocol,
    raw: &'a [u8],
    count: u8,
    upper: IpProtocol,
    fragment: Option<Ipv6Fragment>,
    jumbo: Option<u32>,
    final_dst: Option<Ipv6Addr>,
}

impl<'a> Ipv6Extensions<'a> {
    /// No extension header: the fixed header's next header is `upper`.
    #[inline]
    pub(crate) fn none(upper: IpProtocol) -> Self {
        Ipv6Extensions {
            first: upper,
            upper,
            ..Ipv6Extensions::default()
        }
    }

    /// The extension headers' bytes, all of them.
    pub fn bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// Their total length in bytes.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// True when the datagram has none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How many there are.
    pub fn count(&self) -> usize {
        usize::from(self.count)
    }

    /// The protocol after the last one walked: the upper layer (TCP, UDP, ...), ESP, No Next
    /// Header (59), or, after a later fragment's header, the fragment's protocol.
    pub fn upper_protocol(&self) -> IpProtocol {
        self.upper
    }

    /// The fragment header, if there is one.
    pub fn fragment(&self) -> Option<Ipv6Fragment> {
        self.fragment
    }

    /// The jumbo payload option's length, if the hop-by-hop header has one.
    pub fn jumbo_payload_len(&self) -> Option<u32> {
        self.jumbo
    }

    /// The final destination a routing header with segments left names (see
    /// [`Ipv6Routing::final_destination`]).
    pub fn final_destination(&self) -> Option<Ipv6Addr> {
        self.final_dst
    }

    /// The headers, in order.
    pub fn headers(&self) -> Ipv6ExtHeaders<'a> {
        Ipv6ExtHeaders::new(self.first, self.raw)
    }
}

/// Iterator over the extension headers of an [`Ipv6Extensions`].
#[derive(Debug, Clone)]
pub struct Ipv6ExtHeaders<'a> {
    kind: IpProtocol,
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Ipv6ExtHeaders<'a> {
    /// The headers of a well-formed chain `raw` whose first header is of type `first`.
    #[inline]
    pub(crate) fn new(first: IpProtocol, raw: &'a [u8]) -> Self {
        Ipv6ExtHeaders {
            kind: first,
            rest: raw,
            offset: 0,
        }
    }
}

impl<'a> Iterator for Ipv6ExtHeaders<'a> {
    type Item = Ipv6ExtHeader<'a>;

    // Inlined: with no extension header (most IPv6 frames) the loop is then one test of
    // the chain's length (measured with callgrind: 16 instructions a frame before).
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        // The chain was checked when it was walked: every length fits.
        let len = header_len(self.kind, self.rest)?;
        let (bytes, rest) = self.rest.split_at_checked(len)?;
        let h = Ipv6ExtHeader {
            kind: self.kind,
            bytes,
            offset: self.offset,
        };
        self.kind = h.next_header();
        self.rest = rest;
        self.offset += len;
        Some(h)
    }
}

/// The length of a header of `kind` starting `b`, once its two first bytes are there.
#[inline]
fn header_len(kind: IpProtocol, b: &[u8]) -> Option<usize> {
    // 8 + 8l for most kinds, (l + 2) * 4 = 8 + 4l for AH, 8 for a fragment header (whose
    // second byte is reserved): one formula with two selects, no branch.
    let l = if kind == IpProtocol::FRAGMENT {
        0
    } else {
        usize::from(*b.get(1)?)
    };
    let shift = if kind == IpProtocol::AH { 2 } else { 3 };
    Some(8 + (l << shift))
}

/// Walks the extension headers that start the IPv6 payload `payload`, the first of type
/// `first` (the fixed header's next header), within the payload. Returns the rest (the
/// upper-layer header and data, or a later fragment's data) and the chain.
///
/// Errors (offsets from the payload's start): a header cut short
/// ([`Error::Truncated`], layer [`Layer::Ipv6Extension`]); a hop-by-hop header anywhere but
/// first, or more than [`MAX_EXTENSION_HEADERS`] headers ([`Error::InvalidField`] on
/// [`Field::NextHeader`]).
///
/// ```
/// use synack::wire::{IpProtocol, parse_ipv6_extensions};
///
/// // A destination options header (8 bytes: next header TCP, PadN of 4), then TCP.
/// let payload = [6, 0, 1, 4, 0, 0, 0, 0, 0xaa];
/// let (rest, chain) = parse_ipv6_extensions(IpProtocol::DESTINATION_OPTIONS, &payload).unwrap();
/// assert_eq!((chain.count(), chain.len(), chain.upper_protocol()), (1, 8, IpProtocol::TCP));
/// assert_eq!(rest, &[0xaa]);
/// ```
#[inline]
pub fn parse_ipv6_extensions(first: IpProtocol, payload: &[u8]) -> IResult<&[u8], Ipv6Extensions<'_>, Error> {
    match walk(first, payload) {
        (chain, None) => Ok((&payload[chain.len()..], chain)),
        (_, Some(e)) => fail(e),
    }
}

/// Walks the chain as far as it is well formed: the headers before the first bad one, and
/// the error that stopped the walk, if one did (what a dissector shows of a broken chain).
#[inline]
pub(crate) fn walk(first: IpProtocol, payload: &[u8]) -> (Ipv6Extensions<'_>, Option<Error>) {
    let mut chain = Ipv6Extensions {
        first,
        ..Ipv6Extensions::default()
    };
    let (mut kind, mut at) = (first, 0usize);
    let error = loop {
        if !is_extension(kind) {
            break None;
        }
        let invalid = |reason| Error::InvalidField {
            layer: Layer::Ipv6Extension,
            offset: at,
            field: Field::NextHeader,
            value: u32::from(kind.0),
            reason,
        };
        if kind == IpProtocol::HOP_BY_HOP && at > 0 {
            break Some(invalid("a hop-by-hop options header must come first"));
        }
        if usize::from(chain.count) == MAX_EXTENSION_HEADERS {
            break Some(invalid("one extension header past the limit of 16"));
        }
        let rest = &payload[at..];
        let truncated = |needed| Error::Truncated {
            layer: Layer::Ipv6Extension,
            offset: at,
            needed,
            available: rest.len(),
        };
        let Some(len) = header_len(kind, rest) else {
            break Some(truncated(2));
        };
        let Some(bytes) = rest.get(..len) else {
            break Some(truncated(len));
        };
        let h = Ipv6ExtHeader {
            kind,
            bytes,
            offset: at,
        };
        note(&mut chain, &h);
        chain.count += 1;
        at += len;
        kind = h.next_header();
        if h.fragment().is_some_and(|f| f.is_later()) {
            break None;
        }
    };
    chain.upper = kind;
    chain.raw = &payload[..at];
    (chain, error)
}

/// The length of a chain of the usual headers (destination options, routing, hop-by-hop
/// first; at most [`MAX_EXTENSION_HEADERS`], each within the payload, as [`walk`] checks
/// them) that ends in TCP; `None` for any other chain, which the one-pass views leave to the
/// general path (a fragment, AH and the rarer kinds included: the general path decodes them
/// the same, and without them here the skim needs no callee-saved register).
#[inline]
pub(crate) fn skim_to_tcp(first: IpProtocol, payload: &[u8]) -> Option<usize> {
    let (mut kind, mut at) = (first, 0usize);
    for n in 0..MAX_EXTENSION_HEADERS {
        let [next, l, ..] = *payload.get(at..)? else {
            return None;
        };
        if !(kind == IpProtocol::DESTINATION_OPTIONS
            || kind == IpProtocol::ROUTING
            || (kind == IpProtocol::HOP_BY_HOP && n == 0))
        {
            return None;
        }
        at += (usize::from(l) + 1) * 8;
        if at > payload.len() {
            return None;
        }
        kind = IpProtocol(next);
        if kind == IpProtocol::TCP {
            return Some(at);
        }
    }
    None
}

/// Keeps what the layers above read of header `h`: its jumbo payload length, the final
/// destination, the fragment header (the first that is not atomic, else the first).
#[inline]
fn note(chain: &mut Ipv6Extensions<'_>, h: &Ipv6ExtHeader<'_>) {
    if h.kind == IpProtocol::HOP_BY_HOP {
        chain.jumbo = h.options().and_then(|o| {
            o.map_while(Result::ok).find_map(|o| match o {
                Ipv6Option::JumboPayload(n) => Some(n),
                _ => None,
            })
        });
    }
    if let Some(dst) = h.routing().and_then(|r| r.final_destination()) {
        chain.final_dst = Some(dst);
    }
    // Two fragment headers make no sense (RFC 8200 allows one); should a datagram carry
    // several, one that is not atomic makes it a fragment.
    if let Some(f) = h.fragment()
        && chain.fragment.is_none_or(|kept| kept.is_atomic())
    {
        chain.fragment = Some(f);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    const TCP: IpProtocol = IpProtocol::TCP;

    fn walk(first: IpProtocol, p: &[u8]) -> Result<(usize, Ipv6Extensions<'_>), Error> {
        match parse_ipv6_extensions(first, p) {
            Ok((rest, c)) => Ok((rest.len(), c)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) => unreachable!("complete input"),
        }
    }

    #[test]
    fn no_extension_is_an_empty_chain() {
        let (rest, c) = walk(TCP, &[1, 2, 3]).unwrap();
        assert_eq!((rest, c.count(), c.len(), c.upper_protocol()), (3, 0, 0, TCP));
        assert!(c.is_empty() && c.headers().next().is_none());
    }

    #[test]
    fn a_chain_of_every_kind_is_walked_in_order() {
        let mut p = std::vec::Vec::new();
        // Hop-by-hop: router alert 0, PadN 0 -> next routing.
        p.extend_from_slice(&[43, 0, 5, 2, 0, 0, 1, 0]);
        // Routing type 0, one address, 0 segments left -> next fragment.
        p.extend_from_slice(&[44, 2, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        // Atomic fragment -> next AH.
        p.extend_from_slice(&[51, 0, 0, 0, 0, 0, 0, 7]);
        // AH of 12 bytes (length 1) -> next destination options.
        p.extend_from_slice(&[60, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
        // Destination options, Pad1 x6 -> next TCP.
        p.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&[0xee; 4]);
        let (rest, c) = walk(IpProtocol::HOP_BY_HOP, &p).unwrap();
        assert_eq!((rest, c.count(), c.len(), c.upper_protocol()), (4, 5, 60, TCP));
        let kinds: std::vec::Vec<u8> = c.headers().map(|h| h.kind.0).collect();
        assert_eq!(kinds, [0, 43, 44, 51, 60]);
        let f = c.fragment().unwrap();
        assert!(f.is_atomic() && !f.is_later());
        assert_eq!(f.identification, 7);
        let hbh: std::vec::Vec<_> = c.headers().next().unwrap().options().unwrap().collect();
        assert_eq!(hbh, [Ok(Ipv6Option::RouterAlert(0)), Ok(Ipv6Option::PadN(0))]);
        // No segments left: the destination stays.
        assert_eq!(c.final_destination(), None);
    }

    #[test]
    fn routing_with_segments_left_names_the_final_destination() {
        let mut rt0 = [0u8; 40];
        rt0[..4].copy_from_slice(&[6, 4, 0, 2]);
        rt0[8 + 15] = 1;
        rt0[24 + 15] = 2;
        let (_, c) = walk(IpProtocol::ROUTING, &rt0).unwrap();
        assert_eq!(c.final_destination(), Some("::2".parse().unwrap()));
        // Segment routing: the first entry of the list is the final segment.
        let mut srh = [0u8; 40];
        srh[..8].copy_from_slice(&[6, 4, 4, 1, 1, 0, 0, 0]);
        srh[8 + 15] = 7;
        srh[24 + 15] = 8;
        let (_, c) = walk(IpProtocol::ROUTING, &srh).unwrap();
        assert_eq!(c.final_destination(), Some("::7".parse().unwrap()));
        let r = c.headers().next().unwrap().routing().unwrap();
        assert_eq!(r.addresses().count(), 2);
    }

    #[test]
    fn a_later_fragment_ends_the_walk() {
        let p = [6, 0, 0x00, 0x09, 0, 0, 0, 1, 0xaa, 0xbb];
        let (rest, c) = walk(IpProtocol::FRAGMENT, &p).unwrap();
        let f = c.fragment().unwrap();
        assert_eq!((f.offset, f.more, f.offset_bytes(), rest), (1, true, 8, 2));
        assert!(f.is_later());
        assert_eq!(c.upper_protocol(), TCP);
    }

    #[test]
    fn esp_and_no_next_header_end_the_chain() {
        for end in [IpProtocol::ESP, IpProtocol::NO_NEXT_HEADER] {
            let p = [end.0, 0, 1, 4, 0, 0, 0, 0, 1, 2, 3];
            let (rest, c) = walk(IpProtocol::DESTINATION_OPTIONS, &p).unwrap();
            assert_eq!((rest, c.count(), c.upper_protocol()), (3, 1, end));
        }
    }

    #[test]
    fn hostile_chains_are_typed_errors() {
        // Hop-by-hop after another header.
        let p = [0, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0];
        assert!(matches!(
            walk(IpProtocol::DESTINATION_OPTIONS, &p),
            Err(Error::InvalidField {
                layer: Layer::Ipv6Extension,
                offset: 8,
                field: Field::NextHeader,
                value: 0,
                ..
            })
        ));
        // A length past the payload.
        let p = [6, 3, 1, 4, 0, 0, 0, 0];
        assert_eq!(
            walk(IpProtocol::DESTINATION_OPTIONS, &p),
            Err(Error::Truncated {
                layer: Layer::Ipv6Extension,
                offset: 0,
                needed: 32,
                available: 8
            })
        );
        // The length byte missing.
        assert!(matches!(
            walk(IpProtocol::ROUTING, &[6]),
            Err(Error::Truncated { needed: 2, .. })
        ));
        // A chain past the limit: destination options pointing at themselves.
        let p = [60u8, 0, 1, 4, 0, 0, 0, 0].repeat(MAX_EXTENSION_HEADERS + 1);
        assert!(matches!(
            walk(IpProtocol::DESTINATION_OPTIONS, &p),
            Err(Error::InvalidField {
                offset: 128,
                field: Field::NextHeader,
                ..
            })
        ));
        // Exactly the limit is fine.
        let mut p = [60u8, 0, 1, 4, 0, 0, 0, 0].repeat(MAX_EXTENSION_HEADERS);
        p[(MAX_EXTENSION_HEADERS - 1) * 8] = 6;
        assert_eq!(walk(IpProtocol::DESTINATION_OPTIONS, &p).unwrap().1.count(), 16);
    }

    #[test]
    fn options_report_bad_lengths_and_stop() {
        let o: std::vec::Vec<_> = Ipv6Options::new(&[0, 0xc2, 4, 0, 1, 0, 0, 0x1e, 9]).collect();
        assert_eq!(o[0], Ok(Ipv6Option::Pad1));
        assert_eq!(o[1], Ok(Ipv6Option::JumboPayload(65536)));
        assert!(matches!(
            o[2],
            Err(Error::BadOptionLength {
                kind: 0x1e,
                length: 9,
                ..
            })
        ));
        assert_eq!(o.len(), 3);
        let o: std::vec::Vec<_> = Ipv6Options::new(&[5, 3, 0, 0, 0]).collect();
        assert!(matches!(
            o[..],
            [Err(Error::BadOptionLength { kind: 5, length: 3, .. })]
        ));
        let o: std::vec::Vec<_> = Ipv6Options::new(&[0x3e, 1, 7]).collect();
        assert_eq!(o, [Ok(Ipv6Option::Unknown { kind: 0x3e, data: &[7] })]);
    }

    #[test]
    fn jumbo_payload_is_kept() {
        let p = [6, 0, 0xc2, 4, 0, 1, 0, 0];
        let (_, c) = walk(IpProtocol::HOP_BY_HOP, &p).unwrap();
        assert_eq!(c.jumbo_payload_len(), Some(65536));
    }
}
