//! Writes a large synthetic capture for the end-to-end benchmarks: complete TCP connections
//! (handshake, requests and responses of varied sizes, teardown), interleaved so that many are
//! open at once, with valid checksums.
//!
//! ```text
//! cargo run --release --example synth_capture -- OUT.pcap [MEGABYTES]   # default 1024
//! ```

use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::sync::LazyLock;
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
        let (a, syn, fin) = (TcpFlags::ACK, TcpFlags::SYN, TcpFlags::ACK | TcpFlags::FIN);
        let (end, step) = (3 + 2 * self.rounds, self.step);
        self.step += 1;
        let (from_client, flags, len) = match step {
            0 => (true, syn, 0),
            1 => (false, syn | a, 0),
            s if s < end && s % 2 == 1 => (true, a | TcpFlags::PSH, 50 + (rng.next() % 400) as u32),
            s if s < end && s > 2 => (false, a | TcpFlags::PSH, 200 + (rng.next() % 1261) as u32),
            s if s == end => (true, fin, 0),
            s if s == end + 1 => (false, fin, 0),
            _ => (true, a, 0),
        };
        let opts: &[TcpOption<'_>] = if flags.contains(syn) { &SYN_OPTIONS } else { &[] };
        self.send(buf, from_client, flags, opts, len);
        let next = len + u32::from(flags.intersects(syn | TcpFlags::FIN));
        let seq = if from_client { &mut self.cseq } else { &mut self.sseq };
        *seq = seq.wrapping_add(next);
        step > end + 1
    }

    /// Writes a frame from the client (or the server) at its next sequence number,
    /// acknowledging the peer's when `flags` has ACK, with `len` bytes of payload.
    fn send(&self, buf: &mut Vec<u8>, from_client: bool, flags: TcpFlags, opts: &[TcpOption<'_>], len: u32) {
        let ((src, seq), (dst, peer)) = if from_client {
            ((self.client, self.cseq), (self.server, self.sseq))
        } else {
            ((self.server, self.sseq), (self.client, self.cseq))
        };
        let ack = if flags.contains(TcpFlags::ACK) { peer } else { 0 };
        let b = PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]))
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 2048)
            .flags(flags)
            .ack_number(ack)
            .options(opts);
        let payload = &PAYLOAD[..(len as usize).min(PAYLOAD.len())];
        buf.resize(b.size(payload.len()).expect("options fit"), 0);
        b.write(buf, payload).expect("the frame fits");
    }
}

/// The payload every frame carries a prefix of: `abc...z` repeated.
static PAYLOAD: LazyLock<Vec<u8>> = LazyLock::new(|| (0..1500).map(|i| b'a' + (i % 26) as u8).collect());

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
