//! Packet timestamps.

use core::fmt;
use core::num::NonZeroI64;
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

    /// Returns a timestamp, carrying excess nanoseconds into the seconds (saturating at
    /// `i64::MAX` seconds).
    pub const fn new(secs: i64, nanos: u32) -> Self {
        Timestamp {
            secs: secs.saturating_add((nanos / Self::NANOS_PER_SEC) as i64),
            nanos: nanos % Self::NANOS_PER_SEC,
        }
    }

    /// Returns the timestamp `units` ticks of `per_second` a second after the epoch, as
    /// capture files count time (pcap: micro- or nanoseconds; pcapng: any `if_tsresol`). A
    /// fraction field of a second or more, which some files hold, carries into the seconds.
    ///
    /// ```
    /// use synack::Timestamp;
    ///
    /// // A pcap record's seconds and microseconds, the microseconds field out of range.
    /// let (secs, micros) = (1_700_000_000u64, 1_250_000u64);
    /// let t = Timestamp::from_units(secs * 1_000_000 + micros, 1_000_000);
    /// assert_eq!(t, Timestamp::new(1_700_000_001, 250_000_000));
    /// ```
    pub fn from_units(units: u64, per_second: u64) -> Timestamp {
        const MICROS: u64 = 1_000_000;
        const NANOS: u64 = Timestamp::NANOS_PER_SEC as u64;
        // The two usual resolutions divide by a constant (a multiplication); any other takes
        // the general path, in 128 bits so that no resolution overflows.
        let (secs, frac) = match per_second {
            MICROS => (units / MICROS, (units % MICROS) * 1000),
            NANOS => (units / NANOS, units % NANOS),
            res => {
                let res = res.max(1);
                let frac = u128::from(units % res) * u128::from(NANOS) / u128::from(res);
                (units / res, frac as u64)
            }
        };
        Timestamp::new(secs as i64, frac as u32)
    }

    /// Returns the timestamp as nanoseconds since the epoch.
    pub fn as_nanos(self) -> i128 {
        i128::from(self.secs) * i128::from(Self::NANOS_PER_SEC) + i128::from(self.nanos)
    }

    /// Returns the time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        // Seconds and nanoseconds apart, with no 128-bit division: the tracker asks on every
        // packet. (`nanos` may be unnormalised when a caller built the struct by hand.)
        let nanos = i64::from(self.nanos) - i64::from(earlier.nanos);
        let secs = i128::from(self.secs) - i128::from(earlier.secs) + i128::from(nanos.div_euclid(NANOS));
        if secs < 0 {
            return Duration::ZERO;
        }
        Duration::new(u64::try_from(secs).unwrap_or(u64::MAX), nanos.rem_euclid(NANOS) as u32)
    }
}

const NANOS: i64 = Timestamp::NANOS_PER_SEC as i64;

/// A timestamp in 8 bytes: nanoseconds since the epoch (saturating, ±292 years). `i64::MIN`
/// is never a time, so `Option<Nanos>` is 8 bytes too (the tracker keeps its times this way).
// Only the tracker (feature `std`) keeps times this way.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Nanos(NonZeroI64);

#[allow(dead_code)]
impl Nanos {
    /// Returns the time `n` nanoseconds after the epoch (`i64::MIN` is taken as one later).
    pub(crate) const fn new(n: i64) -> Nanos {
        // Stored with the sign bit flipped: `i64::MIN` becomes the excluded zero.
        match NonZeroI64::new(n ^ i64::MIN) {
            Some(v) => Nanos(v),
            None => Nanos(NonZeroI64::MIN),
        }
    }

    /// Returns the nanoseconds since the epoch.
    pub(crate) const fn get(self) -> i64 {
        self.0.get() ^ i64::MIN
    }

    /// Returns the time from `earlier` to `self`, or zero when `earlier` is later.
    pub(crate) fn since(self, earlier: Nanos) -> Duration {
        Duration::from_nanos(self.get().saturating_sub(earlier.get()).max(0) as u64)
    }

    /// Returns the timestamp.
    pub(crate) fn timestamp(self) -> Timestamp {
        let n = self.get();
        let secs = n.div_euclid(1_000_000_000);
        let nanos = n.rem_euclid(1_000_000_000) as u32;
        Timestamp::new(secs, nanos)
    }
}

impl PartialOrd for Nanos {
    fn partial_cmp(&self, other: &Nanos) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Nanos {
    fn cmp(&self, other: &Nanos) -> core::cmp::Ordering {
        self.get().cmp(&other.get())
    }
}

impl From<Timestamp> for Nanos {
    /// Saturates at ±292 years (`i64::MIN` is never a time: see [`Nanos::new`]).
    fn from(t: Timestamp) -> Nanos {
        // Within ±292 years less a few seconds no arithmetic can overflow, even with
        // unnormalised nanoseconds; only the edges need 128 bits.
        const SAFE: i64 = i64::MAX / NANOS - 5;
        if (-SAFE..=SAFE).contains(&t.secs) {
            return Nanos::new(t.secs * NANOS + i64::from(t.nanos));
        }
        Nanos::new(t.as_nanos().clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX)) as i64)
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
    extern crate std;

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
        // At the last second, carried nanoseconds and added durations saturate.
        let end = Timestamp::new(i64::MAX, 1_999_999_999);
        assert_eq!(end.secs, i64::MAX);
        assert_eq!((end + Duration::from_millis(1500)).secs, i64::MAX);
    }

    /// The same answers as exact 128-bit arithmetic, at the extremes and with nanoseconds
    /// left unnormalised by a caller.
    #[test]
    fn fast_paths_match_exact_arithmetic() {
        let exact_since = |a: Timestamp, b: Timestamp| {
            let d = a.as_nanos() - b.as_nanos();
            if d <= 0 {
                Duration::ZERO
            } else {
                let secs = d / 1_000_000_000;
                let secs = u64::try_from(secs).unwrap_or(u64::MAX);
                Duration::new(secs, (d % 1_000_000_000) as u32)
            }
        };
        let exact_nanos = |t: Timestamp| t.as_nanos().clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX)) as i64;
        let secs = [
            i64::MIN,
            i64::MIN + 1,
            -9_223_372_037,
            -9_223_372_036,
            -1,
            0,
            1,
            1_700_000_000,
            9_223_372_036,
            9_223_372_037,
            i64::MAX - 1,
            i64::MAX,
        ];
        let nanos = [0u32, 1, 999_999_999, 1_000_000_000, u32::MAX];
        let all: std::vec::Vec<Timestamp> = secs
            .iter()
            .flat_map(|&s| nanos.iter().map(move |&n| Timestamp { secs: s, nanos: n }))
            .collect();
        for &a in &all {
            assert_eq!(Nanos::from(a).get(), exact_nanos(a), "{a:?}");
            for &b in &all {
                assert_eq!(a.saturating_since(b), exact_since(a, b), "{a:?} since {b:?}");
            }
        }
    }
}
