//! The parsers of untrusted arguments: ports (numbers and text), destinations, byte
//! ranges, TTLs, indexes and socket types. None may panic; what they accept must be
//! consistent with what they return.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxudp::frontend::{parse_index, parse_ttl};
use wxudp::options::{Destination, PortArg};
use wxudp::{Method, SendOptions, SocketType};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let number = rest
        .get(..8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .unwrap_or(0.0);
    let text = String::from_utf8_lossy(rest);
    match selector % 6 {
        0 => {
            if let Ok(port) = PortArg::Number(number).bind_port() {
                assert_eq!(f64::from(port), number);
            }
            if let Ok(port) = PortArg::Text(&text).destination_port(Method::Send) {
                assert_ne!(port, 0);
                assert_eq!(text.trim().parse::<u16>().ok(), Some(port));
            }
        }
        1 => {
            let port = u16::from_le_bytes([selector, rest.first().copied().unwrap_or(0)]);
            match Destination::parse(Method::Send, &text, port) {
                Ok(Destination::Ip(addr)) => assert_eq!(addr.port(), port),
                Ok(Destination::Host(host, p)) => {
                    assert_eq!(p, port);
                    assert!(!host.is_empty() && host.len() <= 254);
                }
                Err(e) => assert!(matches!(e.code(), 1 | 2)),
            }
        }
        2 => {
            if let Ok(ttl) = parse_ttl(number) {
                assert_eq!(f64::from(ttl), number);
            }
            if let Ok(i) = parse_index(Method::Write, "offset", number) {
                assert_eq!(i as f64, number);
            }
        }
        3 => {
            let offset = usize::from(rest.first().copied().unwrap_or(0));
            let length = rest.get(1).map(|l| usize::from(*l));
            let mut opts = SendOptions::new("127.0.0.1", 9, rest).offset(offset);
            if let Some(length) = length {
                opts = opts.length(length);
            }
            match opts.bytes(Method::Send) {
                Ok(bytes) => {
                    assert!(offset + bytes.len() <= rest.len());
                    assert_eq!(bytes, &rest[offset..offset + bytes.len()]);
                }
                Err(e) => assert_eq!(e.code(), -1),
            }
        }
        4 => {
            if let Ok(ty) = SocketType::parse(&text) {
                assert_eq!(ty.name(), text);
            }
        }
        _ => {
            let big = SendOptions::new("h", 1, rest)
                .offset(usize::MAX - usize::from(selector))
                .length(usize::MAX);
            assert!(big.bytes(Method::Write).is_err());
        }
    }
});
