//! What an engine tells about its socket: its addresses, TTL, phase and counts; and
//! the tap that sees its traffic.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::delivery::Stats;
use crate::os;
use crate::state::Phase;
use crate::tap::{Tap, TapSlot};

use super::Engine;

impl Engine {
    /// Returns the TTL the OS applies to this socket's unicast datagrams, if it is open.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.ttl(), None);
    /// engine.bind(0)?;
    /// assert!(engine.ttl().is_some_and(|ttl| ttl > 0), "the system default");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn ttl(&self) -> Option<u32> {
        let st = self.inner.lock();
        os::ttl(st.io.as_ref()?, self.inner.ty)
    }

    /// Returns the bound local address, while the socket is open.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.local_addr(), None);
    /// let port = engine.bind(0)?;
    /// assert_eq!(engine.local_addr(), Some(([0, 0, 0, 0], port).into()));
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().machine.local()
    }

    /// Returns the connected peer, if `connect` has taken effect (a host name is
    /// resolved first, in the background).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert_eq!(engine.peer_addr(), None);
    /// engine.connect("[::ffff:127.0.0.1]", 9)?;
    /// assert_eq!(engine.peer_addr(), Some("127.0.0.1:9".parse().unwrap()), "udp4 unmaps it");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.lock().machine.peer()
    }

    /// Returns whether the socket is bound and not closed.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert!(!engine.is_open());
    /// engine.bind(0)?;
    /// assert!(engine.is_open());
    /// engine.close()?;
    /// assert!(!engine.is_open());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn is_open(&self) -> bool {
        self.inner.lock().machine.phase() == Phase::Open
    }

    /// Returns whether `close()` was called.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// assert!(!engine.is_closed());
    /// engine.close()?;
    /// assert!(engine.is_closed());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.gate.closed.load(Ordering::Acquire)
    }

    /// Returns what the socket has done so far: datagrams sent, received, dropped.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Policy, SendOptions, SocketType};
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// assert_eq!(engine.stats(), wxudp::Stats::default());
    /// engine.send(&SendOptions::new("127.0.0.1", to.port(), "one"))?;
    /// engine.send_to(b"two", to)?;
    /// assert_eq!(engine.stats().sent, 2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        // The kernel's drop count is read when asked (Linux; none elsewhere).
        let drops = self.inner.lock().io.as_ref().and_then(os::Io::kernel_drops);
        if let Some(count) = drops {
            self.inner.gate.kernel_drops(count);
        }
        self.inner.gate.stats()
    }

    /// Sets the [`Tap`] that sees this socket's datagrams and `error` events from now
    /// on, replacing the one set before; `None` removes it.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use std::sync::{Arc, Mutex};
    /// use wxudp::frontend::{Datagram, Delivery, Engine, Tap};
    /// use wxudp::{Policy, SocketType};
    /// #[derive(Default)]
    /// struct Sizes(Mutex<Vec<usize>>);
    /// impl Tap for Sizes {
    ///     fn datagram(&self, d: &Datagram<'_>) {
    ///         self.0.lock().unwrap().push(d.data.len());
    ///     }
    /// }
    /// let sink = |_: Delivery| {};
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = peer.local_addr().unwrap();
    /// engine.send_to(b"unseen", to)?;
    /// let sizes = Arc::new(Sizes::default());
    /// engine.set_tap(Some(sizes.clone()));
    /// engine.send_to(b"seen", to)?;
    /// engine.set_tap(None);
    /// engine.send_to(b"unseen again", to)?;
    /// assert_eq!(*sizes.0.lock().unwrap(), [4]);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_tap(&self, tap: Option<Arc<dyn Tap>>) {
        self.inner.lock().tap = TapSlot::new(tap);
    }
}
