//! The UDPSocket contract (docs/CONTRACT.md §2 and §3) on loopback, through the Rust API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{burst_size, drain, next, next_error, next_message, raw_receiver, WAIT};
use wxudp::{Event, EventKind, SendOptions, SocketType, UdpSocket};

fn udp4() -> UdpSocket {
    UdpSocket::new(SocketType::Udp4).unwrap()
}

fn udp6() -> UdpSocket {
    UdpSocket::new(SocketType::Udp6).unwrap()
}

#[tokio::test]
async fn bind_returns_the_port_and_listening_follows() {
    let sock = udp4();
    // The driver thread delivers events concurrently with this thread, so listeners that
    // must see `listening` are registered before bind. (The JS runtime, which dispatches
    // on the script's thread, also shows it to listeners added right after bind().)
    let mut events = sock.events();
    let port = sock.bind(0).unwrap();
    assert_ne!(port, 0);
    assert_eq!(sock.local_addr().unwrap().port(), port);
    assert!(matches!(next(&mut events).await, Event::Listening));
    assert!(
        drain(&mut events, Duration::from_millis(100))
            .await
            .is_empty(),
        "once"
    );
}

#[tokio::test]
async fn bind_on_a_busy_port_fails_with_the_os_error() {
    let first = udp4();
    let port = first.bind(0).unwrap();
    let second = udp4();
    let mut events = second.events();
    let err = second.bind(port).unwrap_err();
    assert_eq!(err.code(), -2);
    assert_eq!(
        err.to_string(),
        "bind:fail address already in use (os error 98)"
    );
    let event = next_error(&mut events).await;
    assert_eq!(event.to_string(), err.to_string());
    // The failed socket is still unbound and can bind elsewhere.
    assert_ne!(second.bind(0).unwrap(), 0);
}

#[tokio::test]
async fn a_closed_port_can_be_bound_again_at_once() {
    for _ in 0..20 {
        let a = udp4();
        let port = a.bind(0).unwrap();
        a.close().unwrap();
        let b = udp4();
        assert_eq!(b.bind(port).unwrap(), port);
    }
    let a = udp6();
    let port = a.bind(0).unwrap();
    a.close().unwrap();
    assert_eq!(udp6().bind(port).unwrap(), port);
}

#[tokio::test]
async fn send_and_receive_with_remote_and_local_info() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    let tx = udp4();
    tx.send(&SendOptions::new("127.0.0.1", port, "hello, how are you"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"hello, how are you");
    assert_eq!(msg.size(), 18);
    let tx_port = tx.local_addr().unwrap().port();
    assert_eq!(msg.remote, SocketAddr::from(([127, 0, 0, 1], tx_port)));
    assert_eq!(msg.remote_family(), "IPv4");
    assert_eq!(msg.local, SocketAddr::from(([127, 0, 0, 1], port)));
    assert_eq!(msg.local_family(), "IPv4");
    // localInfo is the address the datagram was sent to, not just the wildcard.
    tx.send(&SendOptions::new("127.0.0.2", port, "two"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.local, SocketAddr::from(([127, 0, 0, 2], port)));
}

/// Bound to one address, the socket asks the kernel for no destination address per
/// datagram (IP_PKTINFO): `localInfo` is that address.
#[tokio::test]
async fn a_socket_bound_to_one_address_reports_it_as_local_info() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind_addr(([127, 0, 0, 3], 0)).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    let tx = udp4();
    tx.send(&SendOptions::new("127.0.0.3", port, "three"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"three");
    assert_eq!(msg.local, SocketAddr::from(([127, 0, 0, 3], port)));
    assert_eq!(msg.remote.port(), tx.local_addr().unwrap().port());
}

#[tokio::test]
async fn send_before_bind_binds_implicitly_and_replies_arrive() {
    let server = udp4();
    let mut server_events = server.events();
    let port = server.bind(0).unwrap();
    let client = udp4();
    let mut client_events = client.events();
    assert!(client.local_addr().is_none());
    client
        .send(&SendOptions::new("127.0.0.1", port, "M-SEARCH"))
        .unwrap();
    let client_port = client.local_addr().unwrap().port();
    assert!(matches!(next(&mut client_events).await, Event::Listening));
    assert!(matches!(next(&mut server_events).await, Event::Listening));
    let msg = next_message(&mut server_events).await;
    assert_eq!(msg.remote.port(), client_port);
    server
        .send(&SendOptions::new("127.0.0.1", client_port, "reply"))
        .unwrap();
    assert_eq!(next_message(&mut client_events).await.data, b"reply");
    assert_eq!(client.bind(0).unwrap_err().code(), -1, "already bound");
}

#[tokio::test]
async fn byte_ranges_and_text() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    let mut buf = vec![10u8, 11, 12, 13, 14];
    tx.send(
        &SendOptions::new("127.0.0.1", port, &buf)
            .offset(1)
            .length(3),
    )
    .unwrap();
    // The bytes were taken at call time: overwriting the buffer changes nothing.
    buf.fill(0);
    tx.send(&SendOptions::new("127.0.0.1", port, &buf).offset(5))
        .unwrap();
    tx.send(
        &SendOptions::new("127.0.0.1", port, "AT+CWMODE=1\r\n中文")
            .offset(3)
            .length(1),
    )
    .unwrap();
    tx.send(&SendOptions::new("127.0.0.1", port, "x").set_broadcast(true))
        .unwrap();
    next(&mut events).await; // listening
    assert_eq!(next_message(&mut events).await.data, [11, 12, 13]);
    assert_eq!(next_message(&mut events).await.size(), 0);
    assert_eq!(
        next_message(&mut events).await.data,
        "AT+CWMODE=1\r\n中文".as_bytes()
    );
    assert_eq!(next_message(&mut events).await.data, b"x");
}

#[tokio::test]
async fn largest_datagrams_arrive_whole() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    let big: Vec<u8> = (0..65507u32).map(|i| (i % 251) as u8).collect();
    tx.send(&SendOptions::new("127.0.0.1", port, &big)).unwrap();
    next(&mut events).await;
    assert_eq!(next_message(&mut events).await.data, big);

    let rx6 = udp6();
    let mut events6 = rx6.events();
    let port6 = rx6.bind(0).unwrap();
    let tx6 = udp6();
    let big6: Vec<u8> = (0..65527u32).map(|i| (i % 241) as u8).collect();
    tx6.send(&SendOptions::new("::1", port6, &big6)).unwrap();
    next(&mut events6).await;
    let msg = next_message(&mut events6).await;
    assert_eq!(msg.size(), 65527);
    assert_eq!(msg.data, big6);
}

#[tokio::test]
async fn udp6_is_dual_stack() {
    let rx = udp6();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    assert!(rx.local_addr().unwrap().is_ipv6());
    next(&mut events).await;

    let v6 = udp6();
    v6.send(&SendOptions::new("::1", port, "six")).unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.remote.ip(), "::1".parse::<IpAddr>().unwrap());
    assert_eq!(msg.remote_family(), "IPv6");
    assert_eq!(msg.local, SocketAddr::new("::1".parse().unwrap(), port));

    // An IPv4 destination from a udp6 socket goes out IPv4-mapped.
    v6.send(&SendOptions::new("127.0.0.1", port, "mapped"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"mapped");
    assert_eq!(
        msg.remote.ip(),
        "::ffff:127.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(msg.remote_family(), "IPv6");

    // An IPv4 peer shows up mapped too.
    let v4 = udp4();
    v4.send(&SendOptions::new("127.0.0.1", port, "four"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"four");
    assert_eq!(
        msg.remote.ip(),
        "::ffff:127.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        msg.local.ip(),
        "::ffff:127.0.0.1".parse::<IpAddr>().unwrap()
    );
}

#[tokio::test]
async fn broadcast_on_loopback_reaches_wildcard_sockets() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    next(&mut events).await;
    let tx = udp4();
    // No setBroadcast: SO_BROADCAST is on for every socket.
    tx.send(&SendOptions::new("127.255.255.255", port, "discover"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"discover");
    assert_eq!(msg.local.ip(), IpAddr::from([127, 255, 255, 255]));
}

#[tokio::test]
async fn a_udp6_socket_broadcasts_to_ipv4_mapped_addresses_too() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    next(&mut events).await;
    let tx = udp6();
    let mut tx_events = tx.events();
    tx.send(&SendOptions::new("127.255.255.255", port, "discover6"))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"discover6");
    assert!(
        !drain(&mut tx_events, Duration::from_millis(50))
            .await
            .iter()
            .any(|e| matches!(e, Event::Error(_))),
        "no EACCES"
    );
}

#[tokio::test]
async fn host_names_are_resolved_in_the_background() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    next(&mut events).await;
    let tx = udp4();
    let mut tx_events = tx.events();
    tx.send(&SendOptions::new("localhost", port, "by name"))
        .unwrap();
    tx.send(&SendOptions::new("127.0.0.1", port, "by ip"))
        .unwrap();
    // Order of sends is kept even when the first one waits for a lookup.
    assert_eq!(next_message(&mut events).await.data, b"by name");
    assert_eq!(next_message(&mut events).await.data, b"by ip");

    // udp6 reaches an IPv4-only name through the mapped address.
    let tx6 = udp6();
    tx6.send(&SendOptions::new("localhost", port, "v6 by name"))
        .unwrap();
    assert_eq!(next_message(&mut events).await.data, b"v6 by name");

    // A name that does not resolve is an error event with errCode 1.
    next(&mut tx_events).await; // listening
    tx.send(&SendOptions::new("no-such-host.invalid", port, "lost"))
        .unwrap();
    let err = next_error(&mut tx_events).await;
    assert_eq!(err.code(), 1, "{err}");
    assert!(err
        .to_string()
        .starts_with("send:fail invalid address: cannot resolve no-such-host.invalid"));
}

#[tokio::test]
async fn burst_then_close_loses_nothing() {
    let rx = raw_receiver();
    let port = rx.local_addr().unwrap().port();
    let tx = udp4();
    let n = burst_size(&rx, 2000);
    for i in 0..n {
        tx.send(&SendOptions::new("127.0.0.1", port, &i.to_be_bytes()))
            .unwrap();
    }
    tx.close().unwrap();
    let mut buf = [0u8; 16];
    for i in 0..n {
        let (len, _) = rx
            .recv_from(&mut buf)
            .expect("a datagram of the burst is missing");
        assert_eq!(&buf[..len], i.to_be_bytes(), "datagrams arrive in order");
    }
}

#[tokio::test]
async fn send_then_close_on_fresh_sockets_sends_at_once() {
    let rx = raw_receiver();
    let port = rx.local_addr().unwrap().port();
    for i in 0..50u8 {
        let tx = udp4();
        let mut events = tx.events();
        tx.send(&SendOptions::new("127.0.0.1", port, &[i])).unwrap();
        tx.close().unwrap();
        let mut buf = [0u8; 4];
        let (n, _) = rx.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], [i]);
        assert!(matches!(next(&mut events).await, Event::Listening));
        assert!(
            matches!(next(&mut events).await, Event::Close),
            "no error before close"
        );
    }
}

#[tokio::test]
async fn close_with_a_pending_lookup_reports_it_or_sends_it() {
    let rx = raw_receiver();
    let port = rx.local_addr().unwrap().port();
    for _ in 0..10 {
        let tx = udp4();
        let mut events = tx.events();
        tx.send(&SendOptions::new("localhost", port, "pending"))
            .unwrap();
        tx.close().unwrap();
        let mut seen = Vec::new();
        loop {
            match next(&mut events).await {
                Event::Close => break,
                other => seen.push(other),
            }
        }
        let reported = seen.iter().any(|e| {
            matches!(e, Event::Error(err) if err.code() == -1
                && err.to_string() == "send:fail socket closed before the host name localhost was resolved")
        });
        let mut buf = [0u8; 16];
        if reported {
            // Reported, so it must not also have been sent.
            rx.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            assert!(
                rx.recv_from(&mut buf).is_err(),
                "reported and sent: {seen:?}"
            );
        } else {
            rx.set_read_timeout(Some(WAIT)).unwrap();
            assert!(
                rx.recv_from(&mut buf).is_ok(),
                "neither reported nor sent: {seen:?}"
            );
        }
    }
}

#[tokio::test]
async fn close_discards_undelivered_messages_and_fires_once() {
    // Block the driver thread with another socket's listener, so that datagrams pile up,
    // then let them be read in one go and close from the first message listener call.
    let blocker = udp4();
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (entered_tx, gate_rx) = (Mutex::new(entered_tx), Mutex::new(gate_rx));
    blocker.on_message(move |_| {
        entered_tx.lock().unwrap().send(()).unwrap();
        gate_rx.lock().unwrap().recv_timeout(WAIT).unwrap();
    });
    let blocker_port = blocker.bind(0).unwrap();

    let rx = udp4();
    let count = Arc::new(AtomicUsize::new(0));
    let closes = Arc::new(AtomicUsize::new(0));
    let (c, cl, closer) = (count.clone(), closes.clone(), rx.clone());
    rx.on_message(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        closer.close().unwrap();
    });
    rx.on_close(move || {
        cl.fetch_add(1, Ordering::SeqCst);
    });
    // Registered last: when it sees an event, the listeners above have run for it.
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));

    let tx = udp4();
    tx.send(&SendOptions::new("127.0.0.1", blocker_port, "block"))
        .unwrap();
    entered_rx.recv_timeout(WAIT).unwrap();
    for i in 0..50u8 {
        tx.send(&SendOptions::new("127.0.0.1", port, &[i])).unwrap();
    }
    // Loopback delivers in order: once this one is in, the 50 are in rx's queue.
    let raw = raw_receiver();
    tx.send(&SendOptions::new(
        "127.0.0.1",
        raw.local_addr().unwrap().port(),
        "sync",
    ))
    .unwrap();
    raw.recv_from(&mut [0u8; 8]).unwrap();
    gate_tx.send(()).unwrap();

    assert_eq!(next_message(&mut events).await.data, [0]);
    assert!(matches!(next(&mut events).await, Event::Close));
    rx.close().unwrap(); // a second close is a no-op
    let rest = drain(&mut events, Duration::from_millis(300)).await;
    assert!(rest.is_empty(), "nothing after close: {rest:?}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "message listeners never run after close"
    );
    assert_eq!(closes.load(Ordering::SeqCst), 1, "close fires once");
}

#[tokio::test]
async fn every_call_after_close_is_an_error_event() {
    let sock = udp4();
    let mut events = sock.events();
    sock.bind(0).unwrap();
    sock.close().unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    assert!(matches!(next(&mut events).await, Event::Close));
    assert!(sock.local_addr().is_none());
    let calls: Vec<(&str, wxudp::Error)> = vec![
        (
            "send",
            sock.send(&SendOptions::new("127.0.0.1", 9, "x"))
                .unwrap_err(),
        ),
        (
            "write",
            sock.write(&SendOptions::new("127.0.0.1", 9, "x"))
                .unwrap_err(),
        ),
        ("connect", sock.connect("127.0.0.1", 9).unwrap_err()),
        ("bind", sock.bind(0).unwrap_err()),
        ("setTTL", sock.set_ttl(5).unwrap_err()),
    ];
    for (method, err) in calls {
        assert_eq!(err.to_string(), format!("{method}:fail socket is closed"));
        assert_eq!(err.code(), -1);
        let event = next_error(&mut events).await;
        assert_eq!(event.to_string(), err.to_string());
    }
    sock.close().unwrap();
    assert!(drain(&mut events, Duration::from_millis(200))
        .await
        .is_empty());
}

#[tokio::test]
async fn connect_filters_peers_and_write_uses_it() {
    let a = udp4();
    let mut events = a.events();
    let a_port = a.bind(0).unwrap();
    next(&mut events).await;
    let peer = udp4();
    let mut peer_events = peer.events();
    let peer_port = peer.bind(0).unwrap();
    next(&mut peer_events).await;
    a.connect("127.0.0.1", peer_port).unwrap();
    assert_eq!(
        a.peer_addr(),
        Some(SocketAddr::from(([127, 0, 0, 1], peer_port)))
    );

    a.write(&SendOptions::new("127.0.0.1", peer_port, "via write"))
        .unwrap();
    let msg = next_message(&mut peer_events).await;
    assert_eq!(msg.data, b"via write");
    assert_eq!(msg.remote.port(), a_port);

    // Another peer's datagram is dropped by the kernel; the connected peer's arrives.
    let stranger = udp4();
    stranger
        .send(&SendOptions::new("127.0.0.1", a_port, "stranger"))
        .unwrap();
    peer.send(&SendOptions::new("127.0.0.1", a_port, "peer"))
        .unwrap();
    assert_eq!(next_message(&mut events).await.data, b"peer");

    // write without connect is send.
    let b = udp4();
    b.write(&SendOptions::new("127.0.0.1", peer_port, "plain write"))
        .unwrap();
    assert_eq!(next_message(&mut peer_events).await.data, b"plain write");

    // connect before bind binds implicitly; connect to a host name works too.
    let c = udp4();
    let mut c_events = c.events();
    c.connect("localhost", peer_port).unwrap();
    assert!(matches!(next(&mut c_events).await, Event::Listening));
    c.write(&SendOptions::new(
        "127.0.0.1",
        peer_port,
        "after named connect",
    ))
    .unwrap();
    let msg = next_message(&mut peer_events).await;
    assert_eq!(msg.data, b"after named connect");
    assert_eq!(
        c.peer_addr(),
        Some(SocketAddr::from(([127, 0, 0, 1], peer_port)))
    );
}

#[tokio::test]
async fn set_ttl_before_and_after_bind() {
    let sock = udp4();
    let mut events = sock.events();
    sock.set_ttl(3).unwrap();
    assert_eq!(sock.ttl(), None, "not bound yet");
    sock.bind(0).unwrap();
    assert_eq!(sock.ttl(), Some(3), "remembered and applied at bind");
    sock.set_ttl(200).unwrap();
    assert_eq!(sock.ttl(), Some(200));
    assert!(matches!(next(&mut events).await, Event::Listening));
    let err = sock.set_ttl(256).unwrap_err();
    assert_eq!(err.code(), -1);
    assert_eq!(next_error(&mut events).await.to_string(), err.to_string());
    assert_eq!(sock.ttl(), Some(200));

    let six = udp6();
    six.bind(0).unwrap();
    six.set_ttl(9).unwrap();
    assert_eq!(six.ttl(), Some(9));
}

#[tokio::test]
async fn events_keep_their_order() {
    let rx = udp4();
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    for i in 0..300u16 {
        tx.send(&SendOptions::new("127.0.0.1", port, &i.to_be_bytes()))
            .unwrap();
    }
    assert!(matches!(next(&mut events).await, Event::Listening));
    for i in 0..300u16 {
        assert_eq!(next_message(&mut events).await.data, i.to_be_bytes());
    }
}

#[tokio::test]
async fn off_one_and_off_all() {
    let rx = udp4();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = |tag: &'static str| {
        let seen = seen.clone();
        move |_: &wxudp::Message| seen.lock().unwrap().push(tag)
    };
    let a = rx.on_message(listener("a"));
    let _b = rx.on_message(listener("b"));
    rx.on_message(listener("c"));
    // Registered last: when it sees an event, the listeners above have run for it.
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    let send = |text: &str| tx.send(&SendOptions::new("127.0.0.1", port, text)).unwrap();

    send("1");
    next(&mut events).await;
    next_message(&mut events).await;
    assert_eq!(*seen.lock().unwrap(), ["a", "b", "c"]);

    assert!(rx.off(a));
    send("2");
    next_message(&mut events).await;
    assert_eq!(seen.lock().unwrap()[3..], ["b", "c"]);

    assert_eq!(
        rx.off_all(EventKind::Message),
        3,
        "b, c and the events() stream's"
    );
    let mut after = rx.events();
    send("3");
    assert_eq!(next_message(&mut after).await.data, b"3");
    assert!(drain(&mut events, Duration::from_millis(100))
        .await
        .is_empty());
    assert_eq!(
        seen.lock().unwrap().len(),
        5,
        "no removed listener ran for 3"
    );
}

#[tokio::test]
async fn dispatch_uses_the_snapshot_taken_when_it_starts() {
    let rx = udp4();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let victim_log = log.clone();
    let victim = rx.on_message(move |m| {
        victim_log
            .lock()
            .unwrap()
            .push(format!("victim {}", String::from_utf8_lossy(&m.data)))
    });
    let adder_log = log.clone();
    let handle = rx.clone();
    let added = Arc::new(AtomicUsize::new(0));
    // The first listener runs first: it adds a listener and removes the victim.
    let first_log = log.clone();
    let first = rx.on_message(move |m| {
        first_log
            .lock()
            .unwrap()
            .push(format!("first {}", String::from_utf8_lossy(&m.data)));
        if added.fetch_add(1, Ordering::SeqCst) == 0 {
            let l = adder_log.clone();
            handle.on_message(move |m| {
                l.lock()
                    .unwrap()
                    .push(format!("added {}", String::from_utf8_lossy(&m.data)))
            });
            handle.off(victim);
        }
    });
    // Registered after `victim` and `first`: when it sees an event, they have run for it.
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    for text in ["1", "2", "3"] {
        tx.send(&SendOptions::new("127.0.0.1", port, text)).unwrap();
    }
    next(&mut events).await;
    next_message(&mut events).await;
    next_message(&mut events).await;
    next_message(&mut events).await;
    // Dispatch is sequential: event 3 reached the stream, so event 2 was fully dispatched.
    assert_eq!(
        log.lock().unwrap()[..5],
        ["victim 1", "first 1", "first 2", "added 2", "first 3"],
        "the victim still got event 1, the added listener only event 2"
    );
    assert!(rx.off(first));
}

#[tokio::test]
async fn a_panicking_listener_does_not_stop_the_others() {
    let rx = udp4();
    let calls = Arc::new(AtomicUsize::new(0));
    rx.on_message(|_| panic!("listener panic (expected by this test)"));
    let c = calls.clone();
    rx.on_message(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    // Registered last: when it sees an event, the listeners above have run for it.
    let mut events = rx.events();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    tx.send(&SendOptions::new("127.0.0.1", port, "1")).unwrap();
    tx.send(&SendOptions::new("127.0.0.1", port, "2")).unwrap();
    next(&mut events).await;
    next_message(&mut events).await;
    next_message(&mut events).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the loop went on after the panic"
    );
}

#[tokio::test]
async fn the_same_listener_twice_runs_twice() {
    let rx = udp4();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let f = Arc::new(move |_: &wxudp::Event| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let f2 = f.clone();
    rx.on(EventKind::Listening, move |e| f(e));
    rx.on(EventKind::Listening, move |e| f2(e));
    // Registered last: when it sees the event, the two registrations above have run.
    let mut events = rx.events();
    rx.bind(0).unwrap();
    next(&mut events).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn messages_stream_ends_at_close() {
    let rx = udp4();
    let mut messages = rx.messages();
    let port = rx.bind(0).unwrap();
    let tx = udp4();
    tx.send(&SendOptions::new("127.0.0.1", port, "m")).unwrap();
    let m = tokio::time::timeout(WAIT, messages.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.data, b"m");
    rx.close().unwrap();
    assert!(tokio::time::timeout(WAIT, messages.recv())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_socket() {
    let sock = udp4();
    let port = sock.bind(0).unwrap();
    drop(sock);
    assert_eq!(udp4().bind(port).unwrap(), port);
}

#[tokio::test]
async fn a_listener_may_use_its_own_socket_and_registry() {
    // Listeners run with no lock of the socket held: one that calls back into its socket
    // (methods and listener registry alike) must not deadlock the driver.
    let sock = udp4();
    let (tx, rx) = mpsc::channel();
    let me = sock.downgrade();
    sock.on_message(move |msg| {
        let Some(sock) = me.upgrade() else { return };
        let local = sock.local_addr();
        let id = sock.on_close(|| {});
        let removed = sock.off(id);
        sock.send_to(b"reply", msg.remote).unwrap();
        let _ = tx.send((local, removed, sock.stats().received));
    });
    let port = sock.bind(0).unwrap();
    let peer = raw_receiver();
    peer.send_to(b"hi", ("127.0.0.1", port)).unwrap();
    let (local, removed, received) = rx.recv_timeout(WAIT).expect("the listener ran to its end");
    assert_eq!(local.unwrap().port(), port);
    assert!(removed);
    assert_eq!(received, 1);
    let mut buf = [0u8; 8];
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"reply");
}

#[tokio::test]
async fn dropping_every_handle_closes_a_socket_whose_listener_holds_a_weak_one() {
    let sock = udp4();
    let me = sock.downgrade();
    sock.on_message(move |msg| {
        if let Some(sock) = me.upgrade() {
            let _ = sock.send_to(&msg.data, msg.remote);
        }
    });
    let port = sock.bind(0).unwrap();
    let weak = sock.downgrade();
    drop(sock);
    assert!(weak.upgrade().is_none());
    assert_eq!(udp4().bind(port).unwrap(), port, "the port is free again");
}
