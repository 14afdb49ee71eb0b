//! JavaScript arguments into the core's typed values, with the wording and the order of
//! the JS runtime (`crates/wxudp-js/src/convert.rs`), so that the same fixtures pass on
//! both hosts. The rules themselves (what a port is, which range of a message is sent,
//! which fault wins) are the core's: `wxudp::options` and the state machine.

use wxudp::options::{byte_range, parse_index, PortArg};
use wxudp::{Error, Method, Payload, SendOptions};

use crate::js::{Bytes, Cx, Kind, Val};

/// The option names, in the order of the loader's `KEYS` array, which it passes along so
/// that each name is a string the engine already interned (a name made from UTF-8 on
/// each read cost a lookup in V8's string table every time).
#[derive(Clone, Copy)]
pub(crate) enum Key {
    Address = 0,
    Port,
    Message,
    Offset,
    Length,
    SetBroadcast,
    Buffer,
    ByteOffset,
    ByteLength,
}

impl Key {
    fn name(self) -> &'static std::ffi::CStr {
        match self {
            Key::Address => c"address",
            Key::Port => c"port",
            Key::Message => c"message",
            Key::Offset => c"offset",
            Key::Length => c"length",
            Key::SetBroadcast => c"setBroadcast",
            Key::Buffer => c"buffer",
            Key::ByteOffset => c"byteOffset",
            Key::ByteLength => c"byteLength",
        }
    }
}

/// Reads the properties of option objects, by the loader's interned names when it gave
/// them (else by name).
#[derive(Clone, Copy)]
pub(crate) struct Props {
    pub(crate) cx: Cx,
    pub(crate) keys: Option<Val>,
}

impl Props {
    pub(crate) fn new(cx: Cx, keys: Val) -> Self {
        let keys = cx.is_array(keys).then_some(keys);
        Props { cx, keys }
    }

    /// `obj[key]`: getters run; a throwing one reads as `undefined`.
    fn get(self, obj: Val, key: Key) -> Val {
        match self.keys.and_then(|k| self.cx.element(k, key as u32)) {
            Some(k) if self.cx.kind(k) == Kind::String => self.cx.get_by(obj, k),
            _ => self.cx.get(obj, key.name()),
        }
    }
}

/// WeChat's name of a value's type, as in `should be Number instead of String`.
pub(crate) fn type_name(cx: Cx, v: Val) -> &'static str {
    match cx.kind(v) {
        Kind::Undefined => "Undefined",
        Kind::Null => "Null",
        Kind::Boolean => "Boolean",
        Kind::Number => "Number",
        Kind::String => "String",
        Kind::Symbol => "Symbol",
        Kind::BigInt => "BigInt",
        Kind::Function => "Function",
        Kind::Object if cx.is_array(v) => "Array",
        Kind::Object if cx.is_array_buffer(v) => "ArrayBuffer",
        Kind::Object | Kind::Other => "Object",
    }
}

/// A port as the core's loose [`PortArg`]; a string's text is kept in `text`.
pub(crate) fn port_arg<'a>(cx: Cx, v: Val, text: &'a mut String) -> PortArg<'a> {
    match cx.kind(v) {
        Kind::Number => PortArg::Number(cx.number(v).unwrap_or(f64::NAN)),
        Kind::String => {
            *text = cx.string(v);
            PortArg::Text(text)
        }
        Kind::Undefined => PortArg::Missing,
        _ => PortArg::Other(type_name(cx, v)),
    }
}

fn parameter(cx: Cx, method: Method, name: &'static str, expected: &'static str, v: Val) -> Error {
    Error::Parameter {
        method,
        name,
        expected,
        found: type_name(cx, v).into(),
    }
}

/// The option object of `send`/`write`/`connect`, or the parameter error for it.
pub(crate) fn option_object(cx: Cx, method: Method, v: Val) -> Result<Val, Error> {
    match cx.kind(v) {
        Kind::Object if !cx.is_array(v) => Ok(v),
        _ => Err(parameter(cx, method, "option", "Object", v)),
    }
}

/// `address` and `port` of an option object, in that order.
pub(crate) fn address_port(p: Props, method: Method, obj: Val) -> Result<(String, u16), Error> {
    let cx = p.cx;
    let address = p.get(obj, Key::Address);
    if cx.kind(address) != Kind::String {
        return Err(parameter(cx, method, "address", "String", address));
    }
    let port = p.get(obj, Key::Port);
    let mut text = String::new();
    let port = port_arg(cx, port, &mut text).destination_port(method)?;
    Ok((cx.string(address), port))
}

/// A TTL argument: a number, parsed by the core.
pub(crate) fn ttl(cx: Cx, v: Val) -> Result<u32, Error> {
    match cx.number(v) {
        Some(n) => Ok(u32::from(wxudp::options::parse_ttl(n)?)),
        None => Err(parameter(cx, Method::SetTtl, "ttl", "Number", v)),
    }
}

/// A message as `send` found it, before any byte is copied.
enum Message {
    /// A string, already copied (strings are immutable).
    Text(String),
    /// An ArrayBuffer, typed array or DataView, whose bytes are located (from internal
    /// slots, no getter) only after every option was read.
    Buffer(Val),
    /// Anything else with an ArrayBuffer `buffer`: a view by duck typing, whose window
    /// is its own `byteOffset`/`byteLength`, as the JS runtime reads one.
    DuckView(Val, Val),
}

/// Why the bytes of a buffer or view cannot be read (the JS runtime's wording).
#[derive(Debug, Clone, Copy)]
enum ViewError {
    Detached,
    OutOfRange,
}

impl ViewError {
    fn reason(self) -> &'static str {
        match self {
            ViewError::Detached => "the ArrayBuffer is detached",
            ViewError::OutOfRange => "the view lies outside its ArrayBuffer",
        }
    }
}

fn message(p: Props, v: Val) -> Option<Message> {
    let cx = p.cx;
    match cx.kind(v) {
        Kind::String => Some(Message::Text(cx.string(v))),
        Kind::Object => {
            if cx.is_array_buffer(v) || cx.is_typed_array(v) || cx.is_data_view(v) {
                return Some(Message::Buffer(v));
            }
            let buffer = p.get(v, Key::Buffer);
            cx.is_array_buffer(buffer)
                .then_some(Message::DuckView(v, buffer))
        }
        _ => None,
    }
}

/// A duck-typed view's `byteOffset` or `byteLength`: 0 when missing, else a
/// non-negative integer.
fn view_index(p: Props, view: Val, key: Key) -> Result<usize, ViewError> {
    let cx = p.cx;
    let v = p.get(view, key);
    if cx.kind(v) == Kind::Undefined {
        return Ok(0);
    }
    match cx.number(v) {
        Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= usize::MAX as f64 => Ok(n as usize),
        _ => Err(ViewError::OutOfRange),
    }
}

/// Reads a send option object and calls `send` with typed options over a copy of the
/// bytes sent.
///
/// Every option is read first, in the JS runtime's order (`address`, `port`, `message`,
/// `offset`, `length`, `setBroadcast`, then a duck-typed view's `byteOffset` and
/// `byteLength`), each of which may run a getter or a Proxy trap. Only then are the
/// bytes located and copied, with no JavaScript run between the two: a getter that
/// resizes, transfers or detaches the buffer makes an error event (or sends what the
/// buffer holds then), never a read of freed memory.
pub(crate) fn with_send_options(
    p: Props,
    method: Method,
    option: Val,
    send: impl FnOnce(&SendOptions<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let cx = p.cx;
    let obj = option_object(cx, method, option)?;
    let address = p.get(obj, Key::Address);
    if cx.kind(address) != Kind::String {
        return Err(parameter(cx, method, "address", "String", address));
    }
    let port = p.get(obj, Key::Port);
    let mut port_text = String::new();
    let port = port_arg(cx, port, &mut port_text).destination_port(method)?;
    let message_value = p.get(obj, Key::Message);
    let message = message(p, message_value)
        .ok_or_else(|| parameter(cx, method, "message", "String/ArrayBuffer", message_value))?;
    let index = |name: &'static str, key: Key| -> Result<Option<usize>, Error> {
        let v = p.get(obj, key);
        match cx.kind(v) {
            Kind::Undefined | Kind::Null => Ok(None),
            Kind::Number => parse_index(method, name, cx.number(v).unwrap_or(f64::NAN)).map(Some),
            _ => Err(parameter(cx, method, name, "Number", v)),
        }
    };
    let offset = index("offset", Key::Offset)?;
    let length = index("length", Key::Length)?;
    let broadcast = cx.truthy(p.get(obj, Key::SetBroadcast));
    let invalid = |e: ViewError| Error::InvalidArgument {
        method,
        reason: e.reason().into(),
    };
    // The range sent, as the core selects it.
    let select =
        |bytes: &[u8]| byte_range(method, bytes, offset.unwrap_or(0), length).map(<[u8]>::to_vec);
    let copy: Vec<u8>;
    let payload = match &message {
        Message::Text(text) => Payload::Text(text),
        Message::Buffer(v) => {
            copy = match cx.buffer_bytes(*v) {
                Some(Bytes::Here(start, len)) => cx.with_bytes((start, len), select)?,
                _ => return Err(invalid(ViewError::Detached)),
            };
            Payload::Bytes(&copy)
        }
        Message::DuckView(view, buffer) => {
            let start = view_index(p, *view, Key::ByteOffset).map_err(invalid)?;
            let len = view_index(p, *view, Key::ByteLength).map_err(invalid)?;
            // No JavaScript runs from here to the copy.
            copy = match cx.buffer_bytes(*buffer) {
                Some(Bytes::Here(base, total)) => {
                    let end = start
                        .checked_add(len)
                        .filter(|end| *end <= total)
                        .ok_or(invalid(ViewError::OutOfRange))?;
                    cx.with_bytes((base, total), |all| select(&all[start..end]))?
                }
                _ => return Err(invalid(ViewError::Detached)),
            };
            Payload::Bytes(&copy)
        }
    };
    let address = cx.string(address);
    let mut options = SendOptions::new(&address, port, payload).set_broadcast(broadcast);
    if let Message::Text(_) = message {
        // Ignored for text, as in WeChat; kept so that the core sees what was asked.
        options = options.offset(offset.unwrap_or(0));
        if let Some(length) = length {
            options = options.length(length);
        }
    }
    send(&options)
}
