//! TCP options: a zero-copy iterator and a writer.
//!
//! The iterator walks the options area lazily. A malformed option is yielded as a
//! [`BadOption`] (which converts into [`Error::BadOptionLength`]) in its place: the options
//! before it are not lost, and when its
//! length byte is usable (≥ 2 and within the area) iteration goes on past it, as Wireshark's
//! dissector does. A length of 0 or 1, or one that runs past the area, ends the walk: no
//! later byte can be trusted. Iteration ends after `EOL` (what follows is padding).

use crate::error::{Error, Layer, out_buf};
use crate::wire::tcp::SeqNumber;

/// Option kinds with a name.
pub mod kind {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation.
    pub const NOP: u8 = 1;
    /// Maximum segment size (RFC 9293).
    pub const MSS: u8 = 2;
    /// Window scale (RFC 7323).
    pub const WINDOW_SCALE: u8 = 3;
    /// SACK permitted (RFC 2018).
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK blocks (RFC 2018).
    pub const SACK: u8 = 5;
    /// Timestamps (RFC 7323).
    pub const TIMESTAMPS: u8 = 8;
    /// TCP Fast Open cookie (RFC 7413).
    pub const FAST_OPEN: u8 = 34;
    /// Experimental option (RFC 6994); with magic 0xF989 it carries a Fast Open cookie.
    pub const EXPERIMENTAL: u8 = 254;
    /// The RFC 6994 experiment identifier of the pre-RFC Fast Open option.
    pub const FAST_OPEN_MAGIC: u16 = 0xf989;
}

/// The largest window-scale shift that takes effect (RFC 7323 §2.3).
pub const MAX_WINDOW_SCALE: u8 = 14;

/// SACK blocks, kept borrowed: 8 bytes each, left and right edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SackBlocks<'a>(&'a [u8]);

impl<'a> SackBlocks<'a> {
    /// Size of one block in bytes.
    pub const BLOCK_LEN: usize = 8;

    /// Wraps option data whose length is a multiple of [`SackBlocks::BLOCK_LEN`].
    pub fn new(data: &'a [u8]) -> Option<Self> {
        data.len().is_multiple_of(Self::BLOCK_LEN).then_some(SackBlocks(data))
    }

    /// Returns the number of blocks.
    pub fn len(&self) -> usize {
        self.0.len() / Self::BLOCK_LEN
    }

    /// Returns true when there is no block.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns the raw bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Returns the blocks as (left edge, right edge) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (SeqNumber, SeqNumber)> + 'a {
        self.0.chunks_exact(Self::BLOCK_LEN).map(|b| {
            (
                SeqNumber(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
                SeqNumber(u32::from_be_bytes([b[4], b[5], b[6], b[7]])),
            )
        })
    }
}

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    /// End of option list (kind 0).
    Eol,
    /// No operation (kind 1).
    Nop,
    /// Maximum segment size (kind 2).
    Mss(u16),
    /// Window scale shift as sent (kind 3); see [`TcpOption::effective_window_scale`].
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// SACK blocks (kind 5), every block present.
    Sack(SackBlocks<'a>),
    /// Timestamps (kind 8).
    Timestamps {
        /// Timestamp value.
        tsval: u32,
        /// Timestamp echo reply.
        tsecr: u32,
    },
    /// TCP Fast Open (kind 34); an empty cookie is a cookie request.
    FastOpen(&'a [u8]),
    /// Pre-RFC TCP Fast Open (kind 254, magic 0xF989); an empty cookie is a request.
    FastOpenExperimental(&'a [u8]),
    /// Any other kind, kept with its data.
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The data after kind and length.
        data: &'a [u8],
    },
}

impl TcpOption<'_> {
    /// Returns the kind byte.
    pub fn kind(&self) -> u8 {
        match self {
            TcpOption::Eol => kind::EOL,
            TcpOption::Nop => kind::NOP,
            TcpOption::Mss(_) => kind::MSS,
            TcpOption::WindowScale(_) => kind::WINDOW_SCALE,
            TcpOption::SackPermitted => kind::SACK_PERMITTED,
            TcpOption::Sack(_) => kind::SACK,
            TcpOption::Timestamps { .. } => kind::TIMESTAMPS,
            TcpOption::FastOpen(_) => kind::FAST_OPEN,
            TcpOption::FastOpenExperimental(_) => kind::EXPERIMENTAL,
            TcpOption::Unknown { kind, .. } => *kind,
        }
    }

    /// Returns the encoded length in bytes.
    pub fn len(&self) -> usize {
        match self {
            TcpOption::Eol | TcpOption::Nop => 1,
            TcpOption::Mss(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(b) => 2 + b.as_bytes().len(),
            TcpOption::Timestamps { .. } => 10,
            TcpOption::FastOpen(c) => 2 + c.len(),
            TcpOption::FastOpenExperimental(c) => 4 + c.len(),
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Returns false: no option encodes to zero bytes (present for clippy's `len` rule).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Returns the window-scale shift that takes effect: the value sent, clamped to 14
    /// (RFC 7323 §2.3: "use 14 instead of the specified value"). `None` for other kinds.
    pub fn effective_window_scale(&self) -> Option<u8> {
        match *self {
            TcpOption::WindowScale(s) => Some(s.min(MAX_WINDOW_SCALE)),
            _ => None,
        }
    }

    /// Writes the option into the start of `buf` and returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.len();
        if len > usize::from(u8::MAX) {
            return Err(Error::BadOptionLength {
                layer: Layer::TcpOptions,
                offset: 0,
                kind: self.kind(),
                length: u8::MAX,
                available: len,
            });
        }
        let out = out_buf(buf, len, Layer::TcpOptions)?;
        out[0] = self.kind();
        if len > 1 {
            out[1] = len as u8;
        }
        match self {
            TcpOption::Eol | TcpOption::Nop | TcpOption::SackPermitted => {}
            TcpOption::Mss(m) => out[2..4].copy_from_slice(&m.to_be_bytes()),
            TcpOption::WindowScale(s) => out[2] = *s,
            TcpOption::Sack(b) => out[2..].copy_from_slice(b.as_bytes()),
            TcpOption::Timestamps { tsval, tsecr } => {
                out[2..6].copy_from_slice(&tsval.to_be_bytes());
                out[6..10].copy_from_slice(&tsecr.to_be_bytes());
            }
            TcpOption::FastOpen(c) => out[2..].copy_from_slice(c),
            TcpOption::FastOpenExperimental(c) => {
                out[2..4].copy_from_slice(&kind::FAST_OPEN_MAGIC.to_be_bytes());
                out[4..].copy_from_slice(c);
            }
            TcpOption::Unknown { data, .. } => out[2..].copy_from_slice(data),
        }
        Ok(len)
    }
}

/// Writes `options` one after another and pads with zero bytes (EOL) to a multiple of four,
/// as a TCP header needs. Returns the bytes written.
pub fn emit_options(options: &[TcpOption<'_>], buf: &mut [u8]) -> Result<usize, Error> {
    let mut at = 0;
    for o in options {
        let rest = buf.get_mut(at..).unwrap_or_default();
        at += o.emit(rest)?;
    }
    let padded = at.next_multiple_of(4);
    out_buf(buf, padded, Layer::TcpOptions)?[at..].fill(kind::EOL);
    Ok(padded)
}

/// A malformed TCP option: where it starts, its kind, what its length byte said, and how many
/// bytes were left. It is what [`TcpOptions`] yields instead of an option; it converts into
/// [`Error::BadOptionLength`] (layer `TcpOptions`), and prints the same. It is kept small
/// because the iterator returns it by value on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BadOption {
    /// Offset of the option in the options area.
    pub offset: u32,
    /// The option's kind.
    pub kind: u8,
    /// Its length byte (0 when the byte is missing).
    pub length: u8,
    /// Bytes left in the options area from the option on.
    pub available: u32,
}

impl From<BadOption> for Error {
    fn from(b: BadOption) -> Error {
        Error::BadOptionLength {
            layer: Layer::TcpOptions,
            offset: b.offset as usize,
            kind: b.kind,
            length: b.length,
            available: b.available as usize,
        }
    }
}

impl PartialEq<Error> for BadOption {
    fn eq(&self, other: &Error) -> bool {
        Error::from(*self) == *other
    }
}

impl core::fmt::Display for BadOption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&Error::from(*self), f)
    }
}

impl core::error::Error for BadOption {}

/// Iterator over the options of a TCP header.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    /// What is left to walk; empty once done (after EOL or an error too).
    rest: &'a [u8],
    /// The options area's whole length, for offsets in errors.
    len: usize,
}

impl<'a> TcpOptions<'a> {
    /// Returns an iterator over the options area `data` (the bytes after the fixed header).
    #[inline]
    pub fn new(data: &'a [u8]) -> Self {
        TcpOptions {
            rest: data,
            len: data.len(),
        }
    }

    /// Ends the walk and describes the option at the front of what is left.
    #[inline(always)]
    fn bad(&mut self, kind: u8, length: u8) -> BadOption {
        let e = bad_option(self.len, self.rest.len(), kind, length);
        self.rest = &[];
        e
    }
}

/// Builds the error out of line and from values only, so the iterator never has its address
/// taken and stays in registers on the hot path.
#[inline(always)]
fn bad_option(area_len: usize, left: usize, kind: u8, length: u8) -> BadOption {
    BadOption {
        offset: u32::try_from(area_len.saturating_sub(left)).unwrap_or(u32::MAX),
        kind,
        length,
        available: u32::try_from(left).unwrap_or(u32::MAX),
    }
}

/// Decodes an option whose length byte is sane (`option` is the whole option, kind and
/// length included, `option.len()` bytes long); `Err` means the length is wrong for the
/// kind.
// One match on kind and length: the compiler then knows each fixed-size body's length, and
// reads it with no check (timestamps took 8 instructions to test `body.len() == 8` before).
#[inline(always)]
fn decode(kind: u8, option: &[u8]) -> Result<TcpOption<'_>, ()> {
    let body = option.get(2..).ok_or(())?;
    match (kind, option.len()) {
        (kind::TIMESTAMPS, 10) => {
            let b = option.first_chunk::<10>().ok_or(())?;
            Ok(TcpOption::Timestamps {
                tsval: u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                tsecr: u32::from_be_bytes([b[6], b[7], b[8], b[9]]),
            })
        }
        (kind::MSS, 4) => Ok(TcpOption::Mss(u16::from_be_bytes([option[2], option[3]]))),
        (kind::WINDOW_SCALE, 3) => Ok(TcpOption::WindowScale(option[2])),
        (kind::SACK_PERMITTED, 2) => Ok(TcpOption::SackPermitted),
        (kind::SACK, n) if n > 2 => SackBlocks::new(body).map(TcpOption::Sack).ok_or(()),
        (kind::FAST_OPEN, _) => Ok(TcpOption::FastOpen(body)),
        (kind::EXPERIMENTAL, n) if n >= 4 => match body.split_first_chunk::<2>() {
            Some((&magic, cookie)) if u16::from_be_bytes(magic) == kind::FAST_OPEN_MAGIC => {
                Ok(TcpOption::FastOpenExperimental(cookie))
            }
            _ => Ok(TcpOption::Unknown { kind, data: body }),
        },
        (kind::MSS | kind::WINDOW_SCALE | kind::SACK_PERMITTED | kind::SACK | kind::TIMESTAMPS, _) => Err(()),
        _ => Ok(TcpOption::Unknown { kind, data: body }),
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>, BadOption>;

    // Always inlined: the caller's match on the option then folds into the decoding, which
    // halves the instructions per option (measured with callgrind).
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let (k, length) = match *self.rest {
            [] => return None,
            [kind::NOP, ref tail @ ..] => {
                self.rest = tail;
                return Some(Ok(TcpOption::Nop));
            }
            [kind::EOL, ..] => {
                self.rest = &[];
                return Some(Ok(TcpOption::Eol));
            }
            [k] => return Some(Err(self.bad(k, 0))),
            [k, length, ..] => (k, length),
        };
        let l = usize::from(length);
        if l < 2 || l > self.rest.len() {
            return Some(Err(self.bad(k, length)));
        }
        let (option, after) = self.rest.split_at(l);
        match decode(k, option) {
            Ok(o) => {
                self.rest = after;
                Some(Ok(o))
            }
            // A length wrong for the kind: report it and go on with the next option.
            Err(()) => {
                let e = self.bad(k, length);
                self.rest = after;
                Some(Err(e))
            }
        }
    }

    /// The same items as [`next`](Self::next) one by one, with the layout nearly every data
    /// segment carries read at once: NOP, NOP, timestamps at the area's start (Linux's, and
    /// the one RFC 7323's appendix A recommends; Linux's `tcp_parse_aligned_timestamp` takes
    /// it the same way). What follows it, SACK blocks say, goes on through `next`.
    /// `for_each`, `count`, `sum` and adapters such as `filter_map(..).fold(..)` come here.
    #[inline(always)]
    fn fold<B, F>(mut self, init: B, mut f: F) -> B
    where
        F: FnMut(B, Self::Item) -> B,
    {
        let mut acc = init;
        // The four bytes compared as one word: one comparison, not four.
        const ALIGNED: u32 = u32::from_be_bytes([kind::NOP, kind::NOP, kind::TIMESTAMPS, 10]);
        if let Some((head, after)) = self.rest.split_first_chunk::<12>()
            && u32::from_be_bytes([head[0], head[1], head[2], head[3]]) == ALIGNED
        {
            let [_, _, _, _, a, b, c, d, e, g, h, i] = *head;
            acc = f(acc, Ok(TcpOption::Nop));
            acc = f(acc, Ok(TcpOption::Nop));
            let timestamps = TcpOption::Timestamps {
                tsval: u32::from_be_bytes([a, b, c, d]),
                tsecr: u32::from_be_bytes([e, g, h, i]),
            };
            acc = f(acc, Ok(timestamps));
            self.rest = after;
        }
        // A `for` loop calls `next`, not this.
        for item in self {
            acc = f(acc, item);
        }
        acc
    }
}

/// The options a SYN or SYN-ACK negotiates, collected in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SynOptions {
    /// MSS, if present.
    pub mss: Option<u16>,
    /// Window-scale shift as sent, if present.
    pub window_scale: Option<u8>,
    /// SACK permitted present.
    pub sack_permitted: bool,
    /// Timestamps, if present.
    pub timestamps: Option<(u32, u32)>,
    /// A Fast Open option (either form) was present.
    pub fast_open: bool,
    /// A malformed option was seen.
    pub malformed: bool,
}

impl SynOptions {
    /// Collects the negotiated options from an options area.
    pub fn collect(options: TcpOptions<'_>) -> Self {
        let mut s = SynOptions::default();
        for o in options {
            match o {
                Ok(TcpOption::Mss(m)) => s.mss = Some(m),
                Ok(TcpOption::WindowScale(w)) => s.window_scale = Some(w),
                Ok(TcpOption::SackPermitted) => s.sack_permitted = true,
                Ok(TcpOption::Timestamps { tsval, tsecr }) => s.timestamps = Some((tsval, tsecr)),
                Ok(TcpOption::FastOpen(_) | TcpOption::FastOpenExperimental(_)) => s.fast_open = true,
                Ok(_) => {}
                Err(_) => s.malformed = true,
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn all(data: &[u8]) -> Vec<Result<TcpOption<'_>, Error>> {
        TcpOptions::new(data).map(|o| o.map_err(Error::from)).collect()
    }

    /// `fold` (which reads NOP, NOP, timestamps at once) gives what `next` gives one by one,
    /// errors and their offsets included: on that layout at every length (cut short, alone,
    /// followed by SACK blocks, by garbage) and on random areas of the usual kinds.
    #[test]
    fn fold_gives_what_next_gives() {
        fn by_next(data: &[u8]) -> Vec<Result<TcpOption<'_>, BadOption>> {
            let mut v = Vec::new();
            // A `for` loop calls `next` one item at a time.
            for o in TcpOptions::new(data) {
                v.push(o);
            }
            v
        }
        fn by_fold(data: &[u8]) -> Vec<Result<TcpOption<'_>, BadOption>> {
            TcpOptions::new(data).fold(Vec::new(), |mut v, o| {
                v.push(o);
                v
            })
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let kinds = [0u8, 1, 2, 3, 4, 5, 8, 10, 28, 30, 34, 254, 77];
        let mut fast = 0;
        for round in 0..20_000 {
            let mut area = Vec::new();
            if round % 2 == 0 {
                area.extend_from_slice(&[1, 1, 8, 10]);
            }
            let len = (rand() % 41) as usize;
            while area.len() < len {
                let r = rand();
                let k = kinds[r as usize % kinds.len()];
                area.push(k);
                if k > 1 {
                    // Mostly a sane length for the kind, sometimes any.
                    let l = if r >> 8 & 7 == 0 {
                        (r >> 16) as u8
                    } else {
                        [10, 4, 3, 2, 18, 6][(r >> 24) as usize % 6]
                    };
                    area.push(l);
                    area.extend((0..l.saturating_sub(2)).map(|_| rand() as u8));
                }
            }
            area.truncate(len.max(if round % 4 == 0 { 4 + (rand() % 12) as usize } else { 0 }));
            assert_eq!(by_fold(&area), by_next(&area), "{area:02x?}");
            fast += usize::from(area.len() >= 12 && area[..4] == [1, 1, 8, 10]);
        }
        // The layout alone, and cut at every length.
        let aligned = [
            1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 9, 0, 0, 0, 12,
        ];
        for n in 0..=aligned.len() {
            assert_eq!(by_fold(&aligned[..n]), by_next(&aligned[..n]), "cut at {n}");
        }
        assert_eq!(
            by_fold(&aligned[..12]),
            [
                Ok(TcpOption::Nop),
                Ok(TcpOption::Nop),
                Ok(TcpOption::Timestamps { tsval: 1, tsecr: 2 })
            ]
        );
        assert!(fast > 2_000, "{fast} areas read at once");
    }

    #[test]
    fn seed_syn_options() {
        let opts = [
            0x02, 0x04, 0x05, 0xb4, // MSS 1460
            0x01, // NOP
            0x03, 0x03, 0x08, // window scale 8
            0x01, 0x01, // NOP NOP
            0x04, 0x02, // SACK permitted
        ];
        assert_eq!(
            all(&opts),
            [
                Ok(TcpOption::Mss(1460)),
                Ok(TcpOption::Nop),
                Ok(TcpOption::WindowScale(8)),
                Ok(TcpOption::Nop),
                Ok(TcpOption::Nop),
                Ok(TcpOption::SackPermitted),
            ]
        );
        let s = SynOptions::collect(TcpOptions::new(&opts));
        assert_eq!(
            (s.mss, s.window_scale, s.sack_permitted, s.timestamps),
            (Some(1460), Some(8), true, None)
        );
    }

    #[test]
    fn linux_syn_with_timestamps_and_sack_blocks() {
        let opts = [
            0x02, 0x04, 0xff, 0xd7, // MSS 65495
            0x04, 0x02, // SACK permitted
            0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // TS 1, 2
            0x01, // NOP
            0x03, 0x03, 0x0f, // window scale 15 (reported as sent)
            0x05, 0x12, // SACK, two blocks
            0, 0, 0, 1, 0, 0, 0, 2, // 1..2
            0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 4, // wraps
        ];
        let got = all(&opts);
        assert_eq!(got.len(), 6);
        assert_eq!(got[2], Ok(TcpOption::Timestamps { tsval: 1, tsecr: 2 }));
        assert_eq!(got[4], Ok(TcpOption::WindowScale(15)));
        assert_eq!(got[4].unwrap().effective_window_scale(), Some(14));
        let Ok(TcpOption::Sack(blocks)) = got[5] else {
            panic!("{:?}", got[5])
        };
        let b: Vec<_> = blocks.iter().collect();
        assert_eq!(
            b,
            [(SeqNumber(1), SeqNumber(2)), (SeqNumber(0xffff_fff0), SeqNumber(4))]
        );
    }

    #[test]
    fn fast_open_both_forms_and_unknown_kept() {
        let opts = [
            34, 2, // TFO cookie request
            254, 8, 0xf9, 0x89, 1, 2, 3, 4, // experimental TFO, cookie 01020304
            254, 4, 0x12, 0x34, // another experiment: unknown
            30, 4, 0xaa, 0xbb, // MPTCP (kind 30): unknown, kept
            1, 0, // NOP EOL
        ];
        assert_eq!(
            all(&opts),
            [
                Ok(TcpOption::FastOpen(&[][..])),
                Ok(TcpOption::FastOpenExperimental(&[1, 2, 3, 4][..])),
                Ok(TcpOption::Unknown {
                    kind: 254,
                    data: &[0x12, 0x34][..]
                }),
                Ok(TcpOption::Unknown {
                    kind: 30,
                    data: &[0xaa, 0xbb][..]
                }),
                Ok(TcpOption::Nop),
                Ok(TcpOption::Eol),
            ]
        );
    }

    /// The error of a malformed option at `offset` with `available` bytes from there.
    fn bad(offset: usize, kind: u8, length: u8, available: usize) -> Result<TcpOption<'static>, Error> {
        Err(Error::BadOptionLength {
            layer: Layer::TcpOptions,
            offset,
            kind,
            length,
            available,
        })
    }

    #[test]
    fn malformed_options_keep_what_came_before() {
        // Length 0 ends the walk.
        assert_eq!(
            all(&[2, 4, 5, 0xb4, 8, 0, 1, 1]),
            [Ok(TcpOption::Mss(1460)), bad(4, 8, 0, 4)]
        );
        // Length 1 ends the walk.
        assert_eq!(all(&[1, 3, 1, 1]), [Ok(TcpOption::Nop), bad(1, 3, 1, 3)]);
        // Past the area ends the walk.
        assert_eq!(
            all(&[1, 1, 8, 10]),
            [Ok(TcpOption::Nop), Ok(TcpOption::Nop), bad(2, 8, 10, 2)]
        );
        // The length byte itself missing.
        assert_eq!(all(&[1, 2]), [Ok(TcpOption::Nop), bad(1, 2, 0, 1)]);
        // A usable but wrong length for the kind (SACK 2+8n violated, MSS of 3): reported,
        // and the walk goes on.
        assert_eq!(
            all(&[5, 6, 0, 0, 0, 1, 2, 3, 0, 1, 4, 2]),
            [
                bad(0, 5, 6, 12),
                bad(6, 2, 3, 6),
                Ok(TcpOption::Nop),
                Ok(TcpOption::SackPermitted),
            ]
        );
    }

    #[test]
    fn emit_round_trip() {
        let blocks = [0u8, 0, 0, 1, 0, 0, 0, 9];
        let opts = [
            TcpOption::Mss(1460),
            TcpOption::Nop,
            TcpOption::WindowScale(8),
            TcpOption::SackPermitted,
            TcpOption::Timestamps { tsval: 7, tsecr: 0 },
            TcpOption::Sack(SackBlocks::new(&blocks).unwrap()),
            TcpOption::FastOpenExperimental(&[9, 9, 9, 9]),
        ];
        let mut buf = [0u8; 40];
        let n = emit_options(&opts, &mut buf).unwrap();
        assert_eq!(n, 40);
        let mut got = all(&buf[..n]);
        assert_eq!(got.pop(), Some(Ok(TcpOption::Eol)));
        assert_eq!(got, opts.iter().copied().map(Ok).collect::<Vec<_>>());
        assert_eq!(
            emit_options(&opts, &mut [0u8; 10]),
            Err(Error::BufferTooSmall {
                layer: Layer::TcpOptions,
                needed: 10,
                available: 0
            })
        );
    }
}
