//! Nothing lost: every frame of every capture in the corpus is accounted for (dissected, or
//! counted as not IPv4/TCP, unsupported link type, truncated or malformed), and the count
//! equals the file's frame count as tshark reads it.

mod common;

use std::path::PathBuf;
use std::process::Command;

use synack::capture::Accounting;

/// The file's frame count as tshark reads it; for a classic pcap whose link type tshark does
/// not support (it then reads nothing), the number of records found by walking the record
/// headers.
fn reference_count(path: &PathBuf) -> usize {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("unknown or unsupported") {
        return classic_pcap_records(&std::fs::read(path).unwrap());
    }
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn classic_pcap_records(d: &[u8]) -> usize {
    let le = match d.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]) => true,
        Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d]) => false,
        _ => return 0,
    };
    let (mut off, mut n) = (24usize, 0);
    while let Some(h) = d.get(off + 8..off + 12) {
        let b = [h[0], h[1], h[2], h[3]];
        let caplen = if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        } as usize;
        if off + 16 + caplen > d.len() {
            break;
        }
        off += 16 + caplen;
        n += 1;
    }
    n
}

#[test]
fn every_frame_of_the_corpus_is_accounted_for() {
    if !common::needs("every_frame_of_the_corpus_is_accounted_for", &[common::Need::Tshark]) {
        return;
    }
    let files = common::corpus_captures();
    assert!(files.len() > 400);
    let mut sum = Accounting::default();
    let mut damaged = 0;
    let mut differ = Vec::new();
    // tshark per file, on both cores.
    let half = files.len() / 2;
    let counts: Vec<usize> = std::thread::scope(|sc| {
        let a = sc.spawn(|| files[..half].iter().map(reference_count).collect::<Vec<_>>());
        let mut v = files[half..].iter().map(reference_count).collect::<Vec<_>>();
        let mut first = a.join().unwrap();
        first.append(&mut v);
        first
    });
    for (i, f) in files.iter().enumerate() {
        // A file that does not open (bad magic, empty) has no frames to lose.
        let (acc, damage) = Accounting::of_file(f).unwrap_or_default();
        damaged += usize::from(damage.is_some());
        for (a, b) in [
            (&mut sum.tcp, acc.tcp),
            (&mut sum.ipv4_fragment, acc.ipv4_fragment),
            (&mut sum.ipv4_other, acc.ipv4_other),
            (&mut sum.ipv6_tcp, acc.ipv6_tcp),
            (&mut sum.ipv6_fragment, acc.ipv6_fragment),
            (&mut sum.ipv6_other, acc.ipv6_other),
            (&mut sum.not_ip, acc.not_ip),
            (&mut sum.unsupported_link, acc.unsupported_link),
            (&mut sum.truncated, acc.truncated),
            (&mut sum.malformed, acc.malformed),
            (&mut sum.cut_by_snaplen, acc.cut_by_snaplen),
        ] {
            *a += b;
        }
        let n = counts[i];
        if n as u64 != acc.total() {
            differ.push(format!("{}: synack {} frames, tshark {n}", f.display(), acc.total()));
        }
    }
    eprintln!(
        "accounting over {} captures ({damaged} damaged): {sum:?}, total {}",
        files.len(),
        sum.total()
    );
    for d in &differ {
        eprintln!("  {d}");
    }
    assert!(
        differ.is_empty(),
        "{} captures where the frame counts differ from tshark's",
        differ.len()
    );
}
