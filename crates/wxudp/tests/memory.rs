//! The memory budget (issue 19): what sockets hold counts against one budget, and beyond
//! it the call that needs more fails with an error, never the process; what a socket
//! holds while open is given back at `close()`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::runtime;
use wxudp::frontend::{Delivery, Engine, IoQueue};
use wxudp::{Error, Event, Limits, Method, Policy, SendOptions, SocketType, UdpSocket};

/// An engine whose I/O waits in `queue` and whose deliveries are kept.
fn engine(limits: &Limits, queue: &IoQueue) -> (Engine, Arc<Mutex<Vec<Delivery>>>) {
    let held: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let sink = {
        let held = held.clone();
        move |d: Delivery| held.lock().unwrap().push(d)
    };
    let rt = runtime();
    let engine = Engine::with_limits(
        SocketType::Udp4,
        Policy::Any,
        limits.clone(),
        sink,
        rt,
        queue.clone(),
    );
    (engine, held)
}

/// Runs the I/O tasks of `queue` once: those of closed sockets end.
fn finish(queue: &IoQueue) {
    let _inside = runtime().enter();
    let mut io = queue.driver();
    let _ = io.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    assert_eq!(io.tasks(), 0);
}

fn errors(held: &Mutex<Vec<Delivery>>) -> Vec<(String, i32)> {
    held.lock()
        .unwrap()
        .drain(..)
        .filter_map(Delivery::accept)
        .filter_map(|e| match e {
            Event::Error(e) => Some((e.to_string(), e.code())),
            _ => None,
        })
        .collect()
}

#[test]
fn beyond_the_budget_sockets_fail_with_an_error_and_closing_gives_it_back() {
    let limits = Limits::default().with_memory_total(64 << 10);
    let queue = IoQueue::new();
    let mut open = Vec::new();
    // Bind until the budget refuses.
    let refused = loop {
        let (e, held) = engine(&limits, &queue);
        if e.is_closed() {
            break errors(&held);
        }
        match e.bind(0) {
            Ok(_) => open.push((e, held)),
            Err(err) => {
                assert_eq!(
                    (err.to_string(), err.code()),
                    (
                        "bind:fail cannot allocate memory (native memory budget used up)".into(),
                        -1
                    )
                );
                assert!(!e.is_open(), "not bound: it may bind later");
                // An implicit bind fails the same way, in its method's name.
                let err = e.send(&SendOptions::new("127.0.0.1", 9, "x")).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    "send:fail cannot allocate memory (native memory budget used up)"
                );
                open.push((e, held));
                break Vec::new();
            }
        }
        assert!(open.len() < 1000, "the budget never refused");
    };
    assert!(!open.is_empty());
    assert!(limits.memory_used() <= limits.memory_total() + 4096);
    if !refused.is_empty() {
        assert_eq!(
            refused,
            [(
                "createUDPSocket:fail cannot allocate memory (native memory budget used up)"
                    .to_string(),
                -1
            )]
        );
    }
    // Closing gives back what an open socket holds, at once: a new socket binds.
    let used = limits.memory_used();
    for (e, _) in &open[..4] {
        e.close().unwrap();
    }
    assert!(limits.memory_used() < used, "close() gave memory back");
    let (e, _held) = engine(&limits, &queue);
    assert!(!e.is_closed());
    e.bind(0).expect("room again");
    drop(e);
    drop(open);
    // The read tasks hold their engines until they run and see their socket closed.
    finish(&queue);
    assert_eq!(limits.memory_used(), 0, "everything given back");
}

#[test]
fn a_socket_refused_at_creation_is_closed_with_the_error() {
    let limits = Limits::default().with_memory_total(0);
    let err = UdpSocket::with_limits(
        SocketType::Udp4,
        Policy::Any,
        limits.clone().with_memory_total(0),
    )
    .unwrap_err();
    assert_eq!(
        (err.to_string(), err.code(), err.method()),
        (
            "createUDPSocket:fail cannot allocate memory (native memory budget used up)".into(),
            -1,
            Method::CreateUdpSocket
        )
    );
    let queue = IoQueue::new();
    let (e, held) = engine(&limits, &queue);
    assert!(e.is_closed());
    assert!(matches!(e.bind(0), Err(Error::Closed { .. })));
    e.close().unwrap();
    let kinds: Vec<String> = held
        .lock()
        .unwrap()
        .drain(..)
        .filter_map(Delivery::accept)
        .map(|e| match e {
            Event::Error(e) => e.to_string(),
            other => format!("{:?}", other.kind()),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "createUDPSocket:fail cannot allocate memory (native memory budget used up)",
            "bind:fail socket is closed"
        ],
        "no close event: it never opened"
    );
    assert_eq!(limits.memory_used(), 0);
}

#[test]
fn queued_sends_count_against_the_budget() {
    let limits = Limits::default().with_memory_total(32 << 10);
    let queue = IoQueue::new();
    let (e, held) = engine(&limits, &queue);
    e.bind(0).unwrap();
    // A host name first: what follows waits in the outbox (the lookup waits for the
    // test to poll the I/O, which it never does).
    let mut full = None;
    for _ in 0..100 {
        if let Err(err) = e.send(&SendOptions::new("localhost", 9, [0u8; 1000].as_slice())) {
            full = Some(err);
            break;
        }
    }
    let full = full.expect("the memory budget bounds the outbox below its own 8 MiB");
    assert_eq!(
        full.to_string(),
        "send:fail no buffer space available (send queue full)"
    );
    assert!(limits.memory_used() <= limits.memory_total());
    assert!(limits.send_used() > 0);
    e.close().unwrap();
    drop(e);
    drop(held);
    finish(&queue);
    assert_eq!(limits.memory_used(), 0);
    assert_eq!(limits.send_used(), 0);
}
