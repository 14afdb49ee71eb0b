//! Async streams of a [`UdpSocket`](crate::UdpSocket)'s events: [`Events`] and
//! [`Messages`], each bounded in bytes.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use crate::event::{Event, ListenerId, Message};
use crate::limits::MESSAGE_OVERHEAD;
use crate::socket::RegistryLock;
use crate::sync::lock;

/// Default capacity of an [`Events`] or [`Messages`] stream: 8 MiB of events.
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
    /// `close` event always finds room, so a stream always sees its socket close.
    pub(crate) fn push(&self, event: &Event) {
        let mut q = lock(&self.queue);
        let cost = cost(event);
        if q.bytes + cost > q.capacity && !matches!(event, Event::Close) {
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

    /// The next event; `None` once the socket is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next event.
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

    /// Events dropped so far because the stream was full.
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
/// [`UdpSocket::messages`](crate::UdpSocket::messages). Bounded like [`Events`].
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

    /// The next datagram; `None` once the socket is closed.
    pub async fn recv(&mut self) -> Option<Message> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next datagram.
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

    /// Events dropped so far because the stream was full.
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
