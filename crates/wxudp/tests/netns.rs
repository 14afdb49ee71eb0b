//! Broadcast that needs a LAN, run between network namespaces this test creates and
//! removes itself (docs/CONTRACT.md §8). Needs root and `ip` (iproute2): CI has both and
//! runs these tests; elsewhere they are ignored with that reason (`--include-ignored` runs
//! them), and a missing prerequisite fails them instead of skipping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::IpAddr;

use common::{next, next_message};
use wxudp::{Event, SendOptions, SocketType, UdpSocket};
use wxudp_testkit::Netns;

#[tokio::test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
async fn limited_broadcast_reaches_wildcard_sockets_in_a_namespace() {
    let ns = Netns::create("bcast");
    ns.ip(&[
        "route",
        "add",
        "255.255.255.255/32",
        "dev",
        "lo",
        "src",
        "127.0.0.1",
    ]);
    let (rx, tx) = ns.within(|| {
        (
            UdpSocket::new(SocketType::Udp4).unwrap(),
            UdpSocket::new(SocketType::Udp4).unwrap(),
        )
    });
    let mut events = rx.events();
    // Sockets are created by bind (and by send's implicit bind): do both inside.
    let port = ns.within(|| rx.bind(0)).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    ns.within(|| tx.send(&SendOptions::new("255.255.255.255", port, "anyone there?")))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"anyone there?");
    assert_eq!(msg.remote.ip(), IpAddr::from([127, 0, 0, 1]));
    assert_eq!(msg.local.ip(), IpAddr::from([255, 255, 255, 255]));

    // setBroadcast: true is accepted too, and the reply path works.
    ns.within(|| tx.send(&SendOptions::new("255.255.255.255", port, "again").set_broadcast(true)))
        .unwrap();
    assert_eq!(next_message(&mut events).await.data, b"again");
}

#[tokio::test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
async fn subnet_broadcast_crosses_a_veth_pair() {
    let (a, b) = (Netns::create("a"), Netns::create("b"));
    a.link("wxa", "10.213.0.1/24", &b, "wxb", "10.213.0.2/24");

    let rx = b.within(|| UdpSocket::new(SocketType::Udp4).unwrap());
    let mut events = rx.events();
    let port = b.within(|| rx.bind(0)).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));

    let tx = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut tx_events = tx.events();
    // The device-discovery pattern: broadcast to x.y.z.255, the device answers unicast.
    let replier = rx.clone();
    rx.on_message(move |m| {
        let to = m.remote.ip().to_string();
        replier
            .send(&SendOptions::new(&to, m.remote.port(), "I am here"))
            .unwrap();
    });
    a.within(|| tx.send(&SendOptions::new("10.213.0.255", port, "who is there?")))
        .unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"who is there?");
    assert_eq!(msg.remote.ip(), IpAddr::from([10, 213, 0, 1]));
    assert_eq!(msg.local.ip(), IpAddr::from([10, 213, 0, 255]));
    assert!(matches!(next(&mut tx_events).await, Event::Listening));
    let reply = next_message(&mut tx_events).await;
    assert_eq!(reply.data, b"I am here");
    assert_eq!(reply.remote.ip(), IpAddr::from([10, 213, 0, 2]));
    rx.close().unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
async fn multicast_destinations_need_no_membership() {
    let ns = Netns::create("mcast");
    ns.ip(&["link", "set", "lo", "multicast", "on"]);
    ns.ip(&["route", "add", "239.0.0.0/8", "dev", "lo"]);
    // An SSDP-style listener that joined the group (the sender never does).
    let group = std::net::Ipv4Addr::new(239, 255, 255, 250);
    let listener = ns.within(|| {
        let sock = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        sock.join_multicast_v4(&group, &std::net::Ipv4Addr::LOCALHOST)
            .unwrap();
        sock.set_read_timeout(Some(common::WAIT)).unwrap();
        sock
    });
    let port = listener.local_addr().unwrap().port();
    let tx = UdpSocket::new(SocketType::Udp4).unwrap();
    let search = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n";
    ns.within(|| tx.send(&SendOptions::new("239.255.255.250", port, search)))
        .unwrap();
    let mut buf = [0u8; 256];
    let (n, from) = listener.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], search.as_bytes());
    assert_eq!(from.port(), tx.local_addr().unwrap().port());
}
