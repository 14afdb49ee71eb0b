//! Random call sequences on a real engine (over loopback), checked against a model of
//! the socket state machine: no panic, each call's result as the model predicts, every
//! failure reported once as an `error` event (and an IPv4 TTL of 0, which Linux refuses,
//! reported when the socket opens), `listening` once and before any
//! `message`, `close` once, and after `close` nothing but the errors of later calls.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::UdpSocket as StdUdpSocket;
use std::sync::mpsc;
use std::time::Duration;

use common::runtime;
use proptest::prelude::*;
use wxudp::frontend::{Delivery, Engine};
use wxudp::{Event, EventKind, Policy, SendOptions, SocketType};

#[derive(Debug, Clone)]
enum Call {
    Bind,
    Send {
        write: bool,
        dest: Dest,
    },
    Connect(Dest),
    SetTtl(u32),
    Close,
    /// The peer sends the socket a datagram, if it is open.
    Inject,
}

#[derive(Debug, Clone, Copy)]
enum Dest {
    Peer,
    BadPort,
    BadAddress,
}

fn call() -> impl Strategy<Value = Call> {
    let dest = prop_oneof![
        4 => Just(Dest::Peer),
        1 => Just(Dest::BadPort),
        1 => Just(Dest::BadAddress),
    ];
    prop_oneof![
        2 => Just(Call::Bind),
        4 => (any::<bool>(), dest.clone()).prop_map(|(write, dest)| Call::Send { write, dest }),
        1 => dest.prop_map(Call::Connect),
        1 => (0u32..300).prop_map(Call::SetTtl),
        1 => Just(Call::Close),
        3 => Just(Call::Inject),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Open,
    Closed,
}

/// What the model says a call returns: `Ok`, or the errCode.
fn expect(phase: Phase, call: &Call) -> Result<(), i32> {
    if phase == Phase::Closed && !matches!(call, Call::Close | Call::Inject) {
        return Err(-1);
    }
    match call {
        Call::Bind if phase == Phase::Open => Err(-1),
        Call::Send {
            dest: Dest::BadPort,
            ..
        }
        | Call::Connect(Dest::BadPort) => Err(2),
        Call::Send {
            dest: Dest::BadAddress,
            ..
        }
        | Call::Connect(Dest::BadAddress) => Err(1),
        Call::SetTtl(ttl) if *ttl > 255 => Err(-1),
        // Linux refuses an IPv4 TTL of 0 (EINVAL): the OS's error, errCode -2.
        Call::SetTtl(0) if phase == Phase::Open => Err(-2),
        _ => Ok(()),
    }
}

fn after(phase: Phase, call: &Call, result: Result<(), i32>) -> Phase {
    match (call, result) {
        (Call::Close, _) => Phase::Closed,
        (Call::Bind | Call::Send { .. } | Call::Connect(_), Ok(())) => Phase::Open,
        _ => phase,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn call_sequences_follow_the_model(calls in prop::collection::vec(call(), 1..40)) {
        let (tx, rx) = mpsc::channel::<Delivery>();
        let engine = Engine::new(SocketType::Udp4, Policy::Any, move |d| { let _ = tx.send(d); }, runtime());
        let peer = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        let peer_port = peer.local_addr().unwrap().port();
        let mut phase = Phase::Created;
        let (mut failures, mut injected, mut opened) = (0usize, 0usize, false);
        // A TTL of 0 set before the bind is refused by the OS when the socket opens: one
        // more error event, of no call.
        let mut ttl_zero = false;
        for call in &calls {
            let dest = |d: Dest| match d {
                Dest::Peer => ("127.0.0.1", peer_port),
                Dest::BadPort => ("127.0.0.1", 0),
                Dest::BadAddress => ("not an address", peer_port),
            };
            let result = match call {
                Call::Bind => engine.bind(0).map(drop),
                Call::Send { write, dest: d } => {
                    let (address, port) = dest(*d);
                    let opts = SendOptions::new(address, port, "x");
                    if *write { engine.write(&opts) } else { engine.send(&opts) }
                }
                Call::Connect(d) => {
                    let (address, port) = dest(*d);
                    engine.connect(address, port)
                }
                Call::SetTtl(ttl) => engine.set_ttl(*ttl),
                Call::Close => engine.close(),
                Call::Inject => {
                    if let Some(local) = engine.local_addr() {
                        peer.send_to(b"in", ("127.0.0.1", local.port())).unwrap();
                        injected += 1;
                    }
                    Ok(())
                }
            };
            let result = result.map_err(|e| e.code());
            prop_assert_eq!(result, expect(phase, call), "{:?} in {:?}", call, phase);
            failures += usize::from(result.is_err());
            if let (Phase::Created, Call::SetTtl(ttl), Ok(())) = (phase, call, result) {
                ttl_zero = *ttl == 0;
            }
            let next = after(phase, call, result);
            if phase == Phase::Created && next == Phase::Open && ttl_zero {
                failures += 1;
            }
            phase = next;
            opened |= phase == Phase::Open;
        }
        engine.close().unwrap();
        // Everything the engine emitted, in order, as the front end sees it.
        let mut events = Vec::new();
        while let Ok(d) = rx.recv_timeout(Duration::from_secs(10)) {
            let done = matches!(d.event(), Some(Event::Close));
            events.extend(d.accept());
            if done { break; }
        }
        // Calls that fail after the close event was queued come after it.
        while let Ok(d) = rx.recv_timeout(Duration::from_millis(1)) {
            events.extend(d.accept());
        }
        let kinds: Vec<&'static str> = events.iter().map(|e| match e.kind() {
            EventKind::Message => "message",
            EventKind::Error => "error",
            EventKind::Listening => "listening",
            EventKind::Close => "close",
        }).collect();
        let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
        prop_assert_eq!(count("error"), failures, "{:?}", kinds);
        prop_assert_eq!(count("listening"), usize::from(opened), "{:?}", kinds);
        prop_assert_eq!(count("close"), 1, "{:?}", kinds);
        prop_assert!(count("message") <= injected);
        if let Some(first_message) = kinds.iter().position(|k| *k == "message") {
            prop_assert!(kinds[..first_message].contains(&"listening"), "{:?}", kinds);
        }
        let close = kinds.iter().position(|k| *k == "close").unwrap();
        prop_assert!(kinds[close..].iter().skip(1).all(|k| *k == "error"), "{:?}", kinds);
    }
}
