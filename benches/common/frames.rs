//! Frames shared by the benchmarks (included with `include!`): the seed's SYN, a 1514-byte
//! data frame with timestamps, and a deterministic batch of 1024 mixed frames.

use core::net::Ipv4Addr;

use synack::wire::{MacAddr, PacketBuilder, TcpFlags, TcpOption};

/// Builds an Ethernet/IPv4/TCP frame with `len` payload bytes.
#[allow(dead_code)]
pub fn build(flags: TcpFlags, seq: u32, ack: u32, options: &[TcpOption<'_>], len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
    PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
        .ipv4(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2), 64)
        .tcp(40000, 443, seq, 502)
        .flags(flags)
        .ack_number(ack)
        .options(options)
        .build(&payload)
        .unwrap()
}

#[allow(dead_code)]
pub const TS: TcpOption<'static> = TcpOption::Timestamps {
    tsval: 0x0102_0304,
    tsecr: 0x0506_0708,
};

/// The seed's SYN: 66 bytes, five options (MSS, NOP, WS, NOP, NOP, SACK-permitted).
#[allow(dead_code)]
pub fn seed_syn() -> Vec<u8> {
    synack::seed::FRAMES[0].bytes.to_vec()
}

/// A full-size data segment with timestamps: 1514 bytes on the wire.
#[allow(dead_code)]
pub fn data_1514() -> Vec<u8> {
    build(
        TcpFlags::ACK | TcpFlags::PSH,
        1000,
        2000,
        &[TcpOption::Nop, TcpOption::Nop, TS],
        1448,
    )
}

/// 1024 frames: SYN, SYN-ACK, pure ACK, ACK with timestamps, and data of 100..1514 bytes.
#[allow(dead_code)]
pub fn mixed_batch() -> Vec<Vec<u8>> {
    let syn_opts = [
        TcpOption::Mss(1460),
        TcpOption::SackPermitted,
        TS,
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..1024)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i % 8 {
                0 => build(TcpFlags::SYN, i, 0, &syn_opts, 0),
                1 => build(TcpFlags::SYN | TcpFlags::ACK, i, i + 1, &syn_opts, 0),
                2 => build(TcpFlags::ACK, i, i, &[], 0),
                3 | 4 => build(TcpFlags::ACK, i, i, &[TcpOption::Nop, TcpOption::Nop, TS], 0),
                _ => {
                    let frame_len = 100 + (x % 1415) as usize;
                    build(
                        TcpFlags::ACK | TcpFlags::PSH,
                        i,
                        i,
                        &[TcpOption::Nop, TcpOption::Nop, TS],
                        frame_len - 66,
                    )
                }
            }
        })
        .collect()
}
