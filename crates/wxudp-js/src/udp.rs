//! The native side of `UDPSocket`: one function per method, each taking the socket's id
//! and raw JavaScript values. Nothing here throws: every failure is reported through the
//! core engine as an `error` event (and `bind` returns 0).

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object, Persistent, Value};
use wxudp::options::parse_ttl;
use wxudp::{Engine, Error, EventKind, Method, SocketType};

use crate::convert::{address_port, option_object, port_arg, type_name, with_send_options};
use crate::host::Shared;

/// Adds the `udp*` natives to `n`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let h = host.clone();
    n.set(
        "udpCreate",
        Function::new(ctx.clone(), move |ty: Opt<Value<'js>>| -> u64 {
            let mut host = h.borrow_mut();
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
            let id = host.create_socket(*parsed.as_ref().unwrap_or(&SocketType::Udp4));
            if let (Err(e), Some(socket)) = (parsed, host.sockets.get(&id)) {
                socket.engine.report(e);
            }
            id
        })?,
    )?;

    let h = host.clone();
    n.set(
        "udpBind",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: Value<'js>, port: Opt<Value<'js>>| -> u16 {
                let Some(engine) = live_engine(&h, &id, Method::Bind) else {
                    return 0;
                };
                let mut text = String::new();
                match port_arg(&arg(&ctx, port), &mut text).bind_port() {
                    // The engine reports its own failures.
                    Ok(port) => engine.bind(port).unwrap_or(0),
                    Err(e) => {
                        engine.report(e);
                        0
                    }
                }
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpSend",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: Value<'js>, method: String, option: Opt<Value<'js>>| {
                let method = if method == "write" {
                    Method::Write
                } else {
                    Method::Send
                };
                let Some(engine) = live_engine(&h, &id, method) else {
                    return;
                };
                // The engine reports its own failures; conversion failures are reported here.
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
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpConnect",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: Value<'js>, option: Opt<Value<'js>>| {
                let method = Method::Connect;
                let Some(engine) = live_engine(&h, &id, method) else {
                    return;
                };
                let option = arg(&ctx, option);
                match option_object(method, &option).and_then(|obj| address_port(method, &obj)) {
                    // The engine reports its own failures.
                    Ok((address, port)) => {
                        let _ = engine.connect(&address, port);
                    }
                    Err(e) => {
                        engine.report(e);
                    }
                }
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpSetTTL",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: Value<'js>, ttl: Opt<Value<'js>>| {
                let method = Method::SetTtl;
                let Some(engine) = live_engine(&h, &id, method) else {
                    return;
                };
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
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpClose",
        Function::new(ctx.clone(), move |id: Value<'js>| {
            if let Some(engine) = engine(&h, &id) {
                let _ = engine.close();
            }
        })?,
    )?;

    let h = host.clone();
    n.set(
        "udpOn",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: Value<'js>, kind: String, listener: Value<'js>| {
                let mut host = h.borrow_mut();
                let (Some(socket), Some(kind), Some(f)) = (
                    socket_id(&id).and_then(|id| host.sockets.get_mut(&id)),
                    event_kind(&kind),
                    listener.into_function(),
                ) else {
                    return;
                };
                socket.listeners.add(kind, Persistent::save(&ctx, f));
            },
        )?,
    )?;

    let h = host.clone();
    n.set(
        "udpOff",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: Value<'js>, kind: String, listener: Opt<Value<'js>>| {
                let mut host = h.borrow_mut();
                let (Some(socket), Some(kind)) = (
                    socket_id(&id).and_then(|id| host.sockets.get_mut(&id)),
                    event_kind(&kind),
                ) else {
                    return;
                };
                match listener.0 {
                    None => {
                        socket.listeners.clear(kind);
                    }
                    // By identity: a fresh function removes nothing.
                    Some(f) => {
                        socket.listeners.remove_where(kind, |saved| {
                            saved
                                .clone()
                                .restore(&ctx)
                                .is_ok_and(|saved| saved.into_value() == f)
                        });
                    }
                }
            },
        )?,
    )?;
    Ok(())
}

/// The engine of the socket `id`, taken out of the shared state so that no borrow is held
/// while option getters (user code) run.
fn engine(host: &Shared, id: &Value<'_>) -> Option<Rc<Engine>> {
    let id = socket_id(id)?;
    host.borrow().sockets.get(&id).map(|s| s.engine.clone())
}

/// The engine of the socket `id` unless it is closed; a closed socket reports
/// `<method>:fail socket is closed` first, whatever the arguments.
fn live_engine(host: &Shared, id: &Value<'_>, method: Method) -> Option<Rc<Engine>> {
    let engine = engine(host, id)?;
    if engine.is_closed() {
        engine.report(Error::Closed { method });
        return None;
    }
    Some(engine)
}

/// An optional argument, `undefined` when it was not passed.
fn arg<'js>(ctx: &Ctx<'js>, value: Opt<Value<'js>>) -> Value<'js> {
    value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}

fn socket_id(value: &Value<'_>) -> Option<u64> {
    let n = value.as_number()?;
    (n.fract() == 0.0 && n >= 1.0).then_some(n as u64)
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
