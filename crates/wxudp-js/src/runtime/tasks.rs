//! Work that runs on the run's tokio while JavaScript goes on (an HTTP request, an mDNS
//! search): its results come back to the JS thread as completions, each for a callback
//! registered when the work started.
//!
//! A native that starts such work registers its JavaScript callback ([`Tasks::register`])
//! and hands the returned [`Sender`] to a tokio task. The task sends values with
//! [`Sender::send`]: a closure that builds the callback's argument on the JS thread (so
//! nothing of JavaScript crosses threads). The event loop delivers them in its turns
//! ([`Tasks::take`]); a callback stays registered, and keeps the run alive, until a
//! completion marked last or [`Tasks::cancel`].

use std::collections::HashMap;

use rquickjs::{Ctx, Function, Persistent, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// A JavaScript function kept alive across event-loop turns.
pub(crate) type JsFunction = Persistent<Function<'static>>;

/// Builds a callback's argument on the JS thread.
pub(crate) type Make = Box<dyn for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>> + Send>;

/// A value for a registered callback.
pub(crate) struct Completion {
    pub(crate) id: u64,
    /// The last one: the callback is forgotten after it.
    pub(crate) last: bool,
    pub(crate) make: Make,
}

/// Sends completions to one callback, from any thread.
#[derive(Clone)]
pub(crate) struct Sender {
    id: u64,
    tx: UnboundedSender<Completion>,
}

impl Sender {
    /// The callback's number (what [`Tasks::cancel`] takes).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Sends a value to the callback; `false` once the run has ended.
    pub(crate) fn send(
        &self,
        last: bool,
        make: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>> + Send + 'static,
    ) -> bool {
        self.tx
            .send(Completion {
                id: self.id,
                last,
                make: Box::new(make),
            })
            .is_ok()
    }
}

/// The callbacks waiting for completions, on the JS thread.
pub(crate) struct Tasks {
    tx: UnboundedSender<Completion>,
    pending: HashMap<u64, JsFunction>,
    next: u64,
}

impl Tasks {
    /// The tasks of a run, and the receiver the event loop reads completions from.
    pub(crate) fn new() -> (Tasks, UnboundedReceiver<Completion>) {
        let (tx, rx) = unbounded_channel();
        (
            Tasks {
                tx,
                pending: HashMap::new(),
                next: 0,
            },
            rx,
        )
    }

    /// Registers `callback` and returns the sender its work delivers through.
    pub(crate) fn register<'js>(&mut self, ctx: &Ctx<'js>, callback: Function<'js>) -> Sender {
        self.next += 1;
        self.pending
            .insert(self.next, Persistent::save(ctx, callback));
        Sender {
            id: self.next,
            tx: self.tx.clone(),
        }
    }

    /// Forgets a callback: later completions for it are dropped.
    pub(crate) fn cancel(&mut self, id: u64) {
        self.pending.remove(&id);
    }

    /// The callback of a completion (forgotten if it is the last), or `None` for one
    /// cancelled meanwhile.
    pub(crate) fn take(&mut self, id: u64, last: bool) -> Option<JsFunction> {
        if last {
            self.pending.remove(&id)
        } else {
            self.pending.get(&id).cloned()
        }
    }

    /// Whether no work is waiting: with sockets closed and timers done, the run ends.
    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Forgets every callback (the run ends; Persistent values must go before the
    /// runtime).
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }
}
