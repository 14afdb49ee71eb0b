//! The listeners of a [`UdpSocket`] (`onX`/`offX`) and its async streams of events.

use std::sync::{Arc, MutexGuard};

use crate::error::Error;
use crate::event::{Event, EventKind, ListenerId, Message, Registry};
use crate::listeners::Listener;
use crate::stream::{self, Events, Messages, DEFAULT_STREAM_CAPACITY};
use crate::sync::lock;

use super::UdpSocket;

impl UdpSocket {
    /// Adds a `message` listener (`onMessage`), called on the driver thread with each
    /// datagram received from now on; returns its id for [`off`](UdpSocket::off).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// sock.on_message(move |msg| tx.send(msg.clone()).unwrap());
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "to myself"))?;
    /// let msg = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    /// assert_eq!(msg.data, b"to myself");
    /// assert_eq!(msg.size(), 9);
    /// assert_eq!(msg.remote.port(), port);
    /// assert_eq!(msg.local, ([127, 0, 0, 1], port).into(), "where the datagram was sent to");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn on_message(&self, f: impl Fn(&Message) + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Message, move |e| {
            if let Event::Message(m) = e {
                f(m)
            }
        })
    }

    /// Adds an `error` listener (`onError`); returns its id for [`off`](UdpSocket::off).
    ///
    /// It sees every failure a method returns, and the failures of no call: a host name
    /// that did not resolve, an OS error on the receive path, what `close()` could not
    /// flush.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// sock.on_error(move |err| tx.send((err.to_string(), err.code())).unwrap());
    /// let returned = sock.send(&SendOptions::new("127.0.0.1", 0, "x")).unwrap_err();
    /// let delivered = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    /// assert_eq!(delivered, (returned.to_string(), 2));
    /// assert_eq!(delivered.0, "send:fail invalid port: 0 is not a valid destination port");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn on_error(&self, f: impl Fn(&Error) + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Error, move |e| {
            if let Event::Error(err) = e {
                f(err)
            }
        })
    }

    /// Adds a `listening` listener (`onListening`), called once the socket is bound
    /// (by `bind`, or implicitly by `send`, `write` or `connect`); returns its id for
    /// [`off`](UdpSocket::off).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let me = sock.downgrade();
    /// sock.on_listening(move || {
    ///     let port = me.upgrade().and_then(|s| s.local_addr()).map(|a| a.port());
    ///     tx.send(port).unwrap();
    /// });
    /// // An implicit bind emits `listening` too.
    /// sock.send(&SendOptions::new("127.0.0.1", 9, "x"))?;
    /// let port = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    /// assert_eq!(port, sock.local_addr().map(|a| a.port()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn on_listening(&self, f: impl Fn() + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Listening, move |_| f())
    }

    /// Adds a `close` listener (`onClose`), called once when the socket closes; returns
    /// its id for [`off`](UdpSocket::off).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// sock.on_close(move || tx.send("closed").unwrap());
    /// sock.close()?;
    /// sock.close()?; // a second close does nothing
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "closed");
    /// drop(sock); // drops the listener, and with it the channel's sender
    /// assert!(rx.recv_timeout(Duration::from_secs(10)).is_err(), "close comes once");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn on_close(&self, f: impl Fn() + Send + Sync + 'static) -> ListenerId {
        self.add(EventKind::Close, move |_| f())
    }

    /// Adds a listener for events of `kind`, called with the whole [`Event`]; returns its
    /// id for [`off`](UdpSocket::off).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{Event, EventKind, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// for kind in EventKind::ALL {
    ///     let tx = tx.clone();
    ///     sock.on(kind, move |event: &Event| tx.send(event.kind()).unwrap());
    /// }
    /// sock.bind(0)?;
    /// sock.close()?;
    /// let timeout = Duration::from_secs(10);
    /// assert_eq!(rx.recv_timeout(timeout).unwrap(), EventKind::Listening);
    /// assert_eq!(rx.recv_timeout(timeout).unwrap(), EventKind::Close);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn on(&self, kind: EventKind, f: impl Fn(&Event) + Send + Sync + 'static) -> ListenerId {
        self.add(kind, f)
    }

    /// Removes one listener (`offX(fn)`); returns false if it was not registered.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// let id = sock.on_close(|| {});
    /// assert!(sock.off(id));
    /// assert!(!sock.off(id));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn off(&self, id: ListenerId) -> bool {
        self.listeners().remove(id)
    }

    /// Removes every listener of `kind` (`offX()`); returns how many there were.
    ///
    /// The listeners of [`events`](UdpSocket::events) and
    /// [`messages`](UdpSocket::messages) streams are listeners too: this removes them
    /// as well, and such a stream then sees no more events of `kind`.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{EventKind, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.on_close(|| {});
    /// sock.on_close(|| {});
    /// sock.on_error(|_| {});
    /// assert_eq!(sock.off_all(EventKind::Close), 2);
    /// assert_eq!(sock.off_all(EventKind::Close), 0);
    /// assert_eq!(sock.off_all(EventKind::Error), 1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn off_all(&self, kind: EventKind) -> usize {
        self.listeners().clear(kind)
    }

    /// Returns a stream of every event of this socket from now on (for tokio users).
    ///
    /// The stream registers one listener per event kind; dropping it removes them. It
    /// holds at most [`DEFAULT_STREAM_CAPACITY`](crate::DEFAULT_STREAM_CAPACITY) bytes of
    /// events not yet taken; see [`events_with_capacity`](UdpSocket::events_with_capacity).
    /// It yields the `close` event when the socket closes, and ends once every handle
    /// to the socket is dropped.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{Event, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut events = sock.events();
    /// sock.bind(0)?;
    /// assert!(matches!(events.recv().await, Some(Event::Listening)));
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> Events {
        self.events_with_capacity(DEFAULT_STREAM_CAPACITY)
    }

    /// Returns a stream of every event like [`events`](UdpSocket::events), holding at
    /// most `bytes` of events not yet taken (each counts its datagram's bytes plus a
    /// small fixed overhead). When it is full, newer events are dropped and counted in
    /// [`Events::dropped`]; a `close` event is never dropped.
    ///
    /// # Examples
    /// A stream with no room at all still sees the socket close.
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{Event, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut events = sock.events_with_capacity(0);
    /// sock.bind(0)?;
    /// sock.close()?;
    /// assert!(matches!(events.recv().await, Some(Event::Close)));
    /// assert_eq!(events.dropped(), 1, "the listening event had no room");
    /// # Ok(()) }
    /// ```
    pub fn events_with_capacity(&self, bytes: usize) -> Events {
        let (feed, queue) = stream::channel(bytes);
        let ids = EventKind::ALL
            .iter()
            .map(|kind| {
                let feed = feed.clone();
                self.add(*kind, move |e| feed.push(e))
            })
            .collect();
        Events::new(queue, ids, Arc::downgrade(&self.shared.listeners))
    }

    /// Returns a stream of the datagrams this socket receives from now on; it ends when
    /// the socket closes. Bounded like [`events`](UdpSocket::events).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut messages = sock.messages();
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "to myself"))?;
    /// let msg = messages.recv().await.unwrap();
    /// assert_eq!(msg.data, b"to myself");
    /// sock.close()?;
    /// assert!(messages.recv().await.is_none());
    /// # Ok(()) }
    /// ```
    pub fn messages(&self) -> Messages {
        Messages::new(self.events())
    }

    fn add(&self, kind: EventKind, f: impl Fn(&Event) + Send + Sync + 'static) -> ListenerId {
        self.listeners().add(kind, Arc::new(f))
    }

    fn listeners(&self) -> MutexGuard<'_, Registry<Listener>> {
        lock(&self.shared.listeners)
    }
}
