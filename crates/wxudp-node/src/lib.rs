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

// The workspace denies `unsafe`, and this crate keeps that: the unsafe code the napi-rs
// macros (`#[napi]`) generate (the C entry points Node calls, the registration of the
// exports) comes from another crate's macro expansion, which the lint does not count
// against this one. The only `unsafe` written here is in `js.rs`, which allows it for
// that module alone and says why at each block.

mod convert;
mod js;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use napi::bindgen_prelude::{Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Env;
use napi_derive::napi;
use wxudp::frontend::{self, Delivery, Engine, Off, Registry};
use wxudp::{Event, EventKind, Limits, Method, Policy, SocketType};

use crate::convert::Napi;
use crate::js::{Cx, Val};

/// The threadsafe function that wakes the loop thread: it calls the loader's `dispatch`.
type Wake = ThreadsafeFunction<(), Unknown<'static>, (), napi::Status, false>;

/// Events on their way to one loader's `dispatch`, in the order they were emitted.
#[derive(Default)]
struct Queue {
    inner: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    events: VecDeque<(u32, Delivery)>,
    /// A wake is on its way: later events ride with it.
    scheduled: bool,
    /// How to wake the loop thread; there is one only while the loader holds a live
    /// socket (it references the loop, and `dispatch`).
    wake: Option<Wake>,
}

impl Pending {
    /// Wakes the loop thread unless a wake is on its way or nothing may wake it now.
    fn wake(&mut self) {
        if self.scheduled || self.events.is_empty() {
            return;
        }
        self.force_wake();
    }

    /// Wakes the loop thread (if anything may wake it now), events queued or not.
    fn force_wake(&mut self) {
        if let Some(w) = &self.wake {
            self.scheduled = true;
            let _ = w.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues one event; the first one since the last drain wakes the loop thread.
    fn push(&self, id: u32, delivery: Delivery) {
        let mut p = self.lock();
        p.events.push_back((id, delivery));
        p.wake();
    }
}

/// One socket's native half: its engine and its listener registrations (slots of the
/// loader's listener array).
struct Socket {
    engine: Arc<Engine>,
    listeners: Registry<u32>,
    /// Events emitted and not yet drained.
    pending: Arc<AtomicUsize>,
}

impl Socket {
    /// Whether the loop needs this socket: open (it may receive), or with events on their
    /// way.
    fn live(&self) -> bool {
        self.engine.is_open() || self.pending.load(Ordering::Acquire) > 0
    }
}

/// One loader (one evaluation of `index.js`: a process has one, a Jest worker one per
/// test file).
struct Host {
    queue: Arc<Queue>,
    /// The loader's `ArrayBuffer` is not the addon's (Jest runs test files in a context
    /// of their own): messages are copied into ArrayBuffers the loader makes, so that
    /// `res.message instanceof ArrayBuffer` holds there too.
    foreign: bool,
    /// The bytes of the message `next` handed over last, for `fill`, when `foreign`.
    message: Vec<u8>,
    /// Events taken from the queue in one go (one lock for many), being dispatched.
    batch: VecDeque<(u32, Delivery)>,
    /// The listener snapshot of the event being handed over (its buffer reused).
    snapshot: Vec<u32>,
}

/// The addon's state on one loop thread (the main thread, or a worker's).
#[derive(Default)]
struct Addon {
    hosts: HashMap<u32, Host>,
    sockets: HashMap<u32, Socket>,
    next_id: u32,
    /// Budgets shared by every socket of the thread.
    limits: Limits,
    /// The cleanup of the thread's Node environment is registered.
    cleanup: bool,
}

impl Addon {
    fn id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.next_id
    }
}

thread_local! {
    // Leaked on purpose: the state lives as long as its thread's Node environment, and
    // dropping it at thread exit would release threadsafe functions after Node has torn
    // them down.
    static ADDON: &'static RefCell<Addon> = Box::leak(Box::default());
}

fn with_addon<R>(f: impl FnOnce(&mut Addon) -> R) -> R {
    ADDON.with(|a| f(&mut a.borrow_mut()))
}

/// The tokio runtime that runs every socket's I/O (reads, queued sends, host names): one
/// thread of its own for the process.
fn runtime() -> tokio::runtime::Handle {
    static RUNTIME: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("wxudp: cannot start the I/O runtime: {e}"));
            let handle = rt.handle().clone();
            let spawned = std::thread::Builder::new()
                .name("wxudp-io".into())
                .spawn(move || rt.block_on(std::future::pending::<()>()));
            if let Err(e) = spawned {
                panic!("wxudp: cannot start the I/O thread: {e}");
            }
            handle
        })
        .clone()
}

fn kind_code(kind: EventKind) -> u32 {
    match kind {
        EventKind::Message => 0,
        EventKind::Error => 1,
        EventKind::Listening => 2,
        EventKind::Close => 3,
    }
}

fn kind_of(code: u32) -> Option<EventKind> {
    match code {
        0 => Some(EventKind::Message),
        1 => Some(EventKind::Error),
        2 => Some(EventKind::Listening),
        3 => Some(EventKind::Close),
        _ => None,
    }
}

/// Record kind of a drained event that only tells that its socket is no longer live.
const SETTLED: u32 = 4;

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

/// Events dispatched per wake at most; the rest wait for the next turn of the loop, so a
/// flood cannot starve timers.
const BATCH: u32 = 1024;

/// Hands the loader the next queued event, the `n`th of this wake: writes it to `nums`
/// (a `Float64Array`) and `refs` (an array) and returns its kind, or -1 when none is left
/// (or `n` reached the batch, and the loop is woken again for the rest).
///
/// `nums`: the socket id, the kind, whether the socket is still live (1) or not (0), the
/// one listener slot registered now (or -1: several, in `refs[0]`), the remote port, the
/// local port, the families (bit 0 remote, bit 1 local: IPv6, as [`wxudp::family_name`]
/// says), the remote and the local address as a 32-bit number when they are IPv4 (else
/// -1, and the text is in `refs[2]`, `refs[3]`), and an error's errCode. `refs`: the
/// slots when several, the message's ArrayBuffer (its size when the loader makes it),
/// the addresses' text, an error's errMsg. The listener slots are the snapshot of this
/// dispatch: the ones registered when it starts.
///
/// Each event passes [`Delivery::accept`] here, at its dispatch: a message received
/// before `close()` is discarded then. An event nobody listens to is skipped, unless its
/// socket stops being live (kind 4), so that the loader lets the socket go.
#[napi]
pub fn next(env: Env, host: u32, nums: Unknown<'_>, refs: Unknown<'_>, n: u32) -> i32 {
    let cx = Cx::new(&env);
    let (nums, refs) = (Val::from_unknown(&nums), Val::from_unknown(&refs));
    let Some((queue, foreign)) =
        with_addon(|a| a.hosts.get(&host).map(|h| (h.queue.clone(), h.foreign)))
    else {
        return -1;
    };
    if n >= BATCH {
        // The rest at the next turn of the loop, so that a flood cannot starve timers.
        let left = with_addon(|a| a.hosts.get(&host).is_some_and(|h| !h.batch.is_empty()));
        let mut p = queue.lock();
        if left || !p.events.is_empty() {
            p.force_wake();
        } else {
            p.scheduled = false;
        }
        return -1;
    }
    let mut num = [0f64; NUMS];
    loop {
        let item = with_addon(|a| a.hosts.get_mut(&host).and_then(|h| h.batch.pop_front()));
        let (id, delivery) = match item {
            Some(item) => item,
            None => {
                // Everything queued, under one lock; the buffer emptied last time goes
                // back to the queue.
                let mut spare = with_addon(|a| {
                    a.hosts
                        .get_mut(&host)
                        .map(|h| std::mem::take(&mut h.batch))
                        .unwrap_or_default()
                });
                let mut p = queue.lock();
                if p.events.is_empty() {
                    p.scheduled = false;
                    return -1;
                }
                std::mem::swap(&mut p.events, &mut spare);
                drop(p);
                let mut taken = spare;
                let first = taken.pop_front();
                with_addon(|a| {
                    if let Some(h) = a.hosts.get_mut(&host) {
                        h.batch = taken;
                    }
                });
                match first {
                    Some(item) => item,
                    None => continue,
                }
            }
        };
        let event = delivery.accept();
        // The snapshot of this dispatch, and whether the socket is still live after it.
        let (count, slot, multi, live) = with_addon(|a| {
            let Addon { hosts, sockets, .. } = a;
            let (Some(s), Some(h)) = (sockets.get(&id), hosts.get_mut(&host)) else {
                return (0, 0, None, false);
            };
            s.pending.fetch_sub(1, Ordering::AcqRel);
            h.snapshot.clear();
            if let Some(e) = &event {
                s.listeners.snapshot_into(e.kind(), &mut h.snapshot);
            }
            let multi = (h.snapshot.len() > 1).then(|| h.snapshot.clone());
            (
                h.snapshot.len(),
                h.snapshot.first().copied().unwrap_or(0),
                multi,
                s.live(),
            )
        });
        num[0] = f64::from(id);
        num[2] = f64::from(u8::from(live));
        let event = match event {
            Some(event) if count > 0 => event,
            _ if !live => {
                num[1] = f64::from(SETTLED);
                cx.write_f64s(nums, &num);
                return SETTLED as i32;
            }
            _ => continue,
        };
        let kind = kind_code(event.kind());
        num[1] = f64::from(kind);
        match multi {
            None => num[3] = f64::from(slot),
            Some(slots) => {
                num[3] = -1.0;
                let arr = cx.array();
                for (i, slot) in (0u32..).zip(&slots) {
                    cx.set(arr, i, cx.num(f64::from(*slot)));
                }
                cx.set(refs, 0, arr);
            }
        }
        match event {
            Event::Message(m) => {
                let buffer = if foreign {
                    // The loader makes the ArrayBuffer in its own realm and calls `fill`.
                    let size = cx.num(m.data.len() as f64);
                    with_addon(|a| {
                        if let Some(h) = a.hosts.get_mut(&host) {
                            h.message = m.data;
                        }
                    });
                    size
                } else {
                    cx.array_buffer(&m.data)
                };
                cx.set(refs, 1, buffer);
                num[4] = f64::from(m.remote.port());
                num[5] = f64::from(m.local.port());
                let v6 = |a: &std::net::SocketAddr| wxudp::family_name(a) == "IPv6";
                num[6] = f64::from(u8::from(v6(&m.remote)) | (u8::from(v6(&m.local)) << 1));
                // An IPv4 address as a number, whose text the loader keeps while the
                // peer stays the same; any other as text.
                for (i, addr) in [(7, m.remote), (8, m.local)] {
                    num[i] = match addr.ip() {
                        std::net::IpAddr::V4(ip) => f64::from(u32::from(ip)),
                        ip => {
                            cx.set(refs, i as u32 - 5, cx.str(&ip.to_string()));
                            -1.0
                        }
                    };
                }
            }
            Event::Error(e) => {
                cx.set(refs, 4, cx.str(&e.to_string()));
                num[9] = f64::from(e.code());
            }
            // No payload beyond the kind (and kinds the loader does not know yet).
            _ => {}
        }
        cx.write_f64s(nums, &num);
        return kind as i32;
    }
}

/// Numbers `next` writes per event.
const NUMS: usize = 10;

/// Copies the bytes of the message `next` handed over last into `buffer`, an
/// ArrayBuffer of their size the loader made in its own realm.
#[napi]
pub fn fill(env: Env, host: u32, buffer: Unknown<'_>) {
    let cx = Cx::new(&env);
    let message = with_addon(|a| {
        a.hosts
            .get_mut(&host)
            .map(|h| std::mem::take(&mut h.message))
    });
    if let Some(message) = message {
        cx.copy_into(Val::from_unknown(&buffer), &message);
    }
}
