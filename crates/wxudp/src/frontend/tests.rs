//! The rulebook over a plain-Rust [`Source`]: values with getters that log their reads
//! (and may detach or shrink a buffer), one table of cases per reader. The JavaScript
//! fixtures run the same rules through QuickJS and V8.

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::*;
use crate::error::Method;
use crate::SocketType;

/// An ArrayBuffer's bytes; `None` once detached.
type Bytes = Rc<RefCell<Option<Vec<u8>>>>;

#[derive(Clone)]
enum V {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(&'static str),
    Symbol,
    Array,
    Function(u32),
    Buffer(Bytes),
    /// A typed array over a buffer: start and length.
    Typed(Bytes, usize, usize),
    Obj(Rc<Obj>),
}

enum Prop {
    Value(V),
    /// A getter: runs (logged) and may change buffers.
    Getter(Rc<dyn Fn() -> V>),
    /// A getter that throws.
    Throws,
}

#[derive(Default)]
struct Obj {
    props: HashMap<&'static str, Prop>,
}

fn obj(props: Vec<(&'static str, V)>) -> V {
    V::Obj(Rc::new(Obj {
        props: props
            .into_iter()
            .map(|(k, v)| (k, Prop::Value(v)))
            .collect(),
    }))
}

fn obj_with(props: Vec<(&'static str, Prop)>) -> V {
    V::Obj(Rc::new(Obj {
        props: props.into_iter().collect(),
    }))
}

fn buffer(bytes: &[u8]) -> (V, Bytes) {
    let b: Bytes = Rc::new(RefCell::new(Some(bytes.to_vec())));
    (V::Buffer(b.clone()), b)
}

/// A host whose reads are logged in order.
#[derive(Default)]
struct Plain {
    reads: RefCell<Vec<&'static str>>,
}

impl Source for Plain {
    type Value = V;

    fn kind(&self, v: &V) -> Kind {
        match v {
            V::Undefined => Kind::Undefined,
            V::Null => Kind::Null,
            V::Bool(_) => Kind::Boolean,
            V::Num(_) => Kind::Number,
            V::Str(_) => Kind::String,
            V::Symbol => Kind::Symbol,
            V::Array => Kind::Array,
            V::Function(_) => Kind::Function,
            V::Buffer(_) | V::Typed(..) | V::Obj(_) => Kind::Object,
        }
    }

    fn is_array_buffer(&self, v: &V) -> bool {
        matches!(v, V::Buffer(_))
    }

    fn is_view(&self, v: &V) -> bool {
        matches!(v, V::Typed(..))
    }

    fn number(&self, v: &V) -> Option<f64> {
        match v {
            V::Num(n) => Some(*n),
            _ => None,
        }
    }

    fn text(&self, v: &V) -> Option<String> {
        match v {
            V::Str(s) => Some((*s).to_owned()),
            _ => None,
        }
    }

    fn truthy(&self, v: &V) -> bool {
        match v {
            V::Undefined | V::Null => false,
            V::Bool(b) => *b,
            V::Num(n) => *n != 0.0 && !n.is_nan(),
            V::Str(s) => !s.is_empty(),
            _ => true,
        }
    }

    fn get(&self, o: &V, key: Key) -> V {
        self.reads.borrow_mut().push(key.name());
        let V::Obj(o) = o else { return V::Undefined };
        match o.props.get(key.name()) {
            Some(Prop::Value(v)) => v.clone(),
            Some(Prop::Getter(f)) => f(),
            Some(Prop::Throws) | None => V::Undefined,
        }
    }

    fn with_bytes<R>(
        &self,
        v: &V,
        window: Option<(usize, usize)>,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, ViewError> {
        let (bytes, window) = match v {
            V::Buffer(b) => (b, window),
            V::Typed(b, start, len) => (b, Some((*start, *len))),
            _ => return Err(ViewError::NotBuffer),
        };
        let bytes = bytes.borrow();
        let Some(bytes) = bytes.as_deref() else {
            return Err(ViewError::Detached);
        };
        let bytes = match window {
            None => bytes,
            Some((start, len)) => start
                .checked_add(len)
                .and_then(|end| bytes.get(start..end))
                .ok_or(ViewError::OutOfRange)?,
        };
        Ok(read(bytes))
    }
}

/// What `send` sent (address, port, bytes, broadcast flag), or its errMsg and errCode.
type Sent = Result<(String, u16, Vec<u8>, bool), (String, i32)>;

/// What `send` made of `option`: the address, port, bytes and broadcast flag sent, or
/// the error's errMsg and errCode; and the properties read, in order.
fn send(option: &V) -> (Sent, Vec<&'static str>) {
    let host = Plain::default();
    let mut sent = None;
    let out = send_options(&host, Method::Send, option, |o| {
        sent = Some((
            o.address().to_owned(),
            o.port(),
            o.bytes(Method::Send)?.to_vec(),
            o.broadcast(),
        ));
        Ok(())
    });
    let result = match out {
        Ok(()) => Ok(sent.unwrap()),
        Err(e) => Err((e.to_string(), e.code())),
    };
    (result, host.reads.into_inner())
}

fn fails(option: &V) -> (String, i32) {
    send(option).0.unwrap_err()
}

#[test]
fn type_names_are_wechats() {
    let host = Plain::default();
    let (ab, _) = buffer(b"");
    for (v, name) in [
        (V::Undefined, "Undefined"),
        (V::Null, "Null"),
        (V::Bool(true), "Boolean"),
        (V::Num(1.0), "Number"),
        (V::Str("x"), "String"),
        (V::Symbol, "Symbol"),
        (V::Array, "Array"),
        (V::Function(1), "Function"),
        (ab, "ArrayBuffer"),
        (obj(vec![]), "Object"),
    ] {
        assert_eq!(type_name(&host, &v), name);
    }
}

#[test]
fn create_reads_the_type() {
    let host = Plain::default();
    let cases: [(V, Result<SocketType, &str>); 7] = [
        (V::Undefined, Ok(SocketType::Udp4)),
        (V::Null, Ok(SocketType::Udp4)),
        (V::Str("udp4"), Ok(SocketType::Udp4)),
        (V::Str("udp6"), Ok(SocketType::Udp6)),
        (V::Str("UDP6"), Err("UDP6")),
        (V::Num(6.0), Err("Number")),
        (obj(vec![]), Err("Object")),
    ];
    for (v, want) in cases {
        match (socket_type(&host, &v), want) {
            (Ok(t), Ok(w)) => assert_eq!(t, w),
            (Err(crate::Error::InvalidType { given }), Err(w)) => {
                assert_eq!(given, w);
            }
            (got, _) => panic!("{got:?}"),
        }
    }
}

#[test]
fn bind_reads_the_port() {
    let host = Plain::default();
    for (v, want) in [
        (V::Undefined, Ok(0)),
        (V::Num(0.0), Ok(0)),
        (V::Num(4210.0), Ok(4210)),
        (V::Str("4210"), Ok(4210)),
        (V::Str(" 9 "), Ok(9)),
        (V::Num(65536.0), Err(2)),
        (V::Num(1.5), Err(2)),
        (V::Str("http"), Err(2)),
        (V::Null, Err(2)),
        (V::Bool(true), Err(2)),
    ] {
        assert_eq!(
            bind_port(&host, &v).map_err(|e| e.code()),
            want,
            "{:?}",
            type_name(&host, &v)
        );
    }
    assert_eq!(
        bind_port(&host, &V::Bool(true)).unwrap_err().to_string(),
        "bind:fail parameter error: parameter.port should be Number instead of Boolean;"
    );
}

#[test]
fn set_ttl_reads_a_number() {
    let host = Plain::default();
    assert_eq!(ttl(&host, &V::Num(64.0)).unwrap(), 64);
    assert_eq!(ttl(&host, &V::Num(0.0)).unwrap(), 0);
    assert_eq!(ttl(&host, &V::Num(256.0)).unwrap_err().code(), -1);
    assert_eq!(ttl(&host, &V::Num(-1.0)).unwrap_err().code(), -1);
    assert_eq!(
        ttl(&host, &V::Str("64")).unwrap_err().to_string(),
        "setTTL:fail parameter error: parameter.ttl should be Number instead of String;"
    );
}

#[test]
fn connect_reads_address_then_port() {
    let host = Plain::default();
    let option = obj(vec![
        ("address", V::Str("127.0.0.1")),
        ("port", V::Str("9")),
    ]);
    assert_eq!(
        connect_options(&host, &option).unwrap(),
        ("127.0.0.1".to_owned(), 9)
    );
    assert_eq!(*host.reads.borrow(), ["address", "port"]);
    for (option, code, text) in [
        (V::Array, -1, "connect:fail parameter error: parameter.option should be Object instead of Array;"),
        (obj(vec![("port", V::Num(9.0))]), 1, "connect:fail parameter error: parameter.address should be String instead of Undefined;"),
        (obj(vec![("address", V::Str("127.0.0.1"))]), 2, "connect:fail parameter error: parameter.port should be Number instead of Undefined;"),
        (obj(vec![("address", V::Str("127.0.0.1")), ("port", V::Num(0.0))]), 2, "connect:fail invalid port: 0 is not a valid destination port"),
    ] {
        let e = connect_options(&host, &option).unwrap_err();
        assert_eq!((e.code(), e.to_string().as_str()), (code, text));
    }
}

#[test]
fn send_reads_every_option_in_order_then_copies() {
    let (ab, _) = buffer(b"hello");
    let option = obj(vec![
        ("address", V::Str("127.0.0.1")),
        ("port", V::Num(9.0)),
        ("message", ab),
        ("offset", V::Num(1.0)),
        ("length", V::Num(3.0)),
        ("setBroadcast", V::Num(1.0)),
    ]);
    let (result, reads) = send(&option);
    assert_eq!(
        result.unwrap(),
        ("127.0.0.1".into(), 9, b"ell".to_vec(), true)
    );
    assert_eq!(
        reads,
        [
            "address",
            "port",
            "message",
            "offset",
            "length",
            "setBroadcast"
        ]
    );
}

#[test]
fn a_duck_typed_view_reads_buffer_then_its_window_last() {
    let (ab, _) = buffer(b"0123456789");
    let view = obj(vec![
        ("buffer", ab),
        ("byteOffset", V::Num(2.0)),
        ("byteLength", V::Num(4.0)),
    ]);
    let option = obj(vec![
        ("address", V::Str("127.0.0.1")),
        ("port", V::Num(9.0)),
        ("message", view),
        ("offset", V::Num(1.0)),
    ]);
    let (result, reads) = send(&option);
    assert_eq!(result.unwrap().2, b"345");
    assert_eq!(
        reads,
        [
            "address",
            "port",
            "message",
            "buffer",
            "offset",
            "length",
            "setBroadcast",
            "byteOffset",
            "byteLength"
        ]
    );
}

#[test]
fn text_ignores_offset_and_length_and_views_use_their_window() {
    let text = obj(vec![
        ("address", V::Str("::1")),
        ("port", V::Str("9")),
        ("message", V::Str("hello")),
        ("offset", V::Num(3.0)),
    ]);
    assert_eq!(send(&text).0.unwrap().2, b"hello");
    let (_, bytes) = buffer(b"abcdef");
    let typed = obj(vec![
        ("address", V::Str("127.0.0.1")),
        ("port", V::Num(9.0)),
        ("message", V::Typed(bytes, 1, 4)),
        ("length", V::Num(2.0)),
    ]);
    assert_eq!(send(&typed).0.unwrap().2, b"bc");
}

#[test]
fn send_failures_in_rule_order() {
    let addr = || ("address", V::Str("127.0.0.1"));
    let port = || ("port", V::Num(9.0));
    let msg = || ("message", V::Str("x"));
    let cases: Vec<(V, i32, &str)> = vec![
        (V::Undefined, -1, "send:fail parameter error: parameter.option should be Object instead of Undefined;"),
        (V::Function(1), -1, "send:fail parameter error: parameter.option should be Object instead of Function;"),
        (obj(vec![port(), msg()]), 1, "send:fail parameter error: parameter.address should be String instead of Undefined;"),
        (obj(vec![("address", V::Num(1.0)), ("port", V::Bool(true))]), 1, "send:fail parameter error: parameter.address should be String instead of Number;"),
        (obj(vec![addr(), ("port", V::Bool(true)), msg()]), 2, "send:fail parameter error: parameter.port should be Number instead of Boolean;"),
        (obj(vec![addr(), ("port", V::Num(0.0)), msg()]), 2, "send:fail invalid port: 0 is not a valid destination port"),
        (obj(vec![addr(), port()]), -1, "send:fail parameter error: parameter.message should be String/ArrayBuffer instead of Undefined;"),
        (obj(vec![addr(), port(), ("message", V::Array)]), -1, "send:fail parameter error: parameter.message should be String/ArrayBuffer instead of Array;"),
        (obj(vec![addr(), port(), msg(), ("offset", V::Str("1"))]), -1, "send:fail parameter error: parameter.offset should be Number instead of String;"),
        (obj(vec![addr(), port(), msg(), ("length", V::Num(-1.0))]), -1, "send:fail invalid length -1: it must be a non-negative integer"),
    ];
    for (option, code, text) in cases {
        assert_eq!(fails(&option), (text.to_owned(), code));
    }
    let (ab, _) = buffer(b"abc");
    let out_of_range = obj(vec![
        addr(),
        port(),
        ("message", ab),
        ("offset", V::Num(4.0)),
    ]);
    assert_eq!(
        fails(&out_of_range),
        (
            "send:fail offset 4 and length (rest) are out of range for a message of 3 bytes"
                .to_owned(),
            -1
        )
    );
}

#[test]
fn a_getter_that_detaches_or_shrinks_the_buffer_is_an_error_not_a_read() {
    let (ab, bytes) = buffer(b"abcdef");
    let detach = bytes.clone();
    let option = obj_with(vec![
        ("address", Prop::Value(V::Str("127.0.0.1"))),
        ("port", Prop::Value(V::Num(9.0))),
        ("message", Prop::Value(ab.clone())),
        (
            "setBroadcast",
            Prop::Getter(Rc::new(move || {
                *detach.borrow_mut() = None;
                V::Bool(false)
            })),
        ),
    ]);
    assert_eq!(
        fails(&option),
        ("send:fail the ArrayBuffer is detached".to_owned(), -1)
    );
    let (ab, bytes) = buffer(b"0123456789");
    let shrink = bytes.clone();
    let view = obj_with(vec![
        ("buffer", Prop::Value(ab)),
        ("byteOffset", Prop::Value(V::Num(4.0))),
        (
            "byteLength",
            Prop::Getter(Rc::new(move || {
                shrink.borrow_mut().as_mut().unwrap().truncate(2);
                V::Num(4.0)
            })),
        ),
    ]);
    let option = obj(vec![
        ("address", V::Str("127.0.0.1")),
        ("port", V::Num(9.0)),
        ("message", view),
    ]);
    assert_eq!(
        fails(&option),
        (
            "send:fail the view lies outside its ArrayBuffer".to_owned(),
            -1
        )
    );
}

#[test]
fn a_throwing_getter_reads_as_undefined() {
    let option = obj_with(vec![
        ("address", Prop::Value(V::Str("127.0.0.1"))),
        ("port", Prop::Throws),
    ]);
    assert_eq!(
        fails(&option),
        (
            "send:fail parameter error: parameter.port should be Number instead of Undefined;"
                .to_owned(),
            2
        )
    );
}

#[test]
fn off_without_a_listener_removes_every_one() {
    let host = Plain::default();
    assert!(matches!(off(&host, &V::Undefined), Off::Every));
    let f = V::Function(7);
    assert!(matches!(off(&host, &f), Off::Same(V::Function(7))));
    // null is a value: it removes the registrations of null, which there are none of.
    assert!(matches!(off(&host, &V::Null), Off::Same(V::Null)));
}
