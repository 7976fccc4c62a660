//! Flow keys, endpoints and directions.
//!
//! The public types ([`Endpoint`], [`FlowKey`], [`ConnKey`]) hold any IP address. Inside, the
//! tracker keeps a connection's endpoints packed per address family ([`Packed`], one integer
//! each for IPv4), so that its table compares and hashes keys in one step and its connections
//! stay small; it makes the public values when it reports.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr};

use super::addrs::V6Addrs;
use crate::wire::Frame;

/// One end of a TCP connection: an IP address and a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// The IP address.
    pub addr: IpAddr,
    /// The TCP port.
    pub port: u16,
}

impl Endpoint {
    /// Returns an endpoint.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use synack::track::Endpoint;
    ///
    /// let e = Endpoint::new(Ipv4Addr::new(10, 7, 92, 174), 1005);
    /// assert_eq!(e.to_string(), "10.7.92.174:1005");
    /// assert_eq!(e, Endpoint::v4(Ipv4Addr::new(10, 7, 92, 174), 1005));
    /// ```
    pub fn new(addr: impl Into<IpAddr>, port: u16) -> Self {
        Endpoint {
            addr: addr.into(),
            port,
        }
    }

    /// Returns an IPv4 endpoint (in constants).
    pub const fn v4(addr: Ipv4Addr, port: u16) -> Self {
        Endpoint {
            addr: IpAddr::V4(addr),
            port,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

/// The key of a connection: its two endpoints, the same for both directions.
///
/// The endpoints are stored in a fixed order (the smaller first), so a frame and its reply
/// give equal keys and equal [`FlowKey::symmetric_hash`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    low: Endpoint,
    high: Endpoint,
}

impl FlowKey {
    /// Returns the key of the connection between `a` and `b`, in either order.
    pub fn new(a: Endpoint, b: Endpoint) -> Self {
        FlowKey {
            low: a.min(b),
            high: a.max(b),
        }
    }

    /// Returns the frame's source and destination endpoints, when it carries a TCP header.
    pub fn endpoints_of(frame: &Frame<'_>) -> Option<(Endpoint, Endpoint)> {
        let ((s, d), tcp) = (frame.ip_addrs()?, frame.tcp.as_ref()?);
        Some((Endpoint::new(s, tcp.src_port), Endpoint::new(d, tcp.dst_port)))
    }

    /// Returns the key of the frame's connection, when it carries a TCP header.
    pub fn of(frame: &Frame<'_>) -> Option<Self> {
        Self::endpoints_of(frame).map(|(s, d)| FlowKey::new(s, d))
    }

    /// Returns the two endpoints, the smaller first.
    pub fn endpoints(&self) -> (Endpoint, Endpoint) {
        (self.low, self.high)
    }

    /// Returns a hash of the key that does not depend on the direction and is the same in
    /// every process: use it to spread connections over shards (threads), so that both
    /// directions of a connection land on the same shard. It is not keyed, so do not use it
    /// for a hash table that faces untrusted input (the tracker keys its own table at random).
    pub fn symmetric_hash(&self) -> u64 {
        match (Packed::of(self.low), Packed::of(self.high)) {
            (Some(a), Some(b)) => PackedFlow::new(a, b).symmetric_hash(),
            _ => {
                // Any other family: the same mixer over each endpoint folded to 64 bits.
                let fold = |e: Endpoint| match e.addr {
                    IpAddr::V4(a) => (u64::from(a.to_bits()) << 16) | u64::from(e.port),
                    IpAddr::V6(a) => {
                        let b = a.to_bits();
                        ((b >> 64) as u64 ^ b as u64).rotate_left(16) ^ u64::from(e.port)
                    }
                };
                mix(fold(self.low), fold(self.high))
            }
        }
    }

    /// The key as the tracker keeps it, for the families it keeps.
    pub(crate) fn packed(&self) -> Option<PackedFlow> {
        Some(PackedFlow::new(Packed::of(self.low)?, Packed::of(self.high)?))
    }
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <-> {}", self.low, self.high)
    }
}

/// Two rounds of a multiply-xorshift mixer (splitmix64's finaliser) over both halves.
fn mix(a: u64, b: u64) -> u64 {
    let mut h = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b;
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// An IPv4 endpoint as one integer, `address << 16 | port`, which orders as the endpoint does
/// (address, then port) and compares and hashes in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Packed(u64);

impl Packed {
    #[inline]
    pub(crate) fn v4(addr: Ipv4Addr, port: u16) -> Packed {
        Packed((u64::from(addr.to_bits()) << 16) | u64::from(port))
    }

    pub(crate) fn of(e: Endpoint) -> Option<Packed> {
        match e.addr {
            IpAddr::V4(a) => Some(Packed::v4(a, e.port)),
            IpAddr::V6(_) => None,
        }
    }

    /// The bit that marks an IPv6 endpoint, whose address bits hold the index of its address
    /// in the tracker's [`V6Addrs`].
    const V6: u64 = 1 << 48;

    /// An IPv6 endpoint whose address is at index `i` of the tracker's addresses.
    #[inline]
    pub(crate) fn v6(i: u32, port: u16) -> Packed {
        Packed(Self::V6 | (u64::from(i) << 16) | u64::from(port))
    }

    /// Whether it is an IPv6 endpoint.
    #[inline]
    pub(crate) fn is_v6(self) -> bool {
        self.0 & Self::V6 != 0
    }

    /// The address bits: an IPv4 address, or an IPv6 address's index.
    #[inline]
    pub(crate) fn addr_bits(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// The public endpoint, the IPv6 addresses read from `v6`.
    pub(crate) fn endpoint(self, v6: &V6Addrs) -> Endpoint {
        if self.is_v6() {
            Endpoint::new(v6.get(self.addr_bits()), self.port())
        } else {
            self.public()
        }
    }

    /// Returns the frame's source and destination, when it carries a TCP header.
    #[inline]
    pub(crate) fn endpoints_of(frame: &Frame<'_>) -> Option<(Packed, Packed)> {
        let ip = frame.ipv4.as_ref()?;
        let tcp = frame.tcp.as_ref()?;
        Some((Packed::v4(ip.src, tcp.src_port), Packed::v4(ip.dst, tcp.dst_port)))
    }

    /// Returns the port.
    #[inline]
    pub(crate) fn port(self) -> u16 {
        self.0 as u16
    }

    /// The public endpoint of an IPv4 endpoint.
    pub(crate) fn public(self) -> Endpoint {
        Endpoint::v4(Ipv4Addr::from_bits(self.addr_bits()), self.0 as u16)
    }
}

/// A flow key as the tracker keeps it: two packed endpoints, the smaller first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PackedFlow {
    low: u64,
    high: u64,
}

impl PackedFlow {
    #[inline]
    pub(crate) fn new(a: Packed, b: Packed) -> Self {
        PackedFlow {
            low: a.0.min(b.0),
            high: a.0.max(b.0),
        }
    }

    /// [`FlowKey::symmetric_hash`] of this key.
    #[inline]
    pub(crate) fn symmetric_hash(&self) -> u64 {
        mix(self.low, self.high)
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

/// A packed endpoint stored in 6 bytes (2-byte aligned), so that a connection keeps its two
/// endpoints in 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored([u16; 3]);

impl Stored {
    #[inline]
    fn from(p: Packed) -> Stored {
        Stored([(p.0 >> 32) as u16, (p.0 >> 16) as u16, p.0 as u16])
    }

    /// The packed endpoint (the family is not stored: `v6` gives it).
    #[inline(always)]
    fn get(self, v6: bool) -> Packed {
        let [a, b, c] = self.0;
        Packed((u64::from(v6) << 48) | (u64::from(a) << 32) | (u64::from(b) << 16) | u64::from(c))
    }
}

/// A connection's endpoints with their roles, as the tracker keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedKey {
    client: Stored,
    server: Stored,
}

impl PackedKey {
    /// Returns the key of a connection from `client` to `server`.
    #[inline]
    pub(crate) fn new(client: Packed, server: Packed) -> Self {
        PackedKey {
            client: Stored::from(client),
            server: Stored::from(server),
        }
    }

    /// Returns the direction of a segment sent from `src`.
    #[inline]
    pub(crate) fn direction_from(&self, src: Packed) -> Direction {
        // Both endpoints are of one family: the 48 stored bits tell them apart.
        if self.client.get(false).0 == src.0 & !Packed::V6 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    /// Returns the key with the roles swapped.
    pub(crate) fn flipped(self) -> PackedKey {
        PackedKey {
            client: self.server,
            server: self.client,
        }
    }

    /// Returns the flow key (the roles forgotten) of a connection of IPv6 (`v6`) or IPv4.
    #[inline]
    pub(crate) fn flow(&self, v6: bool) -> PackedFlow {
        PackedFlow::new(self.client.get(v6), self.server.get(v6))
    }

    /// Returns the client's and the server's packed endpoints.
    pub(crate) fn ends(&self, v6: bool) -> (Packed, Packed) {
        (self.client.get(v6), self.server.get(v6))
    }

    /// Returns the public key, the IPv6 addresses (when `v6` is given) read from it.
    pub(crate) fn public(&self, v6: Option<&V6Addrs>) -> ConnKey {
        let (c, s) = self.ends(v6.is_some());
        match v6 {
            Some(t) => ConnKey {
                client: c.endpoint(t),
                server: s.endpoint(t),
            },
            None => ConnKey {
                client: c.public(),
                server: s.public(),
            },
        }
    }
}
