#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

use synack::wire::{parse_ipv6, parse_ipv6_extensions};

// The fixed header, then the extension chain walked within the payload: every header, its
// options, a routing header's addresses and final destination, a fragment header.
fuzz_target!(|data: &[u8]| {
    let Ok((payload, h)) = black_box(parse_ipv6(data)) else {
        return;
    };
    let Ok((rest, chain)) = black_box(parse_ipv6_extensions(h.next_header, payload)) else {
        return;
    };
    assert!(chain.count() <= synack::wire::MAX_EXTENSION_HEADERS);
    assert_eq!(chain.len() + rest.len(), payload.len());
    let mut walked = 0;
    for x in chain.headers() {
        walked += x.len();
        if let Some(o) = x.options() {
            black_box(o.count());
        }
        if let Some(r) = x.routing() {
            black_box((r.addresses().count(), r.final_destination()));
        }
        black_box(x.fragment());
    }
    assert_eq!(walked, chain.len(), "the headers cover the chain");
    black_box((chain.final_destination(), chain.jumbo_payload_len(), chain.upper_protocol()));
});
