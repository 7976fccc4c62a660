//! Ratios that this shared machine's drift does not move (included with `#[path]`): the
//! adapters timed in turn, round after round, each keeping its best round.

use std::hint::black_box;
use std::time::Instant;

/// Rounds of [`best_of`], and calls of each adapter in one round (a few milliseconds).
pub const ROUNDS: usize = 41;
pub const PER_ROUND: u32 = 100_000;

/// Nanoseconds a frame for each adapter on `frames` (the mean over them): in each of
/// [`ROUNDS`] rounds every adapter parses the frames `PER_ROUND` times in turn, and each
/// keeps its best round (the least disturbed), so a slow minute touches them all alike.
/// Criterion's groups time one adapter after another, seconds apart, and on this machine
/// their ratios move by up to 40 % between runs.
pub fn best_of(adapters: &[fn(&[u8]) -> u64], frames: &[Vec<u8>]) -> Vec<f64> {
    let calls = PER_ROUND.div_ceil(frames.len() as u32);
    let mut best = vec![f64::MAX; adapters.len()];
    for _ in 0..ROUNDS {
        for (slot, a) in adapters.iter().enumerate() {
            let t0 = Instant::now();
            let mut acc = 0u64;
            for _ in 0..calls {
                for f in frames {
                    acc ^= a(black_box(f));
                }
            }
            black_box(acc);
            let ns = t0.elapsed().as_nanos() as f64 / f64::from(calls * frames.len() as u32);
            best[slot] = best[slot].min(ns);
        }
    }
    best
}
