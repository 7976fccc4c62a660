//! The one error type of the parsing layer.
//!
//! Every variant says which [`Layer`] failed, what was wrong and where: byte offsets are
//! counted from the start of the buffer handed to the parser that failed (for
//! [`parse_frame`](crate::wire::parse_frame), from the start of the frame). No variant
//! borrows the input, so errors are `Copy` and outlive the buffer.

use core::fmt;

/// The protocol layer an error (or a checksum verdict) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// Ethernet II header.
    Ethernet,
    /// An 802.1Q / 802.1ad VLAN tag.
    Vlan,
    /// Linux cooked capture (SLL or SLL2) header.
    LinuxSll,
    /// BSD loopback (DLT_NULL) header.
    Loopback,
    /// IPv4 header.
    Ipv4,
    /// IPv4 options area.
    Ipv4Options,
    /// The fixed IPv6 header.
    Ipv6,
    /// An IPv6 extension header.
    Ipv6Extension,
    /// The options of an IPv6 hop-by-hop or destination options header.
    Ipv6Options,
    /// TCP header.
    Tcp,
    /// TCP options area.
    TcpOptions,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Ethernet => "ethernet",
            Layer::Vlan => "vlan",
            Layer::LinuxSll => "linux-sll",
            Layer::Loopback => "loopback",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv4Options => "ipv4 options",
            Layer::Ipv6 => "ipv6",
            Layer::Ipv6Extension => "ipv6 extension header",
            Layer::Ipv6Options => "ipv6 options",
            Layer::Tcp => "tcp",
            Layer::TcpOptions => "tcp options",
        })
    }
}

/// A header field named in an [`Error::InvalidField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// IP version nibble.
    Version,
    /// IPv4 internet header length (in 32-bit words).
    Ihl,
    /// IPv4 total length (bytes).
    TotalLength,
    /// TCP data offset (in 32-bit words).
    DataOffset,
    /// An option's length byte.
    OptionLength,
    /// An option's pointer byte (IPv4 record route, timestamp, source route).
    OptionPointer,
    /// An IPv6 next-header value (the type of the extension header it introduces).
    NextHeader,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Version => "version",
            Field::Ihl => "header length (IHL)",
            Field::TotalLength => "total length",
            Field::DataOffset => "data offset",
            Field::OptionLength => "option length",
            Field::OptionPointer => "option pointer",
            Field::NextHeader => "next header",
        })
    }
}

/// Everything that can go wrong while parsing or emitting a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ended before the layer did.
    #[error("{layer}: truncated at offset {offset}: needed {needed} bytes, {available} available")]
    Truncated {
        /// Layer being parsed.
        layer: Layer,
        /// Offset at which the layer (or the part of it that is missing) starts.
        offset: usize,
        /// Bytes the layer needs from `offset`.
        needed: usize,
        /// Bytes actually present from `offset`.
        available: usize,
    },
    /// A header field holds a value the layer cannot be parsed with.
    #[error("{layer}: invalid {field} {value} at offset {offset}: {reason}")]
    InvalidField {
        /// Layer being parsed.
        layer: Layer,
        /// Offset of the byte holding the field.
        offset: usize,
        /// The field.
        field: Field,
        /// The value found.
        value: u32,
        /// Why the value is unusable.
        reason: &'static str,
    },
    /// An option's length byte is impossible for its kind or runs past the options area.
    #[error(
        "{layer}: option kind {kind} at offset {offset} has bad length {length} ({available} bytes left in the options area)"
    )]
    BadOptionLength {
        /// [`Layer::TcpOptions`] or [`Layer::Ipv4Options`].
        layer: Layer,
        /// Offset of the option's kind byte within the options area.
        offset: usize,
        /// The option kind.
        kind: u8,
        /// The length byte found (0 when the length byte itself is missing).
        length: u8,
        /// Bytes left in the options area from `offset`.
        available: usize,
    },
    /// An emit target buffer is too small.
    #[error("{layer}: cannot emit: needs {needed} bytes, buffer holds {available}")]
    BufferTooSmall {
        /// Layer being written.
        layer: Layer,
        /// Bytes needed.
        needed: usize,
        /// Bytes the buffer holds.
        available: usize,
    },
    /// A combinator of the caller's, used on top of synack's parsers (synack's error is also
    /// nom's error type), failed.
    #[error("combinator failed (nom error code {code}) with {remaining} bytes left")]
    Combinator {
        /// nom's number for its error kind (`nom::error::error_to_u32`; an input that ended
        /// where a streaming parser wanted more counts as `Eof`, 23).
        code: u32,
        /// Bytes left in the input at the point of failure.
        remaining: usize,
    },
}

impl Error {
    /// Returns the layer the error belongs to, if it names one.
    pub fn layer(&self) -> Option<Layer> {
        match *self {
            Error::Truncated { layer, .. }
            | Error::InvalidField { layer, .. }
            | Error::BadOptionLength { layer, .. }
            | Error::BufferTooSmall { layer, .. } => Some(layer),
            Error::Combinator { .. } => None,
        }
    }

    /// Returns the same error with its offset moved by `base` bytes.
    ///
    /// Used to turn an offset within one layer into an offset within the whole frame.
    pub fn shifted(self, base: usize) -> Error {
        match self {
            Error::Truncated {
                layer,
                offset,
                needed,
                available,
            } => Error::Truncated {
                layer,
                offset: offset + base,
                needed,
                available,
            },
            Error::InvalidField {
                layer,
                offset,
                field,
                value,
                reason,
            } => Error::InvalidField {
                layer,
                offset: offset + base,
                field,
                value,
                reason,
            },
            Error::BadOptionLength {
                layer,
                offset,
                kind,
                length,
                available,
            } => Error::BadOptionLength {
                layer,
                offset: offset + base,
                kind,
                length,
                available,
            },
            other => other,
        }
    }
}

impl<I: nom::Input> nom::error::ParseError<I> for Error {
    fn from_error_kind(input: I, kind: nom::error::ErrorKind) -> Self {
        Error::Combinator {
            code: nom::error::error_to_u32(&kind),
            remaining: input.input_len(),
        }
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Returns the first `len` bytes of `buf` to write a `layer` header into, or
/// [`Error::BufferTooSmall`].
#[inline]
pub(crate) fn out_buf(buf: &mut [u8], len: usize, layer: Layer) -> Result<&mut [u8], Error> {
    let available = buf.len();
    buf.get_mut(..len).ok_or(Error::BufferTooSmall {
        layer,
        needed: len,
        available,
    })
}

/// Wraps an error as nom's `Err::Error`.
#[inline]
pub(crate) fn fail<T>(e: Error) -> Result<T, nom::Err<Error>> {
    Err(nom::Err::Error(e))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn display_strings() {
        let e = Error::Truncated {
            layer: Layer::Ipv4,
            offset: 14,
            needed: 20,
            available: 6,
        };
        assert_eq!(
            e.to_string(),
            "ipv4: truncated at offset 14: needed 20 bytes, 6 available"
        );
        let e = Error::InvalidField {
            layer: Layer::Tcp,
            offset: 46,
            field: Field::DataOffset,
            value: 3,
            reason: "below the minimum of 5 words",
        };
        assert_eq!(
            e.to_string(),
            "tcp: invalid data offset 3 at offset 46: below the minimum of 5 words"
        );
        let e = Error::BadOptionLength {
            layer: Layer::TcpOptions,
            offset: 4,
            kind: 8,
            length: 1,
            available: 8,
        };
        assert_eq!(
            e.to_string(),
            "tcp options: option kind 8 at offset 4 has bad length 1 (8 bytes left in the options area)"
        );
        let e = Error::BufferTooSmall {
            layer: Layer::Ethernet,
            needed: 14,
            available: 10,
        };
        assert_eq!(e.to_string(), "ethernet: cannot emit: needs 14 bytes, buffer holds 10");
        let e = <Error as nom::error::ParseError<&[u8]>>::from_error_kind(&[1, 2, 3][..], nom::error::ErrorKind::Eof);
        assert_eq!(e.to_string(), "combinator failed (nom error code 23) with 3 bytes left");
        let e = Error::InvalidField {
            layer: Layer::Ipv4,
            offset: 0,
            field: Field::Version,
            value: 6,
            reason: "not 4",
        };
        assert_eq!(e.to_string(), "ipv4: invalid version 6 at offset 0: not 4");
    }

    #[test]
    fn shifted_moves_offsets_only() {
        let e = Error::Truncated {
            layer: Layer::Tcp,
            offset: 0,
            needed: 20,
            available: 3,
        };
        assert_eq!(
            e.shifted(34),
            Error::Truncated {
                layer: Layer::Tcp,
                offset: 34,
                needed: 20,
                available: 3
            }
        );
        assert_eq!(e.layer(), Some(Layer::Tcp));
    }
}
