//! `bind_addr`: a specific local address, given in any form that becomes a `SocketAddr`
//! without a lookup, on 127.0.0.1 and ::1. Datagrams come from std sockets on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket as StdUdpSocket,
};

use common::{next, next_message};
use wxudp::{Error, Event, SocketType, UdpSocket};

/// Binds a new socket of type `ty` at `addr`, sends it a datagram from a std socket at
/// `from`, and returns the bound address and where the datagram was seen arriving.
async fn bind_and_receive(
    ty: SocketType,
    addr: impl Into<SocketAddr>,
    from: SocketAddr,
) -> (SocketAddr, SocketAddr, SocketAddr) {
    let sock = UdpSocket::new(ty).unwrap();
    let mut events = sock.events();
    let port = sock.bind_addr(addr).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    let bound = sock.local_addr().unwrap();
    assert_eq!(bound.port(), port);
    let peer = StdUdpSocket::bind(from).unwrap();
    let to = SocketAddr::new(from.ip(), port);
    peer.send_to(b"here", to).unwrap();
    let msg = next_message(&mut events).await;
    assert_eq!(msg.data, b"here");
    sock.close().unwrap();
    (bound, msg.local, msg.remote)
}

#[tokio::test]
async fn udp4_binds_127_0_0_1_in_every_form() {
    let from: SocketAddr = (Ipv4Addr::LOCALHOST, 0).into();
    let forms: Vec<SocketAddr> = vec![
        (Ipv4Addr::LOCALHOST, 0).into(),
        ([127, 0, 0, 1], 0).into(),
        (IpAddr::V4(Ipv4Addr::LOCALHOST), 0).into(),
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0).into(),
        "127.0.0.1:0".parse().unwrap(),
    ];
    for addr in forms {
        let (bound, local, remote) = bind_and_receive(SocketType::Udp4, addr, from).await;
        assert_eq!(bound.ip(), Ipv4Addr::LOCALHOST);
        assert_eq!(local, bound, "the datagram arrived at the bound address");
        assert_eq!(remote.ip(), Ipv4Addr::LOCALHOST);
    }
    // The tuple itself, without a conversion at the call.
    let sock = UdpSocket::new(SocketType::Udp4).unwrap();
    let port = sock.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap();
    assert_eq!(sock.local_addr(), Some((Ipv4Addr::LOCALHOST, port).into()));
}

#[tokio::test]
async fn udp6_binds_ipv6_loopback() {
    let from: SocketAddr = (Ipv6Addr::LOCALHOST, 0).into();
    let forms: Vec<SocketAddr> = vec![
        (Ipv6Addr::LOCALHOST, 0).into(),
        ([0u16, 0, 0, 0, 0, 0, 0, 1], 0).into(),
        SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, 0, 0).into(),
        "[::1]:0".parse().unwrap(),
    ];
    for addr in forms {
        let (bound, local, remote) = bind_and_receive(SocketType::Udp6, addr, from).await;
        assert_eq!(bound.ip(), Ipv6Addr::LOCALHOST);
        assert_eq!(local, bound);
        assert_eq!(remote.ip(), Ipv6Addr::LOCALHOST);
    }
}

#[tokio::test]
async fn udp6_binds_127_0_0_1_as_ipv4_mapped() {
    let from: SocketAddr = (Ipv4Addr::LOCALHOST, 0).into();
    let (bound, local, remote) =
        bind_and_receive(SocketType::Udp6, (Ipv4Addr::LOCALHOST, 0), from).await;
    let mapped = Ipv4Addr::LOCALHOST.to_ipv6_mapped();
    assert_eq!(bound.ip(), mapped);
    assert_eq!(local, bound);
    assert_eq!(remote.ip(), mapped);
}

#[tokio::test]
async fn the_family_and_the_phase_are_checked() {
    let v4 = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut events = v4.events();
    let err = v4.bind_addr((Ipv6Addr::LOCALHOST, 0)).unwrap_err();
    assert_eq!(err.code(), 1);
    assert!(matches!(
        next(&mut events).await,
        Event::Error(Error::InvalidAddress { .. })
    ));
    assert_eq!(v4.local_addr(), None, "a refused address binds nothing");

    let port = v4.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap();
    assert!(matches!(next(&mut events).await, Event::Listening));
    let again = v4.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap_err();
    assert!(matches!(again, Error::AlreadyBound));

    // The port is taken on that address: the OS's error, -2.
    let other = UdpSocket::new(SocketType::Udp4).unwrap();
    let in_use = other.bind_addr((Ipv4Addr::LOCALHOST, port)).unwrap_err();
    assert_eq!(in_use.code(), -2);
    assert_eq!(in_use.os_error().and_then(|e| e.raw_os_error()), Some(98));

    v4.close().unwrap();
    let closed = v4.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap_err();
    assert_eq!(closed.to_string(), "bind:fail socket is closed");
}
