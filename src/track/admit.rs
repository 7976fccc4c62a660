//! How a segment finds its connection: the table's key for it (IPv4 endpoints packed, IPv6
//! addresses through the tracker's address table), the live connection or a new one (Zeek's
//! port-reuse rule, the likely-server-port flip, eviction at the cap).

use core::net::IpAddr;

use super::conn::{Conn, HistShape, Marks, V6_TAG};
use super::event::{CloseCause, Event, EventKind, Roles};
use super::key::{Direction, Endpoint, FlowKey, Packed, PackedFlow, PackedKey};
use super::state::TcpState;
use super::zeek::ZeekConn;
use super::{SeqState, Tracker};
use crate::Timestamp;
use crate::wire::TcpFlags;

/// A segment's sender and receiver: IPv4 endpoints packed as the table keeps them, or IPv6
/// ones, packed once their addresses are in the tracker's [`V6Addrs`].
/// The IPv6 endpoints are borrowed, so that the IPv4 case stays two words.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ends<'e> {
    V4(Packed, Packed),
    V6(&'e [Endpoint; 2]),
}

impl<'e> Ends<'e> {
    #[inline]
    pub(super) fn of(ends: &'e [Endpoint; 2]) -> Ends<'e> {
        match (Packed::of(ends[0]), Packed::of(ends[1])) {
            (Some(s), Some(d)) => Ends::V4(s, d),
            _ => Ends::V6(ends),
        }
    }
}

impl Tracker {
    /// The flow key as the table keeps it; `None` for IPv6 endpoints whose addresses no
    /// connection in the table uses.
    pub(super) fn packed_flow(&self, key: &FlowKey) -> Option<PackedFlow> {
        if let Some(flow) = key.packed() {
            return Some(flow);
        }
        let pack = |e: Endpoint| match e.addr {
            IpAddr::V6(a) => Some(Packed::v6(self.v6.find(a)?, e.port)),
            IpAddr::V4(_) => None,
        };
        let (a, b) = key.endpoints();
        Some(PackedFlow::new(pack(a)?, pack(b)?))
    }

    fn is_likely_server_port(&self, p: u16) -> bool {
        self.likely_ports[usize::from(p) / 64] & (1 << (p % 64)) != 0
    }

    /// Returns the connection a segment at `now` belongs to, unless it was idle past its
    /// phase's timeout: then it ends there, whenever the last sweep was, and the segment
    /// starts a new one. Zeek's `Session::InactivityTimer` (src/session/Session.cc) removes a
    /// session once `last_time + inactivity_timeout <= t` as packet time passes; here, as in
    /// `expire`, an idle time equal to the timeout still counts as live.
    #[inline(always)]
    pub(super) fn find_live(&mut self, flow: PackedFlow, now: Timestamp) -> Option<u32> {
        let i = self.table.find(flow)?;
        // Zeek's timers, dispatched before the packet (see `ZeekTimers`).
        match self.zeek_removal(i, now) {
            Some(None) => return Some(i),
            Some(Some(at)) => {
                self.time_out_at(i, at.timestamp());
                return None;
            }
            None => {}
        }
        let c = self.table.get(i);
        let phase = c.marks.phase() as usize;
        // In nanoseconds, the timeouts converted once (`timeout_nanos`).
        if crate::Nanos::from(now).get().saturating_sub(c.last.get()) <= self.timeout_nanos[phase] {
            return Some(i);
        }
        self.time_out(i, self.timeouts()[phase]);
        None
    }

    fn evict_one(&mut self, now: Timestamp) {
        if let Some(i) = self.table.least_recent() {
            if self.table.get(i).closed.is_none() {
                self.stats.evicted += 1;
            }
            self.remove(i, Some(CloseCause::Evicted), now);
        }
    }

    fn create(&mut self, src: Packed, dst: Packed, flags: TcpFlags, ts: Timestamp) -> u32 {
        if self.table.len() >= self.config.max_connections.max(1) {
            self.evict_one(ts);
        }
        // Zeek's WantConnection: a first frame that is not a pure SYN may be flipped by port.
        let pure_syn = flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN;
        let mut roles = if pure_syn { Roles::FromSyn } else { Roles::Guessed };
        let mut key = PackedKey::new(src, dst);
        if !pure_syn && self.is_likely_server_port(src.port()) {
            let flip = if self.is_likely_server_port(dst.port()) {
                !flags.contains(TcpFlags::SYN) && src.port() < dst.port()
            } else {
                true
            };
            if flip {
                key = key.flipped();
                roles = Roles::GuessedFromPort;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.stats.connections += 1;
        // Zeek's history starts with `^` after a flip by port.
        let mut marks = Marks::default();
        marks.set_last_dir(key.direction_from(src));
        if roles == Roles::GuessedFromPort {
            marks.set_hist(HistShape::Other);
        }
        let tag = if src.is_v6() { id | V6_TAG } else { id };
        let conn = Conn::new(tag, key, crate::Nanos::from(ts), roles, marks);
        let i = self.table.insert(conn);
        if self.config.analyze_sequence_numbers {
            let seq = SeqState::default();
            match self.seqs.get_mut(i as usize) {
                Some(s) => *s = seq,
                None => self.seqs.push(seq),
            }
        }
        if let Some(streams) = &mut self.streams {
            streams.open(i);
        }
        if self.config.conn_summaries {
            let mut zeek = ZeekConn::new(ts).with_settings(&self.config.zeek);
            if roles == Roles::GuessedFromPort {
                zeek.flip();
            }
            match self.zeeks.get_mut(i as usize) {
                Some(z) => *z = zeek,
                None => self.zeeks.push(zeek),
            }
        }
        self.events.push(Event {
            conn: id,
            key: key.public(src.is_v6().then_some(&self.v6)),
            timestamp: ts,
            direction: key.direction_from(src),
            frame: self.stats.frames,
            kind: EventKind::New { roles },
        });
        i
    }

    /// The connection of a segment from `src` to `dst`: the live one, or a new one (when
    /// there is none, or the segment starts a new one on the key).
    #[inline(always)]
    pub(super) fn find_or_create(&mut self, src: Packed, dst: Packed, flags: TcpFlags, seq: u32, ts: Timestamp) -> u32 {
        match self.find_live(PackedFlow::new(src, dst), ts) {
            Some(i) if self.is_reuse(i, src, flags, seq) => {
                self.remove(i, None, ts);
                self.create(src, dst, flags, ts)
            }
            Some(i) => i,
            None => self.create(src, dst, flags, ts),
        }
    }

    /// [`Tracker::find_or_create`] for IPv6 endpoints: a new connection takes its addresses
    /// into the `V6Addrs` (after any removal, which may free them). Returns the connection
    /// and the sender, packed.
    pub(super) fn find_or_create_v6(
        &mut self,
        src: Endpoint,
        dst: Endpoint,
        flags: TcpFlags,
        seq: u32,
        ts: Timestamp,
    ) -> (u32, Packed) {
        // A hand-made segment may mix the families: its IPv4 side is taken as IPv4-mapped.
        let v6 = |a: IpAddr| match a {
            IpAddr::V6(a) => a,
            IpAddr::V4(a) => a.to_ipv6_mapped(),
        };
        let (sa, da) = (v6(src.addr), v6(dst.addr));
        let known = self.v6.find(sa).zip(self.v6.find(da));
        if let Some((si, di)) = known {
            let (s, d) = (Packed::v6(si, src.port), Packed::v6(di, dst.port));
            match self.find_live(PackedFlow::new(s, d), ts) {
                Some(i) if self.is_reuse(i, s, flags, seq) => self.remove(i, None, ts),
                Some(i) => return (i, s),
                None => {}
            }
        }
        let s = Packed::v6(self.v6.acquire(sa), src.port);
        let d = Packed::v6(self.v6.acquire(da), dst.port);
        (self.create(s, d, flags, ts), s)
    }

    /// Port reuse, by Zeek's rule (`IsReuse`): a SYN whose sequence number differs from the
    /// connection's start, or any SYN once a side has closed, starts a new connection; so
    /// does a SYN-ACK on a connection whose originator was never seen.
    ///
    /// One exception: a SYN from the server while the client's SYN is unanswered is a
    /// simultaneous open (RFC 9293 §3.5, fig. 7), not a new connection. (Zeek would split it.)
    fn is_reuse(&self, i: u32, src: Packed, flags: TcpFlags, seq: u32) -> bool {
        // Only a SYN starts a new connection: the rest of the test is for SYNs alone.
        if !flags.contains(TcpFlags::SYN) {
            return false;
        }
        let c = self.table.get(i);
        let from_server = c.key.direction_from(src) == Direction::ServerToClient;
        let simultaneous_open = from_server
            && flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN
            && c.half[1].isn().is_none()
            && c.half[0].state == TcpState::SynSent;
        if simultaneous_open {
            return false;
        }
        let start = [c.half[0].start(), c.half[1].start()];
        if let Some(z) = self.zeeks.get(i as usize)
            && !c.zeek.did_close(0)
            && !c.zeek.did_close(1)
        {
            debug_assert_eq!(start, [z.ep[0].start_seq, z.ep[1].start_seq], "Zeek's starts, {c:?}");
        }
        c.zeek.is_reuse(flags, seq, start)
    }
}
