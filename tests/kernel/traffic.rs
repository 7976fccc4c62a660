//! One side of a TCP scenario, played with the kernel's own stack: the kernel tests start
//! their own binary in a namespace for it (`traffic_role`, with `SYNACK_TRAFFIC` set to
//! `server|client ADDR:PORT SCENARIO`).
//!
//! Scenarios: `lab` (client sends "11111", server closes first), `client-close` (client
//! closes first), `refused` (client only: nobody listens), `abort` (client resets with
//! SO_LINGER 0), `bulk` (client sends 256 KiB, server answers "ok"; `bulk-5m` the same with 5 MiB), `half-close` (client
//! sends a request and its FIN, server answers 20 KiB after it, then closes), `unanswered`
//! (client only: SYNs to an address nobody answers, given up after 2.5 s), `reuse` (five
//! connections in a row from the same client port), `keepalive` (an idle connection with
//! 1-second keep-alives), `zero-window` (the server stops reading until its window is
//! zero), `midstream` (the client waits 1.5 s before sending, so a capture can start late),
//! `fastopen` (two connections with TCP Fast Open: a cookie request whose data goes on the
//! handshake's last ACK, then data on the SYN), `simultaneous-close` (after a one-byte exchange both sides send 6000 bytes and close at
//! once; with a slow queue on the link, the harness makes the two FINs cross), and four ways a
//! FIN and a RST meet: `fin-then-reset` (the client's data and FIN, the server closes without
//! reading: Linux's `tcp_close` answers unread data with a RST), `server-abort` (the server
//! resets with SO_LINGER 0), `data-after-close` (the server closes first; the client's data
//! after it reaches a closed socket, which answers with a RST: `TCPAbortOnData`) and
//! `fin-then-abort` (the client's FIN, the server's reply, then the client resets with
//! SO_LINGER 0 from FIN-WAIT-2).
//! Every wait is bounded: sockets time out after 5 s, and a server exits after its
//! connections.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);
const BULK: usize = 256 * 1024;

/// How long a socket waits: 5 s, or 30 s on the impaired path, where the kernel's
/// retransmission timer backs off to seconds when a retransmission is lost too.
fn timeout(scenario: &str) -> Duration {
    if scenario == "bulk-5m" {
        Duration::from_secs(30)
    } else {
        TIMEOUT
    }
}

/// What a bulk scenario sends: 256 KiB, or 5 MiB for `bulk-5m` (the impaired path's).
fn bulk_size(scenario: &str) -> usize {
    if scenario == "bulk-5m" { 5 << 20 } else { BULK }
}

fn read_to_eof(s: &mut TcpStream) -> std::io::Result<usize> {
    let mut buf = [0u8; 16384];
    let mut total = 0;
    loop {
        match s.read(&mut buf)? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

const REUSE: usize = 5;
/// Fast Open: the first connection asks for a cookie, the second sends its data on the SYN.
const FASTOPEN_ROUNDS: usize = 2;

/// Sets an integer socket option (Fast Open's have no wrapper in std or socket2).
fn set_int_option(s: &impl std::os::fd::AsRawFd, level: i32, name: i32, value: i32) -> std::io::Result<()> {
    // SAFETY: an initialised int of the size passed, on a descriptor the caller owns.
    let r = unsafe { libc::setsockopt(s.as_raw_fd(), level, name, (&value as *const i32).cast(), 4) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
const REUSE_PORT: u16 = 45000;

fn server(addr: SocketAddr, scenario: &str) -> std::io::Result<()> {
    let listener = if scenario == "zero-window" {
        // A small receive buffer, set before listening so the window scale stays small.
        let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
        sock.set_reuse_address(true)?;
        sock.set_recv_buffer_size(4096)?;
        sock.bind(&addr.into())?;
        sock.listen(8)?;
        TcpListener::from(sock)
    } else {
        TcpListener::bind(addr)?
    };
    if scenario == "fastopen" {
        set_int_option(&listener, libc::IPPROTO_TCP, libc::TCP_FASTOPEN, 8)?;
    }
    listener.set_nonblocking(true)?;
    // Announce readiness on stdout so the harness can start the client.
    println!("{LISTENING}");
    std::io::stdout().flush()?;
    let rounds = match scenario {
        "reuse" => REUSE,
        "fastopen" => FASTOPEN_ROUNDS,
        _ => 1,
    };
    for _ in 0..rounds {
        serve_one(&listener, scenario)?;
    }
    Ok(())
}

fn serve_one(listener: &TcpListener, scenario: &str) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut s, _) = loop {
        match listener.accept() {
            Ok(c) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => return Err(e),
        }
    };
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(timeout(scenario)))?;
    s.set_write_timeout(Some(timeout(scenario)))?;
    match scenario {
        "lab" | "dstopts" => {
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf)?;
            // Let the delayed ACK go out before the server closes, as in the lab.
            std::thread::sleep(Duration::from_millis(100));
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "client-close" | "keepalive" | "midstream" => {
            read_to_eof(&mut s)?;
            s.shutdown(Shutdown::Write)?;
        }
        "simultaneous-close" => both_close(&mut s)?,
        "fastopen" => {
            let mut req = [0u8; 5];
            s.read_exact(&mut req)?;
            s.write_all(b"ok")?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "half-close" => {
            read_to_eof(&mut s)?;
            // Data after the client's FIN, then our own FIN.
            s.write_all(&vec![0x33; 20 * 1024])?;
            std::thread::sleep(Duration::from_millis(20));
            s.shutdown(Shutdown::Write)?;
        }
        "reuse" => {
            let mut buf = [0u8; 2];
            s.read_exact(&mut buf)?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "zero-window" => {
            // Let the client fill our window, then drain everything.
            std::thread::sleep(Duration::from_millis(1500));
            read_to_eof(&mut s)?;
            s.shutdown(Shutdown::Write)?;
        }
        "abort" => {
            let _ = read_to_eof(&mut s);
        }
        "bulk" | "bulk-5m" => {
            let mut got = 0;
            let mut buf = [0u8; 65536];
            while got < bulk_size(scenario) {
                match s.read(&mut buf)? {
                    0 => break,
                    n => got += n,
                }
            }
            s.write_all(b"ok")?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        other => return serve_resets(s, other),
    }
    Ok(())
}

/// Whether an error is the peer's RST (the scenarios that end in one expect it).
fn reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
    )
}

/// Reads to the end, or to the peer's RST.
fn read_to_eof_or_reset(s: &mut TcpStream) -> std::io::Result<()> {
    match read_to_eof(s) {
        Err(e) if !reset(&e) => Err(e),
        _ => Ok(()),
    }
}

/// Closes with a RST (SO_LINGER 0).
fn abort(s: TcpStream) -> std::io::Result<()> {
    socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO))?;
    drop(s);
    Ok(())
}

/// The server's part of the FIN and RST scenarios.
fn serve_resets(mut s: TcpStream, scenario: &str) -> std::io::Result<()> {
    match scenario {
        "fin-then-reset" => {
            // The client's data and FIN arrive; closing with the data unread sends a RST.
            std::thread::sleep(Duration::from_millis(200));
            drop(s);
        }
        "server-abort" => {
            let mut buf = [0u8; 8];
            s.read_exact(&mut buf)?;
            std::thread::sleep(Duration::from_millis(50));
            abort(s)?;
        }
        "data-after-close" => {
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf)?;
            s.write_all(b"bye")?;
            // A full close: the socket is orphaned, and data after it is answered by a RST.
            drop(s);
            std::thread::sleep(Duration::from_millis(300));
        }
        "fin-then-abort" => {
            read_to_eof(&mut s)?;
            s.write_all(b"ok")?;
            // Stay open (CLOSE-WAIT, no FIN) until the client's RST has come.
            std::thread::sleep(Duration::from_millis(300));
        }
        other => return Err(std::io::Error::other(format!("unknown scenario {other}"))),
    }
    Ok(())
}

/// The client's part of the FIN and RST scenarios.
fn client_resets(addr: SocketAddr, scenario: &str) -> std::io::Result<()> {
    let mut s = connect(addr)?;
    match scenario {
        "fin-then-reset" => {
            s.write_all(b"never read")?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof_or_reset(&mut s)?;
        }
        "server-abort" => {
            s.write_all(b"abort-me")?;
            read_to_eof_or_reset(&mut s)?;
        }
        "data-after-close" => {
            s.write_all(b"hello")?;
            read_to_eof(&mut s)?;
            std::thread::sleep(Duration::from_millis(50));
            s.write_all(b"late")?;
            std::thread::sleep(Duration::from_millis(100));
            read_to_eof_or_reset(&mut s)?;
        }
        "fin-then-abort" => {
            s.write_all(b"bye")?;
            s.shutdown(Shutdown::Write)?;
            let mut reply = [0u8; 2];
            s.read_exact(&mut reply)?;
            std::thread::sleep(Duration::from_millis(50));
            abort(s)?;
        }
        other => return Err(std::io::Error::other(format!("unknown scenario {other}"))),
    }
    Ok(())
}

/// Both sides: exchange one byte, then send 6000 bytes and close without waiting.
fn both_close(s: &mut TcpStream) -> std::io::Result<()> {
    s.write_all(b"g")?;
    let mut b = [0u8; 1];
    s.read_exact(&mut b)?;
    s.write_all(&[0x55; 6000])?;
    s.shutdown(Shutdown::Write)?;
    read_to_eof(s)?;
    Ok(())
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    Ok(s)
}

/// Connects over IPv6 with a destination options header on every segment sent (RFC 3542's
/// `IPV6_DSTOPTS`: a PadN option filling 8 bytes; the kernel writes the next header).
fn connect_with_dstopts(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)?;
    let opts: [u8; 8] = [0, 0, 1, 4, 0, 0, 0, 0];
    use std::os::fd::AsRawFd;
    // SAFETY: a valid socket, a pointer to 8 initialised bytes and their length.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_DSTOPTS,
            opts.as_ptr().cast(),
            opts.len() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    sock.connect_timeout(&addr.into(), TIMEOUT)?;
    let s = TcpStream::from(sock);
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    Ok(s)
}

fn client(addr: SocketAddr, scenario: &str) -> std::io::Result<()> {
    match scenario {
        "lab" | "dstopts" => {
            let mut s = if scenario == "dstopts" {
                connect_with_dstopts(addr)?
            } else {
                connect(addr)?
            };
            std::thread::sleep(Duration::from_millis(50));
            s.write_all(b"11111")?;
            read_to_eof(&mut s)?;
            std::thread::sleep(Duration::from_millis(20));
            s.shutdown(Shutdown::Write)?;
        }
        "client-close" => {
            let mut s = connect(addr)?;
            s.write_all(b"hello from the client")?;
            std::thread::sleep(Duration::from_millis(50));
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "refused" => match connect(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(e),
            Ok(_) => return Err(std::io::Error::other("connection was accepted")),
        },
        "abort" => {
            let s = connect(addr)?;
            let mut s2 = s.try_clone()?;
            s2.write_all(b"abort")?;
            std::thread::sleep(Duration::from_millis(50));
            let sock = socket2::SockRef::from(&s);
            sock.set_linger(Some(Duration::ZERO))?;
            drop(s2);
            drop(s);
        }
        "simultaneous-close" => {
            let mut s = connect(addr)?;
            both_close(&mut s)?;
        }
        "half-close" => {
            let mut s = connect(addr)?;
            s.write_all(b"GET /after-my-fin")?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        other => return client_more(addr, other),
    }
    Ok(())
}

/// The client's part of the scenarios `client` leaves to it.
fn client_more(addr: SocketAddr, scenario: &str) -> std::io::Result<()> {
    match scenario {
        "unanswered" => match TcpStream::connect_timeout(&addr, Duration::from_millis(2500)) {
            Err(_) => {}
            Ok(_) => return Err(std::io::Error::other("an unanswered SYN was answered")),
        },
        "fastopen" => client_fastopen(addr)?,
        "reuse" => client_reuse(addr)?,
        "keepalive" => {
            let mut s = connect(addr)?;
            let ka = socket2::TcpKeepalive::new()
                .with_time(Duration::from_secs(1))
                .with_interval(Duration::from_secs(1));
            socket2::SockRef::from(&s).set_tcp_keepalive(&ka)?;
            s.write_all(b"ping")?;
            std::thread::sleep(Duration::from_millis(2600));
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "zero-window" => {
            let mut s = connect(addr)?;
            let block = vec![0x7a_u8; 16384];
            for _ in 0..32 {
                s.write_all(&block)?;
            }
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "midstream" => {
            let mut s = connect(addr)?;
            std::thread::sleep(Duration::from_millis(1500));
            s.write_all(b"data the capture sees")?;
            std::thread::sleep(Duration::from_millis(50));
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "bulk" | "bulk-5m" => {
            let mut s = connect(addr)?;
            s.set_read_timeout(Some(timeout(scenario)))?;
            s.set_write_timeout(Some(timeout(scenario)))?;
            let block = vec![0x5a_u8; 16384];
            for _ in 0..bulk_size(scenario) / block.len() {
                s.write_all(&block)?;
            }
            let mut reply = [0u8; 2];
            s.read_exact(&mut reply)?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        other => return client_resets(addr, other),
    }
    Ok(())
}

/// Fast Open rounds: the first asks for a cookie, the later ones send data on their SYN.
fn client_fastopen(addr: SocketAddr) -> std::io::Result<()> {
    for _ in 0..FASTOPEN_ROUNDS {
        let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
        set_int_option(&sock, libc::IPPROTO_TCP, libc::TCP_FASTOPEN_CONNECT, 1)?;
        sock.connect_timeout(&addr.into(), TIMEOUT)?;
        let mut s = TcpStream::from(sock);
        s.set_read_timeout(Some(TIMEOUT))?;
        // With a cookie this goes on the SYN; without, on the handshake's last ACK.
        s.write_all(b"hello")?;
        let mut reply = [0u8; 2];
        s.read_exact(&mut reply)?;
        s.shutdown(Shutdown::Write)?;
        read_to_eof(&mut s)?;
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Connections from one client port, one after the other (the port reused each time).
fn client_reuse(addr: SocketAddr) -> std::io::Result<()> {
    for _ in 0..REUSE {
        let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
        sock.set_reuse_address(true)?;
        let any: std::net::IpAddr = if addr.is_ipv6() {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        };
        let local = SocketAddr::new(any, REUSE_PORT);
        sock.bind(&local.into())?;
        sock.connect_timeout(&addr.into(), TIMEOUT)?;
        let mut s = TcpStream::from(sock);
        s.set_read_timeout(Some(TIMEOUT))?;
        s.write_all(b"hi")?;
        read_to_eof(&mut s)?;
        s.shutdown(Shutdown::Write)?;
        // The server closed first, so this side ends in CLOSED, not TIME-WAIT.
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The environment variable that names the role: `server|client ADDR:PORT SCENARIO`.
pub(crate) const ROLE_VAR: &str = "SYNACK_TRAFFIC";

/// What the server prints once it listens.
pub(crate) const LISTENING: &str = "synack-traffic: listening";

/// Plays the role `spec` names (the value of [`ROLE_VAR`]).
pub(crate) fn play_role(spec: &str) -> std::io::Result<()> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [side, addr, scenario] = words[..] else {
        return Err(std::io::Error::other(format!(
            "{ROLE_VAR}: want `server|client ADDR:PORT SCENARIO`, got {spec:?}"
        )));
    };
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| std::io::Error::other(format!("{ROLE_VAR}: address {addr}: {e}")))?;
    match side {
        "server" => server(addr, scenario),
        "client" => client(addr, scenario),
        _ => Err(std::io::Error::other(format!(
            "{ROLE_VAR}: side must be server or client, not {side}"
        ))),
    }
}
