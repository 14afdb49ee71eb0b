//! The socket engine: the glue between one socket's [state machine](crate::state), its
//! [I/O](crate::os) and the tokio tasks that read and flush. Front ends (the Rust
//! [`UdpSocket`](crate::UdpSocket), the JavaScript runtime) call its methods
//! synchronously from their own thread and receive its events through an [`EventSink`];
//! they never re-implement a rule of the contract.
//!
//! Every method locks the state, asks the state machine what to do, does it (open the
//! OS socket, hand a datagram to the kernel, queue it), and releases the lock; only then
//! are the events the call produced handed to the sink, so a sink may call back into the
//! engine.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;

use crate::delivery::{EventSink, Gate};
use crate::error::{Error, Method};
use crate::limits::{Limits, Reservation, SOCKET_COST};
use crate::options::{SendOptions, SocketType};
use crate::policy::Policy;
use crate::spawn::Spawn;
use crate::state::SocketState;
use crate::tap::TapSlot;

mod calls;
mod close;
mod inner;
mod status;

pub use calls::Calls;
use inner::{Inner, Locked};

/// One `UDPSocket`: its state machine and I/O.
///
/// Create one per socket with an [`EventSink`] and the handle of the tokio runtime that
/// runs its I/O. The runtime must have I/O enabled and must be running (on some thread)
/// for datagrams to be received and queued sends to go out; its blocking pool flushes
/// what a [`close_async`](Engine::close_async), or a drop on a runtime's thread, leaves
/// to wait for room in the kernel. Every method but `close_async` is synchronous, and
/// all may be called from any thread.
///
/// Most users want the [`UdpSocket`](crate::UdpSocket) front end instead.
///
/// # Examples
///
/// A front end of its own: the engine's events go to a channel, and this thread applies
/// the delivery rules and handles them.
///
/// ```
/// use std::sync::mpsc;
/// use wxudp::frontend::{Delivery, Engine};
/// use wxudp::{Event, Policy, SendOptions, SocketType};
///
/// // The I/O runs on a runtime driven by a thread of its own.
/// let runtime = tokio::runtime::Builder::new_current_thread()
///     .enable_all()
///     .build()
///     .unwrap();
/// let handle = runtime.handle().clone();
/// std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
///
/// let (tx, rx) = mpsc::channel::<Delivery>();
/// let sink = move |d: Delivery| {
///     let _ = tx.send(d);
/// };
/// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, handle);
/// let port = engine.bind(0)?;
/// engine.send(&SendOptions::new("127.0.0.1", port, "to myself"))?;
///
/// let timeout = std::time::Duration::from_secs(10);
/// let first = rx.recv_timeout(timeout).unwrap().accept();
/// assert!(matches!(first, Some(Event::Listening)));
/// match rx.recv_timeout(timeout).unwrap().accept() {
///     Some(Event::Message(m)) => assert_eq!(m.data, b"to myself"),
///     other => panic!("{other:?}"),
/// }
/// engine.close()?;
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Creates an unbound socket of type `ty` whose events go to `sink` and whose I/O
    /// tasks are spawned on `runtime`, with the default [`Limits`].
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp6, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.socket_type(), SocketType::Udp6);
    /// assert!(!engine.is_open(), "nothing is bound yet");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn new(ty: SocketType, policy: Policy, sink: impl EventSink, runtime: Handle) -> Self {
        Self::with_spawner(ty, policy, sink, runtime.clone(), runtime)
    }

    /// Creates an unbound socket like [`new`](Engine::new), whose I/O tasks go to
    /// `spawner` instead of being spawned on `runtime` (which still hosts the sockets'
    /// reactor).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::frontend::IoQueue;
    /// use wxudp::{Policy, SocketType};
    /// let queue = IoQueue::new();
    /// let io = queue.driver();
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::with_spawner(SocketType::Udp4, Policy::Any, sink, rt.handle().clone(), queue);
    /// engine.bind(0)?;
    /// assert_eq!(io.tasks(), 1, "the read task waits in the queue for the loop to poll it");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_spawner(
        ty: SocketType,
        policy: Policy,
        sink: impl EventSink,
        runtime: Handle,
        spawner: impl Spawn,
    ) -> Self {
        Self::with_limits(ty, policy, Limits::default(), sink, runtime, spawner)
    }

    /// Creates an unbound socket like [`with_spawner`](Engine::with_spawner), bounded by
    /// `limits` instead of the defaults.
    ///
    /// When the memory budget of `limits` ([`Limits::with_memory_total`]) has no room
    /// for another socket, the engine is closed from the start and its sink gets one
    /// `error` event, `createUDPSocket:fail cannot allocate memory (native memory budget
    /// used up)`, and no `close` event ([`try_with_limits`](Engine::try_with_limits)
    /// returns that error instead).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Limits, Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let limits = Limits::default().with_send_buffer(0);
    /// let handle = rt.handle().clone();
    /// let engine = Engine::with_limits(SocketType::Udp4, Policy::Any, limits, sink, handle.clone(), handle);
    /// // A host name must wait in the outbox, which has no room.
    /// let err = engine.send(&SendOptions::new("localhost", 9, "x")).unwrap_err();
    /// assert_eq!(err.code(), -2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_limits(
        ty: SocketType,
        policy: Policy,
        limits: Limits,
        sink: impl EventSink,
        runtime: Handle,
        spawner: impl Spawn,
    ) -> Self {
        // A socket the memory budget has no room for is made closed, with the error.
        let charge = Reservation::take(limits.memory_pool(), SOCKET_COST);
        let refused = charge.is_none();
        let engine = Self::build(ty, policy, limits, sink, runtime, spawner, charge);
        if refused {
            engine.inner.refuse();
        }
        engine
    }

    /// Creates an unbound socket like [`with_limits`](Engine::with_limits), or none when
    /// the memory budget of `limits` has no room for it: a front end that makes
    /// something lighter for a refused socket than a closed engine (the JavaScript
    /// runtime does: a script may keep thousands of refused sockets).
    ///
    /// # Errors
    /// [`Error::OutOfMemory`] (`createUDPSocket:fail cannot allocate memory (native
    /// memory budget used up)`), not delivered to any sink.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Limits, Policy, SocketType};
    /// let handle = rt.handle().clone();
    /// let limits = Limits::default().with_memory_total(0);
    /// let sink = |_: Delivery| {};
    /// let err = Engine::try_with_limits(SocketType::Udp4, Policy::Any, limits, sink, handle.clone(), handle)
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "createUDPSocket:fail cannot allocate memory (native memory budget used up)");
    /// ```
    pub fn try_with_limits(
        ty: SocketType,
        policy: Policy,
        limits: Limits,
        sink: impl EventSink,
        runtime: Handle,
        spawner: impl Spawn,
    ) -> Result<Self, Error> {
        let charge =
            Reservation::take(limits.memory_pool(), SOCKET_COST).ok_or(Error::OutOfMemory {
                method: Method::CreateUdpSocket,
            })?;
        Ok(Self::build(
            ty,
            policy,
            limits,
            sink,
            runtime,
            spawner,
            Some(charge),
        ))
    }

    fn build(
        ty: SocketType,
        policy: Policy,
        limits: Limits,
        sink: impl EventSink,
        runtime: Handle,
        spawner: impl Spawn,
        charge: Option<Reservation>,
    ) -> Self {
        Engine {
            inner: Arc::new(Inner {
                _charge: charge,
                ty,
                sink: Box::new(sink),
                gate: Arc::new(Gate::new(&limits)),
                runtime,
                spawner: Box::new(spawner),
                state: Mutex::new(Locked {
                    machine: SocketState::new(ty, policy, &limits),
                    io: None,
                    writer: None,
                    draining: false,
                    pooled: 0,
                    spare: std::collections::VecDeque::new(),
                    open_charge: None,
                    tap: TapSlot::default(),
                }),
                limits,
                closed: inner::Ended::default(),
            }),
        }
    }

    /// Returns the socket's type.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.socket_type(), SocketType::Udp4);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn socket_type(&self) -> SocketType {
        self.inner.ty
    }

    /// Runs one call of a front end: the one place where a failure becomes an `error`
    /// event.
    ///
    /// A closed socket fails with `<method>:fail socket is closed` before `call` runs,
    /// so a front end that parses its arguments inside `call` (running a script's
    /// getters, say) does not judge them on a closed socket. Otherwise `call` runs, with
    /// no lock held, and may use the socket's methods through [`Calls`]; if it fails,
    /// with its own error (a bad argument) or one of theirs, that error is delivered to
    /// the `error` listeners, once, after the events the call caused.
    ///
    /// # Errors
    /// What `call` returns, or [`Error::Closed`].
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Error, Event, Method, Policy, SocketType};
    /// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// // A front end parses a loosely typed port, then binds.
    /// let port = engine.invoke(Method::Bind, |calls| {
    ///     let port = wxudp::options::PortArg::Text("0").bind_port()?;
    ///     calls.bind(port)
    /// })?;
    /// assert_ne!(port, 0);
    /// let bad = engine.invoke(Method::Bind, |_| -> Result<u16, Error> {
    ///     Err(wxudp::options::PortArg::Number(1.5).bind_port().unwrap_err())
    /// });
    /// assert_eq!(bad.unwrap_err().code(), 2);
    /// assert!(matches!(rx.recv().unwrap().accept(), Some(Event::Listening)));
    /// assert!(matches!(rx.recv().unwrap().accept(), Some(Event::Error(e)) if e.code() == 2));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn invoke<T>(
        &self,
        method: Method,
        call: impl FnOnce(&Calls<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = if self.is_closed() {
            Err(Error::Closed { method })
        } else {
            call(&Calls { inner: &self.inner })
        };
        if let Err(e) = &result {
            self.inner.lock().machine.report(e.clone());
        }
        self.inner.deliver();
        result
    }

    /// Binds the wildcard address on `port` (0: a port the system chooses) and returns
    /// the bound port (`bind`). A `listening` event is handed to the sink after the
    /// call's lock is released.
    ///
    /// # Errors
    /// Each failure is also handed to the sink as an `error` event:
    /// [`Error::Closed`] (-1), [`Error::AlreadyBound`] (-1), or [`Error::Os`] (-2) when
    /// the OS refused the port.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Event, Policy, SocketType};
    /// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let port = engine.bind(0)?;
    /// assert_eq!(engine.local_addr().map(|a| a.port()), Some(port));
    /// assert!(matches!(rx.recv().unwrap().accept(), Some(Event::Listening)));
    /// assert_eq!(engine.bind(0).unwrap_err().code(), -1);
    /// assert!(matches!(rx.recv().unwrap().accept(), Some(Event::Error(wxudp::Error::AlreadyBound))));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        self.invoke(Method::Bind, |calls| calls.bind(port))
    }

    /// Binds a specific local address (an extension of the WeChat API, which always binds
    /// the wildcard address). On a udp6 socket an IPv4 address is bound as IPv4-mapped.
    /// `addr` is anything that becomes a [`SocketAddr`] without a lookup, as for
    /// [`UdpSocket::bind_addr`](crate::UdpSocket::bind_addr).
    ///
    /// # Errors
    /// As [`bind`](Engine::bind); an IPv6 address on a udp4 socket is
    /// [`Error::InvalidAddress`] (1).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp6, Policy::Any, sink, rt.handle().clone());
    /// let port = engine.bind_addr(([127, 0, 0, 1], 0))?;
    /// assert_eq!(engine.local_addr(), Some(format!("[::ffff:127.0.0.1]:{port}").parse().unwrap()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind_addr(&self, addr: impl Into<SocketAddr>) -> Result<u16, Error> {
        let addr = addr.into();
        self.invoke(Method::Bind, |calls| calls.bind_addr(addr))
    }

    /// Sends one datagram (`send`); binds implicitly first if the socket is unbound.
    ///
    /// A datagram to an IP address goes to the kernel during the call when nothing waits
    /// before it; one to a host name, or one the kernel has no room for, waits in the
    /// outbox for the engine's flush task.
    ///
    /// # Errors
    /// Each failure is also handed to the sink as an `error` event. The first that
    /// applies wins: a closed socket (-1), port 0 (2), a bad `offset`/`length` (-1), a bad
    /// address (1), a destination the policy refuses (-3), an IPv6 address on a udp4
    /// socket (1), a datagram too long or another OS error (-2), a full send queue (-2).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.send(&SendOptions::new("127.0.0.1", to.port(), "hi"))?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// assert_eq!(engine.send(&SendOptions::new("::1", to.port(), "hi")).unwrap_err().code(), 1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.invoke(Method::Send, |calls| calls.send(options))
    }

    /// Sends `data` to `addr` (`send`, to an address that needs no parsing): as
    /// [`send`](Engine::send), with the same checks of port, family and policy.
    ///
    /// # Errors
    /// As [`send`](Engine::send), in `send`'s name.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.send_to(b"hi", to)?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// assert_eq!(engine.stats().sent, 1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.invoke(Method::Send, |calls| calls.send_to(data, addr))
    }

    /// Sends one datagram (`write`): as [`send`](Engine::send), over the connected path
    /// when the destination is the connected peer.
    ///
    /// # Errors
    /// As [`send`](Engine::send), in `write`'s name.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.connect("127.0.0.1", to.port())?;
    /// engine.write(&SendOptions::new("127.0.0.1", to.port(), "hi"))?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// engine.close()?;
    /// let err = engine.write(&SendOptions::new("127.0.0.1", to.port(), "hi")).unwrap_err();
    /// assert_eq!(err.to_string(), "write:fail socket is closed");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.invoke(Method::Write, |calls| calls.write(options))
    }

    /// Connects the socket to one peer (`connect`); binds implicitly if unbound. A host
    /// name is resolved in the background; sends made meanwhile keep their order.
    ///
    /// # Errors
    /// Each failure is also handed to the sink as an `error` event: a closed socket (-1);
    /// as [`send`](Engine::send), port 0 (2), a bad address (1), a destination the policy
    /// refuses (-3), an IPv6 address on a udp4 socket (1); an OS error (-2); a full send
    /// queue (-2) when the connect must wait behind queued sends.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.connect("127.0.0.1", 9)?;
    /// assert!(engine.is_open(), "connect bound the socket");
    /// assert_eq!(engine.peer_addr(), Some("127.0.0.1:9".parse().unwrap()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        self.invoke(Method::Connect, |calls| calls.connect(address, port))
    }

    /// Sets the TTL (hop limit) of outgoing unicast datagrams (`setTTL`); before bind it
    /// is remembered and applied at bind.
    ///
    /// # Errors
    /// Each failure is also handed to the sink as an `error` event: a closed socket or a
    /// value above 255 (-1), or the OS refused it (-2; Linux refuses an IPv4 TTL of 0).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.set_ttl(32)?;
    /// engine.bind(0)?;
    /// assert_eq!(engine.ttl(), Some(32));
    /// assert_eq!(engine.set_ttl(300).unwrap_err().code(), -1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        self.invoke(Method::SetTtl, |calls| calls.set_ttl(ttl))
    }
}
