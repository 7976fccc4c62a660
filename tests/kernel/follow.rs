//! Wireshark's follow and the reassembler on the kernel's traffic: the veth captures as made,
//! and copies that lost, duplicated and reordered frames, as a capture point would that
//! misses packets the receiver got (the receiver's ACKs then reveal the holes, which tshark
//! marks as missing bytes and the reassembler gives up as gaps).

use std::path::Path;

use synack::capture::{CaptureReader, write};
use synack::wire::LinkType;

use crate::rng::Rng;

/// What [`impair`] did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Impaired {
    pub dropped: usize,
    pub duplicated: usize,
    pub swapped: usize,
}

/// Three impaired copies of `veth` (seeds 1 to 3), named `{prefix}-{seed}-{family}.pcap`
/// beside it (each test its own prefix: the tests run at once), and what was done to them.
pub(crate) fn impaired_copies(veth: &Path, prefix: &str, family: &str) -> (Vec<std::path::PathBuf>, Impaired) {
    let mut all = Impaired::default();
    let files = (1..4u64)
        .map(|seed| {
            let f = veth.with_file_name(format!("{prefix}-{seed}-{family}.pcap"));
            let done = impair(veth, &f, seed);
            all.dropped += done.dropped;
            all.duplicated += done.duplicated;
            all.swapped += done.swapped;
            f
        })
        .collect();
    (files, all)
}

/// Writes a copy of `src` to `dst` in which each frame with TCP payload is, by `seed`, dropped
/// (2 in 100), written twice (1 in 100) or swapped with the next frame (2 in 100); other
/// frames and the timestamps' order stay as they were.
pub(crate) fn impair(src: &Path, dst: &Path, seed: u64) -> Impaired {
    let mut rng = Rng::new(seed);
    let mut frames = Vec::new();
    let mut reader = CaptureReader::open(src).expect("open the capture");
    while let Some(Ok(f)) = reader.next_frame() {
        let payload = f.dissect().tcp.is_some() && !f.dissect().payload.is_empty();
        frames.push((f.timestamp, f.data.to_vec(), f.orig_len, payload));
    }
    let mut done = Impaired::default();
    let mut out = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let (ts, ref data, orig, payload) = frames[i];
        let roll = if payload { rng.below(100) } else { 100 };
        match roll {
            0..=1 => done.dropped += 1,
            2 => {
                done.duplicated += 1;
                out.push((ts, data.clone(), orig));
                out.push((ts, data.clone(), orig));
            }
            3..=4 if i + 1 < frames.len() => {
                done.swapped += 1;
                let next = &frames[i + 1];
                out.push((ts, next.1.clone(), next.2));
                out.push((next.0, data.clone(), orig));
                i += 1;
            }
            _ => out.push((ts, data.clone(), orig)),
        }
        i += 1;
    }
    let mut file = Vec::new();
    write::header(&mut file, LinkType::ETHERNET, 262_144).expect("write to memory");
    for (ts, data, orig) in &out {
        write::record(&mut file, *ts, data, *orig).expect("write to memory");
    }
    std::fs::write(dst, file).expect("write the impaired capture");
    done
}
