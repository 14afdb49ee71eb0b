//! What a [`UdpSocket`] tells about itself (its addresses, TTL, state and counts), and
//! the tap that sees its traffic.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::delivery::Stats;
use crate::tap::Tap;

use super::UdpSocket;

impl UdpSocket {
    /// Returns the TTL the OS applies to this socket's unicast datagrams (IP_TTL, or
    /// IPV6_UNICAST_HOPS on udp6), while it is open; `None` before bind and after close.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp6)?;
    /// sock.set_ttl(9)?;
    /// assert_eq!(sock.ttl(), None, "remembered, but no OS socket yet");
    /// sock.bind(0)?;
    /// assert_eq!(sock.ttl(), Some(9));
    /// sock.close()?;
    /// assert_eq!(sock.ttl(), None);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn ttl(&self) -> Option<u32> {
        self.shared.engine.ttl()
    }

    /// Returns the bound local address, while the socket is open: `None` before it is
    /// bound and after [`close`](UdpSocket::close).
    ///
    /// # Examples
    /// ```
    /// use std::net::{Ipv6Addr, SocketAddr};
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp6)?;
    /// assert_eq!(sock.local_addr(), None);
    /// let port = sock.bind(0)?;
    /// assert_eq!(sock.local_addr(), Some(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port)));
    /// sock.close()?;
    /// assert_eq!(sock.local_addr(), None);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.shared.engine.local_addr()
    }

    /// Returns the connected peer, once [`connect`](UdpSocket::connect) has taken effect;
    /// `None` before, and after [`close`](UdpSocket::close).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp6)?;
    /// assert_eq!(sock.peer_addr(), None);
    /// sock.connect("127.0.0.1", 9)?;
    /// // A udp6 socket is dual-stack: its IPv4 peer is IPv4-mapped.
    /// assert_eq!(sock.peer_addr(), Some("[::ffff:127.0.0.1]:9".parse().unwrap()));
    /// sock.close()?;
    /// assert_eq!(sock.peer_addr(), None);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.shared.engine.peer_addr()
    }

    /// Returns whether [`close`](UdpSocket::close) was called.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// assert!(!sock.is_closed());
    /// sock.clone().close()?;
    /// assert!(sock.is_closed(), "clones are handles to one socket");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.engine.is_closed()
    }

    /// Returns what the socket has done so far: datagrams sent, received, and dropped
    /// because a budget was full (see [`Stats`]).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// sock.on_message(move |_| tx.send(()).unwrap());
    /// let port = sock.bind(0)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, "to myself"))?;
    /// rx.recv_timeout(Duration::from_secs(10)).unwrap();
    /// let stats = sock.stats();
    /// assert_eq!((stats.sent, stats.received, stats.dropped), (1, 1, 0));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.shared.engine.stats()
    }

    /// Sets the [`Tap`] that sees this socket's datagrams and `error` events from now
    /// on, replacing the one set before; `None` removes it. The tap runs on the thread
    /// doing the I/O (see [`Tap`] for an example).
    pub fn set_tap(&self, tap: Option<Arc<dyn Tap>>) {
        self.shared.engine.set_tap(tap);
    }
}
