//! The engine's glue: the lock around a socket's state and OS socket, the delivery of
//! events outside that lock, and the I/O tasks (the read loop, the outbox's flush).

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::runtime::Handle;

use crate::delivery::{Delivery, EventSink, Gate};
use crate::error::{Error, Method};
use crate::event::{Event, Message};
use crate::limits::{Limits, Reservation, OPEN_COST};
use crate::options::{SendOptions, SocketType};
use crate::os::{self, Read};
use crate::policy::on_own_subnet;
use crate::spawn::Spawn;
use crate::state::{NextOp, SendPlan, SocketState, Target, OP_OVERHEAD};
use crate::sync::lock;
use crate::sys;
use crate::tap::{Direction, TapSlot};

/// Batches of datagrams read in one go before the read task yields to others.
const READ_BUDGET: usize = 64;

/// One socket's engine, shared by its [`Engine`](super::Engine) handle and its I/O tasks.
pub(super) struct Inner {
    /// What the socket's structures hold of the memory budget, for as long as they live
    /// (`None` for a socket refused at creation).
    pub(super) _charge: Option<Reservation>,
    pub(super) ty: SocketType,
    pub(super) sink: Box<dyn EventSink>,
    pub(super) gate: Arc<Gate>,
    pub(super) limits: Limits,
    pub(super) runtime: Handle,
    pub(super) spawner: Box<dyn Spawn>,
    pub(super) state: Mutex<Locked>,
    /// Becomes true when `close()` has ended: the OS socket is closed and the `close`
    /// event queued.
    pub(super) closed: Ended,
}

/// Whether `close()` has ended, and the tasks waiting for it ([`Engine::close_async`]).
/// Lighter than a watch channel: thousands of closed sockets may wait for their
/// `close` events.
///
/// [`Engine::close_async`]: super::Engine::close_async
#[derive(Default)]
pub(super) struct Ended {
    done: std::sync::atomic::AtomicBool,
    waiters: tokio::sync::Notify,
}

impl Ended {
    /// Marks the close ended and wakes whoever waits for it.
    pub(super) fn set(&self) {
        self.done.store(true, Ordering::Release);
        self.waiters.notify_waiters();
    }

    /// Resolves once [`set`](Ended::set) has been called.
    pub(super) async fn wait(&self) {
        loop {
            let notified = self.waiters.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `set` in between is not missed.
            notified.as_mut().enable();
            if self.done.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// What the engine's lock guards: the state machine and the OS socket.
pub(super) struct Locked {
    pub(super) machine: SocketState,
    pub(super) io: Option<os::Io>,
    /// What the outbox waits on for room in the kernel, while it waits (see
    /// [`os::Writer`]).
    pub(super) writer: Option<os::Writer>,
    /// A thread is handing events to the sink; others leave theirs to it, so that
    /// events keep their order without the sink running under the lock.
    pub(super) draining: bool,
    /// Bytes of the outbox taken from the shared send pool.
    pub(super) pooled: usize,
    /// An empty event queue whose buffer [`Inner::deliver`] swaps with the state's.
    pub(super) spare: std::collections::VecDeque<Event>,
    /// What the socket holds of the memory budget while it is open.
    pub(super) open_charge: Option<Reservation>,
    /// What the socket's traffic and errors are shown to.
    pub(super) tap: TapSlot,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("type", &self.ty)
            .field("state", &lock(&self.state).machine)
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, Locked> {
        lock(&self.state)
    }

    /// Hands the queued events to the sink, in order, without holding the lock. If
    /// another thread is already doing so, it takes these too.
    pub(super) fn deliver(&self) {
        let mut st = self.lock();
        loop {
            if st.draining {
                return;
            }
            if !st.machine.has_events() {
                // A closed socket keeps no buffers: its later events (errors of later
                // calls) are rare, and thousands of closed sockets may wait for their
                // `close` events to be dispatched.
                if st.machine.phase() == crate::state::Phase::Closed {
                    st.spare = std::collections::VecDeque::new();
                    st.machine.free_buffers();
                }
                return;
            }
            st.draining = true;
            let mut events = std::mem::take(&mut st.spare);
            st.machine.swap_events(&mut events);
            let local = st.machine.local();
            let tap = st.tap.clone();
            drop(st);
            // Reset `draining` even if a sink panics.
            let guard = Draining(self);
            for event in events.drain(..) {
                self.emit(event, local, &tap);
            }
            drop(guard);
            st = self.lock();
            // Empty now; its buffer takes the next round's events.
            st.spare = events;
        }
    }

    fn emit(&self, event: Event, local: Option<SocketAddr>, tap: &TapSlot) {
        let event = match event {
            Event::Error(e) => {
                tap.error(local, &e);
                match self.gate.error_event(e) {
                    Some(event) => event,
                    None => return,
                }
            }
            other => other,
        };
        self.sink.emit(Delivery::new(event, self.gate.clone()));
    }

    /// Makes a socket the memory budget had no room for: closed from the start (later
    /// calls fail with `socket is closed`, and no `close` event comes), with the error
    /// `createUDPSocket:fail cannot allocate memory ...` handed to the sink now.
    pub(super) fn refuse(&self) {
        {
            let mut st = self.lock();
            st.machine.refuse(Error::OutOfMemory {
                method: Method::CreateUdpSocket,
            });
        }
        self.gate.close();
        self.deliver();
    }

    /// Opens the OS socket at `addr` and starts reading.
    pub(super) fn open(
        self: &Arc<Self>,
        st: &mut Locked,
        addr: SocketAddr,
        method: Method,
    ) -> Result<u16, Error> {
        // What an open socket holds beyond its structures, until `close()`.
        let charge = Reservation::take(self.limits.memory_pool(), OPEN_COST)
            .ok_or(Error::OutOfMemory { method })?;
        let opened = os::open(self.ty, addr, st.machine.ttl()).map_err(|e| Error::os(method, e))?;
        st.open_charge = Some(charge);
        if let Some(e) = opened.ttl_error {
            st.machine.report(Error::os(Method::SetTtl, e));
        }
        tracing::debug!(local = %opened.local, "socket open");
        st.io = Some(opened.io);
        st.machine.opened(opened.local);
        let me = self.clone();
        self.spawner.spawn(Box::pin(
            async move { poll_fn(|cx| me.poll_read(cx)).await },
        ));
        Ok(opened.local.port())
    }

    pub(super) fn send(
        self: &Arc<Self>,
        method: Method,
        options: &SendOptions<'_>,
    ) -> Result<(), Error> {
        let mut st = self.lock();
        let plan = st.machine.send(method, options, &on_own_subnet)?;
        self.transmit(&mut st, method, plan)
    }

    pub(super) fn send_to(self: &Arc<Self>, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
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
                    st.tap.sent(st.machine.local(), *addr, plan.data);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::os(method, e)),
            }
        }
        self.queue(st, method, plan.target, Some(plan.data.to_vec()))
    }

    /// Puts an operation in the outbox, starting the flush task if none runs.
    pub(super) fn queue(
        self: &Arc<Self>,
        st: &mut Locked,
        method: Method,
        target: Target,
        data: Option<Vec<u8>>,
    ) -> Result<(), Error> {
        tracing::trace!(%method, ?target, "queued in the outbox");
        // The shared pool first: the socket's own budget is the state machine's.
        let cost = OP_OVERHEAD + data.as_ref().map_or(0, Vec::len);
        let pool = self.limits.send_pool();
        if !pool.take(cost) {
            return Err(Error::QueueFull { method });
        }
        // The memory budget counts what waits to be sent too.
        let memory = self.limits.memory_pool();
        if !memory.take(cost) {
            pool.give(cost);
            return Err(Error::QueueFull { method });
        }
        match st.machine.queue(method, target, data) {
            Ok(start) => {
                st.pooled += cost;
                if start {
                    let me = self.clone();
                    self.spawner
                        .spawn(Box::pin(async move { me.flush().await }));
                }
                Ok(())
            }
            Err(e) => {
                pool.give(cost);
                memory.give(cost);
                Err(e)
            }
        }
    }

    /// Gives the shared send pool back what left the outbox.
    pub(super) fn settle_pool(&self, st: &mut Locked) {
        let now = st.machine.outbox_bytes();
        if st.pooled > now {
            self.limits.send_pool().give(st.pooled - now);
            self.limits.memory_pool().give(st.pooled - now);
            st.pooled = now;
        }
    }

    /// Works through the outbox in order: resolves host names, then sends (or connects)
    /// as the kernel allows.
    ///
    /// # Cancel safety
    /// Cancel safe: an operation leaves the outbox only in the same lock as its result
    /// is recorded, so a task dropped (its runtime shut down) loses no operation; it
    /// leaves the flush marked as running, so only `close()` empties that outbox then.
    async fn flush(self: Arc<Self>) {
        loop {
            // When the outbox is done, its writability descriptor goes in the same lock:
            // taken a lock later, it could be one a newer flush task (started by a send
            // in between) is waiting on. Dropped (deregistered, closed) outside the lock.
            let (next, writer) = {
                let mut st = self.lock();
                let next = st.machine.next_op();
                let writer = if next.is_none() {
                    st.writer.take()
                } else {
                    None
                };
                (next, writer)
            };
            match next {
                None => {
                    // Deregistered and closed outside the lock (Linux: see `os::Writer`).
                    #[cfg_attr(not(wxudp_linux), allow(clippy::drop_non_drop))]
                    drop(writer);
                    return;
                }
                Some(NextOp::Resolve {
                    seq,
                    method,
                    host,
                    port,
                }) => {
                    let resolved = os::resolve(self.ty, method, &host, port).await;
                    tracing::debug!(%host, ?resolved, "host name resolved");
                    let mut st = self.lock();
                    st.machine.resolved(seq, resolved);
                    self.settle_pool(&mut st);
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
        let peer = st.machine.peer();
        let result = match st.machine.front_data(seq) {
            None => os::connect(io, addr),
            Some(data) => match os::send_to(io, peer, addr, data) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // No room in the kernel: wait until there is (see `os::Writer`).
                    let writer = match st.writer.take() {
                        Some(w) => Ok(w),
                        None => os::writer(&mut st.io, &self.runtime),
                    };
                    match (writer, st.io.as_ref()) {
                        (Err(e), _) => Err(e),
                        (Ok(_), None) => Err(io::Error::from(io::ErrorKind::NotConnected)),
                        (Ok(writer), Some(io)) => {
                            let sent = os::poll_send(io, &writer, cx, || {
                                os::send_to(io, peer, addr, data)
                            });
                            st.writer = Some(writer);
                            match sent {
                                Poll::Pending => {
                                    self.gate.flusher.register(cx.waker());
                                    return Poll::Pending;
                                }
                                Poll::Ready(result) => result,
                            }
                        }
                    }
                }
                sent => sent,
            },
        };
        if result.is_ok() {
            if let Some(data) = st.machine.front_data(seq) {
                self.gate.sent.fetch_add(1, Ordering::Relaxed);
                st.tap.sent(st.machine.local(), addr, data);
            }
        }
        st.machine.transmitted(seq, result);
        self.settle_pool(st);
        Poll::Ready(())
    }

    /// Reads datagrams until the kernel has none or the socket closes.
    fn poll_read(&self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..READ_BUDGET {
            let mut failed = false;
            {
                let mut st = self.lock();
                let st = &mut *st;
                if st.io.is_none() {
                    return Poll::Ready(());
                }
                let Some(local) = st.machine.local() else {
                    return Poll::Ready(());
                };
                let read = sys::with_batch(|batch| {
                    match os::poll_read(&mut st.io, &self.runtime, cx, batch) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                        Poll::Ready(Ok(read)) => {
                            self.read_batch(&mut st.machine, &st.tap, read, local, batch);
                            Poll::Ready(Ok(()))
                        }
                    }
                });
                match read {
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
            }
            self.deliver();
            if failed {
                return Poll::Ready(());
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Takes one read's datagrams into the state's events, within the budgets.
    fn read_batch(
        &self,
        machine: &mut SocketState,
        tap: &TapSlot,
        read: Read,
        local: SocketAddr,
        batch: &sys::RecvBatch,
    ) {
        match read {
            Read::Datagrams => {
                for (data, got) in batch.datagrams() {
                    let to = got.to.unwrap_or(local.ip());
                    if !self.gate.admit_message(data.len()) {
                        tracing::trace!(from = %got.from, len = data.len(), "datagram dropped: receive budget full");
                        tap.datagram(
                            Direction::Dropped,
                            SocketAddr::new(to, local.port()),
                            got.from,
                            data,
                        );
                        continue;
                    }
                    tap.datagram(
                        Direction::Received,
                        SocketAddr::new(to, local.port()),
                        got.from,
                        data,
                    );
                    let message = Message {
                        data: data.to_vec(),
                        remote: got.from,
                        local: SocketAddr::new(to, local.port()),
                    };
                    if !machine.received(message) {
                        self.gate.unadmit_message(data.len());
                    }
                }
            }
            Read::Nothing => {}
            // ICMP errors reported on a connected socket (port unreachable, ...):
            // report them and go on reading.
            Read::Failed(e) => {
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

/// The OS socket is missing right after a successful open: cannot happen, but is an
/// error rather than a panic.
pub(super) fn not_open(method: Method) -> impl FnOnce() -> Error {
    move || Error::os(method, io::Error::from(io::ErrorKind::NotConnected))
}
