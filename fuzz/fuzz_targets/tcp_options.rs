#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    for o in synack::wire::TcpOptions::new(data) {
        let _ = black_box(o);
    }
});
