//! The socket engine: the state machine of one `UDPSocket` and the tokio tasks that do
//! its I/O. Front ends (the Rust [`UdpSocket`](crate::UdpSocket), the JavaScript runtime)
//! call its methods synchronously from their own thread and receive its events through an
//! [`EventSink`]; they never re-implement a rule of the contract.
//!
//! Every method validates its call, updates the state (Created → Open → Closed), and
//! either does the work at once (bind, connect to an IP, a send the kernel takes without
//! blocking) or queues it in the socket's *outbox* (sends to host names, sends the kernel
//! would have blocked on), which a task flushes in order. Failures are both returned and
//! emitted as [`Event::Error`].

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::runtime::Handle;

use crate::delivery::{Delivery, EventSink, Gate, BACKLOG_HIGH};
use crate::error::{Error, Method};
use crate::event::{Event, Message};
use crate::options::{Destination, SendOptions, SocketType, MAX_PAYLOAD_V4, MAX_PAYLOAD_V6};
use crate::policy::Policy;
use crate::spawn::Spawn;
use crate::{lock, sys};

/// Datagrams read in one go before the read task yields to others.
const READ_BUDGET: usize = 64;
/// Receive buffer asked of the kernel (it caps it at `net.core.rmem_max`).
const RECV_BUFFER: usize = 4 << 20;
/// How long `close()` waits for the kernel to take datagrams already sent.
const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

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
/// use wxudp::{Delivery, Engine, Event, Policy, SendOptions, SocketType};
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
    policy: Policy,
    sink: Box<dyn EventSink>,
    gate: Arc<Gate>,
    runtime: Handle,
    spawner: Box<dyn Spawn>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("type", &self.ty)
            .field("policy", &self.policy)
            .field("state", &*lock(&self.state))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Open,
    Closed,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    io: Option<tokio::net::UdpSocket>,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    ttl: Option<u8>,
    outbox: VecDeque<Op>,
    next_seq: u64,
    flushing: bool,
}

/// Work the outbox holds, in call order.
#[derive(Debug)]
struct Op {
    seq: u64,
    method: Method,
    target: Target,
    /// The datagram; `None` for a `connect`.
    data: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
enum Target {
    Addr(SocketAddr),
    Host(String, u16),
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
        Engine {
            inner: Arc::new(Inner {
                ty,
                policy,
                sink: Box::new(sink),
                gate: Arc::default(),
                runtime,
                spawner: Box::new(spawner),
                state: Mutex::new(State {
                    phase: Phase::Created,
                    io: None,
                    local: None,
                    peer: None,
                    ttl: None,
                    outbox: VecDeque::new(),
                    next_seq: 0,
                    flushing: false,
                }),
            }),
        }
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.inner.ty
    }

    /// Emits `error` as an [`Event::Error`] and returns it: for front ends that find a
    /// bad argument before calling a method.
    pub fn report(&self, error: Error) -> Error {
        self.inner.emit(Event::Error(error.clone()));
        error
    }

    /// Binds the wildcard address on `port` (0: a port the system chooses) and returns
    /// the bound port. A `listening` event is queued.
    ///
    /// # Errors
    /// Closed or already bound (-1), or the OS refused the port (-2).
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        self.bind_addr(SocketAddr::new(self.inner.wildcard(), port))
    }

    /// Binds a specific local address (an extension of the WeChat API, which always binds
    /// the wildcard address). On a udp6 socket an IPv4 address is bound as IPv4-mapped.
    ///
    /// # Errors
    /// As [`bind`](Engine::bind); an IPv6 address on a udp4 socket is errCode 1.
    pub fn bind_addr(&self, addr: SocketAddr) -> Result<u16, Error> {
        let inner = &self.inner;
        let result = (|| {
            let addr = inner.adapt(Method::Bind, addr)?;
            let mut st = inner.lock();
            match st.phase {
                Phase::Closed => Err(Error::Closed {
                    method: Method::Bind,
                }),
                Phase::Open => Err(Error::AlreadyBound),
                Phase::Created => inner.open(&mut st, addr, Method::Bind),
            }
        })();
        inner.reported(result)
    }

    /// Sends one datagram (`send`); binds implicitly first if the socket is unbound.
    ///
    /// # Errors
    /// See SPEC.md section 2: a closed socket (-1), a bad range (-1), a bad address (1)
    /// or port (2), a refused destination (-3), or an OS error such as EMSGSIZE (-2).
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Send, options)
    }

    /// Sends one datagram (`write`): as [`send`](Engine::send), over the connected path
    /// when the destination is the connected peer.
    ///
    /// # Errors
    /// As [`send`](Engine::send).
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Write, options)
    }

    /// Connects the socket to one peer (`connect`); binds implicitly if unbound. A host
    /// name is resolved in the background; sends made meanwhile keep their order.
    ///
    /// # Errors
    /// As [`send`](Engine::send) for the address and port.
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        self.inner.connect(address, port)
    }

    /// Sets the TTL (hop limit) of outgoing unicast datagrams (`setTTL`); before bind it
    /// is remembered and applied at bind.
    ///
    /// # Errors
    /// A closed socket or a value above 255 (-1), or the OS refused it (-2).
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        self.inner.set_ttl(ttl)
    }

    /// The TTL the OS applies to this socket's unicast datagrams, if it is open.
    pub fn ttl(&self) -> Option<u32> {
        let st = self.inner.lock();
        let io = st.io.as_ref()?;
        let sock = SockRef::from(io);
        match self.inner.ty {
            SocketType::Udp4 => sock.ttl_v4().ok(),
            SocketType::Udp6 => sock.unicast_hops_v6().ok(),
        }
    }

    /// Closes the socket (`close`): datagrams already sent are handed to the kernel, the
    /// OS socket is closed before this returns, and a `close` event is queued. A second
    /// call does nothing.
    ///
    /// # Errors
    /// Never fails today; failures to flush a queued datagram are `error` events.
    pub fn close(&self) -> Result<(), Error> {
        self.inner.close();
        Ok(())
    }

    /// The bound local address, while the socket is open.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().local
    }

    /// The connected peer, if `connect` has taken effect.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().peer
    }

    /// Whether the socket is bound and not closed.
    pub fn is_open(&self) -> bool {
        self.inner.lock().phase == Phase::Open
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.gate.closed.load(Ordering::Acquire)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn emit(&self, event: Event) {
        if let Event::Message(_) = event {
            self.gate.backlog.fetch_add(1, Ordering::AcqRel);
        }
        self.sink.emit(Delivery::new(event, self.gate.clone()));
    }

    fn reported<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &result {
            self.emit(Event::Error(e.clone()));
        }
        result
    }

    fn wildcard(&self) -> IpAddr {
        match self.ty {
            SocketType::Udp4 => Ipv4Addr::UNSPECIFIED.into(),
            SocketType::Udp6 => Ipv6Addr::UNSPECIFIED.into(),
        }
    }

    /// Fits an address to the socket's family: IPv4 becomes IPv4-mapped on udp6; IPv6 is
    /// refused on udp4.
    fn adapt(&self, method: Method, addr: SocketAddr) -> Result<SocketAddr, Error> {
        match (self.ty, addr.ip()) {
            (SocketType::Udp4, IpAddr::V4(_)) | (SocketType::Udp6, IpAddr::V6(_)) => Ok(addr),
            (SocketType::Udp6, IpAddr::V4(v4)) => {
                Ok(SocketAddr::new(v4.to_ipv6_mapped().into(), addr.port()))
            }
            (SocketType::Udp4, IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Ok(SocketAddr::new(v4.into(), addr.port())),
                None => Err(Error::InvalidAddress {
                    method,
                    reason: format!("{v6} is an IPv6 address and this is a udp4 socket"),
                }),
            },
        }
    }

    /// Creates, configures and binds the OS socket; queues `listening` and starts reading.
    fn open(
        self: &Arc<Self>,
        st: &mut State,
        addr: SocketAddr,
        method: Method,
    ) -> Result<u16, Error> {
        let os = |e| Error::os(method, e);
        let v6 = self.ty == SocketType::Udp6;
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let sock = Socket::new(
            domain,
            Type::DGRAM.nonblocking().cloexec(),
            Some(Protocol::UDP),
        )
        .map_err(os)?;
        if v6 {
            sock.set_only_v6(false).map_err(os)?;
        } else {
            sock.set_broadcast(true).map_err(os)?;
        }
        sys::enable_pktinfo(&sock, v6).map_err(os)?;
        // A larger buffer absorbs bursts; the kernel caps it, and a refusal is harmless.
        let _ = sock.set_recv_buffer_size(RECV_BUFFER);
        if let Some(ttl) = st.ttl {
            if let Err(e) = apply_ttl(&SockRef::from(&sock), v6, ttl) {
                self.emit(Event::Error(Error::os(Method::SetTtl, e)));
            }
        }
        sock.bind(&addr.into()).map_err(os)?;
        let std_sock: std::net::UdpSocket = sock.into();
        let io = {
            let _guard = self.runtime.enter();
            tokio::net::UdpSocket::from_std(std_sock).map_err(os)?
        };
        let local = io.local_addr().map_err(os)?;
        st.io = Some(io);
        st.local = Some(local);
        st.phase = Phase::Open;
        self.emit(Event::Listening);
        let me = self.clone();
        self.spawner.spawn(Box::pin(async move {
            let mut batch = sys::RecvBatch::new();
            poll_fn(|cx| me.poll_read(cx, &mut batch)).await;
        }));
        Ok(local.port())
    }

    /// Binds implicitly if needed; refuses a closed socket.
    fn ensure_open(self: &Arc<Self>, st: &mut State, method: Method) -> Result<(), Error> {
        match st.phase {
            Phase::Open => Ok(()),
            Phase::Closed => Err(Error::Closed { method }),
            Phase::Created => {
                let wildcard = SocketAddr::new(self.wildcard(), 0);
                self.open(st, wildcard, method).map(drop)
            }
        }
    }

    /// Parses and checks a destination against the family and the policy.
    fn target(&self, method: Method, address: &str, port: u16) -> Result<Target, Error> {
        match Destination::parse(method, address, port)? {
            Destination::Ip(addr) => {
                self.policy.check_ip(method, addr.ip())?;
                Ok(Target::Addr(self.adapt(method, addr)?))
            }
            Destination::Host(host, port) => {
                self.policy.check_host(method, &host)?;
                Ok(Target::Host(host, port))
            }
        }
    }

    fn send(self: &Arc<Self>, method: Method, options: &SendOptions<'_>) -> Result<(), Error> {
        let result = (|| {
            let mut st = self.lock();
            if st.phase == Phase::Closed {
                return Err(Error::Closed { method });
            }
            let data = options.bytes(method)?;
            let target = self.target(method, options.address, options.port)?;
            let max = match &target {
                Target::Addr(addr) if addr.ip().to_canonical().is_ipv6() => MAX_PAYLOAD_V6,
                Target::Addr(_) => MAX_PAYLOAD_V4,
                Target::Host(..) => self.ty.max_payload(),
            };
            if data.len() > max {
                return Err(Error::os(
                    method,
                    io::Error::from_raw_os_error(nix::libc::EMSGSIZE),
                ));
            }
            self.ensure_open(&mut st, method)?;
            if let (Target::Addr(addr), true) = (&target, st.outbox.is_empty()) {
                match try_send(&st, *addr, data) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    other => return other.map_err(|e| Error::os(method, e)),
                }
            }
            self.enqueue(&mut st, method, target, Some(data.to_vec()));
            Ok(())
        })();
        self.reported(result)
    }

    fn connect(self: &Arc<Self>, address: &str, port: u16) -> Result<(), Error> {
        let method = Method::Connect;
        let result = (|| {
            let mut st = self.lock();
            if st.phase == Phase::Closed {
                return Err(Error::Closed { method });
            }
            let target = self.target(method, address, port)?;
            self.ensure_open(&mut st, method)?;
            match target {
                Target::Addr(addr) if st.outbox.is_empty() => {
                    connect_now(&mut st, addr).map_err(|e| Error::os(method, e))
                }
                target => {
                    self.enqueue(&mut st, method, target, None);
                    Ok(())
                }
            }
        })();
        self.reported(result)
    }

    fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        let result = (|| {
            let mut st = self.lock();
            if st.phase == Phase::Closed {
                return Err(Error::Closed {
                    method: Method::SetTtl,
                });
            }
            let ttl = u8::try_from(ttl).map_err(|_| crate::options::invalid_ttl(ttl))?;
            st.ttl = Some(ttl);
            match &st.io {
                Some(io) => apply_ttl(&SockRef::from(io), self.ty == SocketType::Udp6, ttl)
                    .map_err(|e| Error::os(Method::SetTtl, e)),
                None => Ok(()),
            }
        })();
        self.reported(result)
    }

    fn close(&self) {
        let mut st = self.lock();
        if st.phase == Phase::Closed {
            return;
        }
        st.phase = Phase::Closed;
        self.gate.closed.store(true, Ordering::Release);
        let io = st.io.take();
        let peer = st.peer.take();
        st.local = None;
        for op in std::mem::take(&mut st.outbox) {
            match (op.target, op.data, &io) {
                (Target::Addr(addr), Some(data), Some(io)) => {
                    if let Err(e) = send_blocking(io, peer, addr, &data) {
                        self.emit(Event::Error(Error::os(op.method, e)));
                    }
                }
                (Target::Host(host, _), _, _) => {
                    self.emit(Event::Error(Error::Unresolved {
                        method: op.method,
                        host,
                    }));
                }
                // A connect to an address has nothing left to do once closed.
                _ => {}
            }
        }
        // Dropping the tokio socket deregisters it and closes the descriptor now, so the
        // port is free when `close()` returns; the read task sees `io` gone and ends.
        drop(io);
        self.emit(Event::Close);
        drop(st);
        self.gate.wake_reader();
    }

    fn enqueue(
        self: &Arc<Self>,
        st: &mut State,
        method: Method,
        target: Target,
        data: Option<Vec<u8>>,
    ) {
        let seq = st.next_seq;
        st.next_seq += 1;
        st.outbox.push_back(Op {
            seq,
            method,
            target,
            data,
        });
        if !st.flushing {
            st.flushing = true;
            let me = self.clone();
            self.spawner
                .spawn(Box::pin(async move { me.flush().await }));
        }
    }

    /// Works through the outbox in order: resolves host names, then sends (or connects)
    /// as the kernel allows.
    async fn flush(self: Arc<Self>) {
        loop {
            let (seq, method, host) = {
                let mut st = self.lock();
                let Some(op) = st.outbox.front() else {
                    st.flushing = false;
                    return;
                };
                let host = match &op.target {
                    Target::Host(host, port) => Some((host.clone(), *port)),
                    Target::Addr(_) => None,
                };
                (op.seq, op.method, host)
            };
            match host {
                Some((host, port)) => {
                    let resolved = resolve(self.ty, method, &host, port).await;
                    let mut st = self.lock();
                    match st.outbox.front_mut() {
                        Some(op) if op.seq == seq => match resolved {
                            Ok(addr) => op.target = Target::Addr(addr),
                            Err(e) => {
                                st.outbox.pop_front();
                                self.emit(Event::Error(e));
                            }
                        },
                        // `close()` took it meanwhile.
                        _ => {}
                    }
                }
                None => poll_fn(|cx| self.poll_flush_front(cx, seq)).await,
            }
        }
    }

    fn poll_flush_front(&self, cx: &mut Context<'_>, seq: u64) -> Poll<()> {
        let mut st = self.lock();
        let (addr, method) = match st.outbox.front() {
            Some(Op {
                seq: s,
                target: Target::Addr(addr),
                method,
                ..
            }) if *s == seq => (*addr, *method),
            _ => return Poll::Ready(()),
        };
        let result = loop {
            let Some(io) = st.io.as_ref() else {
                return Poll::Ready(());
            };
            let Some(data) = st.outbox.front().and_then(|op| op.data.as_deref()) else {
                break connect_now(&mut st, addr);
            };
            match io.poll_send_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => break Err(e),
                // Through tokio, so that `WouldBlock` clears its readiness and the next
                // poll waits for the kernel.
                Poll::Ready(Ok(())) => {
                    match io.try_io(Interest::WRITABLE, || send_raw(io, st.peer, addr, data)) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        other => break other,
                    }
                }
            }
        };
        st.outbox.pop_front();
        if let Err(e) = result {
            self.emit(Event::Error(Error::os(method, e)));
        }
        Poll::Ready(())
    }

    /// Reads datagrams until the kernel has none, the backlog is full, or the socket
    /// closes.
    fn poll_read(&self, cx: &mut Context<'_>, batch: &mut sys::RecvBatch) -> Poll<()> {
        for _ in 0..READ_BUDGET {
            if self.gate.backlog.load(Ordering::Acquire) >= BACKLOG_HIGH {
                *lock(&self.gate.reader) = Some(cx.waker().clone());
                if self.gate.backlog.load(Ordering::Acquire) >= BACKLOG_HIGH {
                    return Poll::Pending;
                }
            }
            let st = self.lock();
            let (Some(io), Some(local)) = (st.io.as_ref(), st.local) else {
                return Poll::Ready(());
            };
            match io.poll_recv_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.emit(Event::Error(Error::os(Method::Receive, e)));
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {}
            }
            match io.try_io(Interest::READABLE, || batch.recv(io)) {
                Ok(n) => {
                    for (data, got) in batch.datagrams() {
                        let local = SocketAddr::new(got.to.unwrap_or(local.ip()), local.port());
                        self.emit(Event::Message(Message {
                            data: data.to_vec(),
                            remote: got.from,
                            local,
                        }));
                    }
                    if n < sys::BATCH {
                        // A short batch means the queue was empty: forget the readiness
                        // now instead of asking the kernel once more to hear "would
                        // block". Datagrams arriving later raise a new readiness event.
                        let _ = io.try_io(Interest::READABLE, || {
                            Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock))
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // ICMP errors reported on a connected socket (port unreachable, ...):
                // report them and go on reading.
                Err(e) => self.emit(Event::Error(Error::os(Method::Receive, e))),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.inner.close();
    }
}

fn apply_ttl(sock: &SockRef<'_>, v6: bool, ttl: u8) -> io::Result<()> {
    if v6 {
        sock.set_unicast_hops_v6(u32::from(ttl))?;
        // IPv4 peers of a dual-stack socket use IP_TTL; Linux accepts it on AF_INET6.
        let _ = sock.set_ttl_v4(u32::from(ttl));
        Ok(())
    } else {
        sock.set_ttl_v4(u32::from(ttl))
    }
}

/// Sends without blocking; over the connected path when `addr` is the connected peer.
///
/// This is the plain syscall on the non-blocking descriptor, not tokio's `try_send_to`:
/// tokio answers `WouldBlock` without asking the kernel until its reactor has seen the
/// socket become writable, which a caller on another thread cannot wait for.
fn try_send(st: &State, addr: SocketAddr, data: &[u8]) -> io::Result<()> {
    let io = st
        .io
        .as_ref()
        .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
    send_raw(io, st.peer, addr, data)
}

fn send_raw(
    io: &tokio::net::UdpSocket,
    peer: Option<SocketAddr>,
    addr: SocketAddr,
    data: &[u8],
) -> io::Result<()> {
    let sock = SockRef::from(io);
    if peer == Some(addr) {
        sock.send(data)?;
    } else {
        sock.send_to(data, &addr.into())?;
    }
    Ok(())
}

/// Sends, waiting (bounded) for the kernel to take the datagram: used by `close()`.
fn send_blocking(
    io: &tokio::net::UdpSocket,
    peer: Option<SocketAddr>,
    addr: SocketAddr,
    data: &[u8],
) -> io::Result<()> {
    let deadline = Instant::now() + CLOSE_FLUSH_TIMEOUT;
    loop {
        match send_raw(io, peer, addr, data) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the kernel did not take the datagram before close",
                    ));
                }
                sys::wait_writable(io, left)?;
            }
            other => return other,
        }
    }
}

fn connect_now(st: &mut State, addr: SocketAddr) -> io::Result<()> {
    let io = st
        .io
        .as_ref()
        .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
    SockRef::from(io).connect(&addr.into())?;
    st.peer = Some(addr);
    Ok(())
}

/// Resolves a host name on tokio's blocking pool, picking an address the socket can
/// reach: IPv4 for udp4; IPv6 first, then IPv4 (mapped) for udp6.
async fn resolve(
    ty: SocketType,
    method: Method,
    host: &str,
    port: u16,
) -> Result<SocketAddr, Error> {
    let invalid = |reason: String| Error::InvalidAddress { method, reason };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| invalid(format!("cannot resolve {host}: {e}")))?
        .collect();
    let pick = match ty {
        SocketType::Udp4 => addrs.iter().find(|a| a.is_ipv4()).copied(),
        SocketType::Udp6 => addrs
            .iter()
            .find(|a| a.is_ipv6())
            .or_else(|| addrs.first())
            .map(|a| match a.ip() {
                IpAddr::V4(v4) => SocketAddr::new(v4.to_ipv6_mapped().into(), port),
                IpAddr::V6(_) => *a,
            }),
    };
    pick.ok_or_else(|| invalid(format!("{host} has no address for a {} socket", ty.name())))
}
