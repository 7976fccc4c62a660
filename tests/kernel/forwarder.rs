//! A userspace impairment forwarder (this kernel has no netem): a thread in the middle
//! namespace bridges two veth ends with AF_PACKET sockets and drops, duplicates and
//! reorders the TCP segments it carries, each choice from a seeded generator. SYNs and
//! everything that is not TCP (ARP, neighbour discovery) pass untouched, so the handshake
//! does not wait on a 1-second SYN timer. Bounded in time and in frames.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::rng::Rng;

/// How often each impairment is applied to a TCP segment without SYN, in parts per
/// thousand; a reordered segment is held until the next frame the same way (at most 5 ms).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rates {
    pub drop: u32,
    pub duplicate: u32,
    pub reorder: u32,
}

/// What the forwarder did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Done {
    pub forwarded: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

/// The most frames one run forwards, and the longest it runs.
const MAX_FRAMES: u64 = 400_000;
const MAX_TIME: Duration = Duration::from_secs(90);
const HOLD: Duration = Duration::from_millis(5);

/// The forwarder running in its thread; [`Forwarder::stop`] ends it and says what it did.
pub(crate) struct Forwarder {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<std::io::Result<Done>>,
}

impl Forwarder {
    /// Starts forwarding between `a` and `b`, interfaces of namespace `ns`, once both
    /// sockets are bound.
    pub(crate) fn start(ns: &str, a: &str, b: &str, rates: Rates, seed: u64) -> Forwarder {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (ns, a, b) = (ns.to_string(), a.to_string(), b.to_string());
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let socks = enter_netns(&ns).and_then(|()| Ok([packet_socket(&a)?, packet_socket(&b)?]));
            let socks = match socks {
                Ok(s) => {
                    let _ = ready_tx.send(Ok(()));
                    s
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return Err(e);
                }
            };
            run(&socks, rates, Rng::new(seed), &flag)
        });
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("forwarder: {e}"),
            Err(e) => panic!("forwarder: {e}"),
        }
        Forwarder { stop, thread }
    }

    /// Stops the forwarder; returns what it did.
    pub(crate) fn stop(self) -> Done {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("forwarder thread").expect("forwarder")
    }
}

/// Moves this thread (only) into network namespace `ns`.
fn enter_netns(ns: &str) -> std::io::Result<()> {
    let f = std::fs::File::open(format!("/run/netns/{ns}"))?;
    // SAFETY: setns on a valid descriptor of a namespace file; it affects this thread only.
    if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn check(r: libc::c_int) -> std::io::Result<libc::c_int> {
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A raw packet socket bound to interface `name`, non-blocking, not seeing its own
/// transmissions, with a large receive buffer.
fn packet_socket(name: &str) -> std::io::Result<OwnedFd> {
    let proto = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: plain socket calls on a descriptor this function owns; the address and option
    // values are initialised locals of the sizes passed.
    unsafe {
        let fd = check(libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            i32::from(proto),
        ))?;
        let fd = OwnedFd::from_raw_fd(fd);
        let cname = CString::new(name).map_err(std::io::Error::other)?;
        let index = libc::if_nametoindex(cname.as_ptr());
        if index == 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut sll: libc::sockaddr_ll = std::mem::zeroed();
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = index as i32;
        check(libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        ))?;
        let one: libc::c_int = 1;
        check(libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_IGNORE_OUTGOING,
            (&one as *const libc::c_int).cast(),
            4,
        ))?;
        let buf: libc::c_int = 16 << 20;
        check(libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&buf as *const libc::c_int).cast(),
            4,
        ))?;
        Ok(fd)
    }
}

/// Whether the forwarder may impair an Ethernet frame: TCP over IPv4 or IPv6 (no
/// extension header), without SYN.
fn impairable(f: &[u8]) -> bool {
    let tcp_at = match f.get(12..14) {
        Some([0x08, 0x00]) if f.get(23) == Some(&6) => 14 + usize::from(f.get(14).map_or(0, |b| b & 0x0f)) * 4,
        Some([0x86, 0xdd]) if f.get(20) == Some(&6) => 54,
        _ => return false,
    };
    f.get(tcp_at + 13).is_some_and(|flags| flags & 0x02 == 0)
}

fn send(fd: &OwnedFd, frame: &[u8]) {
    // SAFETY: the buffer is valid for its length. A frame the kernel refuses (a full queue)
    // is lost, as on a congested link.
    unsafe {
        libc::send(fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0);
    }
}

/// Forwards until `stop`, or the bounds.
fn run(socks: &[OwnedFd; 2], rates: Rates, mut rng: Rng, stop: &AtomicBool) -> std::io::Result<Done> {
    let mut done = Done::default();
    let mut held: [Option<(Vec<u8>, Instant)>; 2] = [None, None];
    let start = Instant::now();
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) && start.elapsed() < MAX_TIME && done.forwarded < MAX_FRAMES {
        let mut fds = socks.each_ref().map(|s| libc::pollfd {
            fd: s.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        // SAFETY: two initialised pollfd structures.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, 1) };
        for from in 0..2 {
            let out = &socks[1 - from];
            loop {
                // SAFETY: the buffer is valid for its length.
                let n = unsafe { libc::recv(socks[from].as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
                if n <= 0 {
                    break;
                }
                let frame = &buf[..n as usize];
                done.forwarded += 1;
                let r = if impairable(frame) { rng.below(1000) } else { 1000 };
                if r < rates.drop {
                    done.dropped += 1;
                    continue;
                }
                if r < rates.drop + rates.duplicate {
                    done.duplicated += 1;
                    send(out, frame);
                } else if r < rates.drop + rates.duplicate + rates.reorder && held[from].is_none() {
                    done.reordered += 1;
                    held[from] = Some((frame.to_vec(), Instant::now()));
                    continue;
                }
                send(out, frame);
                if let Some((h, _)) = held[from].take() {
                    send(out, &h);
                }
            }
            if held[from].as_ref().is_some_and(|(_, t)| t.elapsed() >= HOLD) {
                let (h, _) = held[from].take().unwrap();
                send(out, &h);
            }
        }
    }
    for (from, h) in held.iter_mut().enumerate() {
        if let Some((h, _)) = h.take() {
            send(&socks[1 - from], &h);
        }
    }
    Ok(done)
}
