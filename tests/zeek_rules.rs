//! Zeek's rules scenario by scenario, each from the source it follows: the reassembler's gaps
//! (`TCP_Reassembler`), the partial flag (`TCPSessionAdapter::SetPartialStatus` and where it
//! is reset) and the role flips (`TCP_Endpoint::CheckHistory`, `Connection::FlipRoles`).

mod common;

use synack::track::{Config, ConnState, Direction, EventKind};

use Direction::{ClientToServer as C2S, ServerToClient as S2C};

use common::sim::*;

#[test]
fn content_gaps_are_counted_as_zeek_reassembles() {
    let mut sim = Sim::new();
    sim.send(syn(100));
    sim.send(synack(5000, 101));
    sim.send(ack(C2S, 101, 5001));
    sim.send(data(C2S, 101, 5001, 100));
    // The server's 300 bytes at 5001 are never captured; the client acknowledges them.
    sim.send(ack(S2C, 5001, 201));
    sim.send(ack(C2S, 201, 5301));
    let s = sim.finish();
    assert_eq!(s[0].missed_bytes, 300);
    assert_eq!(s[0].history.as_str(), "ShADag");
    // Off, as in a Zeek run that does not reassemble: no gap.
    let mut sim = Sim::with(Config::default().with_zeek_reassembly(false));
    sim.send(syn(100));
    sim.send(synack(5000, 101));
    sim.send(ack(C2S, 101, 5301));
    assert_eq!(sim.finish()[0].missed_bytes, 0);
}

#[test]
fn a_gap_is_only_what_was_never_seen() {
    // Zeek's reassembler keeps data above a hole: when the server acknowledges past it, the
    // gap is the hole alone (TCP_Reassembler::Undelivered), not everything after the hole.
    let mut sim = Sim::new();
    sim.send(syn(100));
    sim.send(synack(5000, 101));
    sim.send(ack(C2S, 101, 5001));
    sim.send(data(C2S, 101, 5001, 100));
    // 201..301 is never captured; 301..401 arrives out of order.
    sim.send(data(C2S, 301, 5001, 100));
    sim.send(ack(S2C, 5001, 401));
    let s = sim.finish();
    assert_eq!(s[0].missed_bytes, 100);
    assert_eq!(s[0].history.as_str(), "ShADaG");
}

#[test]
fn gaps_of_a_partial_connection_count_only_when_asked() {
    // Midstream: neither endpoint is established as Zeek's is_clean asks, so no `G`; the
    // bytes count with report_gaps_for_partial (TCP_Reassembler::Gap, report_gap).
    let run = |partial: bool| {
        let mut sim = Sim::with(Config::default().with_report_gaps_for_partial(partial));
        sim.send(data(C2S, 7000, 9000, 100));
        sim.send(ack(S2C, 9000, 7300));
        sim.finish()[0]
    };
    let (plain, partial) = (run(false), run(true));
    assert_eq!((plain.missed_bytes, partial.missed_bytes), (0, 200));
    assert!(!plain.history.as_str().contains('G'), "{}", plain.history);
    assert_eq!(plain.history.as_str(), partial.history.as_str());
}

/// `TCP_Endpoint::CheckHistory`: a pure ACK or data while the history is exactly `H` flips
/// the roles whichever side sends it, and the history becomes `^h` (a capture of one
/// direction: the SYN-ACK's sender goes on sending).
#[test]
fn productive_traffic_after_a_lone_synack_flips_the_roles_from_either_side() {
    for (second, want) in [(data(S2C, 5001, 101, 10), "^hd"), (ack(C2S, 101, 5001), "^hA")] {
        let mut sim = Sim::new();
        sim.send(synack(5000, 101));
        let k = sim.send(second);
        assert!(k.contains(&EventKind::RolesFlipped), "{k:?}");
        let s = sim.finish();
        assert_eq!(s[0].history.as_str(), want);
        assert_eq!(s[0].key.client.port, CPORT, "the SYN-ACK's sender is the responder");
    }
}

/// `UpdateInactiveState`'s SYN/SYN-ACK reversal: `Connection::FlipRoles` appends `^` where
/// the history stands, after the letters recorded before the flip, which keep their case.
#[test]
fn a_syn_after_its_synack_flips_the_roles_where_the_history_stands() {
    let mut sim = Sim::new();
    sim.send(synack(5000, 101));
    sim.send(syn(100));
    sim.send(ack(C2S, 101, 5001));
    let s = sim.finish();
    assert_eq!(s[0].history.as_str(), "Hs^A");
    assert_eq!(s[0].key.client.port, CPORT);
}

/// UpdateInactiveState's missed SYN: an ACK from an inactive endpoint to an established peer
/// establishes it and sets `is_partial = 0`, so the reassembler's first-ACK exemption
/// (`TCP_Reassembler::Undelivered`: `up_to_seq <= 2 && IsPartial()`) does not apply, and an
/// ACK of one byte never seen is a 1-byte gap. (Before, the connection stayed partial and the
/// byte went uncounted.) The server's port is a likely one, so its SYN-ACK, the first packet,
/// makes it the responder, established.
#[test]
fn an_ack_after_a_missed_syn_is_not_partial() {
    let mut sim = Sim::with(Config::default().with_likely_server_ports([SPORT]));
    sim.send(synack(5000, 101));
    sim.send(ack(C2S, 101, 5002));
    let s = sim.finish();
    assert_eq!(
        (s[0].conn_state, s[0].missed_bytes, s[0].history.as_str()),
        (ConnState::S1, 1, "^hAg")
    );
}
