//! A tap on a socket's traffic: every datagram handed to the kernel or read from it,
//! and every `error` event, seen as it happens. Front ends use it to trace the traffic
//! or write a capture file (`wxudp run --trace`, `--pcap`); it is set through
//! [`Limits::with_tap`](crate::Limits::with_tap).

use std::net::SocketAddr;

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
/// use wxudp::{Limits, Policy, SendOptions, SocketType, UdpSocket};
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
/// let limits = Limits::default().with_tap(count.clone());
/// let udp = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits)?;
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
