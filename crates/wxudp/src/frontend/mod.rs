//! For front ends of the core other than [`UdpSocket`](crate::UdpSocket), such as the
//! JavaScript runtime and the Node.js addon.
//!
//! - **The rulebook** ([`Source`] and the readers beside it): how each method reads its
//!   arguments from a loosely typed host, in WeChat's order and wording; which
//!   listeners `off` removes ([`off`]); the `canIUse` table ([`can_i_use`]). A front end
//!   implements [`Source`] for its engine's values and calls the readers, so that every
//!   front end judges the same input the same way.
//! - **The engine and its events.** A front end creates an [`Engine`] per socket with an
//!   [`EventSink`] of its own, calls the engine's methods from its own thread (through
//!   [`Engine::invoke`] when it reads loosely typed arguments, so that a closed socket
//!   is judged first and every failure becomes exactly one `error` event), and later
//!   applies [`Delivery::accept`] on its thread before calling its listeners, kept in a
//!   [`Registry`]. With an [`IoQueue`] it polls the engines' I/O in its own loop instead
//!   of on a tokio runtime.

mod args;
pub mod can_i_use;
#[cfg(test)]
mod tests;

pub use args::{
    bind_port, connect_options, off, parse_index, parse_ttl, port_arg, send_options, socket_type,
    ttl, type_name, view_bytes, Key, Kind, Off, Source, ViewError,
};

pub use crate::delivery::{Delivery, EventSink, Refusals};
pub use crate::engine::{Calls, Engine};
pub use crate::event::Registry;
pub use crate::spawn::{IoDriver, IoQueue, IoTask, Spawn};
pub use crate::tap::{Datagram, Direction, Tap};
