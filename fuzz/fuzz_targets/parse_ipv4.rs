#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, h)) = black_box(synack::wire::parse_ipv4(data)) {
        for o in h.options() {
            let _ = black_box(o);
        }
    }
});
