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
//! * The state machine of a socket is plain data, with no I/O: the phases
//!   (Created → Open → Closed), implicit bind, the queued `listening` event, which failure
//!   wins when several apply, the ordered *outbox* of sends waiting for a host name or
//!   for room in the kernel, what `close()` must flush. Every rule of the contract
//!   (`docs/CONTRACT.md` in the repository) lives there once, unit-tested without a
//!   socket.
//! * The I/O layer does what the state machine decides: socket setup with socket2
//!   (SO_BROADCAST, dual-stack udp6, PKTINFO), batched receives with each datagram's
//!   destination address through quinn-udp (`recvmmsg` on Linux), sends, name
//!   resolution on tokio's blocking pool, and the bounded flush of `close()`. It runs on
//!   Linux, macOS and Windows; the `portable` feature makes a Linux build take the
//!   macOS/Windows paths where ours differ (docs/PLATFORM.md in the repository).
//! * [`frontend::Engine`] glues them on tokio: it locks the state, does what it says,
//!   releases the lock, and only then hands the events to an [`frontend::EventSink`], so
//!   listeners never run under its locks. Everything it queues is bounded by [`Limits`].
//! * Front ends deliver the events on their own thread. [`UdpSocket`] is the Rust one:
//!   closures as listeners, run on one background driver thread that also polls the
//!   I/O, plus async [`Events`]/[`Messages`] streams. The JavaScript runtime
//!   (`wxudp run`) is another, through the [`frontend`] module.
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
//! `hello, how are you` to it and prints the reply. Addresses already parsed go to
//! [`UdpSocket::send_to`]; WeChat's form, with the address as text and the options of
//! `SendOption`, is [`UdpSocket::send`].
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddr};
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use wxudp::{SendOptions, SocketType, UdpSocket};
//!
//! let echo = UdpSocket::new(SocketType::Udp4)?;
//! // A weak handle: the listener does not keep its own socket open.
//! let replier = echo.downgrade();
//! echo.on_message(move |msg| {
//!     if let Some(echo) = replier.upgrade() {
//!         echo.send_to(&msg.data, msg.remote).unwrap();
//!     }
//! });
//! let echo_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, echo.bind(0)?));
//!
//! let udp = UdpSocket::new(SocketType::Udp4)?;
//! let (tx, rx) = mpsc::channel();
//! udp.on_message(move |msg| tx.send(msg.clone()).unwrap());
//! udp.bind(0)?;
//! udp.send_to(b"hello, how are you", echo_addr)?;
//!
//! let reply = rx.recv_timeout(Duration::from_secs(10)).unwrap();
//! assert_eq!(reply.data, b"hello, how are you");
//! assert_eq!(reply.remote, echo_addr);
//! assert_eq!(reply.remote_family(), "IPv4");
//!
//! // The same in WeChat's form.
//! udp.send(&SendOptions::new("127.0.0.1", echo_addr.port(), "fine, thanks"))?;
//! let reply = rx.recv_timeout(Duration::from_secs(10)).unwrap();
//! assert_eq!(reply.data, b"fine, thanks");
//! udp.close()?;
//! echo.close()?;
//! # Ok::<(), wxudp::Error>(())
//! ```
//!
//! In async code, [`UdpSocket::close_async`] closes without blocking the caller's
//! thread, and [`UdpSocket::events`] / [`UdpSocket::messages`] are streams.

#![deny(unsafe_code)]

mod delivery;
mod driver;
mod engine;
mod error;
mod event;
pub mod frontend;
mod limits;
mod listeners;
pub mod options;
mod os;
mod policy;
mod socket;
mod spawn;
mod state;
mod stream;
mod sync;
mod sys;
mod tap;

pub use delivery::Stats;
pub use error::{Error, Method};
pub use event::{family_name, Event, EventKind, ListenerId, Message};
pub use limits::{Limits, Reservation};
pub use options::{Payload, SendOptions, SocketType};
pub use policy::Policy;
pub use socket::{UdpSocket, WeakUdpSocket};
pub use stream::{Events, Messages, DEFAULT_STREAM_CAPACITY};

/// The Rust blocks of the README and docs/LIBRARY.md, built and run as doc tests so
/// that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../../../docs/LIBRARY.md")]
pub struct LibraryDoctests;
