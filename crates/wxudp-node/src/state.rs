//! The addon's state on a loop thread: its loaders (each with the queue of events on
//! their way to it), its sockets, and the I/O runtime every socket shares.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use napi::bindgen_prelude::Unknown;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use wxudp::frontend::{Delivery, Engine, Registry};
use wxudp::Limits;

/// The threadsafe function that wakes the loop thread: it calls the loader's `dispatch`.
pub(crate) type Wake = ThreadsafeFunction<(), Unknown<'static>, (), napi::Status, false>;

/// Events on their way to one loader's `dispatch`, in the order they were emitted.
#[derive(Default)]
pub(crate) struct Queue {
    inner: Mutex<Pending>,
}

/// What a [`Queue`] holds under its lock.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) events: VecDeque<(u32, Delivery)>,
    /// A wake is on its way: later events ride with it.
    pub(crate) scheduled: bool,
    /// How to wake the loop thread; there is one only while the loader holds a live
    /// socket (it references the loop, and `dispatch`).
    pub(crate) wake: Option<Wake>,
}

impl Pending {
    /// Wakes the loop thread unless a wake is on its way or nothing may wake it now.
    pub(crate) fn wake(&mut self) {
        if self.scheduled || self.events.is_empty() {
            return;
        }
        self.force_wake();
    }

    /// Wakes the loop thread (if anything may wake it now), events queued or not.
    pub(crate) fn force_wake(&mut self) {
        if let Some(w) = &self.wake {
            self.scheduled = true;
            let _ = w.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

impl Queue {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues one event; the first one since the last drain wakes the loop thread.
    pub(crate) fn push(&self, id: u32, delivery: Delivery) {
        let mut p = self.lock();
        p.events.push_back((id, delivery));
        p.wake();
    }
}

/// One socket's native half: its engine and its listener registrations (slots of the
/// loader's listener array).
pub(crate) struct Socket {
    pub(crate) engine: Arc<Engine>,
    pub(crate) listeners: Registry<u32>,
    /// Events emitted and not yet drained.
    pub(crate) pending: Arc<AtomicUsize>,
}

impl Socket {
    /// Whether the loop needs this socket: open (it may receive), or with events on their
    /// way.
    pub(crate) fn live(&self) -> bool {
        self.engine.is_open() || self.pending.load(Ordering::Acquire) > 0
    }
}

/// One loader (one evaluation of `index.js`: a process has one, a Jest worker one per
/// test file).
pub(crate) struct Host {
    pub(crate) queue: Arc<Queue>,
    /// The loader's `ArrayBuffer` is not the addon's (Jest runs test files in a context
    /// of their own): messages are copied into ArrayBuffers the loader makes, so that
    /// `res.message instanceof ArrayBuffer` holds there too.
    pub(crate) foreign: bool,
    /// The bytes of the message `next` handed over last, for `fill`, when `foreign`.
    pub(crate) message: Vec<u8>,
    /// Events taken from the queue in one go (one lock for many), being dispatched.
    pub(crate) batch: VecDeque<(u32, Delivery)>,
    /// The listener snapshot of the event being handed over (its buffer reused).
    pub(crate) snapshot: Vec<u32>,
}

/// The addon's state on one loop thread (the main thread, or a worker's).
#[derive(Default)]
pub(crate) struct Addon {
    pub(crate) hosts: HashMap<u32, Host>,
    pub(crate) sockets: HashMap<u32, Socket>,
    next_id: u32,
    /// Budgets shared by every socket of the thread.
    pub(crate) limits: Limits,
    /// The cleanup of the thread's Node environment is registered.
    pub(crate) cleanup: bool,
}

impl Addon {
    /// A new id, for a loader or a socket (never 0).
    pub(crate) fn id(&mut self) -> u32 {
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

/// Runs `f` on the addon's state of this thread.
pub(crate) fn with_addon<R>(f: impl FnOnce(&mut Addon) -> R) -> R {
    ADDON.with(|a| f(&mut a.borrow_mut()))
}

/// The tokio runtime that runs every socket's I/O (reads, queued sends, host names): one
/// thread of its own for the process.
pub(crate) fn runtime() -> tokio::runtime::Handle {
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
