#![no_main]
//! Random segment streams through one direction's reassembler. The first bytes pick the
//! settings (policy, small caps, kept bytes, urgent policy) and the ISN; then each op is a
//! segment (offset from the ISN, flags, length, bytes), an acknowledgment, a flush or a close.
//! Checked on every call: the chunks follow each other without a hole or an overlap, the
//! buffer stays within its caps, nothing comes after the end, no more bytes come out than
//! went in; and with first-wins and in-line urgent data, each delivered byte is the first
//! copy of it sent.
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use synack::track::reassembly::{Chunk, OverlapPolicy, Reassembler, ReassemblyConfig, UrgentPolicy};
use synack::track::{Endpoint, Segment};
use synack::wire::TcpFlags;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let policy = OverlapPolicy::ALL[usize::from(data[0]) % OverlapPolicy::ALL.len()];
    let urgent = if data[1] & 1 == 1 { UrgentPolicy::OutOfBand } else { UrgentPolicy::Inline };
    let config = ReassemblyConfig::default()
        .with_policy(policy)
        .with_max_buffered(64 + usize::from(data[2]) * 16)
        .with_max_segments(1 + usize::from(data[3] % 32))
        .with_keep_unacked(data[1] & 2 == 2)
        .with_urgent(urgent);
    let isn = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    let (a, b) = (Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 1), Endpoint::new(Ipv4Addr::new(198, 18, 0, 2), 2));
    let mut r = Reassembler::new(config);
    let _ = r.segment(&Segment::new(a, b, TcpFlags::SYN, isn, 0));
    // The first copy of each offset sent, and how many bytes went in.
    let mut first: HashMap<u64, u8> = HashMap::new();
    let (mut sent, mut delivered, mut end, mut ended) = (0u64, 0u64, 0u64, false);
    let exact = policy == OverlapPolicy::First && urgent == UrgentPolicy::Inline;
    let mut rest = &data[8..];
    while rest.len() >= 5 {
        let (op, off, flags, len) = (rest[0] % 8, u16::from_be_bytes([rest[1], rest[2]]), rest[3], usize::from(rest[4]));
        rest = &rest[5..];
        let payload = &rest[..len.min(rest.len())];
        rest = &rest[payload.len()..];
        let seq = isn.wrapping_add(1).wrapping_add(u32::from(off));
        let delivery = match op {
            0..=4 => {
                let flags = TcpFlags::from_bits_retain(u16::from(flags) & 0x3f) | TcpFlags::ACK;
                let s = Segment::new(a, b, flags - TcpFlags::SYN, seq, 0).with_payload(payload).with_urgent_ptr(u16::from(rest.first().copied().unwrap_or(0)));
                if !flags.contains(TcpFlags::RST) {
                    for (i, &x) in payload.iter().enumerate() {
                        first.entry(u64::from(off) + i as u64).or_insert(x);
                    }
                    sent += payload.len() as u64;
                }
                r.segment(&s)
            }
            5 => r.ack(seq),
            6 => r.flush(),
            _ => r.close(),
        };
        for c in delivery {
            assert!(!ended, "nothing after the end");
            match c {
                Chunk::Data { offset, bytes } => {
                    assert_eq!(offset, end, "data follows on");
                    if exact {
                        for (i, x) in bytes.iter().enumerate() {
                            assert_eq!(first.get(&(offset + i as u64)), Some(x), "the first copy at {}", offset + i as u64);
                        }
                    }
                    end += bytes.len() as u64;
                    delivered += bytes.len() as u64;
                }
                Chunk::Gap { offset, len, .. } => {
                    assert_eq!(offset, end, "a gap follows on");
                    assert!(len > 0);
                    end += len;
                }
                Chunk::End { offset, .. } => {
                    assert!(offset <= end);
                    ended = true;
                }
                _ => {}
            }
        }
        assert!(delivered <= sent, "no more out than in");
        assert!(r.buffered() <= config.max_buffered);
        assert!(r.buffered_segments() <= config.max_segments);
    }
});
