//! The tracker on the kernel's traffic: one scenario per outcome, each on its own server port.

use std::collections::HashMap;
use std::path::Path;

use synack::driver::{Driver, Output};
use synack::track::{
    AnalysisFlags, Anomaly, CloseCause, ConnState, ConnSummary, Direction, Event, EventKind, Roles, TcpState,
};

use crate::common::needs;
use crate::net::{Captures, Family, captures};

/// The events and summaries of one server port.
#[derive(Default)]
struct Conversation {
    events: Vec<Event>,
    summaries: Vec<ConnSummary>,
}

/// A capture's conversations by server port.
struct Tracked(HashMap<u16, Conversation>);

impl Tracked {
    fn of(file: &Path) -> Tracked {
        let mut by_port: HashMap<u16, Conversation> = HashMap::new();
        for out in Driver::open(file, Default::default()).expect("the capture opens") {
            match out.expect("the capture reads to its end") {
                Output::Event(e) => by_port.entry(e.key.server.port).or_default().events.push(e),
                Output::Summary(s) => by_port.entry(s.key.server.port).or_default().summaries.push(s),
                _ => {}
            }
        }
        Tracked(by_port)
    }

    fn get(&self, port: u16) -> &Conversation {
        self.0
            .get(&port)
            .unwrap_or_else(|| panic!("no connection on port {port}"))
    }

    fn kinds(&self, port: u16) -> Vec<EventKind> {
        self.get(port).events.iter().map(|e| e.kind).collect()
    }

    fn cause(&self, port: u16) -> Option<CloseCause> {
        self.kinds(port)
            .iter()
            .find_map(|k| if let EventKind::Closed(c) = k { Some(*c) } else { None })
    }

    fn states(&self, port: u16) -> Vec<ConnState> {
        self.get(port).summaries.iter().map(|s| s.conn_state).collect()
    }

    fn analysis(&self, port: u16) -> AnalysisFlags {
        self.kinds(port).iter().fold(AnalysisFlags::empty(), |acc, k| match k {
            EventKind::Anomaly(Anomaly::Analysis { flags, .. }) => acc | *flags,
            _ => acc,
        })
    }
}

#[test]
fn tracker_on_kernel_traffic() {
    if !needs("tracker_on_kernel_traffic", &crate::TRAFFIC) {
        return;
    }
    for Captures { family, veth, mid, .. } in captures() {
        let t = Tracked::of(veth);
        let mut report = Vec::new();
        lab(&t, &mut report);
        closes(&t, *family, &mut report);
        fin_and_rst(&t, &mut report);
        others(&t, &mut report);
        midstream(&Tracked::of(mid), &mut report);
        if family.name == "ipv6" {
            // The client's segments carry a destination options header.
            assert_eq!(
                t.cause(1047),
                Some(CloseCause::Graceful {
                    initiator: Direction::ServerToClient,
                    half_close: false
                })
            );
            assert_eq!(t.states(1047), [ConnState::SF]);
            report.push("dstopts: the lab exchange behind a destination options header, SF");
        }
        for r in report {
            eprintln!("tracker on kernel traffic over {}: {r}", family.name);
        }
    }
}

/// The lab exchange: the server closes first; every step of the teardown is seen.
fn lab(t: &Tracked, report: &mut Vec<&str>) {
    let steps: Vec<&str> = t
        .kinds(1005)
        .iter()
        .filter_map(|k| match k {
            EventKind::Syn { .. } => Some("syn"),
            EventKind::SynAck { .. } => Some("synack"),
            EventKind::Established(_) => Some("established"),
            EventKind::Fin { first: true, .. } => Some("fin1"),
            EventKind::FinAcked => Some("fin1-acked"),
            EventKind::Fin { first: false, .. } => Some("fin2"),
            EventKind::FinalAck => Some("final-ack"),
            EventKind::Closed(_) => Some("closed"),
            _ => None,
        })
        .collect();
    let want = [
        "syn",
        "synack",
        "established",
        "fin1",
        "fin1-acked",
        "fin2",
        "final-ack",
        "closed",
    ];
    assert_eq!(steps, want);
    let graceful = |initiator| CloseCause::Graceful {
        initiator,
        half_close: false,
    };
    assert_eq!(t.cause(1005), Some(graceful(Direction::ServerToClient)));
    assert_eq!(t.states(1005), [ConnState::SF]);
    let fin1 = t
        .get(1005)
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Fin { first: true, .. }))
        .unwrap();
    assert_eq!(fin1.direction, Direction::ServerToClient);
    report.push("lab: graceful, server first, SF");
}

/// The ways a connection ends: the client first, refused, aborted, a bulk transfer (crossed
/// FINs or not), a half-close.
fn closes(t: &Tracked, family: Family, report: &mut Vec<&str>) {
    let graceful = |initiator, half_close| CloseCause::Graceful { initiator, half_close };
    assert_eq!(t.cause(1006), Some(graceful(Direction::ClientToServer, false)));
    assert_eq!(t.states(1006), [ConnState::SF]);
    report.push("client-close: graceful, client first, SF");

    assert_eq!(t.cause(1007), Some(CloseCause::Refused));
    assert_eq!(t.states(1007), [ConnState::REJ]);
    report.push("refused: REJ");

    let reset_by_client = matches!(
        t.cause(1008),
        Some(CloseCause::Reset {
            by: Direction::ClientToServer,
            in_window: true,
            ..
        })
    );
    assert!(reset_by_client, "{:?}", t.cause(1008));
    assert_eq!(t.states(1008), [ConnState::RSTO]);
    report.push("abort: reset by the client, RSTO");

    // The server sends "ok" and closes; the client closes as soon as it reads "ok". Whether
    // the two FINs cross on the wire (a simultaneous close) is up to the scheduler: the
    // cause must say which happened, from the frames themselves.
    let events = &t.get(1009).events;
    let fins: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Fin { .. }))
        .collect();
    assert_eq!(fins.len(), 2);
    // They did not cross when the first FIN was acknowledged before the second left: by a
    // pure ACK, or by the second FIN itself.
    let crossed = !events
        .iter()
        .any(|e| e.kind == EventKind::FinAcked && e.frame <= fins[1].frame);
    let want = if crossed {
        CloseCause::Simultaneous
    } else {
        graceful(fins[0].direction, false)
    };
    assert_eq!(t.cause(1009), Some(want));
    assert_eq!(t.states(1009), [ConnState::SF]);
    // The established handshake values are the kernel's.
    let Some(EventKind::Established(h)) = t
        .kinds(1009)
        .into_iter()
        .find(|k| matches!(k, EventKind::Established(_)))
    else {
        panic!("no handshake on 1009")
    };
    // A 1500-byte MTU less the IP and TCP headers.
    let mss = if family.name == "ipv4" { 1460 } else { 1440 };
    assert_eq!(h.mss, [Some(mss), Some(mss)]);
    assert!(h.sack_permitted && h.timestamps && h.window_scale.is_some());
    assert!(h.syn_to_synack.is_some() && h.synack_to_ack.is_some());
    report.push("bulk: SF, MSS 1460/1460 (1440 over IPv6), SACK, timestamps, window scale");

    assert_eq!(t.cause(1040), Some(graceful(Direction::ClientToServer, true)));
    assert_eq!(t.states(1040), [ConnState::SF]);
    report.push("half-close: graceful with data after the first FIN, SF");
}

/// Where a FIN and a RST meet, each row as Zeek's rules make it: a FIN moves its endpoint to
/// TCP_CLOSED and a RST to TCP_RESET whatever came before (`TCPSessionAdapter::
/// UpdateStateMachine`), and `conn_state()` (`base/protocols/conn/main.zeek`) reads the
/// responder's RESET first (RSTR, the originator active), then the originator's (RSTO, the
/// responder active). History: the FIN's letter before the RST's, each side's case.
fn fin_and_rst(t: &Tracked, report: &mut Vec<&str>) {
    use Direction::{ClientToServer as Client, ServerToClient as Server};
    // (port, who sends the FIN, who resets, conn_state)
    let cases = [
        (1049, Some(Client), Server, ConnState::RSTR),
        (1050, None, Server, ConnState::RSTR),
        (1051, Some(Server), Server, ConnState::RSTR),
        (1052, Some(Client), Client, ConnState::RSTO),
    ];
    for (port, fin, by, state) in cases {
        let c = t.get(port);
        assert_eq!(t.states(port), [state], "port {port}");
        let s = &c.summaries[0];
        assert_eq!(s.reset_by(), Some(by), "port {port}: {:?}", s.cause);
        assert_eq!(s.first_fin, fin, "port {port}");
        let h = s.history.as_str();
        let letter = |d: Direction, ch: char| if d == Client { ch } else { ch.to_ascii_lowercase() };
        let rst = h.find(letter(by, 'R')).unwrap_or_else(|| panic!("port {port}: {h}"));
        match fin {
            Some(f) => {
                let at = h.find(letter(f, 'F')).unwrap_or_else(|| panic!("port {port}: {h}"));
                assert!(at < rst, "port {port}: the FIN before the RST in {h}");
            }
            None => assert!(!h.contains(['F', 'f']), "port {port}: {h}"),
        }
        // The reset ends the connection as a reset, never as a close.
        assert!(
            matches!(t.cause(port), Some(CloseCause::Reset { by: b, .. }) if b == by),
            "port {port}: {:?}",
            t.cause(port)
        );
    }
    // Data after the server's FIN: the client's letter stays once-only (`D` before `f`).
    let h = t.get(1051).summaries[0].history.as_str();
    assert!(h.find('D') < h.find('f'), "data-after-close: {h}");
    report.push("fin-then-reset, server-abort, data-after-close: RSTR; fin-then-abort: RSTO");
}

/// Port reuse, keep-alives, a zero window, a simultaneous close, an unanswered SYN.
fn others(t: &Tracked, report: &mut Vec<&str>) {
    let reuse = t.get(1041);
    assert_eq!(reuse.summaries.len(), 5, "five connections on one 4-tuple");
    let all_sf = reuse
        .summaries
        .iter()
        .all(|s| s.conn_state == ConnState::SF && s.key.client.port == 45000);
    assert!(all_sf);
    let closes = reuse
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Closed(CloseCause::Graceful { .. })))
        .count();
    assert_eq!(closes, 5);
    report.push("reuse: 5 connections from port 45000, each SF");

    let ka = t.analysis(1042);
    let both = AnalysisFlags::KEEP_ALIVE | AnalysisFlags::KEEP_ALIVE_ACK;
    assert!(ka.contains(both), "{ka:?}");
    assert_eq!(t.states(1042), [ConnState::SF]);
    report.push("keepalive: keep-alive and keep-alive ACK, SF");

    let zw = t.analysis(1043);
    assert!(zw.contains(AnalysisFlags::ZERO_WINDOW), "{zw:?}");
    assert_eq!(t.states(1043), [ConnState::SF]);
    report.push("zero-window: zero window seen, SF");

    assert_eq!(t.cause(1046), Some(CloseCause::Simultaneous));
    assert_eq!(t.states(1046), [ConnState::SF]);
    report.push("simultaneous-close: the FINs crossed, SF");

    let un = t.get(1044);
    let retransmitted = un.events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Syn {
                retransmission: true,
                ..
            }
        )
    });
    assert!(retransmitted, "SYN retransmitted");
    assert_eq!(t.states(1044), [ConnState::S0]);
    // Zeek's attempt timer ends it 5 s after the first SYN when the capture runs on that
    // long (`TCPSessionAdapter::AttemptTimer`), else the capture's end does.
    let attempt = matches!(
        un.summaries[0].cause,
        CloseCause::TimedOut {
            client: TcpState::SynSent,
            ..
        } | CloseCause::EndOfCapture {
            client: TcpState::SynSent,
            ..
        }
    );
    assert!(attempt, "{:?}", un.summaries[0].cause);
    assert_eq!(un.summaries.len(), 1, "the SYNs end within the attempt delay");
    report.push("unanswered: SYN retransmitted, S0, one row");
}

/// A capture that starts after the handshake.
fn midstream(t: &Tracked, report: &mut Vec<&str>) {
    let m = t.get(1045);
    assert_eq!(m.events[0].kind, EventKind::New { roles: Roles::Guessed });
    assert!(!m.events.iter().any(|e| matches!(e.kind, EventKind::Established(_))));
    assert!(matches!(t.cause(1045), Some(CloseCause::Graceful { .. })));
    // Zeek: both sides partial, then both closed.
    assert_eq!(m.summaries[0].conn_state, ConnState::SF);
    assert!(!m.summaries[0].history.as_str().contains('S'));
    report.push("midstream: roles guessed, no handshake, closed gracefully, SF without S");
}

/// The anomalies other than Wireshark's analysis flags in a capture, by server port.
fn anomalies(file: &Path) -> Vec<(u16, Anomaly)> {
    let mut found = Vec::new();
    for out in Driver::open(file, Default::default()).expect("the capture opens") {
        if let Output::Event(e) = out.expect("the capture reads to its end")
            && let EventKind::Anomaly(a) = e.kind
            && !matches!(a, Anomaly::Analysis { .. })
        {
            found.push((e.key.server.port, a));
        }
    }
    found
}

/// Every kernel scenario is a valid exchange (RFC 9293), the impaired transfers included:
/// none raises an anomaly (Wireshark's analysis flags aside, which describe the path).
#[test]
fn valid_kernel_exchanges_raise_no_anomaly() {
    if !needs("valid_kernel_exchanges_raise_no_anomaly", &crate::TRAFFIC) {
        return;
    }
    let mut files = Vec::new();
    for c in captures() {
        files.extend([&c.veth, &c.mid, &c.lo]);
    }
    if crate::common::Need::Ethtool.present() {
        for t in crate::impaired::transfers() {
            files.extend([&t.sender, &t.receiver]);
        }
    }
    let mut all = Vec::new();
    for f in &files {
        for (port, a) in anomalies(f) {
            all.push(format!("{}: port {port}: {a:?}", f.display()));
        }
    }
    eprintln!("{} kernel captures read, {} anomalies", files.len(), all.len());
    assert!(all.is_empty(), "anomalies on valid exchanges:\n{}", all.join("\n"));
}

/// A copy of `file` with only the frames whose TCP source port is (`server`) or is not the
/// connection's server port (1000-1099: the scenarios'), as a capture point that carries one
/// direction only would record.
fn one_direction(file: &Path, server: bool) -> std::path::PathBuf {
    use synack::capture::{CaptureReader, write};
    let out_path = file.with_file_name(format!(
        "{}-{}-only.pcap",
        file.file_stem().unwrap().to_string_lossy(),
        if server { "server" } else { "client" }
    ));
    let mut out = Vec::new();
    write::header(&mut out, synack::wire::LinkType::ETHERNET, 262_144).unwrap();
    let mut reader = CaptureReader::open(file).unwrap();
    while let Some(Ok(f)) = reader.next_frame() {
        let Some(tcp) = f.dissect().tcp else { continue };
        if (1000..1100).contains(&tcp.src_port) == server {
            write::record(&mut out, f.timestamp, f.data, f.orig_len).unwrap();
        }
    }
    std::fs::write(&out_path, out).unwrap();
    out_path
}

/// Captures that see one direction only, every kernel scenario in them, each row as Zeek's
/// rules make it. The server's side: its SYN-ACK opens the row (`H`), and its next ACK or
/// data flips the roles (`TCP_Endpoint::CheckHistory`: `^h`, every letter the responder's);
/// `conn_state()` then gives SHR after its FIN, RSTRH after its RST, OTH else. The client's
/// side: `S` and no flip; SYN_SENT stays until its FIN or RST (`UpdateStateMachine`), so S0,
/// SH, or RSTOS0/OTH; and the attempt timer ends a row 5 s after the SYN
/// (`TCPSessionAdapter::AttemptTimer`, the responder still inactive).
#[test]
fn one_direction_captures_follow_zeeks_rules() {
    if !needs("one_direction_captures_follow_zeeks_rules", &crate::TRAFFIC) {
        return;
    }
    let (mut rows, mut flipped) = (0, 0);
    for c in captures() {
        let server_side = Tracked::of(&one_direction(&c.veth, true));
        for (port, conv) in &server_side.0 {
            for s in &conv.summaries {
                rows += 1;
                let h = s.history.as_str();
                let want = if h.starts_with("^h") {
                    flipped += 1;
                    assert!(!h.chars().any(|ch| ch.is_ascii_uppercase()), "port {port}: {h}");
                    if h.contains('r') {
                        ConnState::RSTRH
                    } else if h.contains('f') {
                        ConnState::SHR
                    } else {
                        ConnState::OTH
                    }
                } else {
                    // No SYN-ACK first (a lone RST answering a SYN the capture lacks): nothing
                    // flips it, the server is the originator, the responder inactive.
                    assert!(!h.chars().any(|ch| ch.is_ascii_lowercase()), "port {port}: {h}");
                    if h.contains('F') && !h.contains('R') {
                        ConnState::SH
                    } else {
                        ConnState::OTH
                    }
                };
                assert_eq!(s.conn_state, want, "port {port}: {h}");
            }
        }
        let client_side = Tracked::of(&one_direction(&c.veth, false));
        for (port, conv) in &client_side.0 {
            for s in &conv.summaries {
                rows += 1;
                let h = s.history.as_str();
                assert!(!h.chars().any(|ch| ch.is_ascii_lowercase()), "port {port}: {h}");
                let syn = h.starts_with('S');
                if syn {
                    let dur = s.last.saturating_since(s.start);
                    assert!(
                        dur < std::time::Duration::from_secs(5),
                        "port {port}: {h} lasts {dur:?}"
                    );
                }
                // A row that starts later (after the attempt timer) has a partial originator.
                let want = if h.contains('R') {
                    if rstos0(h) { ConnState::RSTOS0 } else { ConnState::OTH }
                } else if h.contains('F') {
                    ConnState::SH
                } else if syn {
                    ConnState::S0
                } else {
                    ConnState::OTH
                };
                assert_eq!(s.conn_state, want, "port {port}: {h}");
            }
        }
    }
    eprintln!("one-direction captures: {rows} rows, {flipped} flipped by the server's traffic");
    assert!(rows > 20 && flipped > 10, "{rows} rows, {flipped} flipped");
}

/// `conn_state()`'s `/^\^?S[^HAFGIQ]*R.*/`.
fn rstos0(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else { return false };
    rest.find('R')
        .is_some_and(|i| !rest[..i].contains(['H', 'A', 'F', 'G', 'I', 'Q']))
}
