//! The follow output against `tshark -q -z follow,tcp,MODE,N` (tshark 4.0), byte for byte, on
//! every TCP conversation of the test data (the seed, tcpdump's and Zeek's captures), in the
//! raw and ascii modes; and the library's reassembled streams against the same
//! conversations, where Wireshark's follow and the reassembler must agree.
//!
//! Kernel traffic with loss, reordering and retransmission is compared in `tests/kernel/`.

mod common;

use common::follow::{FollowTally, compare_follow, compare_reassembly, follow_all};
use common::{Need, needs};

#[test]
fn follow_matches_tshark_on_the_corpus() {
    if !needs("follow_matches_tshark_on_the_corpus", &[Need::Tshark]) {
        return;
    }
    let mut files = common::corpus_captures();
    files.push(common::data_dir().join("seed/seed.pcap"));
    let mut tally = FollowTally::default();
    for file in &files {
        compare_follow(file, &follow_all(file), &mut tally);
    }
    tally.print("corpus");
    assert!(tally.conversations > 200, "{} conversations", tally.conversations);
    assert!(tally.differ.is_empty());
}

#[test]
fn reassembled_streams_hold_what_follow_shows() {
    // Needs no tshark: the follow records are synack's own (checked against tshark above).
    let mut files = common::corpus_captures();
    files.push(common::data_dir().join("seed/seed.pcap"));
    let mut tally = FollowTally::default();
    for file in &files {
        compare_reassembly(file, &follow_all(file), &mut tally);
    }
    tally.print("corpus");
    assert!(tally.reassembled > 200, "{} conversations", tally.reassembled);
    assert!(tally.reassembly_differ.is_empty());
}
