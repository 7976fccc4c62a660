//! A tracker fed one frame at a time, as a user without the driver would feed it: what the
//! driver's and the batches' results are compared with.

use synack::capture::CaptureReader;
use synack::driver::Output;
use synack::track::{Config, StreamChunk, Tracker};

/// Every frame's events with the summaries drained after each, then the end-of-capture events
/// and the rest of the summaries; the stream chunks to `sink`. The walk stops at a damaged
/// record; the flag says whether there was one.
pub fn by_hand(pcap: &[u8], config: Config, sink: &mut dyn FnMut(StreamChunk<'_>)) -> (Vec<Output>, bool) {
    let mut tracker = Tracker::new(config);
    let mut out = Vec::new();
    let mut reader = CaptureReader::new(pcap).unwrap();
    let mut damaged = false;
    while let Some(frame) = reader.next_frame() {
        let Ok(frame) = frame else {
            damaged = true;
            break;
        };
        let events = tracker.observe_with(frame.timestamp, &frame.dissect(), sink);
        out.extend(events.iter().map(|&e| Output::Event(e)));
        out.extend(tracker.drain_summaries().map(Output::Summary));
    }
    out.extend(tracker.end_with(sink).iter().map(|&e| Output::Event(e)));
    out.extend(tracker.drain_summaries().map(Output::Summary));
    (out, damaged)
}
