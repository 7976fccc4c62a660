#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;
use synack::wire::{LinkType, dissect_frame};

// The first byte picks the link type; the rest is the frame.
fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else { return };
    let links: [LinkType; 7] = [
        LinkType::ETHERNET, LinkType::NULL, LinkType::RAW, LinkType::LINUX_SLL,
        LinkType::IPV4, LinkType::LINUX_SLL2, LinkType(pick as u32),
    ];
    let f = black_box(dissect_frame(links[pick as usize % links.len()], frame));
    black_box((f.ipv4_checksum(), f.tcp_checksum(), f.tcp_len(), f.trailer()));
});
