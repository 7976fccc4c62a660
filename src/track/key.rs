//! Flow keys, endpoints and directions.

use core::fmt;
use core::net::Ipv4Addr;

use crate::wire::Frame;

/// One end of a TCP connection: an IPv4 address and a port.
#[derive(Debug, Clone, Copy, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    /// The IPv4 address.
    pub addr: Ipv4Addr,
    /// The TCP port.
    pub port: u16,
}

impl Endpoint {
    /// Returns an endpoint.
    pub const fn new(addr: Ipv4Addr, port: u16) -> Self {
        Endpoint { addr, port }
    }
}

impl PartialEq for Endpoint {
    /// Equal when address and port are (compared as one integer: the tracker asks several
    /// times a packet).
    #[inline]
    fn eq(&self, other: &Endpoint) -> bool {
        pack(*self) == pack(*other)
    }
}

impl core::hash::Hash for Endpoint {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(pack(*self));
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.addr, self.port)
    }
}

/// The key of a connection: its two endpoints, the same for both directions.
///
/// The endpoints are stored in a fixed order (the smaller first), so a frame and its reply
/// give equal keys and equal [`FlowKey::symmetric_hash`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    // Each endpoint packed as `address << 16 | port`: integers order as the endpoints do
    // (address, then port), and compare and hash in one step each.
    low: u64,
    high: u64,
}

/// An endpoint as one integer that orders as the endpoint does.
#[inline]
fn pack(e: Endpoint) -> u64 {
    (u64::from(e.addr.to_bits()) << 16) | u64::from(e.port)
}

#[inline]
fn unpack(v: u64) -> Endpoint {
    Endpoint::new(Ipv4Addr::from_bits((v >> 16) as u32), v as u16)
}

impl FlowKey {
    /// Returns the key of the connection between `a` and `b`, in either order.
    #[inline]
    pub fn new(a: Endpoint, b: Endpoint) -> Self {
        let (a, b) = (pack(a), pack(b));
        FlowKey {
            low: a.min(b),
            high: a.max(b),
        }
    }

    /// Returns the frame's source and destination endpoints, when it carries a TCP header.
    pub fn endpoints_of(frame: &Frame<'_>) -> Option<(Endpoint, Endpoint)> {
        let ip = frame.ipv4.as_ref()?;
        let tcp = frame.tcp.as_ref()?;
        Some((Endpoint::new(ip.src, tcp.src_port), Endpoint::new(ip.dst, tcp.dst_port)))
    }

    /// Returns the key of the frame's connection, when it carries a TCP header.
    pub fn of(frame: &Frame<'_>) -> Option<Self> {
        Self::endpoints_of(frame).map(|(s, d)| FlowKey::new(s, d))
    }

    /// Returns the two endpoints, the smaller first.
    pub fn endpoints(&self) -> (Endpoint, Endpoint) {
        (unpack(self.low), unpack(self.high))
    }

    /// Returns a hash of the key that does not depend on the direction and is the same in
    /// every process: use it to spread connections over shards (threads), so that both
    /// directions of a connection land on the same shard. It is not keyed, so do not use it
    /// for a hash table that faces untrusted input (the tracker keys its own table at random).
    pub fn symmetric_hash(&self) -> u64 {
        let (a, b) = (self.low, self.high);
        // Two rounds of a multiply-xorshift mixer (splitmix64's finaliser) over both halves.
        let mut h = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b;
        h ^= h >> 30;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 27;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <-> {}", unpack(self.low), unpack(self.high))
    }
}

/// The direction a segment travels, relative to the connection's roles.
///
/// The client (Zeek's originator) is the endpoint that sent the first SYN; when no SYN was
/// seen, the roles are inferred as Zeek does (see [`crate::track`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (originator) to the server (responder).
    ClientToServer,
    /// From the server (responder) to the client (originator).
    ServerToClient,
}

impl Direction {
    /// Returns the opposite direction.
    #[inline]
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// Returns 0 for the client's direction and 1 for the server's.
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        }
    }

    /// Returns the name of the sending side: `client` or `server`.
    pub fn sender(self) -> &'static str {
        match self {
            Direction::ClientToServer => "client",
            Direction::ServerToClient => "server",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::ClientToServer => "client->server",
            Direction::ServerToClient => "server->client",
        })
    }
}

/// A connection's endpoints with their roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnKey {
    /// The client (Zeek's originator, `id.orig_h`/`id.orig_p`).
    pub client: Endpoint,
    /// The server (Zeek's responder, `id.resp_h`/`id.resp_p`).
    pub server: Endpoint,
}

impl ConnKey {
    /// Returns the direction of a segment sent from `src`.
    pub fn direction_from(&self, src: Endpoint) -> Direction {
        if src == self.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    /// Returns the key with the roles swapped.
    pub fn flipped(self) -> ConnKey {
        ConnKey {
            client: self.server,
            server: self.client,
        }
    }

    /// Returns the flow key (the roles forgotten).
    pub fn flow(&self) -> FlowKey {
        FlowKey::new(self.client, self.server)
    }
}

impl fmt::Display for ConnKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.client, self.server)
    }
}
