//! QuickJS values for the core's rulebook ([`wxudp::frontend::Source`]): what a value
//! is, its properties, its bytes; and event payloads out. The rules (which option is
//! read when, what a port is, which fault wins) are the core's; bad input becomes a
//! `wxudp::Error` with WeChat's wording, never a JavaScript exception.

use rquickjs::{qjs, ArrayBuffer, Ctx, IntoAtom, Object, U8Clamped, Value};
pub(crate) use wxudp::frontend::ViewError;
use wxudp::frontend::{Key, Kind, Source};
use wxudp::{Error, Event, Method, SendOptions};

use crate::runtime::names::{self, key, names, new_like, raw_key, Names};

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
fn field_key<'js>(obj: &Object<'js>, key: names::Key<'js>) -> Value<'js> {
    let names::Key::Raw(atom, _) = key else {
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
fn index<'js>(view: &Object<'js>, name: names::Key<'js>) -> Result<usize, ViewError> {
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

/// The run's QuickJS values as the rulebook's [`Source`]: option names are read by the
/// atoms the run interned once ([`Names`]), a typed array's window comes from its
/// internal slots, and the text of an address the script sends to again and again is
/// made once.
pub(crate) struct Qjs<'n, 'js> {
    names: Option<&'n Names<'js>>,
}

impl<'n, 'js> Qjs<'n, 'js> {
    pub(crate) fn new(names: Option<&'n Names<'js>>) -> Self {
        Qjs { names }
    }

    fn key(&self, key: Key) -> names::Key<'js> {
        let n = self.names;
        match key {
            Key::Address => raw_key(n, |r| r.address, "address"),
            Key::Port => raw_key(n, |r| r.port, "port"),
            Key::Message => raw_key(n, |r| r.message, "message"),
            Key::Offset => raw_key(n, |r| r.offset, "offset"),
            Key::Length => raw_key(n, |r| r.length, "length"),
            Key::SetBroadcast => raw_key(n, |r| r.set_broadcast, "setBroadcast"),
            Key::Buffer => names::key(n, |n| &n.buffer, "buffer"),
            Key::ByteOffset => names::key(n, |n| &n.byte_offset, "byteOffset"),
            Key::ByteLength => raw_key(n, |r| r.byte_length, "byteLength"),
        }
    }
}

impl<'js> Source for Qjs<'_, 'js> {
    type Value = Value<'js>;

    fn kind(&self, v: &Value<'js>) -> Kind {
        // By tag first: the send path asks for every option.
        if v.is_string() {
            Kind::String
        } else if v.is_object() {
            if v.is_function() {
                Kind::Function
            } else if v.is_array() {
                Kind::Array
            } else {
                Kind::Object
            }
        } else if v.is_number() {
            Kind::Number
        } else if v.is_undefined() {
            Kind::Undefined
        } else if v.is_null() {
            Kind::Null
        } else if v.is_bool() {
            Kind::Boolean
        } else if v.is_symbol() {
            Kind::Symbol
        } else if v.is_big_int() {
            Kind::BigInt
        } else {
            Kind::Object
        }
    }

    fn is_array_buffer(&self, v: &Value<'js>) -> bool {
        !matches!(array_buffer(v), BufferKind::Not)
    }

    fn is_view(&self, v: &Value<'js>) -> bool {
        object_ref(v).is_some_and(is_typed_array)
    }

    fn number(&self, v: &Value<'js>) -> Option<f64> {
        v.as_number()
    }

    fn text(&self, v: &Value<'js>) -> Option<String> {
        string_ref(v).map(text)
    }

    fn truthy(&self, v: &Value<'js>) -> bool {
        truthy(v)
    }

    fn get(&self, obj: &Value<'js>, key: Key) -> Value<'js> {
        match object_ref(obj) {
            Some(o) => field_key(o, self.key(key)),
            None => Value::new_undefined(obj.ctx().clone()),
        }
    }

    fn with_bytes<R>(
        &self,
        v: &Value<'js>,
        window: Option<(usize, usize)>,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, ViewError> {
        if window.is_none() {
            if let Some(obj) = object_ref(v).filter(|o| is_typed_array(o)) {
                let (buffer, window) = typed_window(obj, self.names)?;
                return with_window(buffer.as_ref(), Some(window), read);
            }
        }
        match array_buffer(v) {
            BufferKind::Live(buffer) => with_window(Some(&buffer), window, read),
            BufferKind::Detached => Err(ViewError::Detached),
            BufferKind::Not => Err(ViewError::NotBuffer),
        }
    }

    fn with_text<R>(&self, v: &Value<'js>, f: impl FnOnce(&str) -> R) -> R {
        match (self.names, string_ref(v)) {
            (Some(n), Some(s)) => n.with_address_text(s, text, f),
            (_, Some(s)) => f(&text(s)),
            _ => f(""),
        }
    }
}

/// A copy of the bytes an ArrayBuffer or view covers (`TextDecoder.decode`,
/// `wx.arrayBufferToBase64`).
pub(crate) fn view_bytes(value: &Value<'_>) -> Result<Vec<u8>, ViewError> {
    let names = names(value.ctx()).ok();
    wxudp::frontend::view_bytes(&Qjs::new(names.as_deref()), value)
}

/// `send(option)`/`write(option)` by the core's rules ([`wxudp::frontend::send_options`]):
/// every option read first, then the bytes copied while no JavaScript runs.
pub(crate) fn with_send_options<'js>(
    method: Method,
    value: &Value<'js>,
    send: impl FnOnce(&SendOptions<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let names = names(value.ctx()).ok();
    wxudp::frontend::send_options(&Qjs::new(names.as_deref()), method, value, send)
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
/// A message's three objects are each made at once with their final shape, like the
/// templates [`Names`](crate::runtime::names::Names) keeps ([`new_like`]): properties
/// in one fixed order, plain data properties as an object literal's (a setter on
/// `Object.prototype` does not run); the address strings are reused while the peer
/// stays the same.
pub(crate) fn event_payload<'js>(ctx: &Ctx<'js>, event: Event) -> rquickjs::Result<Object<'js>> {
    let obj = match event {
        Event::Message(msg) => return message_payload(ctx, &msg),
        _ => Object::new(ctx.clone())?,
    };
    match event {
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

/// `{message, remoteInfo: {address, family, port, size}, localInfo: {address, family,
/// port}}`.
fn message_payload<'js>(ctx: &Ctx<'js>, msg: &wxudp::Message) -> rquickjs::Result<Object<'js>> {
    let names = names(ctx)?;
    let (r, l) = (msg.remote.ip(), msg.local.ip());
    let int = |n: usize| match i32::try_from(n) {
        Ok(n) => Value::new_int(ctx.clone(), n),
        Err(_) => Value::new_number(ctx.clone(), n as f64),
    };
    let remote = new_like(
        &names.remote_template,
        [
            names.remote_address(ctx, r)?.into_value(),
            names.family_of(&r).into_value(),
            int(msg.remote.port().into()),
            int(msg.data.len()),
        ],
    )?;
    let local = new_like(
        &names.local_template,
        [
            names.local_address(ctx, l)?.into_value(),
            names.family_of(&l).into_value(),
            int(msg.local.port().into()),
        ],
    )?;
    let message = js_array_buffer(ctx.clone(), &msg.data)?;
    new_like(
        &names.result_template,
        [
            message.into_value(),
            remote.into_value(),
            local.into_value(),
        ],
    )
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
