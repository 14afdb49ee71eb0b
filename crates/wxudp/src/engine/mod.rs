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

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;

use crate::delivery::{EventSink, Gate, Stats};
use crate::error::{Error, Method};
use crate::limits::Limits;
use crate::options::{SendOptions, SocketType};
use crate::os;
use crate::policy::{on_own_subnet, Policy};
use crate::spawn::Spawn;
use crate::state::{Phase, SocketState, Target};
use crate::tap::{Tap, TapSlot};

mod inner;

use inner::{Inner, Locked};

/// One `UDPSocket`: its state machine and I/O.
///
/// Create one per socket with an [`EventSink`] and the handle of the tokio runtime that
/// runs its I/O. The runtime must have I/O enabled and must be running (on some thread)
/// for datagrams to be received and queued sends to go out; all methods are synchronous
/// and may be called from any thread.
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
        Engine {
            inner: Arc::new(Inner {
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
                    tap: TapSlot::default(),
                }),
                limits,
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
    /// let port = engine.bind_addr("127.0.0.1:0".parse().unwrap())?;
    /// assert_eq!(engine.local_addr(), Some(format!("[::ffff:127.0.0.1]:{port}").parse().unwrap()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind_addr(&self, addr: SocketAddr) -> Result<u16, Error> {
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

    /// Returns the TTL the OS applies to this socket's unicast datagrams, if it is open.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.ttl(), None);
    /// engine.bind(0)?;
    /// assert!(engine.ttl().is_some_and(|ttl| ttl > 0), "the system default");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn ttl(&self) -> Option<u32> {
        let st = self.inner.lock();
        os::ttl(st.io.as_ref()?, self.inner.ty)
    }

    /// Closes the socket (`close`): datagrams already sent are handed to the kernel
    /// (waiting at most [`Limits::close_timeout`] in all for room), the OS socket is
    /// closed before this returns, and a `close` event is queued. A second call does
    /// nothing.
    ///
    /// # Errors
    /// Never fails today. What could not be flushed is handed to the sink as `error`
    /// events before `close`: [`Error::Unsent`] (-2), and [`Error::Unresolved`] (-1) for
    /// each send still waiting for its host name.
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
    /// engine.close()?;
    /// engine.close()?; // does nothing
    /// assert!(engine.is_closed() && engine.local_addr().is_none());
    /// let kinds: Vec<_> = rx.try_iter().filter_map(Delivery::accept).map(|e| e.kind()).collect();
    /// assert_eq!(kinds, [wxudp::EventKind::Listening, wxudp::EventKind::Close]);
    /// // The port is free again at once.
    /// std::net::UdpSocket::bind(("0.0.0.0", port)).unwrap();
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.inner.close();
        Ok(())
    }

    /// Returns the bound local address, while the socket is open.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.local_addr(), None);
    /// let port = engine.bind(0)?;
    /// assert_eq!(engine.local_addr(), Some(([0, 0, 0, 0], port).into()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().machine.local()
    }

    /// Returns the connected peer, if `connect` has taken effect (a host name is
    /// resolved first, in the background).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.peer_addr(), None);
    /// engine.connect("[::ffff:127.0.0.1]", 9)?;
    /// assert_eq!(engine.peer_addr(), Some("127.0.0.1:9".parse().unwrap()), "udp4 unmaps it");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().machine.peer()
    }

    /// Returns whether the socket is bound and not closed.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert!(!engine.is_open());
    /// engine.bind(0)?;
    /// assert!(engine.is_open());
    /// engine.close()?;
    /// assert!(!engine.is_open());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn is_open(&self) -> bool {
        self.inner.lock().machine.phase() == Phase::Open
    }

    /// Returns whether `close()` was called.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert!(!engine.is_closed());
    /// engine.close()?;
    /// assert!(engine.is_closed());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.gate.closed.load(Ordering::Acquire)
    }

    /// Returns what the socket has done so far: datagrams sent, received, dropped.
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
    /// assert_eq!(engine.stats(), wxudp::Stats::default());
    /// engine.send(&SendOptions::new("127.0.0.1", to.port(), "one"))?;
    /// engine.send_to(b"two", to)?;
    /// assert_eq!(engine.stats().sent, 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.inner.gate.stats()
    }

    /// Sets the [`Tap`] that sees this socket's datagrams and `error` events from now
    /// on, replacing the one set before; `None` removes it.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use std::sync::{Arc, Mutex};
    /// use wxudp::frontend::{Datagram, Delivery, Engine, Tap};
    /// use wxudp::{Policy, SocketType};
    /// #[derive(Default)]
    /// struct Sizes(Mutex<Vec<usize>>);
    /// impl Tap for Sizes {
    ///     fn datagram(&self, d: &Datagram<'_>) {
    ///         self.0.lock().unwrap().push(d.data.len());
    ///     }
    /// }
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.send_to(b"unseen", to)?;
    /// let sizes = Arc::new(Sizes::default());
    /// engine.set_tap(Some(sizes.clone()));
    /// engine.send_to(b"seen", to)?;
    /// engine.set_tap(None);
    /// engine.send_to(b"unseen again", to)?;
    /// assert_eq!(*sizes.0.lock().unwrap(), [4]);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_tap(&self, tap: Option<Arc<dyn Tap>>) {
        self.inner.lock().tap = TapSlot::new(tap);
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.inner.close();
    }
}

/// The methods of a socket inside [`Engine::invoke`]: each does its work and returns
/// its failure without reporting it (the `invoke` around it does, once).
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// use wxudp::frontend::{Delivery, Engine};
/// use wxudp::{Error, EventKind, Method, Policy, SocketType};
/// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
/// let sink = move |d| { let _ = tx.send(d); };
/// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
/// let result = engine.invoke(Method::Bind, |calls| {
///     calls.bind(0)?;
///     calls.bind(0) // already bound
/// });
/// assert!(matches!(result, Err(Error::AlreadyBound)));
/// let kinds: Vec<_> = rx.try_iter().filter_map(Delivery::accept).map(|e| e.kind()).collect();
/// assert_eq!(kinds, [EventKind::Listening, EventKind::Error], "one error event");
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug)]
pub struct Calls<'a> {
    inner: &'a Arc<Inner>,
}

impl Calls<'_> {
    /// Binds the wildcard address on `port` (`bind(port)`), as [`Engine::bind`] does.
    ///
    /// # Errors
    /// As [`Engine::bind`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{options::PortArg, Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let port = engine.invoke(Method::Bind, |calls| {
    ///     let port = PortArg::Text("0").bind_port()?;
    ///     calls.bind(port)
    /// })?;
    /// assert_eq!(engine.local_addr().map(|a| a.port()), Some(port));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let addr = st.machine.bind(port)?;
        inner.open(&mut st, addr, Method::Bind)
    }

    /// Binds a specific local address, as [`Engine::bind_addr`] does.
    ///
    /// # Errors
    /// As [`Engine::bind_addr`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let loopback = "127.0.0.1:0".parse().unwrap();
    /// let port = engine.invoke(Method::Bind, |calls| calls.bind_addr(loopback))?;
    /// assert_eq!(engine.local_addr(), Some(([127, 0, 0, 1], port).into()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind_addr(&self, addr: SocketAddr) -> Result<u16, Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let addr = st.machine.bind_addr(addr)?;
        inner.open(&mut st, addr, Method::Bind)
    }

    /// Sends one datagram (`send`), as [`Engine::send`] does.
    ///
    /// # Errors
    /// As [`Engine::send`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{options::PortArg, Method, Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// let text_port = to.port().to_string(); // as a script passed it
    /// engine.invoke(Method::Send, |calls| {
    ///     let port = PortArg::Text(&text_port).destination_port(Method::Send)?;
    ///     calls.send(&SendOptions::new("127.0.0.1", port, "hi"))
    /// })?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Send, options)
    }

    /// Sends one datagram to a [`SocketAddr`], as [`Engine::send_to`] does.
    ///
    /// # Errors
    /// As [`Engine::send_to`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.invoke(Method::Send, |calls| calls.send_to(b"hi", to))?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.inner.send_to(data, addr)
    }

    /// Sends one datagram (`write`), as [`Engine::write`] does.
    ///
    /// # Errors
    /// As [`Engine::write`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// let opts = SendOptions::new("127.0.0.1", to.port(), "hi");
    /// engine.invoke(Method::Write, |calls| calls.write(&opts))?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Write, options)
    }

    /// Connects the socket to one peer (`connect`), as [`Engine::connect`] does.
    ///
    /// # Errors
    /// As [`Engine::connect`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.invoke(Method::Connect, |calls| calls.connect("127.0.0.1", 9))?;
    /// assert_eq!(engine.peer_addr(), Some("127.0.0.1:9".parse().unwrap()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        let inner = self.inner;
        let method = Method::Connect;
        let mut st = inner.lock();
        let plan = st.machine.connect(address, port, &on_own_subnet)?;
        if let Some(addr) = plan.open {
            inner.open(&mut st, addr, method)?;
        }
        match plan.target {
            Target::Addr(addr) if plan.direct => {
                let io = st.io.as_ref().ok_or_else(not_open(method))?;
                os::connect(io, addr).map_err(|e| Error::os(method, e))?;
                st.machine.connected(addr);
                Ok(())
            }
            target => inner.queue(&mut st, method, target, None),
        }
    }

    /// Sets the TTL (`setTTL`), as [`Engine::set_ttl`] does.
    ///
    /// # Errors
    /// As [`Engine::set_ttl`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{options::parse_ttl, Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.bind(0)?;
    /// // A script passed a JavaScript number.
    /// engine.invoke(Method::SetTtl, |calls| calls.set_ttl(parse_ttl(16.0)?.into()))?;
    /// assert_eq!(engine.ttl(), Some(16));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let Some(ttl) = st.machine.set_ttl(ttl)? else {
            return Ok(());
        };
        let io = st.io.as_ref().ok_or_else(not_open(Method::SetTtl))?;
        os::apply_ttl(
            &socket2::SockRef::from(io.get_ref()),
            inner.ty == SocketType::Udp6,
            ttl,
        )
        .map_err(|e| Error::os(Method::SetTtl, e))
    }
}

/// The OS socket is missing right after a successful open: cannot happen, but is an
/// error rather than a panic.
fn not_open(method: Method) -> impl FnOnce() -> Error {
    move || Error::os(method, io::Error::from(io::ErrorKind::NotConnected))
}
