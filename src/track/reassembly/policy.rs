//! Which bytes win where a segment overlaps data already buffered: first-wins (Zeek's
//! reassembler and Wireshark's follow), last-wins, and the target-based policies Suricata
//! names, decided as `DoHandleDataOverlap` in Suricata's `src/stream-tcp-list.c` decides
//! them (after Novak and Sturges, "Target-Based TCP Stream Reassembly", 2007).

/// How overlapping data is resolved: which copy of a byte the stream keeps when a new segment
/// overlaps bytes buffered but not yet delivered. Delivered bytes never change (they are
/// compared, see [`Chunk`](super::Chunk) and [`Delivery::inconsistent`](super::Delivery::inconsistent)).
///
/// Each target-based policy is how that operating system's stack resolves the overlap, as
/// Suricata models it; name the receiver's OS to see the stream as the receiver saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OverlapPolicy {
    /// The first copy wins (Zeek, Wireshark's follow; Suricata's `first`). The default.
    #[default]
    First,
    /// The last copy wins (Suricata's `last`).
    Last,
    /// BSD (Suricata's `bsd`, its default): a new segment wins where it starts before the
    /// buffered one.
    Bsd,
    /// Linux (`linux`): as BSD, and a new segment starting with a buffered one wins where it
    /// also ends beyond it.
    Linux,
    /// Old Linux (`old-linux`): as BSD, and a new segment starting with a buffered one wins
    /// where it ends at or beyond it.
    OldLinux,
    /// Solaris (`solaris`): a new segment wins where it ends beyond the buffered one or starts
    /// with it and covers it, or starts before it and covers it.
    Solaris,
    /// HP-UX 10 (`hpux10`): as BSD.
    Hpux10,
    /// HP-UX 11 (`hpux11`): as Solaris.
    Hpux11,
    /// IRIX (`irix`): as BSD.
    Irix,
    /// macOS (`macos`): as BSD.
    MacOs,
    /// Windows (`windows`): as BSD.
    Windows,
    /// Windows Server 2003 (`windows2k3`): as BSD.
    Windows2k3,
    /// Windows Vista (`vista`): the first copy wins.
    Vista,
}

impl OverlapPolicy {
    /// Every policy.
    pub const ALL: [OverlapPolicy; 13] = [
        OverlapPolicy::First,
        OverlapPolicy::Last,
        OverlapPolicy::Bsd,
        OverlapPolicy::Linux,
        OverlapPolicy::OldLinux,
        OverlapPolicy::Solaris,
        OverlapPolicy::Hpux10,
        OverlapPolicy::Hpux11,
        OverlapPolicy::Irix,
        OverlapPolicy::MacOs,
        OverlapPolicy::Windows,
        OverlapPolicy::Windows2k3,
        OverlapPolicy::Vista,
    ];

    /// Returns the policy's name as Suricata's configuration spells it.
    pub fn name(self) -> &'static str {
        match self {
            OverlapPolicy::First => "first",
            OverlapPolicy::Last => "last",
            OverlapPolicy::Bsd => "bsd",
            OverlapPolicy::Linux => "linux",
            OverlapPolicy::OldLinux => "old-linux",
            OverlapPolicy::Solaris => "solaris",
            OverlapPolicy::Hpux10 => "hpux10",
            OverlapPolicy::Hpux11 => "hpux11",
            OverlapPolicy::Irix => "irix",
            OverlapPolicy::MacOs => "macos",
            OverlapPolicy::Windows => "windows",
            OverlapPolicy::Windows2k3 => "windows2k3",
            OverlapPolicy::Vista => "vista",
        }
    }

    /// Returns the policy Suricata's configuration name names.
    pub fn from_name(name: &str) -> Option<OverlapPolicy> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the new segment `[new_seq, new_end)` overwrites the buffered segment
    /// `[old_seq, old_end)` where they overlap and their bytes differ (Suricata's
    /// `DoHandleDataOverlap`, its `use_new_data`).
    pub fn new_wins(self, (new_seq, new_end): (u64, u64), (old_seq, old_end): (u64, u64)) -> bool {
        use OverlapPolicy::*;
        match self {
            Last => return true,
            First | Vista => return false,
            _ => {}
        }
        let solaris = matches!(self, Solaris | Hpux11);
        if new_seq == old_seq {
            // Starts with the buffered segment.
            if new_end < old_end {
                false
            } else if new_end > old_end {
                matches!(self, Linux | OldLinux) || solaris
            } else {
                matches!(self, OldLinux) || solaris
            }
        } else if new_seq < old_seq {
            // Starts before it: BSD-like stacks take the new data; Solaris too when it covers
            // the buffered segment.
            let bsd_like = matches!(
                self,
                Bsd | Hpux10 | Irix | Windows | Windows2k3 | OldLinux | Linux | MacOs
            );
            bsd_like || (solaris && new_end >= old_end)
        } else {
            // Starts after it: only Solaris takes the new data, where it ends beyond.
            solaris && new_end > old_end
        }
    }
}

impl core::fmt::Display for OverlapPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::OverlapPolicy::{self, *};

    /// The cases of Suricata's `DoHandleDataOverlap`, one row per relative placement of the
    /// new segment against a buffered one at [10, 20): which policies take the new data.
    #[test]
    fn placements_follow_suricata() {
        let old = (10, 20);
        let rows: [((u64, u64), &[OverlapPolicy]); 8] = [
            // Same start, ends before.
            ((10, 15), &[Last]),
            // Same start, same end.
            ((10, 20), &[Last, OldLinux, Solaris, Hpux11]),
            // Same start, ends beyond.
            ((10, 25), &[Last, Linux, OldLinux, Solaris, Hpux11]),
            // Starts before, ends inside.
            (
                (5, 15),
                &[Last, Bsd, Linux, OldLinux, Hpux10, Irix, MacOs, Windows, Windows2k3],
            ),
            // Starts before, covers.
            (
                (5, 25),
                &[
                    Last, Bsd, Linux, OldLinux, Solaris, Hpux10, Hpux11, Irix, MacOs, Windows, Windows2k3,
                ],
            ),
            // Starts after, ends inside.
            ((12, 18), &[Last]),
            // Starts after, same end.
            ((12, 20), &[Last]),
            // Starts after, ends beyond.
            ((12, 25), &[Last, Solaris, Hpux11]),
        ];
        for (new, winners) in rows {
            for p in OverlapPolicy::ALL {
                assert_eq!(p.new_wins(new, old), winners.contains(&p), "{p} with new {new:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for p in OverlapPolicy::ALL {
            assert_eq!(OverlapPolicy::from_name(p.name()), Some(p));
        }
        assert_eq!(OverlapPolicy::from_name("beos"), None);
    }
}
