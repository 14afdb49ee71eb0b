//! The Rust front end: [`UdpSocket`], an event-style socket whose listeners run on a
//! background driver thread, plus async [`Events`] and [`Messages`] streams.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::delivery::{Delivery, Stats};
use crate::driver::Driver;
use crate::engine::Engine;
use crate::error::Error;
use crate::event::{Event, EventKind, ListenerId, Message, Registry};
use crate::limits::Limits;
use crate::options::{SendOptions, SocketType};
use crate::policy::Policy;
use crate::stream::{self, Events, Messages, DEFAULT_STREAM_CAPACITY};
use crate::sync::lock;

pub(crate) type Listener = Arc<dyn Fn(&Event) + Send + Sync>;
/// The lock around one socket's listener registry.
pub(crate) type RegistryLock = Mutex<Registry<Listener>>;
pub(crate) type Listeners = Arc<RegistryLock>;

/// A WeChat-style UDP socket for Rust: synchronous methods, events delivered to
/// listeners.
///
/// Methods mirror `UDPSocket` (`bind`, `send`, `connect`, `write`, `set_ttl`, `close`).
/// Each failure is returned *and* delivered to the `error` listeners, exactly as the
/// JavaScript API reports it. Events of one socket arrive in the order they happened.
///
/// # Where listeners run
///
/// The listeners of every `UdpSocket` in the process run on one background thread, the
/// driver, which also does the sockets' I/O. So a listener that takes long delays the
/// events of *every* socket, not only its own: a 500 ms listener on socket A holds
/// socket B's events for 500 ms. Keep listeners short and hand heavy work to a thread or
/// a channel of your own, or consume [`events`](UdpSocket::events) /
/// [`messages`](UdpSocket::messages) on your own tokio task instead. A listener that
/// panics is reported (a `tracing` error) and the others still run.
///
/// `UdpSocket` is cheap to clone; the socket closes when `close()` is called or the last
/// clone is dropped. A listener that needs its own socket (to reply, say) should hold a
/// [`WeakUdpSocket`] ([`downgrade`](UdpSocket::downgrade)): a clone held by a listener
/// keeps the socket, and its port, open until `close()`.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use wxudp::{SendOptions, SocketType, UdpSocket};
///
/// let server = UdpSocket::new(SocketType::Udp4)?;
/// let (tx, rx) = mpsc::channel();
/// server.on_message(move |msg| tx.send(msg.clone()).unwrap());
/// let port = server.bind(0)?;
///
/// let client = UdpSocket::new(SocketType::Udp4)?;
/// client.send(&SendOptions::new("127.0.0.1", port, "hello, how are you"))?;
///
/// let msg = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
/// assert_eq!(msg.data, b"hello, how are you");
/// assert_eq!(msg.remote.port(), client.local_addr().unwrap().port());
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Engine,
    listeners: Listeners,
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("engine", &self.shared.engine)
            .finish_non_exhaustive()
    }
}

impl UdpSocket {
    /// A new unbound socket (`wx.createUDPSocket(type)`), allowed to send anywhere.
    ///
    /// # Errors
    /// Only if the driver thread cannot be started (the OS refused a thread or an epoll
    /// instance): an [`Error::Os`].
    pub fn new(ty: SocketType) -> Result<Self, Error> {
        Self::with_policy(ty, Policy::Any)
    }

    /// A new unbound socket whose destinations are checked against `policy`.
    ///
    /// # Errors
    /// As [`new`](UdpSocket::new).
    pub fn with_policy(ty: SocketType, policy: Policy) -> Result<Self, Error> {
        Self::with_limits(ty, policy, Limits::default())
    }

    /// A new unbound socket with its destinations checked against `policy` and its
    /// memory bounded by `limits` (see [`Limits`]).
    ///
    /// # Errors
    /// As [`new`](UdpSocket::new).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Limits, Policy, SocketType, UdpSocket};
    /// let limits = Limits::default().with_send_buffer(64 << 10);
    /// let sock = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits)?;
    /// assert!(!sock.is_closed());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_limits(ty: SocketType, policy: Policy, limits: Limits) -> Result<Self, Error> {
        let driver = Driver::get()?;
        let listeners: Listeners = Arc::default();
        let tx = driver.tx.clone();
        let target = listeners.clone();
        let sink = move |delivery: Delivery| {
            // The driver lives for the whole process, so the send only fails while the
            // process exits; the event then has nobody to go to anyway.
            let _ = tx.send((target.clone(), delivery));
        };
        let engine = Engine::with_limits(
            ty,
            policy,
            limits,
            sink,
            driver.runtime.clone(),
            driver.io.clone(),
        );
        Ok(UdpSocket {
            shared: Arc::new(Shared { engine, listeners }),
        })
    }

    /// The socket's type, udp4 or udp6.
    pub fn socket_type(&self) -> SocketType {
        self.shared.engine.socket_type()
    }

    /// Binds the wildcard address on `port` (0 for a port chosen by the system) and
    /// returns the bound port. A `listening` event follows. It is queued, never delivered
    /// inside `bind`, but the driver thread may deliver it as soon as `bind` has queued
    /// it: register the listeners that must see it before calling `bind`.
    ///
    /// # Errors
    /// [`Error::AlreadyBound`] or [`Error::Closed`] (-1); [`Error::Os`] (-2) when the port
    /// is in use or not permitted.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// let port = sock.bind(0)?;
    /// assert_ne!(port, 0);
    /// assert_eq!(sock.bind(0).unwrap_err().to_string(), "bind:fail socket is already bound");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        self.shared.engine.bind(port)
    }

    /// Binds a specific local address instead of the wildcard (an extension of the WeChat
    /// API).
    ///
    /// # Errors
    /// As [`bind`](UdpSocket::bind); an IPv6 address on a udp4 socket is errCode 1.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp6)?;
    /// sock.bind_addr("[::1]:0".parse().unwrap())?;
    /// assert!(sock.local_addr().unwrap().ip().is_loopback());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind_addr(&self, addr: SocketAddr) -> Result<u16, Error> {
        self.shared.engine.bind_addr(addr)
    }

    /// Sends one datagram. An unbound socket is bound to a system-chosen port first (and
    /// a `listening` event follows). Host names are resolved in the background; the
    /// datagrams of one socket leave in call order.
    ///
    /// # Errors
    /// [`Error::Closed`] or a bad `offset`/`length` (-1), a bad address (1), port 0 (2), a
    /// destination refused by the policy (-3), or an OS error such as EMSGSIZE (-2).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.send(&SendOptions::new("127.0.0.1", 9, b"\x01\x02\x03").offset(1))?;
    /// assert!(sock.local_addr().is_some(), "send bound the socket");
    /// let err = sock.send(&SendOptions::new("127.0.0.1", 0, "x")).unwrap_err();
    /// assert_eq!(err.code(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.shared.engine.send(options)
    }

    /// Sends `data` to `addr`, an address already parsed (a reply to a
    /// [`Message::remote`], say): the same as [`send`](UdpSocket::send) without
    /// formatting the address to text and parsing it back.
    ///
    /// # Errors
    /// As [`send`](UdpSocket::send): port 0 (2), an IPv6 address on a udp4 socket (1),
    /// a destination the policy refuses (-3), an OS error (-2).
    ///
    /// # Examples
    /// ```
    /// use std::net::SocketAddr;
    /// use wxudp::{SocketType, UdpSocket};
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.send_to(b"ping", peer.local_addr().unwrap())?;
    /// let mut buf = [0u8; 8];
    /// let (n, from) = peer.recv_from(&mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"ping");
    /// assert_eq!(from.port(), sock.local_addr().unwrap().port());
    /// let zero: SocketAddr = "127.0.0.1:0".parse().unwrap();
    /// assert_eq!(sock.send_to(b"x", zero).unwrap_err().code(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.shared.engine.send_to(data, addr)
    }

    /// Sends one datagram like [`send`](UdpSocket::send), over the connected path when
    /// the destination is the peer given to [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// As [`send`](UdpSocket::send).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.connect("127.0.0.1", 9)?;
    /// sock.write(&SendOptions::new("127.0.0.1", 9, "ping"))?;
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.shared.engine.write(options)
    }

    /// Connects the socket to one peer: the kernel then drops datagrams from anyone else.
    /// Binds first if unbound.
    ///
    /// # Errors
    /// As [`send`](UdpSocket::send) for the address and port.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// sock.connect("127.0.0.1", 9)?;
    /// assert_eq!(sock.peer_addr(), Some("127.0.0.1:9".parse().unwrap()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        self.shared.engine.connect(address, port)
    }

    /// Sets the TTL of outgoing datagrams (IP_TTL for udp4, IPV6_UNICAST_HOPS for udp6),
    /// 0..=255. Before bind the value is remembered and applied at bind.
    ///
    /// # Errors
    /// A value above 255 or a closed socket (-1); the OS refusing the value (-2).
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// sock.set_ttl(7)?;
    /// sock.bind(0)?;
    /// assert_eq!(sock.ttl(), Some(7));
    /// assert_eq!(sock.set_ttl(256).unwrap_err().code(), -1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        self.shared.engine.set_ttl(ttl)
    }

    /// The TTL the OS applies to this socket's datagrams, while it is open.
    pub fn ttl(&self) -> Option<u32> {
        self.shared.engine.ttl()
    }

    /// Closes the socket. Datagrams already sent are handed to the kernel first, the OS
    /// socket is closed before this returns (its port is free at once), undelivered
    /// received datagrams are discarded and a `close` event is queued. Later calls fail
    /// with [`Error::Closed`]; a second `close` does nothing.
    ///
    /// # Errors
    /// None today: a datagram that cannot be flushed is reported as an `error` event.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let a = UdpSocket::new(SocketType::Udp4)?;
    /// let port = a.bind(0)?;
    /// a.close()?;
    /// let b = UdpSocket::new(SocketType::Udp4)?;
    /// assert_eq!(b.bind(port)?, port, "the port is free again at once");
    /// assert_eq!(a.bind(0).unwrap_err().to_string(), "bind:fail socket is closed");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.shared.engine.close()
    }

    /// The bound local address, while the socket is open.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.shared.engine.local_addr()
    }

    /// The connected peer, if any.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.shared.engine.peer_addr()
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.shared.engine.is_closed()
    }

    /// What the socket has done so far: datagrams sent, received, and dropped because a
    /// budget was full.
    pub fn stats(&self) -> Stats {
        self.shared.engine.stats()
    }

    /// A handle that does not keep the socket open: for listeners that use their own
    /// socket.
    ///
    /// # Examples
    /// An echo socket whose listener replies through a weak handle, so that dropping
    /// `echo` closes it.
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let echo = UdpSocket::new(SocketType::Udp4)?;
    /// let me = echo.downgrade();
    /// echo.on_message(move |msg| {
    ///     if let Some(sock) = me.upgrade() {
    ///         let to = msg.remote.ip().to_string();
    ///         let _ = sock.send(&SendOptions::new(&to, msg.remote.port(), &msg.data));
    ///     }
    /// });
    /// let port = echo.bind(0)?;
    /// let weak = echo.downgrade();
    /// drop(echo);
    /// assert!(weak.upgrade().is_none(), "the listener did not keep it");
    /// // The port is free again.
    /// UdpSocket::new(SocketType::Udp4)?.bind(port)?;
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn downgrade(&self) -> WeakUdpSocket {
        WeakUdpSocket {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Adds a `message` listener (`onMessage`).
    pub fn on_message(&self, f: impl Fn(&Message) + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Message, move |e| {
            if let Event::Message(m) = e {
                f(m)
            }
        })
    }

    /// Adds an `error` listener (`onError`).
    pub fn on_error(&self, f: impl Fn(&Error) + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Error, move |e| {
            if let Event::Error(err) = e {
                f(err)
            }
        })
    }

    /// Adds a `listening` listener (`onListening`).
    pub fn on_listening(&self, f: impl Fn() + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Listening, move |_| f())
    }

    /// Adds a `close` listener (`onClose`).
    pub fn on_close(&self, f: impl Fn() + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Close, move |_| f())
    }

    /// Adds a listener for events of `kind`, called with the whole [`Event`].
    pub fn on(&self, kind: EventKind, f: impl Fn(&Event) + Send + Sync + 'static) -> ListenerId {
        self.add(kind, f)
    }

    /// Removes one listener (`offX(fn)`); false if it was not registered.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// let id = sock.on_close(|| {});
    /// assert!(sock.off(id));
    /// assert!(!sock.off(id));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn off(&self, id: ListenerId) -> bool {
        self.listeners().remove(id)
    }

    /// Removes every listener of `kind` (`offX()`); returns how many there were.
    pub fn off_all(&self, kind: EventKind) -> usize {
        self.listeners().clear(kind)
    }

    /// A stream of every event of this socket from now on (for tokio users).
    ///
    /// Dropping the stream removes its listeners. The stream holds at most
    /// [`DEFAULT_STREAM_CAPACITY`](crate::DEFAULT_STREAM_CAPACITY) bytes of events not yet
    /// taken; see [`events_with_capacity`](UdpSocket::events_with_capacity).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{Event, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut events = sock.events();
    /// sock.bind(0)?;
    /// assert!(matches!(events.recv().await, Some(Event::Listening)));
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> Events {
        self.events_with_capacity(DEFAULT_STREAM_CAPACITY)
    }

    /// A stream of every event like [`events`](UdpSocket::events), holding at most
    /// `bytes` of events not yet taken (each counts its datagram's bytes plus a small
    /// fixed overhead). When it is full, newer events are dropped and counted in
    /// [`Events::dropped`]; a `close` event is never dropped.
    pub fn events_with_capacity(&self, bytes: usize) -> Events {
        let (feed, queue) = stream::channel(bytes);
        let ids = EventKind::ALL
            .iter()
            .map(|kind| {
                let feed = feed.clone();
                self.add(*kind, move |e| feed.push(e))
            })
            .collect();
        Events::new(queue, ids, Arc::downgrade(&self.shared.listeners))
    }

    /// A stream of the datagrams this socket receives from now on; it ends when the
    /// socket closes.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut messages = sock.messages();
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "to myself"))?;
    /// let msg = messages.recv().await.unwrap();
    /// assert_eq!(msg.data, b"to myself");
    /// sock.close()?;
    /// assert!(messages.recv().await.is_none());
    /// # Ok(()) }
    /// ```
    pub fn messages(&self) -> Messages {
        Messages::new(self.events())
    }

    fn add(&self, kind: EventKind, f: impl Fn(&Event) + Send + Sync + 'static) -> ListenerId {
        self.listeners().add(kind, Arc::new(f))
    }

    fn listeners(&self) -> MutexGuard<'_, Registry<Listener>> {
        lock(&self.shared.listeners)
    }
}

/// A handle to a [`UdpSocket`] that does not keep it open; see
/// [`UdpSocket::downgrade`].
#[derive(Debug, Clone)]
pub struct WeakUdpSocket {
    shared: Weak<Shared>,
}

impl WeakUdpSocket {
    /// The socket, if some [`UdpSocket`] handle still holds it.
    pub fn upgrade(&self) -> Option<UdpSocket> {
        self.shared.upgrade().map(|shared| UdpSocket { shared })
    }
}
