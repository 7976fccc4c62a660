//! One capture on many cores: frames spread over shards by a hash of their connection that is
//! the same for both directions ([`FlowKey::symmetric_hash`]), one [`Tracker`] per shard
//! thread.
//!
//! [`track`] does it for a capture file and hands each shard's [`Output`] items to a function
//! of yours, on that shard's thread, with state of its own:
//!
//! ```
//! use synack::driver::Output;
//! use synack::shard::{Mode, track};
//! use synack::track::Config;
//!
//! # let dir = std::env::temp_dir().join(format!("synack-shard-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("seed.pcap");
//! # std::fs::write(&path, synack::capture::write::seed_pcap())?;
//! // Count each shard's connections by conn_state.
//! let shards = track(&path, &Config::default(), 2, Mode::default(), Vec::new, |states: &mut Vec<String>, item| {
//!     if let Output::Summary(s) = item {
//!         states.push(s.conn_state.to_string());
//!     }
//! })?;
//! let states: Vec<String> = shards.into_iter().flat_map(|s| s.state).collect();
//! assert_eq!(states, ["SF"]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! How the frames reach the shards is the [`Mode`]: one reader sharing the chunks it reads
//! (pcap files; the least work a shard thread does, as cores grow), one reader copying frames
//! into batches (any capture, and the pattern for a live source), or every shard reading the
//! whole file and keeping its own frames (`PACKET_FANOUT_HASH`'s scheme; the fastest on 2
//! cores, where a shard tracks each of its frames while the frame is still in its core's
//! cache, but every shard pays for reading the whole file).
//!
//! A shard's tracker sees only its shard's frames, so its idle timeouts follow their times: on
//! a capture whose time jumps far ahead and back (a fuzzed trace), one tracker can time out a
//! connection that a shard keeps. On captures whose time runs forward, the shards together
//! find what one tracker finds (`tests/sharded.rs`).

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::vec::Vec;

use crate::Timestamp;
use crate::capture::{CaptureError, CaptureReader};
use crate::driver::Output;
use crate::track::key::{Packed, PackedFlow};
use crate::track::{BATCH as RUN, Config, Endpoint, FlowKey, Stats, Tracker};
use crate::wire::{Frame, IpSlice, LinkType, TcpPacket, dissect_frame};

/// Returns the shard (of `shards`) a frame belongs to: the same for both directions of a
/// connection and in every process; `None` for a frame without a TCP header (any shard may
/// take it: a tracker only counts it).
///
/// ```
/// use synack::shard::shard_of;
/// use synack::wire::LinkType;
///
/// let shards: Vec<_> = synack::seed::FRAMES.iter().map(|f| shard_of(LinkType::ETHERNET, f.bytes, 4)).collect();
/// // Both directions of the lab's one connection, on one shard.
/// assert!(shards.iter().all(|&s| s.is_some() && s == shards[0]));
/// ```
#[inline]
pub fn shard_of(link: LinkType, data: &[u8], shards: usize) -> Option<usize> {
    let hash = match TcpPacket::parse_link(link, data) {
        Ok(Some(TcpPacket {
            ip: IpSlice::V4(ip),
            tcp,
            ..
        })) => PackedFlow::new(
            Packed::v4(ip.src(), tcp.src_port()),
            Packed::v4(ip.dst(), tcp.dst_port()),
        )
        .symmetric_hash(),
        Ok(Some(p)) => FlowKey::new(
            Endpoint::new(p.ip.src(), p.tcp.src_port()),
            Endpoint::new(p.ip.dst(), p.tcp.dst_port()),
        )
        .symmetric_hash(),
        _ => FlowKey::of(&dissect_frame(link, data))?.symmetric_hash(),
    };
    // The hash's high bits scaled to the shards (a multiplication, where `%` divides: a
    // third of this function's time).
    Some(((u128::from(hash) * shards.max(1) as u128) >> 64) as usize)
}

/// How [`track`] feeds the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// One reader sharing each chunk it reads with every shard, with the places of its
    /// frames: frames are never copied, and each is read and hashed once. Pcap files only;
    /// a pcapng file is read as [`Mode::Copied`] instead.
    #[default]
    Shared,
    /// One reader copying each shard's frames into batches: any capture file.
    Copied,
    /// Every shard thread reads the whole file and keeps the frames of its shard (a pcap file
    /// in chunks, as [`Mode::Shared`] reads it; a pcapng file with the capture reader).
    Fanout,
    /// The frames are read into each shard's batches first, and the shards start when all
    /// are read: what the trackers alone cost (for measuring).
    Preloaded,
}

/// What one shard found: your state, and its tracker's counts.
#[derive(Debug)]
#[non_exhaustive]
pub struct ShardResult<S> {
    /// The state your function kept.
    pub state: S,
    /// The shard's tracker's counts (its `frames` are the frames of its shard).
    pub stats: Stats,
}

/// Tracks the connections of the capture at `path` on `threads` shard threads, each with a
/// tracker made from `config` and a state made by `init`, and calls `each` on the shard's
/// thread with every item its tracker reports (events, summaries, and the end-of-capture
/// items). Returns the shards' results in shard order, or the capture's first error (a
/// damaged capture's frames before the damage are tracked first). A panic in `init` or
/// `each` reaches the caller as that panic.
pub fn track<S, I, F>(
    path: impl AsRef<Path>,
    config: &Config,
    threads: usize,
    mode: Mode,
    init: I,
    each: F,
) -> Result<Vec<ShardResult<S>>, CaptureError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, Output) + Sync,
{
    let threads = threads.max(1);
    let path = path.as_ref();
    let (init, each) = (&init, &each);
    let shard = |frames: std::vec::IntoIter<Batch>| run_shard(frames, config, init, each);
    std::thread::scope(|scope| match mode {
        Mode::Fanout => {
            let handles: Vec<_> = (0..threads)
                .map(|me| scope.spawn(move || fanout_shard(path, config, threads, me, init, each)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        }
        Mode::Preloaded => {
            let mut preloaded: Vec<Vec<Batch>> = (0..threads).map(|_| Vec::new()).collect();
            let read = read_into(path, threads, mode, |i, batch| preloaded[i].push(batch));
            let handles: Vec<_> = preloaded
                .into_iter()
                .map(|batches| scope.spawn(move || shard(batches.into_iter())))
                .collect();
            let results = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            read.map(|()| results)
        }
        _ => {
            let (senders, handles): (Vec<_>, Vec<_>) = (0..threads)
                .map(|_| {
                    let (tx, rx) = sync_channel::<Batch>(8);
                    (tx, scope.spawn(move || run_shard(rx, config, init, each)))
                })
                .unzip();
            // A shard runs to the end of its channel, so a send cannot fail.
            let read = read_into(path, threads, mode, |i, batch| {
                let _ = senders[i].send(batch);
            });
            drop(senders);
            let results = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            read.map(|()| results)
        }
    })
}

/// Frames for one shard: either copied into `bytes`, or places in a chunk shared by all.
#[derive(Debug, Default)]
struct Batch {
    bytes: Arc<Vec<u8>>,
    /// (time, start, captured length, length on the wire, link type) of each frame.
    frames: Vec<(Timestamp, usize, usize, u32, LinkType)>,
}

impl Batch {
    /// Decodes the frame at `place` (one of `frames`), with its length on the wire.
    fn dissect(
        &self,
        &(ts, start, len, orig_len, link): &(Timestamp, usize, usize, u32, LinkType),
    ) -> (Timestamp, Frame<'_>) {
        let data = &self.bytes[start..start + len];
        (ts, dissect_frame(link, data).with_reported_len(orig_len as usize))
    }
}

/// Frames handed to one shard at a time, in the copying modes.
const BATCH: usize = 1024;

/// The bytes of a pcap file read at a time in [`Mode::Shared`].
const CHUNK: usize = 1 << 20;

fn run_shard<S>(
    frames: impl IntoIterator<Item = Batch>,
    config: &Config,
    init: &impl Fn() -> S,
    each: &impl Fn(&mut S, Output),
) -> ShardResult<S> {
    let mut shard = Shard::new(config, init());
    for batch in frames {
        // Batches pay only once the table is large (`Tracker::observe_batch`); below that,
        // each frame is dissected and observed in place, without the copy into a run.
        if !shard.tracker.prefetch_pays() {
            for place in &batch.frames {
                let (ts, frame) = batch.dissect(place);
                shard.observe(ts, &frame, each);
            }
            continue;
        }
        let mut run = Vec::with_capacity(RUN);
        for part in batch.frames.chunks(RUN) {
            run.clear();
            run.extend(part.iter().map(|place| batch.dissect(place)));
            shard.observe_batch(&run, each);
        }
    }
    shard.end(each)
}

/// A tracker and its user's state.
struct Shard<S> {
    tracker: Tracker,
    state: S,
}

impl<S> Shard<S> {
    fn new(config: &Config, state: S) -> Self {
        Shard {
            tracker: Tracker::new(config.clone()),
            state,
        }
    }

    #[inline]
    fn observe(&mut self, ts: Timestamp, frame: &Frame<'_>, each: &impl Fn(&mut S, Output)) {
        for &e in self.tracker.observe(ts, frame) {
            each(&mut self.state, Output::Event(e));
        }
        for s in self.tracker.drain_summaries() {
            each(&mut self.state, Output::Summary(s));
        }
    }

    /// [`Shard::observe`] for a run of decoded frames, prefetched together
    /// ([`Tracker::observe_batch`]).
    fn observe_batch(&mut self, run: &[(Timestamp, Frame<'_>)], each: &impl Fn(&mut S, Output)) {
        let state = &mut self.state;
        self.tracker.observe_batch(run, |_, events, summaries| {
            for &e in events {
                each(state, Output::Event(e));
            }
            for s in summaries {
                each(state, Output::Summary(s));
            }
        });
    }

    fn end(mut self, each: &impl Fn(&mut S, Output)) -> ShardResult<S> {
        for &e in self.tracker.end() {
            each(&mut self.state, Output::Event(e));
        }
        for s in self.tracker.drain_summaries() {
            each(&mut self.state, Output::Summary(s));
        }
        ShardResult {
            state: self.state,
            stats: self.tracker.stats(),
        }
    }
}

fn fanout_shard<S>(
    path: &Path,
    config: &Config,
    threads: usize,
    me: usize,
    init: &impl Fn() -> S,
    each: &impl Fn(&mut S, Output),
) -> Result<ShardResult<S>, CaptureError> {
    if let Some(pcap) = SharedChunks::open(path)? {
        // A classic pcap file is walked in chunks, as `Mode::Shared` walks it, and each frame
        // of this shard is tracked while its bytes are still in this core's cache.
        let mut shard = Shard::new(config, init());
        let link = pcap.link;
        let read = pcap.each_record(|pcap, r| {
            if threads == 1 || shard_of(link, r.data, threads).unwrap_or(0) == me {
                let frame = dissect_frame(link, r.data).with_reported_len(r.orig_len as usize);
                shard.observe(pcap.time(&r), &frame, each);
            }
        });
        let result = shard.end(each);
        return read.map(|()| result);
    }
    let mut reader = CaptureReader::open(path)?;
    let mut shard = Shard::new(config, init());
    let mut error = None;
    while let Some(next) = reader.next_frame() {
        let cf = match next {
            Ok(cf) => cf,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        if shard_of(cf.link, cf.data, threads).unwrap_or(0) == me {
            shard.observe(cf.timestamp, &cf.dissect(), each);
        }
    }
    let result = shard.end(each);
    error.map_or(Ok(result), Err)
}

/// Reads the capture and hands `send` each shard's frames in batches.
fn read_into(path: &Path, shards: usize, mode: Mode, mut send: impl FnMut(usize, Batch)) -> Result<(), CaptureError> {
    if mode == Mode::Shared
        && let Some(pcap) = SharedChunks::open(path)?
    {
        return pcap.run(shards, send);
    }
    let mut reader = CaptureReader::open(path)?;
    let mut pending: Vec<(Vec<u8>, Batch)> = (0..shards).map(|_| Default::default()).collect();
    let mut flush = |i: usize, bytes: &mut Vec<u8>, batch: &mut Batch| {
        batch.bytes = Arc::new(core::mem::take(bytes));
        send(i, core::mem::take(batch));
    };
    let mut result = Ok(());
    while let Some(next) = reader.next_frame() {
        let cf = match next {
            Ok(cf) => cf,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let i = shard_of(cf.link, cf.data, shards).unwrap_or(0);
        let (bytes, batch) = &mut pending[i];
        batch
            .frames
            .push((cf.timestamp, bytes.len(), cf.data.len(), cf.orig_len, cf.link));
        bytes.extend_from_slice(cf.data);
        if batch.frames.len() == BATCH {
            flush(i, bytes, batch);
        }
    }
    for (i, (bytes, batch)) in pending.iter_mut().enumerate() {
        flush(i, bytes, batch);
    }
    result
}

/// A pcap file read in chunks that every shard shares.
struct SharedChunks {
    file: std::fs::File,
    link: LinkType,
    nanos: bool,
    big_endian: bool,
}

impl SharedChunks {
    /// Opens a classic pcap file; `None` for anything else (pcapng).
    fn open(path: &Path) -> Result<Option<SharedChunks>, CaptureError> {
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

    /// Reads the file in chunks, walks each chunk's records once and sends every shard the
    /// chunk with the places of its frames.
    fn run(mut self, shards: usize, mut send: impl FnMut(usize, Batch)) -> Result<(), CaptureError> {
        let (mut carry, mut offset) = (Vec::new(), 24u64);
        // Chunks in flight, oldest first: one is reused once no shard holds it any more.
        let mut in_flight: VecDeque<Arc<Vec<u8>>> = VecDeque::new();
        loop {
            let mut chunk = match in_flight.front_mut().and_then(Arc::get_mut) {
                Some(_) => in_flight.pop_front().and_then(Arc::into_inner).unwrap_or_default(),
                None => Vec::new(),
            };
            let Some(filled) = self.refill(&mut chunk, &carry, offset)? else {
                return Ok(());
            };
            let mut batches: Vec<Batch> = (0..shards).map(|_| Batch::default()).collect();
            let used = self.records(&chunk[..filled], offset, |r| {
                let shard = shard_of(self.link, r.data, shards).unwrap_or(0);
                let place = (self.time(&r), r.start, r.data.len(), r.orig_len, self.link);
                batches[shard].frames.push(place);
            })?;
            offset = carry_over(&mut carry, &chunk[used..filled], offset + used as u64)?;
            let chunk = Arc::new(chunk);
            for (i, mut batch) in batches.into_iter().enumerate() {
                batch.bytes = Arc::clone(&chunk);
                send(i, batch);
            }
            in_flight.push_back(chunk);
        }
    }

    /// Reads the file in chunks, one buffer reused, and calls `f` with every record in turn.
    fn each_record(mut self, mut f: impl FnMut(&Self, Record<'_>)) -> Result<(), CaptureError> {
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
    fn time(&self, r: &Record<'_>) -> Timestamp {
        let res: u64 = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        Timestamp::from_units(u64::from(r.secs) * res + u64::from(r.fraction), res)
    }
}

/// One pcap record of a chunk.
struct Record<'c> {
    /// Where its frame starts in the chunk.
    start: usize,
    /// The frame's captured bytes.
    data: &'c [u8],
    /// The frame's length on the wire.
    orig_len: u32,
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
