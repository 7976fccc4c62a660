//! [`Mode::Shared`](super::Mode::Shared) on a pcap file: the shard threads take turns at
//! reading it, a chunk at a time for all ([`Turns`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Mutex, TryLockError};
use std::vec::Vec;

use super::chunks::{Chunker, SharedChunks};
use super::{Batch, ShardResult, run_shard};
use crate::capture::CaptureError;
use crate::driver::Output;
use crate::track::Config;

/// [`Mode::Shared`] on a pcap file: the shard threads take turns at reading ([`Turns`]).
pub(super) fn taking_turns<S: Send>(
    pcap: SharedChunks,
    threads: usize,
    config: &Config,
    init: &(impl Fn() -> S + Sync),
    each: &(impl Fn(&mut S, Output) + Sync),
) -> Result<Vec<ShardResult<S>>, CaptureError> {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..threads).map(|_| channel::<Batch>()).unzip();
    let queued: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
    let turns = Mutex::new(Turns {
        chunker: Some(Chunker::new(pcap)),
        senders,
        result: Ok(()),
    });
    let (turns_ref, queued) = (&turns, &queued[..]);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = receivers
            .into_iter()
            .enumerate()
            .map(|(me, rx)| {
                let feed = TurnFeed {
                    me,
                    rx,
                    turns: turns_ref,
                    queued,
                };
                scope.spawn(move || run_shard(feed, config, init, each))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let turns = turns.into_inner().unwrap_or_else(|p| p.into_inner());
    turns.result.map(|()| results)
}

/// Chunks a shard may have waiting before the others stop reading ahead for it.
const AHEAD: usize = 8;

/// Fewer chunks than this waiting, and a shard reads the next one when no other is reading.
const LOW: usize = 2;

/// The reading that [`Mode::Shared`]'s shard threads take turns at: a shard that has no
/// frames left reads the next chunk for all (no thread of its own, which on 2 cores would
/// take turns with the shards for the cores).
struct Turns {
    /// `None` once the file is read, or failed.
    chunker: Option<Chunker>,
    senders: Vec<Sender<Batch>>,
    result: Result<(), CaptureError>,
}

impl Turns {
    /// Reads a chunk for every shard, unless one of them has [`AHEAD`] waiting (it reads
    /// once it has none). At the end of the file the senders go, which ends the shards.
    /// Returns whether a chunk was read.
    fn read_one(&mut self, queued: &[AtomicUsize]) -> bool {
        let Some(chunker) = self.chunker.as_mut() else {
            return false;
        };
        if queued.iter().any(|q| q.load(Ordering::Relaxed) >= AHEAD) {
            return false;
        }
        let senders = &self.senders;
        let step = chunker.step(senders.len(), |i, batch| {
            queued[i].fetch_add(1, Ordering::Relaxed);
            if senders[i].send(batch).is_err() {
                // That shard is gone (its `each` panicked): it waits for nothing.
                queued[i].store(0, Ordering::Relaxed);
            }
        });
        match step {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e) => self.result = Err(e),
        }
        self.chunker = None;
        self.senders.clear();
        false
    }
}

/// One shard's batches in [`Mode::Shared`]: what the others read for it, and the chunks it
/// reads itself when it has none.
struct TurnFeed<'t> {
    me: usize,
    rx: Receiver<Batch>,
    turns: &'t Mutex<Turns>,
    queued: &'t [AtomicUsize],
}

impl Iterator for TurnFeed<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        loop {
            // Read ahead while a few batches are still waiting, so that a shard seldom waits
            // for a chunk; never wait for the turn here.
            if self.queued[self.me].load(Ordering::Relaxed) < LOW {
                match self.turns.try_lock() {
                    Ok(mut turns) => _ = turns.read_one(self.queued),
                    Err(TryLockError::Poisoned(p)) => _ = p.into_inner().read_one(self.queued),
                    Err(TryLockError::WouldBlock) => {}
                }
            }
            match self.rx.try_recv() {
                Ok(batch) => return Some(self.took(batch)),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {}
            }
            // Nothing waiting: take the turn, after the shard that has it. (Waiting for its
            // next chunk instead could wait for ever: it may have sent this shard its part of
            // the chunk it read and gone.)
            if !self
                .turns
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .read_one(self.queued)
            {
                // Nothing read: another shard has enough waiting (it reads once it has
                // fewer, or takes a last turn if it ends early), or the file is read and the
                // channel ends.
                return self.rx.recv().ok().map(|b| self.took(b));
            }
        }
    }
}

impl TurnFeed<'_> {
    fn took(&self, batch: Batch) -> Batch {
        self.queued[self.me].fetch_sub(1, Ordering::Relaxed);
        batch
    }
}

impl Drop for TurnFeed<'_> {
    /// A shard that ends early (its `each` panicked) holds back no reading: it waits for
    /// nothing from now on, and it takes one turn at reading, for a shard that stopped
    /// reading ahead for it and waits.
    fn drop(&mut self) {
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        self.queued[self.me].store(0, Ordering::Relaxed);
        turns.read_one(self.queued);
    }
}
