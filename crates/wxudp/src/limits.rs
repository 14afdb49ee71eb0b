//! The budgets that bound what sockets hold in memory, and the bound on `close()`.
//!
//! Nothing a peer or a script does can make sockets queue without limit, one socket or
//! many: received datagrams wait for delivery within a byte budget per socket and one
//! shared by every socket of a front end (beyond them they are dropped and counted, as
//! a kernel buffer would); sends wait in the outbox within a byte budget per socket and
//! a shared one (beyond them the send fails with errCode -2); `error` events wait within
//! a count per socket and a shared one.
//!
//! Above them all, one memory budget ([`Limits::memory_total`]) bounds the native memory
//! the sockets of a front end hold together: each socket's own structures (an estimate
//! per socket, and more while it is open), the bytes of the receive and send budgets and
//! the error events waiting, and whatever a front end charges to it with
//! [`Limits::reserve`] (the JavaScript runtime's timers and HTTP requests). Beyond it
//! the call that needs more fails (`cannot allocate memory`), never the process.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// What each received datagram costs the receive budgets on top of its bytes: the
/// event, its delivery and its place in a queue.
pub(crate) const MESSAGE_OVERHEAD: usize = 128;

/// What a socket costs the memory budget from its creation until it is freed: its
/// engine, state, delivery gate and a front end's handle, and its `listening` and
/// `close` events on their way (about 1.3 KB measured in `wxudp run`, docs/SECURITY.md).
pub(crate) const SOCKET_COST: usize = 1536;

/// What an open socket costs on top of [`SOCKET_COST`], from `bind` (explicit or
/// implicit) until `close()`: its read task, its registration with the reactor and its
/// event buffers (about 1.1 KB measured).
pub(crate) const OPEN_COST: usize = 1024;

/// What an `error` event waiting for delivery counts in the memory budget. Error events
/// are bounded in number (the error backlogs), never refused for memory: the error that
/// says memory is used up must get through.
pub(crate) const ERROR_COST: usize = 256;

/// The memory budgets of a socket and the bound on its `close()`.
///
/// Clones share the same pools ([`Limits::receive_total`], [`Limits::send_total`],
/// [`Limits::error_total`], [`Limits::memory_total`]): give every socket of a front end the same `Limits` (or
/// clones of it). [`Limits::default`] uses pools shared by the whole process.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let limits = wxudp::Limits::default()
///     .with_send_buffer(1 << 20)
///     .with_close_timeout(Duration::from_millis(200));
/// assert_eq!(limits.receive_buffer, 8 << 20);
/// assert_eq!(limits.receive_total(), 64 << 20);
/// assert_eq!(limits.send_total(), 64 << 20);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of received datagrams waiting for delivery, per socket (each datagram
    /// counts its length plus a fixed overhead). Beyond it datagrams are dropped and
    /// counted in [`Stats::dropped`](crate::Stats::dropped).
    pub receive_buffer: usize,
    /// Bytes of sends waiting in the outbox (for a host name, or for room in the
    /// kernel), per socket. Beyond it `send`/`write` fail with errCode -2,
    /// `no buffer space available (send queue full)`.
    pub send_buffer: usize,
    /// `error` events waiting for delivery, per socket. The last place goes to one event
    /// saying that later errors are dropped; they are counted in
    /// [`Stats::errors_dropped`](crate::Stats::errors_dropped).
    pub error_backlog: usize,
    /// How long `close()` waits, in total, for the kernel to take the datagrams already
    /// sent. Those still queued then are dropped and reported in one `error` event.
    pub close_timeout: Duration,
    receive_pool: Arc<Pool>,
    send_pool: Arc<Pool>,
    error_pool: Arc<Pool>,
    memory_pool: Arc<Pool>,
    abort: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
}

impl Default for Limits {
    fn default() -> Self {
        static PROCESS: OnceLock<[Arc<Pool>; 4]> = OnceLock::new();
        let [receive_pool, send_pool, error_pool, memory_pool] = PROCESS
            .get_or_init(|| {
                [
                    Arc::new(Pool::new(Limits::DEFAULT_RECEIVE_TOTAL)),
                    Arc::new(Pool::new(Limits::DEFAULT_SEND_TOTAL)),
                    Arc::new(Pool::new(Limits::DEFAULT_ERROR_TOTAL)),
                    Arc::new(Pool::new(Limits::DEFAULT_MEMORY_TOTAL)),
                ]
            })
            .clone();
        Limits {
            receive_buffer: Limits::DEFAULT_RECEIVE_BUFFER,
            send_buffer: Limits::DEFAULT_SEND_BUFFER,
            error_backlog: Limits::DEFAULT_ERROR_BACKLOG,
            close_timeout: Limits::DEFAULT_CLOSE_TIMEOUT,
            receive_pool,
            send_pool,
            error_pool,
            memory_pool,
            abort: None,
        }
    }
}

impl Limits {
    /// Default [`Limits::receive_buffer`]: 8 MiB per socket.
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().receive_buffer, Limits::DEFAULT_RECEIVE_BUFFER);
    /// assert_eq!(Limits::DEFAULT_RECEIVE_BUFFER, 8 * 1024 * 1024);
    /// ```
    pub const DEFAULT_RECEIVE_BUFFER: usize = 8 << 20;

    /// Default total of the receive budget shared by the sockets of a front end: 64 MiB.
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().receive_total(), Limits::DEFAULT_RECEIVE_TOTAL);
    /// assert_eq!(Limits::DEFAULT_RECEIVE_TOTAL, 64 * 1024 * 1024);
    /// ```
    pub const DEFAULT_RECEIVE_TOTAL: usize = 64 << 20;

    /// Default [`Limits::send_buffer`]: 8 MiB per socket.
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().send_buffer, Limits::DEFAULT_SEND_BUFFER);
    /// assert_eq!(Limits::DEFAULT_SEND_BUFFER, 8 * 1024 * 1024);
    /// ```
    pub const DEFAULT_SEND_BUFFER: usize = 8 << 20;

    /// Default total of the send budget shared by the sockets of a front end: 64 MiB.
    pub const DEFAULT_SEND_TOTAL: usize = 64 << 20;

    /// Default [`Limits::error_backlog`]: 1024 error events per socket.
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().error_backlog, Limits::DEFAULT_ERROR_BACKLOG);
    /// assert_eq!(Limits::DEFAULT_ERROR_BACKLOG, 1024);
    /// ```
    pub const DEFAULT_ERROR_BACKLOG: usize = 1024;

    /// Default total of the error backlog shared by the sockets of a front end: 65536
    /// events.
    pub const DEFAULT_ERROR_TOTAL: usize = 65536;

    /// Default total of the memory budget shared by the sockets of a front end (and
    /// what it charges to it): 256 MiB. It holds the receive and send budgets' defaults
    /// (64 MiB each) with room for about 50,000 open sockets beside them.
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().memory_total(), Limits::DEFAULT_MEMORY_TOTAL);
    /// assert_eq!(Limits::DEFAULT_MEMORY_TOTAL, 256 * 1024 * 1024);
    /// ```
    pub const DEFAULT_MEMORY_TOTAL: usize = 256 << 20;

    /// Default [`Limits::close_timeout`]: 1 s.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().close_timeout, Limits::DEFAULT_CLOSE_TIMEOUT);
    /// assert_eq!(Limits::DEFAULT_CLOSE_TIMEOUT, Duration::from_secs(1));
    /// ```
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

    /// Sets [`receive_buffer`](Limits::receive_buffer): bytes of received datagrams
    /// waiting for delivery, per socket.
    ///
    /// # Examples
    /// ```
    /// let limits = wxudp::Limits::default().with_receive_buffer(1 << 20);
    /// assert_eq!(limits.receive_buffer, 1 << 20);
    /// ```
    ///
    /// [`UdpSocket::with_limits`](crate::UdpSocket::with_limits) shows a socket whose
    /// budget is full.
    pub fn with_receive_buffer(mut self, bytes: usize) -> Self {
        self.receive_buffer = bytes;
        self
    }

    /// Gives these limits (and their clones) a receive pool of their own of `bytes`
    /// in all, instead of the process-wide one.
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// let mine = Limits::default().with_receive_total(16 << 20);
    /// let clone = mine.clone();
    /// assert_eq!(clone.receive_total(), 16 << 20, "clones share the pool");
    /// assert_eq!(Limits::default().receive_total(), Limits::DEFAULT_RECEIVE_TOTAL);
    /// ```
    pub fn with_receive_total(mut self, bytes: usize) -> Self {
        self.receive_pool = Arc::new(Pool::new(bytes));
        self
    }

    /// Gives these limits (and their clones) a send pool of their own of `bytes` in
    /// all (sends waiting in every socket's outbox), instead of the process-wide one.
    pub fn with_send_total(mut self, bytes: usize) -> Self {
        self.send_pool = Arc::new(Pool::new(bytes));
        self
    }

    /// Gives these limits (and their clones) an error backlog of their own of `events`
    /// in all, instead of the process-wide one.
    pub fn with_error_total(mut self, events: usize) -> Self {
        self.error_pool = Arc::new(Pool::new(events));
        self
    }

    /// Gives these limits (and their clones) a memory budget of their own of `bytes` in
    /// all, instead of the process-wide one: the native memory their sockets hold
    /// together (each socket's structures, received datagrams waiting, sends queued,
    /// error events waiting) and what is charged with [`Limits::reserve`]. Beyond it,
    /// creating a socket makes a closed one with the error
    /// `createUDPSocket:fail cannot allocate memory (native memory budget used up)`,
    /// binding fails with `bind:fail ...` (or `send:fail ...` for an implicit bind), a
    /// received datagram is dropped and counted, a send fails with errCode -2 (send
    /// queue full), an error event is dropped and counted.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Limits, Policy, SocketType, UdpSocket};
    /// // Room for one socket's structures, not for it to open.
    /// let limits = Limits::default().with_memory_total(2048);
    /// let sock = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits.clone())?;
    /// assert!(limits.memory_used() > 0, "the socket's structures");
    /// let err = sock.bind(0).unwrap_err();
    /// assert_eq!(err.to_string(), "bind:fail cannot allocate memory (native memory budget used up)");
    /// assert_eq!(err.code(), -1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_memory_total(mut self, bytes: usize) -> Self {
        self.memory_pool = Arc::new(Pool::new(bytes));
        self
    }

    /// Returns the total of the memory budget these limits share.
    pub fn memory_total(&self) -> usize {
        self.memory_pool.limit
    }

    /// Returns the bytes of the memory budget in use.
    pub fn memory_used(&self) -> usize {
        self.memory_pool.used()
    }

    /// Takes `bytes` from the memory budget for as long as the returned
    /// [`Reservation`] lives, or returns `None` if they do not fit: how a front end
    /// charges what it holds for a script beside the sockets (timers, HTTP requests).
    ///
    /// # Examples
    /// ```
    /// let limits = wxudp::Limits::default().with_memory_total(1000);
    /// let held = limits.reserve(600).unwrap();
    /// assert!(limits.reserve(600).is_none(), "beyond the budget");
    /// assert_eq!(limits.memory_used(), 600);
    /// drop(held);
    /// assert_eq!(limits.memory_used(), 0);
    /// ```
    pub fn reserve(&self, bytes: usize) -> Option<Reservation> {
        Reservation::take(&self.memory_pool, bytes)
    }

    /// Sets [`send_buffer`](Limits::send_buffer): bytes of sends waiting in the outbox,
    /// per socket.
    ///
    /// # Examples
    /// A send to a host name waits in the outbox for the name; with no room there it
    /// fails at once.
    /// ```
    /// use wxudp::{Limits, Policy, SendOptions, SocketType, UdpSocket};
    /// let limits = Limits::default().with_send_buffer(0);
    /// let sock = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits)?;
    /// let err = sock.send(&SendOptions::new("localhost", 9, "x")).unwrap_err();
    /// assert_eq!(err.to_string(), "send:fail no buffer space available (send queue full)");
    /// assert_eq!(err.code(), -2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_send_buffer(mut self, bytes: usize) -> Self {
        self.send_buffer = bytes;
        self
    }

    /// Sets [`error_backlog`](Limits::error_backlog): `error` events waiting for
    /// delivery, per socket (at least 2: one error and the notice that later ones are
    /// dropped).
    ///
    /// # Examples
    /// ```
    /// use wxudp::Limits;
    /// assert_eq!(Limits::default().with_error_backlog(16).error_backlog, 16);
    /// assert_eq!(Limits::default().with_error_backlog(0).error_backlog, 2);
    /// ```
    pub fn with_error_backlog(mut self, events: usize) -> Self {
        self.error_backlog = events.max(2);
        self
    }

    /// Sets [`close_timeout`](Limits::close_timeout): how long `close()` waits, in
    /// total, for the kernel to take the datagrams already sent.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let limits = wxudp::Limits::default().with_close_timeout(Duration::from_millis(50));
    /// assert_eq!(limits.close_timeout, Duration::from_millis(50));
    /// ```
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// A flag that, once set, ends `close()`'s wait for the kernel at once (a front end
    /// sets it when its user asks to stop now). Datagrams still queued then are reported
    /// as with a timeout.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let stop_now = Arc::new(AtomicBool::new(false));
    /// let limits = wxudp::Limits::default().with_close_abort(stop_now.clone());
    /// assert!(format!("{limits:?}").contains("close_abort: true"));
    /// // Later, when the user asks to stop at once:
    /// stop_now.store(true, Ordering::SeqCst);
    /// ```
    pub fn with_close_abort(self, flag: Arc<AtomicBool>) -> Self {
        self.with_close_abort_when(move || flag.load(Ordering::SeqCst))
    }

    /// Like [`with_close_abort`](Limits::with_close_abort), asking `stop_now` instead of
    /// a flag (`close()` asks it every few milliseconds while it waits).
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let limits = wxudp::Limits::default().with_close_abort_when(move || Instant::now() > deadline);
    /// assert!(format!("{limits:?}").contains("close_abort: true"));
    /// assert!(format!("{:?}", wxudp::Limits::default()).contains("close_abort: false"));
    /// ```
    pub fn with_close_abort_when(
        mut self,
        stop_now: impl Fn() -> bool + Send + Sync + 'static,
    ) -> Self {
        self.abort = Some(Arc::new(stop_now));
        self
    }

    /// Returns the total of the receive pool these limits share.
    ///
    /// # Examples
    /// ```
    /// let limits = wxudp::Limits::default().with_receive_total(1 << 20);
    /// assert_eq!(limits.receive_total(), 1 << 20);
    /// ```
    pub fn receive_total(&self) -> usize {
        self.receive_pool.limit
    }

    /// Returns the bytes of received datagrams waiting for delivery in the whole pool
    /// (each counts its length plus a fixed overhead). A datagram holds its share until
    /// its [`Delivery`](crate::frontend::Delivery) is accepted or dropped.
    ///
    /// # Examples
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Event, Limits, Policy, SendOptions, SocketType};
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # let handle = runtime.handle().clone();
    /// # std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
    /// let limits = Limits::default().with_receive_total(1 << 20);
    /// let (tx, rx) = mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let engine = Engine::with_limits(
    ///     SocketType::Udp4, Policy::Any, limits.clone(), sink, handle.clone(), handle,
    /// );
    /// let port = engine.bind(0)?;
    /// engine.send(&SendOptions::new("127.0.0.1", port, "12345"))?;
    /// let timeout = Duration::from_secs(10);
    /// assert!(matches!(rx.recv_timeout(timeout).unwrap().accept(), Some(Event::Listening)));
    /// let message = rx.recv_timeout(timeout).unwrap();
    /// assert!(limits.receive_used() > 5, "waiting: its 5 bytes and the overhead");
    /// assert!(matches!(message.accept(), Some(Event::Message(_))));
    /// assert_eq!(limits.receive_used(), 0);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn receive_used(&self) -> usize {
        self.receive_pool.used()
    }

    /// The total of the send pool these limits share.
    pub fn send_total(&self) -> usize {
        self.send_pool.limit
    }

    /// Bytes of sends waiting in the outboxes of the whole pool.
    pub fn send_used(&self) -> usize {
        self.send_pool.used()
    }

    /// The total of the error backlog these limits share.
    pub fn error_total(&self) -> usize {
        self.error_pool.limit
    }

    pub(crate) fn receive_pool(&self) -> &Arc<Pool> {
        &self.receive_pool
    }

    pub(crate) fn send_pool(&self) -> &Arc<Pool> {
        &self.send_pool
    }

    pub(crate) fn error_pool(&self) -> &Arc<Pool> {
        &self.error_pool
    }

    pub(crate) fn memory_pool(&self) -> &Arc<Pool> {
        &self.memory_pool
    }

    pub(crate) fn aborted(&self) -> bool {
        self.abort.as_ref().is_some_and(|stop_now| stop_now())
    }
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("receive_buffer", &self.receive_buffer)
            .field("receive_total", &self.receive_pool.limit)
            .field("send_buffer", &self.send_buffer)
            .field("send_total", &self.send_pool.limit)
            .field("error_backlog", &self.error_backlog)
            .field("error_total", &self.error_pool.limit)
            .field("memory_total", &self.memory_pool.limit)
            .field("close_timeout", &self.close_timeout)
            .field("close_abort", &self.abort.is_some())
            .finish()
    }
}

/// A budget shared by several sockets: bytes received and not yet delivered, bytes
/// waiting to be sent, or error events waiting for delivery.
#[derive(Debug)]
pub(crate) struct Pool {
    limit: usize,
    used: AtomicUsize,
}

impl Pool {
    fn new(limit: usize) -> Self {
        Pool {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Takes `bytes` from the pool if they fit.
    pub(crate) fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Takes `bytes` whether they fit or not: for what another bound already limits
    /// (error events, bounded in number), so that the pool still counts them.
    pub(crate) fn force_take(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::AcqRel);
    }

    /// Gives `bytes` back.
    pub(crate) fn give(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// Bytes of a memory budget ([`Limits::reserve`]), given back when dropped.
///
/// # Examples
/// ```
/// let limits = wxudp::Limits::default().with_memory_total(100);
/// let mut held = limits.reserve(40).unwrap();
/// assert!(held.grow(50));
/// assert!(!held.grow(50), "140 bytes do not fit");
/// assert_eq!(held.bytes(), 90);
/// drop(held);
/// assert_eq!(limits.memory_used(), 0);
/// ```
#[derive(Debug)]
pub struct Reservation {
    pool: Arc<Pool>,
    bytes: usize,
}

impl Reservation {
    pub(crate) fn take(pool: &Arc<Pool>, bytes: usize) -> Option<Reservation> {
        pool.take(bytes).then(|| Reservation {
            pool: pool.clone(),
            bytes,
        })
    }

    /// The bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Takes `more` bytes, if they fit; returns whether they did.
    pub fn grow(&mut self, more: usize) -> bool {
        let fits = self.pool.take(more);
        if fits {
            self.bytes += more;
        }
        fits
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.pool.give(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_never_goes_over_its_limit() {
        let pool = Pool::new(100);
        assert!(pool.take(60));
        assert!(!pool.take(41));
        assert!(pool.take(40));
        assert!(!pool.take(1));
        pool.give(60);
        assert!(pool.take(usize::MAX).then_some(()).is_none());
        assert!(pool.take(60));
    }

    #[test]
    fn clones_share_their_pools_and_default_is_process_wide() {
        let a = Limits::default()
            .with_receive_total(1000)
            .with_send_total(1000);
        let b = a.clone();
        assert!(a.receive_pool().take(600));
        assert_eq!(b.receive_used(), 600);
        assert!(a.send_pool().take(10));
        assert_eq!(b.send_used(), 10);
        let process = Limits::default();
        assert!(Arc::ptr_eq(
            process.receive_pool(),
            Limits::default().receive_pool()
        ));
        assert!(Arc::ptr_eq(
            process.error_pool(),
            Limits::default().error_pool()
        ));
        assert!(!Arc::ptr_eq(a.receive_pool(), process.receive_pool()));
        assert!(Arc::ptr_eq(a.error_pool(), process.error_pool()));
    }
}
