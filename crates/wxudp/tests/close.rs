//! Closing from async code: `close_async` and dropping the last handle on a thread of a
//! tokio runtime flush what the socket had accepted, end with the `close` event, and
//! never wait for the kernel on the runtime's thread. On loopback; the full kernel is
//! the loopback of a namespace this test makes, rate-limited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{next, raw_receiver, WAIT};
use wxudp::frontend::{Delivery, Engine, IoDriver, IoQueue};
use wxudp::{Error, Event, EventKind, Limits, Method, Policy, SendOptions, SocketType, UdpSocket};
use wxudp_testkit::Netns;

/// An engine bound to 127.0.0.1 whose events go to a channel and whose I/O tasks wait
/// in an [`IoQueue`] nobody polls: what waits in its outbox stays there until `close`.
/// The runtime (the reactor, the blocking pool of the close) is `runtime`.
fn held_engine(
    runtime: tokio::runtime::Handle,
    limits: Limits,
) -> (Engine, mpsc::Receiver<Delivery>, IoDriver) {
    let (tx, rx) = mpsc::channel();
    let sink = move |d: Delivery| {
        let _ = tx.send(d);
    };
    let queue = IoQueue::new();
    let io = queue.driver();
    let engine = Engine::with_limits(SocketType::Udp4, Policy::Any, limits, sink, runtime, queue);
    (engine, rx, io)
}

/// Queues `datagrams` in the outbox of a held engine, behind a send to a host name whose
/// lookup never runs (its task is held).
fn queue_behind_a_host_name(engine: &Engine, to: SocketAddr, datagrams: &[&[u8]]) {
    engine
        .send(&SendOptions::new("localhost", to.port(), "named"))
        .unwrap();
    for data in datagrams {
        engine.send_to(data, to).unwrap();
    }
    assert_eq!(engine.stats().sent, 0, "everything waits in the outbox");
}

/// Every event delivered so far, as a front end accepts them.
fn accepted(rx: &mpsc::Receiver<Delivery>) -> Vec<Event> {
    rx.try_iter().filter_map(Delivery::accept).collect()
}

/// What `peer` received, in order: `n` datagrams (each waited for at most [`WAIT`]).
fn received(peer: &std::net::UdpSocket, n: usize) -> Vec<Vec<u8>> {
    let mut buf = [0u8; 64];
    (0..n)
        .map(|_| {
            let len = peer.recv(&mut buf).unwrap();
            buf[..len].to_vec()
        })
        .collect()
}

fn is_unresolved(event: &Event) -> bool {
    matches!(event, Event::Error(Error::Unresolved { host, .. }) if host == "localhost")
}

#[tokio::test(flavor = "current_thread")]
async fn close_async_on_a_current_thread_runtime_flushes_the_outbox() {
    let peer = raw_receiver();
    let to = peer.local_addr().unwrap();
    let (engine, rx, _io) = held_engine(tokio::runtime::Handle::current(), Limits::default());
    let port = engine.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap();
    queue_behind_a_host_name(&engine, to, &[b"one", b"two"]);

    engine.close_async().await.unwrap();

    assert_eq!(received(&peer, 2), [b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(engine.stats().sent, 2);
    let events = accepted(&rx);
    assert!(matches!(events[0], Event::Listening), "{events:?}");
    assert!(is_unresolved(&events[1]), "{events:?}");
    assert!(matches!(events[2], Event::Close), "{events:?}");
    assert_eq!(events.len(), 3, "{events:?}");
    // The port was free when close_async returned.
    std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    // Closing again waits for nothing and queues nothing.
    engine.close_async().await.unwrap();
    assert!(accepted(&rx).is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_an_engine_on_a_runtime_thread_flushes_the_outbox() {
    let peer = raw_receiver();
    let to = peer.local_addr().unwrap();
    let (engine, rx, _io) = held_engine(tokio::runtime::Handle::current(), Limits::default());
    engine.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap();
    queue_behind_a_host_name(&engine, to, &[b"last", b"words"]);

    drop(engine);

    assert_eq!(received(&peer, 2), [b"last".to_vec(), b"words".to_vec()]);
    let kinds: Vec<EventKind> = accepted(&rx).iter().map(Event::kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Listening, EventKind::Error, EventKind::Close]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn udp_socket_close_async_on_a_current_thread_runtime() {
    let peer = raw_receiver();
    let to = peer.local_addr().unwrap();
    let sock = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut events = sock.events();
    let burst: Vec<Vec<u8>> = (0u8..20).map(|i| vec![i; 8]).collect();
    for data in &burst {
        sock.send_to(data, to).unwrap();
    }

    sock.close_async().await.unwrap();

    assert_eq!(received(&peer, 20), burst, "in order, none lost");
    assert!(matches!(next(&mut events).await, Event::Listening));
    assert!(matches!(next(&mut events).await, Event::Close));
    let err = sock.send_to(b"late", to).unwrap_err();
    assert!(matches!(
        err,
        Error::Closed {
            method: Method::Send
        }
    ));
    assert!(matches!(
        next(&mut events).await,
        Event::Error(Error::Closed { .. })
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_a_udp_socket_on_a_runtime_thread_closes_it() {
    let peer = raw_receiver();
    let to = peer.local_addr().unwrap();
    let sock = UdpSocket::new(SocketType::Udp4).unwrap();
    let mut events = sock.events();
    sock.send_to(b"bye", to).unwrap();

    drop(sock);

    assert_eq!(received(&peer, 1), [b"bye".to_vec()]);
    assert!(matches!(next(&mut events).await, Event::Listening));
    assert!(matches!(next(&mut events).await, Event::Close));
    let end = tokio::time::timeout(WAIT, events.recv()).await;
    assert!(matches!(end, Ok(None)), "the stream ends with the socket");
}

/// A namespace whose loopback sends at 10 kbit/s (tbf): a socket's send buffer is soon
/// full, and the kernel then has no room for seconds.
fn slow_loopback(tag: &str) -> Netns {
    let ns = Netns::create(tag);
    let status = ns
        .exec("tc")
        .args([
            "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "10kbit", "burst", "1600",
            "latency", "100s",
        ])
        .status()
        .unwrap();
    assert!(status.success(), "tc qdisc add failed");
    ns
}

/// An engine bound to the slow loopback of `ns`, on `runtime`, whose close waits for
/// the kernel until `abort` is set; and a receiver there. Its outbox holds at least 20
/// datagrams the kernel had no room for; returns how many sends it accepted.
fn behind_a_full_kernel(
    ns: &Netns,
    runtime: tokio::runtime::Handle,
    abort: Arc<AtomicBool>,
) -> (Engine, mpsc::Receiver<Delivery>, usize) {
    let limits = Limits::default()
        .with_close_timeout(Duration::from_secs(3600))
        .with_close_abort(abort);
    let (tx, rx) = mpsc::channel();
    let sink = move |d: Delivery| {
        let _ = tx.send(d);
    };
    let engine = Engine::with_limits(
        SocketType::Udp4,
        Policy::Any,
        limits,
        sink,
        runtime.clone(),
        runtime,
    );
    let receiver = ns.within(|| {
        engine.bind_addr((Ipv4Addr::LOCALHOST, 0)).unwrap();
        std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap()
    });
    let to = receiver.local_addr().unwrap();
    let data = [0u8; 1000];
    let mut accepted = 0;
    while engine.stats().sent + 20 > accepted as u64 {
        assert!(accepted < 10_000, "the kernel never ran out of room");
        engine.send_to(&data, to).unwrap();
        accepted += 1;
    }
    (engine, rx, accepted)
}

/// Polls `future` once.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root, iproute2 and tc (a network namespace); runs under CI=true or with --include-ignored"
)]
fn close_async_waits_for_a_full_kernel_in_the_background() {
    let ns = slow_loopback("closeasync");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let abort = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let (engine, rx, sends) =
            behind_a_full_kernel(&ns, tokio::runtime::Handle::current(), abort.clone());
        {
            let mut close = pin!(engine.close_async());
            assert!(
                poll_once(close.as_mut()).is_pending(),
                "the kernel has no room: the close waits in the background, not here"
            );
        } // Cancelled: the close goes on.
        assert!(engine.is_closed());
        let late = engine.send(&SendOptions::new("127.0.0.1", 9, "late"));
        assert!(matches!(late, Err(Error::Closed { .. })));
        assert!(
            !accepted_kinds(&rx).contains(&EventKind::Close),
            "the close waits for the kernel until the abort"
        );
        abort.store(true, Ordering::SeqCst);
        tokio::time::timeout(WAIT, engine.close_async())
            .await
            .expect("the close ended after the abort")
            .unwrap();
        let events: Vec<Event> = accepted(&rx);
        let n = events.len();
        assert!(n >= 3, "{events:?}");
        let Event::Error(Error::Unsent { count }) = &events[n - 3] else {
            panic!("the datagrams left are reported: {events:?}");
        };
        assert!(*count >= 20);
        assert_eq!(engine.stats().sent + *count as u64, sends as u64);
        assert!(matches!(events[n - 2], Event::Close));
        assert!(
            matches!(
                &events[n - 1],
                Event::Error(Error::Closed {
                    method: Method::Send
                })
            ),
            "a call made while the close ran is reported after close: {events:?}"
        );
    });
}

/// The kinds of the events delivered so far.
fn accepted_kinds(rx: &mpsc::Receiver<Delivery>) -> Vec<EventKind> {
    accepted(rx).iter().map(Event::kind).collect()
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root, iproute2 and tc (a network namespace); runs under CI=true or with --include-ignored"
)]
fn dropping_an_engine_behind_a_full_kernel_on_a_runtime_thread_does_not_wait() {
    let ns = slow_loopback("dropasync");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let abort = Arc::new(AtomicBool::new(false));
    let rx = rt.block_on(async {
        let (engine, rx, _) =
            behind_a_full_kernel(&ns, tokio::runtime::Handle::current(), abort.clone());
        // Were the drop to wait for the kernel, it would wait for the abort: forever.
        drop(engine);
        rx
    });
    let before: Vec<EventKind> = rx
        .try_iter()
        .filter_map(Delivery::accept)
        .map(|e| e.kind())
        .collect();
    assert!(!before.contains(&EventKind::Close), "{before:?}");
    abort.store(true, Ordering::SeqCst);
    let mut kinds = Vec::new();
    while !kinds.contains(&EventKind::Close) {
        let d = rx
            .recv_timeout(WAIT)
            .expect("the close ended after the abort");
        kinds.extend(d.accept().map(|e| e.kind()));
    }
    assert_eq!(
        kinds,
        [EventKind::Error, EventKind::Close],
        "Unsent, then close"
    );
}
