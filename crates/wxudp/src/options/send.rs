//! What `send` and `write` take: the payload and WeChat's `SendOption`.

use super::byte_range;
use crate::error::{Error, Method};

/// The payload of a send: UTF-8 text or bytes.
///
/// `From` conversions let [`SendOptions::new`] take a `&str`, a `&String`, a byte slice,
/// a byte array or a `&Vec<u8>`.
///
/// # Examples
/// ```
/// use wxudp::Payload;
/// assert_eq!(Payload::from("AT\r\n"), Payload::Text("AT\r\n"));
/// assert_eq!(Payload::from(&[1u8, 2]), Payload::Bytes(&[1, 2]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Sent as UTF-8; `offset` and `length` are ignored, as in WeChat.
    Text(&'a str),
    /// Bytes; `offset` and `length` select the range that is sent.
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Payload<'a> {
    fn from(text: &'a str) -> Self {
        Payload::Text(text)
    }
}

impl<'a> From<&'a String> for Payload<'a> {
    fn from(text: &'a String) -> Self {
        Payload::Text(text)
    }
}

impl<'a> From<&'a [u8]> for Payload<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Payload::Bytes(bytes)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Payload<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Payload::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for Payload<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Payload::Bytes(bytes)
    }
}

/// What `send` and `write` take: WeChat's `SendOption`.
///
/// Built with [`new`](SendOptions::new) and the builder methods
/// ([`offset`](SendOptions::offset), [`length`](SendOptions::length),
/// [`set_broadcast`](SendOptions::set_broadcast)), read with the accessors; options
/// added later come with a default. The bytes are copied (or handed to the kernel)
/// during the call, so the caller may reuse its buffer as soon as `send` returns.
///
/// # Examples
/// ```
/// use wxudp::SendOptions;
/// let data = [0u8, 1, 2, 3, 4, 5];
/// let opts = SendOptions::new("127.0.0.1", 9000, &data).offset(2).length(3);
/// assert_eq!(opts.bytes(wxudp::Method::Send).unwrap(), &[2, 3, 4]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOptions<'a> {
    /// An IPv4/IPv6 literal or a host name.
    address: &'a str,
    /// The destination port, 1..=65535.
    port: u16,
    /// What to send.
    message: Payload<'a>,
    /// Start of the range sent from a byte payload (default 0).
    offset: usize,
    /// Length of the range sent from a byte payload (default: to the end).
    length: Option<usize>,
    /// WeChat's `setBroadcast`.
    broadcast: bool,
}

impl<'a> SendOptions<'a> {
    /// Creates options to send `message` to `address:port`: the whole message, no
    /// `setBroadcast`.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Method, Payload, SendOptions};
    /// let opts = SendOptions::new("127.0.0.1", 9000, "AT\r\n");
    /// assert_eq!((opts.address(), opts.port()), ("127.0.0.1", 9000));
    /// assert_eq!(opts.message(), Payload::Text("AT\r\n"));
    /// assert_eq!(opts.bytes(Method::Send).unwrap(), b"AT\r\n");
    /// assert!(!opts.broadcast());
    /// ```
    pub fn new(address: &'a str, port: u16, message: impl Into<Payload<'a>>) -> Self {
        SendOptions {
            address,
            port,
            message: message.into(),
            offset: 0,
            length: None,
            broadcast: false,
        }
    }

    /// Returns the destination address as given: an IPv4/IPv6 literal or a host name.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(wxudp::SendOptions::new("[::1]", 9, "x").address(), "[::1]");
    /// ```
    pub fn address(&self) -> &'a str {
        self.address
    }

    /// Returns the destination port as given (`send` refuses 0).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(wxudp::SendOptions::new("127.0.0.1", 9, "x").port(), 9);
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Returns the payload, whole: [`bytes`](SendOptions::bytes) is the part sent.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Payload, SendOptions};
    /// let opts = SendOptions::new("127.0.0.1", 9, b"abc").offset(1);
    /// assert_eq!(opts.message(), Payload::Bytes(b"abc"));
    /// ```
    pub fn message(&self) -> Payload<'a> {
        self.message
    }

    /// Returns WeChat's `setBroadcast` flag, as set by
    /// [`set_broadcast`](SendOptions::set_broadcast).
    ///
    /// # Examples
    /// ```
    /// let opts = wxudp::SendOptions::new("255.255.255.255", 9, "x");
    /// assert!(!opts.broadcast());
    /// assert!(opts.set_broadcast(true).broadcast());
    /// ```
    pub fn broadcast(&self) -> bool {
        self.broadcast
    }

    /// Sets the start of the range sent from a byte payload; a text payload ignores it,
    /// as WeChat does.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Method, SendOptions};
    /// let bytes = SendOptions::new("127.0.0.1", 9, b"abcdef").offset(4);
    /// assert_eq!(bytes.bytes(Method::Send).unwrap(), b"ef");
    /// let text = SendOptions::new("127.0.0.1", 9, "abcdef").offset(4);
    /// assert_eq!(text.bytes(Method::Send).unwrap(), b"abcdef");
    /// ```
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Sets the length of the range sent from a byte payload (default: to the end); a
    /// text payload ignores it.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Method, SendOptions};
    /// let opts = SendOptions::new("127.0.0.1", 9, b"abcdef").offset(1).length(2);
    /// assert_eq!(opts.bytes(Method::Send).unwrap(), b"bc");
    /// ```
    pub fn length(mut self, length: usize) -> Self {
        self.length = Some(length);
        self
    }

    /// Sets WeChat's `setBroadcast` flag. It changes nothing: udp4 sockets always have
    /// SO_BROADCAST on, so broadcasts go out with or without it.
    ///
    /// # Examples
    /// Loopback broadcast reaches a socket bound to the wildcard address.
    /// ```
    /// use std::time::Duration;
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// let listener = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    /// listener.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    /// let port = listener.local_addr().unwrap().port();
    ///
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let opts = SendOptions::new("127.255.255.255", port, "anyone?");
    /// assert!(opts.set_broadcast(true).broadcast());
    /// sock.send(&opts)?; // without setBroadcast
    /// let mut buf = [0u8; 16];
    /// let (n, _) = listener.recv_from(&mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"anyone?");
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn set_broadcast(mut self, on: bool) -> Self {
        self.broadcast = on;
        self
    }

    /// Returns the bytes this send puts in the datagram: a text payload whole, as UTF-8;
    /// a byte payload's range `[offset, offset + length)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (errCode -1), in `method`'s name, when `offset`/`length`
    /// fall outside a byte payload: the range is never clamped.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Method, SendOptions};
    /// let data = [1u8, 2, 3];
    /// assert_eq!(SendOptions::new("h", 9, &data).offset(3).bytes(Method::Send).unwrap(), b"");
    /// let err = SendOptions::new("h", 9, &data).offset(1).length(3).bytes(Method::Write).unwrap_err();
    /// assert_eq!(err.code(), -1);
    /// assert_eq!(
    ///     err.to_string(),
    ///     "write:fail offset 1 and length 3 are out of range for a message of 3 bytes"
    /// );
    /// ```
    pub fn bytes(&self, method: Method) -> Result<&'a [u8], Error> {
        match self.message {
            Payload::Text(text) => Ok(text.as_bytes()),
            Payload::Bytes(bytes) => byte_range(method, bytes, self.offset, self.length),
        }
    }
}
