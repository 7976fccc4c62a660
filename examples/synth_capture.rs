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

struct Conn {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
    cseq: u32,
    sseq: u32,
    step: u32,
    rounds: u32,
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
    let mut file = Vec::new();
    write::header(&mut file, LinkType::ETHERNET, 65535)?;
    out.write_all(&file)?;
    let mut written = file.len() as u64;
    let mut t = Timestamp::new(1_700_000_000, 0);
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let open = 512usize;
    let mut n = 0u32;
    let mut new_conn = |next: &mut dyn FnMut() -> u64| {
        n += 1;
        Conn {
            client: (Ipv4Addr::from(0xc612_0000 | (n >> 14)), 1024 + (n & 0x3fff) as u16),
            server: (
                Ipv4Addr::new(198, 19, (n % 7) as u8, 1),
                [80, 443, 22, 25][n as usize % 4],
            ),
            cseq: next() as u32,
            sseq: next() as u32,
            step: 0,
            rounds: 1 + (next() % 6) as u32,
        }
    };
    let mut conns: Vec<Conn> = (0..open).map(|_| new_conn(&mut next)).collect();
    let syn_opts = [
        TcpOption::Mss(1460),
        TcpOption::SackPermitted,
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    let mut buf = Vec::with_capacity(1600);
    let mut frames = 0u64;
    // Connections whose SYN is in the file (the last ones drawn may never send a frame).
    let mut started = 0u64;
    let mut record = Vec::with_capacity(1700);
    while written < target {
        let k = (next() % open as u64) as usize;
        let c = &mut conns[k];
        let (cl, sv) = (c.client, c.server);
        let a = TcpFlags::ACK;
        let done = match c.step {
            0 => {
                frame(&mut buf, cl, sv, TcpFlags::SYN, c.cseq, 0, &syn_opts, 0);
                started += 1;
                false
            }
            1 => {
                frame(
                    &mut buf,
                    sv,
                    cl,
                    TcpFlags::SYN | a,
                    c.sseq,
                    c.cseq.wrapping_add(1),
                    &syn_opts,
                    0,
                );
                c.cseq = c.cseq.wrapping_add(1);
                c.sseq = c.sseq.wrapping_add(1);
                false
            }
            2 => {
                frame(&mut buf, cl, sv, a, c.cseq, c.sseq, &[], 0);
                false
            }
            s if s < 3 + 2 * c.rounds => {
                if s % 2 == 1 {
                    let len = 50 + (next() % 400) as usize;
                    frame(&mut buf, cl, sv, a | TcpFlags::PSH, c.cseq, c.sseq, &[], len);
                    c.cseq = c.cseq.wrapping_add(len as u32);
                } else {
                    let len = 200 + (next() % 1261) as usize;
                    frame(&mut buf, sv, cl, a | TcpFlags::PSH, c.sseq, c.cseq, &[], len);
                    c.sseq = c.sseq.wrapping_add(len as u32);
                }
                false
            }
            s if s == 3 + 2 * c.rounds => {
                frame(&mut buf, cl, sv, a | TcpFlags::FIN, c.cseq, c.sseq, &[], 0);
                c.cseq = c.cseq.wrapping_add(1);
                false
            }
            s if s == 4 + 2 * c.rounds => {
                frame(&mut buf, sv, cl, a | TcpFlags::FIN, c.sseq, c.cseq, &[], 0);
                c.sseq = c.sseq.wrapping_add(1);
                false
            }
            _ => {
                frame(&mut buf, cl, sv, a, c.cseq, c.sseq, &[], 0);
                true
            }
        };
        c.step += 1;
        if done {
            conns[k] = new_conn(&mut next);
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
