//! Timestamped frames from capture files: classic pcap (microsecond and nanosecond, either
//! byte order) and pcapng (several interfaces and sections, per-interface link type,
//! snapshot length and timestamp resolution), read through the pcap-parser crate.
//!
//! Reading streams: the reader holds one buffer (64 KiB, grown up to
//! [`CaptureReader::MAX_BLOCK`] for a single large block), never the whole file. Frames borrow
//! from that buffer, so the reader hands them out one at a time with
//! [`CaptureReader::next_frame`] rather than as a std `Iterator`.
//!
//! Damage ends the walk with a [`CaptureError`] that names the file offset, after every good
//! frame before it has been delivered.
//!
//! ```no_run
//! use synack::capture::CaptureReader;
//!
//! let mut reader = CaptureReader::open("trace.pcap")?;
//! while let Some(frame) = reader.next_frame() {
//!     let frame = frame?;
//!     let decoded = frame.dissect();
//!     println!("{} {} {:?}", frame.number, frame.timestamp, decoded.content);
//! }
//! # Ok::<(), synack::capture::CaptureError>(())
//! ```

mod accounting;
mod error;
mod source;
pub mod write;

pub use accounting::Accounting;
pub use error::CaptureError;
use source::{KeepErrors, SourceState, read_so_far, take_error};

use core::ops::Range;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use pcap_parser::pcapng::{Block, EnhancedPacketBlock, SimplePacketBlock};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

use crate::Timestamp;
use crate::wire::{Frame, LinkType, dissect_with_len};

/// One frame read from a capture, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedFrame<'a> {
    /// Frame number, from 1, as Wireshark numbers them.
    pub number: u64,
    /// Capture timestamp.
    pub timestamp: Timestamp,
    /// Length of the frame on the wire.
    pub orig_len: u32,
    /// Link type of the interface it was captured on.
    pub link: LinkType,
    /// Interface index (0 for classic pcap).
    pub interface: u32,
    /// The captured bytes (`data.len()` is the captured length).
    pub data: &'a [u8],
}

impl<'a> CapturedFrame<'a> {
    /// Returns the captured length.
    pub fn cap_len(&self) -> usize {
        self.data.len()
    }

    /// Returns true when the snapshot length cut the frame (fewer bytes captured than sent).
    pub fn is_cut(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }

    /// Decodes the frame with its link type. Checksums of a cut frame come out
    /// unverifiable, not bad.
    pub fn dissect(&self) -> Frame<'a> {
        dissect_with_len(self.link, self.data, self.orig_len as usize)
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

/// A streaming reader of pcap and pcapng files.
pub struct CaptureReader<'r> {
    /// What the source's reads returned that pcap-parser does not keep.
    io_error: Arc<Mutex<SourceState>>,
    inner: Box<dyn PcapReaderIterator + Send + 'r>,
    /// Bytes of the block last handed out, consumed on the next call.
    pending: usize,
    /// Classic pcap: the file's link type and timestamp resolution.
    legacy: Option<Interface>,
    /// pcapng: the current section's interfaces.
    interfaces: Vec<Interface>,
    frames: u64,
    done: bool,
}

impl std::fmt::Debug for CaptureReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("frames", &self.frames)
            .field("offset", &self.offset())
            .finish_non_exhaustive()
    }
}

const NANOS: u64 = 1_000_000_000;

impl CaptureReader<'static> {
    /// Opens a capture file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| CaptureError::Open {
            path: path.display().to_string(),
            source,
        })?;
        CaptureReader::new(file)
    }

    /// Returns a reader over the lab's capture, built into the crate ([`crate::seed`] as a
    /// pcap file: [`write::seed_pcap`]).
    ///
    /// ```
    /// let mut reader = synack::capture::CaptureReader::seed();
    /// let first = reader.next_frame().unwrap()?;
    /// assert_eq!((first.number, first.data, first.timestamp), (1, synack::seed::FRAMES[0].bytes, synack::seed::FRAMES[0].timestamp));
    /// # Ok::<(), synack::capture::CaptureError>(())
    /// ```
    pub fn seed() -> Self {
        CaptureReader::new(std::io::Cursor::new(write::seed_pcap())).expect("the built-in seed capture is a pcap file")
    }
}

impl<'r> CaptureReader<'r> {
    /// The initial buffer size.
    pub const BUFFER: usize = 64 * 1024;
    /// The largest single block the reader will buffer (BIG TCP frames exceed 64 KiB).
    pub const MAX_BLOCK: usize = 16 * 1024 * 1024;

    /// Returns a reader over any byte source holding a pcap or pcapng file.
    pub fn new<R: Read + Send + 'r>(source: R) -> Result<Self, CaptureError> {
        let source = KeepErrors::new(source);
        let io_error = source.last.clone();
        let inner = pcap_parser::create_reader(Self::BUFFER, source).map_err(|e| match e {
            PcapError::Eof => CaptureError::Empty,
            PcapError::Incomplete(_) | PcapError::UnexpectedEof => CaptureError::TooShort {
                len: read_so_far(&io_error),
            },
            PcapError::ReadError => CaptureError::Read {
                offset: 0,
                source: take_error(&io_error),
            },
            _ => CaptureError::BadMagic,
        })?;
        Ok(CaptureReader {
            io_error,
            inner,
            pending: 0,
            legacy: None,
            interfaces: Vec::new(),
            frames: 0,
            done: false,
        })
    }

    /// Returns the file offset of the next block to read.
    pub fn offset(&self) -> u64 {
        self.inner.consumed() as u64
    }

    /// Returns how many digits after the decimal point Wireshark shows for the timestamps of
    /// interface `interface` (its time precision: 6 for microseconds, 9 for nanoseconds; for
    /// another resolution the digits it needs, at most 9), once the file's header or the
    /// interface's description was read (6 before).
    ///
    /// ```
    /// let mut reader = synack::capture::CaptureReader::seed();
    /// let interface = reader.next_frame().unwrap()?.interface;
    /// assert_eq!(reader.time_digits(interface), 9); // the built-in seed is a nanosecond pcap
    /// # Ok::<(), synack::capture::CaptureError>(())
    /// ```
    pub fn time_digits(&self, interface: u32) -> u8 {
        let resolution = match self.legacy {
            Some(i) => i.resolution,
            None => self
                .interfaces
                .get(interface as usize)
                .map_or(1_000_000, |i| i.resolution),
        };
        let mut digits = 0u8;
        let mut scale = 1u64;
        while scale < resolution && digits < 9 {
            scale = scale.saturating_mul(10);
            digits += 1;
        }
        digits
    }

    /// Returns how many frames have been handed out.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// Returns the next frame, `None` at the end of the file, or an error that ends the walk
    /// (after every good frame before it).
    ///
    /// ```
    /// use synack::capture::CaptureReader;
    ///
    /// let mut reader = CaptureReader::seed();
    /// let mut numbers = Vec::new();
    /// while let Some(frame) = reader.next_frame() {
    ///     let frame = frame?;
    ///     numbers.push((frame.number, frame.data.len()));
    /// }
    /// assert_eq!(numbers[..3], [(1, 66), (2, 66), (3, 60)]);
    /// # Ok::<(), synack::capture::CaptureError>(())
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn next_frame(&mut self) -> Option<Result<CapturedFrame<'_>, CaptureError>> {
        if self.done {
            return None;
        }
        if self.pending > 0 {
            // Without shifting the buffer: `refill` moves the unread rest to the front when
            // it needs room, so each byte is copied once at most, not at every half buffer.
            self.inner.consume_noshift(self.pending);
            self.pending = 0;
        }
        loop {
            let offset = self.inner.consumed() as u64;
            match self.next_step(offset) {
                Step::End => {
                    self.done = true;
                    return None;
                }
                Step::Refill => match self.refill(offset) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => return self.fail(e),
                },
                Step::Grow => {
                    if let Err(e) = self.grow(offset) {
                        return self.fail(e);
                    }
                }
                Step::Fail(e) | Step::Block(_, Kind::Error(e)) => return self.fail(e),
                Step::Block(len, Kind::Skip) => self.inner.consume_noshift(len),
                Step::Block(len, Kind::Legacy(iface)) => {
                    self.legacy = Some(iface);
                    self.inner.consume_noshift(len);
                }
                Step::Block(len, Kind::Packet(meta)) => return Some(Ok(self.packet(len, meta))),
            }
        }
    }

    /// What the next block is, decided without holding the borrow of the block.
    fn next_step(&mut self, offset: u64) -> Step {
        // Where the buffered bytes start: a packet's bytes are found again from their place
        // in the buffer, without parsing the block a second time.
        let base = self.inner.data().as_ptr() as usize;
        match self.inner.next() {
            Ok((len, block)) => Step::Block(len, classify(block, offset, base, self.legacy, &mut self.interfaces)),
            Err(PcapError::Eof) => Step::End,
            Err(PcapError::Incomplete(_)) => Step::Refill,
            Err(PcapError::BufferTooSmall) => Step::Grow,
            Err(PcapError::UnexpectedEof) => Step::Fail(CaptureError::Truncated { offset }),
            Err(PcapError::ReadError) => Step::Fail(self.read_error(offset)),
            Err(e) => Step::Fail(CaptureError::Malformed {
                offset,
                reason: format!("{e:?}").chars().take(120).collect(),
            }),
        }
    }

    /// Reads more of the file; returns false at its end.
    fn refill(&mut self, offset: u64) -> Result<bool, CaptureError> {
        if self.inner.refill().is_err() {
            return Err(self.read_error(offset));
        }
        Ok(!(self.inner.reader_exhausted() && self.inner.data().is_empty()))
    }

    /// Doubles the buffer for a block larger than it, up to [`Self::MAX_BLOCK`].
    fn grow(&mut self, offset: u64) -> Result<(), CaptureError> {
        let size = self.inner.data().len().max(Self::BUFFER) * 2;
        if size > Self::MAX_BLOCK || !self.inner.grow(size) {
            return Err(CaptureError::BlockTooLarge {
                offset,
                limit: Self::MAX_BLOCK,
            });
        }
        if self.inner.refill().is_err() {
            return Err(self.read_error(offset));
        }
        Ok(())
    }

    /// The packet of a block `len` bytes long at the front of the buffer, counted.
    fn packet(&mut self, len: usize, meta: PacketMeta) -> CapturedFrame<'_> {
        self.pending = len;
        self.frames += 1;
        // Borrow the block's bytes again, now for the caller: by their place in the block,
        // which lies at the front of the buffer (a range outside the block cannot happen;
        // the block is parsed again if it ever did).
        let in_block = meta.data.end <= len.min(self.inner.data().len());
        if cfg!(debug_assertions) {
            let base = self.inner.data().as_ptr() as usize;
            if let Ok((_, block)) = self.inner.next() {
                let d = packet_data(block);
                let start = (d.as_ptr() as usize).wrapping_sub(base);
                assert_eq!(start..start + d.len(), meta.data, "the packet's place in the buffer");
            }
        }
        let data = if in_block {
            &self.inner.data()[meta.data.clone()]
        } else {
            match self.inner.next() {
                Ok((_, block)) => packet_data(block),
                Err(_) => &[],
            }
        };
        CapturedFrame {
            number: self.frames,
            timestamp: meta.timestamp,
            orig_len: meta.orig_len,
            link: meta.link,
            interface: meta.interface,
            data,
        }
    }

    fn fail<T>(&mut self, e: CaptureError) -> Option<Result<T, CaptureError>> {
        self.done = true;
        Some(Err(e))
    }

    /// The read error at `offset`, with the I/O error the source returned.
    fn read_error(&self, offset: u64) -> CaptureError {
        CaptureError::Read {
            offset,
            source: take_error(&self.io_error),
        }
    }
}

enum Step {
    Block(usize, Kind),
    End,
    Refill,
    Grow,
    Fail(CaptureError),
}

struct PacketMeta {
    /// The packet's bytes in the reader's buffer, from its start.
    data: core::ops::Range<usize>,
    timestamp: Timestamp,
    orig_len: u32,
    link: LinkType,
    interface: u32,
}

enum Kind {
    Skip,
    Legacy(Interface),
    Packet(PacketMeta),
    Error(CaptureError),
}

fn timestamp(units: u64, iface: &Interface) -> Timestamp {
    let t = Timestamp::from_units(units, iface.resolution);
    // Saturating: a pcapng if_tsoffset is whatever the file says.
    Timestamp::new(t.secs.saturating_add(iface.offset), t.nanos)
}

/// Works out what the block at file offset `offset` is, updating the interface table for
/// pcapng sections.
fn classify(
    block: PcapBlockOwned<'_>,
    offset: u64,
    base: usize,
    legacy: Option<Interface>,
    interfaces: &mut Vec<Interface>,
) -> Kind {
    // The place of a packet's bytes, relative to the buffer's start at `base`.
    let place = |d: &[u8]| {
        let start = (d.as_ptr() as usize).wrapping_sub(base);
        start..start.saturating_add(d.len())
    };
    match block {
        PcapBlockOwned::LegacyHeader(h) => Kind::Legacy(Interface {
            link: LinkType::of_pcap_header(h.network.0 as u32),
            resolution: if h.is_nanosecond_precision() { NANOS } else { 1_000_000 },
            offset: 0,
        }),
        PcapBlockOwned::Legacy(b) => {
            let iface = legacy.unwrap_or(Interface {
                link: LinkType::ETHERNET,
                resolution: 1_000_000,
                offset: 0,
            });
            // A fraction field of a second or more (invalid, but seen) carries into the seconds.
            let units = u64::from(b.ts_sec) * iface.resolution + u64::from(b.ts_usec);
            Kind::Packet(PacketMeta {
                data: place(b.data),
                timestamp: timestamp(units, &iface),
                orig_len: b.origlen,
                link: iface.link,
                interface: 0,
            })
        }
        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
            interfaces.clear();
            Kind::Skip
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            // pcap-parser falls back to microseconds when if_tsresol is absent.
            let resolution = idb.ts_resolution().unwrap_or(1_000_000);
            if interfaces.len() < 65_536 {
                interfaces.push(Interface {
                    link: LinkType(idb.linktype.0 as u32),
                    resolution,
                    offset: idb.ts_offset(),
                });
            }
            Kind::Skip
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => enhanced(&epb, offset, interfaces, place(epb_data(&epb))),
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => simple(spb.origlen, offset, interfaces, place(spb_data(&spb))),
        PcapBlockOwned::NG(_) => Kind::Skip,
    }
}

/// An enhanced packet block, on the interface it names.
fn enhanced(epb: &EnhancedPacketBlock<'_>, offset: u64, interfaces: &[Interface], data: Range<usize>) -> Kind {
    let Some(iface) = interfaces.get(epb.if_id as usize) else {
        return Kind::Error(CaptureError::UnknownInterface {
            offset,
            interface: epb.if_id,
            declared: interfaces.len(),
        });
    };
    let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
    Kind::Packet(PacketMeta {
        data,
        timestamp: timestamp(units, iface),
        orig_len: epb.origlen,
        link: iface.link,
        interface: epb.if_id,
    })
}

/// A simple packet block, on the section's first interface; it has no timestamp.
fn simple(orig_len: u32, offset: u64, interfaces: &[Interface], data: Range<usize>) -> Kind {
    let Some(iface) = interfaces.first() else {
        return Kind::Error(CaptureError::UnknownInterface {
            offset,
            interface: 0,
            declared: 0,
        });
    };
    Kind::Packet(PacketMeta {
        data,
        timestamp: Timestamp::default(),
        orig_len,
        link: iface.link,
        interface: 0,
    })
}

/// Returns the packet bytes of a packet block (the captured length, not the padded block).
fn packet_data(block: PcapBlockOwned<'_>) -> &[u8] {
    match block {
        PcapBlockOwned::Legacy(b) => b.data,
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => epb_data(&epb),
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => spb_data(&spb),
        _ => &[],
    }
}

/// An enhanced packet block's packet bytes: the captured length, not the padded block.
fn epb_data<'a>(epb: &EnhancedPacketBlock<'a>) -> &'a [u8] {
    let n = (epb.caplen as usize).min(epb.data.len());
    &epb.data[..n]
}

/// A simple packet block's packet bytes: the original length, at most what the block holds.
fn spb_data<'a>(spb: &SimplePacketBlock<'a>) -> &'a [u8] {
    let n = (spb.origlen as usize).min(spb.data.len());
    &spb.data[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Number, timestamp, captured length, original length and link type of one frame.
    type Row = (u64, Timestamp, usize, u32, LinkType);

    #[test]
    fn timestamps_at_every_resolution_agree_with_the_general_formula() {
        for resolution in [1, 1_000, 1_000_000, 1 << 10, 1_000_000_000, 1 << 40, u64::MAX] {
            let iface = Interface {
                link: LinkType::ETHERNET,
                resolution,
                offset: -7,
            };
            for units in [0, 1, 999_999, 1_000_000, 1_700_000_000_123_456, u64::MAX - 1, u64::MAX] {
                let secs = ((units / resolution) as i64).saturating_add(-7);
                let frac = u128::from(units % resolution) * u128::from(NANOS) / u128::from(resolution);
                assert_eq!(
                    timestamp(units, &iface),
                    Timestamp::new(secs, frac as u32),
                    "{units} units at {resolution} a second"
                );
            }
        }
        // An offset from the file that would overflow saturates instead.
        let far = Interface {
            link: LinkType::ETHERNET,
            resolution: 1,
            offset: i64::MAX,
        };
        assert_eq!(timestamp(1 << 62, &far).secs, i64::MAX);
    }

    fn read_all(bytes: &[u8]) -> (Vec<Row>, Option<String>) {
        let mut r = CaptureReader::new(bytes).unwrap();
        let mut out = Vec::new();
        let mut err = None;
        while let Some(f) = r.next_frame() {
            match f {
                Ok(f) => out.push((f.number, f.timestamp, f.cap_len(), f.orig_len, f.link)),
                Err(e) => err = Some(e.to_string()),
            }
        }
        (out, err)
    }

    #[test]
    fn seed_pcap_round_trips() {
        let file = write::seed_pcap();
        let (frames, err) = read_all(&file);
        assert_eq!(err, None);
        assert_eq!(frames.len(), 9);
        for (got, seed) in frames.iter().zip(crate::seed::FRAMES) {
            assert_eq!(got.1, seed.timestamp);
            assert_eq!(got.2, seed.bytes.len());
            assert_eq!(got.4, LinkType::ETHERNET);
        }
    }

    #[test]
    fn truncated_last_record_delivers_the_rest_first() {
        let file = write::seed_pcap();
        let cut = &file[..file.len() - 10];
        let (frames, err) = read_all(cut);
        assert_eq!(frames.len(), 8);
        let last_record = 24
            + crate::seed::FRAMES[..8]
                .iter()
                .map(|f| 16 + f.bytes.len())
                .sum::<usize>();
        assert_eq!(
            err.as_deref(),
            Some(format!("truncated file: the record at offset {last_record} runs past the end of the file").as_str())
        );
    }

    #[test]
    fn bad_magic_and_empty() {
        assert!(matches!(
            CaptureReader::new(&b"hello world, not a capture file at all"[..]),
            Err(CaptureError::BadMagic)
        ));
        assert!(matches!(CaptureReader::new(&b""[..]), Err(CaptureError::Empty)));
        // Too short for any header: not a capture file, rather than a truncated one.
        let e = CaptureReader::new(&b"\xd4\xc3\xb2"[..]).unwrap_err();
        assert!(matches!(e, CaptureError::TooShort { len: 3 }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "not a pcap or pcapng file: 3 bytes, shorter than a capture header"
        );
    }

    #[test]
    fn errors_keep_their_io_source_and_say_each_cause_once() {
        use std::error::Error as _;
        let e = CaptureReader::open("/nonexistent/synack/trace.pcap").unwrap_err();
        assert_eq!(e.to_string(), "cannot open /nonexistent/synack/trace.pcap");
        let source = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).unwrap();
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);

        // A source that fails after the file header: the I/O error comes with the offset.
        struct Failing(Vec<u8>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cable pulled"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Ok(n)
            }
        }
        // More than the reader's first fill, so the failure comes part-way.
        let mut file = Vec::new();
        write::header(&mut file, LinkType::ETHERNET, 65535).unwrap();
        for i in 0..4000u32 {
            write::record(&mut file, Timestamp::new(i64::from(i), 0), &[0u8; 60], 60).unwrap();
        }
        let mut reader = CaptureReader::new(Failing(file)).unwrap();
        let mut frames = 0;
        let e = loop {
            match reader.next_frame() {
                Some(Ok(_)) => frames += 1,
                Some(Err(e)) => break e,
                None => panic!("the failure is reported"),
            }
        };
        assert_eq!(frames, 4000);
        assert_eq!(e.to_string(), format!("read error at offset {}", 24 + 4000 * 76));
        let source = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).unwrap();
        assert_eq!(
            (source.kind(), source.to_string().as_str()),
            (std::io::ErrorKind::ConnectionReset, "cable pulled")
        );
        assert!(reader.next_frame().is_none());
    }

    #[test]
    fn absurd_record_length_is_an_error_with_offset() {
        let mut file = Vec::new();
        write::header(&mut file, LinkType::ETHERNET, 65535).unwrap();
        file.extend_from_slice(&1u32.to_le_bytes());
        file.extend_from_slice(&0u32.to_le_bytes());
        file.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
        file.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
        file.extend_from_slice(&[0u8; 100]);
        let (frames, err) = read_all(&file);
        assert!(frames.is_empty());
        let err = err.unwrap();
        assert!(err.contains("offset 24"), "{err}");
    }

    fn pcapng(blocks: &[Vec<u8>]) -> Vec<u8> {
        blocks.concat()
    }

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }

    fn shb() -> Vec<u8> {
        let mut body = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        block(0x0A0D_0D0A, &body)
    }

    fn idb() -> Vec<u8> {
        let mut body = 1u16.to_le_bytes().to_vec();
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&65535u32.to_le_bytes());
        block(1, &body)
    }

    fn epb(data: &[u8]) -> Vec<u8> {
        let mut body = 0u32.to_le_bytes().to_vec();
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&1_000_000u32.to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        block(6, &body)
    }

    #[test]
    fn pcapng_block_with_an_absurd_length_keeps_the_frames_before_it() {
        let seed = crate::seed::FRAMES[0].bytes;
        let mut bad = epb(seed);
        bad[4..8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        let file = pcapng(&[shb(), idb(), epb(seed), epb(seed), bad]);
        let (frames, err) = read_all(&file);
        assert_eq!(frames.len(), 2);
        let err = err.expect("an error for the absurd block");
        let at = shb().len() + idb().len() + 2 * epb(seed).len();
        assert!(err.contains(&format!("offset {at}")), "{err}");
    }

    #[test]
    fn zero_length_frames_are_delivered_and_accounted() {
        let file = pcapng(&[shb(), idb(), epb(&[]), epb(crate::seed::FRAMES[0].bytes), epb(&[])]);
        let (frames, err) = read_all(&file);
        assert_eq!(err, None);
        assert_eq!(frames.iter().map(|f| f.2).collect::<Vec<_>>(), vec![0, 66, 0]);
        let mut r = CaptureReader::new(&file[..]).unwrap();
        let mut acc = Accounting::default();
        while let Some(Ok(cf)) = r.next_frame() {
            let f = cf.dissect();
            acc.add(&cf, &f);
        }
        assert_eq!((acc.tcp, acc.truncated, acc.total()), (1, 2, 3));
    }

    #[test]
    fn caplen_above_the_snapshot_length_is_still_read() {
        // A classic pcap with snaplen 64 and a 66-byte record: libpcap tolerates it; so does
        // synack, and the frames after it are read too.
        let mut file = Vec::new();
        write::header(&mut file, LinkType::ETHERNET, 64).unwrap();
        for f in &crate::seed::FRAMES[..3] {
            write::record(&mut file, f.timestamp, f.bytes, f.bytes.len() as u32).unwrap();
        }
        let (frames, err) = read_all(&file);
        assert_eq!(err, None);
        assert_eq!(frames.iter().map(|f| f.2).collect::<Vec<_>>(), vec![66, 66, 60]);
    }
}
