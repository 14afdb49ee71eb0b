//! The native side of `UDPSocket`: one function per method, each taking the socket's
//! handle and raw JavaScript values. Nothing here throws: every failure is reported through the
//! core engine as an `error` event (and `bind` returns 0).

pub(crate) mod sockets;

use rquickjs::function::{Opt, This};
use rquickjs::{Atom, Class, Ctx, Exception, Function, Object, Value};
use wxudp::frontend::{self, Calls, Off};
use wxudp::{Error, EventKind, Method, SocketType};

use crate::runtime::convert::{object_ref, with_send_options, Qjs};
use crate::runtime::host::Shared;
use crate::runtime::names::names;
use crate::wx::udp::sockets::{handle_of, SocketHandle};

/// Adds the `udp*` natives to `n`. Each takes the socket's handle (see
/// [`SocketHandle`]) and raw JavaScript values.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    // Made now, while no other user data is borrowed (see `names`).
    drop(crate::runtime::names::names(ctx)?);
    // wx.canIUse's table starts with the core's rows for the UDP API (wx/wx.js).
    let table: Vec<[&str; 2]> = frontend::can_i_use::UDP_API
        .iter()
        .map(|(api, since)| [*api, *since])
        .collect();
    n.set(
        "udpCanIUse",
        serde_json::to_string(&table).map_err(|_| rquickjs::Error::Unknown)?,
    )?;
    n.set(
        "canIUseKey",
        Function::new(ctx.clone(), |schema: crate::runtime::convert::JsText| {
            frontend::can_i_use::key(&schema.0).to_owned()
        })?,
    )?;
    let h = host.clone();
    n.set(
        "udpCreate",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  ty: Opt<Value<'js>>|
                  -> rquickjs::Result<Class<'js, SocketHandle<'js>>> {
                let parsed = frontend::socket_type(&Qjs::new(None), &arg(&ctx, ty));
                // An unknown type still makes a (udp4) socket, with an error event queued.
                let handle = h
                    .borrow_mut()
                    .sockets
                    .create(&ctx, *parsed.as_ref().unwrap_or(&SocketType::Udp4))?;
                // A socket refused for memory is closed with its own error already.
                if let (Err(e), false) = (parsed, handle.borrow().is_refused()) {
                    let engine = handle.borrow().engine();
                    let _ = engine.invoke(Method::CreateUdpSocket, |_| Err::<(), _>(e));
                }
                h.borrow_mut().sockets.settle(&ctx, &handle);
                Ok(handle)
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpBind",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, this: Value<'js>, port: Opt<Value<'js>>| -> u16 {
                call(&ctx, &h, &this, Method::Bind, |calls| {
                    calls.bind(frontend::bind_port(&Qjs::new(None), &arg(&ctx, port))?)
                })
                .unwrap_or(0)
            },
        )?,
    )?;

    // `send` and `write` themselves, on `UDPSocket.prototype`: called as methods, with
    // no JavaScript wrapper between the script and the native (the other methods keep
    // theirs: they are not called thousands of times a second).
    n.set(
        "udpKey",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, key: Value<'js>| {
            let atom = Atom::from_value(ctx.clone(), &key)?;
            *names(&ctx)?.socket_key.borrow_mut() = Some(atom);
            Ok::<_, rquickjs::Error>(())
        })?,
    )?;
    for (name, method) in [("send", Method::Send), ("write", Method::Write)] {
        let h = host.clone();
        let f = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  this: This<Value<'js>>,
                  option: Opt<Value<'js>>|
                  -> rquickjs::Result<()> {
                let handle = socket_of(&ctx, &this.0)?;
                call_on(&ctx, &h, &handle, method, |calls| {
                    with_send_options(method, &arg(&ctx, option), |opts| match method {
                        Method::Write => calls.write(opts),
                        _ => calls.send(opts),
                    })
                });
                Ok(())
            },
        )?
        .with_name(name)?
        .with_length(1)?;
        n.set(format!("udp_{name}"), f)?;
    }

    let h = host.clone();
    n.set(
        "udpConnect",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, this: Value<'js>, option: Opt<Value<'js>>| {
                call(&ctx, &h, &this, Method::Connect, |calls| {
                    let names = names(&ctx).ok();
                    let source = Qjs::new(names.as_deref());
                    let (address, port) = frontend::connect_options(&source, &arg(&ctx, option))?;
                    calls.connect(&address, port)
                });
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpSetTTL",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, this: Value<'js>, ttl: Opt<Value<'js>>| {
                call(&ctx, &h, &this, Method::SetTtl, |calls| {
                    let ttl = frontend::ttl(&Qjs::new(None), &arg(&ctx, ttl))?;
                    calls.set_ttl(u32::from(ttl))
                });
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpClose",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, this: Value<'js>| {
            if let Some(handle) = handle_of(&this) {
                let engine = handle.borrow().engine();
                let _ = engine.close();
                h.borrow_mut().sockets.settle(&ctx, &handle);
            }
        })?,
    )?;

    n.set(
        "udpOn",
        Function::new(
            ctx.clone(),
            move |this: Value<'js>, kind: String, listener: Value<'js>| {
                let (Some(handle), Some(kind), Some(f)) = (
                    handle_of(&this),
                    event_kind(&kind),
                    listener.into_function(),
                ) else {
                    return;
                };
                handle.borrow_mut().listeners.add(kind, f);
            },
        )?,
    )?;

    n.set(
        "udpOff",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, this: Value<'js>, kind: String, listener: Opt<Value<'js>>| {
                let (Some(handle), Some(kind)) = (handle_of(&this), event_kind(&kind)) else {
                    return;
                };
                let listener = arg(&ctx, listener);
                let mut handle = handle.borrow_mut();
                match frontend::off(&Qjs::new(None), &listener) {
                    Off::Every => {
                        handle.listeners.clear(kind);
                    }
                    Off::Same(f) => {
                        handle
                            .listeners
                            .remove_where(kind, |saved| saved.as_value() == f);
                    }
                }
            },
        )?,
    )?;
    Ok(())
}

/// Runs one call on the socket `this` through
/// [`Engine::invoke`](wxudp::frontend::Engine::invoke): a closed socket
/// reports `<method>:fail socket is closed` before its arguments are read, and every
/// failure (a bad argument or the engine's) becomes one `error` event. No borrow of
/// the handle is held while `f` runs (option getters are JavaScript). Afterwards the
/// run keeps the socket or lets it go, as its state now asks.
fn call<'js, T>(
    ctx: &Ctx<'js>,
    host: &Shared,
    this: &Value<'js>,
    method: Method,
    f: impl FnOnce(&Calls<'_>) -> Result<T, Error>,
) -> Option<T> {
    let handle = handle_of(this)?;
    call_on(ctx, host, &handle, method, f)
}

/// [`call`] on a socket's handle already found.
fn call_on<'js, T>(
    ctx: &Ctx<'js>,
    host: &Shared,
    handle: &Class<'js, SocketHandle<'js>>,
    method: Method,
    f: impl FnOnce(&Calls<'_>) -> Result<T, Error>,
) -> Option<T> {
    if handle.borrow().is_refused() {
        // Closed from the start, without an engine of its own: it answers as a closed
        // socket does, before its arguments are read.
        let mut h = host.borrow_mut();
        h.sockets.refuse(handle, Error::Closed { method });
        h.sockets.settle(ctx, handle);
        return None;
    }
    let engine = handle.borrow().engine();
    let out = engine.invoke(method, f).ok();
    host.borrow_mut().sockets.settle(ctx, handle);
    out
}

/// The handle of the `UDPSocket` a method was called on (`this[ID]` in the prelude's
/// terms), or the TypeError the prelude's methods throw for anything else.
fn socket_of<'js>(
    ctx: &Ctx<'js>,
    this: &Value<'js>,
) -> rquickjs::Result<Class<'js, SocketHandle<'js>>> {
    let handle = match (object_ref(this), names(ctx)?.socket_key.borrow().clone()) {
        (Some(obj), Some(key)) => obj.get::<_, Value<'js>>(key)?,
        _ => Value::new_undefined(ctx.clone()),
    };
    handle_of(&handle)
        .ok_or_else(|| Exception::throw_type(ctx, "Illegal invocation: not a UDPSocket"))
}

/// An optional argument, `undefined` when it was not passed.
fn arg<'js>(ctx: &Ctx<'js>, value: Opt<Value<'js>>) -> Value<'js> {
    value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}

fn event_kind(name: &str) -> Option<EventKind> {
    match name {
        "message" => Some(EventKind::Message),
        "error" => Some(EventKind::Error),
        "listening" => Some(EventKind::Listening),
        "close" => Some(EventKind::Close),
        _ => None,
    }
}
