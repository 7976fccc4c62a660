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
//! How the frames reach the shards is the [`Mode`]: the shards taking turns at reading chunks
//! they all share (pcap files; the fastest), one reader copying frames into batches (any
//! capture, and the pattern for a live source), or every shard reading the whole file and
//! keeping its own frames (`PACKET_FANOUT_HASH`'s scheme: every shard pays for reading the
//! whole file).
//!
//! A shard's tracker sees only its shard's frames, so its idle timeouts follow their times: on
//! a capture whose time jumps far ahead and back (a fuzzed trace), one tracker can time out a
//! connection that a shard keeps. On captures whose time runs forward, the shards together
//! find what one tracker finds (`tests/sharded.rs`).

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::vec::Vec;

mod chunks;
mod turns;

use chunks::SharedChunks;
use turns::taking_turns;

use crate::Timestamp;
use crate::capture::{CaptureError, CaptureReader, CapturedFrame};
use crate::driver::Output;
use crate::track::key::{Packed, PackedFlow};
use crate::track::table::prefetch;
use crate::track::{BATCH as RUN, Config, Endpoint, FlowKey, Stats, Tracker};
use crate::wire::{Frame, IpSlice, LinkType, TcpPacket, dissect_frame, dissect_with_len};

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

/// The shard that takes a frame in [`track`]: [`shard_of`]'s, a frame without TCP on shard
/// 0, and no hash at all when there is one shard.
#[inline]
fn shard_index(link: LinkType, data: &[u8], shards: usize) -> usize {
    match shards {
        0 | 1 => 0,
        _ => shard_of(link, data, shards).unwrap_or(0),
    }
}

/// How [`track`] feeds the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// The file read once, in chunks shared by every shard with the places of its frames:
    /// frames are never copied, and each is read and hashed once. The shard threads take
    /// turns at the reading (a shard with few frames left reads the next chunk for all), so
    /// no reader thread competes with them for the cores. Pcap files only; a pcapng file is
    /// read as [`Mode::Copied`] instead.
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
    if mode == Mode::Shared
        && let Some(pcap) = SharedChunks::open(path)?
    {
        return taking_turns(pcap, threads, config, init, each);
    }
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
            let read = read_into(path, threads, |i, batch| preloaded[i].push(batch));
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
            let read = read_into(path, threads, |i, batch| {
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

/// How many frames ahead a shard asks for a frame's first cache line: the reader wrote it from
/// another core. (Measured on the 1 GiB synthetic capture, 2 shards: 3 frames ahead and the
/// first line took 4-5 % less CPU time than no prefetch, than 2 lines, than every line, and
/// than 6 frames ahead; the rest of a frame the hardware's stream prefetch finds.)
const PREFETCH_AHEAD: usize = 3;

impl Batch {
    /// Asks for the first cache line of frame `i`, if there is one ([`prefetch`]).
    fn prefetch(&self, i: usize) {
        if let Some(&(_, start, len, _, _)) = self.frames.get(i)
            && len > 0
        {
            prefetch(&self.bytes[start]);
        }
    }

    /// Decodes the frame at `place` (one of `frames`), with its length on the wire.
    fn frame(&self, &(_, start, len, orig_len, link): &(Timestamp, usize, usize, u32, LinkType)) -> Frame<'_> {
        dissect_with_len(link, &self.bytes[start..start + len], orig_len as usize)
    }
}

/// Frames handed to one shard at a time, in the copying modes.
const BATCH: usize = 1024;

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
            for (i, place) in batch.frames.iter().enumerate() {
                batch.prefetch(i + PREFETCH_AHEAD);
                // Not a (time, frame) pair: building one copies the frame.
                let frame = batch.frame(place);
                shard.observe(place.0, &frame, each);
            }
            continue;
        }
        let mut run = Vec::with_capacity(RUN);
        for part in batch.frames.chunks(RUN) {
            run.clear();
            run.extend(part.iter().map(|place| (place.0, batch.frame(place))));
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
            if shard_index(link, r.data, threads) == me {
                let frame = dissect_with_len(link, r.data, r.orig_len as usize);
                shard.observe(pcap.time(&r), &frame, each);
            }
        });
        let result = shard.end(each);
        return read.map(|()| result);
    }
    let reader = CaptureReader::open(path)?;
    let mut shard = Shard::new(config, init());
    let read = each_captured(reader, |cf| {
        if shard_index(cf.link, cf.data, threads) == me {
            shard.observe(cf.timestamp, &cf.dissect(), each);
        }
    });
    let result = shard.end(each);
    read.map(|()| result)
}

/// Calls `f` with every frame `reader` reads, in turn; the first error ends the walk and is
/// returned (the frames before it were all handed over).
fn each_captured(mut reader: CaptureReader<'_>, mut f: impl FnMut(CapturedFrame<'_>)) -> Result<(), CaptureError> {
    while let Some(next) = reader.next_frame() {
        f(next?);
    }
    Ok(())
}

/// Reads the capture and hands `send` each shard's frames in batches.
fn read_into(path: &Path, shards: usize, mut send: impl FnMut(usize, Batch)) -> Result<(), CaptureError> {
    let reader = CaptureReader::open(path)?;
    let mut pending: Vec<(Vec<u8>, Batch)> = (0..shards).map(|_| Default::default()).collect();
    let mut flush = |i: usize, bytes: &mut Vec<u8>, batch: &mut Batch| {
        batch.bytes = Arc::new(core::mem::take(bytes));
        send(i, core::mem::take(batch));
    };
    let result = each_captured(reader, |cf| {
        let i = shard_index(cf.link, cf.data, shards);
        let (bytes, batch) = &mut pending[i];
        batch
            .frames
            .push((cf.timestamp, bytes.len(), cf.data.len(), cf.orig_len, cf.link));
        bytes.extend_from_slice(cf.data);
        if batch.frames.len() == BATCH {
            flush(i, bytes, batch);
        }
    });
    for (i, (bytes, batch)) in pending.iter_mut().enumerate() {
        flush(i, bytes, batch);
    }
    result
}
