//! How events travel from an engine to a front end: the [`EventSink`] an engine emits
//! into, the [`Delivery`] that carries each event, and the gate that applies the
//! delivery rules (no `message` after `close`) and the budgets of [`Limits`]: bytes of
//! received datagrams waiting for delivery, and `error` events waiting for delivery.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::task::AtomicWaker;

use crate::error::Error;
use crate::event::Event;
use crate::limits::{Limits, Pool, ERROR_COST, MESSAGE_OVERHEAD};

/// Receives the events of an [`Engine`](crate::frontend::Engine), from the thread that calls the
/// engine's methods and from the engine's I/O tasks. It is never called with one of the
/// engine's locks held, so it may call back into the engine.
///
/// An implementation only queues the [`Delivery`] (for example on a channel); the front
/// end later calls [`Delivery::accept`] on its own thread and, if it yields an event,
/// calls its listeners. Any `Fn(Delivery) + Send + Sync + 'static` closure is a sink.
///
/// # Examples
/// A sink that calls back into its own engine when the socket is bound: it runs with no
/// lock held, so this does not deadlock.
/// ```
/// use std::sync::{mpsc, Arc, OnceLock, Weak};
/// use wxudp::frontend::{Delivery, Engine};
/// use wxudp::{Event, Policy, SocketType};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let slot: Arc<OnceLock<Weak<Engine>>> = Arc::default();
/// let (tx, rx) = mpsc::channel();
/// let me = slot.clone();
/// let sink = move |d: Delivery| {
///     if let (Some(Event::Listening), Some(engine)) = (d.accept(), me.get().and_then(Weak::upgrade)) {
///         tx.send(engine.local_addr()).unwrap();
///     }
/// };
/// let engine = Arc::new(Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone()));
/// slot.set(Arc::downgrade(&engine)).unwrap();
/// let port = engine.bind(0)?;
/// assert_eq!(rx.recv().unwrap().map(|a| a.port()), Some(port));
/// # Ok::<(), wxudp::Error>(())
/// ```
pub trait EventSink: Send + Sync + 'static {
    /// Queues one event for delivery.
    ///
    /// # Examples
    /// A sink of its own type, which keeps what it is given.
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use wxudp::frontend::{Delivery, Engine, EventSink};
    /// use wxudp::{Event, Policy, SocketType};
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// struct Keep(Arc<Mutex<Vec<Delivery>>>);
    /// impl EventSink for Keep {
    ///     fn emit(&self, delivery: Delivery) {
    ///         self.0.lock().unwrap().push(delivery);
    ///     }
    /// }
    /// let kept = Arc::new(Mutex::new(Vec::new()));
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, Keep(kept.clone()), rt.handle().clone());
    /// engine.close()?;
    /// let events: Vec<_> = kept.lock().unwrap().drain(..).filter_map(Delivery::accept).collect();
    /// assert!(matches!(events[..], [Event::Close]));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    fn emit(&self, delivery: Delivery);
}

impl<F: Fn(Delivery) + Send + Sync + 'static> EventSink for F {
    fn emit(&self, delivery: Delivery) {
        self(delivery)
    }
}

/// The `error` events of sockets a front end made without an engine (sockets the
/// memory budget refused, which a script may keep by the thousand): a closed socket's
/// errors, through an error backlog of their own (shared by all such sockets) and the
/// shared one, so that they are bounded as an engine's are.
///
/// # Examples
/// ```
/// use wxudp::frontend::Refusals;
/// use wxudp::{Error, Event, Limits, Method};
/// let refusals = Refusals::new(&Limits::default().with_error_backlog(2));
/// let closed = || Error::Closed { method: Method::Bind };
/// let first = refusals.error(closed()).unwrap();
/// let notice = refusals.error(closed()).unwrap();
/// assert!(refusals.error(closed()).is_none(), "the backlog is full");
/// assert!(matches!(first.accept(), Some(Event::Error(Error::Closed { .. }))));
/// assert!(matches!(notice.accept(), Some(Event::Error(Error::TooManyErrors { .. }))));
/// ```
#[derive(Debug)]
pub struct Refusals {
    gate: Arc<Gate>,
}

impl Refusals {
    /// The refused sockets of a front end whose sockets have `limits`.
    pub fn new(limits: &Limits) -> Self {
        let gate = Gate::new(limits);
        // Their messages never come: they have no socket.
        gate.closed.store(true, Ordering::Release);
        Refusals {
            gate: Arc::new(gate),
        }
    }

    /// The delivery of `error` for a refused socket, or none if the backlogs are full
    /// (it is counted in [`stats`](Refusals::stats) then).
    pub fn error(&self, error: Error) -> Option<Delivery> {
        let event = self.gate.error_event(error)?;
        Some(Delivery::new(event, self.gate.clone()))
    }

    /// What the refused sockets' errors met: [`Stats::errors_dropped`].
    pub fn stats(&self) -> Stats {
        self.gate.stats()
    }
}

/// An event on its way from an engine to a front end's listeners.
///
/// [`accept`](Delivery::accept) applies the delivery rules at the moment of dispatch:
/// a datagram received before `close()` but not yet delivered is discarded. A delivery
/// holds its share of the socket's budgets until it is accepted or dropped.
///
/// # Examples
/// ```
/// use wxudp::frontend::{Delivery, Engine};
/// use wxudp::{Event, Policy, SocketType};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
/// let sink = move |d| { let _ = tx.send(d); };
/// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
/// engine.bind(0)?;
/// let delivery = rx.recv().unwrap();
/// assert!(matches!(delivery.event(), Some(Event::Listening)));
/// assert!(matches!(delivery.accept(), Some(Event::Listening)));
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug)]
pub struct Delivery {
    event: Option<Event>,
    gate: Arc<Gate>,
}

impl Delivery {
    pub(crate) fn new(event: Event, gate: Arc<Gate>) -> Self {
        Delivery {
            event: Some(event),
            gate,
        }
    }

    /// Takes the event, unless the rules say it must not be delivered any more: a
    /// `message` is not delivered once its socket is closed. Gives back the delivery's
    /// share of the budgets either way.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Event, Policy, SendOptions, SocketType};
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # let handle = runtime.handle().clone();
    /// # std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
    /// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, handle);
    /// let port = engine.bind(0)?;
    /// engine.send(&SendOptions::new("127.0.0.1", port, "late"))?;
    /// let timeout = Duration::from_secs(10);
    /// assert!(matches!(rx.recv_timeout(timeout).unwrap().accept(), Some(Event::Listening)));
    /// let message = rx.recv_timeout(timeout).unwrap();
    /// assert!(matches!(message.event(), Some(Event::Message(_))));
    /// engine.close()?;
    /// assert!(message.accept().is_none(), "received before close, not delivered after it");
    /// assert!(matches!(rx.recv_timeout(timeout).unwrap().accept(), Some(Event::Close)));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn accept(mut self) -> Option<Event> {
        let event = self.event.take()?;
        self.gate.release(&event);
        if let Event::Message(_) = event {
            if self.gate.closed.load(Ordering::Acquire) {
                return None;
            }
        }
        Some(event)
    }

    /// Returns the event this delivery carries, without taking it or applying the rules
    /// ([`accept`](Delivery::accept) does both).
    ///
    /// # Examples
    /// ```
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Error, Event, Policy, SocketType};
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.close()?;
    /// let _ = engine.bind(0);
    /// let deliveries: Vec<Delivery> = rx.try_iter().collect();
    /// assert!(matches!(deliveries[0].event(), Some(Event::Close)));
    /// assert!(matches!(deliveries[1].event(), Some(Event::Error(Error::Closed { .. }))));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn event(&self) -> Option<&Event> {
        self.event.as_ref()
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(event) = &self.event {
            self.gate.release(event);
        }
    }
}

/// What a socket has done so far: counts since it was created.
///
/// # Examples
/// ```
/// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
/// assert_eq!(sock.stats().received, 0);
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams handed to the kernel.
    pub sent: u64,
    /// Datagrams received and queued for delivery.
    pub received: u64,
    /// Datagrams received but dropped because the receive budget was full.
    pub dropped: u64,
    /// Datagrams the kernel dropped because its receive buffer was full: on Linux, the
    /// socket's drop counter (`SO_MEMINFO`), read when the stats are asked for and when
    /// the socket closes. Always 0 elsewhere (and with the `portable` feature): macOS
    /// and Windows do not count per socket.
    pub kernel_dropped: u64,
    /// `error` events dropped because the error backlog was full.
    pub errors_dropped: u64,
}

/// How an `error` event fares against the error backlog.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// It is delivered.
    Yes,
    /// It takes the last place: a notice that later errors are dropped goes instead.
    Last,
    /// The backlog is full: it is dropped (and counted).
    No,
}

/// State shared between an engine, its deliveries and its I/O tasks.
#[derive(Debug)]
pub(crate) struct Gate {
    pub(crate) closed: AtomicBool,
    /// Bytes of received datagrams emitted and not yet accepted or dropped.
    backlog: AtomicUsize,
    receive_buffer: usize,
    receive_pool: Arc<Pool>,
    /// Error events emitted and not yet accepted or dropped.
    errors: AtomicUsize,
    error_backlog: usize,
    error_pool: Arc<Pool>,
    /// The memory budget, which received datagrams and error events count against too.
    memory_pool: Arc<Pool>,
    pub(crate) sent: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
    kernel_dropped: AtomicU64,
    errors_dropped: AtomicU64,
    /// The read task, woken when the socket closes so that it ends.
    pub(crate) reader: AtomicWaker,
    /// The outbox's flush task, likewise.
    pub(crate) flusher: AtomicWaker,
}

impl Gate {
    pub(crate) fn new(limits: &Limits) -> Self {
        Gate {
            closed: AtomicBool::new(false),
            backlog: AtomicUsize::new(0),
            receive_buffer: limits.receive_buffer,
            receive_pool: limits.receive_pool().clone(),
            errors: AtomicUsize::new(0),
            // One place for an error and one for the notice, at least.
            error_backlog: limits.error_backlog.max(2),
            error_pool: limits.error_pool().clone(),
            memory_pool: limits.memory_pool().clone(),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            kernel_dropped: AtomicU64::new(0),
            errors_dropped: AtomicU64::new(0),
            reader: AtomicWaker::new(),
            flusher: AtomicWaker::new(),
        }
    }

    /// Takes a received datagram of `len` bytes into the budgets, or counts it dropped.
    pub(crate) fn admit_message(&self, len: usize) -> bool {
        let cost = len + MESSAGE_OVERHEAD;
        let fits = self
            .backlog
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(cost)
                    .filter(|total| *total <= self.receive_buffer)
            })
            .is_ok();
        if fits && self.receive_pool.take(cost) {
            if self.memory_pool.take(cost) {
                self.received.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            self.receive_pool.give(cost);
        }
        if fits {
            self.backlog.fetch_sub(cost, Ordering::AcqRel);
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Gives back the budget of a datagram admitted but never emitted.
    pub(crate) fn unadmit_message(&self, len: usize) {
        let cost = len + MESSAGE_OVERHEAD;
        self.backlog.fetch_sub(cost, Ordering::AcqRel);
        self.receive_pool.give(cost);
        self.memory_pool.give(cost);
    }

    /// Takes an `error` event into the socket's error backlog and the shared one.
    pub(crate) fn admit_error(&self) -> Admit {
        let before = self.errors.fetch_add(1, Ordering::AcqRel);
        let admit = if before + 1 < self.error_backlog {
            Admit::Yes
        } else if before + 1 == self.error_backlog {
            Admit::Last
        } else {
            Admit::No
        };
        if admit == Admit::No || !self.error_pool.take(1) {
            self.errors.fetch_sub(1, Ordering::AcqRel);
            self.errors_dropped.fetch_add(1, Ordering::Relaxed);
            return Admit::No;
        }
        self.memory_pool.force_take(ERROR_COST);
        admit
    }

    /// The kernel's drop counter, as last read.
    pub(crate) fn kernel_drops(&self, count: u32) {
        self.kernel_dropped
            .fetch_max(u64::from(count), Ordering::Relaxed);
    }

    fn release(&self, event: &Event) {
        match event {
            Event::Message(m) => self.unadmit_message(m.data.len()),
            // Never admitted: see `error_event`.
            Event::Error(e) if always_delivered(e) => {}
            Event::Error(_) => {
                self.errors.fetch_sub(1, Ordering::AcqRel);
                self.error_pool.give(1);
                self.memory_pool.give(ERROR_COST);
            }
            Event::Listening | Event::Close => {}
        }
    }

    /// Marks the socket closed and wakes its I/O tasks so that they end.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.reader.wake();
        self.flusher.wake();
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            kernel_dropped: self.kernel_dropped.load(Ordering::Relaxed),
            errors_dropped: self.errors_dropped.load(Ordering::Relaxed),
        }
    }

    /// The event to emit for `error`, or none, after the error backlog had its say.
    ///
    /// The one error that says datagrams were dropped ([`Error::Unsent`], `send:fail N
    /// queued datagrams were not sent: socket closed`) is always delivered, whatever the
    /// backlogs hold: it is queued once per socket, by `close()`, so it cannot pile up,
    /// and it does not take a place in them.
    pub(crate) fn error_event(&self, error: Error) -> Option<Event> {
        if always_delivered(&error) {
            return Some(Event::Error(error));
        }
        match self.admit_error() {
            Admit::Yes => Some(Event::Error(error)),
            Admit::Last => Some(Event::Error(Error::TooManyErrors {
                method: error.method(),
            })),
            Admit::No => None,
        }
    }
}

/// Whether `error` bypasses the error backlogs (see [`Gate::error_event`]).
pub(crate) fn always_delivered(error: &Error) -> bool {
    matches!(error, Error::Unsent { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Method;
    use crate::event::Message;

    fn message(len: usize) -> Event {
        Event::Message(Message {
            data: vec![0; len],
            remote: "127.0.0.1:1".parse().unwrap(),
            local: "127.0.0.1:2".parse().unwrap(),
        })
    }

    #[test]
    fn received_bytes_are_bounded_per_socket_and_released_on_delivery() {
        let limits = Limits::default()
            .with_receive_buffer(3 * (100 + MESSAGE_OVERHEAD))
            .with_receive_total(1 << 20);
        let gate = Arc::new(Gate::new(&limits));
        assert!((0..3).all(|_| gate.admit_message(100)));
        assert!(!gate.admit_message(100), "the fourth does not fit");
        assert_eq!(gate.stats().dropped, 1);
        let d = Delivery::new(message(100), gate.clone());
        assert!(d.accept().is_some());
        assert!(gate.admit_message(100), "delivery gave its bytes back");
        // A dropped delivery gives them back too.
        drop(Delivery::new(message(100), gate.clone()));
        assert!(gate.admit_message(100));
        assert_eq!(limits.receive_used(), 3 * (100 + MESSAGE_OVERHEAD));
    }

    #[test]
    fn the_shared_pool_bounds_several_sockets() {
        let limits = Limits::default().with_receive_total(2 * (10 + MESSAGE_OVERHEAD));
        let (a, b) = (Gate::new(&limits), Gate::new(&limits));
        assert!(a.admit_message(10));
        assert!(b.admit_message(10));
        assert!(!a.admit_message(10));
        assert!(!b.admit_message(10));
        a.unadmit_message(10);
        assert!(b.admit_message(10));
        assert_eq!(a.stats().dropped + b.stats().dropped, 2);
    }

    #[test]
    fn messages_after_close_are_discarded_but_other_events_pass() {
        let gate = Arc::new(Gate::new(&Limits::default()));
        assert!(gate.admit_message(5));
        let late = Delivery::new(message(5), gate.clone());
        gate.close();
        assert!(late.accept().is_none());
        let close = Delivery::new(Event::Close, gate.clone());
        assert!(matches!(close.accept(), Some(Event::Close)));
    }

    #[test]
    fn the_shared_error_backlog_bounds_several_sockets() {
        let limits = Limits::default().with_error_total(5);
        let gates: Vec<Arc<Gate>> = (0..3).map(|_| Arc::new(Gate::new(&limits))).collect();
        let err = || Error::Closed {
            method: Method::Bind,
        };
        let mut held = Vec::new();
        for gate in &gates {
            for _ in 0..3 {
                if let Some(e) = gate.error_event(err()) {
                    held.push(Delivery::new(e, gate.clone()));
                }
            }
        }
        assert_eq!(held.len(), 5);
        let dropped: u64 = gates.iter().map(|g| g.stats().errors_dropped).sum();
        assert_eq!(dropped, 4);
        held.pop();
        assert!(
            gates[2].error_event(err()).is_some(),
            "a delivery freed a place"
        );
    }

    #[test]
    fn the_unsent_datagrams_error_is_delivered_when_the_backlogs_are_full() {
        // Issue 19: the one error that says data was dropped was itself dropped when
        // the socket's error backlog (or the shared one) was full.
        for limits in [
            Limits::default()
                .with_error_backlog(4)
                .with_error_total(1000),
            Limits::default()
                .with_error_backlog(1000)
                .with_error_total(3),
        ] {
            let gate = Arc::new(Gate::new(&limits));
            let mut held = Vec::new();
            for _ in 0..10 {
                if let Some(e) = gate.error_event(Error::Closed {
                    method: Method::Send,
                }) {
                    held.push(Delivery::new(e, gate.clone()));
                }
            }
            assert!(held.len() < 10, "the backlog is full");
            assert!(gate.stats().errors_dropped > 0);
            let unsent = gate
                .error_event(Error::Unsent { count: 7 })
                .expect("delivered all the same");
            let text = match Delivery::new(unsent, gate.clone()).accept() {
                Some(Event::Error(e)) => (e.to_string(), e.code()),
                other => panic!("{other:?}"),
            };
            assert_eq!(
                text,
                (
                    "send:fail 7 queued datagrams were not sent: socket closed".to_string(),
                    -2
                )
            );
            // It took no place: once the others are delivered, the backlogs are empty.
            held.clear();
            assert_eq!(gate.errors.load(Ordering::Acquire), 0);
            assert_eq!(gate.error_pool.used(), 0);
        }
    }

    #[test]
    fn the_error_backlog_keeps_its_last_place_for_a_notice() {
        let gate = Arc::new(Gate::new(&Limits::default().with_error_backlog(3)));
        let err = || Error::Closed {
            method: Method::Send,
        };
        let mut held = Vec::new();
        for _ in 0..5 {
            if let Some(e) = gate.error_event(err()) {
                held.push(Delivery::new(e, gate.clone()));
            }
        }
        let texts: Vec<String> = held
            .iter()
            .map(|d| match d.event() {
                Some(Event::Error(e)) => e.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(texts.len(), 3);
        assert_eq!(texts[0], "send:fail socket is closed");
        assert!(
            texts[2].starts_with("send:fail too many errors"),
            "{texts:?}"
        );
        assert_eq!(gate.stats().errors_dropped, 2);
        held.clear();
        assert!(matches!(
            gate.error_event(err()),
            Some(Event::Error(Error::Closed { .. }))
        ));
    }
}
