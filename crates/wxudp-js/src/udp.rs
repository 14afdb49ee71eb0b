//! The native side of `UDPSocket`: one function per method, each taking the socket's
//! handle and raw JavaScript values. Nothing here throws: every failure is reported through the
//! core engine as an `error` event (and `bind` returns 0).

use rquickjs::function::Opt;
use rquickjs::{Class, Ctx, Function, Object, Value};
use wxudp::options::parse_ttl;
use wxudp::{Engine, Error, EventKind, Method, SocketType};

use crate::convert::{address_port, option_object, port_arg, type_name, with_send_options};
use crate::host::Shared;
use crate::sockets::{handle_of, SocketHandle};

/// Adds the `udp*` natives to `n`. Each takes the socket's handle (see
/// [`SocketHandle`]) and raw JavaScript values.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let h = host.clone();
    n.set(
        "udpCreate",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  ty: Opt<Value<'js>>|
                  -> rquickjs::Result<Class<'js, SocketHandle<'js>>> {
                let ty = ty.0.filter(|v| !v.is_undefined() && !v.is_null());
                let parsed = match &ty {
                    None => Ok(SocketType::Udp4),
                    Some(v) => match v.as_string().and_then(|s| s.to_string().ok()) {
                        Some(name) => SocketType::parse(&name),
                        None => Err(Error::InvalidType {
                            given: type_name(v).into(),
                        }),
                    },
                };
                // An unknown type still makes a (udp4) socket, with an error event queued.
                let handle = h
                    .borrow_mut()
                    .sockets
                    .create(&ctx, *parsed.as_ref().unwrap_or(&SocketType::Udp4))?;
                if let Err(e) = parsed {
                    handle.borrow().engine().report(e);
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
                with_live(&ctx, &h, &this, Method::Bind, |engine| {
                    let mut text = String::new();
                    match port_arg(&arg(&ctx, port), &mut text).bind_port() {
                        // The engine reports its own failures.
                        Ok(port) => engine.bind(port).unwrap_or(0),
                        Err(e) => {
                            engine.report(e);
                            0
                        }
                    }
                })
                .unwrap_or(0)
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpSend",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, this: Value<'js>, method: String, option: Opt<Value<'js>>| {
                let method = if method == "write" {
                    Method::Write
                } else {
                    Method::Send
                };
                with_live(&ctx, &h, &this, method, |engine| {
                    // The engine reports its own failures; conversion failures are
                    // reported here.
                    let mut from_engine = false;
                    let result = with_send_options(method, &arg(&ctx, option), |opts| {
                        from_engine = true;
                        match method {
                            Method::Write => engine.write(opts),
                            _ => engine.send(opts),
                        }
                    });
                    if let (Err(e), false) = (result, from_engine) {
                        engine.report(e);
                    }
                });
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpConnect",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, this: Value<'js>, option: Opt<Value<'js>>| {
                let method = Method::Connect;
                with_live(&ctx, &h, &this, method, |engine| {
                    let option = arg(&ctx, option);
                    match option_object(method, &option).and_then(|obj| address_port(method, &obj))
                    {
                        // The engine reports its own failures.
                        Ok((address, port)) => {
                            let _ = engine.connect(&address, port);
                        }
                        Err(e) => {
                            engine.report(e);
                        }
                    }
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
                let method = Method::SetTtl;
                with_live(&ctx, &h, &this, method, |engine| {
                    let ttl = arg(&ctx, ttl);
                    let parsed = match ttl.as_number() {
                        Some(n) => parse_ttl(n),
                        None => Err(Error::Parameter {
                            method,
                            name: "ttl",
                            expected: "Number",
                            found: type_name(&ttl).into(),
                        }),
                    };
                    match parsed {
                        // The engine reports its own failures.
                        Ok(ttl) => {
                            let _ = engine.set_ttl(u32::from(ttl));
                        }
                        Err(e) => {
                            engine.report(e);
                        }
                    }
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
            move |this: Value<'js>, kind: String, listener: Opt<Value<'js>>| {
                let (Some(handle), Some(kind)) = (handle_of(&this), event_kind(&kind)) else {
                    return;
                };
                let mut handle = handle.borrow_mut();
                match listener.0 {
                    None => {
                        handle.listeners.clear(kind);
                    }
                    // By identity: a fresh function removes nothing.
                    Some(f) => {
                        handle
                            .listeners
                            .remove_where(kind, |saved| saved.as_value() == &f);
                    }
                }
            },
        )?,
    )?;
    Ok(())
}

/// Runs `call` with the engine of the socket `this`, unless it is closed: a closed
/// socket reports `<method>:fail socket is closed` first, whatever the arguments. No
/// borrow of the handle is held while `call` runs (option getters are JavaScript).
/// Afterwards the run keeps the socket or lets it go, as its state now asks.
fn with_live<'js, T>(
    ctx: &Ctx<'js>,
    host: &Shared,
    this: &Value<'js>,
    method: Method,
    call: impl FnOnce(&Engine) -> T,
) -> Option<T> {
    let handle = handle_of(this)?;
    let engine = handle.borrow().engine();
    let out = if engine.is_closed() {
        engine.report(Error::Closed { method });
        None
    } else {
        Some(call(&engine))
    };
    host.borrow_mut().sockets.settle(ctx, &handle);
    out
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
