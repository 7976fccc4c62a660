//! Packet timestamps.

use core::fmt;
use core::time::Duration;

/// A packet timestamp: seconds and nanoseconds since the Unix epoch, as captures record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds within the second (0..1e9).
    pub nanos: u32,
}

impl Timestamp {
    const NANOS_PER_SEC: u32 = 1_000_000_000;

    /// Returns a timestamp, carrying excess nanoseconds into the seconds.
    pub const fn new(secs: i64, nanos: u32) -> Self {
        Timestamp {
            secs: secs + (nanos / Self::NANOS_PER_SEC) as i64,
            nanos: nanos % Self::NANOS_PER_SEC,
        }
    }

    /// Returns the timestamp as nanoseconds since the epoch.
    pub fn as_nanos(self) -> i128 {
        i128::from(self.secs) * i128::from(Self::NANOS_PER_SEC) + i128::from(self.nanos)
    }

    /// Returns the time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        let d = self.as_nanos() - earlier.as_nanos();
        if d <= 0 {
            Duration::ZERO
        } else {
            Duration::new(
                (d / i128::from(Self::NANOS_PER_SEC)) as u64,
                (d % i128::from(Self::NANOS_PER_SEC)) as u32,
            )
        }
    }
}

/// A timestamp in 8 bytes: nanoseconds since the epoch (saturating, ±292 years), with a
/// reserved "none" value. The tracker keeps its times this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Nanos(pub(crate) i64);

#[allow(dead_code)]
impl Nanos {
    /// No time.
    pub(crate) const NONE: Nanos = Nanos(i64::MIN);

    /// Returns the time, or `NONE` when unset.
    pub(crate) fn get(self) -> Option<Nanos> {
        (self != Self::NONE).then_some(self)
    }

    /// Returns the time from `earlier` to `self`, or zero when `earlier` is later.
    pub(crate) fn since(self, earlier: Nanos) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0).max(0) as u64)
    }

    /// Returns the timestamp.
    pub(crate) fn timestamp(self) -> Timestamp {
        let secs = self.0.div_euclid(1_000_000_000);
        let nanos = self.0.rem_euclid(1_000_000_000) as u32;
        Timestamp::new(secs, nanos)
    }
}

impl From<Timestamp> for Nanos {
    fn from(t: Timestamp) -> Nanos {
        let n = t.as_nanos().clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX));
        Nanos(n as i64)
    }
}

impl core::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    /// Returns the timestamp `d` later.
    fn add(self, d: Duration) -> Timestamp {
        let nanos = self.nanos + d.subsec_nanos();
        Timestamp::new(self.secs.saturating_add(d.as_secs() as i64), nanos)
    }
}

impl fmt::Display for Timestamp {
    /// Prints seconds since the epoch with nine decimals, as tshark prints `frame.time_epoch`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let a = Timestamp::new(10, 1_500_000_000);
        assert_eq!(
            a,
            Timestamp {
                secs: 11,
                nanos: 500_000_000
            }
        );
        let b = a + Duration::from_millis(700);
        assert_eq!(
            b,
            Timestamp {
                secs: 12,
                nanos: 200_000_000
            }
        );
        assert_eq!(b.saturating_since(a), Duration::from_millis(700));
        assert_eq!(a.saturating_since(b), Duration::ZERO);
    }
}
