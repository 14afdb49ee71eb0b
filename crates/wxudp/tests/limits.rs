//! The bounds of the engine: budgets for what is received, queued to send and reported,
//! the bounded `close()`, tasks that end with their socket, sinks called without a lock.
//! Everything on loopback, except the slow link, which is a rate-limited veth pair
//! between two namespaces this test makes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use common::{raw_receiver, runtime, WAIT};
use wxudp::frontend::{Delivery, Engine, IoDriver, IoQueue};
use wxudp::{Error, Event, Limits, Policy, SendOptions, SocketType};
use wxudp_testkit::Netns;

/// Waits (bounded) until `cond` holds.
fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// An engine whose deliveries are kept (not accepted) in a vector: a front end that
/// has stopped dispatching.
fn stalled(limits: Limits) -> (Engine, Arc<Mutex<Vec<Delivery>>>) {
    let held: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let sink = {
        let held = held.clone();
        move |d: Delivery| held.lock().unwrap().push(d)
    };
    let rt = runtime();
    let engine = Engine::with_limits(SocketType::Udp4, Policy::Any, limits, sink, rt.clone(), rt);
    (engine, held)
}

/// A bound engine whose I/O tasks wait in `queue` until the test polls them: after a send
/// to a host name (whose lookup is one of those tasks), every send waits in the outbox
/// for as long as the test wants, however fast the lookup would be.
fn held(limits: &Limits, queue: &IoQueue) -> Engine {
    let rt = runtime();
    let engine = Engine::with_limits(
        SocketType::Udp4,
        Policy::Any,
        limits.clone(),
        |_d: Delivery| {},
        rt.clone(),
        queue.clone(),
    );
    engine.bind(0).unwrap();
    engine
}

/// Polls the tasks of `io` (inside the runtime, as a front end's loop does) until `cond`.
fn drive_until(io: &mut IoDriver, what: &str, mut cond: impl FnMut() -> bool) {
    let _inside = runtime().enter();
    let mut cx = Context::from_waker(Waker::noop());
    let deadline = Instant::now() + WAIT;
    loop {
        let _ = io.poll(&mut cx);
        if cond() {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_sink_may_call_back_into_its_engine() {
    let slot: Arc<OnceLock<Weak<Engine>>> = Arc::default();
    let (tx, rx) = mpsc::channel();
    let sink = {
        let slot = slot.clone();
        move |d: Delivery| {
            let engine = slot.get().and_then(Weak::upgrade);
            let seen = engine.map(|e| (e.local_addr(), e.is_open(), e.stats().sent));
            let _ = tx.send((d.accept().map(|e| e.kind()), seen));
        }
    };
    let rt = runtime();
    let engine = Arc::new(Engine::new(SocketType::Udp4, Policy::Any, sink, rt));
    slot.set(Arc::downgrade(&engine)).unwrap();
    // Runs on a thread of its own so that a deadlock fails the test instead of hanging it.
    let worker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            let port = engine.bind(0).unwrap();
            engine
                .send(&SendOptions::new("127.0.0.1", port, "to myself"))
                .unwrap();
            port
        })
    };
    let (kind, seen) = rx.recv_timeout(WAIT).expect("bind delivered listening");
    assert_eq!(kind, Some(wxudp::EventKind::Listening));
    let (local, open, _) = seen.unwrap();
    assert!(open);
    let port = worker.join().unwrap();
    assert_eq!(local.unwrap().port(), port);
    let (kind, _) = rx.recv_timeout(WAIT).expect("the datagram arrived");
    assert_eq!(kind, Some(wxudp::EventKind::Message));
    engine.close().unwrap();
}

#[test]
fn received_datagrams_beyond_the_budget_are_dropped_and_counted() {
    const HOLD: usize = 20;
    const SIZE: usize = 1000;
    let limits = Limits::default()
        .with_receive_buffer(HOLD * (SIZE + 128))
        .with_receive_total(1 << 30);
    let (engine, held) = stalled(limits);
    let port = engine.bind(0).unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // Paced in chunks the kernel buffer holds, so that every datagram reaches the engine.
    let mut sent = 0u64;
    for _ in 0..10 {
        for _ in 0..50 {
            tx.send_to(&[7; SIZE], ("127.0.0.1", port)).unwrap();
            sent += 1;
        }
        until("the engine to read every datagram", || {
            let s = engine.stats();
            s.received + s.dropped + s.kernel_dropped == sent
        });
    }
    let stats = engine.stats();
    assert_eq!(stats.kernel_dropped, 0);
    assert_eq!(stats.received, HOLD as u64, "{stats:?}");
    assert_eq!(stats.dropped, sent - HOLD as u64);
    // Delivering (or dropping) what is held frees the budget again.
    held.lock().unwrap().clear();
    tx.send_to(&[8; SIZE], ("127.0.0.1", port)).unwrap();
    until("the next datagram", || {
        engine.stats().received == HOLD as u64 + 1
    });
    engine.close().unwrap();
}

#[test]
fn the_shared_receive_pool_bounds_sockets_together() {
    let limits = Limits::default().with_receive_total(10 * (100 + 128));
    let (a, _held_a) = stalled(limits.clone());
    let (b, _held_b) = stalled(limits.clone());
    let ports = [a.bind(0).unwrap(), b.bind(0).unwrap()];
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..30 {
        tx.send_to(&[1; 100], ("127.0.0.1", ports[i % 2])).unwrap();
    }
    until("both sockets to read everything", || {
        let (s, t) = (a.stats(), b.stats());
        s.received + s.dropped + t.received + t.dropped == 30
    });
    assert_eq!(a.stats().received + b.stats().received, 10);
    assert_eq!(limits.receive_used(), 10 * (100 + 128));
    a.close().unwrap();
    b.close().unwrap();
}

#[test]
fn sends_beyond_the_send_budget_fail_with_errcode_minus_2_and_none_are_lost() {
    let limits = Limits::default().with_send_buffer(16 * (100 + 64));
    let queue = IoQueue::new();
    let mut io = queue.driver();
    let sock = held(&limits, &queue);
    let rx = raw_receiver();
    let port = rx.local_addr().unwrap().port();
    // A host name first: everything after it waits in the outbox for the lookup, which
    // waits for the test to poll the I/O tasks.
    sock.send(&SendOptions::new("localhost", port, [0u8; 100].as_slice()))
        .unwrap();
    let (mut ok, mut full) = (1u32, 0u32);
    for i in 0..400u32 {
        let data = i.to_be_bytes().repeat(25);
        match sock.send(&SendOptions::new("127.0.0.1", port, &data)) {
            Ok(()) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), -2);
                assert_eq!(
                    e.to_string(),
                    "send:fail no buffer space available (send queue full)"
                );
                full += 1;
            }
        }
    }
    assert_eq!(
        (ok, full),
        (16, 385),
        "16 places in the outbox, the lookup's among them"
    );
    drive_until(&mut io, "the sends to be counted", || {
        sock.stats().sent == u64::from(ok)
    });
    let mut buf = [0u8; 200];
    for _ in 0..ok {
        rx.recv_from(&mut buf)
            .expect("every accepted datagram arrives");
    }
    rx.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert!(rx.recv_from(&mut buf).is_err(), "and nothing more");
    sock.close().unwrap();
}

#[test]
fn the_error_backlog_is_bounded_with_a_notice() {
    let (engine, held) = stalled(Limits::default().with_error_backlog(100));
    for _ in 0..100_000 {
        let err = engine
            .send(&SendOptions::new("127.0.0.1", 0, "x"))
            .unwrap_err();
        assert_eq!(err.code(), 2, "the caller still gets every error");
    }
    let held = std::mem::take(&mut *held.lock().unwrap());
    assert_eq!(held.len(), 100);
    let last = held.last().and_then(Delivery::event);
    assert!(
        matches!(last, Some(Event::Error(Error::TooManyErrors { .. }))),
        "{last:?}"
    );
    assert_eq!(engine.stats().errors_dropped, 100_000 - 100);
    drop(held);
    engine.close().unwrap();
}

#[test]
fn io_tasks_end_when_their_socket_closes() {
    // The tasks are polled here, inside the runtime, as a front end's loop does.
    let rt = runtime();
    let _inside = rt.enter();
    let queue = IoQueue::new();
    let mut io = queue.driver();
    let mut cx = Context::from_waker(Waker::noop());
    let sockets: Vec<Engine> = (0..50)
        .map(|_| {
            let engine = Engine::with_spawner(
                SocketType::Udp4,
                Policy::Any,
                |_d: Delivery| {},
                runtime(),
                queue.clone(),
            );
            engine.bind(0).unwrap();
            // A host name keeps a flush task busy too.
            engine.send(&SendOptions::new("localhost", 9, "x")).unwrap();
            engine
        })
        .collect();
    assert!(io.poll(&mut cx).is_pending());
    assert!(io.tasks() >= 50);
    for s in &sockets {
        s.close().unwrap();
    }
    let deadline = Instant::now() + WAIT;
    while io.tasks() > 0 {
        assert!(Instant::now() < deadline, "{} tasks left", io.tasks());
        assert!(matches!(io.poll(&mut cx), Poll::Pending));
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn connect_forgets_an_icmp_error_left_by_the_previous_peer() {
    // The I/O queue is never polled, as in a front end busy running a script: the
    // ICMP error stays pending on the socket.
    let queue = IoQueue::new();
    let engine = Engine::with_spawner(
        SocketType::Udp4,
        Policy::Any,
        |_d: Delivery| {},
        runtime(),
        queue,
    );
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    engine.connect("127.0.0.1", closed_port).unwrap();
    engine
        .write(&SendOptions::new("127.0.0.1", closed_port, "nobody"))
        .unwrap();
    let rx = raw_receiver();
    let port = rx.local_addr().unwrap().port();
    engine.connect("127.0.0.1", port).unwrap();
    engine
        .write(&SendOptions::new("127.0.0.1", port, "somebody"))
        .expect("no stale 'connection refused'");
    let mut buf = [0u8; 16];
    let (n, _) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"somebody");
    engine.close().unwrap();
}

/// Two namespaces joined by a veth pair whose sending end is rate-limited to `rate`
/// (tbf, "10kbit"): sends block once the socket's send buffer is full, as behind a slow
/// link.
fn slow_link(tag: &str, rate: &str) -> (Netns, Netns) {
    let a = Netns::create(&format!("{tag}-a"));
    let b = Netns::create(&format!("{tag}-b"));
    a.link("wxs", "10.77.0.1/24", &b, "wxr", "10.77.0.2/24");
    let status = a
        .exec("tc")
        .args([
            "qdisc", "add", "dev", "wxs", "root", "tbf", "rate", rate, "burst", "1600", "latency",
            "100s",
        ])
        .status()
        .unwrap();
    assert!(status.success(), "tc qdisc add failed");
    (a, b)
}

/// Fills the slow link: sends datagrams until at least `queued` wait in the outbox.
fn fill(engine: &Engine, queued: usize) -> usize {
    let data = [0u8; 1000];
    let mut sent = 0;
    while sent < 10_000 {
        engine
            .send(&SendOptions::new("10.77.0.2", 9, data.as_slice()))
            .unwrap();
        sent += 1;
        if engine.stats().sent + (queued as u64) < sent as u64 {
            break;
        }
    }
    sent
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn close_behind_a_slow_link_is_bounded_and_reports_what_it_dropped() {
    let (a, _b) = slow_link("slowclose", "10kbit");
    let (engine, held) = a.within(|| {
        let (engine, held) = stalled(Limits::default());
        engine.bind(0).unwrap();
        (engine, held)
    });
    let sent = fill(&engine, 200);
    let started = Instant::now();
    engine.close().unwrap();
    // A hang guard, not a timing test: 200 datagrams at 10 s each took half an hour.
    assert!(started.elapsed() < Duration::from_secs(60));
    let events: Vec<String> = held
        .lock()
        .unwrap()
        .drain(..)
        .filter_map(|d| d.accept())
        .filter_map(|e| match e {
            Event::Error(e) => Some(e.to_string()),
            Event::Close => Some("close".into()),
            _ => None,
        })
        .collect();
    let unsent: usize = events
        .iter()
        .find_map(|t| {
            t.strip_prefix("send:fail ")?
                .strip_suffix(" queued datagrams were not sent: socket closed")?
                .parse()
                .ok()
        })
        .expect("one error counts the dropped datagrams");
    assert!(unsent > 0);
    assert_eq!(events.last().map(String::as_str), Some("close"));
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(engine.stats().sent + unsent as u64, sent as u64);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn the_unsent_datagrams_error_arrives_when_the_error_backlog_is_full() {
    // Issue 19: the one error that says data was dropped must not be dropped itself.
    let (a, _b) = slow_link("unsentfull", "10kbit");
    let limits = Limits::default()
        .with_error_total(1 << 20)
        .with_close_timeout(Duration::from_millis(200));
    let (engine, held) = a.within(|| {
        let (engine, held) = stalled(limits);
        engine.bind(0).unwrap();
        (engine, held)
    });
    // The error backlog fills with failing sends nobody dispatches.
    for _ in 0..2 * Limits::DEFAULT_ERROR_BACKLOG {
        let err = engine
            .send(&SendOptions::new("10.77.0.2", 0, "to port 0"))
            .unwrap_err();
        assert_eq!(err.code(), 2);
    }
    assert!(engine.stats().errors_dropped > 0, "the backlog is full");
    let sent = fill(&engine, 50);
    engine.close().unwrap();
    let events: Vec<String> = held
        .lock()
        .unwrap()
        .drain(..)
        .filter_map(|d| d.accept())
        .filter_map(|e| match e {
            Event::Error(e) => Some(e.to_string()),
            Event::Close => Some("close".into()),
            _ => None,
        })
        .collect();
    let n = events.len();
    assert_eq!(events[n - 1], "close");
    let unsent: u64 = events[n - 2]
        .strip_prefix("send:fail ")
        .and_then(|t| t.strip_suffix(" queued datagrams were not sent: socket closed"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("the unsent error before close: {:?}", &events[n - 3..]));
    assert_eq!(engine.stats().sent + unsent, sent as u64);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn an_abort_ends_the_wait_of_close_at_once() {
    let (a, _b) = slow_link("abort", "10kbit");
    let abort = Arc::new(AtomicBool::new(true));
    let limits = Limits::default()
        .with_close_timeout(Duration::from_secs(3600))
        .with_close_abort(abort);
    let (engine, held) = a.within(|| {
        let (engine, held) = stalled(limits);
        engine.bind(0).unwrap();
        (engine, held)
    });
    let sent = fill(&engine, 50);
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        engine.close().unwrap();
        let _ = done_tx.send(engine.stats());
    });
    let stats = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("close returned without waiting an hour");
    assert!(stats.sent < sent as u64);
    let errors = held
        .lock()
        .unwrap()
        .drain(..)
        .filter(|d| matches!(d.event(), Some(Event::Error(Error::Unsent { .. }))))
        .count();
    assert_eq!(errors, 1);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn sends_behind_a_full_kernel_wait_in_the_outbox_and_all_leave() {
    // 2 Mbit/s: the send buffer fills within a few hundred datagrams, then drains in a
    // second or two, while the outbox waits for room (on a descriptor registered for
    // writability only then) and sends the rest in order.
    let (a, _b) = slow_link("outbox", "2mbit");
    let (engine, held) = a.within(|| {
        let (engine, held) = stalled(Limits::default());
        engine.bind(0).unwrap();
        (engine, held)
    });
    let sent = fill(&engine, 30);
    assert!(
        engine.stats().sent < sent as u64,
        "some sends wait in the outbox"
    );
    until("every datagram to leave", || {
        engine.stats().sent == sent as u64
    });
    let errors: Vec<String> = held
        .lock()
        .unwrap()
        .drain(..)
        .filter_map(|d| d.accept())
        .filter_map(|e| match e {
            Event::Error(e) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The socket still sends at once, and closes at once, now that the kernel has room.
    engine
        .send(&SendOptions::new("10.77.0.2", 9, [1u8; 10].as_slice()))
        .unwrap();
    until("the last datagram to leave", || {
        engine.stats().sent == sent as u64 + 1
    });
    engine.close().unwrap();
}

#[test]
fn the_shared_send_pool_bounds_several_sockets_and_empties_again() {
    let total = 8 * (100 + 64);
    let limits = Limits::default().with_send_total(total);
    let queue = IoQueue::new();
    let mut io = queue.driver();
    let rx = raw_receiver();
    let port = rx.local_addr().unwrap().port();
    let sockets: Vec<Engine> = (0..4).map(|_| held(&limits, &queue)).collect();
    let (mut ok, mut full) = (0u32, 0u32);
    for sock in &sockets {
        // A host name first: what follows waits in the outbox for the lookup, which
        // waits for the test to poll the I/O tasks.
        match sock.send(&SendOptions::new("localhost", port, [0u8; 100].as_slice())) {
            Ok(()) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), -2);
                full += 1;
            }
        }
        for _ in 0..20 {
            match sock.send(&SendOptions::new("127.0.0.1", port, [1u8; 100].as_slice())) {
                Ok(()) => ok += 1,
                Err(e) => {
                    assert_eq!(
                        e.to_string(),
                        "send:fail no buffer space available (send queue full)"
                    );
                    full += 1;
                }
            }
        }
        assert!(limits.send_used() <= total);
    }
    // The first socket fills the 8 places (its lookup and 7 sends) and is refused 13;
    // the others are refused their lookup, and then, with nothing waiting ahead of
    // them, send their 20 straight to the kernel.
    assert_eq!(
        (ok, full),
        (8 + 3 * 20, 13 + 3),
        "four sockets share 8 places"
    );
    let sent = || sockets.iter().map(|s| s.stats().sent).sum::<u64>();
    drive_until(&mut io, "every accepted datagram to leave", || {
        sent() == u64::from(ok)
    });
    let mut buf = [0u8; 200];
    for _ in 0..ok {
        rx.recv_from(&mut buf)
            .expect("every accepted datagram arrives");
    }
    drive_until(&mut io, "the pool to empty", || limits.send_used() == 0);
    for sock in &sockets {
        sock.close().unwrap();
    }
}
