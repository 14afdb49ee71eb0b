//! Every call of the state machine in every phase, without a socket.

use super::*;
use crate::event::EventKind;

const NOWHERE: &dyn Fn(IpAddr) -> bool = &|_| false;

fn limits() -> Limits {
    Limits::default().with_send_buffer(4 * (OP_OVERHEAD + 100))
}

fn created(ty: SocketType) -> SocketState {
    SocketState::new(ty, Policy::Any, &limits())
}

fn open(ty: SocketType) -> SocketState {
    let mut s = created(ty);
    let addr = s.bind(0).unwrap();
    s.opened(SocketAddr::new(addr.ip(), 4000));
    s.take_events();
    s
}

fn closed(ty: SocketType) -> SocketState {
    let mut s = open(ty);
    s.close().unwrap();
    s.finish_close(Vec::new(), 0);
    s.take_events();
    s
}

fn kinds(s: &mut SocketState) -> Vec<EventKind> {
    s.take_events().iter().map(Event::kind).collect()
}

fn errors(s: &mut SocketState) -> Vec<String> {
    s.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Error(e) => Some(e.to_string()),
            _ => None,
        })
        .collect()
}

fn to(addr: &str, port: u16, data: &'static [u8]) -> SendOptions<'static> {
    // Leaked once per test: the options borrow the address for 'static.
    let addr: &'static str = Box::leak(addr.to_owned().into_boxed_str());
    SendOptions::new(addr, port, data)
}

// --- bind ------------------------------------------------------------------------

#[test]
fn bind_in_each_phase() {
    let mut s = created(SocketType::Udp4);
    assert_eq!(s.bind(4210).unwrap(), "0.0.0.0:4210".parse().unwrap());
    assert!(s.take_events().is_empty(), "listening waits for the OS");
    s.opened("0.0.0.0:4210".parse().unwrap());
    assert_eq!(kinds(&mut s), [EventKind::Listening]);
    assert_eq!(s.phase(), Phase::Open);
    assert_eq!(s.local(), Some("0.0.0.0:4210".parse().unwrap()));

    let err = s.bind(0).unwrap_err();
    assert_eq!(err.to_string(), "bind:fail socket is already bound");
    assert!(
        !s.has_events(),
        "a call's failure is returned; the engine reports it"
    );

    let mut s = closed(SocketType::Udp4);
    let err = s.bind(0).unwrap_err();
    assert_eq!(err.to_string(), "bind:fail socket is closed");
    assert_eq!(s.phase(), Phase::Closed);
}

#[test]
fn udp6_binds_the_ipv6_wildcard_and_maps_ipv4() {
    let mut s = created(SocketType::Udp6);
    assert_eq!(s.bind(0).unwrap(), "[::]:0".parse().unwrap());
    let mut s = created(SocketType::Udp6);
    assert_eq!(
        s.bind_addr("127.0.0.1:5".parse().unwrap()).unwrap(),
        "[::ffff:127.0.0.1]:5".parse().unwrap()
    );
    let mut s = created(SocketType::Udp4);
    assert_eq!(
        s.bind_addr("[::1]:5".parse().unwrap()).unwrap_err().code(),
        1
    );
    assert_eq!(s.phase(), Phase::Created);
    // A closed socket says so before judging the address.
    let mut s = closed(SocketType::Udp4);
    let err = s.bind_addr("[::1]:5".parse().unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "bind:fail socket is closed");
}

// --- send ------------------------------------------------------------------------

#[test]
fn send_before_bind_plans_an_implicit_bind() {
    let mut s = created(SocketType::Udp4);
    let opts = to("127.0.0.1", 9, b"hi");
    let plan = s.send(Method::Send, &opts, NOWHERE).unwrap();
    assert_eq!(plan.open, Some("0.0.0.0:0".parse().unwrap()));
    assert_eq!(plan.target, Target::Addr("127.0.0.1:9".parse().unwrap()));
    assert_eq!(plan.data, b"hi");
    assert!(plan.direct);
    assert!(s.take_events().is_empty());
}

#[test]
fn send_on_an_open_socket_goes_direct_unless_the_outbox_waits() {
    let mut s = open(SocketType::Udp4);
    let opts = to("127.0.0.1", 9, b"one");
    let plan = s.send(Method::Write, &opts, NOWHERE).unwrap();
    assert_eq!((plan.open, plan.direct), (None, true));
    // A host name goes to the outbox; what follows waits behind it.
    let host = to("localhost", 9, b"two");
    let plan = s.send(Method::Send, &host, NOWHERE).unwrap();
    assert_eq!(plan.target, Target::Host("localhost".into(), 9));
    assert!(!plan.direct);
    assert!(s
        .queue(Method::Send, plan.target, Some(b"two".to_vec()))
        .unwrap());
    let plan = s.send(Method::Send, &opts, NOWHERE).unwrap();
    assert!(!plan.direct, "an address waits behind the host name");
}

#[test]
fn which_send_failure_wins() {
    let mut s = open(SocketType::Udp4);
    let bad_range = to("nonsense address", 0, b"abc").offset(9);
    // The port comes first, then the byte range, then the address.
    assert_eq!(
        s.send(Method::Send, &bad_range, NOWHERE)
            .unwrap_err()
            .code(),
        2
    );
    assert_eq!(
        s.send(
            Method::Send,
            &to("nonsense address", 9, b"abc").offset(9),
            NOWHERE
        )
        .unwrap_err()
        .code(),
        -1
    );
    assert_eq!(
        s.send(Method::Send, &to("nonsense address", 9, b"abc"), NOWHERE)
            .unwrap_err()
            .code(),
        1
    );
    // The family after the policy, the size last.
    let big: &'static [u8] = Box::leak(vec![0u8; MAX_PAYLOAD_V4 + 1].into_boxed_slice());
    assert_eq!(
        s.send(Method::Send, &to("::1", 9, big), NOWHERE)
            .unwrap_err()
            .code(),
        1
    );
    let err = s
        .send(Method::Send, &to("127.0.0.1", 9, big), NOWHERE)
        .unwrap_err();
    assert_eq!(err.to_string(), "send:fail message too long (os error 90)");
    assert!(!s.has_events());
    // A closed socket wins over everything.
    let mut s = closed(SocketType::Udp4);
    let err = s.send(Method::Write, &bad_range, NOWHERE).unwrap_err();
    assert_eq!(err.to_string(), "write:fail socket is closed");
}

#[test]
fn the_size_limit_follows_the_destination_family_on_udp6() {
    let mut s = open(SocketType::Udp6);
    let v6: &'static [u8] = Box::leak(vec![0u8; MAX_PAYLOAD_V6].into_boxed_slice());
    assert!(s.send(Method::Send, &to("::1", 9, v6), NOWHERE).is_ok());
    let plan = s.send(Method::Send, &to("127.0.0.1", 9, v6), NOWHERE);
    assert_eq!(plan.unwrap_err().code(), -2, "IPv4 (mapped) is smaller");
    let v4: &'static [u8] = Box::leak(vec![0u8; MAX_PAYLOAD_V4].into_boxed_slice());
    let plan = s
        .send(Method::Send, &to("127.0.0.1", 9, v4), NOWHERE)
        .unwrap();
    assert_eq!(
        plan.target,
        Target::Addr("[::ffff:127.0.0.1]:9".parse().unwrap())
    );
}

#[test]
fn the_old_policy_refuses_with_minus_3_before_the_family() {
    let mut s = SocketState::new(
        SocketType::Udp4,
        Policy::same_subnet(["dev.example"]),
        &limits(),
    );
    let subnet = |ip: IpAddr| ip == IpAddr::from([192, 168, 4, 1]);
    assert!(s
        .send(Method::Send, &to("192.168.4.1", 9, b"x"), &subnet)
        .is_ok());
    assert!(s
        .send(Method::Send, &to("255.255.255.255", 9, b"x"), &subnet)
        .is_ok());
    assert!(s
        .send(Method::Send, &to("dev.example", 9, b"x"), &subnet)
        .is_ok());
    for refused in ["10.0.0.1", "other.example", "::1"] {
        let err = s
            .send(Method::Send, &to(refused, 9, b"x"), &subnet)
            .unwrap_err();
        assert_eq!(err.code(), -3, "{refused}");
    }
}

// --- the outbox ------------------------------------------------------------------

#[test]
fn the_outbox_keeps_order_resolves_and_reports() {
    let mut s = open(SocketType::Udp4);
    assert!(s
        .queue(
            Method::Send,
            Target::Host("a.invalid".into(), 9),
            Some(vec![1])
        )
        .unwrap());
    assert!(!s
        .queue(
            Method::Write,
            Target::Addr("127.0.0.1:9".parse().unwrap()),
            Some(vec![2])
        )
        .unwrap());
    assert!(!s
        .queue(
            Method::Connect,
            Target::Addr("127.0.0.1:7".parse().unwrap()),
            None
        )
        .unwrap());
    let Some(NextOp::Resolve { seq, host, .. }) = s.next_op() else {
        panic!("a host name first");
    };
    assert_eq!(host, "a.invalid");
    s.resolved(
        seq,
        Err(Error::InvalidAddress {
            method: Method::Send,
            reason: "cannot resolve a.invalid".into(),
        }),
    );
    assert_eq!(
        errors(&mut s),
        ["send:fail invalid address: cannot resolve a.invalid"]
    );
    let Some(NextOp::Transmit { seq, addr }) = s.next_op() else {
        panic!("then the datagram");
    };
    assert_eq!(addr, "127.0.0.1:9".parse().unwrap());
    assert_eq!(s.front_data(seq), Some(&[2u8][..]));
    s.transmitted(seq, Err(std::io::Error::from_raw_os_error(111)));
    assert_eq!(
        errors(&mut s),
        ["write:fail connection refused (os error 111)"]
    );
    let Some(NextOp::Transmit { seq, addr }) = s.next_op() else {
        panic!("then the connect");
    };
    assert_eq!(s.front_data(seq), None, "a connect has no bytes");
    s.transmitted(seq, Ok(()));
    assert_eq!(s.peer(), Some(addr));
    assert_eq!(s.next_op(), None);
    assert_eq!(s.outbox_bytes(), 0);
    // The flush task ended: the next queued op starts one again.
    assert!(s
        .queue(Method::Send, Target::Host("b.invalid".into(), 9), None)
        .unwrap());
}

#[test]
fn stale_results_are_ignored() {
    let mut s = open(SocketType::Udp4);
    s.queue(
        Method::Send,
        Target::Host("a.invalid".into(), 9),
        Some(vec![1]),
    )
    .unwrap();
    s.resolved(99, Ok("127.0.0.1:9".parse().unwrap()));
    s.transmitted(99, Ok(()));
    assert!(matches!(s.next_op(), Some(NextOp::Resolve { seq: 0, .. })));
    assert!(s.take_events().is_empty());
}

#[test]
fn the_send_budget_refuses_with_queue_full_and_recovers() {
    let mut s = open(SocketType::Udp4);
    let target = || Target::Addr("127.0.0.1:9".parse().unwrap());
    for _ in 0..4 {
        s.queue(Method::Send, target(), Some(vec![0; 100])).unwrap();
    }
    let err = s
        .queue(Method::Write, target(), Some(vec![0; 1]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "write:fail no buffer space available (send queue full)"
    );
    assert_eq!(err.code(), -2);
    let Some(NextOp::Transmit { seq, .. }) = s.next_op() else {
        panic!()
    };
    s.transmitted(seq, Ok(()));
    assert!(s.queue(Method::Send, target(), Some(vec![0; 100])).is_ok());
    assert_eq!(s.outbox_bytes(), 4 * (OP_OVERHEAD + 100));
}

// --- connect, setTTL -------------------------------------------------------------

#[test]
fn connect_in_each_phase() {
    let mut s = created(SocketType::Udp4);
    let plan = s.connect("127.0.0.1", 9, NOWHERE).unwrap();
    assert_eq!(plan.open, Some("0.0.0.0:0".parse().unwrap()));
    assert!(plan.direct);
    let mut s = open(SocketType::Udp4);
    let plan = s.connect("localhost", 9, NOWHERE).unwrap();
    assert_eq!(
        (plan.open, plan.target, plan.direct),
        (None, Target::Host("localhost".into(), 9), false)
    );
    s.connected("127.0.0.1:9".parse().unwrap());
    assert_eq!(s.peer(), Some("127.0.0.1:9".parse().unwrap()));
    assert_eq!(s.connect("127.0.0.1", 0, NOWHERE).unwrap_err().code(), 2);
    assert_eq!(s.connect("", 9, NOWHERE).unwrap_err().code(), 1);
    let mut s = closed(SocketType::Udp4);
    let err = s.connect("", 0, NOWHERE).unwrap_err();
    assert_eq!(err.to_string(), "connect:fail socket is closed");
}

#[test]
fn set_ttl_in_each_phase() {
    let mut s = created(SocketType::Udp4);
    assert_eq!(s.set_ttl(7).unwrap(), None, "remembered for the bind");
    assert_eq!(s.ttl(), Some(7));
    assert_eq!(s.set_ttl(256).unwrap_err().code(), -1);
    assert_eq!(s.ttl(), Some(7), "a refused value changes nothing");
    let mut s = open(SocketType::Udp6);
    assert_eq!(s.set_ttl(64).unwrap(), Some(64), "applied now");
    let mut s = closed(SocketType::Udp4);
    let err = s.set_ttl(300).unwrap_err();
    assert_eq!(err.to_string(), "setTTL:fail socket is closed");
}

// --- close, receive --------------------------------------------------------------

#[test]
fn close_flushes_addresses_reports_host_names_and_fires_once() {
    let mut s = open(SocketType::Udp4);
    s.connected("127.0.0.1:7".parse().unwrap());
    s.queue(
        Method::Send,
        Target::Host("a.invalid".into(), 9),
        Some(vec![1]),
    )
    .unwrap();
    s.queue(
        Method::Write,
        Target::Addr("127.0.0.1:9".parse().unwrap()),
        Some(vec![2]),
    )
    .unwrap();
    s.queue(
        Method::Connect,
        Target::Addr("127.0.0.1:8".parse().unwrap()),
        None,
    )
    .unwrap();
    let flush = s.close().unwrap();
    assert_eq!(
        flush,
        Flush {
            datagrams: vec![(Method::Write, "127.0.0.1:9".parse().unwrap(), vec![2])],
            peer: Some("127.0.0.1:7".parse().unwrap()),
        }
    );
    assert_eq!(
        errors(&mut s),
        ["send:fail socket closed before the host name a.invalid was resolved"]
    );
    assert_eq!(
        (s.phase(), s.local(), s.peer()),
        (Phase::Closed, None, None)
    );
    assert_eq!(s.next_op(), None, "the outbox is gone");
    s.finish_close(
        vec![Error::os(
            Method::Write,
            std::io::Error::from_raw_os_error(1),
        )],
        2,
    );
    let texts: Vec<String> = s
        .take_events()
        .into_iter()
        .map(|e| match e {
            Event::Error(e) => e.to_string(),
            other => format!("{:?}", other.kind()),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "write:fail operation not permitted (os error 1)",
            "send:fail 2 queued datagrams were not sent: socket closed",
            "Close"
        ]
    );
    assert!(s.close().is_none(), "a second close does nothing");
    assert!(s.take_events().is_empty());
}

#[test]
fn closing_an_unbound_socket_flushes_nothing() {
    let mut s = created(SocketType::Udp4);
    let flush = s.close().unwrap();
    assert_eq!(flush, Flush::default());
    s.finish_close(Vec::new(), 0);
    assert_eq!(kinds(&mut s), [EventKind::Close]);
}

#[test]
fn messages_only_while_open() {
    let message = || Message {
        data: vec![1, 2],
        remote: "127.0.0.1:1".parse().unwrap(),
        local: "127.0.0.1:2".parse().unwrap(),
    };
    let mut s = created(SocketType::Udp4);
    assert!(!s.received(message()));
    let mut s = open(SocketType::Udp4);
    assert!(s.received(message()));
    assert_eq!(kinds(&mut s), [EventKind::Message]);
    let mut s = closed(SocketType::Udp4);
    assert!(!s.received(message()));
    assert!(!s.has_events());
}

#[test]
fn report_queues_the_error_it_returns() {
    let mut s = created(SocketType::Udp4);
    let e = s.report(Error::InvalidType {
        given: "tcp".into(),
    });
    assert_eq!(e.code(), -1);
    assert_eq!(errors(&mut s), ["createUDPSocket:fail invalid type"]);
}

#[test]
fn send_to_an_address_checks_port_family_policy_and_size() {
    let mut s = open(SocketType::Udp4);
    let addr = |a: &str| a.parse::<SocketAddr>().unwrap();
    let plan = s
        .send_to(Method::Send, b"x", addr("127.0.0.1:9"), NOWHERE)
        .unwrap();
    assert_eq!(plan.target, Target::Addr(addr("127.0.0.1:9")));
    assert!(plan.direct);
    let err = |s: &mut SocketState, a: &str| {
        s.send_to(Method::Send, b"x", addr(a), NOWHERE)
            .unwrap_err()
            .code()
    };
    assert_eq!(err(&mut s, "127.0.0.1:0"), 2);
    assert_eq!(err(&mut s, "[::1]:9"), 1);
    let mut old = SocketState::new(SocketType::Udp4, Policy::same_subnet(["x"]), &limits());
    assert_eq!(err(&mut old, "10.0.0.1:9"), -3);
    let mut s6 = open(SocketType::Udp6);
    let plan = s6
        .send_to(Method::Send, b"x", addr("127.0.0.1:9"), NOWHERE)
        .unwrap();
    assert_eq!(plan.target, Target::Addr(addr("[::ffff:127.0.0.1]:9")));
    let mut shut = closed(SocketType::Udp4);
    assert_eq!(err(&mut shut, "127.0.0.1:0"), -1, "closed wins");
}

#[test]
fn the_last_destination_parsed_is_reused_only_for_the_same_text() {
    let mut s = open(SocketType::Udp6);
    let target = |s: &mut SocketState, addr: &str, port: u16| {
        s.send(Method::Send, &to(addr, port, b"x"), NOWHERE)
            .map(|plan| plan.target)
    };
    let mapped =
        |ip: &str, port: u16| Target::Addr(format!("[::ffff:{ip}]:{port}").parse().unwrap());
    for _ in 0..2 {
        assert_eq!(
            target(&mut s, "127.0.0.1", 9).unwrap(),
            mapped("127.0.0.1", 9)
        );
        assert_eq!(
            target(&mut s, "127.0.0.1", 10).unwrap(),
            mapped("127.0.0.1", 10)
        );
        assert_eq!(
            target(&mut s, "127.0.0.2", 9).unwrap(),
            mapped("127.0.0.2", 9)
        );
        assert_eq!(
            target(&mut s, "[::1]", 9).unwrap(),
            Target::Addr("[::1]:9".parse().unwrap())
        );
        assert_eq!(
            target(&mut s, "device.invalid", 9).unwrap(),
            Target::Host("device.invalid".into(), 9)
        );
        // The text that was cached, with a port the contract refuses.
        assert_eq!(target(&mut s, "[::1]", 0).unwrap_err().code(), 2);
        assert_eq!(target(&mut s, "1.2.3", 9).unwrap_err().code(), 1);
    }
    // The family is checked every time, cached or not.
    let mut v4 = open(SocketType::Udp4);
    for _ in 0..2 {
        assert_eq!(target(&mut v4, "::2", 9).unwrap_err().code(), 1);
    }
    assert_eq!(
        errors(&mut s).len(),
        0,
        "the state reports nothing itself: invoke does"
    );
}
