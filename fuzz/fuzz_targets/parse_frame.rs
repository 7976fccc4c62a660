#![no_main]
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

use synack::wire::{Content, TcpPacket, parse_frame};

fuzz_target!(|data: &[u8]| {
    let frame = black_box(parse_frame(data));
    let views = black_box(TcpPacket::parse(data));
    // The lazy views and the decoded frame agree on every input.
    match &frame {
        Err(e) => assert_eq!(views.as_ref().err(), Some(e)),
        Ok(f) if f.content == Content::Tcp => {
            let p = views.expect("views of a TCP frame").expect("a TCP frame");
            assert_eq!(p.ip.v4().map(|ip| ip.to_header()), f.ipv4);
            assert_eq!(p.ip.v6().map(|ip| ip.to_header()), f.ipv6);
            assert_eq!(Some(p.tcp.to_header()), f.tcp);
            assert_eq!(p.payload, f.payload);
        }
        Ok(_) => assert_eq!(views, Ok(None)),
    }
    if let Ok(f) = frame {
        black_box((f.ipv4_checksum(), f.tcp_checksum(), f.tcp_len(), f.trailer()));
    }
});
