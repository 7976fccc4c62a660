//! Batches (`Tracker::observe_batch`, and the driver and the sharded driver, which batch once
//! the table is large): the same events, summaries and stream chunks, in the same order, as
//! one frame at a time, on a capture with enough connections open at once for the prefetch
//! to run, over IPv4 and IPv6, and a damaged capture's error after every good frame.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use synack::Timestamp;
use synack::capture::{CaptureReader, write};
use synack::driver::{Driver, Output};
use synack::track::reassembly::ReassemblyConfig;
use synack::track::{BATCH, Config, Tracker};
use synack::wire::{LinkType, MacAddr, PacketBuilder, TcpFlags, parse_frame};

use common::by_hand::by_hand;

/// Connections open at once: with the default settings' 456 bytes each, 9.1 MB of state,
/// past the 8 MiB from which the tracker prefetches.
const CONNS: u32 = 20_000;

/// A frame of connection `i` (every seventh over IPv6): from the client or the server.
fn frame(i: u32, from_client: bool, flags: TcpFlags, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let (client, server): (IpAddr, IpAddr) = if i.is_multiple_of(7) {
        let c = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, (i >> 16) as u16, i as u16);
        (c.into(), Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0xffff).into())
    } else {
        (
            Ipv4Addr::from_bits(0xc612_0000 | i).into(),
            Ipv4Addr::new(198, 19, 0, 2).into(),
        )
    };
    let (cport, sport) = (1024 + (i % 50_000) as u16, 443);
    let (src, dst, sp, dp) = if from_client {
        (client, server, cport, sport)
    } else {
        (server, client, sport, cport)
    };
    let b = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
    let b = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => b.ipv4(s, d, 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => b.ipv6(s, d, 64),
        _ => unreachable!("one family per connection"),
    };
    let b = b.tcp(sp, dp, seq, 64_000).flags(flags);
    let b = if flags.contains(TcpFlags::ACK) { b.ack(ack) } else { b };
    b.build(payload).unwrap()
}

/// Every connection through a handshake, data both ways and a close (a FIN each way, or a
/// server's RST for every third), one step for all connections at a time.
fn capture() -> Vec<u8> {
    let (c, s) = (1000u32, 5000u32);
    let (a, pa, fa) = (
        TcpFlags::ACK,
        TcpFlags::ACK | TcpFlags::PSH,
        TcpFlags::ACK | TcpFlags::FIN,
    );
    let mut pcap = Vec::new();
    write::header(&mut pcap, LinkType::ETHERNET, 65_535).unwrap();
    let mut t = 0u64;
    for step in 0..7 {
        for i in 0..CONNS {
            let f = match step {
                0 => frame(i, true, TcpFlags::SYN, c, 0, b""),
                1 => frame(i, false, TcpFlags::SYN | a, s, c + 1, b""),
                2 => frame(i, true, a, c + 1, s + 1, b""),
                3 => frame(i, true, pa, c + 1, s + 1, b"hello"),
                4 => frame(i, false, pa, s + 1, c + 6, b"world!"),
                5 if i.is_multiple_of(3) => frame(i, false, TcpFlags::RST, s + 7, 0, b""),
                5 => frame(i, true, fa, c + 6, s + 7, b""),
                _ if i.is_multiple_of(3) => continue,
                _ => frame(i, false, fa, s + 7, c + 7, b""),
            };
            t += 1_000;
            let ts = Timestamp::new(1_700_000_000 + (t / 1_000_000_000) as i64, (t % 1_000_000_000) as u32);
            write::record(&mut pcap, ts, &f, f.len() as u32).unwrap();
        }
    }
    pcap
}

/// One frame at a time (`common::by_hand`): events, summaries after each frame, then the end
/// of the capture; and the stream chunks, as text.
fn one_by_one(pcap: &[u8], config: Config) -> (Vec<Output>, Vec<String>) {
    let mut chunks = Vec::new();
    let (out, _) = by_hand(pcap, config, &mut |c| chunks.push(format!("{c:?}")));
    (out, chunks)
}

#[test]
fn the_driver_batching_a_large_table_gives_what_one_frame_at_a_time_gives() {
    let pcap = capture();
    for (config, streams) in [
        (Config::default(), false),
        (Config::default().with_reassembly(ReassemblyConfig::default()), true),
    ] {
        let (want, want_chunks) = one_by_one(&pcap, config.clone());
        let (mut got, mut chunks) = (Vec::new(), Vec::new());
        let mut driver = Driver::new(CaptureReader::new(&pcap[..]).unwrap(), config);
        while let Some(item) = driver.next_with(&mut |c| chunks.push(format!("{c:?}"))) {
            got.push(item.unwrap());
        }
        let summaries = want.iter().filter(|o| matches!(o, Output::Summary(_))).count();
        assert_eq!(summaries, CONNS as usize);
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the driver's items differ from one frame at a time");
        assert_eq!(!chunks.is_empty(), streams);
        assert!(chunks == want_chunks, "the stream chunks differ");
    }
}

#[test]
fn a_damaged_capture_read_in_batches_yields_its_error_after_every_good_frame() {
    let mut pcap = capture();
    pcap.truncate(pcap.len() - 30);
    let (want, _) = one_by_one(&pcap, Config::default());
    let items: Vec<_> = Driver::new(CaptureReader::new(&pcap[..]).unwrap(), Config::default()).collect();
    let error = items.iter().position(|i| i.is_err()).expect("the cut record's error");
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
    let got: Vec<Output> = items.into_iter().filter_map(Result::ok).collect();
    assert!(got == want);
    // Everything before the error is the good frames' (the end-of-capture items follow it).
    let frames = want.iter().take(error).filter_map(|o| match o {
        Output::Event(e) => Some(e.frame),
        _ => None,
    });
    assert_eq!(
        frames.max(),
        Some(7 * u64::from(CONNS) - u64::from(CONNS.div_ceil(3)) - 1)
    );
}

#[test]
fn observe_batch_gives_what_observe_gives() {
    let pcap = capture();
    let mut reader = CaptureReader::new(&pcap[..]).unwrap();
    let mut frames = Vec::new();
    while let Some(Ok(f)) = reader.next_frame() {
        frames.push((f.timestamp, f.data.to_vec()));
    }
    let parsed: Vec<_> = frames.iter().map(|(ts, b)| (*ts, parse_frame(b).unwrap())).collect();
    let (mut one, mut batched) = (Tracker::new(Config::default()), Tracker::new(Config::default()));
    let (mut want, mut got) = (Vec::new(), Vec::new());
    for (ts, f) in &parsed {
        want.extend(one.observe(*ts, f).iter().map(|&e| Output::Event(e)));
        want.extend(one.drain_summaries().map(Output::Summary));
    }
    for run in parsed.chunks(BATCH) {
        batched.observe_batch(run, |_, events, summaries| {
            got.extend(events.iter().map(|&e| Output::Event(e)));
            got.extend(summaries.map(Output::Summary));
        });
    }
    assert_eq!(got.len(), want.len());
    assert!(got == want);
    assert_eq!(one.stats(), batched.stats());
}

#[test]
fn the_sharded_driver_batching_a_large_table_gives_what_one_tracker_gives() {
    use std::sync::Mutex;
    use synack::shard::{Mode, track};
    let pcap = capture();
    let (want, _) = one_by_one(&pcap, Config::default());
    let dir = common::TempDir::new("synack-batch");
    let path = dir.path().join("batch.pcap");
    std::fs::write(&path, &pcap).unwrap();
    for mode in [Mode::Shared, Mode::Copied] {
        // One shard: the same items in the same order as one tracker.
        let got = Mutex::new(Vec::new());
        let shards = track(
            &path,
            &Config::default(),
            1,
            mode,
            || (),
            |_, item| got.lock().unwrap().push(item),
        );
        assert_eq!(
            shards.unwrap()[0].stats.frames,
            7 * u64::from(CONNS) - u64::from(CONNS.div_ceil(3))
        );
        let got = got.into_inner().unwrap();
        assert_eq!(got.len(), want.len(), "{mode:?}");
        assert!(
            got == want,
            "{mode:?}: the shard's items differ from one frame at a time"
        );
    }
    drop(dir);
}
