//! The contract's argument rules, written once over [`Source`]: how each method of a
//! `UDPSocket` reads its arguments from a loosely typed host (a JavaScript engine), in
//! WeChat's order and wording. A front end implements [`Source`] for its engine's values
//! and calls the readers below; what a value *means* (a port, a range, a TTL) is decided
//! here and in [`options`](crate::options), never in a front end.

use crate::error::{Error, Method};
use crate::options::{byte_range, invalid_ttl, Payload, PortArg, SendOptions, SocketType};

/// A value's type, as WeChat names it in `should be Number instead of String`.
///
/// An ArrayBuffer is an [`Object`](Kind::Object) here; [`type_name`] tells it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `undefined` (and a missing argument).
    Undefined,
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number (JavaScript numbers are doubles).
    Number,
    /// A string.
    String,
    /// A symbol.
    Symbol,
    /// A BigInt.
    BigInt,
    /// An array.
    Array,
    /// A function.
    Function,
    /// Any other object.
    Object,
}

impl Kind {
    /// WeChat's name of the type (`Number`, `Undefined`, `Array`...).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Undefined => "Undefined",
            Kind::Null => "Null",
            Kind::Boolean => "Boolean",
            Kind::Number => "Number",
            Kind::String => "String",
            Kind::Symbol => "Symbol",
            Kind::BigInt => "BigInt",
            Kind::Array => "Array",
            Kind::Function => "Function",
            Kind::Object => "Object",
        }
    }
}

/// The option properties the readers ask for. A host may map each to a name its engine
/// interned once ([`Key::ALL`] is their order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// `address` of `send`/`write`/`connect`.
    Address,
    /// `port` of `send`/`write`/`connect`.
    Port,
    /// `message` of `send`/`write`.
    Message,
    /// `offset` of `send`/`write`.
    Offset,
    /// `length` of `send`/`write`.
    Length,
    /// `setBroadcast` of `send`.
    SetBroadcast,
    /// `buffer` of a view found by duck typing.
    Buffer,
    /// `byteOffset` of such a view.
    ByteOffset,
    /// `byteLength` of such a view.
    ByteLength,
}

impl Key {
    /// Every key, in a fixed order (`key as usize` indexes it).
    pub const ALL: [Key; 9] = [
        Key::Address,
        Key::Port,
        Key::Message,
        Key::Offset,
        Key::Length,
        Key::SetBroadcast,
        Key::Buffer,
        Key::ByteOffset,
        Key::ByteLength,
    ];

    /// The property's name.
    pub const fn name(self) -> &'static str {
        match self {
            Key::Address => "address",
            Key::Port => "port",
            Key::Message => "message",
            Key::Offset => "offset",
            Key::Length => "length",
            Key::SetBroadcast => "setBroadcast",
            Key::Buffer => "buffer",
            Key::ByteOffset => "byteOffset",
            Key::ByteLength => "byteLength",
        }
    }
}

/// Why the bytes of a message cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewError {
    /// Neither an ArrayBuffer nor a view of one.
    NotBuffer,
    /// The ArrayBuffer was detached (`transfer()`).
    Detached,
    /// The view's `byteOffset`/`byteLength` are not integers, or lie (now) outside its
    /// buffer.
    OutOfRange,
}

impl ViewError {
    /// The reason in the `error` event (`send:fail the ArrayBuffer is detached`).
    pub const fn reason(self) -> &'static str {
        match self {
            ViewError::NotBuffer => "the message is not an ArrayBuffer",
            ViewError::Detached => "the ArrayBuffer is detached",
            ViewError::OutOfRange => "the view lies outside its ArrayBuffer",
        }
    }

    fn into_error(self, method: Method) -> Error {
        Error::InvalidArgument {
            method,
            reason: self.reason().into(),
        }
    }
}

/// What a host's engine can answer about one of its values. Every method but
/// [`get`](Source::get) (and what [`with_bytes`](Source::with_bytes) says it may read)
/// runs no script code.
pub trait Source {
    /// A value of the engine, valid while the reader runs.
    type Value: Clone;

    /// The value's type.
    fn kind(&self, v: &Self::Value) -> Kind;

    /// Whether `v` is an ArrayBuffer, live or detached.
    fn is_array_buffer(&self, v: &Self::Value) -> bool;

    /// Whether `v` is a view whose buffer and window the engine knows from its internal
    /// slots (a typed array; a DataView where the engine says so). Other objects with an
    /// ArrayBuffer `buffer` are views by duck typing, read through their properties.
    fn is_view(&self, v: &Self::Value) -> bool;

    /// The number `v` is, if it is one (no conversion).
    fn number(&self, v: &Self::Value) -> Option<f64>;

    /// The string `v` is, as UTF-8 (a lone surrogate becomes U+FFFD), if it is one.
    fn text(&self, v: &Self::Value) -> Option<String>;

    /// JavaScript's truthiness of `v`.
    fn truthy(&self, v: &Self::Value) -> bool;

    /// `obj[key]`: getters and Proxy traps run; one that throws reads as `undefined`
    /// (the exception is discarded: a socket method reports, it never throws).
    fn get(&self, obj: &Self::Value, key: Key) -> Self::Value;

    /// Runs `read` over the bytes `v` covers, as they are now: an ArrayBuffer's whole, a
    /// view's ([`is_view`](Source::is_view)) window, or `window` (`(start, length)` in
    /// bytes) of `v` when given. The host may read a view's own length first (a view of
    /// a resizable buffer); then no script code runs until `read` returns, so the bytes
    /// can neither move nor change meanwhile. Offsets are checked, never wrapped.
    ///
    /// # Errors
    /// [`ViewError`] when `v` is detached or the window lies outside it.
    fn with_bytes<R>(
        &self,
        v: &Self::Value,
        window: Option<(usize, usize)>,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, ViewError>;

    /// Runs `f` with the UTF-8 of the string `v` (a host may cache the text of a string
    /// it sees again and again: the address of a game's peer).
    fn with_text<R>(&self, v: &Self::Value, f: impl FnOnce(&str) -> R) -> R {
        f(&self.text(v).unwrap_or_default())
    }
}

/// Parses a TTL given as a JavaScript number: an integer in 0..=255.
///
/// # Errors
/// [`Error::InvalidArgument`] (errCode -1) of `setTTL` otherwise.
///
/// # Examples
/// ```
/// assert_eq!(wxudp::frontend::parse_ttl(64.0).unwrap(), 64);
/// assert_eq!(wxudp::frontend::parse_ttl(256.0).unwrap_err().code(), -1);
/// assert!(wxudp::frontend::parse_ttl(1.5).is_err());
/// ```
pub fn parse_ttl(ttl: f64) -> Result<u8, Error> {
    if ttl.fract() == 0.0 && (0.0..=255.0).contains(&ttl) {
        // In range and integral, so the cast is exact.
        Ok(ttl as u8)
    } else {
        Err(invalid_ttl(ttl))
    }
}

/// Parses an `offset` or `length` given as a JavaScript number: a non-negative integer.
///
/// # Errors
/// [`Error::InvalidArgument`] (errCode -1) of `method` otherwise, naming the parameter
/// `name`.
///
/// # Examples
/// ```
/// use wxudp::{frontend::parse_index, Method};
/// assert_eq!(parse_index(Method::Send, "offset", 4.0).unwrap(), 4);
/// assert_eq!(parse_index(Method::Send, "offset", -1.0).unwrap_err().code(), -1);
/// ```
pub fn parse_index(method: Method, name: &str, value: f64) -> Result<usize, Error> {
    if value.fract() == 0.0 && value >= 0.0 && value <= usize::MAX as f64 {
        // Non-negative, integral and in range, so the cast is exact.
        Ok(value as usize)
    } else {
        Err(Error::InvalidArgument {
            method,
            reason: format!("invalid {name} {value}: it must be a non-negative integer"),
        })
    }
}

/// WeChat's name of `v`'s type.
pub fn type_name<S: Source>(s: &S, v: &S::Value) -> &'static str {
    match s.kind(v) {
        Kind::Object if s.is_array_buffer(v) => "ArrayBuffer",
        kind => kind.name(),
    }
}

fn parameter<S: Source>(
    s: &S,
    method: Method,
    name: &'static str,
    expected: &'static str,
    v: &S::Value,
) -> Error {
    Error::Parameter {
        method,
        name,
        expected,
        found: type_name(s, v).into(),
    }
}

/// `createUDPSocket(type)`: `undefined` or `null` is udp4.
///
/// # Errors
/// [`Error::InvalidType`] for a string that names no type and for any other value (the
/// front end still makes a udp4 socket, whose first event is this error).
pub fn socket_type<S: Source>(s: &S, v: &S::Value) -> Result<SocketType, Error> {
    match s.kind(v) {
        Kind::Undefined | Kind::Null => Ok(SocketType::Udp4),
        Kind::String => SocketType::parse(&s.text(v).unwrap_or_default()),
        _ => Err(Error::InvalidType {
            given: type_name(s, v).into(),
        }),
    }
}

/// A port as the core's loose [`PortArg`]; a string's text is kept in `text`.
pub fn port_arg<'a, S: Source>(s: &S, v: &S::Value, text: &'a mut String) -> PortArg<'a> {
    match s.kind(v) {
        Kind::Number => PortArg::Number(s.number(v).unwrap_or(f64::NAN)),
        Kind::String => {
            *text = s.text(v).unwrap_or_default();
            PortArg::Text(text)
        }
        Kind::Undefined => PortArg::Missing,
        _ => PortArg::Other(type_name(s, v)),
    }
}

/// `bind(port)`: missing or 0 is a port the system picks.
///
/// # Errors
/// errCode 2 for anything but an integer in 0..=65535 ([`PortArg::bind_port`]).
pub fn bind_port<S: Source>(s: &S, v: &S::Value) -> Result<u16, Error> {
    let mut text = String::new();
    port_arg(s, v, &mut text).bind_port()
}

/// `setTTL(ttl)`: a number, an integer in 0..=255.
///
/// # Errors
/// [`Error::Parameter`] for another type, [`Error::InvalidArgument`] out of range.
pub fn ttl<S: Source>(s: &S, v: &S::Value) -> Result<u8, Error> {
    match s.number(v) {
        Some(n) => parse_ttl(n),
        None => Err(parameter(s, Method::SetTtl, "ttl", "Number", v)),
    }
}

/// The option object of `send`/`write`/`connect`: an object, not an array or a
/// function.
fn option_object<S: Source>(s: &S, method: Method, v: &S::Value) -> Result<(), Error> {
    match s.kind(v) {
        Kind::Object => Ok(()),
        _ => Err(parameter(s, method, "option", "Object", v)),
    }
}

/// `address` (checked to be a string, its text not taken yet) and `port` of an option
/// object, read in that order.
fn address_port<S: Source>(
    s: &S,
    method: Method,
    obj: &S::Value,
) -> Result<(S::Value, u16), Error> {
    let address = s.get(obj, Key::Address);
    if s.kind(&address) != Kind::String {
        return Err(parameter(s, method, "address", "String", &address));
    }
    let port = s.get(obj, Key::Port);
    let mut text = String::new();
    let port = port_arg(s, &port, &mut text).destination_port(method)?;
    Ok((address, port))
}

/// `connect(option)`: `address` and `port`, in that order.
///
/// # Errors
/// errCode 1 or 2 (the address or the port), -1 for an option that is not an object.
pub fn connect_options<S: Source>(s: &S, v: &S::Value) -> Result<(String, u16), Error> {
    let method = Method::Connect;
    option_object(s, method, v)?;
    let (address, port) = address_port(s, method, v)?;
    Ok((s.text(&address).unwrap_or_default(), port))
}

/// A message as `send` found it, before any byte is read.
enum Message<V> {
    /// A string, copied (strings are immutable).
    Text(String),
    /// An ArrayBuffer or a view the engine knows.
    Bytes(V),
    /// A view by duck typing: the view, and its ArrayBuffer `buffer`.
    Duck(V, V),
}

fn message<S: Source>(s: &S, v: &S::Value) -> Option<Message<S::Value>> {
    match s.kind(v) {
        Kind::String => s.text(v).map(Message::Text),
        Kind::Object if s.is_view(v) || s.is_array_buffer(v) => Some(Message::Bytes(v.clone())),
        Kind::Object => {
            // ArrayBuffer.isView, duck-typed: a `buffer` that is an ArrayBuffer.
            let buffer = s.get(v, Key::Buffer);
            s.is_array_buffer(&buffer)
                .then(|| Message::Duck(v.clone(), buffer))
        }
        _ => None,
    }
}

/// A duck-typed view's `byteOffset` or `byteLength`: 0 when missing, else a
/// non-negative integer.
fn view_index<S: Source>(s: &S, view: &S::Value, key: Key) -> Result<usize, ViewError> {
    let v = s.get(view, key);
    if s.kind(&v) == Kind::Undefined {
        return Ok(0);
    }
    match s.number(&v) {
        Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= usize::MAX as f64 => {
            // Non-negative and integral; `as` saturates at the top.
            Ok(n as usize)
        }
        _ => Err(ViewError::OutOfRange),
    }
}

/// `send(option)` and `write(option)`: reads the option object and calls `send` with
/// typed options over a copy of the bytes sent.
///
/// Every option is read first, in a fixed order — `address`, `port`, `message` (and a
/// duck-typed view's `buffer`), `offset`, `length`, `setBroadcast`, then a duck-typed
/// view's `byteOffset` and `byteLength` — each of which may run a getter, a Proxy trap
/// or `valueOf`. Only then are the bytes located and copied
/// ([`Source::with_bytes`]): the range is checked against the buffer as it is at that
/// moment, and no script code runs between that check and the copy. So a getter that
/// resizes, transfers or detaches the buffer makes an error event (or sends what the
/// buffer holds then), never a read of freed memory. `offset` and `length` are ignored
/// for a string, as in WeChat (kept in the options, so the core sees what was asked).
///
/// # Errors
/// The first failing rule's error, in that order; else what `send` returns.
pub fn send_options<S: Source>(
    s: &S,
    method: Method,
    v: &S::Value,
    send: impl FnOnce(&SendOptions<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    option_object(s, method, v)?;
    let (address, port) = address_port(s, method, v)?;
    let message_value = s.get(v, Key::Message);
    let Some(message) = message(s, &message_value) else {
        return Err(parameter(
            s,
            method,
            "message",
            "String/ArrayBuffer",
            &message_value,
        ));
    };
    let index = |name: &'static str, key: Key| -> Result<Option<usize>, Error> {
        let value = s.get(v, key);
        match s.kind(&value) {
            Kind::Undefined | Kind::Null => Ok(None),
            Kind::Number => {
                parse_index(method, name, s.number(&value).unwrap_or(f64::NAN)).map(Some)
            }
            _ => Err(parameter(s, method, name, "Number", &value)),
        }
    };
    let offset = index("offset", Key::Offset)?;
    let length = index("length", Key::Length)?;
    let broadcast = s.truthy(&s.get(v, Key::SetBroadcast));
    // The range sent, as the core selects it, copied while nothing else runs.
    let select =
        |bytes: &[u8]| byte_range(method, bytes, offset.unwrap_or(0), length).map(<[u8]>::to_vec);
    let copy: Vec<u8>;
    let payload = match &message {
        Message::Text(text) => Payload::Text(text),
        Message::Bytes(bytes) => {
            copy = s
                .with_bytes(bytes, None, select)
                .map_err(|e| e.into_error(method))??;
            Payload::Bytes(&copy)
        }
        Message::Duck(view, buffer) => {
            let window = view_index(s, view, Key::ByteOffset)
                .and_then(|start| Ok((start, view_index(s, view, Key::ByteLength)?)))
                .map_err(|e| e.into_error(method))?;
            copy = s
                .with_bytes(buffer, Some(window), select)
                .map_err(|e| e.into_error(method))??;
            Payload::Bytes(&copy)
        }
    };
    s.with_text(&address, |address| {
        let mut options = SendOptions::new(address, port, payload).set_broadcast(broadcast);
        if let Message::Text(_) = message {
            options = options.offset(offset.unwrap_or(0));
            if let Some(length) = length {
                options = options.length(length);
            }
        }
        send(&options)
    })
}

/// A copy of the bytes an ArrayBuffer or a view covers (a duck-typed view's window
/// read through its `byteOffset` and `byteLength`), for the APIs that take bytes
/// besides `send` (`TextDecoder.decode`, `wx.arrayBufferToBase64`).
///
/// # Errors
/// [`ViewError::NotBuffer`] for anything else (strings among them), and what
/// [`Source::with_bytes`] finds.
pub fn view_bytes<S: Source>(s: &S, v: &S::Value) -> Result<Vec<u8>, ViewError> {
    match s.kind(v) {
        Kind::String => Err(ViewError::NotBuffer),
        _ => match message(s, v) {
            Some(Message::Bytes(bytes)) => s.with_bytes(&bytes, None, <[u8]>::to_vec),
            Some(Message::Duck(view, buffer)) => {
                let start = view_index(s, &view, Key::ByteOffset)?;
                let length = view_index(s, &view, Key::ByteLength)?;
                s.with_bytes(&buffer, Some((start, length)), <[u8]>::to_vec)
            }
            _ => Err(ViewError::NotBuffer),
        },
    }
}

/// What `offX(listener)` removes: every listener of its event when called without one
/// (`undefined`), else the registrations of that same function (by identity: a fresh
/// function, or a value that is no function, removes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Off<'a, V> {
    /// Every listener of the event.
    Every,
    /// The registrations of this value.
    Same(&'a V),
}

/// Which listeners `offX(listener)` removes ([`Off`]).
pub fn off<'a, S: Source>(s: &S, listener: &'a S::Value) -> Off<'a, S::Value> {
    match s.kind(listener) {
        Kind::Undefined => Off::Every,
        _ => Off::Same(listener),
    }
}
