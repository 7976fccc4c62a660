//! Writes a large synthetic capture for the end-to-end benchmarks: complete TCP connections
//! (handshake, requests and responses of varied sizes, teardown), interleaved so that many are
//! open at once, with valid checksums.
//!
//! ```text
//! cargo run --release --example synth_capture -- OUT.pcap [MEGABYTES]   # default 1024
//! ```

use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::time::Duration;

use synack::Timestamp;
use synack::capture::write;
use synack::wire::{LinkType, MacAddr, PacketBuilder, TcpFlags, TcpOption};

/// A xorshift generator: the same file on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One synthetic connection: a handshake, `rounds` request/response pairs, the client's FIN,
/// the server's FIN and the final ACK.
struct Conn {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
    cseq: u32,
    sseq: u32,
    step: u32,
    rounds: u32,
}

const SYN_OPTIONS: [TcpOption<'static>; 4] = [
    TcpOption::Mss(1460),
    TcpOption::SackPermitted,
    TcpOption::Nop,
    TcpOption::WindowScale(7),
];

impl Conn {
    /// The `n`th connection: clients over 198.18.0.0/16, servers in 198.19.0-6.1 on four ports.
    fn new(n: u32, rng: &mut Rng) -> Conn {
        Conn {
            client: (Ipv4Addr::from(0xc612_0000 | (n >> 14)), 1024 + (n & 0x3fff) as u16),
            server: (
                Ipv4Addr::new(198, 19, (n % 7) as u8, 1),
                [80, 443, 22, 25][n as usize % 4],
            ),
            cseq: rng.next() as u32,
            sseq: rng.next() as u32,
            step: 0,
            rounds: 1 + (rng.next() % 6) as u32,
        }
    }

    /// Writes its next frame into `buf`; returns whether that was its last.
    fn next_frame(&mut self, buf: &mut Vec<u8>, rng: &mut Rng) -> bool {
        let (cl, sv, a) = (self.client, self.server, TcpFlags::ACK);
        let (end, step) = (3 + 2 * self.rounds, self.step);
        self.step += 1;
        match step {
            0 => frame(buf, cl, sv, TcpFlags::SYN, self.cseq, 0, &SYN_OPTIONS, 0),
            1 => {
                self.cseq = self.cseq.wrapping_add(1);
                frame(buf, sv, cl, TcpFlags::SYN | a, self.sseq, self.cseq, &SYN_OPTIONS, 0);
                self.sseq = self.sseq.wrapping_add(1);
            }
            2 => frame(buf, cl, sv, a, self.cseq, self.sseq, &[], 0),
            s if s < end && s % 2 == 1 => {
                let len = 50 + (rng.next() % 400) as usize;
                frame(buf, cl, sv, a | TcpFlags::PSH, self.cseq, self.sseq, &[], len);
                self.cseq = self.cseq.wrapping_add(len as u32);
            }
            s if s < end => {
                let len = 200 + (rng.next() % 1261) as usize;
                frame(buf, sv, cl, a | TcpFlags::PSH, self.sseq, self.cseq, &[], len);
                self.sseq = self.sseq.wrapping_add(len as u32);
            }
            s if s == end => {
                frame(buf, cl, sv, a | TcpFlags::FIN, self.cseq, self.sseq, &[], 0);
                self.cseq = self.cseq.wrapping_add(1);
            }
            s if s == end + 1 => {
                frame(buf, sv, cl, a | TcpFlags::FIN, self.sseq, self.cseq, &[], 0);
                self.sseq = self.sseq.wrapping_add(1);
            }
            _ => {
                frame(buf, cl, sv, a, self.cseq, self.sseq, &[], 0);
                return true;
            }
        }
        false
    }
}

/// The payload every frame carries a prefix of: `abc...z` repeated.
const PAYLOAD: [u8; 1500] = {
    let mut p = [0u8; 1500];
    let mut i = 0;
    while i < p.len() {
        p[i] = b'a' + (i % 26) as u8;
        i += 1;
    }
    p
};

#[allow(clippy::too_many_arguments)]
fn frame(
    out: &mut Vec<u8>,
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    flags: TcpFlags,
    seq: u32,
    ack: u32,
    opts: &[TcpOption<'_>],
    len: usize,
) {
    let b = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, 2048)
        .flags(flags)
        .ack_number(ack)
        .options(opts);
    let payload = &PAYLOAD[..len.min(PAYLOAD.len())];
    out.resize(b.size(payload.len()).expect("options fit"), 0);
    b.write(out, payload).expect("the frame fits");
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "synth.pcap".into());
    let megabytes: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let target = megabytes << 20;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let mut record = Vec::with_capacity(1700);
    write::header(&mut record, LinkType::ETHERNET, 65535)?;
    out.write_all(&record)?;
    let mut written = record.len() as u64;
    let mut t = Timestamp::new(1_700_000_000, 0);
    let mut rng = Rng(0x1234_5678_9abc_def0);
    // 512 connections open at once; each frame comes from one drawn at random.
    let mut conns: Vec<Conn> = (1..=512).map(|n| Conn::new(n, &mut rng)).collect();
    let mut made = conns.len() as u32;
    let mut buf = Vec::with_capacity(1600);
    // Connections whose SYN is in the file (the last ones drawn may never send a frame).
    let (mut frames, mut started) = (0u64, 0u64);
    while written < target {
        let k = (rng.next() % conns.len() as u64) as usize;
        started += u64::from(conns[k].step == 0);
        if conns[k].next_frame(&mut buf, &mut rng) {
            made += 1;
            conns[k] = Conn::new(made, &mut rng);
        }
        t = t + Duration::from_micros(20);
        record.clear();
        write::record(&mut record, t, &buf, buf.len() as u32)?;
        out.write_all(&record)?;
        written += record.len() as u64;
        frames += 1;
    }
    out.flush()?;
    eprintln!(
        "wrote {path}: {frames} frames, {started} connections started, {} MiB",
        written >> 20
    );
    Ok(())
}
