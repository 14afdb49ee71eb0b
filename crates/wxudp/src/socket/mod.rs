//! The Rust front end: [`UdpSocket`], an event-style socket whose listeners run on a
//! background driver thread, plus async [`Events`](crate::Events) and
//! [`Messages`](crate::Messages) streams.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::delivery::Delivery;
use crate::driver::Driver;
use crate::engine::Engine;
use crate::error::Error;
use crate::limits::Limits;
use crate::listeners::Listeners;
use crate::options::{SendOptions, SocketType};
use crate::policy::Policy;

mod listen;
mod status;
mod weak;

pub use weak::WeakUdpSocket;

/// A WeChat-style UDP socket for Rust: synchronous methods, events delivered to
/// listeners.
///
/// Methods mirror `UDPSocket` (`bind`, `send`, `connect`, `write`, `set_ttl`, `close`).
/// Each failure is returned *and* delivered to the `error` listeners, exactly as the
/// JavaScript API reports it. Events of one socket arrive in the order they happened.
///
/// # Where listeners run
///
/// The listeners of every `UdpSocket` in the process run on one background thread, the
/// driver, which also does the sockets' I/O. So a listener that takes long delays the
/// events of *every* socket, not only its own: a 500 ms listener on socket A holds
/// socket B's events for 500 ms. Keep listeners short and hand heavy work to a thread or
/// a channel of your own, or consume [`events`](UdpSocket::events) /
/// [`messages`](UdpSocket::messages) on your own tokio task instead. A listener that
/// panics is reported (a `tracing` error) and the others still run.
///
/// `UdpSocket` is cheap to clone; the socket closes when `close()` is called or the last
/// clone is dropped. A listener that needs its own socket (to reply, say) should hold a
/// [`WeakUdpSocket`] ([`downgrade`](UdpSocket::downgrade)): a clone held by a listener
/// keeps the socket, and its port, open until `close()`.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use wxudp::{SendOptions, SocketType, UdpSocket};
///
/// let server = UdpSocket::new(SocketType::Udp4)?;
/// let (tx, rx) = mpsc::channel();
/// server.on_message(move |msg| tx.send(msg.clone()).unwrap());
/// let port = server.bind(0)?;
///
/// let client = UdpSocket::new(SocketType::Udp4)?;
/// client.send(&SendOptions::new("127.0.0.1", port, "hello, how are you"))?;
///
/// let msg = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
/// assert_eq!(msg.data, b"hello, how are you");
/// assert_eq!(msg.remote.port(), client.local_addr().unwrap().port());
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Engine,
    listeners: Listeners,
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("engine", &self.shared.engine)
            .finish_non_exhaustive()
    }
}

impl UdpSocket {
    /// Creates an unbound socket (`wx.createUDPSocket(type)`), allowed to send anywhere.
    ///
    /// No OS socket exists yet: [`bind`](UdpSocket::bind), or the first
    /// [`send`](UdpSocket::send), [`write`](UdpSocket::write) or
    /// [`connect`](UdpSocket::connect), opens one. The first socket of the process starts
    /// the background driver thread that runs every socket's I/O and listeners.
    ///
    /// # Errors
    /// Only if the driver thread cannot be started (the OS refused a thread or an epoll
    /// instance): an [`Error::Os`] (-2) of `createUDPSocket`.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// assert_eq!(sock.socket_type(), SocketType::Udp4);
    /// assert_eq!(sock.local_addr(), None, "bound only by bind, send, write or connect");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn new(ty: SocketType) -> Result<Self, Error> {
        Self::with_policy(ty, Policy::Any)
    }

    /// Creates an unbound socket whose destinations are checked against `policy`
    /// (docs/CONTRACT.md §5).
    ///
    /// # Errors
    /// As [`new`](UdpSocket::new). A destination the policy refuses is an error of the
    /// later `send`, `write` or `connect` (errCode -3), not of this call.
    ///
    /// # Examples
    /// The policy of base library 2.9.3 and earlier refuses the host's own address.
    /// ```
    /// use wxudp::{Policy, SendOptions, SocketType, UdpSocket};
    /// let policy = Policy::same_subnet(["device.invalid"]);
    /// let sock = UdpSocket::with_policy(SocketType::Udp4, policy)?;
    /// let err = sock.send(&SendOptions::new("127.0.0.1", 9, "x")).unwrap_err();
    /// assert_eq!(err.code(), -3);
    /// assert_eq!(err.to_string(), "send:fail destination not permitted: 127.0.0.1");
    /// assert_eq!(sock.local_addr(), None, "a refused send does not bind");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_policy(ty: SocketType, policy: Policy) -> Result<Self, Error> {
        Self::with_limits(ty, policy, Limits::default())
    }

    /// Creates an unbound socket with its destinations checked against `policy` and its
    /// memory bounded by `limits` (see [`Limits`]).
    ///
    /// # Errors
    /// As [`new`](UdpSocket::new); [`Error::OutOfMemory`] when the memory budget of
    /// `limits` has no room for another socket.
    ///
    /// # Examples
    /// A receive budget too small for any datagram: what arrives is dropped and counted.
    /// ```
    /// use std::time::{Duration, Instant};
    /// use wxudp::{Limits, Policy, SocketType, UdpSocket};
    /// let limits = Limits::default().with_receive_buffer(0);
    /// let sock = UdpSocket::with_limits(SocketType::Udp4, Policy::Any, limits)?;
    /// let port = sock.bind(0)?;
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// peer.send_to(b"lost", ("127.0.0.1", port)).unwrap();
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// while sock.stats().dropped == 0 {
    ///     assert!(Instant::now() < deadline, "the datagram was never read");
    ///     std::thread::yield_now();
    /// }
    /// assert_eq!(sock.stats().received, 0);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn with_limits(ty: SocketType, policy: Policy, limits: Limits) -> Result<Self, Error> {
        let driver = Driver::get()?;
        let listeners: Listeners = Arc::default();
        let tx = driver.tx.clone();
        let target = listeners.clone();
        let sink = move |delivery: Delivery| {
            // The driver lives for the whole process, so the send only fails while the
            // process exits; the event then has nobody to go to anyway.
            let _ = tx.send((target.clone(), delivery));
        };
        let engine = Engine::try_with_limits(
            ty,
            policy,
            limits,
            sink,
            driver.runtime.clone(),
            driver.io.clone(),
        )?;
        Ok(UdpSocket {
            shared: Arc::new(Shared { engine, listeners }),
        })
    }

    /// Returns the socket's type, udp4 or udp6.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp6)?;
    /// assert_eq!(sock.socket_type(), SocketType::Udp6);
    /// assert_eq!(sock.socket_type().name(), "udp6");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn socket_type(&self) -> SocketType {
        self.shared.engine.socket_type()
    }

    /// Binds the wildcard address (`0.0.0.0` or `::`) on `port` and returns the bound
    /// port; 0 asks the system for a free port.
    ///
    /// A `listening` event follows. It is queued, never delivered inside `bind`, but the
    /// driver thread may deliver it as soon as `bind` has queued it: register the
    /// listeners that must see it before calling `bind`.
    ///
    /// # Errors
    /// Each failure is also delivered to the `error` listeners.
    /// - [`Error::Closed`] (-1), `bind:fail socket is closed`, after
    ///   [`close`](UdpSocket::close);
    /// - [`Error::AlreadyBound`] (-1) when the socket is already bound, by `bind` or
    ///   implicitly by `send`, `write` or `connect`;
    /// - [`Error::Os`] (-2) when the OS refuses the port (in use, or not permitted), its
    ///   text in the message: `bind:fail address already in use (os error 98)`.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let port = sock.bind(0)?;
    /// assert_ne!(port, 0);
    /// assert_eq!(sock.local_addr(), Some(([0, 0, 0, 0], port).into()));
    /// assert_eq!(sock.bind(0).unwrap_err().to_string(), "bind:fail socket is already bound");
    ///
    /// let other = UdpSocket::new(SocketType::Udp4)?;
    /// let in_use = other.bind(port).unwrap_err();
    /// assert_eq!(in_use.code(), -2);
    /// assert_eq!(in_use.os_error().and_then(|e| e.raw_os_error()), Some(98)); // EADDRINUSE
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        self.shared.engine.bind(port)
    }

    /// Binds a specific local address instead of the wildcard and returns the bound port
    /// (an extension of the WeChat API); port 0 asks the system for a free port. On a
    /// udp6 socket an IPv4 address is bound as IPv4-mapped.
    ///
    /// `addr` is anything that becomes a [`SocketAddr`] without a lookup: a
    /// `SocketAddr`, a `SocketAddrV4`/`SocketAddrV6`, or an `(ip, port)` pair whose `ip`
    /// is an `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `[u8; 4]` or `[u16; 8]`. Unlike std's
    /// [`ToSocketAddrs`](std::net::ToSocketAddrs), it never resolves a host name, so
    /// `bind_addr`, like every method, never blocks on the network; parse text with
    /// [`str::parse`].
    ///
    /// # Errors
    /// As [`bind`](UdpSocket::bind): closed or already bound (-1, checked first), the OS
    /// refused the address (-2); besides, an IPv6 address on a udp4 socket is
    /// [`Error::InvalidAddress`] (1).
    ///
    /// # Examples
    /// ```
    /// use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let port = sock.bind_addr((Ipv4Addr::LOCALHOST, 0))?;
    /// assert_eq!(sock.local_addr(), Some((Ipv4Addr::LOCALHOST, port).into()));
    ///
    /// let v6 = UdpSocket::new(SocketType::Udp6)?;
    /// let text: SocketAddr = "[::1]:0".parse().unwrap();
    /// let port = v6.bind_addr(text)?;
    /// assert_eq!(v6.local_addr(), Some((Ipv6Addr::LOCALHOST, port).into()));
    ///
    /// let v4 = UdpSocket::new(SocketType::Udp4)?;
    /// assert_eq!(v4.bind_addr((Ipv6Addr::LOCALHOST, 0)).unwrap_err().code(), 1);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind_addr(&self, addr: impl Into<SocketAddr>) -> Result<u16, Error> {
        self.shared.engine.bind_addr(addr)
    }

    /// Sends one datagram, as `UDPSocket.send` does.
    ///
    /// An unbound socket is bound to a system-chosen port first (and a `listening` event
    /// follows). The bytes are copied before `send` returns. Host names are resolved in
    /// the background, never blocking the caller; a name that does not resolve is an
    /// `error` event (errCode 1) later. The datagrams of one socket leave in call order.
    ///
    /// # Errors
    /// Each failure is also delivered to the `error` listeners. When several apply, the
    /// first in this list wins (docs/CONTRACT.md §4):
    /// - [`Error::Closed`] (-1) after [`close`](UdpSocket::close);
    /// - [`Error::InvalidPort`] (2) for port 0;
    /// - [`Error::InvalidArgument`] (-1) for an `offset`/`length` outside a byte payload;
    /// - [`Error::InvalidAddress`] (1) for an address that is neither an IP literal nor a
    ///   host name;
    /// - [`Error::NotPermitted`] (-3) for a destination the [`Policy`] refuses;
    /// - [`Error::InvalidAddress`] (1) for an IPv6 address on a udp4 socket;
    /// - [`Error::Os`] (-2) for a datagram larger than the family allows (`send:fail
    ///   message too long (os error 90)`), or any other refusal of the OS, such as no
    ///   route or a failed implicit bind;
    /// - [`Error::QueueFull`] (-2) when the datagram must wait (for a host name, or for
    ///   room in the kernel) and the outbox is full ([`Limits::send_buffer`]).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let port = peer.local_addr().unwrap().port();
    ///
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.send(&SendOptions::new("127.0.0.1", port, b"\x01\x02\x03").offset(1))?;
    /// assert!(sock.local_addr().is_some(), "send bound the socket");
    /// let mut buf = [0u8; 8];
    /// let (n, _) = peer.recv_from(&mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"\x02\x03");
    ///
    /// let err = sock.send(&SendOptions::new("127.0.0.1", 0, "x")).unwrap_err();
    /// assert_eq!(err.code(), 2);
    /// let err = sock.send(&SendOptions::new("1.2.3", port, "x")).unwrap_err();
    /// assert_eq!(err.code(), 1);
    /// let too_long = vec![0u8; 65508];
    /// let err = sock.send(&SendOptions::new("127.0.0.1", port, &too_long)).unwrap_err();
    /// assert_eq!(err.to_string(), "send:fail message too long (os error 90)");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.shared.engine.send(options)
    }

    /// Sends `data` to `addr`, an address already parsed (a reply to a
    /// [`Message::remote`](crate::Message::remote), say): the same as
    /// [`send`](UdpSocket::send) without formatting the address to text and parsing it
    /// back (an extension of the WeChat API). Its failures belong to `send`
    /// (`send:fail ...`).
    ///
    /// # Errors
    /// As [`send`](UdpSocket::send), in the same order: a closed socket (-1), port 0 (2),
    /// a destination the policy refuses (-3), an IPv6 address on a udp4 socket (1), a
    /// datagram too long or another OS error (-2), a full outbox (-2).
    ///
    /// # Examples
    /// ```
    /// use std::net::SocketAddr;
    /// use wxudp::{SocketType, UdpSocket};
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.send_to(b"ping", peer.local_addr().unwrap())?;
    /// let mut buf = [0u8; 8];
    /// let (n, from) = peer.recv_from(&mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"ping");
    /// assert_eq!(from.port(), sock.local_addr().unwrap().port());
    /// let zero: SocketAddr = "127.0.0.1:0".parse().unwrap();
    /// assert_eq!(sock.send_to(b"x", zero).unwrap_err().code(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.shared.engine.send_to(data, addr)
    }

    /// Sends one datagram like [`send`](UdpSocket::send) (`UDPSocket.write`), over the
    /// connected path when the destination is the peer given to
    /// [`connect`](UdpSocket::connect). Address and port are required even after
    /// `connect`; without `connect`, `write` is `send`.
    ///
    /// # Errors
    /// As [`send`](UdpSocket::send), with `write` in the message
    /// (`write:fail socket is closed`).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let port = peer.local_addr().unwrap().port();
    ///
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.connect("127.0.0.1", port)?;
    /// sock.write(&SendOptions::new("127.0.0.1", port, "ping"))?;
    /// let mut buf = [0u8; 8];
    /// let (n, from) = peer.recv_from(&mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"ping");
    /// assert_eq!(from.port(), sock.local_addr().unwrap().port());
    ///
    /// sock.close()?;
    /// let err = sock.write(&SendOptions::new("127.0.0.1", port, "ping")).unwrap_err();
    /// assert_eq!(err.to_string(), "write:fail socket is closed");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.shared.engine.write(options)
    }

    /// Connects the socket to one peer (`UDPSocket.connect`): the kernel then drops
    /// datagrams from anyone else, and [`write`](UdpSocket::write) to that peer takes the
    /// connected path.
    ///
    /// Binds first if unbound (a `listening` event follows). A host name is resolved in
    /// the background; sends made meanwhile keep their order, and
    /// [`peer_addr`](UdpSocket::peer_addr) stays `None` until it has taken effect.
    ///
    /// # Errors
    /// Each failure is also delivered to the `error` listeners: a closed socket (-1);
    /// then, as for [`send`](UdpSocket::send), port 0 (2), a bad address (1), a
    /// destination the policy refuses (-3), an IPv6 address on a udp4 socket (1); an OS
    /// error (-2); a full outbox (-2) when it must wait behind queued sends.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// sock.connect("127.0.0.1", 9)?;
    /// assert_eq!(sock.peer_addr(), Some("127.0.0.1:9".parse().unwrap()));
    /// assert!(sock.local_addr().is_some(), "connect bound the socket");
    /// assert_eq!(sock.connect("127.0.0.1", 0).unwrap_err().code(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        self.shared.engine.connect(address, port)
    }

    /// Sets the TTL of outgoing datagrams (`UDPSocket.setTTL`): IP_TTL for udp4,
    /// IPV6_UNICAST_HOPS (and IP_TTL, for IPv4 peers) for udp6, 0..=255.
    ///
    /// Before bind the value is remembered and applied at bind; if the OS refuses it
    /// then, the failure is an `error` event of `setTTL` (-2) and the bind still succeeds.
    ///
    /// # Errors
    /// Each failure is also delivered to the `error` listeners: a closed socket (-1,
    /// checked first); a value above 255, [`Error::InvalidArgument`] (-1); the OS
    /// refusing the value on an open socket (-2): Linux refuses an IPv4 TTL of 0.
    ///
    /// # Examples
    /// ```
    /// let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4)?;
    /// sock.set_ttl(7)?;
    /// sock.bind(0)?;
    /// assert_eq!(sock.ttl(), Some(7));
    /// assert_eq!(sock.set_ttl(256).unwrap_err().code(), -1);
    /// assert_eq!(sock.set_ttl(0).unwrap_err().code(), -2, "Linux refuses an IPv4 TTL of 0");
    /// assert_eq!(sock.ttl(), Some(7));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        self.shared.engine.set_ttl(ttl)
    }

    /// Closes the socket (`UDPSocket.close`).
    ///
    /// Datagrams already sent are handed to the kernel first (waiting at most
    /// [`Limits::close_timeout`] in all for room), the OS socket is closed before this
    /// returns (its port is free at once), undelivered received datagrams are discarded
    /// and a `close` event is queued. Later calls fail with [`Error::Closed`]; a second
    /// `close` does nothing.
    ///
    /// The wait for room blocks the calling thread; in async code use
    /// [`close_async`](UdpSocket::close_async), which does not. Dropping the last handle
    /// closes the socket too, and never waits on a thread of a tokio runtime: there the
    /// flush goes on in the background, the `close` event after it.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for one. What cannot be flushed is reported
    /// as `error` events before `close`: [`Error::Unsent`] (-2) for datagrams the
    /// kernel had no room for, [`Error::Unresolved`] (-1) for each send still waiting
    /// for its host name.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let a = UdpSocket::new(SocketType::Udp4)?;
    /// let port = a.bind(0)?;
    /// a.close()?;
    /// let b = UdpSocket::new(SocketType::Udp4)?;
    /// assert_eq!(b.bind(port)?, port, "the port is free again at once");
    /// assert_eq!(a.bind(0).unwrap_err().to_string(), "bind:fail socket is closed");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.shared.engine.close()
    }

    /// Closes the socket like [`close`](UdpSocket::close), for async code: the wait for
    /// room in the kernel happens on a background thread, never on the caller's. Resolves
    /// once the close has ended (by this call or another): the datagrams already sent
    /// are flushed or reported, the port is free, the `close` event is queued.
    ///
    /// # Cancel safety
    /// The close begins when the future is first polled and is not cancelled with it:
    /// a future dropped after its first poll only stops waiting, and the close ends in
    /// the background, its `close` event delivered as usual. Awaiting `close_async`
    /// again waits for that same close.
    ///
    /// # Errors
    /// As [`close`](UdpSocket::close): none today.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::{Event, SocketType, UdpSocket};
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let mut events = sock.events();
    /// sock.send_to(b"last words", peer.local_addr().unwrap())?;
    /// sock.close_async().await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 10, "sent before the close ended");
    /// assert!(matches!(events.recv().await, Some(Event::Listening)));
    /// assert!(matches!(events.recv().await, Some(Event::Close)));
    /// # Ok(()) }
    /// ```
    pub async fn close_async(&self) -> Result<(), Error> {
        self.shared.engine.close_async().await
    }
}
