//! A tap on a socket's traffic: every datagram handed to the kernel or read from it,
//! and every `error` event, seen as it happens. Front ends use it to trace the traffic
//! or write a capture file (`wxudp run --trace`, `--pcap`); it is set on one socket
//! with [`Engine::set_tap`](crate::frontend::Engine::set_tap) or
//! [`UdpSocket::set_tap`](crate::UdpSocket::set_tap).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::error::Error;

/// Which way a datagram went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Handed to the kernel by `send`/`write` (or by the flush of `close()`).
    Sent,
    /// Read from the kernel and queued for the `message` listeners.
    Received,
    /// Read from the kernel but dropped: the receive budget was full
    /// ([`Stats::dropped`](crate::Stats::dropped)).
    Dropped,
}

impl Direction {
    /// A short lowercase name: `sent`, `received`, `dropped`.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(wxudp::frontend::Direction::Sent.name(), "sent");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
            Direction::Dropped => "dropped",
        }
    }
}

/// One datagram as the tap sees it.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Which way it went.
    pub direction: Direction,
    /// The socket's address: for a received datagram the address it was sent to (the
    /// destination the kernel reports, with the socket's port); for a sent one the
    /// address the socket is bound to (`0.0.0.0:port` for the wildcard).
    pub local: SocketAddr,
    /// The peer: the destination of a sent datagram, the sender of a received one.
    pub remote: SocketAddr,
    /// The payload.
    pub data: &'a [u8],
}

/// Sees a socket's datagrams and errors as they happen.
///
/// The engine calls it on the thread doing the I/O (the front end's thread for a send
/// the kernel takes at once, the I/O task's thread otherwise), sometimes with the
/// socket's lock held: it must return quickly and must not call the socket's methods.
/// A panic in it is a panic of the engine.
///
/// # Examples
/// Counting what a socket sends and receives.
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use wxudp::frontend::{Datagram, Direction, Tap};
/// use wxudp::{SendOptions, SocketType, UdpSocket};
///
/// #[derive(Default)]
/// struct Count(AtomicUsize, AtomicUsize);
/// impl Tap for Count {
///     fn datagram(&self, d: &Datagram<'_>) {
///         match d.direction {
///             Direction::Sent => self.0.fetch_add(1, Ordering::SeqCst),
///             _ => self.1.fetch_add(1, Ordering::SeqCst),
///         };
///     }
/// }
/// let count = Arc::new(Count::default());
/// let udp = UdpSocket::new(SocketType::Udp4)?;
/// udp.set_tap(Some(count.clone()));
/// let port = udp.bind(0)?;
/// udp.send(&SendOptions::new("127.0.0.1", port, "to myself"))?;
/// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
/// while count.1.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
///     std::thread::yield_now();
/// }
/// assert_eq!(count.0.load(Ordering::SeqCst), 1);
/// assert_eq!(count.1.load(Ordering::SeqCst), 1);
/// udp.close()?;
/// # Ok::<(), wxudp::Error>(())
/// ```
pub trait Tap: Send + Sync + 'static {
    /// A datagram went out or came in.
    fn datagram(&self, datagram: &Datagram<'_>);

    /// An `error` event was emitted by the socket bound at `local` (`None`: not bound),
    /// before the error backlog decides whether it is delivered. The default does
    /// nothing.
    fn error(&self, local: Option<SocketAddr>, error: &Error) {
        let _ = (local, error);
    }
}

/// A socket's tap, if it has one: what the engine shows its traffic to.
#[derive(Clone, Default)]
pub(crate) struct TapSlot(Option<Arc<dyn Tap>>);

impl TapSlot {
    pub(crate) fn new(tap: Option<Arc<dyn Tap>>) -> Self {
        TapSlot(tap)
    }

    /// Shows a datagram to the tap, if there is one.
    pub(crate) fn datagram(
        &self,
        direction: Direction,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        if let Some(tap) = &self.0 {
            tap.datagram(&Datagram {
                direction,
                local,
                remote,
                data,
            });
        }
    }

    /// Shows a datagram the kernel took to the tap, if there is one; `local` is the
    /// socket's address (`0.0.0.0:0` if it has none).
    pub(crate) fn sent(&self, local: Option<SocketAddr>, to: SocketAddr, data: &[u8]) {
        let local = local.unwrap_or_else(|| SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0));
        self.datagram(Direction::Sent, local, to, data);
    }

    /// Shows an `error` event to the tap, if there is one.
    pub(crate) fn error(&self, local: Option<SocketAddr>, error: &Error) {
        if let Some(tap) = &self.0 {
            tap.error(local, error);
        }
    }
}

impl std::fmt::Debug for TapSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(Tap)"
        } else {
            "None"
        })
    }
}
