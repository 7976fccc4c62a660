#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

// Walks the options one by one and by `fold` (which reads the NOP, NOP, timestamps layout at
// once): no panic, and the two give the same items.
fuzz_target!(|data: &[u8]| {
    let (mut it, mut one_by_one) = (synack::wire::TcpOptions::new(data), Vec::new());
    while let Some(o) = it.next() {
        one_by_one.push(black_box(o));
    }
    let folded = synack::wire::TcpOptions::new(data).fold(Vec::new(), |mut v, o| {
        v.push(black_box(o));
        v
    });
    assert_eq!(one_by_one, folded);
});
