#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = black_box(synack::wire::parse_frame(data)) {
        black_box((f.ipv4_checksum(), f.tcp_checksum(), f.tcp_len(), f.trailer()));
    }
});
