//! When Zeek removes a TCP connection, and so ends its `conn.log` row: its timers, read from
//! `TCPSessionAdapter.cc` and `Session.cc`. Zeek dispatches every timer due by a packet's
//! time before it processes the packet (`run_state::detail::dispatch_packet`), so a packet
//! after a connection's removal starts a new row with its own history.
//!
//! The timers a default run sets (`init-bare.zeek`'s values are [`ZeekTimers::default`]):
//!
//! * `Session::InactivityTimer`: removed once `last_time + tcp_inactivity_timeout <= t`.
//! * `TCPSessionAdapter::AttemptTimer`, set `tcp_attempt_delay` after the originator's first
//!   SYN (`UpdateInactiveState`): removed if the originator is then still `SYN_SENT` or
//!   `SYN_ACK_SENT` and the responder `INACTIVE`.
//! * `ConnDeleteTimer`, set `tcp_close_delay` after the packet that completes the close
//!   (`ConnectionClosed`: the closing endpoint reset, or the peer closed or inactive), which
//!   also cancels the others (`CancelTimers`): removed then, whatever comes after.
//! * `ExpireTimer`, `tcp_SYN_timeout` after the first packet and again `tcp_session_timer`
//!   after each run, and `tcp_session_timer` after a close that leaves the peer open:
//!   removed if idle over `tcp_connection_linger` once one side closed and either side is
//!   reset or inactive. Zeek runs it when a packet of any connection comes after it is due;
//!   here it is taken to run when due (exact for a capture with traffic at those times).
//!
//! `tcp_partial_close_delay` and `tcp_reset_delay` set timers only when a script handles
//! `connection_partial_close` or `connection_reset`, which no default script does.

use core::time::Duration;

use super::states::ZeekStates;
use super::{ZeekConn, ZeekEndpointState, mark};
use crate::Nanos;
use crate::track::conn::Phase;

/// Zeek's TCP timers (`init-bare.zeek`), the defaults of a Zeek run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZeekTimers {
    /// `tcp_inactivity_timeout`: idle time after which any connection is removed (5 min).
    pub inactivity_timeout: Duration,
    /// `tcp_attempt_delay`: how long after the originator's SYN an unanswered attempt is
    /// removed (5 s).
    pub attempt_delay: Duration,
    /// `tcp_close_delay`: how long after a complete close the connection is removed (5 s).
    pub close_delay: Duration,
    /// `tcp_SYN_timeout`: when, after the first packet, the expire timer first runs (5 s).
    pub syn_timeout: Duration,
    /// `tcp_session_timer`: how often the expire timer runs after that (6 s).
    pub session_timer: Duration,
    /// `tcp_connection_linger`: the idle time after which the expire timer removes a
    /// connection one side closed and the other reset or never spoke (5 s).
    pub connection_linger: Duration,
}

impl Default for ZeekTimers {
    fn default() -> Self {
        ZeekTimers {
            inactivity_timeout: Duration::from_secs(300),
            attempt_delay: Duration::from_secs(5),
            close_delay: Duration::from_secs(5),
            syn_timeout: Duration::from_secs(5),
            session_timer: Duration::from_secs(6),
            connection_linger: Duration::from_secs(5),
        }
    }
}

/// `AttemptTimer`'s condition: the originator still SYN_SENT or SYN_ACK_SENT, the responder
/// inactive.
fn attempting(st: &ZeekStates) -> bool {
    matches!(st.state(0), ZeekEndpointState::SynSent | ZeekEndpointState::SynAckSent)
        && st.state(1) == ZeekEndpointState::Inactive
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// The times one connection's timers count from, kept with Zeek's accounting (whether the
/// close was complete is `ZeekConn::close_complete`, beside its other flags).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerMarks {
    /// The originator's first SYN (the attempt timer's start).
    attempt_from: Option<Nanos>,
    /// The last `ConnectionClosed`: the delete timer's start when it completed the close,
    /// else an extra expire timer's.
    closed_at: Option<Nanos>,
}

impl ZeekConn {
    /// `UpdateInactiveState`: the originator's first packet is a SYN (or SYN-ACK).
    pub(super) fn timer_attempt(&mut self, t: Nanos) {
        self.timers.attempt_from = Some(t);
    }

    /// `ConnectionClosed` for endpoint `ei` (its `did_close` newly set by this packet, at
    /// `t`, with the states after it): a complete close starts the delete timer and cancels
    /// the others; else, unless the endpoint was inactive before (a partial-close timer,
    /// which needs a handler), an expire timer.
    pub(super) fn timer_closed(&mut self, st: &ZeekStates, ei: usize, t: Nanos) {
        let pi = 1 - ei;
        let complete =
            st.state(ei) == ZeekEndpointState::Reset || st.did_close(pi) || st.state(pi) == ZeekEndpointState::Inactive;
        if self.is(mark::CLOSE_COMPLETE) {
            return;
        }
        if complete {
            self.set(mark::CLOSE_COMPLETE, true);
            self.timers.closed_at = Some(t);
        } else if st.prev_state(ei) != ZeekEndpointState::Inactive {
            self.timers.closed_at = Some(t);
        }
    }
}

impl ZeekTimers {
    /// When Zeek removed the connection, if it did by `now`: the first timer that removes it.
    /// `last` is the connection's last packet.
    pub(crate) fn removal(&self, st: &ZeekStates, z: &ZeekConn, last: Nanos, now: Nanos) -> Option<Nanos> {
        let (now, last) = (now.get(), last.get());
        let m = &z.timers;
        let inactive = last.saturating_add(nanos(self.inactivity_timeout));
        let mut first = (inactive <= now).then_some(inactive);
        let mut consider = |at: i64| {
            if at <= now && first.is_none_or(|f| at < f) {
                first = Some(at);
            }
        };
        if z.is(mark::CLOSE_COMPLETE) {
            if let Some(c) = m.closed_at {
                consider(c.get().saturating_add(nanos(self.close_delay)));
            }
            return first.map(Nanos::new);
        }
        if let Some(a) = m.attempt_from
            && attempting(st)
        {
            consider(a.get().saturating_add(nanos(self.attempt_delay)));
        }
        let any_closed = st.did_close(0) || st.did_close(1);
        let gone = (0..2).any(|i| matches!(st.state(i), ZeekEndpointState::Reset | ZeekEndpointState::Inactive));
        if any_closed && gone {
            // The first run strictly after last + linger, of each expire timer's series.
            let after = last.saturating_add(nanos(self.connection_linger));
            let period = nanos(self.session_timer).max(1);
            let created = Some(z.start.get().saturating_add(nanos(self.syn_timeout)));
            let after_close = m.closed_at.map(|c| c.get().saturating_add(period));
            for origin in [created, after_close].into_iter().flatten() {
                let run = if origin > after {
                    origin
                } else {
                    origin.saturating_add(((after - origin) / period + 1).saturating_mul(period))
                };
                consider(run);
            }
        }
        first.map(Nanos::new)
    }

    /// The phase whose list and timeout bound the connection in the table, so that the
    /// table never lets a connection go before Zeek does: an attempt (removed
    /// `attempt_delay` after its SYN), a complete close (`close_delay` after it), or any other
    /// (idle `inactivity_timeout`).
    pub(in crate::track) fn phase(st: &ZeekStates, z: &ZeekConn) -> Phase {
        if z.is(mark::CLOSE_COMPLETE) {
            Phase::Closing
        } else if z.timers.attempt_from.is_some() && attempting(st) {
            Phase::Embryonic
        } else {
            Phase::Established
        }
    }

    /// The phases' timeouts, [attempt, other, closed] (by `Phase`'s order).
    pub(crate) fn phase_timeouts(&self) -> [Duration; 3] {
        [self.attempt_delay, self.inactivity_timeout, self.close_delay]
    }
}
