//! The parsers of untrusted arguments, one rule at a time.

use super::*;
use crate::frontend::{parse_index, parse_ttl};

#[test]
fn text_ignores_offset_and_length() {
    let opts = SendOptions::new("127.0.0.1", 1, "héllo")
        .offset(100)
        .length(1);
    assert_eq!(opts.bytes(Method::Send).unwrap(), "héllo".as_bytes());
}

#[test]
fn byte_ranges_are_checked_not_clamped() {
    let data = [1u8, 2, 3];
    let ok = |o, l| SendOptions::new("h", 1, &data).offset(o).length(l);
    assert_eq!(ok(3, 0).bytes(Method::Send).unwrap(), &[] as &[u8]);
    assert_eq!(ok(1, 2).bytes(Method::Send).unwrap(), &[2, 3]);
    assert_eq!(ok(1, 3).bytes(Method::Send).unwrap_err().code(), -1);
    assert_eq!(ok(4, 0).bytes(Method::Send).unwrap_err().code(), -1);
    assert_eq!(
        ok(1, usize::MAX).bytes(Method::Send).unwrap_err().code(),
        -1
    );
    let rest = SendOptions::new("h", 1, &data).offset(4);
    assert!(rest.bytes(Method::Write).is_err());
}

#[test]
fn ports_from_loose_input() {
    assert_eq!(PortArg::Number(65535.0).bind_port().unwrap(), 65535);
    assert_eq!(PortArg::Number(-1.0).bind_port().unwrap_err().code(), 2);
    assert_eq!(PortArg::Number(1.5).bind_port().unwrap_err().code(), 2);
    assert_eq!(PortArg::Number(f64::NAN).bind_port().unwrap_err().code(), 2);
    assert_eq!(PortArg::Text("").bind_port().unwrap_err().code(), 2);
    assert_eq!(PortArg::Text("12a").bind_port().unwrap_err().code(), 2);
    assert_eq!(PortArg::Text("-1").bind_port().unwrap_err().code(), 2);
    assert_eq!(PortArg::Text("65536").bind_port().unwrap_err().code(), 2);
    let err = PortArg::Other("Boolean")
        .destination_port(Method::Send)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "send:fail parameter error: parameter.port should be Number instead of Boolean;"
    );
    assert_eq!(
        PortArg::Missing
            .destination_port(Method::Send)
            .unwrap_err()
            .code(),
        2
    );
}

#[test]
fn destinations() {
    let d = |a: &str| Destination::parse(Method::Send, a, 9);
    assert_eq!(
        d("127.0.0.1").unwrap(),
        Destination::Ip("127.0.0.1:9".parse().unwrap())
    );
    assert_eq!(
        d("[::1]").unwrap(),
        Destination::Ip("[::1]:9".parse().unwrap())
    );
    assert_eq!(
        d("::1").unwrap(),
        Destination::Ip("[::1]:9".parse().unwrap())
    );
    assert_eq!(
        d("localhost").unwrap(),
        Destination::Host("localhost".into(), 9)
    );
    for bad in [
        "",
        "256.1.1.1",
        "a b",
        "exa mple.com",
        "-x.com",
        "a..b",
        "1.2.3",
    ] {
        assert_eq!(d(bad).unwrap_err().code(), 1, "{bad:?}");
    }
    assert_eq!(
        Destination::parse(Method::Send, "127.0.0.1", 0)
            .unwrap_err()
            .code(),
        2
    );
}

#[test]
fn ttl_and_index() {
    assert_eq!(parse_ttl(0.0).unwrap(), 0);
    assert_eq!(parse_ttl(255.0).unwrap(), 255);
    assert!(parse_ttl(-1.0).is_err());
    assert!(parse_ttl(f64::INFINITY).is_err());
    assert_eq!(parse_index(Method::Send, "offset", 3.0).unwrap(), 3);
    assert_eq!(
        parse_index(Method::Send, "offset", -3.0)
            .unwrap_err()
            .code(),
        -1
    );
    assert!(parse_index(Method::Send, "length", 0.5).is_err());
}
