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

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::Interest;
use tokio::runtime::Handle;

use crate::delivery::{Delivery, EventSink, Gate, Stats};
use crate::error::{Error, Method};
use crate::event::{Event, Message};
use crate::limits::Limits;
use crate::options::{SendOptions, SocketType};
use crate::policy::{on_own_subnet, Policy};
use crate::spawn::Spawn;
use crate::state::{NextOp, Phase, SendPlan, SocketState, Target};
use crate::sync::lock;
use crate::{os, sys};

/// Batches of datagrams read in one go before the read task yields to others.
const READ_BUDGET: usize = 64;

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

struct Inner {
    ty: SocketType,
    sink: Box<dyn EventSink>,
    gate: Arc<Gate>,
    limits: Limits,
    runtime: Handle,
    spawner: Box<dyn Spawn>,
    state: Mutex<Locked>,
}

/// What the engine's lock guards: the state machine and the OS socket.
struct Locked {
    machine: SocketState,
    io: Option<tokio::net::UdpSocket>,
    /// A thread is handing events to the sink; others leave theirs to it, so that
    /// events keep their order without the sink running under the lock.
    draining: bool,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("type", &self.ty)
            .field("state", &lock(&self.state).machine)
            .finish_non_exhaustive()
    }
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

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Locked> {
        lock(&self.state)
    }

    /// Hands the queued events to the sink, in order, without holding the lock. If
    /// another thread is already doing so, it takes these too.
    fn deliver(&self) {
        let mut st = self.lock();
        loop {
            if st.draining || !st.machine.has_events() {
                return;
            }
            st.draining = true;
            let events = st.machine.take_events();
            drop(st);
            // Reset `draining` even if a sink panics.
            let guard = Draining(self);
            for event in events {
                self.emit(event);
            }
            drop(guard);
            st = self.lock();
        }
    }

    fn emit(&self, event: Event) {
        let event = match event {
            Event::Error(e) => match self.gate.error_event(e) {
                Some(event) => event,
                None => return,
            },
            other => other,
        };
        self.sink.emit(Delivery::new(event, self.gate.clone()));
    }

    /// Opens the OS socket at `addr` and starts reading.
    fn open(
        self: &Arc<Self>,
        st: &mut Locked,
        addr: SocketAddr,
        method: Method,
    ) -> Result<u16, Error> {
        let opened = os::open(self.ty, addr, st.machine.ttl(), &self.runtime)
            .map_err(|e| Error::os(method, e))?;
        if let Some(e) = opened.ttl_error {
            st.machine.report(Error::os(Method::SetTtl, e));
        }
        st.io = Some(opened.io);
        st.machine.opened(opened.local);
        let me = self.clone();
        self.spawner.spawn(Box::pin(async move {
            let mut batch = sys::RecvBatch::new();
            poll_fn(|cx| me.poll_read(cx, &mut batch)).await;
        }));
        Ok(opened.local.port())
    }

    fn send(self: &Arc<Self>, method: Method, options: &SendOptions<'_>) -> Result<(), Error> {
        let mut st = self.lock();
        let plan = st.machine.send(method, options, &on_own_subnet)?;
        self.transmit(&mut st, method, plan)
    }

    fn send_to(self: &Arc<Self>, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        let method = Method::Send;
        let mut st = self.lock();
        let plan = st.machine.send_to(method, data, addr, &on_own_subnet)?;
        self.transmit(&mut st, method, plan)
    }

    /// Carries out a send the state machine planned: an implicit bind, then the kernel
    /// at once if it can, or the outbox.
    fn transmit(
        self: &Arc<Self>,
        st: &mut Locked,
        method: Method,
        plan: SendPlan<'_>,
    ) -> Result<(), Error> {
        if let Some(addr) = plan.open {
            self.open(st, addr, method)?;
        }
        if let (Target::Addr(addr), true) = (&plan.target, plan.direct) {
            let io = st.io.as_ref().ok_or_else(not_open(method))?;
            match os::send_to(io, st.machine.peer(), *addr, plan.data) {
                Ok(()) => {
                    self.gate.sent.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::os(method, e)),
            }
        }
        self.queue(st, method, plan.target, Some(plan.data.to_vec()))
    }

    /// Puts an operation in the outbox, starting the flush task if none runs.
    fn queue(
        self: &Arc<Self>,
        st: &mut Locked,
        method: Method,
        target: Target,
        data: Option<Vec<u8>>,
    ) -> Result<(), Error> {
        if st.machine.queue(method, target, data)? {
            let me = self.clone();
            self.spawner
                .spawn(Box::pin(async move { me.flush().await }));
        }
        Ok(())
    }

    fn close(&self) {
        let (flush, io) = {
            let mut st = self.lock();
            match st.machine.close() {
                Some(flush) => (flush, st.io.take()),
                None => return,
            }
        };
        self.gate.close();
        let flushed = match &io {
            Some(io) => os::flush(
                io,
                flush.peer,
                flush.datagrams,
                Instant::now() + self.limits.close_timeout,
                &|| self.limits.aborted(),
            ),
            None => os::Flushed::default(),
        };
        // Dropping the tokio socket deregisters it and closes the descriptor now, so the
        // port is free when `close()` returns.
        drop(io);
        self.gate.sent.fetch_add(flushed.sent, Ordering::Relaxed);
        self.lock()
            .machine
            .finish_close(flushed.errors, flushed.unsent);
        self.deliver();
    }

    /// Works through the outbox in order: resolves host names, then sends (or connects)
    /// as the kernel allows.
    async fn flush(self: Arc<Self>) {
        loop {
            let next = self.lock().machine.next_op();
            match next {
                None => return,
                Some(NextOp::Resolve {
                    seq,
                    method,
                    host,
                    port,
                }) => {
                    let resolved = os::resolve(self.ty, method, &host, port).await;
                    self.lock().machine.resolved(seq, resolved);
                }
                Some(NextOp::Transmit { seq, addr }) => {
                    poll_fn(|cx| self.poll_transmit(cx, seq, addr)).await;
                }
            }
            self.deliver();
        }
    }

    fn poll_transmit(&self, cx: &mut Context<'_>, seq: u64, addr: SocketAddr) -> Poll<()> {
        let mut st = self.lock();
        let st = &mut *st;
        let Some(io) = st.io.as_ref() else {
            // Closed: `close()` took the outbox.
            return Poll::Ready(());
        };
        let result = match st.machine.front_data(seq) {
            None => os::connect(io, addr),
            Some(data) => loop {
                match io.poll_send_ready(cx) {
                    Poll::Pending => {
                        self.gate.flusher.register(cx.waker());
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => break Err(e),
                    // Through tokio, so that `WouldBlock` clears its readiness and the
                    // next poll waits for the kernel.
                    Poll::Ready(Ok(())) => match io.try_io(Interest::WRITABLE, || {
                        os::send_to(io, st.machine.peer(), addr, data)
                    }) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        Ok(()) => {
                            self.gate.sent.fetch_add(1, Ordering::Relaxed);
                            break Ok(());
                        }
                        Err(e) => break Err(e),
                    },
                }
            },
        };
        st.machine.transmitted(seq, result);
        Poll::Ready(())
    }

    /// Reads datagrams until the kernel has none or the socket closes.
    fn poll_read(&self, cx: &mut Context<'_>, batch: &mut sys::RecvBatch) -> Poll<()> {
        for _ in 0..READ_BUDGET {
            let mut failed = false;
            {
                let mut st = self.lock();
                let st = &mut *st;
                let (Some(io), Some(local)) = (st.io.as_ref(), st.machine.local()) else {
                    return Poll::Ready(());
                };
                match io.poll_recv_ready(cx) {
                    Poll::Pending => {
                        self.gate.reader.register(cx.waker());
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => {
                        st.machine.report(Error::os(Method::Receive, e));
                        failed = true;
                    }
                    Poll::Ready(Ok(())) => {}
                }
                if !failed {
                    self.read_batch(&mut st.machine, io, local, batch);
                }
            }
            self.deliver();
            if failed {
                return Poll::Ready(());
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Reads one batch of datagrams into the state's events, within the budgets.
    fn read_batch(
        &self,
        machine: &mut SocketState,
        io: &tokio::net::UdpSocket,
        local: SocketAddr,
        batch: &mut sys::RecvBatch,
    ) {
        match io.try_io(Interest::READABLE, || batch.recv(io)) {
            Ok(n) => {
                for (data, got) in batch.datagrams() {
                    if let Some(count) = got.kernel_drops {
                        self.gate.kernel_drops(count);
                    }
                    if !self.gate.admit_message(data.len()) {
                        continue;
                    }
                    let to = got.to.unwrap_or(local.ip());
                    let message = Message {
                        data: data.to_vec(),
                        remote: got.from,
                        local: SocketAddr::new(to, local.port()),
                    };
                    if !machine.received(message) {
                        self.gate.unadmit_message(data.len());
                    }
                }
                if n < sys::BATCH {
                    // A short batch means the queue was empty: forget the
                    // readiness now instead of asking the kernel once more to
                    // hear "would block". Later datagrams raise a new readiness.
                    let _ = io.try_io(Interest::READABLE, || {
                        Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock))
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // ICMP errors reported on a connected socket (port unreachable, ...):
            // report them and go on reading.
            Err(e) => {
                machine.report(Error::os(Method::Receive, e));
            }
        }
    }
}

/// Clears [`Locked::draining`] when a delivery round ends, even by a panic.
struct Draining<'a>(&'a Inner);

impl Drop for Draining<'_> {
    fn drop(&mut self) {
        self.0.lock().draining = false;
    }
}
