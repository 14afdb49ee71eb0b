//! Property tests: the parsers of untrusted input never panic, and accept exactly what
//! docs/CONTRACT.md says they accept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use wxudp::frontend::{parse_index, parse_ttl};
use wxudp::options::Destination;
use wxudp::options::PortArg;
use wxudp::{Method, SendOptions};

proptest! {
    #[test]
    fn numeric_ports_are_integers_in_range(n in proptest::num::f64::ANY) {
        let ok = n.fract() == 0.0 && (0.0..=65535.0).contains(&n);
        match PortArg::Number(n).bind_port() {
            Ok(p) => { prop_assert!(ok); prop_assert_eq!(f64::from(p), n); }
            Err(e) => { prop_assert!(!ok); prop_assert_eq!(e.code(), 2); }
        }
    }

    #[test]
    fn text_ports_are_decimal_digits(s in prop_oneof!["\\PC{0,8}", " ?[0-9]{0,6} ?"]) {
        let digits = s.trim();
        let ok = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.parse::<u64>().is_ok_and(|v| v <= 65535);
        match PortArg::Text(&s).bind_port() {
            Ok(p) => { prop_assert!(ok); prop_assert_eq!(u64::from(p), digits.parse::<u64>().unwrap()); }
            Err(e) => { prop_assert!(!ok, "{s:?} refused"); prop_assert_eq!(e.code(), 2); }
        }
    }

    #[test]
    fn digit_string_ports_round_trip(p in 1u16..) {
        prop_assert_eq!(PortArg::Text(&p.to_string()).destination_port(Method::Send).unwrap(), p);
    }

    #[test]
    fn destinations_never_panic_and_ip_literals_parse(s in prop_oneof!["\\PC{0,40}", "[a-z0-9.:_-]{0,24}"], port in 1u16..) {
        match Destination::parse(Method::Send, &s, port) {
            Ok(Destination::Ip(addr)) => prop_assert_eq!(addr.port(), port),
            Ok(Destination::Host(host, p)) => {
                prop_assert_eq!(p, port);
                prop_assert!(host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            }
            Err(e) => prop_assert_eq!(e.code(), 1),
        }
    }

    #[test]
    fn every_ip_literal_is_a_destination(ip in any::<std::net::IpAddr>(), port in 1u16..) {
        let parsed = Destination::parse(Method::Send, &ip.to_string(), port).unwrap();
        prop_assert_eq!(parsed, Destination::Ip(std::net::SocketAddr::new(ip, port)));
    }

    #[test]
    fn byte_ranges_are_checked_never_clamped(
        data in proptest::collection::vec(any::<u8>(), 0..64),
        offset in 0usize..80,
        length in proptest::option::of(0usize..80),
    ) {
        let mut opts = SendOptions::new("127.0.0.1", 9, &data).offset(offset);
        if let Some(l) = length {
            opts = opts.length(l);
        }
        let end = offset.checked_add(length.unwrap_or(data.len().saturating_sub(offset)));
        match opts.bytes(Method::Send) {
            Ok(bytes) => {
                let end = end.unwrap();
                prop_assert!(offset <= data.len() && end <= data.len());
                prop_assert_eq!(bytes, &data[offset..end]);
            }
            Err(e) => {
                prop_assert!(offset > data.len() || end.is_none_or(|e| e > data.len()));
                prop_assert_eq!(e.code(), -1);
            }
        }
    }

    #[test]
    fn ttls_and_indexes(n in proptest::num::f64::ANY) {
        prop_assert_eq!(parse_ttl(n).is_ok(), n.fract() == 0.0 && (0.0..=255.0).contains(&n));
        prop_assert_eq!(parse_index(Method::Send, "offset", n).is_ok(), n.fract() == 0.0 && n >= 0.0 && n <= usize::MAX as f64);
    }
}
