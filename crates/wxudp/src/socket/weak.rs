//! Weak handles to a [`UdpSocket`], for listeners that use their own socket.

use std::sync::{Arc, Weak};

use super::{Shared, UdpSocket};

impl UdpSocket {
    /// Returns a handle that does not keep the socket open: for listeners that use their
    /// own socket.
    ///
    /// # Examples
    /// An echo socket whose listener replies through a weak handle, so that dropping
    /// `echo` closes it.
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let echo = UdpSocket::new(SocketType::Udp4)?;
    /// let me = echo.downgrade();
    /// echo.on_message(move |msg| {
    ///     if let Some(sock) = me.upgrade() {
    ///         let to = msg.remote.ip().to_string();
    ///         let _ = sock.send(&SendOptions::new(&to, msg.remote.port(), &msg.data));
    ///     }
    /// });
    /// let port = echo.bind(0)?;
    /// let weak = echo.downgrade();
    /// drop(echo);
    /// assert!(weak.upgrade().is_none(), "the listener did not keep it");
    /// // The port is free again.
    /// UdpSocket::new(SocketType::Udp4)?.bind(port)?;
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn downgrade(&self) -> WeakUdpSocket {
        WeakUdpSocket {
            shared: Arc::downgrade(&self.shared),
        }
    }
}

/// A handle to a [`UdpSocket`] that does not keep it open; see
/// [`UdpSocket::downgrade`].
///
/// # Examples
/// ```
/// use wxudp::{SocketType, UdpSocket};
/// let sock = UdpSocket::new(SocketType::Udp4)?;
/// let port = sock.bind(0)?;
/// let weak = sock.downgrade();
/// drop(sock); // the last strong handle: the socket closes
/// assert!(weak.upgrade().is_none());
/// UdpSocket::new(SocketType::Udp4)?.bind(port)?; // its port is free again
/// # Ok::<(), wxudp::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct WeakUdpSocket {
    shared: Weak<Shared>,
}

impl WeakUdpSocket {
    /// Returns the socket, if some [`UdpSocket`] handle still holds it.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let weak = sock.downgrade();
    /// let port = weak.upgrade().expect("sock holds it").bind(0)?;
    /// assert_eq!(sock.local_addr().map(|a| a.port()), Some(port));
    /// drop(sock);
    /// assert!(weak.upgrade().is_none());
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn upgrade(&self) -> Option<UdpSocket> {
        self.shared.upgrade().map(|shared| UdpSocket { shared })
    }
}
