//! Plays one side of a TCP scenario with the kernel's own stack, for the capture tests.
//!
//! ```text
//! traffic server ADDR:PORT SCENARIO     # accept one connection and play the server's part
//! traffic client ADDR:PORT SCENARIO     # connect and play the client's part
//! ```
//!
//! Scenarios: `lab` (client sends "11111", server closes first), `client-close` (client
//! closes first), `refused` (client only: nobody listens), `abort` (client resets with
//! SO_LINGER 0), `bulk` (client sends 256 KiB, server answers "ok"). Every wait is bounded:
//! sockets time out after 5 s, and a server exits after one connection.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);
const BULK: usize = 256 * 1024;

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

fn server(addr: SocketAddr, scenario: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    // Announce readiness on stdout so the harness can start the client.
    println!("listening");
    std::io::stdout().flush()?;
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
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    match scenario {
        "lab" => {
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf)?;
            // Let the delayed ACK go out before the server closes, as in the lab.
            std::thread::sleep(Duration::from_millis(100));
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        "client-close" => {
            read_to_eof(&mut s)?;
            s.shutdown(Shutdown::Write)?;
        }
        "abort" => {
            let _ = read_to_eof(&mut s);
        }
        "bulk" => {
            let mut got = 0;
            let mut buf = [0u8; 65536];
            while got < BULK {
                match s.read(&mut buf)? {
                    0 => break,
                    n => got += n,
                }
            }
            s.write_all(b"ok")?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        other => return Err(std::io::Error::other(format!("unknown scenario {other}"))),
    }
    Ok(())
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    Ok(s)
}

fn client(addr: SocketAddr, scenario: &str) -> std::io::Result<()> {
    match scenario {
        "lab" => {
            let mut s = connect(addr)?;
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
        "bulk" => {
            let mut s = connect(addr)?;
            let block = vec![0x5a_u8; 16384];
            for _ in 0..BULK / block.len() {
                s.write_all(&block)?;
            }
            let mut reply = [0u8; 2];
            s.read_exact(&mut reply)?;
            s.shutdown(Shutdown::Write)?;
            read_to_eof(&mut s)?;
        }
        other => return Err(std::io::Error::other(format!("unknown scenario {other}"))),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [role, addr, scenario] = &args[..] else {
        eprintln!("usage: traffic server|client ADDR:PORT SCENARIO");
        return ExitCode::from(2);
    };
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        eprintln!("bad address {addr}");
        return ExitCode::from(2);
    };
    let r = match role.as_str() {
        "server" => server(addr, scenario),
        "client" => client(addr, scenario),
        _ => Err(std::io::Error::other("role must be server or client")),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("traffic {role} {scenario}: {e}");
            ExitCode::FAILURE
        }
    }
}
