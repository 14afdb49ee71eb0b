//! The state the native functions and the event loop share: sockets, timers, storage,
//! and the run's exit status. It lives in an `Rc<RefCell<_>>` on the JS thread; no
//! borrow is held while JavaScript runs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rquickjs::{Ctx, Function, Persistent, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use wxudp::{Delivery, Engine, IoQueue, Policy, Registry};

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
    /// Rejected promises with no handler yet, checked after each turn.
    pub(crate) rejections: Vec<(Persistent<Value<'static>>, Persistent<Value<'static>>)>,
    events: UnboundedSender<(u64, Delivery)>,
    runtime: tokio::runtime::Handle,
    /// Ctrl-C and `--timeout`, which end a run even in the middle of JavaScript.
    pub(crate) stop: Stop,
    /// The sockets' I/O tasks, which the event loop polls itself (see
    /// [`wxudp::Engine::with_spawner`]): a datagram then reaches the loop without a wake
    /// from another task.
    pub(crate) io: IoQueue,
}

/// Why a run must end now, whatever the script is doing: Ctrl-C, or `--timeout`.
///
/// The JavaScript engine asks [`Stop::interrupts`] now and then while it runs, so an
/// endless loop in a script ends too.
pub(crate) struct Stop {
    deadline: Option<std::time::Instant>,
    /// Set by the SIGINT handler, even while JavaScript runs.
    pub(crate) interrupted: Arc<AtomicBool>,
    /// Set while the `onAppHide` listeners run after Ctrl-C: JavaScript may run again.
    pub(crate) hiding: Arc<AtomicBool>,
}

impl Stop {
    fn new(timeout: Option<Duration>) -> Self {
        Stop {
            deadline: timeout.map(|t| std::time::Instant::now() + t),
            interrupted: Arc::default(),
            hiding: Arc::default(),
        }
    }

    /// The exit status the run must end with now, if it must.
    pub(crate) fn reason(&self) -> Option<i32> {
        if self.interrupted.load(Ordering::SeqCst) {
            Some(crate::EXIT_INTERRUPTED)
        } else if self
            .deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
        {
            Some(crate::EXIT_TIMEOUT)
        } else {
            None
        }
    }

    /// The JavaScript engine's interrupt handler: true stops the running script.
    pub(crate) fn interrupts(&self) -> impl FnMut() -> bool + 'static {
        let (deadline, interrupted, hiding) =
            (self.deadline, self.interrupted.clone(), self.hiding.clone());
        move || {
            !hiding.load(Ordering::SeqCst)
                && (interrupted.load(Ordering::SeqCst)
                    || deadline.is_some_and(|d| std::time::Instant::now() >= d))
        }
    }
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
            rejections: Vec::new(),
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

/// `setTimeout` / `setInterval` timers.
#[derive(Default)]
pub(crate) struct Timers {
    entries: BTreeMap<u64, Timer>,
    next_id: u64,
}

pub(crate) struct Timer {
    due: Instant,
    every: Option<Duration>,
    pub(crate) callback: JsFunction,
    pub(crate) args: Vec<Persistent<Value<'static>>>,
}

impl Timers {
    pub(crate) fn add(
        &mut self,
        delay: Duration,
        repeat: bool,
        callback: JsFunction,
        args: Vec<Persistent<Value<'static>>>,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.entries.insert(
            id,
            Timer {
                due: Instant::now() + delay,
                every: repeat.then_some(delay.max(Duration::from_millis(1))),
                callback,
                args,
            },
        );
        id
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.entries.remove(&id);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.entries.values().map(|t| t.due).min()
    }

    /// The earliest timer due by `now` (the lowest id among equals): a timeout is removed,
    /// an interval rescheduled.
    pub(crate) fn take_due(
        &mut self,
        now: Instant,
    ) -> Option<(JsFunction, Vec<Persistent<Value<'static>>>)> {
        let (&id, _) = self
            .entries
            .iter()
            .filter(|(_, t)| t.due <= now)
            .min_by_key(|(id, t)| (t.due, **id))?;
        let timer = self.entries.get_mut(&id)?;
        match timer.every {
            Some(every) => {
                timer.due = now + every;
                Some((timer.callback.clone(), timer.args.clone()))
            }
            None => self.entries.remove(&id).map(|t| (t.callback, t.args)),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// `wx.*StorageSync`: values kept as JSON text, in memory or in a JSON file.
pub(crate) struct Storage {
    values: BTreeMap<String, String>,
    file: Option<PathBuf>,
}

impl Storage {
    /// The storage kept in `file` (empty if the file does not exist yet), or in memory.
    ///
    /// A file that exists but is not a JSON object is an error rather than a fresh start,
    /// which would overwrite it at the first `setStorageSync`.
    fn open(file: Option<PathBuf>) -> Result<Self, String> {
        let Some(path) = file else {
            return Ok(Storage {
                values: BTreeMap::new(),
                file: None,
            });
        };
        let values = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
                .map_err(|e| {
                    format!(
                        "the storage file {} is not a JSON object: {e}",
                        path.display()
                    )
                })?
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(format!(
                    "cannot read the storage file {}: {e}",
                    path.display()
                ))
            }
        };
        Ok(Storage {
            values,
            file: Some(path),
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub(crate) fn set(&mut self, key: String, json: String) -> std::io::Result<()> {
        self.values.insert(key, json);
        self.save()
    }

    pub(crate) fn remove(&mut self, key: &str) -> std::io::Result<()> {
        self.values.remove(key);
        self.save()
    }

    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        self.values.clear();
        self.save()
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let map: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(v).unwrap_or(serde_json::Value::Null);
                (k.clone(), value)
            })
            .collect();
        let text = serde_json::to_string_pretty(&map).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }
}

/// Prints an uncaught exception with its stack to stderr and marks the run failed.
pub(crate) fn report_exception<'js>(ctx: &Ctx<'js>, host: &Shared, value: Value<'js>) {
    if host.borrow().stop.reason().is_some() {
        // The script was stopped from outside; that is not its exception.
        return;
    }
    eprintln!("{}", describe_exception(ctx, value));
    host.borrow_mut().exit_code = 1;
}

/// `Uncaught Error: message` and the stack, for an exception value.
pub(crate) fn describe_exception<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> String {
    if let Some(obj) = value.as_object() {
        let name: Option<String> = obj.get("name").ok();
        let message: Option<String> = obj.get("message").ok();
        let stack: Option<String> = obj.get("stack").ok();
        if let Some(message) = message {
            let mut text = format!(
                "Uncaught {}: {message}",
                name.unwrap_or_else(|| "Error".into())
            );
            if let Some(stack) = stack.filter(|s| !s.is_empty()) {
                text.push('\n');
                text.push_str(stack.trim_end());
            }
            return text;
        }
    }
    let shown = value
        .as_string()
        .and_then(|s| s.to_string().ok())
        .or_else(|| {
            ctx.json_stringify(value.clone())
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
        })
        .unwrap_or_else(|| format!("{value:?}"));
    format!("Uncaught {shown}")
}
