//! From a capture to the tracker's events and summaries, in order, with nothing to drain.
//!
//! [`Driver`] reads frames (from a file, a [`CaptureReader`], or any iterator of
//! `(timestamp, link type, bytes)`), gives each to a [`Tracker`] and hands out what it reports
//! as [`Output`] items: the events of every frame, each connection's summary as soon as the
//! connection leaves the table, and, once the frames run out, the end-of-capture events and
//! summaries of the connections still open. A damaged or truncated capture does not end the
//! results: its error comes as one `Err` item after every good frame, and the end-of-capture
//! items still follow.
//!
//! ```
//! use synack::driver::{Driver, Output};
//! use synack::track::{Config, EventKind};
//!
//! // The lab's capture, built in; `Driver::open("trace.pcap", config)` reads a file.
//! let mut driver = Driver::new(synack::capture::CaptureReader::seed(), Config::default());
//! for item in &mut driver {
//!     match item? {
//!         Output::Event(e) if matches!(e.kind, EventKind::Established(_)) => {
//!             println!("{} established at frame {}", e.key, e.frame)
//!         }
//!         Output::Summary(s) => assert_eq!((s.conn_state.name(), s.history.as_str()), ("SF", "ShADafF")),
//!         _ => {}
//!     }
//! }
//! assert_eq!(driver.tracker().stats().frames, 9);
//! # Ok::<(), synack::capture::CaptureError>(())
//! ```

use std::collections::VecDeque;
use std::path::Path;

use crate::Timestamp;
use crate::capture::{CaptureError, CaptureReader, CapturedFrame};
use crate::track::{BATCH, Config, ConnSummary, Event, StreamChunk, Tracker};
use crate::wire::{Frame, LinkType, dissect_frame, dissect_with_len};

/// One thing the driver hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// An event of one frame, of the passing of time, or of the end of the capture.
    Event(Event),
    /// The summary of a connection that left the table (only with
    /// [`Config::conn_summaries`], the default).
    Summary(ConnSummary),
}

/// Where frames come from: a capture reader, or an iterator of frames.
pub trait FrameSource {
    /// Reads the next frame and gives it to `tracker` (its stream chunks to `sink`); returns
    /// `None` at the end of the frames and `Some(Err(..))` when the source is damaged.
    fn observe_next(
        &mut self,
        tracker: &mut Tracker,
        out: &mut VecDeque<Result<Output, CaptureError>>,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> Option<Result<(), CaptureError>>;

    /// Whether [`FrameSource::read_next`] hands frames out. When it does, the driver reads
    /// frames ahead in batches and prefetches their connections once the table is large
    /// (see [`Tracker::observe_batch`]); otherwise it calls [`FrameSource::observe_next`].
    fn hands_out_frames(&self) -> bool {
        false
    }

    /// Reads the next frame and gives it to `put`; returns `None` at the end of the frames
    /// (or when the source hands none out) and `Some(Err(..))` when the source is damaged.
    fn read_next(&mut self, put: &mut dyn FnMut(CapturedFrame<'_>)) -> Option<Result<(), CaptureError>> {
        let _ = put;
        None
    }
}

impl FrameSource for CaptureReader<'_> {
    fn observe_next(
        &mut self,
        tracker: &mut Tracker,
        out: &mut VecDeque<Result<Output, CaptureError>>,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> Option<Result<(), CaptureError>> {
        Some(self.next_frame()?.map(|frame| {
            let events = tracker.observe_with(frame.timestamp, &frame.dissect(), sink);
            out.extend(events.iter().map(|&e| Ok(Output::Event(e))));
        }))
    }

    fn hands_out_frames(&self) -> bool {
        true
    }

    fn read_next(&mut self, put: &mut dyn FnMut(CapturedFrame<'_>)) -> Option<Result<(), CaptureError>> {
        Some(self.next_frame()?.map(put))
    }
}

/// Frames from an iterator of `(timestamp, link type, bytes)`: a live capture, frames built
/// by hand, another reader. See [`Driver::from_frames`].
#[derive(Debug, Clone)]
pub struct Frames<I>(I);

impl<I, B> FrameSource for Frames<I>
where
    I: Iterator<Item = (Timestamp, LinkType, B)>,
    B: AsRef<[u8]>,
{
    fn observe_next(
        &mut self,
        tracker: &mut Tracker,
        out: &mut VecDeque<Result<Output, CaptureError>>,
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> Option<Result<(), CaptureError>> {
        let (timestamp, link, bytes) = self.0.next()?;
        let events = tracker.observe_with(timestamp, &dissect_frame(link, bytes.as_ref()), sink);
        out.extend(events.iter().map(|&e| Ok(Output::Event(e))));
        Some(Ok(()))
    }

    fn hands_out_frames(&self) -> bool {
        true
    }

    fn read_next(&mut self, put: &mut dyn FnMut(CapturedFrame<'_>)) -> Option<Result<(), CaptureError>> {
        let (timestamp, link, bytes) = self.0.next()?;
        let data = bytes.as_ref();
        put(CapturedFrame {
            number: 0,
            timestamp,
            orig_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            link,
            interface: 0,
            data,
        });
        Some(Ok(()))
    }
}

/// Frames read ahead for one batch: their bytes copied end to end, and where each lies.
#[derive(Debug, Default)]
struct ReadAhead {
    bytes: Vec<u8>,
    /// (time, link type, start, captured length, length on the wire).
    frames: Vec<(Timestamp, LinkType, usize, usize, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Reading,
    Ending,
    Done,
}

/// Drives a [`Tracker`] over a source of frames; an iterator of [`Output`] items. See the
/// [module docs](self).
#[derive(Debug)]
pub struct Driver<S> {
    source: S,
    tracker: Tracker,
    pending: VecDeque<Result<Output, CaptureError>>,
    stage: Stage,
    ahead: ReadAhead,
}

impl Driver<CaptureReader<'static>> {
    /// Opens a pcap or pcapng file and tracks its connections with `config`.
    ///
    /// ```no_run
    /// use synack::driver::{Driver, Output};
    /// use synack::track::Config;
    ///
    /// for item in Driver::open("trace.pcapng", Config::default())? {
    ///     match item {
    ///         Ok(Output::Event(e)) => println!("{} {:?}", e.key, e.kind),
    ///         Ok(Output::Summary(s)) => println!("{} {}", s.conn_state, s.history),
    ///         Ok(_) => {}
    ///         // The capture is damaged here; the end-of-capture items still follow.
    ///         Err(e) => eprintln!("{e}"),
    ///     }
    /// }
    /// # Ok::<(), synack::capture::CaptureError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, config: Config) -> Result<Self, CaptureError> {
        Ok(Driver::new(CaptureReader::open(path)?, config))
    }
}

impl<S: FrameSource> Driver<S> {
    /// Tracks the frames of `source` with a tracker made from `config`.
    pub fn new(source: S, config: Config) -> Self {
        Driver::with_tracker(source, Tracker::new(config))
    }

    /// Tracks the frames of `source` with a tracker the caller made (or used before).
    pub fn with_tracker(source: S, tracker: Tracker) -> Self {
        Driver {
            source,
            tracker,
            pending: VecDeque::new(),
            stage: Stage::Reading,
            ahead: ReadAhead::default(),
        }
    }

    /// Returns the tracker: its statistics, settings and open connections, during the run and
    /// after it.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Returns the tracker and the source.
    pub fn into_parts(self) -> (Tracker, S) {
        (self.tracker, self.source)
    }

    /// Moves whatever summaries the tracker holds to the items to hand out.
    fn take_summaries(&mut self) {
        self.pending
            .extend(self.tracker.drain_summaries().map(|s| Ok(Output::Summary(s))));
    }
}

impl<I, B> Driver<Frames<I>>
where
    I: Iterator<Item = (Timestamp, LinkType, B)>,
    B: AsRef<[u8]>,
{
    /// Tracks frames given as `(timestamp, link type, bytes)`.
    ///
    /// ```
    /// use synack::driver::{Driver, Output};
    /// use synack::track::Config;
    /// use synack::wire::LinkType;
    ///
    /// let frames = synack::seed::FRAMES.iter().map(|f| (f.timestamp, LinkType::ETHERNET, f.bytes));
    /// let summaries = Driver::from_frames(frames, Config::default())
    ///     .filter_map(|item| match item {
    ///         Ok(Output::Summary(s)) => Some(s),
    ///         _ => None,
    ///     })
    ///     .count();
    /// assert_eq!(summaries, 1);
    /// ```
    pub fn from_frames(frames: impl IntoIterator<IntoIter = I>, config: Config) -> Self {
        Driver::new(Frames(frames.into_iter()), config)
    }
}

impl<S: FrameSource> Driver<S> {
    /// Returns the next item, as [`Iterator::next`] does, giving `sink` the stream chunks
    /// ([`Config::reassembly`]) the frames read on the way make ready: payload in order, as
    /// slices of each frame (no copy), with its gaps and ends. A chunk comes before the
    /// events of its frame. Once the table holds enough state for the driver to read ahead
    /// (see [`Tracker::observe_batch`]), the chunks of up to [`BATCH`] frames come before the
    /// first of their events, as slices of the driver's copy of those frames.
    ///
    /// ```
    /// use synack::driver::Driver;
    /// use synack::track::reassembly::{Chunk, ReassemblyConfig};
    /// use synack::track::{Config, Direction};
    ///
    /// let config = Config::default().with_reassembly(ReassemblyConfig::default());
    /// let mut driver = Driver::new(synack::capture::CaptureReader::seed(), config);
    /// let mut to_server = Vec::new();
    /// while let Some(item) = driver.next_with(&mut |c| {
    ///     if let (Direction::ClientToServer, Chunk::Data { bytes, .. }) = (c.direction, c.chunk) {
    ///         to_server.extend_from_slice(bytes);
    ///     }
    /// }) {
    ///     item?;
    /// }
    /// assert_eq!(to_server, b"11111");
    /// # Ok::<(), synack::capture::CaptureError>(())
    /// ```
    pub fn next_with(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) -> Option<Result<Output, CaptureError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            match self.stage {
                Stage::Done => return None,
                Stage::Ending => {
                    let ended = self.tracker.end_with(sink);
                    self.pending.extend(ended.iter().map(|&e| Ok(Output::Event(e))));
                    self.take_summaries();
                    self.stage = Stage::Done;
                }
                Stage::Reading if self.tracker.prefetch_pays() && self.source.hands_out_frames() => {
                    self.read_batch(sink)
                }
                Stage::Reading => match self.source.observe_next(&mut self.tracker, &mut self.pending, sink) {
                    Some(Ok(())) => self.take_summaries(),
                    Some(Err(e)) => {
                        self.pending.push_back(Err(e));
                        self.stage = Stage::Ending;
                    }
                    None => self.stage = Stage::Ending,
                },
            }
        }
    }
}

impl<S: FrameSource> Driver<S> {
    /// Reads up to [`BATCH`] frames ahead, prefetches their connections, then observes them
    /// in order, each frame's events and summaries queued as one frame at a time queues them.
    fn read_batch(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        let ahead = &mut self.ahead;
        ahead.bytes.clear();
        ahead.frames.clear();
        let mut ended = None;
        while ahead.frames.len() < BATCH {
            let read = self.source.read_next(&mut |f| {
                let start = ahead.bytes.len();
                ahead.bytes.extend_from_slice(f.data);
                ahead
                    .frames
                    .push((f.timestamp, f.link, start, f.data.len(), f.orig_len));
            });
            match read {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    ended = Some(Some(e));
                    break;
                }
                None => {
                    ended = Some(None);
                    break;
                }
            }
        }
        let bytes = &ahead.bytes;
        let frames: Vec<(Timestamp, Frame<'_>)> = ahead
            .frames
            .iter()
            .map(|&(ts, link, start, len, orig_len)| {
                let frame = dissect_with_len(link, &bytes[start..start + len], orig_len as usize);
                (ts, frame)
            })
            .collect();
        let pending = &mut self.pending;
        self.tracker.observe_batch_with(
            &frames,
            |_, events, summaries| {
                pending.extend(events.iter().map(|&e| Ok(Output::Event(e))));
                pending.extend(summaries.map(|s| Ok(Output::Summary(s))));
            },
            sink,
        );
        if let Some(error) = ended {
            self.pending.extend(error.map(Err));
            self.stage = Stage::Ending;
        }
    }
}

impl<S: FrameSource> Iterator for Driver<S> {
    type Item = Result<Output, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(&mut |_| {})
    }
}
