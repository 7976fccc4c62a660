//! The connection tracker, scenario by scenario: frames built from a template, fed in order,
//! and the events and summaries asserted exactly.

use core::time::Duration;

use synack::Timestamp;
use synack::track::{Anomaly, CloseCause, Config, ConnState, Direction, EventKind, Roles, TcpState, Tracker};
use synack::wire::{TcpFlags, TcpOption, parse_frame};

use Direction::{ClientToServer as C2S, ServerToClient as S2C};

mod common;

use common::sim::*;

// ---------------------------------------------------------------------------------------------
// The seed conversation
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_conversation_yields_exactly_the_expected_events() {
    let mut tracker = Tracker::new(Config::default().with_data_events(true));
    let mut got: Vec<(u64, Direction, EventKind)> = Vec::new();
    for seed in synack::seed::FRAMES {
        let frame = parse_frame(seed.bytes).unwrap();
        got.extend(
            tracker
                .observe(seed.timestamp, &frame)
                .iter()
                .map(|e| (e.frame, e.direction, e.kind)),
        );
    }
    let mut it = got.into_iter();
    seed_handshake(&mut || it.next().expect("another event"));
    seed_teardown(&mut || it.next().expect("another event"));
    assert!(it.next().is_none(), "no event after the close");
    seed_summary(tracker);
}

/// The seed's handshake events: New, Syn, SynAck, Established.
fn seed_handshake(next: &mut dyn FnMut() -> (u64, Direction, EventKind)) {
    assert_eq!(next(), (1, C2S, EventKind::New { roles: Roles::FromSyn }));
    let (f, d, k) = next();
    let EventKind::Syn {
        isn,
        options,
        retransmission: false,
    } = k
    else {
        panic!("{k:?}")
    };
    assert_eq!(
        (f, d, isn, options.mss, options.window_scale, options.sack_permitted),
        (1, C2S, 2672442395, Some(1460), Some(8), true)
    );
    let (f, d, k) = next();
    let EventKind::SynAck {
        isn,
        options,
        retransmission: false,
        before_syn: false,
        syn_to_synack,
    } = k
    else {
        panic!("{k:?}")
    };
    assert_eq!(
        (f, d, isn, options.mss, options.window_scale),
        (2, S2C, 3747289658, Some(1460), Some(8))
    );
    // The seed's SYN-ACK follows its SYN by 210 µs.
    assert_eq!(syn_to_synack, Some(std::time::Duration::from_micros(210)));
    let (f, d, k) = next();
    let EventKind::Established(h) = k else { panic!("{k:?}") };
    assert_eq!((f, d), (3, C2S));
    assert_eq!(h.mss, [Some(1460), Some(1460)]);
    assert_eq!(h.window_scale, Some([8, 8]));
    assert!(h.sack_permitted && !h.timestamps && !h.ecn && !h.fast_open && !h.simultaneous);
    // Frame timestamps (seed.rs): SYN .7803665, SYN-ACK .7805765, ACK .7807355.
    assert_eq!(h.syn_to_synack, Some(Duration::from_nanos(210_000)));
    assert_eq!(h.synack_to_ack, Some(Duration::from_nanos(159_000)));
}

/// The rest of the seed's events: its data and the four-way teardown.
fn seed_teardown(next: &mut dyn FnMut() -> (u64, Direction, EventKind)) {
    assert_eq!(
        next(),
        (
            4,
            C2S,
            EventKind::Data {
                relative_seq: 1,
                len: 5
            }
        )
    );
    assert_eq!(next(), (6, S2C, EventKind::Fin { first: true, data: 0 }));
    assert_eq!(next(), (7, C2S, EventKind::FinAcked));
    assert_eq!(next(), (8, C2S, EventKind::Fin { first: false, data: 0 }));
    assert_eq!(next(), (9, S2C, EventKind::FinalAck));
    assert_eq!(
        next(),
        (
            9,
            S2C,
            EventKind::Closed(CloseCause::Graceful {
                initiator: S2C,
                half_close: false
            })
        )
    );
}

/// The seed's one conn.log row, at the end of its conversation.
fn seed_summary(mut tracker: Tracker) {
    let s = tracker.finish();
    assert_eq!(s.len(), 1);
    let s = &s[0];
    assert_eq!((s.conn_state, s.history.as_str()), (ConnState::SF, "ShADafF"));
    assert_eq!((s.orig_bytes, s.resp_bytes), (Some(5), Some(0)));
    assert_eq!((s.orig_pkts, s.resp_pkts), (5, 4));
    // The client closed last (LAST-ACK, then CLOSED); the server closed first (TIME-WAIT).
    assert_eq!(s.states, [TcpState::Closed, TcpState::TimeWait]);
    let mut row = String::new();
    s.write_conn_log(&mut row).unwrap();
    assert_eq!(
        row,
        "1683201154.780366\t10.7.92.177\t50030\t10.7.92.174\t1005\t28.562460\t5\t0\tSF\t0\tShADafF\t5\t217\t4\t172"
    );
}

// ---------------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------------

#[test]
fn syn_retransmission_then_unanswered_is_s0_and_times_out() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    let k = sim.send(syn(100));
    assert!(matches!(
        k[0],
        EventKind::Syn {
            retransmission: true,
            ..
        }
    ));
    let now = sim.now + Duration::from_secs(31);
    let ev = sim.tracker.advance(now).to_vec();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].kind,
        EventKind::Closed(CloseCause::TimedOut {
            client: TcpState::SynSent,
            server: TcpState::Listen
        })
    );
    let s = sim.finish();
    assert_eq!((s[0].conn_state, s[0].history.as_str()), (ConnState::S0, "S"));
}

#[test]
fn refused_syn_is_rej() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    let k = sim.send(rst(S2C, 0, 101));
    assert_eq!(closed_cause(&k), Some(CloseCause::Refused));
    let s = sim.finish();
    assert_eq!((s[0].conn_state, s[0].history.as_str()), (ConnState::REJ, "Sr"));
}

#[test]
fn synack_before_syn_is_recognised_and_roles_flip() {
    let mut sim = Sim::new();
    let k = sim.send(synack(5000, 101));
    assert_eq!(k[0], EventKind::New { roles: Roles::Guessed });
    assert!(matches!(k[1], EventKind::SynAck { before_syn: true, .. }));
    // The SYN arrives after its SYN-ACK (capture reordering): Zeek flips the roles back.
    let k = sim.send(syn(100));
    assert!(k.contains(&EventKind::RolesFlipped), "{k:?}");
    let last = sim.log.last().unwrap();
    assert_eq!(last.key.client.port, CPORT);
}

#[test]
fn simultaneous_open() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    // The server's own SYN crosses the client's (RFC 9293 §3.5, figure 7).
    let k = sim.send(Seg { dir: S2C, ..syn(5000) });
    assert_eq!(k, vec![EventKind::SimultaneousOpen]);
    // Each side answers the other's SYN with a SYN-ACK.
    sim.send(Seg {
        dir: C2S,
        ..synack(100, 5001)
    });
    let k = sim.send(synack(5000, 101));
    let Some(EventKind::Established(h)) = k.iter().find(|k| matches!(k, EventKind::Established(_))) else {
        panic!("{k:?}")
    };
    assert!(h.simultaneous);
    assert_eq!(sim.log.iter().map(|e| e.conn).max(), Some(0), "one connection");
}

#[test]
fn data_before_the_handshake_completes_is_an_anomaly() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    sim.send(synack(5000, 101));
    let k = sim.send(data(S2C, 5001, 101, 10));
    assert!(k.contains(&EventKind::Anomaly(Anomaly::DataBeforeEstablished)), "{k:?}");
}

/// RFC 9293 §3.10.7.3: a client that has the SYN-ACK is established, and may carry data on
/// the ACK that completes the handshake (Linux does after a Fast Open cookie request); data
/// before it has the SYN-ACK is premature.
#[test]
fn data_on_the_ack_that_completes_the_handshake_is_valid() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    let k = sim.send(data(C2S, 101, 0, 10));
    assert!(k.contains(&EventKind::Anomaly(Anomaly::DataBeforeEstablished)), "{k:?}");
    let mut sim = Sim::new();
    sim.send(syn(100));
    sim.send(synack(5000, 101));
    let k = sim.send(data(C2S, 101, 5001, 10));
    assert!(!k.iter().any(|k| matches!(k, EventKind::Anomaly(_))), "{k:?}");
    assert!(k.iter().any(|k| matches!(k, EventKind::Established(_))), "{k:?}");
}

/// RFC 7413 §4.2.2: a Fast Open server that accepted the SYN's data may answer before the
/// handshake completes.
#[test]
fn a_fast_open_server_may_answer_before_the_handshake_completes() {
    let mut sim = Sim::new();
    sim.send(Seg { len: 20, ..syn(100) });
    sim.send(synack(5000, 121));
    let k = sim.send(data(S2C, 5001, 121, 10));
    assert!(!k.iter().any(|k| matches!(k, EventKind::Anomaly(_))), "{k:?}");
}

#[test]
fn tcp_fast_open_data_on_the_syn_is_reported() {
    let mut sim = Sim::new();
    let mut s = syn(100);
    s.len = 20;
    s.options.push(TcpOption::FastOpen(&[1, 2, 3, 4, 5, 6, 7, 8]));
    sim.send(s);
    sim.send(synack(5000, 121));
    let k = sim.send(ack(C2S, 121, 5001));
    let Some(EventKind::Established(h)) = k.iter().find(|k| matches!(k, EventKind::Established(_))) else {
        panic!("{k:?}")
    };
    assert!(h.fast_open);
    assert_eq!(h.fast_open_data, 20);
    assert_eq!(h.window_scale, Some([7, 9]));
    assert_eq!(h.mss, [Some(1460), Some(1400)]);
}

#[test]
fn window_scale_is_in_force_only_when_both_syns_carry_it() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    let mut sa = synack(5000, 101);
    sa.options = vec![TcpOption::Mss(1400)];
    sim.send(sa);
    let k = sim.send(ack(C2S, 101, 5001));
    let Some(EventKind::Established(h)) = k.first() else {
        panic!("{k:?}")
    };
    assert_eq!(h.window_scale, None);
    assert!(!h.sack_permitted);
}

#[test]
fn ecn_is_negotiated_by_an_ece_cwr_syn_and_an_ece_syn_ack() {
    let e = TcpFlags::ECE;
    let c = TcpFlags::CWR;
    // (the SYN's extra flags, the SYN-ACK's, negotiated?) as RFC 3168 §6.1.1 has it.
    for (syn_extra, synack_extra, want) in [
        (e | c, e, true),
        (e | c, e | c, false),
        (e | c, TcpFlags::empty(), false),
        (e, e, false),
        (TcpFlags::empty(), e, false),
    ] {
        let mut sim = Sim::new();
        let mut s = syn(100);
        s.flags |= syn_extra;
        sim.send(s);
        let mut sa = synack(5000, 101);
        sa.flags |= synack_extra;
        sim.send(sa);
        let k = sim.send(ack(C2S, 101, 5001));
        let Some(EventKind::Established(h)) = k.first() else {
            panic!("{k:?}")
        };
        assert_eq!(h.ecn, want, "SYN +{syn_extra:?}, SYN-ACK +{synack_extra:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Established and closing
// ---------------------------------------------------------------------------------------------

#[test]
fn graceful_close_by_the_client() {
    let mut sim = established();
    sim.send(data(C2S, 101, 5001, 10));
    sim.send(ack(S2C, 5001, 111));
    assert_eq!(
        sim.send(fin(C2S, 111, 5001)),
        vec![EventKind::Fin { first: true, data: 0 }]
    );
    assert_eq!(sim.send(ack(S2C, 5001, 112)), vec![EventKind::FinAcked]);
    assert_eq!(
        sim.send(fin(S2C, 5001, 112)),
        vec![EventKind::Fin { first: false, data: 0 }]
    );
    let k = sim.send(ack(C2S, 112, 5002));
    assert_eq!(
        k,
        vec![
            EventKind::FinalAck,
            EventKind::Closed(CloseCause::Graceful {
                initiator: C2S,
                half_close: false
            })
        ]
    );
    let s = sim.finish();
    assert_eq!((s[0].conn_state, s[0].history.as_str()), (ConnState::SF, "ShADaFf"));
    assert_eq!(s[0].orig_bytes, Some(10));
}

#[test]
fn fin_carrying_data_and_combined_fin_ack() {
    let mut sim = established();
    let mut f = fin(C2S, 101, 5001);
    f.len = 7;
    assert_eq!(sim.send(f), vec![EventKind::Fin { first: true, data: 7 }]);
    // The server's FIN acknowledges the client's FIN at once (three-way close).
    let k = sim.send(fin(S2C, 5001, 109));
    assert_eq!(k, vec![EventKind::Fin { first: false, data: 0 }, EventKind::FinAcked]);
    let k = sim.send(ack(C2S, 109, 5002));
    assert_eq!(
        closed_cause(&k),
        Some(CloseCause::Graceful {
            initiator: C2S,
            half_close: false
        })
    );
    let s = sim.finish();
    assert_eq!(s[0].orig_bytes, Some(7));
}

#[test]
fn half_close_then_close() {
    let mut sim = established();
    sim.send(fin(C2S, 101, 5001));
    sim.send(ack(S2C, 5001, 102));
    // The server keeps sending after the client's FIN.
    sim.send(data(S2C, 5001, 102, 100));
    sim.send(ack(C2S, 102, 5101));
    sim.send(fin(S2C, 5101, 102));
    let k = sim.send(ack(C2S, 102, 5102));
    assert_eq!(
        closed_cause(&k),
        Some(CloseCause::Graceful {
            initiator: C2S,
            half_close: true
        })
    );
}

#[test]
fn simultaneous_close() {
    let mut sim = established();
    sim.send(fin(C2S, 101, 5001));
    // The server's FIN does not acknowledge the client's: the FINs crossed.
    sim.send(fin(S2C, 5001, 101));
    sim.send(ack(S2C, 5002, 102));
    let k = sim.send(ack(C2S, 102, 5002));
    assert_eq!(closed_cause(&k), Some(CloseCause::Simultaneous));
    let s = sim.finish();
    assert_eq!(s[0].conn_state, ConnState::SF);
}

#[test]
fn in_window_rst_closes_and_names_the_state() {
    let mut sim = established();
    sim.send(data(C2S, 101, 5001, 10));
    let k = sim.send(rst(S2C, 5001, 111));
    assert_eq!(
        closed_cause(&k),
        Some(CloseCause::Reset {
            by: S2C,
            state: TcpState::Established,
            in_window: true
        })
    );
    let s = sim.finish();
    assert_eq!(s[0].conn_state, ConnState::RSTR);
}

#[test]
fn out_of_window_rst_is_ignored_then_an_in_window_one_closes() {
    let mut sim = established();
    sim.send(ack(S2C, 5001, 101));
    // RFC 5961 §3.2: a RST far outside the receiver's window does not close.
    let k = sim.send(rst(C2S, 101 + 1_000_000, 0));
    assert_eq!(k, vec![EventKind::Anomaly(Anomaly::RstOutOfWindow)]);
    let k = sim.send(data(C2S, 101, 5001, 5));
    assert!(closed_cause(&k).is_none());
    let k = sim.send(rst(C2S, 106, 0));
    assert_eq!(
        closed_cause(&k),
        Some(CloseCause::Reset {
            by: C2S,
            state: TcpState::Established,
            in_window: true
        })
    );
}

#[test]
fn nothing_is_reported_after_closed() {
    let mut sim = established();
    sim.send(rst(C2S, 101, 5001));
    assert!(sim.send(data(C2S, 101, 5001, 10)).is_empty());
    assert!(sim.send(rst(S2C, 5001, 101)).is_empty());
}

#[test]
fn port_reuse_starts_a_new_connection() {
    let mut sim = established();
    sim.send(fin(C2S, 101, 5001));
    sim.send(fin(S2C, 5001, 102));
    sim.send(ack(C2S, 102, 5002));
    let k = sim.send(syn(90_000));
    assert!(matches!(k[0], EventKind::New { roles: Roles::FromSyn }), "{k:?}");
    let ids: Vec<u64> = sim.log.iter().map(|e| e.conn).collect();
    assert_eq!((ids[0], *ids.last().unwrap()), (0, 1));
    assert_eq!(sim.finish().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Partial views
// ---------------------------------------------------------------------------------------------

#[test]
fn capture_started_mid_connection() {
    let mut sim = Sim::new();
    let k = sim.send(data(C2S, 7000, 9000, 100));
    assert_eq!(k[0], EventKind::New { roles: Roles::Guessed });
    sim.send(ack(S2C, 9000, 7100));
    sim.send(fin(C2S, 7100, 9000));
    sim.send(fin(S2C, 9000, 7101));
    let k = sim.send(ack(C2S, 7101, 9001));
    assert_eq!(
        closed_cause(&k),
        Some(CloseCause::Graceful {
            initiator: C2S,
            half_close: false
        })
    );
    let s = sim.finish();
    assert_eq!((s[0].conn_state, s[0].history.as_str()), (ConnState::SF, "DaFfA"));
    assert_eq!((s[0].orig_bytes, s[0].resp_bytes), (Some(100), Some(0)));
}

#[test]
fn one_direction_only() {
    let mut sim = Sim::new();
    for i in 0..5 {
        sim.send(data(C2S, 1000 + i * 100, 1, 100));
    }
    let s = sim.finish();
    assert_eq!((s[0].conn_state, s[0].history.as_str()), (ConnState::OTH, "D"));
    assert_eq!((s[0].orig_pkts, s[0].resp_pkts), (5, 0));
    assert_eq!(s[0].orig_bytes, Some(500));
}

#[test]
fn sequence_numbers_wrap_past_2_32() {
    let mut sim = Sim::new();
    let isn = u32::MAX - 50;
    sim.send(syn(isn));
    sim.send(synack(5000, isn.wrapping_add(1)));
    sim.send(ack(C2S, isn.wrapping_add(1), 5001));
    let mut seq = isn.wrapping_add(1);
    for _ in 0..4 {
        let k = sim.send(data(C2S, seq, 5001, 40));
        assert!(!k.iter().any(|k| matches!(k, EventKind::Anomaly(_))), "{k:?}");
        seq = seq.wrapping_add(40);
        sim.send(ack(S2C, 5001, seq));
    }
    sim.send(fin(C2S, seq, 5001));
    sim.send(fin(S2C, 5001, seq.wrapping_add(1)));
    let k = sim.send(ack(C2S, seq.wrapping_add(1), 5002));
    assert!(closed_cause(&k).is_some());
    let s = sim.finish();
    assert_eq!(s[0].orig_bytes, Some(160));
    assert_eq!(s[0].conn_state, ConnState::SF);
}

// ---------------------------------------------------------------------------------------------
// Anomalies (Wireshark's words)
// ---------------------------------------------------------------------------------------------

fn analysis(k: &[EventKind]) -> synack::track::AnalysisFlags {
    k.iter()
        .find_map(|k| {
            if let EventKind::Anomaly(Anomaly::Analysis { flags, .. }) = k {
                Some(*flags)
            } else {
                None
            }
        })
        .unwrap_or_default()
}

#[test]
fn retransmission_duplicate_acks_and_lost_segments() {
    use synack::track::AnalysisFlags as A;
    let mut sim = established();
    sim.send(data(C2S, 101, 5001, 100));
    // The segment at 201 is lost; 301 arrives.
    let k = sim.send(data(C2S, 301, 5001, 100));
    assert!(analysis(&k).contains(A::LOST_SEGMENT));
    sim.send(ack(S2C, 5001, 201));
    let k = sim.send(ack(S2C, 5001, 201));
    assert!(analysis(&k).contains(A::DUPLICATE_ACK));
    let k = sim.send(ack(S2C, 5001, 201));
    assert_eq!(
        k.iter().find(|k| matches!(k, EventKind::Anomaly(_))),
        Some(&EventKind::Anomaly(Anomaly::Analysis {
            flags: A::DUPLICATE_ACK,
            dup_ack_count: 2
        }))
    );
    // Within 20 ms of the second duplicate ACK: a fast retransmission.
    let k = sim.send(data(C2S, 201, 5001, 100));
    assert!(analysis(&k).contains(A::FAST_RETRANSMISSION), "{k:?}");
    // The same data again much later: a plain retransmission.
    sim.now = sim.now + Duration::from_secs(1);
    let k = sim.send(data(C2S, 301, 5001, 100));
    assert!(analysis(&k).contains(A::RETRANSMISSION), "{k:?}");
}

#[test]
fn zero_window_probe_and_keep_alive() {
    use synack::track::AnalysisFlags as A;
    let mut sim = established();
    sim.send(data(C2S, 101, 5001, 100));
    let k = sim.send(Seg {
        window: 0,
        ..ack(S2C, 5001, 201)
    });
    assert!(analysis(&k).contains(A::ZERO_WINDOW));
    let k = sim.send(data(C2S, 201, 5001, 1));
    assert!(analysis(&k).contains(A::ZERO_WINDOW_PROBE), "{k:?}");
    let k = sim.send(Seg {
        window: 500,
        ..ack(S2C, 5001, 201)
    });
    assert!(analysis(&k).contains(A::WINDOW_UPDATE), "{k:?}");
    sim.now = sim.now + Duration::from_secs(10);
    let k = sim.send(ack(C2S, 200, 5001));
    assert!(analysis(&k).contains(A::KEEP_ALIVE), "{k:?}");
    let k = sim.send(Seg {
        window: 500,
        ..ack(S2C, 5001, 201)
    });
    assert!(analysis(&k).contains(A::KEEP_ALIVE_ACK), "{k:?}");
}

#[test]
fn invalid_flag_combinations_are_anomalies() {
    for flags in [
        TcpFlags::SYN | TcpFlags::FIN,
        TcpFlags::SYN | TcpFlags::RST,
        TcpFlags::FIN | TcpFlags::RST,
        TcpFlags::empty(),
    ] {
        let mut sim = Sim::new();
        let k = sim.send(Seg {
            flags,
            seq: 1,
            ..TEMPLATE
        });
        assert!(
            k.contains(&EventKind::Anomaly(Anomaly::InvalidFlags(flags))),
            "{flags:?}: {k:?}"
        );
    }
}

#[test]
fn bad_checksum_is_reported_and_zeek_mode_counts_it() {
    let mut bytes = build(&syn(100), (CLIENT, CPORT));
    let last = bytes.len() - 1;
    bytes[50] ^= 0xff; // inside the TCP checksum field
    let _ = last;
    let frame = parse_frame(&bytes).unwrap();
    let mut t = Tracker::new(Config::default());
    let k: Vec<EventKind> = t.observe(Timestamp::new(1, 0), &frame).iter().map(|e| e.kind).collect();
    assert!(k.contains(&EventKind::Anomaly(Anomaly::BadChecksum)), "{k:?}");
    let mut z = Config::default();
    z.zeek.count_bad_checksums = true;
    let mut t = Tracker::new(z);
    t.observe(Timestamp::new(1, 0), &frame);
    let s = t.finish();
    assert_eq!(
        (s[0].conn_state, s[0].history.as_str(), s[0].orig_pkts),
        (ConnState::OTH, "C", 0)
    );
}

// ---------------------------------------------------------------------------------------------
// Bounds
// ---------------------------------------------------------------------------------------------

#[test]
fn full_table_evicts_the_least_recently_active() {
    let mut sim = Sim::with(Config::default().with_max_connections(2));
    for port in [1, 2] {
        sim.client = (CLIENT, port);
        sim.send(syn(100));
    }
    // Connection 0 becomes the most recent; 1 is now the least recently active.
    sim.client = (CLIENT, 1);
    sim.send(syn(100));
    sim.client = (CLIENT, 3);
    let k = sim.send(syn(100));
    assert_eq!(k[0], EventKind::Closed(CloseCause::Evicted));
    let evicted = sim
        .log
        .iter()
        .find(|e| e.kind == EventKind::Closed(CloseCause::Evicted))
        .unwrap();
    assert_eq!(evicted.key.client.port, 2);
    assert_eq!(sim.tracker.len(), 2);
    assert_eq!(sim.tracker.stats().evicted, 1);
}

#[test]
fn established_and_closing_connections_time_out_by_phase() {
    let mut sim = established();
    let t = sim.now;
    assert!(sim.tracker.advance(t + Duration::from_secs(299)).is_empty());
    let ev = sim.tracker.advance(t + Duration::from_secs(301)).to_vec();
    assert_eq!(
        ev[0].kind,
        EventKind::Closed(CloseCause::TimedOut {
            client: TcpState::Established,
            server: TcpState::Established
        })
    );
    assert!(sim.tracker.is_empty());
    // A closed connection lingers for the closing timeout (TIME-WAIT), silently.
    let mut sim = established();
    sim.send(rst(C2S, 101, 5001));
    assert_eq!(sim.tracker.len(), 1);
    let t = sim.now;
    assert!(sim.tracker.advance(t + Duration::from_secs(6)).is_empty());
    assert!(sim.tracker.is_empty());
}
