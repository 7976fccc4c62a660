//! Classic pcap files read in chunks: by each shard in [`Mode::Fanout`](super::Mode::Fanout),
//! and a chunk at a time for all shards in [`Mode::Shared`](super::Mode::Shared) ([`Chunker`]).

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::vec::Vec;

use super::{Batch, shard_index};
use crate::Timestamp;
use crate::capture::{CaptureError, CaptureReader};
use crate::wire::LinkType;

/// The bytes of a pcap file read at a time. (256 KiB: with 1 MiB, the chunks in flight
/// outgrew the caches, and 2 shards took 5-10 % more CPU time, in the kernel's copy into the
/// chunk above all.)
const CHUNK: usize = 1 << 18;

/// A pcap file read in chunks that every shard shares.
pub(super) struct SharedChunks {
    file: std::fs::File,
    pub(super) link: LinkType,
    nanos: bool,
    big_endian: bool,
}

impl SharedChunks {
    /// Opens a classic pcap file; `None` for anything else (pcapng).
    pub(super) fn open(path: &Path) -> Result<Option<SharedChunks>, CaptureError> {
        use pcap_parser::pcap::parse_pcap_header;
        let open_error = |source| CaptureError::Open {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(open_error)?;
        let mut head = [0u8; 24];
        if file.read_exact(&mut head).is_err() {
            return Ok(None);
        }
        let Ok((_, header)) = parse_pcap_header(&head) else {
            return Ok(None);
        };
        Ok(Some(SharedChunks {
            file,
            link: LinkType::of_pcap_header(header.network.0 as u32),
            nanos: header.is_nanosecond_precision(),
            big_endian: header.is_bigendian(),
        }))
    }

    /// Reads the file in chunks, one buffer reused, and calls `f` with every record in turn.
    pub(super) fn each_record(mut self, mut f: impl FnMut(&Self, Record<'_>)) -> Result<(), CaptureError> {
        let (mut chunk, mut carry, mut offset) = (Vec::new(), Vec::new(), 24u64);
        while let Some(filled) = self.refill(&mut chunk, &carry, offset)? {
            let used = self.records(&chunk[..filled], offset, |r| f(&self, r))?;
            offset = carry_over(&mut carry, &chunk[used..filled], offset + used as u64)?;
        }
        Ok(())
    }

    /// Fills `chunk` with the record `carry` that the last chunk cut, then the file from
    /// `offset` on (where `carry` ends); returns how far it is filled, or `None` at the end
    /// of the file. A record cut by the file's end is a truncated capture.
    fn refill(&mut self, chunk: &mut Vec<u8>, carry: &[u8], offset: u64) -> Result<Option<usize>, CaptureError> {
        chunk.resize(carry.len().max(CHUNK / 2) + CHUNK, 0);
        chunk[..carry.len()].copy_from_slice(carry);
        let filled = self.fill(chunk, carry.len(), offset)?;
        match (filled == carry.len(), carry.is_empty()) {
            (false, _) => Ok(Some(filled)),
            (true, true) => Ok(None),
            (true, false) => Err(CaptureError::Truncated { offset }),
        }
    }

    /// Reads into `chunk` after its first `from` bytes; returns how far it is filled.
    fn fill(&mut self, chunk: &mut [u8], from: usize, offset: u64) -> Result<usize, CaptureError> {
        let mut filled = from;
        while filled < chunk.len() {
            match self.file.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => return Err(CaptureError::Read { offset, source }),
            }
        }
        Ok(filled)
    }

    /// Calls `f` with each whole record of `chunk` (read from file offset `offset`) in
    /// turn; returns the bytes they take.
    fn records<'c>(&self, chunk: &'c [u8], offset: u64, mut f: impl FnMut(Record<'c>)) -> Result<usize, CaptureError> {
        use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be};
        let parse = if self.big_endian {
            parse_pcap_frame_be
        } else {
            parse_pcap_frame
        };
        let mut at = 0;
        while at < chunk.len() {
            match parse(&chunk[at..]) {
                Ok((rest, block)) => {
                    f(Record {
                        start: chunk.len() - rest.len() - block.data.len(),
                        data: block.data,
                        orig_len: block.origlen,
                        secs: block.ts_sec,
                        fraction: block.ts_usec,
                    });
                    at = chunk.len() - rest.len();
                }
                Err(pcap_parser::nom::Err::Incomplete(_)) => break,
                Err(e) => {
                    return Err(CaptureError::Malformed {
                        offset: offset + at as u64,
                        reason: format!("{e:?}").chars().take(120).collect(),
                    });
                }
            }
        }
        Ok(at)
    }

    /// The time of a record (worked out only for the frames a shard takes).
    pub(super) fn time(&self, r: &Record<'_>) -> Timestamp {
        let res: u64 = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        Timestamp::from_units(u64::from(r.secs) * res + u64::from(r.fraction), res)
    }
}

/// One pcap record of a chunk.
pub(super) struct Record<'c> {
    /// Where its frame starts in the chunk.
    pub(super) start: usize,
    /// The frame's captured bytes.
    pub(super) data: &'c [u8],
    /// The frame's length on the wire.
    pub(super) orig_len: u32,
    /// Its time: seconds, and micro- or nanoseconds.
    secs: u32,
    fraction: u32,
}

/// Keeps `cut`, the record a chunk's end cut, for the next chunk, and returns the file offset
/// where it starts (`offset`); an error if it is longer than any block may be.
fn carry_over(carry: &mut Vec<u8>, cut: &[u8], offset: u64) -> Result<u64, CaptureError> {
    carry.clear();
    carry.extend_from_slice(cut);
    if carry.len() > CaptureReader::MAX_BLOCK {
        return Err(CaptureError::BlockTooLarge {
            offset,
            limit: CaptureReader::MAX_BLOCK,
        });
    }
    Ok(offset)
}

/// [`SharedChunks`] read a chunk at a time, by whichever shard thread takes the turn.
pub(super) struct Chunker {
    pcap: SharedChunks,
    /// The record the last chunk cut, and the file offset where it starts.
    carry: Vec<u8>,
    offset: u64,
    /// Chunks in flight, oldest first: one is reused once no shard holds it any more.
    in_flight: VecDeque<Arc<Vec<u8>>>,
}

impl Chunker {
    pub(super) fn new(pcap: SharedChunks) -> Self {
        Chunker {
            pcap,
            carry: Vec::new(),
            offset: 24,
            in_flight: VecDeque::new(),
        }
    }

    /// Reads the next chunk, walks its records once and sends every shard the chunk with the
    /// places of its frames (an empty batch when it has none there); `false` at the end of
    /// the file.
    pub(super) fn step(&mut self, shards: usize, mut send: impl FnMut(usize, Batch)) -> Result<bool, CaptureError> {
        let mut chunk = match self.in_flight.front_mut().and_then(Arc::get_mut) {
            Some(_) => self.in_flight.pop_front().and_then(Arc::into_inner).unwrap_or_default(),
            None => Vec::new(),
        };
        let Some(filled) = self.pcap.refill(&mut chunk, &self.carry, self.offset)? else {
            return Ok(false);
        };
        let mut batches: Vec<Batch> = (0..shards).map(|_| Batch::default()).collect();
        let pcap = &self.pcap;
        let used = pcap.records(&chunk[..filled], self.offset, |r| {
            let shard = shard_index(pcap.link, r.data, shards);
            let place = (pcap.time(&r), r.start, r.data.len(), r.orig_len, pcap.link);
            batches[shard].frames.push(place);
        })?;
        let cut = &chunk[used..filled];
        self.offset = carry_over(&mut self.carry, cut, self.offset + used as u64)?;
        let chunk = Arc::new(chunk);
        for (i, mut batch) in batches.into_iter().enumerate() {
            batch.bytes = Arc::clone(&chunk);
            send(i, batch);
        }
        self.in_flight.push_back(chunk);
        Ok(true)
    }
}
