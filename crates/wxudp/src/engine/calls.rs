//! The methods of a socket as a front end calls them inside [`Engine::invoke`].

use std::net::SocketAddr;
use std::sync::Arc;

use crate::error::{Error, Method};
use crate::options::{SendOptions, SocketType};
use crate::os;
use crate::policy::on_own_subnet;
use crate::state::Target;

use super::inner::{not_open, Inner};
#[cfg(doc)]
use super::Engine;

/// The methods of a socket inside [`Engine::invoke`]: each does its work and returns
/// its failure without reporting it (the `invoke` around it does, once).
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// use wxudp::frontend::{Delivery, Engine};
/// use wxudp::{Error, EventKind, Method, Policy, SocketType};
/// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
/// let sink = move |d| { let _ = tx.send(d); };
/// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
/// let result = engine.invoke(Method::Bind, |calls| {
///     calls.bind(0)?;
///     calls.bind(0) // already bound
/// });
/// assert!(matches!(result, Err(Error::AlreadyBound)));
/// let kinds: Vec<_> = rx.try_iter().filter_map(Delivery::accept).map(|e| e.kind()).collect();
/// assert_eq!(kinds, [EventKind::Listening, EventKind::Error], "one error event");
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug)]
pub struct Calls<'a> {
    pub(super) inner: &'a Arc<Inner>,
}

impl Calls<'_> {
    /// Binds the wildcard address on `port` (`bind(port)`), as [`Engine::bind`] does.
    ///
    /// # Errors
    /// As [`Engine::bind`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{options::PortArg, Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let port = engine.invoke(Method::Bind, |calls| {
    ///     let port = PortArg::Text("0").bind_port()?;
    ///     calls.bind(port)
    /// })?;
    /// assert_eq!(engine.local_addr().map(|a| a.port()), Some(port));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind(&self, port: u16) -> Result<u16, Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let addr = st.machine.bind(port)?;
        inner.open(&mut st, addr, Method::Bind)
    }

    /// Binds a specific local address, as [`Engine::bind_addr`] does.
    ///
    /// # Errors
    /// As [`Engine::bind_addr`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    /// let port = engine.invoke(Method::Bind, |calls| calls.bind_addr(loopback))?;
    /// assert_eq!(engine.local_addr(), Some(([127, 0, 0, 1], port).into()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn bind_addr(&self, addr: impl Into<SocketAddr>) -> Result<u16, Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let addr = st.machine.bind_addr(addr.into())?;
        inner.open(&mut st, addr, Method::Bind)
    }

    /// Sends one datagram (`send`), as [`Engine::send`] does.
    ///
    /// # Errors
    /// As [`Engine::send`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{options::PortArg, Method, Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// let text_port = to.port().to_string(); // as a script passed it
    /// engine.invoke(Method::Send, |calls| {
    ///     let port = PortArg::Text(&text_port).destination_port(Method::Send)?;
    ///     calls.send(&SendOptions::new("127.0.0.1", port, "hi"))
    /// })?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Send, options)
    }

    /// Sends one datagram to a [`SocketAddr`], as [`Engine::send_to`] does.
    ///
    /// # Errors
    /// As [`Engine::send_to`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.invoke(Method::Send, |calls| calls.send_to(b"hi", to))?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> Result<(), Error> {
        self.inner.send_to(data, addr)
    }

    /// Sends one datagram (`write`), as [`Engine::write`] does.
    ///
    /// # Errors
    /// As [`Engine::write`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// let opts = SendOptions::new("127.0.0.1", to.port(), "hi");
    /// engine.invoke(Method::Write, |calls| calls.write(&opts))?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(peer.recv(&mut buf).unwrap(), 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn write(&self, options: &SendOptions<'_>) -> Result<(), Error> {
        self.inner.send(Method::Write, options)
    }

    /// Connects the socket to one peer (`connect`), as [`Engine::connect`] does.
    ///
    /// # Errors
    /// As [`Engine::connect`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.invoke(Method::Connect, |calls| calls.connect("127.0.0.1", 9))?;
    /// assert_eq!(engine.peer_addr(), Some("127.0.0.1:9".parse().unwrap()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn connect(&self, address: &str, port: u16) -> Result<(), Error> {
        let inner = self.inner;
        let method = Method::Connect;
        let mut st = inner.lock();
        let plan = st.machine.connect(address, port, &on_own_subnet)?;
        if let Some(addr) = plan.open {
            inner.open(&mut st, addr, method)?;
        }
        match plan.target {
            Target::Addr(addr) if plan.direct => {
                let io = st.io.as_ref().ok_or_else(not_open(method))?;
                os::connect(io, addr).map_err(|e| Error::os(method, e))?;
                st.machine.connected(addr);
                Ok(())
            }
            target => inner.queue(&mut st, method, target, None),
        }
    }

    /// Sets the TTL (`setTTL`), as [`Engine::set_ttl`] does.
    ///
    /// # Errors
    /// As [`Engine::set_ttl`], without reporting: the `invoke` around the call reports what it
    /// returns.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{frontend::parse_ttl, Method, Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// engine.bind(0)?;
    /// // A script passed a JavaScript number.
    /// engine.invoke(Method::SetTtl, |calls| calls.set_ttl(parse_ttl(16.0)?.into()))?;
    /// assert_eq!(engine.ttl(), Some(16));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Error> {
        let inner = self.inner;
        let mut st = inner.lock();
        let Some(ttl) = st.machine.set_ttl(ttl)? else {
            return Ok(());
        };
        let io = st.io.as_ref().ok_or_else(not_open(Method::SetTtl))?;
        os::apply_ttl(&io.sock(), inner.ty == SocketType::Udp6, ttl)
            .map_err(|e| Error::os(Method::SetTtl, e))
    }
}
