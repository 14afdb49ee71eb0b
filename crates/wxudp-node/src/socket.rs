//! The methods of `UDPSocket` as the loader calls them: each goes through the core's
//! [`Engine::invoke`], its arguments read by the core's rulebook over [`Napi`]; and the
//! listener registrations, `canIUse` and the option names.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;
use wxudp::frontend::{self, Delivery, Engine, Off, Registry};
use wxudp::{Method, Policy, SocketType};

use crate::convert::Napi;
use crate::dispatch::kind_of;
use crate::js::{Cx, Val};
use crate::state::{runtime, with_addon, Socket};

/// `createUDPSocket(type)` for loader `host`: a new socket's id. An unknown type still
/// makes a udp4 socket, with an `error` event queued.
#[napi]
pub fn create(env: Env, host: u32, ty: Unknown<'_>) -> napi::Result<u32> {
    let cx = Cx::new(&env);
    let parsed = frontend::socket_type(&Napi::new(cx), &Val::from_unknown(&ty));
    let made = with_addon(|a| {
        let queue = a.hosts.get(&host)?.queue.clone();
        let id = a.id();
        let pending = Arc::new(AtomicUsize::new(0));
        let counter = pending.clone();
        let sink = move |d: Delivery| {
            counter.fetch_add(1, Ordering::AcqRel);
            queue.push(id, d);
        };
        let runtime = runtime();
        let engine = Arc::new(Engine::with_limits(
            *parsed.as_ref().unwrap_or(&SocketType::Udp4),
            Policy::Any,
            a.limits.clone(),
            sink,
            runtime.clone(),
            runtime,
        ));
        a.sockets.insert(
            id,
            Socket {
                engine: engine.clone(),
                listeners: Registry::default(),
                pending,
            },
        );
        Some((id, engine))
    });
    let Some((id, engine)) = made else {
        return Err(napi::Error::from_reason("wxudp: unknown loader"));
    };
    if let Err(e) = parsed {
        let _ = engine.invoke(Method::CreateUdpSocket, |_| Err::<(), _>(e));
    }
    Ok(id)
}

/// The engine of socket `id` (cloned out, so that no borrow of the host is held while
/// JavaScript runs: option getters may call back into the addon).
fn engine(id: u32) -> Option<Arc<Engine>> {
    with_addon(|a| a.sockets.get(&id).map(|s| s.engine.clone()))
}

/// `bind(port)`: the bound port, or 0 (and an `error` event).
#[napi]
pub fn bind(env: Env, id: u32, port: Unknown<'_>) -> u32 {
    let cx = Cx::new(&env);
    let Some(engine) = engine(id) else { return 0 };
    let port = Val::from_unknown(&port);
    engine
        .invoke(Method::Bind, |calls| {
            calls.bind(frontend::bind_port(&Napi::new(cx), &port)?)
        })
        .map_or(0, u32::from)
}

/// `send(option)`; `keys` is the loader's array of option names (see
/// `Napi::with_keys`).
#[napi]
pub fn send(env: Env, id: u32, option: Unknown<'_>, keys: Unknown<'_>) {
    send_or_write(env, id, option, keys, Method::Send);
}

/// `write(option)`, as [`send`].
#[napi]
pub fn write(env: Env, id: u32, option: Unknown<'_>, keys: Unknown<'_>) {
    send_or_write(env, id, option, keys, Method::Write);
}

fn send_or_write(env: Env, id: u32, option: Unknown<'_>, keys: Unknown<'_>, method: Method) {
    let cx = Cx::new(&env);
    let Some(engine) = engine(id) else { return };
    let option = Val::from_unknown(&option);
    let source = Napi::with_keys(cx, Val::from_unknown(&keys));
    let _ = engine.invoke(method, |calls| {
        frontend::send_options(&source, method, &option, |opts| match method {
            Method::Write => calls.write(opts),
            _ => calls.send(opts),
        })
    });
}

/// `connect(option)`, as [`send`].
#[napi]
pub fn connect(env: Env, id: u32, option: Unknown<'_>, keys: Unknown<'_>) {
    let cx = Cx::new(&env);
    let Some(engine) = engine(id) else { return };
    let option = Val::from_unknown(&option);
    let source = Napi::with_keys(cx, Val::from_unknown(&keys));
    let _ = engine.invoke(Method::Connect, |calls| {
        let (address, port) = frontend::connect_options(&source, &option)?;
        calls.connect(&address, port)
    });
}

/// `setTTL(ttl)`.
#[napi(js_name = "setTTL")]
pub fn set_ttl(env: Env, id: u32, ttl: Unknown<'_>) {
    let cx = Cx::new(&env);
    let Some(engine) = engine(id) else { return };
    let ttl = Val::from_unknown(&ttl);
    let _ = engine.invoke(Method::SetTtl, |calls| {
        calls.set_ttl(u32::from(frontend::ttl(&Napi::new(cx), &ttl)?))
    });
}

/// `close()`.
#[napi]
pub fn close(id: u32) {
    if let Some(engine) = engine(id) {
        let _ = engine.close();
    }
}

/// Whether the loop needs socket `id` (open, or events on their way).
#[napi]
pub fn is_live(id: u32) -> bool {
    with_addon(|a| a.sockets.get(&id).is_some_and(Socket::live))
}

/// The loader let socket `id` go (its object was garbage-collected): the engine is
/// dropped, which closes it if it was still open.
#[napi]
pub fn release(id: u32) {
    let socket = with_addon(|a| a.sockets.remove(&id));
    drop(socket);
}

/// Registers listener slot `slot` for event `kind` (0 message, 1 error, 2 listening,
/// 3 close).
#[napi]
pub fn on(id: u32, kind: u32, slot: u32) {
    let Some(kind) = kind_of(kind) else { return };
    with_addon(|a| {
        if let Some(s) = a.sockets.get_mut(&id) {
            s.listeners.add(kind, slot);
        }
    });
}

/// `offX(listener)` for event `kind`: removes what the core's rule says
/// ([`frontend::off`]): every registration of `kind` when `listener` is `undefined`,
/// else those whose slot in `fns` (the loader's array of listeners) holds that same
/// function. Returns the slots removed, for the loader to free.
#[napi]
pub fn off(env: Env, id: u32, kind: u32, listener: Unknown<'_>, fns: Unknown<'_>) -> Vec<u32> {
    let Some(kind) = kind_of(kind) else {
        return Vec::new();
    };
    let cx = Cx::new(&env);
    let (listener, fns) = (Val::from_unknown(&listener), Val::from_unknown(&fns));
    // The slots to remove, found before the addon is borrowed.
    let slots: Option<Vec<u32>> = match frontend::off(&Napi::new(cx), &listener) {
        Off::Every => None,
        Off::Same(f) => Some(
            (0..cx.array_length(fns))
                .filter(|i| {
                    cx.element(fns, *i)
                        .is_some_and(|saved| cx.strict_equals(saved, *f))
                })
                .collect(),
        ),
    };
    with_addon(|a| {
        let mut removed = Vec::new();
        if let Some(s) = a.sockets.get_mut(&id) {
            s.listeners.remove_where(kind, |slot| {
                let hit = slots.as_ref().is_none_or(|c| c.contains(slot));
                if hit {
                    removed.push(*slot);
                }
                hit
            });
        }
        removed
    })
}

/// The option names the readers ask for, in the order of [`frontend::Key::ALL`]: the
/// loader keeps this array and passes it back with each option object.
#[napi]
pub fn option_keys() -> Vec<&'static str> {
    frontend::Key::ALL.iter().map(|k| k.name()).collect()
}

/// `wx.canIUse` for the UDP API: whether `schema` names a part of it (the package
/// implements the newest base library whole); the core's table.
#[napi(js_name = "canIUse")]
pub fn can_i_use(schema: String) -> bool {
    frontend::can_i_use::since(&schema).is_some()
}

/// The table key of a `canIUse` schema (a trailing `.success`, `.fail` or `.complete`
/// dropped), for the loader's own entries.
#[napi(js_name = "canIUseKey")]
pub fn can_i_use_key(schema: String) -> String {
    frontend::can_i_use::key(&schema).to_owned()
}
