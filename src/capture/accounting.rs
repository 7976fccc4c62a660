//! Every frame of a capture, counted in exactly one category.

use std::path::Path;

use super::{CaptureError, CaptureReader, CapturedFrame};
use crate::wire::{Content, Frame};

/// What became of every frame of a capture: each frame read is counted in exactly one
/// category, so nothing is lost silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accounting {
    /// TCP over IPv4 ([`Content::Tcp`] with [`Frame::ipv4`]).
    pub tcp: u64,
    /// Later IPv4 fragments ([`Content::Ipv4Fragment`]).
    pub ipv4_fragment: u64,
    /// IPv4 carrying another protocol ([`Content::Ipv4Other`]).
    pub ipv4_other: u64,
    /// TCP over IPv6 ([`Content::Tcp`] with [`Frame::ipv6`]).
    pub ipv6_tcp: u64,
    /// Later IPv6 fragments ([`Content::Ipv6Fragment`]).
    pub ipv6_fragment: u64,
    /// IPv6 carrying another protocol ([`Content::Ipv6Other`]).
    pub ipv6_other: u64,
    /// Not IP: ARP, LLDP, ... ([`Content::NotIp`]).
    pub not_ip: u64,
    /// A link type synack does not decode ([`Content::UnsupportedLink`]).
    pub unsupported_link: u64,
    /// A header cut short ([`Content::Malformed`] with [`crate::Error::Truncated`]).
    pub truncated: u64,
    /// A header with an invalid field ([`Content::Malformed`] with any other error).
    pub malformed: u64,
    /// Of the frames above, those the capture cut short of their length on the wire.
    pub cut_by_snaplen: u64,
}

impl Accounting {
    /// Counts one frame.
    pub fn add(&mut self, captured: &CapturedFrame<'_>, frame: &Frame<'_>) {
        match frame.content {
            Content::Tcp if frame.ipv6.is_some() => self.ipv6_tcp += 1,
            Content::Tcp => self.tcp += 1,
            Content::Ipv4Fragment => self.ipv4_fragment += 1,
            Content::Ipv4Other(_) => self.ipv4_other += 1,
            Content::Ipv6Fragment => self.ipv6_fragment += 1,
            Content::Ipv6Other(_) => self.ipv6_other += 1,
            Content::NotIp(_) => self.not_ip += 1,
            Content::UnsupportedLink(_) => self.unsupported_link += 1,
            Content::Malformed => match frame.error {
                Some(crate::Error::Truncated { .. }) => self.truncated += 1,
                _ => self.malformed += 1,
            },
        }
        if captured.is_cut() {
            self.cut_by_snaplen += 1;
        }
    }

    /// Returns the number of frames counted (every category once).
    pub fn total(&self) -> u64 {
        self.tcp
            + self.ipv4_fragment
            + self.ipv4_other
            + self.ipv6_tcp
            + self.ipv6_fragment
            + self.ipv6_other
            + self.not_ip
            + self.unsupported_link
            + self.truncated
            + self.malformed
    }

    /// Reads a whole capture and counts its frames; also returns the error that ended the
    /// reading early, if the file is damaged (the frames before it are counted).
    pub fn of_file(path: impl AsRef<Path>) -> Result<(Accounting, Option<CaptureError>), CaptureError> {
        let mut reader = CaptureReader::open(path)?;
        let mut acc = Accounting::default();
        loop {
            match reader.next_frame() {
                None => return Ok((acc, None)),
                Some(Ok(cf)) => {
                    let frame = cf.dissect();
                    acc.add(&cf, &frame);
                }
                Some(Err(e)) => return Ok((acc, Some(e))),
            }
        }
    }
}
