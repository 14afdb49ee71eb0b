//! How events travel from an engine to a front end: the [`EventSink`] an engine emits
//! into, the [`Delivery`] that carries each event, and the gate that applies the delivery
//! rules (no `message` after `close`) and holds reading back while too many received
//! datagrams wait for dispatch.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;

use crate::event::Event;
use crate::lock;

/// Receives the events of an [`Engine`](crate::Engine), from the thread that calls the engine's methods
/// and from the engine's I/O tasks.
///
/// An implementation only queues the [`Delivery`] (for example on a channel); the front
/// end later calls [`Delivery::accept`] on its own thread and, if it yields an event,
/// calls its listeners.
pub trait EventSink: Send + Sync + 'static {
    /// Queues one event for delivery.
    fn emit(&self, delivery: Delivery);
}

impl<F: Fn(Delivery) + Send + Sync + 'static> EventSink for F {
    fn emit(&self, delivery: Delivery) {
        self(delivery)
    }
}

/// An event on its way from an engine to a front end's listeners.
///
/// [`accept`](Delivery::accept) applies the delivery rules at the moment of dispatch:
/// a datagram received before `close()` but not yet delivered is discarded.
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

    /// The event, unless the rules say it must not be delivered any more.
    pub fn accept(mut self) -> Option<Event> {
        let event = self.event.take()?;
        if let Event::Message(_) = event {
            self.gate.release();
            if self.gate.closed.load(Ordering::Acquire) {
                return None;
            }
        }
        Some(event)
    }

    /// The event this delivery carries.
    pub fn event(&self) -> Option<&Event> {
        self.event.as_ref()
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(Event::Message(_)) = self.event {
            self.gate.release();
        }
    }
}

/// Received datagrams emitted but not yet delivered, per socket, above which the engine
/// stops reading (the kernel then queues, and drops when its buffer is full, as it would
/// for a slow reader anywhere).
pub(crate) const BACKLOG_HIGH: usize = 4096;
/// Below this the engine reads again.
const BACKLOG_LOW: usize = BACKLOG_HIGH / 2;

/// State shared between an engine, its deliveries and its read task.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    pub(crate) closed: AtomicBool,
    pub(crate) backlog: AtomicUsize,
    pub(crate) reader: Mutex<Option<Waker>>,
}

impl Gate {
    fn release(&self) {
        let before = self.backlog.fetch_sub(1, Ordering::AcqRel);
        if before <= BACKLOG_LOW + 1 {
            self.wake_reader();
        }
    }

    pub(crate) fn wake_reader(&self) {
        if let Some(waker) = lock(&self.reader).take() {
            waker.wake();
        }
    }
}
