//! The state the native functions and the event loop share: the sockets, and the
//! run's timers, storage, stop conditions and exit status. It lives in an `Rc<RefCell<_>>` on the JS thread; no
//! borrow is held while JavaScript runs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use rquickjs::{Function, Persistent};
use tokio::sync::mpsc::UnboundedSender;
use wxudp::{Delivery, Engine, IoQueue, Policy, Registry};

use crate::stop::Stop;
use crate::storage::Storage;
use crate::timers::Timers;
use crate::RunOptions;

/// The shared state, as the natives capture it.
pub(crate) type Shared = Rc<RefCell<Host>>;

/// A JavaScript function kept alive across event-loop turns.
pub(crate) type JsFunction = Persistent<Function<'static>>;

pub(crate) struct Host {
    pub(crate) sockets: HashMap<u64, Socket>,
    next_socket: u64,
    pub(crate) timers: Timers,
    pub(crate) storage: Storage,
    /// 1 once an exception went unhandled; the run goes on and exits with it.
    pub(crate) exit_code: i32,
    pub(crate) policy: Policy,
    pub(crate) base_library: String,
    /// Where the main script lives: bare `require('utils/x.js')` resolves from here too.
    pub(crate) root: PathBuf,
    events: UnboundedSender<(u64, Delivery)>,
    runtime: tokio::runtime::Handle,
    /// Ctrl-C and `--timeout`, which end a run even in the middle of JavaScript.
    pub(crate) stop: Stop,
    /// The sockets' I/O tasks, which the event loop polls itself (see
    /// [`wxudp::Engine::with_spawner`]): a datagram then reaches the loop without a wake
    /// from another task.
    pub(crate) io: IoQueue,
}

/// One `UDPSocket`: the core engine and its JavaScript listeners.
pub(crate) struct Socket {
    pub(crate) engine: Rc<Engine>,
    pub(crate) listeners: Registry<JsFunction>,
}

impl Host {
    pub(crate) fn new(
        options: &RunOptions,
        root: PathBuf,
        events: UnboundedSender<(u64, Delivery)>,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, String> {
        Ok(Host {
            sockets: HashMap::new(),
            next_socket: 1,
            timers: Timers::default(),
            storage: Storage::open(options.storage.clone())?,
            exit_code: 0,
            policy: options.policy(),
            base_library: options.base_library.clone(),
            root,
            events,
            runtime,
            io: IoQueue::default(),
            stop: Stop::new(options.timeout),
        })
    }

    /// Creates a socket whose events go to the loop's channel; returns its id.
    pub(crate) fn create_socket(&mut self, ty: wxudp::SocketType) -> u64 {
        let id = self.next_socket;
        self.next_socket += 1;
        let tx = self.events.clone();
        let sink = move |delivery: Delivery| {
            // The loop owns the receiver for as long as any socket exists.
            let _ = tx.send((id, delivery));
        };
        let engine = Engine::with_spawner(
            ty,
            self.policy.clone(),
            sink,
            self.runtime.clone(),
            self.io.clone(),
        );
        self.sockets.insert(
            id,
            Socket {
                engine: Rc::new(engine),
                listeners: Registry::default(),
            },
        );
        id
    }

    /// Whether any socket is bound and not closed.
    pub(crate) fn has_open_socket(&self) -> bool {
        self.sockets.values().any(|s| s.engine.is_open())
    }

    /// Closes every socket (Ctrl-C, timeout, a fatal error).
    pub(crate) fn close_all(&self) {
        for socket in self.sockets.values() {
            let _ = socket.engine.close();
        }
    }
}
