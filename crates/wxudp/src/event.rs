//! Events, and the listener registry both front ends use.
//!
//! The registry is generic over the listener type: the Rust API stores
//! `Arc<dyn Fn(&Event) + Send + Sync>`, the JavaScript runtime stores its own function
//! handles. The rules of WeChat's `onX`/`offX` live here once:
//! listeners run in registration order, the same listener may be registered twice, and a
//! dispatch works on the [`snapshot`](Registry::snapshot) taken when it starts, so a
//! listener that adds or removes listeners affects the next event only.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// The four events of a `UDPSocket`.
///
/// # Examples
/// ```
/// use wxudp::{Event, EventKind};
/// assert_eq!(Event::Listening.kind(), EventKind::Listening);
/// assert_ne!(EventKind::Message, EventKind::Error);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A datagram arrived (`onMessage`).
    Message,
    /// A call failed, or the OS reported an error (`onError`).
    Error,
    /// The socket was bound (`onListening`).
    Listening,
    /// The socket was closed (`onClose`).
    Close,
}

impl EventKind {
    /// All four kinds, in the order of the WeChat documentation.
    ///
    /// # Examples
    /// ```
    /// use wxudp::EventKind;
    /// assert_eq!(EventKind::ALL.len(), 4);
    /// assert_eq!(EventKind::ALL[0], EventKind::Close);
    /// ```
    pub const ALL: [EventKind; 4] = [
        EventKind::Close,
        EventKind::Error,
        EventKind::Listening,
        EventKind::Message,
    ];
}

/// One event of a socket, as [`UdpSocket::on`](crate::UdpSocket::on) and
/// [`UdpSocket::events`](crate::UdpSocket::events) hand it over.
///
/// # Examples
/// ```
/// use wxudp::{Event, EventKind, SocketType, UdpSocket};
/// let sock = UdpSocket::new(SocketType::Udp4)?;
/// sock.on(EventKind::Error, |event| {
///     if let Event::Error(e) = event {
///         eprintln!("{{errMsg: {e}, errCode: {}}}", e.code());
///     }
/// });
/// assert_eq!(Event::Close.kind(), EventKind::Close);
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A datagram arrived.
    Message(Message),
    /// A call failed or the OS reported an error: `{errMsg, errCode}` is
    /// `error.to_string()` and [`Error::code`].
    Error(Error),
    /// The socket was bound (`{errMsg: 'bind:ok'}`).
    Listening,
    /// The socket was closed (`{errMsg: 'close:ok'}`).
    Close,
}

impl Event {
    /// Returns the kind of this event: which listeners it goes to.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Error, Event, EventKind};
    /// assert_eq!(Event::Close.kind(), EventKind::Close);
    /// assert_eq!(Event::Error(Error::AlreadyBound).kind(), EventKind::Error);
    /// ```
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Message(_) => EventKind::Message,
            Event::Error(_) => EventKind::Error,
            Event::Listening => EventKind::Listening,
            Event::Close => EventKind::Close,
        }
    }
}

/// A received datagram: WeChat's `{message, remoteInfo, localInfo}`.
///
/// # Examples
/// ```
/// let msg = wxudp::Message::new(
///     b"hi".to_vec(),
///     "[::ffff:127.0.0.1]:5000".parse().unwrap(),
///     "[::ffff:127.0.0.1]:9000".parse().unwrap(),
/// );
/// assert_eq!(msg.size(), 2);
/// // A udp6 socket sees IPv4 peers as IPv4-mapped IPv6 addresses.
/// assert_eq!(msg.remote_family(), "IPv6");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The datagram's bytes, whole (up to 65535 bytes).
    pub data: Vec<u8>,
    /// The sender (`remoteInfo.address` and `.port`). On a udp6 socket IPv4 senders
    /// appear as IPv4-mapped IPv6 addresses.
    pub remote: SocketAddr,
    /// The receiving socket's address and port (`localInfo`): for a wildcard bind, the
    /// address the datagram was sent to, as the OS reports it (IP_PKTINFO).
    pub local: SocketAddr,
}

impl Message {
    /// Creates the message of a datagram `data` that `remote` sent to `local`.
    ///
    /// # Examples
    /// ```
    /// let remote = "127.0.0.1:5000".parse().unwrap();
    /// let local = "127.0.0.1:9000".parse().unwrap();
    /// let msg = wxudp::Message::new(vec![1, 2], remote, local);
    /// assert_eq!((msg.data, msg.remote, msg.local), (vec![1, 2], remote, local));
    /// ```
    pub fn new(data: Vec<u8>, remote: SocketAddr, local: SocketAddr) -> Self {
        Message {
            data,
            remote,
            local,
        }
    }

    /// Returns `remoteInfo.size`: the datagram's length in bytes.
    ///
    /// # Examples
    /// ```
    /// let msg = wxudp::Message::new(
    ///     vec![0; 1200],
    ///     "127.0.0.1:5000".parse().unwrap(),
    ///     "127.0.0.1:9000".parse().unwrap(),
    /// );
    /// assert_eq!(msg.size(), 1200);
    /// ```
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// Returns `remoteInfo.family`: `"IPv4"` or `"IPv6"`. On a udp6 socket an IPv4 peer
    /// is IPv4-mapped, so its family is `"IPv6"`.
    ///
    /// # Examples
    /// ```
    /// let msg = wxudp::Message::new(
    ///     b"hi".to_vec(),
    ///     "127.0.0.1:5000".parse().unwrap(),
    ///     "127.0.0.1:9000".parse().unwrap(),
    /// );
    /// assert_eq!(msg.remote_family(), "IPv4");
    /// ```
    pub fn remote_family(&self) -> &'static str {
        family_name(&self.remote)
    }

    /// Returns `localInfo.family`: `"IPv4"` or `"IPv6"`.
    ///
    /// # Examples
    /// ```
    /// let msg = wxudp::Message::new(
    ///     b"hi".to_vec(),
    ///     "[::1]:5000".parse().unwrap(),
    ///     "[::1]:9000".parse().unwrap(),
    /// );
    /// assert_eq!(msg.local_family(), "IPv6");
    /// ```
    pub fn local_family(&self) -> &'static str {
        family_name(&self.local)
    }
}

/// Returns WeChat's family name of an address: `"IPv4"` or `"IPv6"`.
///
/// # Examples
/// ```
/// assert_eq!(wxudp::family_name(&"127.0.0.1:9".parse().unwrap()), "IPv4");
/// assert_eq!(wxudp::family_name(&"[::1]:9".parse().unwrap()), "IPv6");
/// ```
pub fn family_name(addr: &SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

/// Identifies one listener registration; returned by `on_*`, taken by `off`.
///
/// Ids are unique within the process, so an id never removes another socket's listener.
///
/// # Examples
/// ```
/// use wxudp::{SocketType, UdpSocket};
/// let a = UdpSocket::new(SocketType::Udp4)?;
/// let b = UdpSocket::new(SocketType::Udp4)?;
/// let id = a.on_close(|| {});
/// assert_ne!(id, b.on_close(|| {}));
/// assert!(!b.off(id), "not b's listener");
/// assert!(a.off(id));
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(u64);

static NEXT_LISTENER: AtomicU64 = AtomicU64::new(1);

/// Listener registrations of one socket, in registration order.
///
/// Generic over the listener type `L`: what a front end calls (a closure, a handle to a
/// script's function). The rules of WeChat's `onX`/`offX` live here once.
///
/// # Examples
/// ```
/// use wxudp::frontend::Registry;
/// use wxudp::EventKind;
/// let mut reg: Registry<&str> = Registry::default();
/// let a = reg.add(EventKind::Message, "a");
/// reg.add(EventKind::Message, "b");
/// reg.add(EventKind::Message, "a");
/// assert_eq!(reg.snapshot(EventKind::Message), ["a", "b", "a"]);
/// assert!(reg.remove(a));
/// assert_eq!(reg.snapshot(EventKind::Message), ["b", "a"]);
/// // Removing by value removes every registration of it, as `offMessage(fn)` does.
/// assert_eq!(reg.remove_where(EventKind::Message, |l| *l == "a"), 1);
/// reg.clear(EventKind::Message);
/// assert!(reg.snapshot(EventKind::Message).is_empty());
/// ```
#[derive(Debug)]
pub struct Registry<L> {
    entries: Vec<Entry<L>>,
}

#[derive(Debug)]
struct Entry<L> {
    id: ListenerId,
    kind: EventKind,
    listener: L,
}

impl<L> Default for Registry<L> {
    fn default() -> Self {
        Registry {
            entries: Vec::new(),
        }
    }
}

impl<L> Registry<L> {
    /// Registers `listener` for `kind`, after every listener already registered; returns
    /// the id of this registration. The same listener may be registered twice.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<&str> = Registry::default();
    /// let first = reg.add(EventKind::Close, "log");
    /// let second = reg.add(EventKind::Close, "log");
    /// assert_ne!(first, second);
    /// assert_eq!(reg.snapshot(EventKind::Close), ["log", "log"]);
    /// ```
    pub fn add(&mut self, kind: EventKind, listener: L) -> ListenerId {
        let id = ListenerId(NEXT_LISTENER.fetch_add(1, Ordering::Relaxed));
        self.entries.push(Entry { id, kind, listener });
        id
    }

    /// Removes the registration `id`; returns false if it was not registered here.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<u32> = Registry::default();
    /// let id = reg.add(EventKind::Error, 1);
    /// assert!(reg.remove(id));
    /// assert!(!reg.remove(id), "an id is removed once");
    /// ```
    pub fn remove(&mut self, id: ListenerId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.id != id);
        self.entries.len() != before
    }

    /// Removes every registration for `kind` whose listener matches `pred` (WeChat's
    /// `offX(fn)`, which compares by identity); returns how many were removed.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<&str> = Registry::default();
    /// reg.add(EventKind::Message, "a");
    /// reg.add(EventKind::Message, "b");
    /// reg.add(EventKind::Message, "a");
    /// reg.add(EventKind::Error, "a");
    /// assert_eq!(reg.remove_where(EventKind::Message, |l| *l == "a"), 2);
    /// assert_eq!(reg.snapshot(EventKind::Message), ["b"]);
    /// assert_eq!(reg.count(EventKind::Error), 1, "other kinds are untouched");
    /// ```
    pub fn remove_where(&mut self, kind: EventKind, mut pred: impl FnMut(&L) -> bool) -> usize {
        let before = self.entries.len();
        self.entries
            .retain(|e| !(e.kind == kind && pred(&e.listener)));
        before - self.entries.len()
    }

    /// Removes every listener of `kind` (WeChat's `offX()` without an argument); returns
    /// how many were removed.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<u8> = Registry::default();
    /// reg.add(EventKind::Listening, 1);
    /// reg.add(EventKind::Listening, 2);
    /// reg.add(EventKind::Close, 3);
    /// assert_eq!(reg.clear(EventKind::Listening), 2);
    /// assert_eq!(reg.count(EventKind::Listening), 0);
    /// assert_eq!(reg.count(EventKind::Close), 1);
    /// ```
    pub fn clear(&mut self, kind: EventKind) -> usize {
        self.remove_where(kind, |_| true)
    }

    /// Every listener, of every kind, in registration order (for a front end whose
    /// garbage collector must see them).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<u8> = Registry::default();
    /// reg.add(EventKind::Message, 1);
    /// reg.add(EventKind::Close, 2);
    /// reg.add(EventKind::Message, 3);
    /// assert_eq!(reg.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &L> {
        self.entries.iter().map(|e| &e.listener)
    }

    /// Returns how many listeners `kind` has.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<()> = Registry::default();
    /// assert_eq!(reg.count(EventKind::Message), 0);
    /// reg.add(EventKind::Message, ());
    /// assert_eq!(reg.count(EventKind::Message), 1);
    /// ```
    pub fn count(&self, kind: EventKind) -> usize {
        self.entries.iter().filter(|e| e.kind == kind).count()
    }
}

impl<L: Clone> Registry<L> {
    /// The listeners of `kind` at this moment, in registration order. A dispatch calls
    /// exactly these, whatever they register or remove while it runs.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<u8> = Registry::default();
    /// reg.add(EventKind::Message, 1);
    /// let snapshot = reg.snapshot(EventKind::Message);
    /// reg.add(EventKind::Message, 2); // a listener adding another, mid-dispatch
    /// assert_eq!(snapshot, [1], "the current event goes to the snapshot only");
    /// assert_eq!(reg.snapshot(EventKind::Message), [1, 2]);
    /// ```
    pub fn snapshot(&self, kind: EventKind) -> Vec<L> {
        let mut out = Vec::new();
        self.snapshot_into(kind, &mut out);
        out
    }

    /// [`snapshot`](Registry::snapshot), appended to `out`, whose buffer a dispatch loop
    /// reuses from one event to the next.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{frontend::Registry, EventKind};
    /// let mut reg: Registry<u8> = Registry::default();
    /// reg.add(EventKind::Message, 1);
    /// reg.add(EventKind::Close, 2);
    /// let mut listeners = Vec::new();
    /// reg.snapshot_into(EventKind::Message, &mut listeners);
    /// assert_eq!(listeners, [1]);
    /// listeners.clear(); // the next event's dispatch
    /// reg.snapshot_into(EventKind::Close, &mut listeners);
    /// assert_eq!(listeners, [2]);
    /// ```
    pub fn snapshot_into(&self, kind: EventKind, out: &mut Vec<L>) {
        out.extend(
            self.entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.listener.clone()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_kept_apart() {
        let mut reg: Registry<u32> = Registry::default();
        reg.add(EventKind::Message, 1);
        let e = reg.add(EventKind::Error, 2);
        reg.add(EventKind::Close, 3);
        assert_eq!(reg.clear(EventKind::Message), 1);
        assert_eq!(reg.snapshot(EventKind::Error), [2]);
        assert_eq!(reg.count(EventKind::Close), 1);
        assert!(reg.remove(e));
        assert!(!reg.remove(e), "an id is removed once");
        assert_eq!(reg.remove_where(EventKind::Close, |l| *l == 99), 0);
    }

    #[test]
    fn ids_are_unique_across_registries() {
        let mut a: Registry<()> = Registry::default();
        let mut b: Registry<()> = Registry::default();
        let id = a.add(EventKind::Message, ());
        b.add(EventKind::Message, ());
        assert!(!b.remove(id));
        assert_eq!(b.count(EventKind::Message), 1);
    }
}
