//! Observing one frame or one segment: the parts the models read, the connection found or
//! made, and what the segment does to it.

use super::admit::Ends;
use super::analysis::Seg;
use super::key::Packed;
use super::process::{Emitter, Input, process};
use super::segment::{self, Segment};
use super::zeek::Acct;
use super::{Endpoint, Event, FlowKey, Parts, StreamChunk, Tracker, discard};
use crate::Timestamp;
use crate::wire::{ChecksumVerdict, Frame, SynOptions, TcpFlags};
use core::time::Duration;

impl Tracker {
    /// Observes one frame at `timestamp` and returns the events it caused (empty for frames
    /// without a TCP header). The slice is valid until the next call. The frame's checksums
    /// are verified as [`Config::verify_checksums`](super::Config::verify_checksums) and
    /// [`ZeekSettings::count_bad_checksums`](super::ZeekSettings::count_bad_checksums) ask.
    ///
    /// Idle connections are also expired here, at most once per second of packet time, so a
    /// caller that never calls [`Tracker::advance`] still stays within its bounds.
    ///
    /// ```
    /// use synack::track::{Config, EventKind, Tracker};
    /// use synack::wire::parse_frame;
    ///
    /// let mut tracker = Tracker::new(Config::default());
    /// let syn = &synack::seed::FRAMES[0];
    /// let events = tracker.observe(syn.timestamp, &parse_frame(syn.bytes)?);
    /// assert!(matches!(events[0].kind, EventKind::New { .. }));
    /// assert!(matches!(events[1].kind, EventKind::Syn { isn: 2672442395, .. }));
    /// # Ok::<(), synack::Error>(())
    /// ```
    pub fn observe(&mut self, timestamp: Timestamp, frame: &Frame<'_>) -> &[Event] {
        self.observe_with(timestamp, frame, &mut discard)
    }

    /// [`Tracker::observe`], the stream chunks the frame makes ready ([`Config::reassembly`](super::Config::reassembly):
    /// in-order payload as slices of the frame, buffered data, gaps, ends — and those of
    /// connections it closes) given to `sink`, in stream order per direction, before the
    /// events are returned. See [`StreamChunk`].
    pub fn observe_with<'f>(
        &mut self,
        timestamp: Timestamp,
        frame: &Frame<'f>,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> &[Event] {
        // The parts straight from the frame (what `Segment::from_frame` holds, without the
        // public endpoints), the checksums verified only when the settings read them.
        let v6: [Endpoint; 2];
        let ends = match Packed::endpoints_of(frame) {
            Some((s, d)) => Some(Ends::V4(s, d)),
            None => match FlowKey::endpoints_of(frame) {
                Some((s, d)) => {
                    v6 = [s, d];
                    Some(Ends::V6(&v6))
                }
                None => None,
            },
        };
        let (Some(ends), Some(tcp)) = (ends, frame.tcp.as_ref()) else {
            self.begin(timestamp);
            self.stats.not_tcp += 1;
            self.hand_held(sink);
            return &self.events;
        };
        let syn_opts = tcp
            .flags
            .contains(TcpFlags::SYN)
            .then(|| SynOptions::collect(tcp.options()));
        let count_bad = self.config.zeek.count_bad_checksums;
        let verify = self.config.verify_checksums || count_bad;
        let parts = Parts {
            ends,
            seg: Seg::of_tcp(
                tcp,
                segment::payload_len(frame),
                timestamp,
                syn_opts.and_then(|o| o.window_scale),
            ),
            payload: frame.payload,
            urgent_ptr: tcp.urgent_ptr,
            syn_opts,
            ip_len: u64::from(segment::ip_len(frame)),
            tcp_checksum: if verify { frame.tcp_checksum() } else { None },
            ip_checksum: if count_bad { frame.ipv4_checksum() } else { None },
            whole: frame.payload.len() as u64 >= u64::from(segment::payload_len(frame)),
        };
        self.begin(timestamp);
        self.observe_parts(parts, sink)
    }

    /// Counts a frame given at `timestamp` and expires idle connections, at most once per
    /// second of packet time.
    fn begin(&mut self, timestamp: Timestamp) {
        self.events.clear();
        self.stats.frames += 1;
        if timestamp > self.clock {
            self.clock = timestamp;
        }
        if timestamp.saturating_since(self.last_sweep) >= Duration::from_secs(1) {
            self.last_sweep = timestamp;
            self.expire(timestamp);
        }
    }

    /// Observes one segment at `timestamp` (counted as one frame) and returns the events it
    /// caused. Its checksum verdicts are read as given (`None`: not verified).
    pub fn observe_segment(&mut self, timestamp: Timestamp, seg: &Segment<'_>) -> &[Event] {
        self.observe_segment_with(timestamp, seg, &mut discard)
    }

    /// [`Tracker::observe_segment`], the stream chunks given to `sink` (as
    /// [`Tracker::observe_with`]).
    pub fn observe_segment_with(
        &mut self,
        timestamp: Timestamp,
        seg: &Segment<'_>,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> &[Event] {
        self.begin(timestamp);
        let ends = [seg.src, seg.dst];
        let parts = Parts {
            ends: Ends::of(&ends),
            seg: Seg {
                seq: seg.seq,
                ack: seg.ack,
                len: seg.len,
                flags: seg.flags,
                window: seg.window,
                wscale: seg.syn_options.and_then(|o| o.window_scale),
                ts: timestamp,
            },
            payload: seg.payload,
            urgent_ptr: seg.urgent_ptr,
            syn_opts: seg.syn_options,
            ip_len: u64::from(seg.ip_len),
            tcp_checksum: seg.tcp_checksum,
            ip_checksum: seg.ip_checksum,
            whole: seg.payload.len() as u64 >= u64::from(seg.len),
        };
        self.observe_parts(parts, sink)
    }

    /// Observes one segment, the frame already counted.
    #[inline(always)]
    fn observe_parts(&mut self, p: Parts<'_>, sink: &mut dyn FnMut(StreamChunk<'_>)) -> &[Event] {
        let (flags, timestamp) = (p.seg.flags, p.seg.ts);
        let count_bad = self.config.zeek.count_bad_checksums;
        // Zeek without -C drops a packet whose IPv4 header checksum does not verify.
        if count_bad
            && p.ip_checksum
                .is_some_and(|v| !matches!(v, ChecksumVerdict::Good | ChecksumVerdict::Unverifiable))
        {
            self.stats.bad_checksum_dropped += 1;
            self.hand_held(sink);
            return &self.events;
        }
        let (idx, src) = match p.ends {
            Ends::V4(src, dst) => (self.find_or_create(src, dst, flags, p.seg.seq, timestamp), src),
            Ends::V6(&[src, dst]) => self.find_or_create_v6(src, dst, flags, p.seg.seq, timestamp),
        };
        let verdict = if self.config.verify_checksums || count_bad {
            p.tcp_checksum
        } else {
            None
        };
        let input = Input {
            src,
            seg: &p.seg,
            syn_opts: p.syn_opts,
            ip_len: p.ip_len,
            bad_checksum: matches!(verdict, Some(ChecksumVerdict::Bad { .. })),
            // To Zeek, anything that does not verify is bad (it knows no offload artefacts).
            zeek_bad: count_bad
                && matches!(
                    verdict,
                    Some(ChecksumVerdict::Bad { .. } | ChecksumVerdict::Partial | ChecksumVerdict::Zero)
                ),
            data_events: self.config.data_events,
            whole: p.whole,
        };
        let mut out = Emitter {
            events: &mut self.events,
            v6: &self.v6,
            frame: self.stats.frames,
            ts: timestamp,
        };
        let conn = self.table.get_mut(idx);
        let seq = self.seqs.get_mut(idx as usize);
        let zeek = self.zeeks.get_mut(idx as usize).map(|conn| Acct {
            conn,
            ranges: &mut self.zeek_ranges,
        });
        let processed = process(conn, seq, zeek, &mut out, &input);
        self.table.touch(idx, self.phase_of(idx));
        self.hand_held(sink);
        // The streams take what the models take (a segment Zeek takes for bad, with
        // `count_bad_checksums`, none of them do).
        if let Some(done) = processed {
            self.streams_step(idx, done, &p, sink);
        }
        &self.events
    }
}
