//! Async streams of a [`UdpSocket`](crate::UdpSocket)'s events: [`Events`] and
//! [`Messages`], each bounded in bytes.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use crate::event::{Event, ListenerId, Message};
use crate::limits::MESSAGE_OVERHEAD;
use crate::listeners::RegistryLock;
use crate::sync::lock;

/// Default capacity of an [`Events`] or [`Messages`] stream: 8 MiB of events.
///
/// # Examples
/// ```
/// assert_eq!(wxudp::DEFAULT_STREAM_CAPACITY, 8 * 1024 * 1024);
/// ```
pub const DEFAULT_STREAM_CAPACITY: usize = 8 << 20;

/// What an event costs a stream's capacity: its bytes (for a message) plus a fixed
/// overhead.
fn cost(event: &Event) -> usize {
    MESSAGE_OVERHEAD
        + match event {
            Event::Message(m) => m.data.len(),
            _ => 0,
        }
}

/// The events waiting in one stream.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    events: VecDeque<Event>,
    bytes: usize,
    capacity: usize,
    dropped: u64,
    /// No more events will come: the socket is gone.
    ended: bool,
    waker: Option<Waker>,
}

/// The listeners' end of a stream: pushes events, and ends the stream when the last
/// listener holding it is dropped (with the socket).
#[derive(Debug)]
pub(crate) struct Feed {
    queue: Arc<Mutex<Queue>>,
}

impl Feed {
    /// Queues `event`, unless the stream is full: then it is dropped and counted. A
    /// `close` event always finds room, so a stream always sees its socket close, and so
    /// does the error that says `close()` dropped queued datagrams (one per socket).
    pub(crate) fn push(&self, event: &Event) {
        let mut q = lock(&self.queue);
        let cost = cost(event);
        let always = match event {
            Event::Close => true,
            Event::Error(e) => crate::delivery::always_delivered(e),
            _ => false,
        };
        if q.bytes + cost > q.capacity && !always {
            q.dropped += 1;
            return;
        }
        q.bytes += cost;
        q.events.push_back(event.clone());
        if let Some(waker) = q.waker.take() {
            waker.wake();
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        let mut q = lock(&self.queue);
        q.ended = true;
        if let Some(waker) = q.waker.take() {
            waker.wake();
        }
    }
}

/// A new stream of `capacity` bytes: its feed (for the listeners) and its queue.
pub(crate) fn channel(capacity: usize) -> (Arc<Feed>, Arc<Mutex<Queue>>) {
    let queue = Arc::new(Mutex::new(Queue {
        capacity,
        ..Queue::default()
    }));
    (
        Arc::new(Feed {
            queue: queue.clone(),
        }),
        queue,
    )
}

/// Every event of one socket, as an async stream; see
/// [`UdpSocket::events`](crate::UdpSocket::events).
///
/// The stream holds at most its capacity in bytes of events not yet taken (each counts
/// its datagram's bytes plus a fixed overhead); when a slow consumer lets it fill up,
/// newer events are dropped and counted ([`dropped`](Events::dropped)), as a kernel
/// buffer drops datagrams. A `close` event is never dropped.
///
/// It is a [`Stream`](futures_core::Stream) too. It ends once every handle to the socket
/// is dropped; after `close()` it yields the `close` event, then waits for that.
///
/// # Cancel safety
/// [`recv`](Events::recv), and the futures of `StreamExt::next` on it, are cancel safe:
/// an event leaves the stream only when it is returned. Dropping the stream removes its
/// listeners; the events it held and had not returned are dropped with it.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wxudp::Error> {
/// use futures_util::StreamExt;
/// use wxudp::{Event, SocketType, UdpSocket};
/// let sock = UdpSocket::new(SocketType::Udp4)?;
/// let events = sock.events();
/// sock.bind(0)?;
/// sock.close()?;
/// drop(sock);
/// let kinds: Vec<_> = events.map(|e| e.kind()).collect().await;
/// assert_eq!(kinds, [wxudp::EventKind::Listening, wxudp::EventKind::Close]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Events {
    queue: Arc<Mutex<Queue>>,
    ids: Vec<ListenerId>,
    listeners: Weak<RegistryLock>,
}

impl Events {
    pub(crate) fn new(
        queue: Arc<Mutex<Queue>>,
        ids: Vec<ListenerId>,
        listeners: Weak<RegistryLock>,
    ) -> Self {
        Events {
            queue,
            ids,
            listeners,
        }
    }

    /// Waits for the next event; `None` once the socket is gone (every handle dropped)
    /// and every event was taken.
    ///
    /// # Cancel safety
    /// This method is cancel safe: an event leaves the stream only when `recv` returns
    /// it, so if `recv` is a branch of `tokio::select!` that loses, or its future is
    /// dropped for any other reason, no event is lost; the next `recv` returns it.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{Event, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut events = sock.events();
    /// sock.bind(0)?;
    /// drop(sock); // the last handle: the socket closes
    /// assert!(matches!(events.recv().await, Some(Event::Listening)));
    /// assert!(matches!(events.recv().await, Some(Event::Close)));
    /// assert!(events.recv().await.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn recv(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next event: `Ready(Some(event))`, `Ready(None)` once the stream
    /// has ended, or `Pending` (and `cx`'s waker is woken when an event arrives).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use std::future::poll_fn;
    /// use wxudp::{Event, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut events = sock.events();
    /// sock.close()?;
    /// let event = poll_fn(|cx| events.poll_recv(cx)).await;
    /// assert!(matches!(event, Some(Event::Close)));
    /// # Ok(()) }
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut q = lock(&self.queue);
        match q.events.pop_front() {
            Some(event) => {
                q.bytes -= cost(&event);
                Poll::Ready(Some(event))
            }
            None if q.ended => Poll::Ready(None),
            None => {
                q.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Returns how many events were dropped so far because the stream was full.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{Event, SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let tiny = sock.events_with_capacity(0); // registered first, so served first
    /// let mut all = sock.events();
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "dropped"))?;
    /// while let Some(event) = all.recv().await {
    ///     if let Event::Message(_) = event {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(tiny.dropped(), 2, "listening and the message had no room");
    /// assert_eq!(all.dropped(), 0);
    /// # Ok(()) }
    /// ```
    pub fn dropped(&self) -> u64 {
        lock(&self.queue).dropped
    }
}

impl futures_core::Stream for Events {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        if let Some(listeners) = self.listeners.upgrade() {
            let mut reg = lock(&listeners);
            for id in &self.ids {
                reg.remove(*id);
            }
        }
    }
}

/// The datagrams one socket receives, as an async stream; see
/// [`UdpSocket::messages`](crate::UdpSocket::messages). Bounded like [`Events`]; it is
/// a [`Stream`](futures_core::Stream) too, and ends when the socket closes.
///
/// # Cancel safety
/// [`recv`](Messages::recv), and the futures of `StreamExt::next` on it, are cancel
/// safe: a datagram leaves the stream only when it is returned.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wxudp::Error> {
/// use futures_util::StreamExt;
/// use wxudp::{SendOptions, SocketType, UdpSocket};
/// let sock = UdpSocket::new(SocketType::Udp4)?;
/// let messages = sock.messages();
/// let port = sock.bind(0)?;
/// for text in ["one", "two"] {
///     sock.send(&SendOptions::new("127.0.0.1", port, text))?;
/// }
/// let got: Vec<Vec<u8>> = messages.take(2).map(|m| m.data).collect().await;
/// assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Messages {
    events: Events,
    done: bool,
}

impl Messages {
    pub(crate) fn new(events: Events) -> Self {
        Messages {
            events,
            done: false,
        }
    }

    /// Waits for the next datagram; `None` once the socket is closed (its other events
    /// are skipped).
    ///
    /// # Cancel safety
    /// This method is cancel safe: a datagram leaves the stream only when `recv` returns
    /// it, so if `recv` is a branch of `tokio::select!` that loses, or its future is
    /// dropped for any other reason, no datagram is lost. (Events other than messages
    /// that it skipped stay skipped, as they would have been.)
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut messages = sock.messages();
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "ping"))?;
    /// let msg = messages.recv().await.unwrap();
    /// assert_eq!((msg.data.as_slice(), msg.remote.port()), (&b"ping"[..], port));
    /// sock.close()?;
    /// assert!(messages.recv().await.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn recv(&mut self) -> Option<Message> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next datagram: `Ready(Some(message))`, `Ready(None)` once the
    /// socket has closed, or `Pending` (and `cx`'s waker is woken when one arrives).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use std::future::poll_fn;
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut messages = sock.messages();
    /// sock.bind(0)?;
    /// sock.close()?;
    /// assert!(poll_fn(|cx| messages.poll_recv(cx)).await.is_none());
    /// # Ok(()) }
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        while !self.done {
            match self.events.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Event::Message(m))) => return Poll::Ready(Some(m)),
                Poll::Ready(Some(Event::Close)) | Poll::Ready(None) => self.done = true,
                Poll::Ready(Some(_)) => {}
            }
        }
        Poll::Ready(None)
    }

    /// Returns how many events were dropped so far because the stream was full (of the
    /// default [`DEFAULT_STREAM_CAPACITY`]).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut messages = sock.messages();
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "ping"))?;
    /// messages.recv().await.unwrap();
    /// assert_eq!(messages.dropped(), 0, "8 MiB is room enough");
    /// # Ok(()) }
    /// ```
    pub fn dropped(&self) -> u64 {
        self.events.dropped()
    }
}

impl futures_core::Stream for Messages {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.get_mut().poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn message(len: usize) -> Event {
        Event::Message(Message {
            data: vec![7; len],
            remote: "127.0.0.1:1".parse().unwrap(),
            local: "127.0.0.1:2".parse().unwrap(),
        })
    }

    #[test]
    fn a_full_stream_drops_newer_events_but_never_close() {
        let (feed, queue) = channel(2 * (1000 + MESSAGE_OVERHEAD));
        let mut events = Events::new(queue, Vec::new(), Weak::new());
        for _ in 0..5 {
            feed.push(&message(1000));
        }
        feed.push(&Event::Close);
        assert_eq!(events.dropped(), 3);
        let mut cx = Context::from_waker(Waker::noop());
        let mut got = Vec::new();
        while let Poll::Ready(Some(e)) = events.poll_recv(&mut cx) {
            got.push(e.kind());
            if got.len() > 10 {
                break;
            }
            if got.len() == 3 {
                drop(feed);
                break;
            }
        }
        assert_eq!(
            got,
            [
                crate::EventKind::Message,
                crate::EventKind::Message,
                crate::EventKind::Close
            ]
        );
        assert!(matches!(events.poll_recv(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn taking_events_makes_room_again() {
        let (feed, queue) = channel(1000 + MESSAGE_OVERHEAD);
        let mut events = Events::new(queue, Vec::new(), Weak::new());
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100 {
            feed.push(&message(1000));
            assert!(matches!(events.poll_recv(&mut cx), Poll::Ready(Some(_))));
        }
        assert_eq!(events.dropped(), 0);
        assert!(events.poll_recv(&mut cx).is_pending());
    }
}
