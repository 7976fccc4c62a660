//! The byte source under the reader: it keeps the I/O errors pcap-parser drops.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// What the byte source's reads returned: pcap-parser turns a failed read into a bare
/// `ReadError`, so the reader keeps the I/O error here, and the bytes read so far.
#[derive(Debug, Default)]
pub(super) struct SourceState {
    error: Option<io::Error>,
    read: u64,
}

/// A byte source that records its errors (and retries interrupted reads).
pub(super) struct KeepErrors<R> {
    inner: R,
    pub(super) last: Arc<Mutex<SourceState>>,
}

impl<R> KeepErrors<R> {
    pub(super) fn new(inner: R) -> Self {
        KeepErrors {
            inner,
            last: Arc::default(),
        }
    }
}

impl<R: Read> Read for KeepErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let r = self.inner.read(buf);
            let mut state = self.last.lock().unwrap_or_else(|e| e.into_inner());
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let kept = io::Error::new(e.kind(), e.to_string());
                    state.error = Some(e);
                    return Err(kept);
                }
                Ok(n) => {
                    state.read += n as u64;
                    return Ok(n);
                }
            }
        }
    }
}

pub(super) fn take_error(state: &Mutex<SourceState>) -> io::Error {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state
        .error
        .take()
        .unwrap_or_else(|| io::Error::other("the capture reader could not read"))
}

pub(super) fn read_so_far(state: &Mutex<SourceState>) -> u64 {
    state.lock().unwrap_or_else(|e| e.into_inner()).read
}
