//! wxudp for Node.js: the wxudp core as a native addon, so that Node (and Jest suites of
//! mini programs) get a real `wx.createUDPSocket`.
//!
//! This crate is the native half of the npm package in this folder; `index.js` (the
//! loader) is the other: it makes the `UDPSocket` objects, keeps their listeners, and
//! calls them. Like the JS runtime (`crates/wxudp-js`), it is a front end of the core
//! that re-implements no rule of the contract:
//!
//! * every call goes through [`Engine::invoke`], so a closed socket is judged before its
//!   arguments are read and every failure becomes exactly one `error` event;
//! * arguments are parsed by `wxudp::options` (`convert.rs` only reads JavaScript values,
//!   in the JS runtime's order and with its wording);
//! * listeners are registered in a [`Registry`] (of the loader's listener slots), so
//!   `on`/`off` and snapshot dispatch follow the core's rules;
//! * each event passes [`Delivery::accept`] when it is dispatched, and the budgets are the
//!   core's [`Limits`].
//!
//! Events travel from the engines (on a tokio thread of the addon, and on the loop
//! thread for the events a call causes) through one queue per loader to the loop thread:
//! the first event queued calls a napi threadsafe function, and its callback (`dispatch`
//! in the loader) takes every event queued by then, so a burst of datagrams is one hop.
//! The threadsafe function exists (and references the loop) only while one of the
//! loader's sockets is open or has events waiting, so an open socket keeps the process
//! alive and a closed one does not, as with `dgram`.
//!
//! Here: the loader's set-up and keep-alive; `state.rs` the addon's state per loop
//! thread (loaders, their event queues, sockets, the I/O runtime); `socket.rs` the
//! socket methods and listener registrations; `dispatch.rs` how queued events are handed
//! to the loader; `convert.rs` and `js.rs` the JavaScript values.
//!
//! [`Engine::invoke`]: wxudp::frontend::Engine::invoke
//! [`Registry`]: wxudp::frontend::Registry
//! [`Delivery::accept`]: wxudp::frontend::Delivery::accept
//! [`Limits`]: wxudp::Limits

// The workspace denies `unsafe`, and this crate keeps that: the unsafe code the napi-rs
// macros (`#[napi]`) generate (the C entry points Node calls, the registration of the
// exports) comes from another crate's macro expansion, which the lint does not count
// against this one. The only `unsafe` written here is in `js.rs`, which allows it for
// that module alone and says why at each block.

mod convert;
mod dispatch;
mod js;
mod socket;
mod state;

pub use dispatch::{fill, next};
pub use socket::{
    bind, can_i_use, can_i_use_key, close, connect, create, is_live, off, on, option_keys, release,
    send, set_ttl, write,
};

use std::collections::VecDeque;
use std::sync::Arc;

use napi::bindgen_prelude::{Function, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::js::{Cx, Val};
use crate::state::{with_addon, Host, Wake};

/// The interface between `index.js` and this addon: the loader refuses an addon built
/// from other sources than its own (raise it with any change of the native functions).
#[napi]
pub const INTERFACE: u32 = 1;

/// Sets up one loader (`index.js`): returns its id. `array_buffer` is the loader's
/// `ArrayBuffer` constructor.
#[napi]
pub fn init(env: Env, array_buffer: Unknown<'_>) -> u32 {
    if !with_addon(|a| std::mem::replace(&mut a.cleanup, true)) {
        // When the environment ends (a worker terminated, the process exits), its
        // sockets close: their ports are freed and what they queued is flushed.
        let _ = env.add_env_cleanup_hook((), |()| {
            let (sockets, hosts) =
                with_addon(|a| (std::mem::take(&mut a.sockets), std::mem::take(&mut a.hosts)));
            for socket in sockets.values() {
                let _ = socket.engine.close();
            }
            for host in hosts.values() {
                // Not released: Node's own clean-up of the threadsafe function (a hook
                // registered after this one, so run before it) has closed it already,
                // and a release now fails (napi-rs panics on that, aborting the
                // process). Forgetting it leaks only its handle, once per environment.
                std::mem::forget(host.queue.lock().wake.take());
            }
        });
    }
    let cx = Cx::new(&env);
    let probe = cx.array_buffer(&[]);
    let foreign = !cx.instance_of(probe, Val::from_unknown(&array_buffer));
    with_addon(|a| {
        let id = a.id();
        a.hosts.insert(
            id,
            Host {
                queue: Arc::default(),
                foreign,
                message: Vec::new(),
                batch: VecDeque::new(),
                snapshot: Vec::new(),
            },
        );
        id
    })
}

/// Keeps the loop alive while loader `host` holds a live socket: with `dispatch`, a
/// threadsafe function that calls it is made (it references the loop, as `dgram`
/// references an open socket's handle) and woken if events wait; with `null`, it is
/// released, and nothing of the loader is kept from the garbage collector.
#[napi]
pub fn keep_alive(
    host: u32,
    dispatch: Option<Function<'_, (), Unknown<'static>>>,
) -> napi::Result<()> {
    let Some(queue) = with_addon(|a| a.hosts.get(&host).map(|h| h.queue.clone())) else {
        return Ok(());
    };
    let wake: Option<Wake> = match dispatch {
        Some(f) => Some(
            f.build_threadsafe_function::<()>()
                .callee_handled::<false>()
                .build()?,
        ),
        None => None,
    };
    let old = {
        let mut p = queue.lock();
        let old = std::mem::replace(&mut p.wake, wake);
        // A wake in flight on the old function still calls `dispatch`; a new one is due.
        p.scheduled = false;
        p.wake();
        old
    };
    drop(old);
    Ok(())
}
