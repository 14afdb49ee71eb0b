//! The traffic tap (`UdpSocket::set_tap`): every datagram sent (at once, from the outbox,
//! by the flush of `close()`), received or dropped by the receive budget, and every
//! error event, with the socket's and the peer's addresses. On loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{raw_receiver, WAIT};
use wxudp::frontend::{Datagram, Direction, Tap};
use wxudp::{Limits, Policy, SendOptions, SocketType, UdpSocket};

/// A datagram as the tap saw it: direction, local address, peer, payload.
type SeenDatagram = (Direction, SocketAddr, SocketAddr, Vec<u8>);

/// What a tap saw, in order.
#[derive(Default)]
struct Seen {
    datagrams: Mutex<Vec<SeenDatagram>>,
    errors: Mutex<Vec<(Option<SocketAddr>, i32, String)>>,
}

impl Tap for Seen {
    fn datagram(&self, d: &Datagram<'_>) {
        self.datagrams
            .lock()
            .unwrap()
            .push((d.direction, d.local, d.remote, d.data.to_vec()));
    }

    fn error(&self, local: Option<SocketAddr>, error: &wxudp::Error) {
        self.errors
            .lock()
            .unwrap()
            .push((local, error.code(), error.to_string()));
    }
}

impl Seen {
    fn count(&self, direction: Direction) -> usize {
        let seen = self.datagrams.lock().unwrap();
        seen.iter().filter(|d| d.0 == direction).count()
    }

    /// Waits (bounded) until `n` datagrams went `direction`.
    fn wait_for(&self, direction: Direction, n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.count(direction) < n {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} {direction:?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

#[test]
fn the_tap_sees_sends_receipts_and_errors_with_their_addresses() {
    let seen = Arc::new(Seen::default());
    let udp = UdpSocket::new(SocketType::Udp4).unwrap();
    udp.set_tap(Some(seen.clone()));
    let port = udp.bind(0).unwrap();
    udp.send(&SendOptions::new("127.0.0.1", port, "to myself"))
        .unwrap();
    seen.wait_for(Direction::Received, 1);
    let peer = raw_receiver();
    let to = peer.local_addr().unwrap();
    udp.send(&SendOptions::new(
        "127.0.0.1",
        to.port(),
        &[0u8, 1, 255][..],
    ))
    .unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(peer.recv(&mut buf).unwrap(), 3);
    // A failure: port 0 is errCode 2.
    assert_eq!(
        udp.send(&SendOptions::new("127.0.0.1", 0, "x"))
            .unwrap_err()
            .code(),
        2
    );
    udp.close().unwrap();

    let me: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let bound: SocketAddr = format!("0.0.0.0:{port}").parse().unwrap();
    let datagrams = seen.datagrams.lock().unwrap().clone();
    let sent: Vec<_> = datagrams
        .iter()
        .filter(|d| d.0 == Direction::Sent)
        .collect();
    assert_eq!(sent.len(), 2, "{datagrams:?}");
    assert_eq!(
        (sent[0].1, sent[0].2, sent[0].3.as_slice()),
        (bound, me, &b"to myself"[..])
    );
    assert_eq!((sent[1].2, sent[1].3.as_slice()), (to, &[0u8, 1, 255][..]));
    let received: Vec<_> = datagrams
        .iter()
        .filter(|d| d.0 == Direction::Received)
        .collect();
    assert_eq!(received.len(), 1);
    // The destination the kernel reports, with the socket's port; the sender.
    assert_eq!(
        (received[0].1, received[0].2, received[0].3.as_slice()),
        (me, me, &b"to myself"[..])
    );
    let errors = seen.errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, Some(bound));
    assert_eq!(errors[0].1, 2);
    assert!(errors[0].2.starts_with("send:fail"), "{errors:?}");
}

#[test]
fn the_tap_sees_datagrams_dropped_by_the_receive_budget() {
    let seen = Arc::new(Seen::default());
    // No room at all: every datagram is dropped, and the tap says so.
    let limits = Limits::default().with_receive_buffer(0);
    let udp = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits).unwrap();
    udp.set_tap(Some(seen.clone()));
    let port = udp.bind(0).unwrap();
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"lost", ("127.0.0.1", port)).unwrap();
    seen.wait_for(Direction::Dropped, 1);
    assert_eq!(seen.count(Direction::Received), 0);
    assert_eq!(udp.stats().dropped, 1);
    let datagrams = seen.datagrams.lock().unwrap().clone();
    assert_eq!(datagrams[0].2, sender.local_addr().unwrap());
    assert_eq!(datagrams[0].3, b"lost");
    udp.close().unwrap();
}

#[test]
fn the_tap_sees_sends_from_the_outbox_and_every_error_even_those_dropped() {
    let seen = Arc::new(Seen::default());
    let limits = Limits::default().with_error_backlog(2);
    let udp = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits).unwrap();
    udp.set_tap(Some(seen.clone()));
    let peer = raw_receiver();
    let to = peer.local_addr().unwrap();
    // A host name waits in the outbox for its lookup, then goes out from there.
    udp.send(&SendOptions::new("localhost", to.port(), "queued"))
        .unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(peer.recv(&mut buf).unwrap(), 6);
    seen.wait_for(Direction::Sent, 1);
    // Five failures; the backlog delivers two, the tap sees all five.
    for _ in 0..5 {
        let _ = udp.send(&SendOptions::new("127.0.0.1", 0, "x"));
    }
    udp.close().unwrap();
    let errors = seen.errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors.iter().all(|e| e.1 == 2));
    let datagrams = seen.datagrams.lock().unwrap().clone();
    assert_eq!(datagrams[0].3, b"queued");
    assert_eq!(datagrams[0].2, to);
}
