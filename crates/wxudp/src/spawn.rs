//! Where an engine's I/O tasks run: spawned on a tokio runtime, or queued for a front
//! end's own event loop to poll ([`IoQueue`], [`IoDriver`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::runtime::Handle;

use crate::sync::lock;

/// A task of an engine's I/O: reading one socket, or flushing its outbox.
///
/// Each ends by itself once its socket is closed (at its next poll); a [`Spawn`] runs it
/// to completion.
///
/// # Examples
/// A spawner that counts the tasks before handing them to tokio.
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use wxudp::frontend::{Delivery, Engine, IoTask, Spawn};
/// use wxudp::{Policy, SocketType};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// struct Counting(tokio::runtime::Handle, Arc<AtomicUsize>);
/// impl Spawn for Counting {
///     fn spawn(&self, task: IoTask) {
///         self.1.fetch_add(1, Ordering::SeqCst);
///         Spawn::spawn(&self.0, task);
///     }
/// }
/// let count = Arc::new(AtomicUsize::new(0));
/// let spawner = Counting(rt.handle().clone(), count.clone());
/// let sink = |_: Delivery| {};
/// let engine = Engine::with_spawner(SocketType::Udp4, Policy::Any, sink, rt.handle().clone(), spawner);
/// engine.bind(0)?;
/// assert_eq!(count.load(Ordering::SeqCst), 1, "the read task");
/// # Ok::<(), wxudp::Error>(())
/// ```
pub type IoTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs an engine's I/O tasks.
///
/// By default ([`Engine::new`](crate::frontend::Engine::new)) they are spawned on the tokio runtime. A front end with an
/// event loop of its own can poll them inside that loop instead
/// ([`Engine::with_spawner`](crate::frontend::Engine::with_spawner)): a datagram then reaches the loop without waking it from
/// another task, which on a current-thread runtime costs an extra poll of the OS.
/// [`IoQueue`] is such a spawner; a tokio [`Handle`] is the default one.
///
/// # Examples
/// A spawner that counts the tasks before handing them to tokio.
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use wxudp::frontend::{Delivery, Engine, IoTask, Spawn};
/// use wxudp::{Policy, SocketType};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// struct Counting(tokio::runtime::Handle, Arc<AtomicUsize>);
/// impl Spawn for Counting {
///     fn spawn(&self, task: IoTask) {
///         self.1.fetch_add(1, Ordering::SeqCst);
///         Spawn::spawn(&self.0, task);
///     }
/// }
/// let count = Arc::new(AtomicUsize::new(0));
/// let spawner = Counting(rt.handle().clone(), count.clone());
/// let sink = |_: Delivery| {};
/// let engine = Engine::with_spawner(SocketType::Udp4, Policy::Any, sink, rt.handle().clone(), spawner);
/// engine.bind(0)?;
/// assert_eq!(count.load(Ordering::SeqCst), 1, "the read task");
/// # Ok::<(), wxudp::Error>(())
/// ```
pub trait Spawn: Send + Sync + 'static {
    /// Runs `task` to completion on the thread that drives the engine's runtime.
    ///
    /// An implementation must not run `task` inside this call: an engine calls it with
    /// its lock held.
    ///
    /// # Examples
    /// ```
    /// use wxudp::frontend::{IoQueue, Spawn};
    /// let queue = IoQueue::new();
    /// let io = queue.driver();
    /// queue.spawn(Box::pin(async {}));
    /// assert_eq!(io.tasks(), 1, "queued until the driver polls it");
    /// ```
    fn spawn(&self, task: IoTask);
}

impl Spawn for Handle {
    fn spawn(&self, task: IoTask) {
        drop(Handle::spawn(self, task));
    }
}

/// A [`Spawn`] for a front end that polls its engines' I/O inside its own event loop:
/// engines put their tasks here (from any thread), and the loop polls them with an
/// [`IoDriver`]. Clones share one queue.
///
/// # Examples
/// ```
/// use wxudp::frontend::{Delivery, Engine, IoQueue};
/// use wxudp::{Policy, SocketType};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let queue = IoQueue::new();
/// let io = queue.driver();
/// let mut engines = Vec::new();
/// for _ in 0..2 {
///     let sink = |_: Delivery| {};
///     let engine = Engine::with_spawner(SocketType::Udp4, Policy::Any, sink, rt.handle().clone(), queue.clone());
///     engine.bind(0)?;
///     engines.push(engine);
/// }
/// assert_eq!(io.tasks(), 2, "one read task per socket, both in the one queue");
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct IoQueue {
    shared: Arc<Mutex<QueueState>>,
}

#[derive(Default)]
struct QueueState {
    new: Vec<IoTask>,
    waker: Option<Waker>,
}

impl std::fmt::Debug for IoQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoQueue").finish_non_exhaustive()
    }
}

impl IoQueue {
    /// Creates an empty queue.
    ///
    /// # Examples
    /// ```
    /// let queue = wxudp::frontend::IoQueue::new();
    /// assert_eq!(queue.driver().tasks(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns a driver that runs this queue's tasks; poll it from the event loop. Make
    /// one: every driver of a queue takes the tasks it finds there.
    ///
    /// # Examples
    /// ```
    /// use std::task::{Context, Waker};
    /// use wxudp::frontend::{IoQueue, Spawn};
    /// let queue = IoQueue::new();
    /// let mut io = queue.driver();
    /// queue.spawn(Box::pin(async {}));
    /// assert!(io.poll(&mut Context::from_waker(Waker::noop())).is_pending());
    /// assert_eq!(io.tasks(), 0, "the task ran to its end");
    /// ```
    pub fn driver(&self) -> IoDriver {
        IoDriver {
            queue: self.clone(),
            running: FuturesUnordered::new(),
        }
    }
}

impl Spawn for IoQueue {
    fn spawn(&self, task: IoTask) {
        let waker = {
            let mut state = lock(&self.shared);
            state.new.push(task);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Runs the tasks of an [`IoQueue`] when polled.
///
/// # Examples
/// A loop of its own on a tokio runtime: it polls the I/O and takes the deliveries.
/// ```
/// use wxudp::frontend::{Engine, IoQueue};
/// use wxudp::{Policy, SendOptions, SocketType};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wxudp::Error> {
/// let queue = IoQueue::new();
/// let mut io = queue.driver();
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
/// let sink = move |d| {
///     let _ = tx.send(d);
/// };
/// let handle = tokio::runtime::Handle::current();
/// let engine = Engine::with_spawner(SocketType::Udp4, Policy::Any, sink, handle, queue);
/// let port = engine.bind(0)?;
/// engine.send(&SendOptions::new("127.0.0.1", port, "hi"))?;
/// let mut seen = Vec::new();
/// while seen.len() < 2 {
///     tokio::select! {
///         biased;
///         () = std::future::poll_fn(|cx| io.poll(cx)) => {}
///         Some(delivery) = rx.recv() => seen.extend(delivery.accept()),
///     }
/// }
/// assert!(matches!(seen[1], wxudp::Event::Message(ref m) if m.data == b"hi"));
/// # Ok(()) }
/// ```
pub struct IoDriver {
    queue: IoQueue,
    running: FuturesUnordered<IoTask>,
}

impl std::fmt::Debug for IoDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoDriver")
            .field("running", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl IoDriver {
    /// How many tasks are running (reading a socket, or flushing its outbox). A task
    /// ends when its socket closes, at the next poll.
    ///
    /// # Examples
    /// ```
    /// use std::task::{Context, Waker};
    /// use wxudp::frontend::{Delivery, Engine, IoQueue};
    /// use wxudp::{Policy, SocketType};
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// let queue = IoQueue::new();
    /// let mut io = queue.driver();
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::with_spawner(SocketType::Udp4, Policy::Any, sink, rt.handle().clone(), queue);
    /// engine.bind(0)?;
    /// assert_eq!(io.tasks(), 1);
    /// engine.close()?;
    /// let _ = io.poll(&mut Context::from_waker(Waker::noop()));
    /// assert_eq!(io.tasks(), 0, "the read task ended with its socket");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn tasks(&self) -> usize {
        self.running.len() + lock(&self.queue.shared).new.len()
    }

    /// Polls every task, taking in those queued since the last poll, until none can
    /// make progress. Never completes (always returns `Pending`): poll it alongside the
    /// loop's other work.
    ///
    /// # Examples
    /// ```
    /// use std::task::{Context, Waker};
    /// use wxudp::frontend::{IoQueue, Spawn};
    /// let queue = IoQueue::new();
    /// let mut io = queue.driver();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// queue.spawn(Box::pin(async move { tx.send("ran").unwrap() }));
    /// assert!(io.poll(&mut Context::from_waker(Waker::noop())).is_pending());
    /// assert_eq!(rx.try_recv(), Ok("ran"), "the task ran inside poll");
    /// ```
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let new = {
                let mut state = lock(&self.queue.shared);
                state.waker = Some(cx.waker().clone());
                std::mem::take(&mut state.new)
            };
            self.running.extend(new);
            match self.running.poll_next_unpin(cx) {
                Poll::Ready(Some(())) => continue,
                Poll::Ready(None) | Poll::Pending => {
                    if lock(&self.queue.shared).new.is_empty() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}
