//! The one error type, with the `{errMsg, errCode}` mapping of the WeChat API.

use std::fmt;
use std::io;
use std::sync::Arc;

/// The `UDPSocket` method (or factory) a failure belongs to.
///
/// Its [`wx_name`](Method::wx_name), which is also its `Display` form, is the prefix of
/// every `errMsg`, as in `send:fail ...`.
///
/// # Examples
/// ```
/// use wxudp::{Error, Method};
/// assert_eq!(Method::CreateUdpSocket.to_string(), "createUDPSocket");
/// let err = Error::Closed { method: Method::Connect };
/// assert_eq!(err.method(), Method::Connect);
/// assert!(err.to_string().starts_with("connect:fail"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `wx.createUDPSocket`.
    CreateUdpSocket,
    /// `UDPSocket.bind`.
    Bind,
    /// `UDPSocket.send`.
    Send,
    /// `UDPSocket.connect`.
    Connect,
    /// `UDPSocket.write`.
    Write,
    /// `UDPSocket.setTTL`.
    SetTtl,
    /// `UDPSocket.close`.
    Close,
    /// Receiving: an error the OS reports on the receive path (for example an ICMP
    /// "port unreachable" on a connected socket).
    Receive,
}

impl Method {
    /// Returns the name WeChat uses for this method in `errMsg`, for example `"setTTL"`.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(wxudp::Method::SetTtl.wx_name(), "setTTL");
    /// ```
    pub fn wx_name(self) -> &'static str {
        match self {
            Method::CreateUdpSocket => "createUDPSocket",
            Method::Bind => "bind",
            Method::Send => "send",
            Method::Connect => "connect",
            Method::Write => "write",
            Method::SetTtl => "setTTL",
            Method::Close => "close",
            Method::Receive => "receive",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wx_name())
    }
}

/// Every failure of a wxudp socket.
///
/// The `Display` form is WeChat's `errMsg` (`<method>:fail <reason>`), and
/// [`code`](Error::code) is its `errCode` (docs/CONTRACT.md §4). The same value is
/// returned by the failing method and delivered to the socket's `error` listeners.
///
/// Variants are grouped by who can fix the problem: the caller (bad state, bad
/// arguments), the system (an OS error), or the destination policy. New variants may be
/// added: match on [`code`](Error::code) where the errCode is what matters.
///
/// # Examples
/// ```
/// use wxudp::{Error, Method};
/// let err = Error::Closed { method: Method::Send };
/// assert_eq!(err.to_string(), "send:fail socket is closed");
/// assert_eq!(err.code(), -1);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // --- caller misuse -------------------------------------------------------
    /// The socket was closed before this call.
    #[error("{method}:fail socket is closed")]
    Closed {
        /// The method that was called.
        method: Method,
    },
    /// `bind` on a socket that is already bound (explicitly, or implicitly by `send`,
    /// `write` or `connect`).
    #[error("bind:fail socket is already bound")]
    AlreadyBound,
    /// `createUDPSocket` with a type other than `udp4` or `udp6`. The socket is still
    /// created as udp4.
    #[error("createUDPSocket:fail invalid type")]
    InvalidType {
        /// What was given.
        given: String,
    },
    /// A parameter of the wrong type, in WeChat's wording
    /// (`parameter error: parameter.port should be Number instead of Boolean;`).
    #[error(
        "{method}:fail parameter error: parameter.{name} should be {expected} instead of {found};"
    )]
    Parameter {
        /// The method that was called.
        method: Method,
        /// The parameter's name (`port`, `address`, `message`, ...).
        name: &'static str,
        /// The type that was expected, in JavaScript's terms (`Number`, `String`).
        expected: &'static str,
        /// The type that was given (`Undefined`, `Object`, ...).
        found: String,
    },
    /// A port that is not an integer in 0..=65535 (or 0 as a destination).
    #[error("{method}:fail invalid port: {reason}")]
    InvalidPort {
        /// The method that was called.
        method: Method,
        /// Why the port was refused.
        reason: String,
    },
    /// A destination that is neither an IP literal nor a resolvable host name, or one of
    /// the wrong family for the socket.
    #[error("{method}:fail invalid address: {reason}")]
    InvalidAddress {
        /// The method that was called.
        method: Method,
        /// Why the address was refused.
        reason: String,
    },
    /// Any other bad argument: `offset`/`length` out of range, a TTL outside 0..=255.
    #[error("{method}:fail {reason}")]
    InvalidArgument {
        /// The method that was called.
        method: Method,
        /// What was wrong.
        reason: String,
    },
    /// A send or connect whose host name was still being resolved when the socket closed.
    #[error("{method}:fail socket closed before the host name {host} was resolved")]
    Unresolved {
        /// The method that was called.
        method: Method,
        /// The host name that was being resolved.
        host: String,
    },

    /// More `error` events were waiting for delivery than the socket's error backlog
    /// holds ([`Limits::error_backlog`](crate::Limits::error_backlog)): this notice takes
    /// the last place, and later errors are dropped until the listeners catch up.
    #[error("{method}:fail too many errors waiting for delivery; later ones are dropped until the error listeners catch up")]
    TooManyErrors {
        /// The method whose error the notice replaced.
        method: Method,
    },

    /// The memory budget ([`Limits::with_memory_total`](crate::Limits::with_memory_total);
    /// `wxudp run --native-memory`) has no room for what the call needs: a new socket, or
    /// an open one.
    #[error("{method}:fail cannot allocate memory (native memory budget used up)")]
    OutOfMemory {
        /// The method that was called.
        method: Method,
    },

    // --- the system ----------------------------------------------------------
    /// The operating system refused the operation (port in use, message too long,
    /// network unreachable, ...). The text carries the OS error.
    #[error("{method}:fail {}", os_text(error))]
    Os {
        /// The method that was called.
        method: Method,
        /// The OS error. Its text is part of this error's message (WeChat's `errMsg`
        /// carries it), so it is not repeated as a `source()`: an error chain printed
        /// in full says it once. [`Error::os_error`] returns it.
        error: Arc<io::Error>,
    },

    /// The outbox (sends waiting for a host name or for room in the kernel) is full
    /// ([`Limits::send_buffer`](crate::Limits::send_buffer)): the datagram is not sent.
    #[error("{method}:fail no buffer space available (send queue full)")]
    QueueFull {
        /// The method that was called.
        method: Method,
    },
    /// `close()` could not hand every queued datagram to the kernel within its bound
    /// ([`Limits::close_timeout`](crate::Limits::close_timeout)): these were dropped.
    #[error("send:fail {count} queued datagrams were not sent: socket closed")]
    Unsent {
        /// How many datagrams were dropped.
        count: usize,
    },

    // --- the destination policy ----------------------------------------------
    /// The destination is not permitted by the socket's [`Policy`](crate::Policy).
    #[error("{method}:fail destination not permitted: {destination}")]
    NotPermitted {
        /// The method that was called.
        method: Method,
        /// The refused destination, as given.
        destination: String,
    },
}

impl Error {
    /// Returns the WeChat `errCode` of this error (docs/CONTRACT.md §4).
    ///
    /// | code | meaning |
    /// |---|---|
    /// | -1 | misuse: a closed socket, already bound, a bad parameter other than address and port, an unknown socket type, a host name not resolved before `close`, the too-many-errors notice; a memory budget used up |
    /// | -2 | the OS refused (port in use, message too long, ...), a full send queue, datagrams `close()` could not flush |
    /// | -3 | the destination is not permitted by the policy |
    /// | 1 | an invalid address, or a parameter error on `address` |
    /// | 2 | an invalid port, or a parameter error on `port` |
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Error, Method};
    /// assert_eq!(Error::AlreadyBound.code(), -1);
    /// let port = Error::Parameter {
    ///     method: Method::Send,
    ///     name: "port",
    ///     expected: "Number",
    ///     found: "String".into(),
    /// };
    /// assert_eq!(port.code(), 2, "a parameter error takes the code of its field");
    /// let full = Error::QueueFull { method: Method::Send };
    /// assert_eq!(full.code(), -2);
    /// ```
    pub fn code(&self) -> i32 {
        match self {
            Error::Closed { .. }
            | Error::AlreadyBound
            | Error::InvalidType { .. }
            | Error::InvalidArgument { .. }
            | Error::Unresolved { .. }
            | Error::TooManyErrors { .. }
            | Error::OutOfMemory { .. } => -1,
            Error::Parameter { name, .. } => match *name {
                "port" => 2,
                "address" => 1,
                _ => -1,
            },
            Error::InvalidPort { .. } => 2,
            Error::InvalidAddress { .. } => 1,
            Error::Os { .. } | Error::QueueFull { .. } | Error::Unsent { .. } => -2,
            Error::NotPermitted { .. } => -3,
        }
    }

    /// Returns the WeChat `errMsg` of this error; the same text as its `Display` form.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Error, Method};
    /// let err = Error::NotPermitted { method: Method::Write, destination: "10.9.8.7".into() };
    /// assert_eq!(err.err_msg(), "write:fail destination not permitted: 10.9.8.7");
    /// assert_eq!(err.err_msg(), err.to_string());
    /// ```
    pub fn err_msg(&self) -> String {
        self.to_string()
    }

    /// Returns the method this error belongs to: the one whose name starts the `errMsg`.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Error, Method};
    /// assert_eq!(Error::AlreadyBound.method(), Method::Bind);
    /// assert_eq!(Error::Unsent { count: 2 }.method(), Method::Send);
    /// ```
    pub fn method(&self) -> Method {
        match self {
            Error::AlreadyBound => Method::Bind,
            Error::InvalidType { .. } => Method::CreateUdpSocket,
            Error::Unsent { .. } => Method::Send,
            Error::Closed { method }
            | Error::Parameter { method, .. }
            | Error::InvalidPort { method, .. }
            | Error::InvalidAddress { method, .. }
            | Error::InvalidArgument { method, .. }
            | Error::Unresolved { method, .. }
            | Error::TooManyErrors { method }
            | Error::OutOfMemory { method }
            | Error::QueueFull { method }
            | Error::Os { method, .. }
            | Error::NotPermitted { method, .. } => *method,
        }
    }

    /// Returns the OS error behind this error, if there is one ([`Error::Os`] only).
    ///
    /// Its text is already part of this error's message, so it is not the error's
    /// [`source`](std::error::Error::source): a chain printed in full says it once.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SocketType, UdpSocket};
    /// let a = UdpSocket::new(SocketType::Udp4)?;
    /// let port = a.bind(0)?;
    /// let err = UdpSocket::new(SocketType::Udp4)?.bind(port).unwrap_err();
    /// assert_eq!(err.os_error().map(|e| e.kind()), Some(std::io::ErrorKind::AddrInUse));
    /// assert_eq!(err.to_string(), "bind:fail address already in use (os error 98)");
    /// assert!(std::error::Error::source(&err).is_none());
    /// assert!(a.bind(0).unwrap_err().os_error().is_none(), "already bound: not the OS");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            Error::Os { error, .. } => Some(error),
            _ => None,
        }
    }

    pub(crate) fn os(method: Method, error: io::Error) -> Self {
        Error::Os {
            method,
            error: Arc::new(error),
        }
    }
}

/// The OS error's text with a lower-case first letter, as in
/// `address already in use (os error 98)`.
fn os_text(err: &io::Error) -> String {
    let text = err.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_like_wechat() {
        let err = Error::os(Method::Bind, io::Error::from_raw_os_error(98));
        assert_eq!(
            err.to_string(),
            "bind:fail address already in use (os error 98)"
        );
        assert_eq!(err.code(), -2);
        assert_eq!(err.os_error().and_then(io::Error::raw_os_error), Some(98));
    }

    #[test]
    fn an_error_chain_says_the_os_error_once() {
        let err = Error::os(Method::Bind, io::Error::from_raw_os_error(98));
        // As `{:#}` of anyhow prints it: the error, then each source.
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        assert_eq!(chain.matches("os error 98").count(), 1, "{chain}");
    }

    #[test]
    fn parameter_errors_use_wechat_wording_and_field_codes() {
        let err = Error::Parameter {
            method: Method::Send,
            name: "port",
            expected: "Number",
            found: "Boolean".into(),
        };
        assert_eq!(
            err.to_string(),
            "send:fail parameter error: parameter.port should be Number instead of Boolean;"
        );
        assert_eq!(err.code(), 2);
        let err = Error::Parameter {
            method: Method::Send,
            name: "address",
            expected: "String",
            found: "Number".into(),
        };
        assert_eq!(err.code(), 1);
        let err = Error::Parameter {
            method: Method::Send,
            name: "message",
            expected: "String/ArrayBuffer",
            found: "Number".into(),
        };
        assert_eq!(err.code(), -1);
    }

    #[test]
    fn every_variant_has_its_code() {
        assert_eq!(Error::AlreadyBound.code(), -1);
        assert_eq!(Error::AlreadyBound.method(), Method::Bind);
        let e = Error::InvalidType {
            given: "tcp".into(),
        };
        assert_eq!(e.to_string(), "createUDPSocket:fail invalid type");
        assert_eq!(e.code(), -1);
        let e = Error::NotPermitted {
            method: Method::Send,
            destination: "1.2.3.4".into(),
        };
        assert_eq!(e.code(), -3);
        let e = Error::InvalidPort {
            method: Method::Send,
            reason: "0".into(),
        };
        assert_eq!(e.code(), 2);
        let e = Error::QueueFull {
            method: Method::Write,
        };
        assert_eq!(
            e.to_string(),
            "write:fail no buffer space available (send queue full)"
        );
        assert_eq!(e.code(), -2);
        let e = Error::Unsent { count: 3 };
        assert_eq!(
            e.to_string(),
            "send:fail 3 queued datagrams were not sent: socket closed"
        );
        assert_eq!((e.code(), e.method()), (-2, Method::Send));
        let e = Error::TooManyErrors {
            method: Method::Send,
        };
        assert_eq!((e.code(), e.method()), (-1, Method::Send));
    }
}
