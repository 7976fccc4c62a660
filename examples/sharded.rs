//! Tracks a capture's connections on N threads: frames are spread over shards by
//! [`FlowKey::symmetric_hash`], so both directions of a connection reach the same shard, and
//! each shard has its own [`Tracker`]. Three ways to feed the shards:
//!
//! * by default, one reading thread hands each shard its frames in batches (copied into one
//!   buffer per batch, recycled): the pattern for a single source such as a live capture;
//! * `--shared` (pcap files): one reading thread reads the file in chunks of 1 MiB, walks
//!   its records once and hands every shard the chunk with the places of its frames: the
//!   frames are never copied, and each chunk is read and hashed once. On 2 cores it is the
//!   fastest way through a file;
//! * `--fanout`: every shard thread reads the whole file itself and keeps the frames whose
//!   hash is its own (what `PACKET_FANOUT_HASH` does for live sockets). Nothing crosses
//!   threads, at the price of every thread reading and hashing every frame;
//! * `--preload`: the frames are read and spread over the shards first, and only the
//!   tracking is timed, which shows how the trackers themselves scale.
//!
//! ```text
//! cargo run --release --example sharded -- FILE [--threads N] [--shared | --fanout | --preload]   # N: available cores
//! ```
//!
//! Prints the frames, connections and conn_state counts, and the throughput.

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use synack::Timestamp;
use synack::capture::CaptureReader;
use synack::track::{Config, ConnSummary, Endpoint, FlowKey, Tracker};
use synack::wire::{LinkType, dissect_frame};

/// Frames handed to one shard at a time.
const BATCH: usize = 1024;

/// A batch of frames: their bytes back to back, and where each one is.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    frames: Vec<(Timestamp, usize, usize, u32, LinkType)>,
}

struct Shard {
    work: SyncSender<Batch>,
    free: Receiver<Batch>,
    pending: Batch,
}

fn worker(work: Receiver<Batch>, free: SyncSender<Batch>) -> (u64, Vec<ConnSummary>) {
    let mut tracker = Tracker::new(Config::default());
    let mut events = 0u64;
    let mut summaries = Vec::new();
    for mut batch in work {
        for &(ts, start, len, orig_len, link) in &batch.frames {
            let frame = dissect_frame(link, &batch.bytes[start..start + len]).with_reported_len(orig_len as usize);
            events += tracker.observe(ts, &frame).len() as u64;
        }
        summaries.extend(tracker.drain_summaries());
        batch.bytes.clear();
        batch.frames.clear();
        // The reader may have stopped listening at the end; then the batch is dropped.
        let _ = free.try_send(batch);
    }
    summaries.extend(tracker.finish());
    (events, summaries)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut preload = false;
    let mut fanout = false;
    let mut shared = false;
    let mut threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--preload" => preload = true,
            "--fanout" => fanout = true,
            "--shared" => shared = true,
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or(threads)
            }
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: sharded FILE [--threads N] [--shared | --fanout | --preload]");
        std::process::exit(2);
    };
    if preload {
        return run_preloaded(&file, threads);
    }
    if fanout {
        return run_fanout(&file, threads);
    }
    if shared {
        return run_shared(&file, threads);
    }
    let started = Instant::now();
    let mut reader = CaptureReader::open(&file).map_err(std::io::Error::other)?;
    let mut shards = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..threads {
        let (work_tx, work_rx) = sync_channel::<Batch>(4);
        let (free_tx, free_rx) = sync_channel::<Batch>(8);
        handles.push(std::thread::spawn(move || worker(work_rx, free_tx)));
        shards.push(Shard {
            work: work_tx,
            free: free_rx,
            pending: Batch::default(),
        });
    }
    let mut frames = 0u64;
    let mut not_tcp = 0u64;
    while let Some(next) = reader.next_frame() {
        let cf = next.map_err(std::io::Error::other)?;
        frames += 1;
        // Frames without TCP go to shard 0, which counts them.
        let shard = match shard_of(cf.link, cf.data, threads as u64) {
            Some(shard) => shard,
            None => {
                not_tcp += 1;
                0
            }
        };
        let s = &mut shards[shard];
        let start = s.pending.bytes.len();
        s.pending.bytes.extend_from_slice(cf.data);
        s.pending
            .frames
            .push((cf.timestamp, start, cf.data.len(), cf.orig_len, cf.link));
        if s.pending.frames.len() == BATCH {
            let fresh = s.free.try_recv().unwrap_or_default();
            let full = std::mem::replace(&mut s.pending, fresh);
            s.work.send(full).map_err(std::io::Error::other)?;
        }
    }
    for s in &mut shards {
        let last = std::mem::take(&mut s.pending);
        s.work.send(last).map_err(std::io::Error::other)?;
    }
    drop(shards);
    Tally::join(handles).print(
        &format!("{frames} frames ({not_tcp} without TCP)"),
        threads,
        "",
        frames,
        started,
    );
    Ok(())
}

/// Reads every frame into per-shard batches, then times only the shards' tracking.
fn run_preloaded(file: &str, threads: usize) -> std::io::Result<()> {
    let mut reader = CaptureReader::open(file).map_err(std::io::Error::other)?;
    let mut shards: Vec<Vec<Batch>> = (0..threads).map(|_| vec![Batch::default()]).collect();
    let mut frames = 0u64;
    while let Some(next) = reader.next_frame() {
        let cf = next.map_err(std::io::Error::other)?;
        frames += 1;
        let shard = shard_of(cf.link, cf.data, threads as u64).unwrap_or(0);
        let batches = &mut shards[shard];
        if batches.last().is_some_and(|b| b.frames.len() == BATCH) {
            batches.push(Batch::default());
        }
        let b = batches.last_mut().expect("a batch");
        let start = b.bytes.len();
        b.bytes.extend_from_slice(cf.data);
        b.frames
            .push((cf.timestamp, start, cf.data.len(), cf.orig_len, cf.link));
    }
    let started = Instant::now();
    let handles: Vec<_> = shards
        .into_iter()
        .map(|batches| {
            std::thread::spawn(move || {
                let (tx, rx) = sync_channel::<Batch>(batches.len() + 1);
                let (free_tx, _free_rx) = sync_channel::<Batch>(1);
                for b in batches {
                    tx.send(b).expect("queue");
                }
                drop(tx);
                worker(rx, free_tx)
            })
        })
        .collect();
    Tally::join(handles).print(&format!("tracking only: {frames} frames"), threads, "", frames, started);
    Ok(())
}

/// The shard a frame belongs to: the views' fast path for Ethernet, else a full dissection.
fn shard_of(link: LinkType, data: &[u8], threads: u64) -> Option<usize> {
    let key = if link == LinkType::ETHERNET {
        match synack::wire::TcpPacket::parse(data) {
            Ok(Some(p)) => Some(FlowKey::new(
                Endpoint::new(p.ipv4.src(), p.tcp.src_port()),
                Endpoint::new(p.ipv4.dst(), p.tcp.dst_port()),
            )),
            _ => FlowKey::of(&dissect_frame(link, data)),
        }
    } else {
        FlowKey::of(&dissect_frame(link, data))
    };
    key.map(|k| (k.symmetric_hash() % threads) as usize)
}

/// Every thread reads the whole capture and tracks only the frames of its shard.
fn run_fanout(file: &str, threads: usize) -> std::io::Result<()> {
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|me| {
            let file = file.to_owned();
            std::thread::spawn(move || -> std::io::Result<(u64, u64, u64, Vec<ConnSummary>)> {
                let mut reader = CaptureReader::open(&file).map_err(std::io::Error::other)?;
                let mut tracker = Tracker::new(Config::default());
                let (mut frames, mut mine, mut not_tcp, mut events) = (0u64, 0u64, 0u64, 0u64);
                let mut summaries = Vec::new();
                while let Some(next) = reader.next_frame() {
                    let cf = next.map_err(std::io::Error::other)?;
                    frames += 1;
                    let shard = shard_of(cf.link, cf.data, threads as u64);
                    if shard.unwrap_or(0) != me {
                        continue;
                    }
                    mine += 1;
                    not_tcp += u64::from(shard.is_none());
                    let frame = dissect_frame(cf.link, cf.data).with_reported_len(cf.orig_len as usize);
                    events += tracker.observe(cf.timestamp, &frame).len() as u64;
                    if mine % 4096 == 0 {
                        summaries.extend(tracker.drain_summaries());
                    }
                }
                summaries.extend(tracker.finish());
                Ok((frames, not_tcp, events, summaries))
            })
        })
        .collect();
    let (mut frames, mut not_tcp) = (0, 0);
    let mut tally = Tally::default();
    for h in handles {
        let (f, n, events, summaries) = h.join().expect("shard thread")?;
        frames = f;
        not_tcp += n;
        tally.add(events, &summaries);
    }
    tally.print(
        &format!("{frames} frames ({not_tcp} without TCP)"),
        threads,
        ", each reading the capture,",
        frames,
        started,
    );
    Ok(())
}

/// The bytes of the file read at a time in `--shared` mode.
const CHUNK: usize = 1 << 20;

/// One shard's frames in a chunk read once and shared by all shards: (time, start, length,
/// length on the wire) of each.
type Places = Vec<(Timestamp, u32, u32, u32)>;

/// Reads a pcap file in chunks, walks each chunk's records once (pcap-parser), and sends
/// every shard the chunk with the places of its frames.
fn run_shared(file: &str, threads: usize) -> std::io::Result<()> {
    use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header};
    let started = Instant::now();
    let mut f = std::fs::File::open(file)?;
    let mut head = [0u8; 24];
    f.read_exact(&mut head)?;
    let header = match parse_pcap_header(&head) {
        Ok((_, h)) => h,
        Err(_) => {
            eprintln!("--shared reads pcap files (not pcapng); use the default mode");
            std::process::exit(2);
        }
    };
    let link = LinkType(header.network.0 as u32);
    let nanos = header.is_nanosecond_precision();
    let frame_parser = if header.is_bigendian() {
        parse_pcap_frame_be
    } else {
        parse_pcap_frame
    };
    let mut work = Vec::new();
    let mut free = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..threads {
        let (work_tx, work_rx) = sync_channel::<(Arc<Vec<u8>>, Places)>(8);
        let (free_tx, free_rx) = sync_channel::<Places>(16);
        handles.push(std::thread::spawn(move || {
            let mut tracker = Tracker::new(Config::default());
            let (mut events, mut summaries) = (0u64, Vec::new());
            for (chunk, mut places) in work_rx {
                for &(ts, start, len, orig_len) in &places {
                    let data = &chunk[start as usize..][..len as usize];
                    let frame = dissect_frame(link, data).with_reported_len(orig_len as usize);
                    events += tracker.observe(ts, &frame).len() as u64;
                }
                summaries.extend(tracker.drain_summaries());
                places.clear();
                let _ = free_tx.try_send(places);
            }
            summaries.extend(tracker.finish());
            (events, summaries)
        }));
        work.push(work_tx);
        free.push(free_rx);
    }
    // Chunks in flight, oldest first: one is reused once no shard holds it any more.
    let mut in_flight: VecDeque<Arc<Vec<u8>>> = VecDeque::new();
    let mut carry: Vec<u8> = Vec::new();
    let (mut frames, mut not_tcp) = (0u64, 0u64);
    loop {
        let mut chunk = match in_flight.front_mut().and_then(Arc::get_mut) {
            Some(_) => Arc::into_inner(in_flight.pop_front().expect("a chunk")).expect("unshared"),
            None => vec![0u8; CHUNK],
        };
        if chunk.len() < carry.len() + CHUNK / 2 {
            chunk.resize(carry.len() + CHUNK, 0);
        }
        // The record the last chunk ended in, then as much of the file as fits.
        chunk[..carry.len()].copy_from_slice(&carry);
        let mut filled = carry.len();
        while filled < chunk.len() {
            match f.read(&mut chunk[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        if filled == carry.len() {
            // The end of the file.
            if !carry.is_empty() {
                eprintln!("{} bytes of a truncated record at the end", carry.len());
            }
            break;
        }
        let mut places: Vec<Places> = free.iter().map(|r| r.try_recv().unwrap_or_default()).collect();
        let mut at = 0;
        while at < filled {
            match frame_parser(&chunk[at..filled]) {
                Ok((rest, block)) => {
                    let data = block.data;
                    let start = filled - rest.len() - data.len();
                    let res: u64 = if nanos { 1_000_000_000 } else { 1_000_000 };
                    let units = u64::from(block.ts_sec) * res + u64::from(block.ts_usec);
                    let ts = Timestamp::from_units(units, res);
                    frames += 1;
                    let shard = shard_of(link, data, threads as u64).unwrap_or_else(|| {
                        not_tcp += 1;
                        0
                    });
                    places[shard].push((ts, start as u32, data.len() as u32, block.origlen));
                    at = filled - rest.len();
                }
                Err(pcap_parser::nom::Err::Incomplete(_)) => break,
                Err(e) => return Err(std::io::Error::other(format!("bad record at chunk offset {at}: {e:?}"))),
            }
        }
        if filled - at > 16 * CHUNK {
            return Err(std::io::Error::other(format!(
                "a record of more than {} bytes",
                16 * CHUNK
            )));
        }
        carry.clear();
        carry.extend_from_slice(&chunk[at..filled]);
        let chunk = Arc::new(chunk);
        for (tx, p) in work.iter().zip(places) {
            tx.send((Arc::clone(&chunk), p)).map_err(std::io::Error::other)?;
        }
        in_flight.push_back(chunk);
    }
    drop(work);
    Tally::join(handles).print(
        &format!("{frames} frames ({not_tcp} without TCP)"),
        threads,
        ", one reader sharing its chunks,",
        frames,
        started,
    );
    Ok(())
}

/// What the shards found, added up.
#[derive(Default)]
struct Tally {
    events: u64,
    connections: usize,
    states: BTreeMap<&'static str, u64>,
}

impl Tally {
    /// Waits for the shard threads and adds up what they found.
    fn join(handles: Vec<std::thread::JoinHandle<(u64, Vec<ConnSummary>)>>) -> Tally {
        let mut tally = Tally::default();
        for h in handles {
            let (events, summaries) = h.join().expect("shard thread");
            tally.add(events, &summaries);
        }
        tally
    }

    fn add(&mut self, events: u64, summaries: &[ConnSummary]) {
        self.events += events;
        self.connections += summaries.len();
        for s in summaries {
            *self.states.entry(s.conn_state.name()).or_default() += 1;
        }
    }

    /// Prints the counts and the throughput since `started` (a closed pipe, as `| head -1`
    /// closes it, ends the output quietly).
    fn print(&self, what: &str, threads: usize, how: &str, frames: u64, started: Instant) {
        use std::io::Write;
        let took = started.elapsed().as_secs_f64();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{what}, {} connections, {} events on {threads} shard thread(s){how} in {took:.3} s: {:.2} M frames/s",
            self.connections,
            self.events,
            frames as f64 / took / 1e6
        )
        .and_then(|()| writeln!(out, "conn_state: {:?}", self.states));
    }
}
