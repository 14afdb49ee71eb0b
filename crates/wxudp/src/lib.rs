//! # wxudp
//!
//! The UDP socket of WeChat mini programs and mini games — `wx.createUDPSocket()` and its
//! `UDPSocket` object — as a Rust library: the same methods, the same events, the same
//! `{errMsg, errCode}` errors, on tokio.
//!
//! ## Layers
//!
//! * [`options`] parses untrusted arguments once into typed values (ports as numbers or
//!   digit strings, destinations, byte ranges, TTLs), each failure mapped to its errCode.
//! * [`Engine`] is one socket's state machine (Created → Open → Closed) and its I/O on a
//!   tokio runtime. Every rule of the contract lives here: implicit bind, the queued
//!   `listening` event, SO_BROADCAST on udp4, dual-stack udp6, ordered sends to host names
//!   resolved off the caller's thread, `close()` that flushes what was sent and frees the
//!   port before it returns. It reports events to an [`EventSink`] and knows nothing of
//!   listeners. Its I/O tasks run wherever a [`Spawn`] puts them: on a tokio runtime, or
//!   (with an [`IoQueue`]) inside the front end's own event loop, so a datagram reaches
//!   dispatch without a wake-up from another task.
//! * [`Registry`] holds listeners of any type with WeChat's `on`/`off` rules, and
//!   [`Delivery::accept`] applies the delivery rules at dispatch time (no `message` after
//!   `close`).
//! * [`UdpSocket`] is the Rust front end: closures as listeners, called on one background
//!   driver thread that also runs the I/O, plus async [`Events`]/[`Messages`] streams. The
//!   JavaScript runtime (`wxudp run`) is a second front end over the same [`Engine`], with
//!   its own thread and its own listener type.
//!
//! ## The event model
//!
//! Methods are synchronous and never block on the network (host names are resolved in
//! the background). Events are *queued*, never delivered inside the call that caused
//! them; a front end delivers them on its own thread. In the JavaScript runtime that is
//! the script's thread, so a listener registered right after `bind()` in the same turn
//! still sees `listening`; [`UdpSocket`] delivers on a background driver thread, so
//! register listeners before the call whose events they must see. Events of one socket
//! are delivered in the order they happened; each is delivered to the listeners
//! registered when its dispatch starts. A failure is both returned as an
//! [`Error`] and delivered as an `error` event; its `Display` form is WeChat's `errMsg`
//! and [`Error::code`] its `errCode`.
//!
//! ## Example
//!
//! The documentation's sample flow on loopback: an echo socket, and a socket that sends
//! `hello, how are you` to it and prints the reply.
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use wxudp::{SendOptions, SocketType, UdpSocket};
//!
//! let echo = UdpSocket::new(SocketType::Udp4)?;
//! // A weak handle: the listener does not keep its own socket open.
//! let replier = echo.downgrade();
//! echo.on_message(move |msg| {
//!     if let Some(echo) = replier.upgrade() {
//!         let to = msg.remote.ip().to_string();
//!         echo.send(&SendOptions::new(&to, msg.remote.port(), &msg.data)).unwrap();
//!     }
//! });
//! let echo_port = echo.bind(0)?;
//!
//! let udp = UdpSocket::new(SocketType::Udp4)?;
//! let (tx, rx) = mpsc::channel();
//! udp.on_message(move |msg| tx.send(msg.clone()).unwrap());
//! udp.bind(0)?;
//! udp.send(&SendOptions::new("127.0.0.1", echo_port, "hello, how are you"))?;
//!
//! let reply = rx.recv_timeout(Duration::from_secs(10)).unwrap();
//! assert_eq!(reply.data, b"hello, how are you");
//! assert_eq!(reply.remote.port(), echo_port);
//! assert_eq!(reply.remote_family(), "IPv4");
//! udp.close()?;
//! echo.close()?;
//! # Ok::<(), wxudp::Error>(())
//! ```

#![deny(unsafe_code)]

#[cfg(not(target_os = "linux"))]
compile_error!(
    "wxudp runs on Linux: it receives with recvmmsg and reads IP_PKTINFO (see src/sys.rs)"
);

mod delivery;
mod driver;
mod engine;
mod error;
mod event;
mod limits;
pub mod options;
mod os;
mod policy;
mod socket;
mod spawn;
mod state;
mod stream;
mod sync;
mod sys;

pub use delivery::{Delivery, EventSink, Stats};
pub use engine::Engine;
pub use error::{Error, Method};
pub use event::{family_name, Event, EventKind, ListenerId, Message, Registry};
pub use limits::{
    Limits, DEFAULT_CLOSE_TIMEOUT, DEFAULT_ERROR_BACKLOG, DEFAULT_RECEIVE_BUFFER,
    DEFAULT_RECEIVE_TOTAL, DEFAULT_SEND_BUFFER,
};
pub use options::{Payload, PortArg, SendOptions, SocketType};
pub use policy::Policy;
pub use socket::{UdpSocket, WeakUdpSocket};
pub use spawn::{IoDriver, IoQueue, IoTask, Spawn};
pub use stream::{Events, Messages, DEFAULT_STREAM_CAPACITY};
