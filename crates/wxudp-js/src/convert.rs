//! Conversions between JavaScript values and the core's typed values: ports, send
//! options and messages in; event payloads out. Bad input becomes a `wxudp::Error` with
//! WeChat's wording, never a JavaScript exception.

use rquickjs::{ArrayBuffer, Ctx, Object, Type, Value};
use wxudp::options::parse_index;
use wxudp::{family_name, Error, Event, Method, Payload, PortArg, SendOptions};

/// A property of an option object; `undefined` when it is missing or its getter throws.
fn field<'js>(obj: &Object<'js>, name: &str) -> Value<'js> {
    obj.get(name)
        .unwrap_or_else(|_| Value::new_undefined(obj.ctx().clone()))
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
        _ if ArrayBuffer::from_value(value.clone()).is_some() => "ArrayBuffer",
        _ => "Object",
    }
}

/// A port as the core's loose [`PortArg`]; the string is kept in `text`.
pub(crate) fn port_arg<'a>(value: &Value<'_>, text: &'a mut String) -> PortArg<'a> {
    if let Some(n) = value.as_number() {
        return PortArg::Number(n);
    }
    if let Some(s) = value.as_string() {
        *text = s.to_string().unwrap_or_default();
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
    match value.as_object() {
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
    let address: Value<'_> = field(obj, "address");
    let Some(address) = address.as_string().and_then(|s| s.to_string().ok()) else {
        return Err(parameter(method, "address", "String", &address));
    };
    let port: Value<'_> = field(obj, "port");
    let mut text = String::new();
    let port = port_arg(&port, &mut text).destination_port(method)?;
    Ok((address, port))
}

/// The bytes of a message: a string's UTF-8, an ArrayBuffer's bytes, or the bytes a view
/// (typed array, DataView, Uint8Array subclass) covers.
pub(crate) enum MessageBytes<'js> {
    Text(String),
    Buffer(ArrayBuffer<'js>, usize, usize),
}

impl MessageBytes<'_> {
    /// The payload these bytes make; an error for a detached buffer or a view outside it.
    pub(crate) fn payload(&self) -> Result<Payload<'_>, &'static str> {
        match self {
            MessageBytes::Text(s) => Ok(Payload::Text(s)),
            MessageBytes::Buffer(buf, start, len) => {
                let bytes = buf.as_bytes().ok_or("the ArrayBuffer is detached")?;
                bytes
                    .get(*start..start + len)
                    .map(Payload::Bytes)
                    .ok_or("the view lies outside its ArrayBuffer")
            }
        }
    }
}

pub(crate) fn message_bytes<'js>(
    method: Method,
    value: &Value<'js>,
) -> Result<MessageBytes<'js>, Error> {
    if let Some(s) = value.as_string() {
        return Ok(MessageBytes::Text(s.to_string().unwrap_or_default()));
    }
    if let Some(buf) = ArrayBuffer::from_value(value.clone()) {
        let len = buf.len();
        return Ok(MessageBytes::Buffer(buf, 0, len));
    }
    if let Some(obj) = value.as_object() {
        // ArrayBuffer.isView: a `buffer` that is an ArrayBuffer, plus offset and length.
        let buffer: Option<ArrayBuffer<'js>> = obj
            .get::<_, Value<'js>>("buffer")
            .ok()
            .and_then(ArrayBuffer::from_value);
        if let Some(buf) = buffer {
            let offset: f64 = obj.get("byteOffset").unwrap_or(0.0);
            let length: f64 = obj.get("byteLength").unwrap_or(0.0);
            // Typed array offsets and lengths are non-negative integers.
            return Ok(MessageBytes::Buffer(buf, offset as usize, length as usize));
        }
    }
    Err(parameter(method, "message", "String/ArrayBuffer", value))
}

/// Reads a send option object and calls `send` with typed options borrowing its bytes.
pub(crate) fn with_send_options<'js>(
    method: Method,
    value: &Value<'js>,
    send: impl FnOnce(&SendOptions<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let obj = option_object(method, value)?;
    let (address, port) = address_port(method, &obj)?;
    let message: Value<'js> = field(&obj, "message");
    let bytes = message_bytes(method, &message)?;
    let payload = bytes.payload().map_err(|reason| Error::InvalidArgument {
        method,
        reason: reason.into(),
    })?;
    let index = |name: &'static str| -> Result<Option<usize>, Error> {
        let v: Value<'js> = field(&obj, name);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        match v.as_number() {
            Some(n) => parse_index(method, name, n).map(Some),
            None => Err(parameter(method, name, "Number", &v)),
        }
    };
    let offset = index("offset")?;
    let length = index("length")?;
    let broadcast: Value<'js> = field(&obj, "setBroadcast");
    let mut options = SendOptions::new(&address, port, payload).set_broadcast(truthy(&broadcast));
    if let Some(offset) = offset {
        options = options.offset(offset);
    }
    if let Some(length) = length {
        options = options.length(length);
    }
    send(&options)
}

fn truthy(value: &Value<'_>) -> bool {
    if let Some(b) = value.as_bool() {
        return b;
    }
    if let Some(n) = value.as_number() {
        return n != 0.0 && !n.is_nan();
    }
    if let Some(s) = value.as_string() {
        return s.to_string().map(|s| !s.is_empty()).unwrap_or(false);
    }
    !(value.is_undefined() || value.is_null())
}

/// The payload object WeChat passes to the listeners of `event`.
pub(crate) fn event_payload<'js>(ctx: &Ctx<'js>, event: Event) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    match event {
        Event::Message(msg) => {
            let remote = Object::new(ctx.clone())?;
            remote.set("address", msg.remote.ip().to_string())?;
            remote.set("family", family_name(&msg.remote))?;
            remote.set("port", msg.remote.port())?;
            remote.set("size", msg.data.len())?;
            let local = Object::new(ctx.clone())?;
            local.set("address", msg.local.ip().to_string())?;
            local.set("family", family_name(&msg.local))?;
            local.set("port", msg.local.port())?;
            obj.set("message", ArrayBuffer::new(ctx.clone(), msg.data)?)?;
            obj.set("remoteInfo", remote)?;
            obj.set("localInfo", local)?;
        }
        Event::Error(err) => {
            obj.set("errMsg", err.to_string())?;
            obj.set("errCode", err.code())?;
        }
        Event::Listening => obj.set("errMsg", "bind:ok")?,
        Event::Close => obj.set("errMsg", "close:ok")?,
    }
    Ok(obj)
}
