//! Bad input gets an error with the errCode of docs/CONTRACT.md §4, returned and delivered
//! as an `error` event, and never stops the socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{next, next_error, next_message};
use wxudp::{Event, Policy, SendOptions, SocketType, UdpSocket};

/// Runs `call`, checks the returned error's errCode and errMsg, and that the same error
/// reached the `error` listeners.
async fn expect_error(
    events: &mut wxudp::Events,
    result: Result<(), wxudp::Error>,
    code: i32,
    msg_prefix: &str,
) {
    let err = result.expect_err("the call must fail");
    assert_eq!(err.code(), code, "{err}");
    assert!(
        err.to_string().starts_with(msg_prefix),
        "{err:?} should start with {msg_prefix:?}"
    );
    let event = next_error(events).await;
    assert_eq!(event.to_string(), err.to_string());
    assert_eq!(event.code(), code);
}

#[tokio::test]
async fn bad_sends_have_their_codes_and_the_socket_goes_on() {
    let rx = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut rx_events = rx.events();
    let port = rx.bind(0).unwrap();
    next(&mut rx_events).await;

    let sock = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut events = sock.events();
    sock.bind(0).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    let data = [1u8, 2, 3];
    let cases: Vec<(SendOptions<'_>, i32, &str)> = vec![
        (
            SendOptions::new("127.0.0.1", 0, "x"),
            2,
            "send:fail invalid port",
        ),
        (
            SendOptions::new("", port, "x"),
            1,
            "send:fail invalid address",
        ),
        (
            SendOptions::new("not a host", port, "x"),
            1,
            "send:fail invalid address",
        ),
        (
            SendOptions::new("300.1.1.1", port, "x"),
            1,
            "send:fail invalid address",
        ),
        (
            SendOptions::new("::1", port, "x"),
            1,
            "send:fail invalid address: ::1 is an IPv6 address and this is a udp4 socket",
        ),
        (
            SendOptions::new("127.0.0.1", port, &data).offset(4),
            -1,
            "send:fail offset 4",
        ),
        (
            SendOptions::new("127.0.0.1", port, &data)
                .offset(1)
                .length(3),
            -1,
            "send:fail offset 1 and length 3 are out of range",
        ),
    ];
    for (opts, code, prefix) in cases {
        expect_error(&mut events, sock.send(&opts), code, prefix).await;
        let write_prefix = prefix.replacen("send", "write", 1);
        expect_error(&mut events, sock.write(&opts), code, &write_prefix).await;
    }
    let too_big = vec![0u8; 65508];
    expect_error(
        &mut events,
        sock.send(&SendOptions::new("127.0.0.1", port, &too_big)),
        -2,
        "send:fail message too long (os error 90)",
    )
    .await;
    // The socket still works after all that.
    sock.send(&SendOptions::new("127.0.0.1", port, "still fine"))
        .unwrap();
    assert_eq!(next_message(&mut rx_events).await.data, b"still fine");
}

#[tokio::test]
async fn udp6_size_limit_depends_on_the_destination_family() {
    let sock = UdpSocket::new(SocketType::Udp6).unwrap();
    let mut events = sock.events();
    sock.bind(0).unwrap();
    next(&mut events).await;
    let v4_too_big = vec![0u8; 65508];
    expect_error(
        &mut events,
        sock.send(&SendOptions::new("127.0.0.1", 9, &v4_too_big)),
        -2,
        "send:fail message too long",
    )
    .await;
    let v6_too_big = vec![0u8; 65528];
    expect_error(
        &mut events,
        sock.send(&SendOptions::new("::1", 9, &v6_too_big)),
        -2,
        "send:fail message too long",
    )
    .await;
}

#[tokio::test]
async fn bad_connects_and_ttls() {
    let sock = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut events = sock.events();
    expect_error(
        &mut events,
        sock.connect("127.0.0.1", 0),
        2,
        "connect:fail invalid port",
    )
    .await;
    expect_error(
        &mut events,
        sock.connect("a b", 9),
        1,
        "connect:fail invalid address",
    )
    .await;
    assert!(
        sock.local_addr().is_none(),
        "a refused connect does not bind"
    );
    expect_error(
        &mut events,
        sock.set_ttl(1000),
        -1,
        "setTTL:fail invalid ttl 1000: it must be an integer in 0..255",
    )
    .await;
    let port = sock.bind(0).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    expect_error(
        &mut events,
        sock.bind(port).map(drop),
        -1,
        "bind:fail socket is already bound",
    )
    .await;
}

#[tokio::test]
async fn the_pre_2_9_4_policy_refuses_with_minus_3() {
    let sock =
        UdpSocket::with_policy(SocketType::Udp4, Policy::same_subnet(["localhost"])).unwrap();
    let mut events = sock.events();
    // The host's own address is refused: no implicit bind happens, nothing is sent.
    expect_error(
        &mut events,
        sock.send(&SendOptions::new("127.0.0.1", 9, "x")),
        -3,
        "send:fail destination not permitted: 127.0.0.1",
    )
    .await;
    assert!(sock.local_addr().is_none());
    expect_error(
        &mut events,
        sock.send(&SendOptions::new("example.com", 9, "x")),
        -3,
        "send:fail destination not permitted: example.com",
    )
    .await;
    expect_error(
        &mut events,
        sock.connect("127.0.0.1", 9),
        -3,
        "connect:fail destination not permitted",
    )
    .await;

    // Another address of lo's subnet and an allow-listed name are permitted.
    let rx = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut rx_events = rx.events();
    let port = rx.bind(0).unwrap();
    next(&mut rx_events).await;
    sock.send(&SendOptions::new("127.0.0.2", port, "subnet"))
        .unwrap();
    sock.send(&SendOptions::new("localhost", port, "allowed name"))
        .unwrap();
    assert_eq!(next_message(&mut rx_events).await.data, b"subnet");
    assert_eq!(next_message(&mut rx_events).await.data, b"allowed name");
}
