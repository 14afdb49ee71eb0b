//! The state machine under random sequences of calls (bind, send, write, connect, setTTL,
//! close) interleaved with what the OS answers (bind ok or EADDRINUSE; a send taken,
//! refused or blocked; a host name resolved or not; the flush of `close()` cut short)
//! and with the steps of the outbox's flush task, run through [`Sim`] with no socket at
//! all. After each step and at the end, the invariants of docs/CONTRACT.md §2-§4 hold.
//! Deterministic: a fixed seed, no clock.

use std::cell::RefCell;
use std::collections::HashSet;
use std::net::SocketAddr;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use super::sim::{Os, Sim, HOST};
use super::{Phase, OP_OVERHEAD};
use crate::error::{Error, Method};
use crate::event::Event;
use crate::options::{SendOptions, SocketType, MAX_PAYLOAD_V4};

/// A destination, as a script might give it.
#[derive(Debug, Clone, Copy)]
enum Dest {
    Loopback,
    Neighbour,
    V6,
    Host,
    PortZero,
    NotAnAddress,
}

impl Dest {
    fn text(self) -> (&'static str, u16) {
        match self {
            Dest::Loopback => ("127.0.0.1", 9),
            Dest::Neighbour => ("127.0.0.2", 7),
            Dest::V6 => ("::1", 9),
            Dest::Host => (HOST, 9),
            Dest::PortZero => ("127.0.0.1", 0),
            Dest::NotAnAddress => ("1.2.3", 9),
        }
    }

    /// As a parsed address (`send_to`), for the destinations that have one.
    fn addr(self) -> SocketAddr {
        let (text, port) = match self {
            Dest::Host | Dest::NotAnAddress => Dest::Loopback.text(),
            other => other.text(),
        };
        SocketAddr::new(text.parse().unwrap_or([127, 0, 0, 1].into()), port)
    }
}

/// The payload of a send.
#[derive(Debug, Clone, Copy)]
enum Size {
    Bytes(usize),
    /// One byte more than IPv4 carries.
    TooLong,
    /// An offset past the end.
    BadRange,
}

#[derive(Debug, Clone)]
enum Step {
    Bind {
        port: u16,
        os: Os,
    },
    Send {
        write: bool,
        dest: Dest,
        size: Size,
        open: Os,
        os: Os,
    },
    SendTo {
        dest: Dest,
        size: Size,
        open: Os,
        os: Os,
    },
    Connect {
        dest: Dest,
        open: Os,
        os: Os,
    },
    SetTtl {
        ttl: u32,
        os: Os,
    },
    Close,
    /// The flush of `close()` ends, with the kernel's answers.
    EndClose(Vec<Os>),
    /// The flush task takes the next operation.
    FlushNext,
    /// The flush task's operation completes.
    FlushComplete(Os),
    Receive,
}

fn os() -> impl Strategy<Value = Os> {
    prop_oneof![6 => Just(Os::Ok), 2 => Just(Os::WouldBlock), 1 => Just(Os::Fail)]
}

fn dest() -> impl Strategy<Value = Dest> {
    prop_oneof![
        5 => Just(Dest::Loopback),
        2 => Just(Dest::Neighbour),
        1 => Just(Dest::V6),
        3 => Just(Dest::Host),
        1 => Just(Dest::PortZero),
        1 => Just(Dest::NotAnAddress),
    ]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        12 => (8usize..200).prop_map(Size::Bytes),
        1 => Just(Size::TooLong),
        1 => Just(Size::BadRange),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (prop_oneof![Just(0u16), Just(4210)], os()).prop_map(|(port, os)| Step::Bind { port, os }),
        8 => (any::<bool>(), dest(), size(), os(), os())
            .prop_map(|(write, dest, size, open, os)| Step::Send { write, dest, size, open, os }),
        3 => (dest(), size(), os(), os()).prop_map(|(dest, size, open, os)| Step::SendTo { dest, size, open, os }),
        2 => (dest(), os(), os()).prop_map(|(dest, open, os)| Step::Connect { dest, open, os }),
        1 => (0u32..300, os()).prop_map(|(ttl, os)| Step::SetTtl { ttl, os }),
        1 => Just(Step::Close),
        1 => prop::collection::vec(os(), 0..4).prop_map(Step::EndClose),
        5 => Just(Step::FlushNext),
        5 => os().prop_map(Step::FlushComplete),
        2 => Just(Step::Receive),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    ty: SocketType,
    old_policy: bool,
    /// The outbox's budget, in operations of 200 bytes.
    room: usize,
    steps: Vec<Step>,
    /// The kernel's answers to the flush of the final `close()`.
    last_close: Vec<Os>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(SocketType::Udp4), Just(SocketType::Udp6)],
        prop::bool::weighted(0.2),
        1usize..6,
        prop::collection::vec(step(), 1..80),
        prop::collection::vec(os(), 0..6),
    )
        .prop_map(|(ty, old_policy, room, steps, last_close)| Case {
            ty,
            old_policy,
            room,
            steps,
            last_close,
        })
}

/// Runs one step; a call's result, `None` for what is not a call.
fn apply(sim: &mut Sim, step: &Step) -> Option<Result<(), Error>> {
    let payload = |sim: &mut Sim, size: Size| match size {
        Size::Bytes(n) => sim.datagram(n),
        Size::TooLong | Size::BadRange => sim.datagram(MAX_PAYLOAD_V4 + 1),
    };
    let accept = |sim: &mut Sim, id: u64, result: &Result<(), Error>| {
        if result.is_ok() {
            sim.accepted.push(id);
        }
    };
    Some(match *step {
        Step::Bind { port, os } => sim.invoke(Method::Bind, |s| s.bind(port, os).map(drop)),
        Step::Send {
            write,
            dest,
            size,
            open,
            os,
        } => {
            let method = if write { Method::Write } else { Method::Send };
            let (id, data) = payload(sim, size);
            let (address, port) = dest.text();
            let mut options = SendOptions::new(address, port, &data);
            if let Size::BadRange = size {
                options = options.offset(data.len() + 1);
            }
            let result = sim.invoke(method, |s| s.send(method, &options, open, os));
            accept(sim, id, &result);
            result
        }
        Step::SendTo {
            dest,
            size,
            open,
            os,
        } => {
            let (id, data) = payload(sim, size);
            let result = sim.invoke(Method::Send, |s| s.send_to(&data, dest.addr(), open, os));
            accept(sim, id, &result);
            result
        }
        Step::Connect { dest, open, os } => {
            let (address, port) = dest.text();
            sim.invoke(Method::Connect, |s| s.connect(address, port, open, os))
        }
        Step::SetTtl { ttl, os } => sim.invoke(Method::SetTtl, |s| s.set_ttl(ttl, os)),
        Step::Close => {
            sim.begin_close();
            return None;
        }
        Step::EndClose(ref answers) => {
            sim.end_close(answers);
            return None;
        }
        Step::FlushNext => {
            sim.flush_next();
            return None;
        }
        Step::FlushComplete(os) => {
            sim.flush_complete(os);
            return None;
        }
        Step::Receive => {
            sim.receive();
            return None;
        }
    })
}

/// What the cases reached, to show that the generator explores the machine.
#[derive(Debug, Default)]
struct Reached {
    queue_full: bool,
    unsent: bool,
    errors_after_close: bool,
    sent_by_the_flush_task: bool,
}

/// The books of one case: what became of the datagrams the calls accepted.
#[derive(Debug, Default)]
struct Books {
    /// Calls made once `close()` had begun: each fails, reported after `close`.
    late_calls: usize,
    /// Accepted datagrams that failed later: a lookup, a refusal of the kernel, a host
    /// name still unresolved at `close()`.
    failed: usize,
    /// Accepted datagrams `close()` reported as not sent.
    unsent: usize,
}

fn run(case: &Case, reached: &RefCell<Reached>) -> Result<(), TestCaseError> {
    let budget = case.room * (OP_OVERHEAD + 200);
    let mut sim = Sim::new(case.ty, case.old_policy, budget);
    let mut books = Books::default();
    let mut phase = Phase::Created;
    let last = [Step::Close, Step::EndClose(case.last_close.clone())];
    for step in case.steps.iter().chain(&last) {
        let closing = sim.closing.is_some();
        let closed = sim.machine.phase() == Phase::Closed;
        let kernel_before = sim.kernel.len();
        let result = apply(&mut sim, step);
        let events = sim.take_events();
        let errors: Vec<&Error> = events
            .iter()
            .filter_map(|e| match e {
                Event::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        prop_assert!(
            sim.machine.outbox_bytes() <= sim.send_buffer,
            "the outbox stays within its budget"
        );
        let now = sim.machine.phase();
        prop_assert!(rank(now) >= rank(phase), "{phase:?} -> {now:?}");
        phase = now;
        match result {
            Some(result) => {
                prop_assert!(
                    events
                        .iter()
                        .all(|e| matches!(e, Event::Listening | Event::Error(_))),
                    "a call queues its listening and its error only: {events:?}"
                );
                if closed {
                    prop_assert!(matches!(result, Err(Error::Closed { .. })), "{result:?}");
                    books.late_calls += 1;
                }
                if closing {
                    prop_assert!(
                        events.is_empty(),
                        "a call's error waits for close: {events:?}"
                    );
                } else {
                    prop_assert_eq!(
                        errors.len(),
                        usize::from(result.is_err()),
                        "one error per failure: {:?}",
                        events
                    );
                    if let Err(e) = &result {
                        prop_assert_eq!(errors[0].to_string(), e.to_string());
                    }
                }
                let r = &mut *reached.borrow_mut();
                r.queue_full |= matches!(result, Err(Error::QueueFull { .. }));
            }
            None => {
                let r = &mut *reached.borrow_mut();
                if let Step::FlushComplete(_) = step {
                    r.sent_by_the_flush_task |= sim.kernel.len() > kernel_before;
                }
                for e in errors {
                    match e {
                        Error::Closed { .. } => r.errors_after_close = true,
                        Error::Unsent { count } => {
                            books.unsent += count;
                            r.unsent = true;
                        }
                        e if matches!(e.method(), Method::Send | Method::Write) => {
                            books.failed += 1
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    // The flush task, if it held an operation, finds the socket closed and ends.
    sim.flush_complete(Os::Ok);
    sim.flush_next();
    prop_assert!(sim.take_events().is_empty());
    prop_assert_eq!(sim.machine.outbox_bytes(), 0);
    check_log(&sim, &books)?;
    check_books(&sim, &books)
}

fn rank(phase: Phase) -> u8 {
    match phase {
        Phase::Created => 0,
        Phase::Open => 1,
        Phase::Closed => 2,
    }
}

/// The events in order: `listening` at most once (once if the socket opened) and before
/// any `message`; one `close`; after it only the errors of the late calls; the unsent
/// datagrams in one error before it.
fn check_log(sim: &Sim, books: &Books) -> Result<(), TestCaseError> {
    let log = &sim.log;
    let find = |f: fn(&Event) -> bool| log.iter().position(f);
    let count = |f: fn(&Event) -> bool| log.iter().filter(|e| f(e)).count();
    prop_assert_eq!(
        count(|e| matches!(e, Event::Listening)),
        usize::from(sim.opened)
    );
    if let Some(first) = find(|e| matches!(e, Event::Message(_))) {
        let listening = find(|e| matches!(e, Event::Listening));
        prop_assert!(listening.is_some_and(|l| l < first), "{log:?}");
    }
    prop_assert_eq!(count(|e| matches!(e, Event::Close)), 1, "{:?}", log);
    let close = find(|e| matches!(e, Event::Close)).unwrap_or(0);
    let after = &log[close + 1..];
    prop_assert!(
        after
            .iter()
            .all(|e| matches!(e, Event::Error(Error::Closed { .. }))),
        "after close only the errors of later calls: {after:?}"
    );
    prop_assert_eq!(after.len(), books.late_calls);
    let unsent: Vec<(usize, String)> = log
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Event::Error(e @ Error::Unsent { .. }) => Some((i, e.to_string())),
            _ => None,
        })
        .collect();
    prop_assert!(unsent.len() <= 1);
    if let Some((at, text)) = unsent.first() {
        prop_assert!(*at < close);
        let expected = format!(
            "send:fail {} queued datagrams were not sent: socket closed",
            books.unsent
        );
        prop_assert_eq!(text, &expected);
    }
    Ok(())
}

/// Every datagram a call accepted was handed to the kernel once, in call order, or
/// reported: failed in an `error` event, or counted as not sent by `close()`.
fn check_books(sim: &Sim, books: &Books) -> Result<(), TestCaseError> {
    prop_assert!(
        sim.kernel.windows(2).all(|w| w[0] < w[1]),
        "in call order, once each: {:?}",
        sim.kernel
    );
    let accepted: HashSet<u64> = sim.accepted.iter().copied().collect();
    prop_assert!(
        sim.kernel.iter().all(|id| accepted.contains(id)),
        "only what was accepted"
    );
    prop_assert_eq!(
        sim.accepted.len(),
        sim.kernel.len() + books.failed + books.unsent,
        "each accepted datagram sent, failed or reported unsent"
    );
    Ok(())
}

#[test]
fn the_invariants_hold_under_any_calls_and_os_answers() {
    let config = Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x7778_7564_7021),
        failure_persistence: None,
        ..Config::default()
    };
    let reached = RefCell::new(Reached::default());
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&case(), |case| run(&case, &reached));
    if let Err(e) = outcome {
        panic!("{e}");
    }
    let reached = reached.into_inner();
    assert!(
        reached.queue_full
            && reached.unsent
            && reached.errors_after_close
            && reached.sent_by_the_flush_task,
        "the cases reach the corners of the machine: {reached:?}"
    );
}
