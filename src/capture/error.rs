//! What can go wrong reading a capture.

/// What went wrong reading a capture file, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened.
    #[error("cannot open {path}")]
    Open {
        /// The path given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("empty file: no capture header")]
    Empty,
    /// The first bytes are neither a pcap nor a pcapng header.
    #[error("not a pcap or pcapng file: bad magic at offset 0")]
    BadMagic,
    /// The file is shorter than any capture header.
    #[error("not a pcap or pcapng file: {len} bytes, shorter than a capture header")]
    TooShort {
        /// The file's length.
        len: u64,
    },
    /// The file ends inside a record or block.
    #[error("truncated file: the record at offset {offset} runs past the end of the file")]
    Truncated {
        /// File offset of the incomplete record.
        offset: u64,
    },
    /// A record or block claims a length larger than synack will buffer.
    #[error("absurd block length at offset {offset}: larger than {limit} bytes")]
    BlockTooLarge {
        /// File offset of the block.
        offset: u64,
        /// The buffer limit.
        limit: usize,
    },
    /// A record or block could not be parsed.
    #[error("malformed block at offset {offset}: {reason}")]
    Malformed {
        /// File offset of the block.
        offset: u64,
        /// What the parser said.
        reason: String,
    },
    /// An enhanced packet block names an interface no description block declared.
    #[error("packet at offset {offset} names interface {interface}, but only {declared} are declared")]
    UnknownInterface {
        /// File offset of the block.
        offset: u64,
        /// The interface id in the block.
        interface: u32,
        /// How many interfaces the section declared.
        declared: usize,
    },
    /// Reading failed part-way.
    #[error("read error at offset {offset}")]
    Read {
        /// File offset reached.
        offset: u64,
        /// The I/O error the source returned.
        #[source]
        source: std::io::Error,
    },
}
