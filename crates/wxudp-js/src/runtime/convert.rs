//! Conversions between JavaScript values and the core's typed values: ports, send
//! options and messages in; event payloads out. Bad input becomes a `wxudp::Error` with
//! WeChat's wording, never a JavaScript exception.

use rquickjs::{qjs, ArrayBuffer, Ctx, IntoAtom, Object, Type, U8Clamped, Value};
use wxudp::options::PortArg;
use wxudp::options::{byte_range, parse_index};
use wxudp::{Error, Event, Method, Payload, SendOptions};

use crate::runtime::names::{define, key, names, raw_key, Key, Names};

/// A property of an option object; `undefined` when it is missing or its getter throws
/// (the exception is discarded: a `UDPSocket` method reports, it never throws).
fn field<'js>(obj: &Object<'js>, name: impl IntoAtom<'js>) -> Value<'js> {
    obj.get(name).unwrap_or_else(|_| {
        let ctx = obj.ctx().clone();
        let _ = ctx.catch();
        Value::new_undefined(ctx)
    })
}

/// `value` as an object, judged by its tag alone. rquickjs' `as_object` first asks
/// QuickJS whether the value is an array, a constructor, a function, a promise, an
/// error or a proxy (about 130 instructions), only to answer the same for all of them;
/// the send path asked five times per call.
pub(crate) fn object_ref<'a, 'js>(value: &'a Value<'js>) -> Option<&'a Object<'js>> {
    if !value.is_object() {
        return None;
    }
    // SAFETY: the value's tag is JS_TAG_OBJECT, and every type rquickjs gives a value
    // of that tag is one `as_object` accepts, by this same cast (`Object` is a
    // transparent wrapper of `Value`). Tested by every fixture that sends.
    #[allow(unsafe_code)]
    Some(unsafe { value.ref_object() })
}

/// `value` as a string, judged by its tag alone (see [`object_ref`]).
pub(crate) fn string_ref<'a, 'js>(value: &'a Value<'js>) -> Option<&'a rquickjs::String<'js>> {
    if !value.is_string() {
        return None;
    }
    // SAFETY: the value's tag is a string's (JS_TAG_STRING or JS_TAG_STRING_ROPE, what
    // `is_string` checks), which `as_string` accepts by this same cast.
    #[allow(unsafe_code)]
    Some(unsafe { value.ref_string() })
}

/// [`field`] by a [`Key`]: an atom number is read straight through QuickJS, without the
/// atom and context references rquickjs' `Object::get` takes and drops around the read.
fn field_key<'js>(obj: &Object<'js>, key: Key<'js>) -> Value<'js> {
    let Key::Raw(atom, _) = key else {
        return field(obj, key);
    };
    let ctx = obj.ctx();
    // SAFETY: `obj` is a live object of the context `ctx` holds, and `atom` is kept
    // alive by the run's `Names` (see `RawNames`), which live as long as the runtime.
    // `JS_GetProperty` may run a getter or a Proxy trap: nothing borrowed from
    // JavaScript memory is held across it. It returns a value the caller owns, or
    // JS_EXCEPTION (nothing owned); `Value::from_raw` takes the value over.
    #[allow(unsafe_code)]
    let got = unsafe {
        let raw = qjs::JS_GetProperty(ctx.as_raw().as_ptr(), obj.as_raw(), atom);
        if qjs::JS_VALUE_GET_TAG(raw) == qjs::JS_TAG_EXCEPTION {
            None
        } else {
            Some(Value::from_raw(ctx.clone(), raw))
        }
    };
    got.unwrap_or_else(|| {
        // A getter threw: the exception is discarded, as `field` does.
        let _ = ctx.catch();
        Value::new_undefined(ctx.clone())
    })
}

/// What [`array_buffer`] found.
enum BufferKind<'js> {
    /// An ArrayBuffer with its bytes.
    Live(ArrayBuffer<'js>),
    /// An ArrayBuffer whose bytes were transferred away (`transfer()`, `postMessage`).
    Detached,
    /// Not an ArrayBuffer.
    Not,
}

/// Whether `value` is an ArrayBuffer, without running any JavaScript.
///
/// QuickJS answers "not an ArrayBuffer" and "detached" alike, by leaving a TypeError
/// pending; this takes that exception (so that no stale one is left behind) and tells the
/// two apart by it.
fn array_buffer<'js>(value: &Value<'js>) -> BufferKind<'js> {
    if !value.is_object() {
        return BufferKind::Not;
    }
    if let Some(buf) = ArrayBuffer::from_value(value.clone()) {
        return BufferKind::Live(buf);
    }
    let pending = value.ctx().catch();
    let detached = pending
        .as_object()
        .and_then(|e| e.get::<_, String>("message").ok())
        .is_some_and(|m| m.contains("detached"));
    if detached {
        BufferKind::Detached
    } else {
        BufferKind::Not
    }
}

/// WeChat's name of a value's type, as in `should be Number instead of String`.
pub(crate) fn type_name(value: &Value<'_>) -> &'static str {
    match value.type_of() {
        Type::Uninitialized | Type::Undefined => "Undefined",
        Type::Null => "Null",
        Type::Bool => "Boolean",
        Type::Int | Type::Float => "Number",
        Type::String => "String",
        Type::Symbol => "Symbol",
        Type::BigInt => "BigInt",
        Type::Array => "Array",
        Type::Function | Type::Constructor => "Function",
        _ if !matches!(array_buffer(value), BufferKind::Not) => "ArrayBuffer",
        _ => "Object",
    }
}

/// A JavaScript string as UTF-8, the way `TextEncoder` encodes it: a lone surrogate
/// (which JavaScript strings may hold and UTF-8 cannot) becomes U+FFFD. Runs no
/// JavaScript of the script's.
pub(crate) fn text(s: &rquickjs::String<'_>) -> String {
    if let Ok(text) = s.to_string() {
        return text;
    }
    // QuickJS's UTF-8 form of a lone surrogate is not UTF-8. JSON.stringify of a
    // primitive string calls no user code and escapes lone surrogates as `\uXXXX`.
    let ctx = s.as_value().ctx();
    ctx.json_stringify(s.clone())
        .ok()
        .flatten()
        .and_then(|json| json.to_string().ok())
        .map(|json| unescape_json_string(&json))
        .unwrap_or_default()
}

/// A string argument of a native function as UTF-8, lone surrogates as U+FFFD (see
/// [`text`]), where rquickjs' own `String` conversion throws a TypeError.
pub(crate) struct JsText(pub(crate) String);

impl<'js> rquickjs::FromJs<'js> for JsText {
    fn from_js(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Self> {
        match string_ref(&value) {
            Some(s) => Ok(JsText(text(s))),
            None => String::from_js(ctx, value).map(JsText),
        }
    }
}

/// Decodes a JSON string literal (quotes included), turning unpaired surrogates into
/// U+FFFD.
fn unescape_json_string(json: &str) -> String {
    let inner = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or(json);
    let mut units: Vec<u16> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let unit = match chars.next() {
            Some('b') => 0x08,
            Some('f') => 0x0c,
            Some('n') => 0x0a,
            Some('r') => 0x0d,
            Some('t') => 0x09,
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                u16::from_str_radix(&hex, 16).unwrap_or(0xfffd)
            }
            Some(other) => u16::try_from(u32::from(other)).unwrap_or(0xfffd),
            None => break,
        };
        units.push(unit);
    }
    String::from_utf16_lossy(&units)
}

/// A port as the core's loose [`PortArg`]; the string is kept in `text`.
pub(crate) fn port_arg<'a>(value: &Value<'_>, text: &'a mut String) -> PortArg<'a> {
    if let Some(n) = value.as_number() {
        return PortArg::Number(n);
    }
    if let Some(s) = string_ref(value) {
        *text = self::text(s);
        return PortArg::Text(text);
    }
    if value.is_undefined() {
        return PortArg::Missing;
    }
    PortArg::Other(type_name(value))
}

fn parameter(
    method: Method,
    name: &'static str,
    expected: &'static str,
    found: &Value<'_>,
) -> Error {
    Error::Parameter {
        method,
        name,
        expected,
        found: type_name(found).into(),
    }
}

/// The option object of `send`/`write`/`connect`, or the parameter error for it.
pub(crate) fn option_object<'js>(method: Method, value: &Value<'js>) -> Result<Object<'js>, Error> {
    match object_ref(value) {
        Some(obj) if !value.is_array() && !value.is_function() => Ok(obj.clone()),
        _ => Err(Error::Parameter {
            method,
            name: "option",
            expected: "Object",
            found: type_name(value).into(),
        }),
    }
}

/// `address` and `port` of an option object.
pub(crate) fn address_port(method: Method, obj: &Object<'_>) -> Result<(String, u16), Error> {
    let names = names(obj.ctx()).ok();
    let (address, port) = address_string_port(method, obj, names.as_deref())?;
    Ok((text(&address), port))
}

/// `address` (a string, not converted yet) and `port` of an option object.
fn address_string_port<'js>(
    method: Method,
    obj: &Object<'js>,
    n: Option<&Names<'js>>,
) -> Result<(rquickjs::String<'js>, u16), Error> {
    let address: Value<'_> = field_key(obj, raw_key(n, |r| r.address, "address"));
    let Some(address) = string_ref(&address).cloned() else {
        return Err(parameter(method, "address", "String", &address));
    };
    let port: Value<'_> = field_key(obj, raw_key(n, |r| r.port, "port"));
    let mut text = String::new();
    let port = port_arg(&port, &mut text).destination_port(method)?;
    Ok((address, port))
}

/// A message as `send` found it, before any byte is copied: a string (already copied,
/// strings are immutable), or an ArrayBuffer (`None` once detached) and, for a typed
/// array, DataView or anything with an ArrayBuffer `buffer`, the view object whose
/// `byteOffset`/`byteLength` say which bytes of the buffer it covers.
enum Message<'js> {
    Text(String),
    Buffer(Option<ArrayBuffer<'js>>, Option<Object<'js>>),
    /// A typed array, whose buffer and window are read from its internal slots (no
    /// JavaScript runs) at the moment its bytes are copied.
    Typed(Object<'js>),
}

/// Why the bytes of a buffer or view cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewError {
    /// Neither an ArrayBuffer nor a view of one.
    NotBuffer,
    /// The ArrayBuffer was detached (`transfer()`).
    Detached,
    /// The view's `byteOffset`/`byteLength` are not integers, or lie (now) outside its
    /// buffer.
    OutOfRange,
}

impl ViewError {
    fn reason(self) -> &'static str {
        match self {
            ViewError::NotBuffer => "the message is not an ArrayBuffer",
            ViewError::Detached => "the ArrayBuffer is detached",
            ViewError::OutOfRange => "the view lies outside its ArrayBuffer",
        }
    }
}

/// Classifies a message without copying anything. Reading a view's `buffer` may run a
/// getter; nothing is borrowed yet.
fn message<'js>(value: &Value<'js>) -> Result<Message<'js>, ViewError> {
    if let Some(s) = string_ref(value) {
        return Ok(Message::Text(text(s)));
    }
    let Some(obj) = object_ref(value) else {
        return Err(ViewError::NotBuffer);
    };
    // A typed array is a view, never an ArrayBuffer: asking QuickJS whether it is one
    // would throw (and format) a TypeError only to discard it.
    if is_typed_array(obj) {
        return Ok(Message::Typed(obj.clone()));
    }
    match array_buffer(value) {
        BufferKind::Live(buf) => return Ok(Message::Buffer(Some(buf), None)),
        BufferKind::Detached => return Ok(Message::Buffer(None, None)),
        BufferKind::Not => {}
    }
    // ArrayBuffer.isView, duck-typed: a `buffer` that is an ArrayBuffer.
    match array_buffer(&field(obj, "buffer")) {
        BufferKind::Live(buf) => Ok(Message::Buffer(Some(buf), Some(obj.clone()))),
        BufferKind::Detached => Ok(Message::Buffer(None, Some(obj.clone()))),
        BufferKind::Not => Err(ViewError::NotBuffer),
    }
}

/// Whether `obj` is a typed array of any element type, asked without running
/// JavaScript or throwing.
fn is_typed_array(obj: &Object<'_>) -> bool {
    obj.is_typed_array::<u8>()
        || obj.is_typed_array::<U8Clamped>()
        || obj.is_typed_array::<i8>()
        || obj.is_typed_array::<u16>()
        || obj.is_typed_array::<i16>()
        || obj.is_typed_array::<u32>()
        || obj.is_typed_array::<i32>()
        || obj.is_typed_array::<f32>()
        || obj.is_typed_array::<f64>()
        || obj.is_typed_array::<u64>()
        || obj.is_typed_array::<i64>()
}

/// A typed array's buffer, where the view starts in it and the length QuickJS recorded
/// for it, from its internal slots (no getter runs), or `None` if QuickJS cannot say
/// (detached, or out of bounds as far as it knows). The recorded length is exact for a
/// fixed-length view; a length-tracking view's goes stale when its buffer is resized
/// (see [`typed_window`]).
fn typed_start<'js>(obj: &Object<'js>) -> Option<(ArrayBuffer<'js>, usize, usize)> {
    let ctx = obj.ctx();
    let (mut offset, mut length): (qjs::size_t, qjs::size_t) = (0, 0);
    // SAFETY: `obj` is a live object of the context `ctx` holds. For a typed array whose
    // view lies within its buffer, `JS_GetTypedArrayBuffer` reads the view's internal
    // slots (its offset into the buffer and its recorded length) and returns a new reference to the buffer,
    // which `Value::from_raw` takes over; for anything else (not a typed array,
    // detached, out of bounds) it returns JS_EXCEPTION with a TypeError pending, and
    // nothing is owned. No JavaScript runs. One call where rquickjs' `as_raw` and
    // `arraybuffer` asked QuickJS for the buffer twice and checked its type again.
    #[allow(unsafe_code)]
    let buffer = unsafe {
        let raw = qjs::JS_GetTypedArrayBuffer(
            ctx.as_raw().as_ptr(),
            obj.as_raw(),
            &mut offset,
            &mut length,
            std::ptr::null_mut(),
        );
        if qjs::JS_VALUE_GET_TAG(raw) == qjs::JS_TAG_EXCEPTION {
            None
        } else {
            Some(Value::from_raw(ctx.clone(), raw))
        }
    };
    let found = buffer
        .as_ref()
        .and_then(object_ref)
        .and_then(|b| ArrayBuffer::from_object(b.clone()))
        .zip(usize::try_from(offset).ok())
        .zip(usize::try_from(length).ok())
        .map(|((buffer, offset), length)| (buffer, offset, length));
    if found.is_none() {
        // QuickJS may have left a TypeError (detached, out of bounds): take it.
        let _ = ctx.catch();
    }
    found
}

/// The buffer and window of a typed array: the start from its internal slots
/// ([`typed_start`]), and the length recorded there when the view reaches the end of its
/// buffer as the buffer is now (then it is exact, whether the view has a fixed length or
/// tracks a resizable buffer's), else from `byteLength` (which tracks a resizable
/// buffer); when QuickJS cannot tell the start, the way of any view ([`view_window`]).
/// The common case, a `Uint8Array` over a whole buffer, reads no property: asking for
/// `byteLength` walked the prototype chain to its getter and called it.
fn typed_window<'js>(
    obj: &Object<'js>,
    n: Option<&Names<'js>>,
) -> Result<(Option<ArrayBuffer<'js>>, (usize, usize)), ViewError> {
    match typed_start(obj) {
        Some((buffer, offset, recorded)) => {
            // The buffer's length now (`len` would panic on a detached one; nothing ran
            // since `typed_start` found it attached, but no need to rely on it).
            let now = buffer.as_raw().map(|bytes| bytes.len());
            let length = if offset
                .checked_add(recorded)
                .is_some_and(|end| Some(end) == now)
            {
                recorded
            } else {
                index(obj, raw_key(n, |r| r.byte_length, "byteLength"))?
            };
            Ok((Some(buffer), (offset, length)))
        }
        None => {
            let buffer = match array_buffer(&field(obj, key(n, |n| &n.buffer, "buffer"))) {
                BufferKind::Live(buf) => Some(buf),
                BufferKind::Detached => None,
                BufferKind::Not => return Err(ViewError::NotBuffer),
            };
            Ok((buffer, view_window(obj)?))
        }
    }
}

/// A view's `byteOffset` or `byteLength`: 0 when missing, else a non-negative integer.
fn index<'js>(view: &Object<'js>, name: Key<'js>) -> Result<usize, ViewError> {
    let v = field_key(view, name);
    if v.is_undefined() {
        return Ok(0);
    }
    match v.as_number() {
        Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= usize::MAX as f64 => {
            // Non-negative and integral; `as` saturates at the top.
            Ok(n as usize)
        }
        _ => Err(ViewError::OutOfRange),
    }
}

/// Where a view lies in its buffer: `(byteOffset, byteLength)`, read through the view's
/// own properties (getters and Proxy traps run here, before any byte is borrowed).
/// A missing property counts as 0; anything but a non-negative integer is out of range.
fn view_window(view: &Object<'_>) -> Result<(usize, usize), ViewError> {
    let names = names(view.ctx()).ok();
    let n = names.as_deref();
    let offset = index(view, key(n, |n| &n.byte_offset, "byteOffset"))?;
    let length = index(view, key(n, |n| &n.byte_length, "byteLength"))?;
    Ok((offset, length))
}

/// Runs `read` on the bytes `window` covers in `buffer` as it is now (the whole buffer
/// without a window). The caller has read every property already: nothing between the
/// borrow and the end of `read` runs JavaScript, so the buffer can neither move nor
/// shrink meanwhile. Offsets are checked, never wrapped.
fn with_window<R>(
    buffer: Option<&ArrayBuffer<'_>>,
    window: Option<(usize, usize)>,
    read: impl FnOnce(&[u8]) -> R,
) -> Result<R, ViewError> {
    let Some(buffer) = buffer else {
        return Err(ViewError::Detached);
    };
    // SAFETY: the slice aliases memory QuickJS owns, valid until JavaScript runs again
    // (which could write, detach or move it). It lives only until `read` returns, and no
    // JavaScript runs meanwhile: every caller's `read` copies or decodes the bytes in
    // Rust, and every property read that could run a getter happened before this call.
    // Tested by the `send_memory` fixture and the `js_send_options` fuzz target.
    #[allow(unsafe_code)]
    let bytes = unsafe { buffer.as_bytes() };
    let Some(bytes) = bytes else {
        // Detached by a getter that ran after the message was looked at.
        let _ = buffer.as_value().ctx().catch();
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

/// A copy of the bytes an ArrayBuffer or view covers (`TextDecoder.decode`,
/// `wx.arrayBufferToBase64`).
pub(crate) fn view_bytes(value: &Value<'_>) -> Result<Vec<u8>, ViewError> {
    match message(value)? {
        Message::Text(_) => Err(ViewError::NotBuffer),
        Message::Typed(obj) => {
            let names = names(obj.ctx()).ok();
            let (buffer, window) = typed_window(&obj, names.as_deref())?;
            with_window(buffer.as_ref(), Some(window), <[u8]>::to_vec)
        }
        Message::Buffer(buffer, view) => {
            let window = view.as_ref().map(view_window).transpose()?;
            with_window(buffer.as_ref(), window, <[u8]>::to_vec)
        }
    }
}

/// Reads a send option object and calls `send` with typed options over a copy of the
/// bytes sent.
///
/// Every option is read first, in a fixed order (`address`, `port`, `message`, `offset`,
/// `length`, `setBroadcast`, then a view's `byteOffset` and `byteLength`), each of which
/// may run a getter, a Proxy trap or `valueOf`. A typed array's buffer and start are
/// its internal slots (no getter runs for them), and so is its length when the view
/// reaches the end of its buffer; otherwise its `byteLength` is read last. Only then are
/// the bytes copied: the range
/// is checked against the buffer as it is at that moment, and no JavaScript runs between
/// that check and the copy. So a getter that resizes, transfers or detaches the buffer
/// makes an error event (or sends what the buffer holds then), never a read of freed
/// memory.
pub(crate) fn with_send_options<'js>(
    method: Method,
    value: &Value<'js>,
    send: impl FnOnce(&SendOptions<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let obj = option_object(method, value)?;
    // The address is converted to text last (a string cannot change meanwhile), and
    // not again while the script sends the same string.
    let names = names(obj.ctx()).ok();
    let n = names.as_deref();
    let (address, port) = address_string_port(method, &obj, n)?;
    let message_value: Value<'js> = field_key(&obj, raw_key(n, |r| r.message, "message"));
    let message = message(&message_value)
        .map_err(|_| parameter(method, "message", "String/ArrayBuffer", &message_value))?;
    let index = |name: &'static str, atom: Key<'js>| -> Result<Option<usize>, Error> {
        let v: Value<'js> = field_key(&obj, atom);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        match v.as_number() {
            Some(n) => parse_index(method, name, n).map(Some),
            None => Err(parameter(method, name, "Number", &v)),
        }
    };
    let offset = index("offset", raw_key(n, |r| r.offset, "offset"))?;
    let length = index("length", raw_key(n, |r| r.length, "length"))?;
    let broadcast = truthy(&field_key(
        &obj,
        raw_key(n, |r| r.set_broadcast, "setBroadcast"),
    ));
    let invalid = |e: ViewError| Error::InvalidArgument {
        method,
        reason: e.reason().into(),
    };
    // The range sent, as the core selects it, copied while nothing else runs.
    let select =
        |bytes: &[u8]| byte_range(method, bytes, offset.unwrap_or(0), length).map(<[u8]>::to_vec);
    let copy: Vec<u8>;
    let payload = match &message {
        Message::Text(text) => Payload::Text(text),
        Message::Buffer(buffer, view) => {
            let window = view
                .as_ref()
                .map(view_window)
                .transpose()
                .map_err(invalid)?;
            copy = with_window(buffer.as_ref(), window, select).map_err(invalid)??;
            Payload::Bytes(&copy)
        }
        Message::Typed(obj) => {
            let (buffer, window) = typed_window(obj, n).map_err(invalid)?;
            copy = with_window(buffer.as_ref(), Some(window), select).map_err(invalid)??;
            Payload::Bytes(&copy)
        }
    };
    let send = |address: &str| {
        let mut options = SendOptions::new(address, port, payload).set_broadcast(broadcast);
        if let Message::Text(_) = message {
            // Ignored for text, as in WeChat; kept so that the core sees what was asked.
            options = options.offset(offset.unwrap_or(0));
            if let Some(length) = length {
                options = options.length(length);
            }
        }
        send(&options)
    };
    match n {
        Some(n) => n.with_address_text(&address, text, send),
        None => send(&text(&address)),
    }
}

fn truthy(value: &Value<'_>) -> bool {
    if let Some(b) = value.as_bool() {
        return b;
    }
    if let Some(n) = value.as_number() {
        return n != 0.0 && !n.is_nan();
    }
    if let Some(s) = string_ref(value) {
        return s.to_string().map(|s| !s.is_empty()).unwrap_or(false);
    }
    !(value.is_undefined() || value.is_null())
}

/// A new ArrayBuffer holding a copy of `bytes`, in memory QuickJS allocated and owns.
///
/// Never `ArrayBuffer::new`: that lends QuickJS a Rust `Vec` with a free function that
/// `transfer()` and detaching break (a detached buffer frees a null pointer, a transfer
/// to another length reallocates the `Vec` behind Rust's back), so a script could abort
/// the process or corrupt the heap.
pub(crate) fn js_array_buffer<'js>(
    ctx: Ctx<'js>,
    bytes: &[u8],
) -> rquickjs::Result<ArrayBuffer<'js>> {
    ArrayBuffer::new_copy(ctx, bytes)
}

/// The payload object WeChat passes to the listeners of `event`.
///
/// A message's objects get their properties in one fixed order, by interned names,
/// defined as an object literal's are (a setter on `Object.prototype` does not run), so
/// that QuickJS finds their shapes (kept alive by [`Names`](crate::runtime::names::Names)) instead
/// of building them; the address strings are reused while the peer stays the same.
pub(crate) fn event_payload<'js>(ctx: &Ctx<'js>, event: Event) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    match event {
        Event::Message(msg) => {
            let names = names(ctx)?;
            let (r, l) = (msg.remote.ip(), msg.local.ip());
            let raw = names.raw;
            let int = |n: usize| match i32::try_from(n) {
                Ok(n) => Value::new_int(ctx.clone(), n),
                Err(_) => Value::new_number(ctx.clone(), n as f64),
            };
            let remote = Object::new(ctx.clone())?;
            define(
                &remote,
                raw.address,
                names.remote_address(ctx, r)?.into_value(),
            )?;
            define(&remote, raw.family, names.family_of(&r).into_value())?;
            define(&remote, raw.port, int(msg.remote.port().into()))?;
            define(&remote, raw.size, int(msg.data.len()))?;
            let local = Object::new(ctx.clone())?;
            define(
                &local,
                raw.address,
                names.local_address(ctx, l)?.into_value(),
            )?;
            define(&local, raw.family, names.family_of(&l).into_value())?;
            define(&local, raw.port, int(msg.local.port().into()))?;
            let message = js_array_buffer(ctx.clone(), &msg.data)?;
            define(&obj, raw.message, message.into_value())?;
            define(&obj, raw.remote_info, remote.into_value())?;
            define(&obj, raw.local_info, local.into_value())?;
        }
        Event::Error(err) => {
            obj.set("errMsg", err.to_string())?;
            obj.set("errCode", err.code())?;
        }
        Event::Listening => obj.set("errMsg", "bind:ok")?,
        Event::Close => obj.set("errMsg", "close:ok")?,
        // An event kind this runtime does not know yet: an empty payload.
        _ => {}
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::unescape_json_string;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(unescape_json_string(r#""a\ud800b""#), "a\u{fffd}b");
        assert_eq!(unescape_json_string(r#""\udc00""#), "\u{fffd}");
        assert_eq!(
            unescape_json_string(r#""\ud83d\ude00 \"q\" \\ \n \u00e9""#),
            "\u{1f600} \"q\" \\ \n é"
        );
        assert_eq!(unescape_json_string(r#""é""#), "é");
    }
}
