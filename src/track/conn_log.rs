//! Zeek's `conn.log` vocabulary: a connection's `conn_state` and its `history` letters.

use core::fmt;

/// Zeek's `conn_state` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// Connection attempt seen, no reply.
    S0,
    /// Established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Connection attempt rejected.
    REJ,
    /// Established, close attempt by the originator seen (no reply).
    S2,
    /// Established, close attempt by the responder seen (no reply).
    S3,
    /// Established, the originator aborted (RST).
    RSTO,
    /// Established, the responder aborted.
    RSTR,
    /// The originator sent a SYN then a RST; no SYN-ACK.
    RSTOS0,
    /// The responder sent a SYN-ACK then a RST; no SYN.
    RSTRH,
    /// The originator sent a SYN then a FIN; no SYN-ACK (half-open).
    SH,
    /// The responder sent a SYN-ACK then a FIN; no SYN.
    SHR,
    /// No SYN seen, just midstream traffic.
    OTH,
}

impl ConnState {
    /// Returns Zeek's name.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The longest history kept; Zeek's is unbounded, but every letter except the repeating
/// S/H/F/R (one per new sequence number) and the logarithmic ones appears at most once.
pub const MAX_HISTORY: usize = 30;

/// A connection's `history` string, kept inline.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct History {
    len: u8,
    buf: [u8; MAX_HISTORY],
}

impl History {
    pub(super) fn push(&mut self, c: u8) {
        if usize::from(self.len) < MAX_HISTORY {
            self.buf[usize::from(self.len)] = c;
            self.len += 1;
        }
    }

    /// Returns the history's letters (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// Returns the history as a string.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }

    /// Zeek's `ReplaceHistory`.
    pub(super) fn replace(&mut self, h: &[u8]) {
        *self = History::default();
        for &c in h {
            self.push(c);
        }
    }
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
