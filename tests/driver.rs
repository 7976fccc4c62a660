//! The driver: the same events and summaries as a tracker fed by hand, a damaged capture's
//! error in its place with the end-of-capture items after it, and two small tools users
//! wrote against the library (a handshake report and a SYN-scan detector) needing no read,
//! drain or end-of-file glue.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use synack::Timestamp;
use synack::capture::{CaptureError, CaptureReader, write};
use synack::driver::{Driver, Output};
use synack::track::{CloseCause, Config, ConnSummary, Direction, Event, EventKind};
use synack::wire::{LinkType, TcpFlags};

/// What a tracker fed by hand reports (`common::by_hand`, its stream chunks unused).
fn by_hand(pcap: &[u8], config: Config) -> (Vec<Output>, bool) {
    common::by_hand::by_hand(pcap, config, &mut |_| {})
}

fn driven(pcap: &[u8], config: Config) -> (Vec<Output>, Vec<CaptureError>) {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for item in Driver::new(CaptureReader::new(pcap).unwrap(), config) {
        match item {
            Ok(o) => out.push(o),
            Err(e) => errors.push(e),
        }
    }
    (out, errors)
}

#[test]
fn the_corpus_gives_what_a_tracker_fed_by_hand_gives() {
    let (mut files, mut items) = (0, 0);
    for path in common::corpus_captures() {
        let pcap = std::fs::read(&path).unwrap();
        if CaptureReader::new(&pcap[..]).is_err() {
            continue;
        }
        for config in [Config::default(), Config::events_only()] {
            let (want, damaged) = by_hand(&pcap, config.clone());
            let (got, errors) = driven(&pcap, config);
            assert_eq!(got, want, "{}", path.display());
            assert_eq!(errors.len(), usize::from(damaged), "{}", path.display());
            items += got.len();
        }
        files += 1;
    }
    assert!(files > 400 && items > 3_000, "{files} files, {items} items");
}

#[test]
fn a_capture_cut_mid_record_yields_its_error_then_the_end_of_capture() {
    let mut pcap = write::seed_pcap();
    pcap.truncate(pcap.len() - 20); // into the last frame, the final ACK
    let items: Vec<Result<Output, CaptureError>> =
        Driver::new(CaptureReader::new(&pcap[..]).unwrap(), Config::default()).collect();
    let error = items.iter().position(Result::is_err).expect("the damage is reported");
    assert!(
        matches!(items[error], Err(CaptureError::Truncated { .. })),
        "{:?}",
        items[error]
    );
    // Before it, the events of the eight good frames; after it, the connection's close at the
    // end of the capture (the final ACK is missing: the client waits in LAST-ACK) and its summary.
    let frames: HashSet<u64> = items[..error]
        .iter()
        .filter_map(|i| match i {
            Ok(Output::Event(e)) => Some(e.frame),
            _ => None,
        })
        .collect();
    assert_eq!(frames.iter().max(), Some(&8));
    let after: Vec<&Output> = items[error + 1..].iter().map(|i| i.as_ref().unwrap()).collect();
    assert!(
        matches!(
            after[0],
            Output::Event(Event {
                kind: EventKind::Closed(CloseCause::EndOfCapture { .. }),
                ..
            })
        ),
        "{after:?}"
    );
    let Output::Summary(s) = after[1] else {
        panic!("{after:?}")
    };
    assert_eq!((s.conn_state.name(), s.history.as_str()), ("SF", "ShADafF"));
    assert_eq!(after.len(), 2);
}

#[test]
fn events_only_still_reports_the_connections_open_at_the_end() {
    let frames = synack::seed::FRAMES[..5]
        .iter()
        .map(|f| (f.timestamp, LinkType::ETHERNET, f.bytes));
    let config = Config::events_only();
    let last = Driver::from_frames(frames, config).last().unwrap().unwrap();
    let Output::Event(e) = last else { panic!("{last:?}") };
    assert!(
        matches!(e.kind, EventKind::Closed(CloseCause::EndOfCapture { .. })),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Tool 1: a handshake report per server port.
// ---------------------------------------------------------------------------------------------

/// What the report says of one server port.
#[derive(Debug, Default, PartialEq)]
struct PortReport {
    handshakes: usize,
    refused: usize,
    /// SYN to SYN-ACK plus SYN-ACK to ACK, of each completed handshake.
    rtts: Vec<Duration>,
    graceful: usize,
    reset: usize,
    server_closed_first: usize,
    client_closed_first: usize,
}

impl PortReport {
    fn percentile(&self, p: usize) -> Option<Duration> {
        let mut v = self.rtts.clone();
        v.sort();
        v.get((v.len().max(1) - 1) * p / 100).copied()
    }
}

fn handshake_report(items: impl Iterator<Item = Result<Output, CaptureError>>) -> BTreeMap<u16, PortReport> {
    let mut ports: BTreeMap<u16, PortReport> = BTreeMap::new();
    for item in items.flatten() {
        match item {
            Output::Event(e) => {
                if let EventKind::Established(h) = e.kind {
                    let r = ports.entry(e.key.server.port).or_default();
                    r.handshakes += 1;
                    if let (Some(a), Some(b)) = (h.syn_to_synack, h.synack_to_ack) {
                        r.rtts.push(a + b);
                    }
                }
            }
            Output::Summary(s) => {
                let r = ports.entry(s.key.server.port).or_default();
                tally_close(r, &s);
            }
            _ => {}
        }
    }
    ports
}

fn tally_close(r: &mut PortReport, s: &ConnSummary) {
    match s.cause {
        CloseCause::Refused => r.refused += 1,
        CloseCause::Graceful { .. } | CloseCause::Simultaneous => r.graceful += 1,
        _ if s.reset_by().is_some() => r.reset += 1,
        _ => {}
    }
    match s.first_fin {
        Some(Direction::ServerToClient) => r.server_closed_first += 1,
        Some(Direction::ClientToServer) => r.client_closed_first += 1,
        None => {}
    }
}

#[test]
fn handshake_report_of_the_lab_capture() {
    let report = handshake_report(Driver::new(CaptureReader::seed(), Config::default()));
    let lab = &report[&1005];
    // Frames 1-3 of the seed: SYN at +8.8803665 s, SYN-ACK 210 µs later, ACK 159 µs after it.
    assert_eq!(
        (
            lab.handshakes,
            lab.refused,
            lab.graceful,
            lab.reset,
            lab.server_closed_first,
            lab.client_closed_first
        ),
        (1, 0, 1, 0, 1, 0)
    );
    assert_eq!(lab.percentile(50), Some(Duration::from_nanos(369_000)));
    assert_eq!(report.len(), 1);
}

#[test]
fn handshake_report_of_refused_and_reset_connections() {
    // Port 80 answers; port 81 refuses; the third connection to 80 is reset by the client.
    let mut frames = Vec::new();
    let (c, s) = (Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2));
    let mut t = 0u32;
    let mut add = |frame: Vec<u8>| {
        t += 1;
        frames.push((Timestamp::new(1_000, t * 1_000_000), LinkType::ETHERNET, frame));
    };
    let f =
        |a: (Ipv4Addr, u16), b: (Ipv4Addr, u16), fl: TcpFlags, seq, ack| common::tcp_frame(a, b, fl, seq, ack, 0, 1000);
    const S: TcpFlags = TcpFlags::SYN;
    const A: TcpFlags = TcpFlags::ACK;
    for (port, cp, close) in [(80, 40000, "fin"), (81, 40001, "refused"), (80, 40002, "rst")] {
        let (cl, sv) = ((c, cp), (s, port));
        add(f(cl, sv, S, 100, 0));
        if close == "refused" {
            add(f(sv, cl, TcpFlags::RST | A, 0, 101));
            continue;
        }
        add(f(sv, cl, S | A, 500, 101));
        add(f(cl, sv, A, 101, 501));
        if close == "rst" {
            add(f(cl, sv, TcpFlags::RST | A, 101, 501));
            continue;
        }
        add(f(cl, sv, TcpFlags::FIN | A, 101, 501));
        add(f(sv, cl, TcpFlags::FIN | A, 501, 102));
        add(f(cl, sv, A, 102, 502));
    }
    let report = handshake_report(Driver::from_frames(frames, Config::default()));
    let p80 = &report[&80];
    assert_eq!(
        (p80.handshakes, p80.graceful, p80.reset, p80.client_closed_first),
        (2, 1, 1, 1)
    );
    // SYN to SYN-ACK 1 ms, SYN-ACK to ACK 1 ms.
    assert_eq!(p80.percentile(50), Some(Duration::from_millis(2)));
    assert_eq!((report[&81].handshakes, report[&81].refused), (0, 1));
}

// ---------------------------------------------------------------------------------------------
// Tool 2: a streaming SYN-scan detector.
// ---------------------------------------------------------------------------------------------

/// Flags a source that sent SYNs to at least `threshold` distinct ports of one host, most of
/// them refused or left half-open, as soon as it crosses the threshold.
fn syn_scanners(
    items: impl Iterator<Item = Result<Output, CaptureError>>,
    threshold: usize,
) -> Vec<(IpAddr, IpAddr, u64)> {
    let mut ports: HashMap<(IpAddr, IpAddr), HashSet<u16>> = HashMap::new();
    let mut answered: HashMap<(IpAddr, IpAddr), usize> = HashMap::new();
    let mut flagged = Vec::new();
    for item in items.flatten() {
        let Output::Event(e) = item else { continue };
        let pair = (e.key.client.addr, e.key.server.addr);
        match e.kind {
            EventKind::Syn {
                retransmission: false, ..
            } => {
                let seen = ports.entry(pair).or_default();
                seen.insert(e.key.server.port);
                let completed = answered.get(&pair).copied().unwrap_or(0);
                if seen.len() == threshold && completed * 2 < threshold {
                    flagged.push((pair.0, pair.1, e.frame));
                }
            }
            EventKind::Established(_) => *answered.entry(pair).or_default() += 1,
            _ => {}
        }
    }
    flagged
}

#[test]
fn a_syn_scan_is_flagged_and_the_lab_is_not() {
    let (scanner, target) = (Ipv4Addr::new(198, 18, 0, 66), Ipv4Addr::new(198, 18, 0, 2));
    let mut frames = Vec::new();
    for (i, port) in (1000u16..1100).enumerate() {
        let ts = |k: u32| Timestamp::new(2_000, i as u32 * 10_000 + k);
        let (sc, tg) = ((scanner, 50000), (target, port));
        frames.push((ts(0), common::tcp_frame(sc, tg, TcpFlags::SYN, 7, 0, 0, 1024)));
        if port % 10 == 5 {
            // Open: SYN-ACK, and the scanner resets instead of completing the handshake.
            frames.push((
                ts(1),
                common::tcp_frame(tg, sc, TcpFlags::SYN | TcpFlags::ACK, 9, 8, 0, 1024),
            ));
            frames.push((ts(2), common::tcp_frame(sc, tg, TcpFlags::RST, 8, 0, 0, 0)));
        } else {
            frames.push((
                ts(1),
                common::tcp_frame(tg, sc, TcpFlags::RST | TcpFlags::ACK, 0, 8, 0, 0),
            ));
        }
    }
    let items = Driver::from_frames(
        frames.into_iter().map(|(t, f)| (t, LinkType::ETHERNET, f)),
        Config::default(),
    );
    let flagged = syn_scanners(items, 20);
    // The 20th distinct port: frame 2 x 20 minus one for the two open ports among the first 20
    // (1005 and 1015, three frames each).
    assert_eq!(flagged, [(IpAddr::from(scanner), IpAddr::from(target), 41)]);
    assert!(syn_scanners(Driver::new(CaptureReader::seed(), Config::default()), 2).is_empty());
}
