#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

// A whole capture file's bytes: every frame read and dissected, until the end or an error.
fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = synack::capture::CaptureReader::new(data) else { return };
    while let Some(f) = r.next_frame() {
        if let Ok(f) = f {
            black_box(f.dissect().tcp_checksum());
        }
    }
});
