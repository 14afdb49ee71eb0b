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
pub type IoTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs an engine's I/O tasks.
///
/// By default ([`Engine::new`](crate::frontend::Engine::new)) they are spawned on the tokio runtime. A front end with an
/// event loop of its own can poll them inside that loop instead
/// ([`Engine::with_spawner`](crate::frontend::Engine::with_spawner)): a datagram then reaches the loop without waking it from
/// another task, which on a current-thread runtime costs an extra poll of the OS.
pub trait Spawn: Send + Sync + 'static {
    /// Runs `task` to completion on the thread that drives the engine's runtime.
    fn spawn(&self, task: IoTask);
}

impl Spawn for Handle {
    fn spawn(&self, task: IoTask) {
        drop(Handle::spawn(self, task));
    }
}

/// A [`Spawn`] for a front end that polls its engines' I/O inside its own event loop:
/// engines put their tasks here (from any thread), and the loop polls them with an
/// [`IoDriver`].
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
    /// A new, empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// The driver that runs this queue's tasks; poll it from the event loop.
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
    pub fn tasks(&self) -> usize {
        self.running.len() + lock(&self.queue.shared).new.len()
    }

    /// Polls every task (new ones first) until none can make progress. Never completes:
    /// poll it alongside the loop's other work.
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
