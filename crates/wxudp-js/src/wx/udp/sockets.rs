//! The sockets of a run, and how long each lives.
//!
//! A `UDPSocket` object holds a hidden [`SocketHandle`]: the core engine and the
//! object's listeners. The handle belongs to the JavaScript object, so it is freed with
//! it; the run keeps a handle only while the loop needs it ([`Sockets::settle`]): while
//! the socket is bound and open (it may receive), or while events of it wait for
//! delivery. A closed socket whose events are delivered is the script's alone: it
//! costs the loop nothing, and once the script drops it, nothing at all. Later calls on
//! it still report `<method>:fail socket is closed`: the engine, closed, stays in the
//! handle.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rquickjs::class::{JsClass, Trace, Tracer, Writable};
use rquickjs::{Class, Ctx, Function, JsLifetime, Object, Persistent};
use tokio::sync::mpsc::UnboundedSender;
use wxudp::frontend::{Delivery, Engine, IoQueue, Refusals, Registry};
use wxudp::{Limits, Policy, SocketType};

/// Hashes a socket id for the maps the loop looks up on every event. Ids are handed out
/// by [`Sockets`] in sequence (a script cannot choose them), so a multiplicative hash
/// spreads them well enough, and costs a few instructions where the default SipHash
/// cost about 70 per lookup (two or three lookups per delivered event).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u64` keys; any other key still hashes correctly.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        // The high bits decide hashbrown's control bytes: Fibonacci hashing puts the
        // id's entropy there.
        self.0 = (self.0 ^ id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by socket id (see [`IdHasher`]).
pub(crate) type IdMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<IdHasher>>;

/// A `UDPSocket`'s native half: its engine and its listeners.
///
/// The listeners are traced for QuickJS's garbage collector, so a listener that
/// refers to its own socket (as most do) forms a cycle the collector frees.
pub(crate) struct SocketHandle<'js> {
    id: u64,
    /// The socket's engine; for a socket the memory budget refused, the run's one
    /// closed engine, shared (see [`SocketHandle::is_refused`]).
    engine: Rc<Engine>,
    /// Refused by the memory budget: closed from the start, without an engine of its
    /// own; its errors go through the run's [`Refusals`].
    refused: bool,
    /// Events emitted by the engine and not yet dispatched.
    pending: Arc<AtomicUsize>,
    /// What the last [`Sockets::settle`] found (open, kept): the maps already say so.
    settled: Cell<(bool, bool)>,
    pub(crate) listeners: Registry<Function<'js>>,
}

// SAFETY: `SocketHandle<'js>` holds JavaScript values only through its one lifetime
// `'js` (the listeners, `Function<'js>`), and `Changed<'to>` is the same type with `'js`
// replaced by `'to`: the exact form rquickjs documents for a correct implementation.
// (The derive macro refuses the field type `Registry<Function<'js>>`, which lives in a
// crate that knows nothing of rquickjs.) Tested by the GC tests of this crate's fixtures.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for SocketHandle<'js> {
    type Changed<'to> = SocketHandle<'to>;
}

impl<'js> Trace<'js> for SocketHandle<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        for listener in self.listeners.iter() {
            listener.trace(tracer);
        }
    }
}

impl<'js> JsClass<'js> for SocketHandle<'js> {
    const NAME: &'static str = "UDPSocketHandle";
    type Mutable = Writable;

    fn constructor(
        _ctx: &Ctx<'js>,
    ) -> rquickjs::Result<Option<rquickjs::function::Constructor<'js>>> {
        Ok(None)
    }
}

impl SocketHandle<'_> {
    /// The socket's engine; callers clone it out so that no borrow of the handle is
    /// held while JavaScript (an option getter, say) runs.
    pub(crate) fn engine(&self) -> Rc<Engine> {
        self.engine.clone()
    }

    /// Whether the memory budget refused this socket (it has no engine of its own).
    pub(crate) fn is_refused(&self) -> bool {
        self.refused
    }
}

/// A handle kept across event-loop turns, and its engine.
type Kept = (
    Persistent<Class<'static, SocketHandle<'static>>>,
    Rc<Engine>,
);

/// The sockets the loop needs: those open, and those with events on their way.
pub(crate) struct Sockets {
    live: IdMap<Kept>,
    open: HashSet<u64>,
    next_id: u64,
    events: UnboundedSender<(u64, Delivery)>,
    runtime: tokio::runtime::Handle,
    policy: Policy,
    limits: Limits,
    /// `--trace`, `--pcap` and `--report`: each socket gets a tap of its own.
    pub(crate) observer: Option<std::sync::Arc<crate::observe::Observer>>,
    /// The sockets' I/O tasks, which the event loop polls itself (see
    /// [`wxudp::frontend::Engine::with_spawner`]): a datagram then reaches the loop without a wake
    /// from another task.
    pub(crate) io: IoQueue,
    /// The errors of refused sockets, bounded as an engine's are.
    refusals: Refusals,
    /// The closed engine every refused socket shares (made at the first refusal).
    refused: Option<Rc<Engine>>,
}

impl Sockets {
    pub(crate) fn new(
        events: UnboundedSender<(u64, Delivery)>,
        runtime: tokio::runtime::Handle,
        policy: Policy,
        limits: Limits,
    ) -> Self {
        Sockets {
            live: IdMap::default(),
            open: HashSet::new(),
            next_id: 1,
            events,
            runtime,
            policy,
            limits,
            observer: None,
            io: IoQueue::new(),
            refusals: Refusals::new(&Limits::default()),
            refused: None,
        }
    }

    /// A new socket's handle, its events going to the loop's channel.
    pub(crate) fn create<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        ty: SocketType,
    ) -> rquickjs::Result<Class<'js, SocketHandle<'js>>> {
        let id = self.next_id;
        self.next_id += 1;
        let pending = Arc::new(AtomicUsize::new(0));
        let tx = self.events.clone();
        let counter = pending.clone();
        let sink = move |delivery: Delivery| {
            counter.fetch_add(1, Ordering::AcqRel);
            // The receiver lives as long as the loop; after it, nobody listens anyway.
            let _ = tx.send((id, delivery));
        };
        let made = Engine::try_with_limits(
            ty,
            self.policy.clone(),
            self.limits.clone(),
            sink,
            self.runtime.clone(),
            self.io.clone(),
        );
        let (engine, refused) = match made {
            Ok(engine) => {
                if let Some(tap) = self.observer.as_ref().and_then(|o| o.socket_tap(id, ty)) {
                    engine.set_tap(Some(tap));
                }
                (Rc::new(engine), None)
            }
            // No room in the memory budget: a socket closed from the start, which holds
            // next to nothing (a script may keep thousands), and its error.
            Err(e) => (self.dead_engine(ty), Some(e)),
        };
        let handle = Class::instance(
            ctx.clone(),
            SocketHandle {
                id,
                engine,
                refused: refused.is_some(),
                pending,
                settled: Cell::new((false, false)),
                listeners: Registry::default(),
            },
        )?;
        if let Some(e) = refused {
            self.refuse(&handle, e);
        }
        Ok(handle)
    }

    /// The closed engine refused sockets share.
    fn dead_engine(&mut self, ty: SocketType) -> Rc<Engine> {
        let (runtime, io) = (self.runtime.clone(), self.io.clone());
        self.refused
            .get_or_insert_with(|| {
                // Closed from the start: a budget of nothing refuses it.
                let none = Limits::default().with_memory_total(0);
                let sink = |_: Delivery| {};
                Rc::new(Engine::with_limits(
                    ty,
                    Policy::Any,
                    none,
                    sink,
                    runtime,
                    io,
                ))
            })
            .clone()
    }

    /// Queues `error` for a refused socket, within the refused sockets' error backlog
    /// (1024 events, and the process's shared one).
    pub(crate) fn refuse<'js>(&self, handle: &Class<'js, SocketHandle<'js>>, error: wxudp::Error) {
        let h = handle.borrow();
        if let Some(delivery) = self.refusals.error(error) {
            h.pending.fetch_add(1, Ordering::AcqRel);
            let _ = self.events.send((h.id, delivery));
        }
    }

    /// Keeps `handle` for the loop while it is open or has events on their way, and
    /// lets it go otherwise. Call after anything that may change either.
    pub(crate) fn settle<'js>(&mut self, ctx: &Ctx<'js>, handle: &Class<'js, SocketHandle<'js>>) {
        let h = handle.borrow();
        let open = h.engine.is_open();
        let live = open || h.pending.load(Ordering::Acquire) > 0;
        // Most calls (a send on an open socket) change neither: no map is touched.
        if h.settled.replace((open, live)) == (open, live) {
            return;
        }
        if open {
            self.open.insert(h.id);
        } else {
            self.open.remove(&h.id);
        }
        if live {
            self.live
                .entry(h.id)
                .or_insert_with(|| (Persistent::save(ctx, handle.clone()), h.engine()));
        } else {
            self.live.remove(&h.id);
        }
    }

    /// The handle of socket `id`, if the loop keeps it; one event of it is being
    /// dispatched, so its count of events on their way goes down.
    pub(crate) fn take_event<'js>(
        &self,
        ctx: &Ctx<'js>,
        id: u64,
    ) -> Option<Class<'js, SocketHandle<'js>>> {
        let handle = self.live.get(&id)?.0.clone().restore(ctx).ok()?;
        handle.borrow().pending.fetch_sub(1, Ordering::AcqRel);
        Some(handle)
    }

    /// The budgets of the run's sockets, whose memory budget the run's timers and
    /// requests share.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether any socket is bound and not closed.
    pub(crate) fn any_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// How many sockets the loop keeps.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.live.len()
    }

    /// Closes every socket the loop keeps (a stop, a fatal error).
    pub(crate) fn close_all(&self) {
        for (_, engine) in self.live.values() {
            let _ = engine.close();
        }
    }

    /// Lets every handle go (before the JavaScript runtime is freed). The run is over:
    /// no handle is settled again.
    pub(crate) fn clear(&mut self) {
        self.live.clear();
        self.open.clear();
    }
}

/// The handle inside a `UDPSocket` object, if `value` is one.
pub(crate) fn handle_of<'js>(
    value: &rquickjs::Value<'js>,
) -> Option<Class<'js, SocketHandle<'js>>> {
    let object: &Object<'js> = crate::runtime::convert::object_ref(value)?;
    Class::from_object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::{Context, Runtime};

    /// Dispatches every queued event the way the loop does: take, accept, settle.
    fn dispatch_all<'js>(
        ctx: &Ctx<'js>,
        sockets: &mut Sockets,
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<(u64, Delivery)>,
    ) -> usize {
        let mut n = 0;
        while let Ok((id, delivery)) = rx.try_recv() {
            n += 1;
            let handle = sockets.take_event(ctx, id).expect("kept while events wait");
            drop(delivery.accept());
            sockets.settle(ctx, &handle);
        }
        n
    }

    #[test]
    fn the_loop_keeps_a_socket_only_while_it_is_open_or_has_events_waiting() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _inside = rt.enter();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut sockets = Sockets::new(tx, rt.handle().clone(), Policy::Any, Limits::default());
        let js = Runtime::new().unwrap();
        let context = Context::full(&js).unwrap();
        context.with(|ctx| {
            for _ in 0..1000 {
                let handle = sockets.create(&ctx, SocketType::Udp4).unwrap();
                sockets.settle(&ctx, &handle);
                assert_eq!(sockets.kept(), 0, "a fresh socket costs the loop nothing");
                handle.borrow().engine().bind(0).unwrap();
                sockets.settle(&ctx, &handle);
                assert!(sockets.any_open());
                handle.borrow().engine().close().unwrap();
                sockets.settle(&ctx, &handle);
                assert!(!sockets.any_open());
                assert_eq!(sockets.kept(), 1, "until its events are delivered");
                assert_eq!(dispatch_all(&ctx, &mut sockets, &mut rx), 2);
                assert_eq!(sockets.kept(), 0);
                // A call on the closed socket: an error event, kept until delivered.
                let engine = handle.borrow().engine();
                assert!(engine.bind(0).is_err());
                sockets.settle(&ctx, &handle);
                assert_eq!(sockets.kept(), 1);
                assert_eq!(dispatch_all(&ctx, &mut sockets, &mut rx), 1);
                assert_eq!(sockets.kept(), 0);
            }
        });
        sockets.clear();
    }
}
