//! The listeners of the Rust front end: closures kept in one [`Registry`] per socket,
//! and how an event is dispatched to them.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::event::{Event, Registry};
use crate::sync::lock;

/// One listener of a [`UdpSocket`](crate::UdpSocket): a closure called with each event
/// of its kind.
pub(crate) type Listener = Arc<dyn Fn(&Event) + Send + Sync>;
/// The lock around one socket's listener registry.
pub(crate) type RegistryLock = Mutex<Registry<Listener>>;
/// One socket's listener registry, shared by its handles, its streams and the driver.
pub(crate) type Listeners = Arc<RegistryLock>;

/// Calls the listeners of `event`'s kind registered when the dispatch starts, copied
/// into `scratch` (empty, and left empty: its buffer serves the next event). The lock
/// is not held while they run, so a listener may add or remove listeners; a listener
/// that panics is reported and the others still run.
pub(crate) fn dispatch(listeners: &Listeners, event: &Event, scratch: &mut Vec<Listener>) {
    lock(listeners).snapshot_into(event.kind(), scratch);
    for listener in scratch.drain(..) {
        if catch_unwind(AssertUnwindSafe(|| listener(event))).is_err() {
            tracing::error!(kind = ?event.kind(), "a wxudp listener panicked; the others still run");
        }
    }
}
