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
    /// A new, unbound socket of type `ty` whose events go to `sink` and whose I/O runs on
    /// `runtime`.
    pub fn new(ty: SocketType, policy: Policy, sink: impl EventSink, runtime: Handle) -> Self {
        Self::with_spawner(ty, policy, sink, runtime.clone(), runtime)
    }

    /// A new, unbound socket like [`new`](Engine::new), whose I/O tasks go to `spawner`
    /// instead of being spawned on `runtime` (which still hosts the sockets' reactor).
    pub fn with_spawner(
        ty: SocketType,
        policy: Policy,
        sink: impl EventSink,
        runtime: Handle,
        spawner: impl Spawn,
    ) -> Self {
        Self::with_limits(ty, policy, Limits::default(), sink, runtime, spawner)
    }

    /// A new, unbound socket like [`with_spawner`](Engine::with_spawner), bounded by
    /// `limits` instead of the defaults.
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
                    draining: false,
                    pooled: 0,
                }),
                limits,
            }),
        }
    }

    /// The socket's type.
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
    /// the bound port. A `listening` event is queued.
    ///
    /// # Errors
    /// Closed or already bound (-1), or the OS refused the port (-2).
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        self.invoke(Method::Bind, |calls| calls.bind(port))
    }

    /// Binds a specific local address (an extension of the WeChat API, which always binds
    /// the wildcard address). On a udp6 socket an IPv4 address is bound as IPv4-mapped.
    ///
    /// # Errors
    /// As [`bind`](Engine::bind); an IPv6 address on a udp4 socket is errCode 1.
    pub fn bind_addr(&self, addr: SocketAddr) -> Result<u16, Error> {
        self.invoke(Method::Bind, |calls| calls.bind_addr(addr))
    }

    /// Sends one datagram (`send`); binds implicitly first if the socket is unbound.
    ///
    /// # Errors
    /// A closed socket (-1), a bad range (-1), a bad address (1) or port (2), a refused
    /// destination (-3), an OS error such as EMSGSIZE (-2), or a full send queue (-2).
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.invoke(Method::Send, |calls| calls.send(options))
    }

    /// Sends `data` to `addr` (`send`, to an address that needs no parsing): as
    /// [`send`](Engine::send), with the same checks of port, family and policy.
    ///
    /// # Errors
    /// As [`send`](Engine::send).
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.invoke(Method::Send, |calls| calls.send_to(data, addr))
    }

    /// Sends one datagram (`write`): as [`send`](Engine::send), over the connected path
    /// when the destination is the connected peer.
    ///
    /// # Errors
    /// As [`send`](Engine::send).
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.invoke(Method::Write, |calls| calls.write(options))
    }

    /// Connects the socket to one peer (`connect`); binds implicitly if unbound. A host
    /// name is resolved in the background; sends made meanwhile keep their order.
    ///
    /// # Errors
    /// As [`send`](Engine::send) for the address and port.
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        self.invoke(Method::Connect, |calls| calls.connect(address, port))
    }

    /// Sets the TTL (hop limit) of outgoing unicast datagrams (`setTTL`); before bind it
    /// is remembered and applied at bind.
    ///
    /// # Errors
    /// A closed socket or a value above 255 (-1), or the OS refused it (-2).
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        self.invoke(Method::SetTtl, |calls| calls.set_ttl(ttl))
    }

    /// The TTL the OS applies to this socket's unicast datagrams, if it is open.
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
    /// Never fails: datagrams that could not be flushed are `error` events.
    pub fn close(&self) -> Result<(), Error> {
        self.inner.close();
        Ok(())
    }

    /// The bound local address, while the socket is open.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().machine.local()
    }

    /// The connected peer, if `connect` has taken effect.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().machine.peer()
    }

    /// Whether the socket is bound and not closed.
    pub fn is_open(&self) -> bool {
        self.inner.lock().machine.phase() == Phase::Open
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.gate.closed.load(Ordering::Acquire)
    }

    /// What the socket has done so far: datagrams sent, received, dropped.
    pub fn stats(&self) -> Stats {
        self.inner.gate.stats()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.inner.close();
    }
}

/// The methods of a socket inside [`Engine::invoke`]: each does its work and returns
/// its failure without reporting it (the `invoke` around it does).
#[derive(Debug)]
pub struct Calls<'a> {
    inner: &'a Arc<Inner>,
}

impl Calls<'_> {
    /// `bind(port)`: see [`Engine::bind`].
    ///
    /// # Errors
    /// As [`Engine::bind`].
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let addr = st.machine.bind(port)?;
        inner.open(&mut st, addr, Method::Bind)
    }

    /// Binding a specific address: see [`Engine::bind_addr`].
    ///
    /// # Errors
    /// As [`Engine::bind_addr`].
    pub fn bind_addr(&self, addr: SocketAddr) -> Result<u16, Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let addr = st.machine.bind_addr(addr)?;
        inner.open(&mut st, addr, Method::Bind)
    }

    /// `send`: see [`Engine::send`].
    ///
    /// # Errors
    /// As [`Engine::send`].
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Send, options)
    }

    /// `send` to a [`SocketAddr`]: see [`Engine::send_to`].
    ///
    /// # Errors
    /// As [`Engine::send_to`].
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.inner.send_to(data, addr)
    }

    /// `write`: see [`Engine::write`].
    ///
    /// # Errors
    /// As [`Engine::write`].
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Write, options)
    }

    /// `connect`: see [`Engine::connect`].
    ///
    /// # Errors
    /// As [`Engine::connect`].
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

    /// `setTTL`: see [`Engine::set_ttl`].
    ///
    /// # Errors
    /// As [`Engine::set_ttl`].
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let Some(ttl) = st.machine.set_ttl(ttl)? else {
            return Ok(());
        };
        let io = st.io.as_ref().ok_or_else(not_open(Method::SetTtl))?;
        os::apply_ttl(
            &socket2::SockRef::from(io),
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
