//! Scenarios built segment by segment: a template frame for each kind of segment between one
//! client and one server, fed to a tracker in order.

use core::net::Ipv4Addr;
use core::time::Duration;

use synack::Timestamp;
use synack::track::{CloseCause, Config, ConnSummary, Direction, Event, EventKind, Tracker};
use synack::wire::{MacAddr, PacketBuilder, TcpFlags, TcpOption, parse_frame};

use Direction::{ClientToServer as C2S, ServerToClient as S2C};

pub const CLIENT: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
pub const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
pub const CPORT: u16 = 40000;
pub const SPORT: u16 = 1005;

/// One segment to build.
#[derive(Clone)]
pub struct Seg {
    pub dir: Direction,
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub len: usize,
    pub window: u16,
    pub options: Vec<TcpOption<'static>>,
}

pub const TEMPLATE: Seg = Seg {
    dir: C2S,
    flags: TcpFlags::ACK,
    seq: 0,
    ack: 0,
    len: 0,
    window: 1000,
    options: Vec::new(),
};

pub fn build(s: &Seg, client: (Ipv4Addr, u16)) -> Vec<u8> {
    let ((src, sp), (dst, dp)) = match s.dir {
        C2S => (client, (SERVER, SPORT)),
        S2C => ((SERVER, SPORT), client),
    };
    PacketBuilder::ethernet2(MacAddr([2, 0, 0, 0, 0, 2]), MacAddr([2, 0, 0, 0, 0, 1]))
        .ipv4(src, dst, 64)
        .tcp(sp, dp, s.seq, s.window)
        .flags(s.flags)
        .ack_number(s.ack)
        .options(&s.options)
        .build(&vec![b'x'; s.len])
        .unwrap()
}

/// A tracker fed one segment at a time, 1 ms apart.
pub struct Sim {
    pub tracker: Tracker,
    pub now: Timestamp,
    pub client: (Ipv4Addr, u16),
    pub log: Vec<Event>,
}

impl Sim {
    pub fn new() -> Sim {
        Sim::with(Config::default())
    }

    pub fn with(config: Config) -> Sim {
        Sim {
            tracker: Tracker::new(config),
            now: Timestamp::new(1_700_000_000, 0),
            client: (CLIENT, CPORT),
            log: Vec::new(),
        }
    }

    /// Sends a segment; returns the kinds of the events it caused.
    pub fn send(&mut self, s: Seg) -> Vec<EventKind> {
        self.now = self.now + Duration::from_millis(1);
        let bytes = build(&s, self.client);
        let frame = parse_frame(&bytes).unwrap();
        let events = self.tracker.observe(self.now, &frame).to_vec();
        self.log.extend(events.iter().copied());
        events.iter().map(|e| e.kind).collect()
    }

    pub fn finish(mut self) -> Vec<ConnSummary> {
        self.tracker.finish()
    }
}

pub fn syn(seq: u32) -> Seg {
    Seg {
        flags: TcpFlags::SYN,
        seq,
        options: vec![
            TcpOption::Mss(1460),
            TcpOption::SackPermitted,
            TcpOption::WindowScale(7),
        ],
        ..TEMPLATE
    }
}

pub fn synack(seq: u32, ack: u32) -> Seg {
    Seg {
        dir: S2C,
        flags: TcpFlags::SYN | TcpFlags::ACK,
        seq,
        ack,
        options: vec![
            TcpOption::Mss(1400),
            TcpOption::SackPermitted,
            TcpOption::WindowScale(9),
        ],
        ..TEMPLATE
    }
}

pub fn ack(dir: Direction, seq: u32, ack: u32) -> Seg {
    Seg {
        dir,
        seq,
        ack,
        ..TEMPLATE
    }
}

pub fn data(dir: Direction, seq: u32, ack: u32, len: usize) -> Seg {
    Seg {
        dir,
        seq,
        ack,
        len,
        flags: TcpFlags::ACK | TcpFlags::PSH,
        ..TEMPLATE
    }
}

pub fn fin(dir: Direction, seq: u32, ack: u32) -> Seg {
    Seg {
        dir,
        seq,
        ack,
        flags: TcpFlags::ACK | TcpFlags::FIN,
        ..TEMPLATE
    }
}

pub fn rst(dir: Direction, seq: u32, ack: u32) -> Seg {
    Seg {
        dir,
        seq,
        ack,
        flags: TcpFlags::RST | TcpFlags::ACK,
        ..TEMPLATE
    }
}

/// Client ISN 100, server ISN 5000: handshake done; returns the sim.
pub fn established() -> Sim {
    let mut sim = Sim::new();
    sim.send(syn(100));
    sim.send(synack(5000, 101));
    sim.send(ack(C2S, 101, 5001));
    sim
}

pub fn closed_cause(kinds: &[EventKind]) -> Option<CloseCause> {
    kinds
        .iter()
        .find_map(|k| if let EventKind::Closed(c) = k { Some(*c) } else { None })
}
