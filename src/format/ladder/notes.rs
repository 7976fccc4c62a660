//! The notes a ladder shows beside its arrows: the tracker's events, said briefly.

use core::fmt::Write as _;
use std::string::String;

use super::NoteKind;
use crate::track::{Anomaly, Event, EventKind};

/// The note an event makes, if it makes one.
pub(super) fn note(e: &Event) -> Option<(NoteKind, String)> {
    let who = e.direction.sender();
    let other = e.direction.reverse().sender();
    Some(match e.kind {
        EventKind::Established(h) => {
            let mut s = String::from("handshake complete: MSS ");
            for (i, m) in h.mss.iter().enumerate() {
                if i == 1 {
                    s.push('/');
                }
                match m {
                    Some(m) => {
                        let _ = write!(s, "{m}");
                    }
                    None => s.push('-'),
                }
            }
            match h.window_scale {
                Some([c, w]) => {
                    let _ = write!(s, ", window scale {c}/{w}");
                }
                None => s.push_str(", no window scaling"),
            }
            if h.sack_permitted {
                s.push_str(", SACK");
            }
            if h.timestamps {
                s.push_str(", timestamps");
            }
            (NoteKind::Handshake, s)
        }
        EventKind::SimultaneousOpen => (NoteKind::Handshake, "simultaneous open".into()),
        EventKind::Fin { first: true, .. } => (NoteKind::Teardown, format!("the {who} closes first")),
        EventKind::Fin { first: false, .. } => (NoteKind::Teardown, format!("the {who} closes too")),
        EventKind::FinAcked => (NoteKind::Teardown, format!("the {other}'s FIN acknowledged")),
        EventKind::FinalAck => (NoteKind::Teardown, "final ACK".into()),
        EventKind::Closed(cause) => (NoteKind::Closed, format!("closed {cause}")),
        EventKind::Anomaly(a) => match a {
            Anomaly::BadChecksum => (NoteKind::Anomaly, "bad checksum".into()),
            Anomaly::RstOutOfWindow => (NoteKind::Anomaly, "RST outside the window, ignored".into()),
            Anomaly::DataBeforeEstablished => (NoteKind::Anomaly, "data before the handshake completed".into()),
            Anomaly::InconsistentRetransmission => (NoteKind::Anomaly, "retransmitted bytes differ".into()),
            _ => return None,
        },
        _ => return None,
    })
}
