//! What one segment does to a connection: Zeek's view of it (which may flip the roles),
//! Wireshark's sequence analysis, and the RFC 9293 model's events and state changes.

use super::addrs::V6Addrs;
use super::analysis::{AnalysisFlags, Seg, SeqState, step_bases};
use super::conn::{Conn, Half, HistShape, SynSeen, handshake, window_scales};
use super::event::{Anomaly, CloseCause, Event, EventKind, Roles};
use super::key::{Direction, Packed};
use super::state::{Control, TcpState, adopt_midstream, step};
use super::zeek::{self, Acct};
use crate::Timestamp;
use crate::wire::{SeqNumber, SynOptions, TcpFlags};

pub(super) struct Emitter<'a> {
    pub(super) events: &'a mut Vec<Event>,
    /// The IPv6 addresses the connections' keys name.
    pub(super) v6: &'a V6Addrs,
    pub(super) frame: u64,
    pub(super) ts: Timestamp,
}

impl Emitter<'_> {
    pub(super) fn emit(&mut self, c: &Conn, direction: Direction, kind: EventKind) {
        if c.closed.is_some() && !matches!(kind, EventKind::Closed(_)) {
            return;
        }
        self.events.push(Event {
            conn: c.id(),
            key: c.public_key(self.v6),
            timestamp: self.ts,
            direction,
            frame: self.frame,
            kind,
        });
    }
}

fn flip(c: &mut Conn, seq: Option<&mut SeqState>) {
    c.swap_sides();
    if let Some(seq) = seq {
        seq.flip();
    }
}

/// One segment as the models read it, with what the tracker decided about it.
pub(super) struct Input<'s> {
    /// The sender.
    pub(super) src: Packed,
    pub(super) seg: &'s Seg,
    /// A SYN's options.
    pub(super) syn_opts: Option<SynOptions>,
    /// The IP datagram's length (Zeek's `ip_bytes`).
    pub(super) ip_len: u64,
    /// The TCP checksum is bad (reported when verified).
    pub(super) bad_checksum: bool,
    /// Zeek (without `-C`) takes the checksum for bad: it records a `C` and nothing else.
    pub(super) zeek_bad: bool,
    /// Report [`EventKind::Data`].
    pub(super) data_events: bool,
    /// The capture holds the whole payload (Zeek reassembles only such segments).
    pub(super) whole: bool,
}

/// What every step below reads of the segment, worked out once.
#[derive(Debug, Clone, Copy)]
struct Facts {
    dir: Direction,
    /// The sender's and the receiver's half.
    s: usize,
    r: usize,
    syn: bool,
    fin: bool,
    rst: bool,
    ackf: bool,
    seq: SeqNumber,
    ack: SeqNumber,
    /// One past the segment (SYN and FIN count).
    seg_end: SeqNumber,
}

impl Facts {
    fn new(dir: Direction, seg: &Seg) -> Facts {
        let flags = seg.flags;
        let (syn, fin) = (flags.contains(TcpFlags::SYN), flags.contains(TcpFlags::FIN));
        let seq = SeqNumber(seg.seq);
        Facts {
            dir,
            s: dir.index(),
            r: 1 - dir.index(),
            syn,
            fin,
            rst: flags.contains(TcpFlags::RST),
            ackf: flags.contains(TcpFlags::ACK),
            seq,
            ack: SeqNumber(seg.ack),
            seg_end: seq + (seg.len + u32::from(syn) + u32::from(fin)),
        }
    }
}

/// The endpoint states around the RFC model's step.
#[derive(Debug, Clone, Copy)]
struct Stepped {
    control: Control,
    acks_fin: bool,
    /// Before the segment.
    before_s: TcpState,
    before_r: TcpState,
    /// The sender's as the step found it (a midstream connection's is taken as established).
    cur_s: TcpState,
    /// After the step.
    after_s: TcpState,
    after_r: TcpState,
}

/// What [`process`] decided of a segment that the streams read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Processed {
    /// Its direction, after any flip.
    pub dir: Direction,
    /// Zeek flipped the roles on it.
    pub flipped: bool,
    /// It is a RST its receiver accepts (RFC 5961 §3.2).
    pub rst_accepted: bool,
}

/// Runs the three models on one segment of connection `c`: Zeek's first (it may flip the
/// roles, and with a checksum it takes for bad it ends the segment's analysis: `None`), then
/// Wireshark's sequence analysis, then the RFC 9293 model's events and state changes.
pub(super) fn process(
    c: &mut Conn,
    mut seq_analysis: Option<&mut SeqState>,
    zeek: Option<Acct<'_>>,
    out: &mut Emitter<'_>,
    inp: &Input<'_>,
) -> Option<Processed> {
    let (dir, flipped) = zeek_view(c, seq_analysis.as_deref_mut(), zeek, out, inp)?;
    let seg = inp.seg;
    // Wireshark's analysis keeps the time of the last segment, which is this.
    let prev = c.last.get();
    c.set_last(crate::Nanos::from(seg.ts));
    c.marks.set_last_dir(dir);
    if inp.bad_checksum {
        out.emit(c, dir, EventKind::Anomaly(Anomaly::BadChecksum));
    }
    if seg.flags.is_invalid_combination() {
        out.emit(c, dir, EventKind::Anomaly(Anomaly::InvalidFlags(seg.flags)));
    }
    // Wireshark's anomalies are reported after the handshake events.
    let (analysis_flags, dup_ack_count) = wireshark_view(c, seq_analysis, dir, seg, prev);
    let f = Facts::new(dir, seg);
    handshake_events(c, out, &f, inp);
    if !analysis_flags.is_empty() {
        let kind = EventKind::Anomaly(Anomaly::Analysis {
            flags: analysis_flags,
            dup_ack_count,
        });
        out.emit(c, dir, kind);
    }
    let rst_in_window = rst_acceptable(c, out, &f);
    fin_events(c, out, &f, seg);
    let st = step_states(c, &f, rst_in_window);
    progress_events(c, out, &f, seg, &st);
    if inp.data_events {
        data_event(c, out, &f, seg);
    }
    bookkeeping(c, &f, seg);
    closing(c, out, &f, &st, rst_in_window);
    Some(Processed {
        dir,
        flipped,
        rst_accepted: f.rst && rst_in_window,
    })
}

/// Zeek's view of the segment (conn_state, history, counts), which may flip the roles.
/// Returns the segment's direction after it and whether Zeek flipped the roles on it, or
/// `None` when Zeek takes the checksum for bad and analyses nothing else of the packet.
fn zeek_view(
    c: &mut Conn,
    seq_analysis: Option<&mut SeqState>,
    mut zeek: Option<Acct<'_>>,
    out: &mut Emitter<'_>,
    inp: &Input<'_>,
) -> Option<(Direction, bool)> {
    let (seg, src) = (inp.seg, inp.src);
    let flags = seg.flags;
    let (syn, ackf) = (flags.contains(TcpFlags::SYN), flags.contains(TcpFlags::ACK));
    let dir = c.key.direction_from(src);
    if inp.zeek_bad {
        // Zeek records a `C` and analyses nothing else of the packet.
        if let Some(z) = zeek.as_mut() {
            z.conn.bad_checksum(dir == Direction::ClientToServer);
        }
        c.marks.set_hist(HistShape::Other);
        out.emit(c, dir, EventKind::Anomaly(Anomaly::BadChecksum));
        return None;
    }
    let orig = dir == Direction::ClientToServer;
    let hist_before = c.marks.hist();
    let hist = if hist_before == HistShape::Other {
        HistShape::Other
    } else {
        // (A content gap, a `G`, needs both endpoints established: never while the history
        // is empty or `H`.)
        let state = [c.zeek.state(0), c.zeek.prev_state(0)];
        hist_before.after(orig, seg, c.half[0].start(), &mut c.zeek_high, state)
    };
    // Zeek's starting sequences of sides without a SYN (see `Half::start`), as its
    // init_endpoint sets them: the sender's, and an inactive receiver's from the ACK.
    {
        let (s, r) = (dir.index(), 1 - dir.index());
        if c.half[s].has & Half::ISN == 0 {
            let start = zeek::sender_start(c.zeek.state(s), c.zeek.prev_state(s), syn, seg.seq, c.half[s].start());
            if let Some(start) = start {
                c.half[s].start = start;
            }
        }
        if ackf && c.zeek.state(r) == zeek::ZeekEndpointState::Inactive && c.half[r].has & Half::ISN == 0 {
            c.half[r].start = seg.ack.wrapping_sub(1);
        }
    }
    let lone_h = hist_before == HistShape::LoneH;
    let flipped = zeek::packet(&mut c.zeek, zeek, lone_h, orig, seg, inp.ip_len, inp.whole);
    if hist_before != HistShape::Other {
        c.marks.set_hist(if flipped { HistShape::Other } else { hist });
    }
    if !flipped {
        return Some((dir, false));
    }
    flip(c, seq_analysis);
    out.emit(c, dir.reverse(), EventKind::RolesFlipped);
    Some((dir.reverse(), true))
}

/// Wireshark's bases for relative sequence numbers (kept in the connection, which numbers data
/// events by them with the analysis off too) and its sequence analysis of the segment
/// (`tcp_analyze_sequence_number`); `prev` is the time of the connection's previous segment.
fn wireshark_view(
    c: &mut Conn,
    seq_analysis: Option<&mut SeqState>,
    dir: Direction,
    seg: &Seg,
    prev: i64,
) -> (AnalysisFlags, u32) {
    let step = step_bases(c, dir.index(), seg);
    match seq_analysis {
        Some(conv) => conv.segment_flags(dir.index(), seg, step, prev),
        None => (AnalysisFlags::empty(), 0),
    }
}

/// The SYN, SYN-ACK and simultaneous-open events, and what a SYN records; data before the
/// handshake completed.
fn handshake_events(c: &mut Conn, out: &mut Emitter<'_>, f: &Facts, inp: &Input<'_>) {
    let Facts {
        dir,
        s,
        r,
        syn,
        rst,
        ackf,
        seq,
        ..
    } = *f;
    let seg = inp.seg;
    let flags = seg.flags;
    if syn && !rst {
        let opts = inp.syn_opts.unwrap_or_default();
        if !ackf {
            let retransmission = c.half[s].isn() == Some(seq);
            if c.syn(r).is_some_and(|syn| !syn.has(SynSeen::ACK)) && !retransmission {
                out.emit(c, dir, EventKind::SimultaneousOpen);
                c.marks.set_simultaneous_open();
            } else {
                out.emit(
                    c,
                    dir,
                    EventKind::Syn {
                        isn: seg.seq,
                        options: opts,
                        retransmission,
                    },
                );
            }
            c.syn_ts = Some(crate::Nanos::from(seg.ts));
        } else {
            let retransmission = c.half[s].isn() == Some(seq);
            let before_syn = !c.half[r].sent_syn();
            let syn_to_synack = c.syn_ts.map(|t| crate::Nanos::from(seg.ts).since(t));
            out.emit(
                c,
                dir,
                EventKind::SynAck {
                    isn: seg.seq,
                    options: opts,
                    retransmission,
                    before_syn,
                    syn_to_synack,
                },
            );
            if !retransmission || c.synack_ts.is_none() {
                c.synack_ts = Some(crate::Nanos::from(seg.ts));
            }
        }
        let h = &mut c.half[s];
        h.start = seq.0;
        h.has |= Half::ISN;
        c.set_syn(s, SynSeen::from(opts).with_flags(flags));
        c.syn_data[s] = u16::try_from(seg.len).unwrap_or(u16::MAX);
    } else if seg.len > 0
        && c.half[s].state.is_handshake()
        && !c.is_established()
        && c.roles == Roles::FromSyn
        && !may_send_data(c, f)
    {
        out.emit(c, dir, EventKind::Anomaly(Anomaly::DataBeforeEstablished));
    }
}

/// Whether a side still in its handshake may send data (RFC 9293 §3.10.7.3, RFC 7413): the
/// SYN's sender once it has the peer's SYN-ACK, on the segment that acknowledges it (Linux
/// sends its first bytes there after a Fast Open cookie request); the SYN-ACK's sender after
/// accepting data on the SYN (a Fast Open server answers before the handshake completes).
fn may_send_data(c: &Conn, f: &Facts) -> bool {
    let (s, r) = (f.s, f.r);
    let sent_syn_ack = c.syn(s).is_some_and(|syn| syn.has(SynSeen::ACK));
    if sent_syn_ack {
        return c.syn_data[r] > 0;
    }
    let peer_syn_ack = c.syn(r).is_some_and(|syn| syn.has(SynSeen::ACK));
    peer_syn_ack && f.ackf && c.half[r].isn().is_some_and(|isn| f.ack == isn + 1)
}

/// Whether a RST is accepted: when in the receiver's window (RFC 5961 §3.2), or when no
/// window is known; an anomaly when not.
fn rst_acceptable(c: &Conn, out: &mut Emitter<'_>, f: &Facts) -> bool {
    let Facts {
        dir,
        s,
        r,
        rst,
        ackf,
        seq,
        ack,
        ..
    } = *f;
    let mut rst_in_window = true;
    if rst {
        if let Some(expected) = c.half[s].next_seq() {
            let scale = if c.is_established() {
                window_scales(c).map_or(0, |w| w[r])
            } else {
                0
            };
            let window = (u32::from(c.half[r].window) << scale).max(1);
            let off = seq.diff(expected) as u32;
            // In window: [RCV.NXT, RCV.NXT + RCV.WND); a RST one below (after a FIN) also counts.
            rst_in_window = off < window || seq + 1 == expected;
        }
        if c.half[s].next_seq().is_none() && c.half[r].state == TcpState::SynSent {
            // A RST answering a SYN: acceptable when it acknowledges the SYN (RFC 9293 §3.10.7.3).
            rst_in_window = !ackf || c.half[r].isn().is_none_or(|isn| ack == isn + 1);
        }
        if !rst_in_window {
            out.emit(c, dir, EventKind::Anomaly(Anomaly::RstOutOfWindow));
        }
    }
    rst_in_window
}

/// A new FIN: the first of the connection (an active close) or the second.
fn fin_events(c: &mut Conn, out: &mut Emitter<'_>, f: &Facts, seg: &Seg) {
    let Facts {
        dir,
        s,
        r,
        fin,
        rst,
        seq,
        ..
    } = *f;
    let new_fin = fin && c.fin_seq(s).is_none_or(|f| f != seq + seg.len);
    if new_fin && !rst {
        let first_fin = c.marks.first_fin();
        let first = first_fin.is_none() || first_fin == Some(dir) && !c.half[r].sent_fin();
        if first_fin.is_none() {
            c.marks.set_first_fin(dir);
        }
        out.emit(c, dir, EventKind::Fin { first, data: seg.len });
    }
    if seg.len > 0 && c.half[r].sent_fin() {
        c.half[s].has |= Half::DATA_AFTER_PEER_FIN;
    }
}

/// The RFC 9293 model's step: the control the segment carries, and both endpoints' states
/// changed in [`step`], the one place they change.
fn step_states(c: &mut Conn, f: &Facts, rst_in_window: bool) -> Stepped {
    let Facts {
        s,
        r,
        syn,
        fin,
        rst,
        ackf,
        ack,
        ..
    } = *f;
    let acks_syn = ackf && c.half[r].isn().is_some_and(|isn| ack > isn);
    let acks_fin = ackf && c.fin_seq(r).is_some_and(|f| ack > f);
    let control = if rst {
        Control::Rst
    } else if syn && ackf {
        Control::SynAck
    } else if syn {
        Control::Syn
    } else if fin {
        Control::Fin { acks_fin }
    } else if ackf {
        Control::Ack { acks_syn, acks_fin }
    } else {
        Control::Other
    };
    let (before_s, before_r) = (c.half[s].state, c.half[r].state);
    // A connection first seen midstream is taken as established on both sides.
    if c.roles != Roles::FromSyn && c.half[s].isn().is_none() && before_s == TcpState::Closed && !syn {
        let t = adopt_midstream(before_r);
        c.half[s].state = t.sender;
        c.half[r].state = t.receiver;
    }
    let (cur_s, cur_r) = (c.half[s].state, c.half[r].state);
    if !rst || rst_in_window {
        let t = step(cur_s, cur_r, control);
        c.half[s].state = t.sender;
        c.half[r].state = t.receiver;
    }
    let (after_s, after_r) = (c.half[s].state, c.half[r].state);
    Stepped {
        control,
        acks_fin,
        before_s,
        before_r,
        cur_s,
        after_s,
        after_r,
    }
}

/// The handshake's completion and the teardown's acknowledgments, from the step.
fn progress_events(c: &mut Conn, out: &mut Emitter<'_>, f: &Facts, seg: &Seg, st: &Stepped) {
    let (dir, rst) = (f.dir, f.rst);
    let Stepped {
        control,
        acks_fin,
        before_s,
        before_r,
        after_s,
        after_r,
        ..
    } = *st;
    let established_now = !c.is_established()
        && after_s == TcpState::Established
        && after_r == TcpState::Established
        && (before_s != TcpState::Established || before_r != TcpState::Established)
        && c.half[0].sent_syn()
        && c.half[1].sent_syn();
    if established_now
        || (!c.is_established()
            && matches!(control, Control::Fin { .. })
            && before_s == TcpState::SynSent
            && before_r == TcpState::SynReceived)
    {
        c.set_established(crate::Nanos::from(seg.ts));
        let hs = handshake(c, crate::Nanos::from(seg.ts));
        out.emit(c, dir, EventKind::Established(hs));
    }

    if acks_fin && !rst {
        if before_r == TcpState::FinWait1 && matches!(after_r, TcpState::FinWait2 | TcpState::TimeWait) {
            out.emit(c, dir, EventKind::FinAcked);
        }
        if before_r == TcpState::LastAck && after_r == TcpState::Closed {
            out.emit(c, dir, EventKind::FinalAck);
        }
        if before_r == TcpState::Closing && after_r == TcpState::TimeWait {
            out.emit(c, dir, EventKind::FinAcked);
        }
    }
}

/// A segment's payload, at its sequence number relative to the sender's first.
fn data_event(c: &Conn, out: &mut Emitter<'_>, f: &Facts, seg: &Seg) {
    let Facts {
        dir, s, syn, rst, seq, ..
    } = *f;
    if seg.len > 0 && !rst {
        let base = c.half[s].isn().unwrap_or(SeqNumber(c.ends[s].base));
        let mut rel = u64::from(seq.diff(base) as u32);
        if syn {
            rel += 1;
        }
        out.emit(
            c,
            dir,
            EventKind::Data {
                relative_seq: rel,
                len: seg.len,
            },
        );
    }
}

/// The sender's next sequence, window and FIN position.
fn bookkeeping(c: &mut Conn, f: &Facts, seg: &Seg) {
    let Facts {
        s,
        fin,
        rst,
        seq,
        seg_end,
        ..
    } = *f;
    let h = &mut c.half[s];
    if !rst && h.next_seq().is_none_or(|n| seg_end > n) {
        h.next_seq = seg_end.0;
        h.has |= Half::NEXT_SEQ;
    }
    if !rst {
        h.window = seg.window;
    }
    if fin && !rst {
        c.set_fin_seq(s, seq + seg.len);
    }
}

/// The connection's close and its cause, once a RST is accepted or both FINs are
/// acknowledged.
fn closing(c: &mut Conn, out: &mut Emitter<'_>, f: &Facts, st: &Stepped, rst_in_window: bool) {
    let Facts { dir, rst, .. } = *f;
    let Stepped {
        before_s,
        before_r,
        cur_s,
        ..
    } = *st;
    if c.closed.is_none() {
        let cause = if rst && rst_in_window {
            if before_r == TcpState::SynSent && dir == Direction::ServerToClient && !c.is_established() {
                Some(CloseCause::Refused)
            } else {
                Some(CloseCause::Reset {
                    by: dir,
                    state: cur_s,
                    in_window: true,
                })
            }
        } else {
            let done = |st: TcpState| matches!(st, TcpState::TimeWait | TcpState::Closed);
            if done(c.half[0].state) && done(c.half[1].state) && c.half[0].sent_fin() && c.half[1].sent_fin() {
                let both_closing = before_s == TcpState::Closing || before_r == TcpState::Closing;
                let simultaneous =
                    both_closing || (c.half[0].state == TcpState::TimeWait && c.half[1].state == TcpState::TimeWait);
                Some(if simultaneous {
                    CloseCause::Simultaneous
                } else {
                    let initiator = c.marks.first_fin().unwrap_or(dir);
                    CloseCause::Graceful {
                        initiator,
                        half_close: c.half[initiator.reverse().index()].data_after_peer_fin(),
                    }
                })
            } else {
                None
            }
        };
        if let Some(cause) = cause {
            out.emit(c, dir, EventKind::Closed(cause));
            c.closed = Some(cause);
        }
    }
}
