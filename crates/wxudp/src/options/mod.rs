//! Arguments of the socket methods: untrusted input is parsed here, once, into typed
//! values (ports, destinations, byte ranges, TTLs), each failure mapped to its errCode.
//!
//! The typed Rust API ([`SendOptions`]) and the loosely typed front ends share these
//! rules: the CLI turns its arguments into a [`PortArg`], the JavaScript hosts read
//! theirs through the rulebook of [`frontend`](crate::frontend), so `"9"` and `9` mean
//! the same port everywhere.

use std::net::{IpAddr, SocketAddr};

use crate::error::{Error, Method};

mod send;

pub use send::{Payload, SendOptions};

/// The address family of a socket: `udp4` or `udp6` (dual-stack).
///
/// # Examples
/// ```
/// use wxudp::SocketType;
/// assert_eq!(SocketType::default(), SocketType::Udp4, "as createUDPSocket() without a type");
/// assert_eq!(SocketType::Udp6.name(), "udp6");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SocketType {
    /// An IPv4 socket (`'udp4'`, the default). SO_BROADCAST is on, as on every socket.
    #[default]
    Udp4,
    /// An IPv6 socket (`'udp6'`) with IPV6_V6ONLY off: IPv4 peers appear as
    /// `::ffff:a.b.c.d`.
    Udp6,
}

impl SocketType {
    /// Parses WeChat's type name, `"udp4"` or `"udp6"` (case-sensitive, as WeChat's).
    ///
    /// # Errors
    /// [`Error::InvalidType`] (-1), `createUDPSocket:fail invalid type`, for any other
    /// name. WeChat still creates a udp4 socket then (docs/CONTRACT.md §2): a front end
    /// falls back to [`SocketType::Udp4`] and reports the error.
    ///
    /// # Examples
    /// ```
    /// use wxudp::SocketType;
    /// assert_eq!(SocketType::parse("udp6").unwrap(), SocketType::Udp6);
    /// let err = SocketType::parse("tcp").unwrap_err();
    /// assert_eq!(err.to_string(), "createUDPSocket:fail invalid type");
    /// assert_eq!(err.code(), -1);
    /// ```
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "udp4" => Ok(SocketType::Udp4),
            "udp6" => Ok(SocketType::Udp6),
            other => Err(Error::InvalidType {
                given: other.to_owned(),
            }),
        }
    }

    /// Returns WeChat's name of this type, the one [`parse`](SocketType::parse) reads.
    ///
    /// # Examples
    /// ```
    /// use wxudp::SocketType;
    /// assert_eq!(SocketType::Udp4.name(), "udp4");
    /// assert_eq!(SocketType::parse(SocketType::Udp6.name()).unwrap(), SocketType::Udp6);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SocketType::Udp4 => "udp4",
            SocketType::Udp6 => "udp6",
        }
    }

    /// Returns the largest UDP payload this family can carry: 65507 bytes for IPv4, 65527
    /// for IPv6. A larger datagram fails with errCode -2, `message too long`.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{SendOptions, SocketType, UdpSocket};
    /// assert_eq!(SocketType::Udp4.max_payload(), 65507);
    /// assert_eq!(SocketType::Udp6.max_payload(), 65527);
    ///
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let port = peer.local_addr().unwrap().port();
    /// let sock = UdpSocket::new(SocketType::Udp4)?;
    /// let largest = vec![0u8; SocketType::Udp4.max_payload()];
    /// sock.send(&SendOptions::new("127.0.0.1", port, &largest))?;
    /// let one_more = vec![0u8; SocketType::Udp4.max_payload() + 1];
    /// assert_eq!(sock.send(&SendOptions::new("127.0.0.1", port, &one_more)).unwrap_err().code(), -2);
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn max_payload(self) -> usize {
        match self {
            SocketType::Udp4 => MAX_PAYLOAD_V4,
            SocketType::Udp6 => MAX_PAYLOAD_V6,
        }
    }
}

/// The largest UDP payload over IPv4 (65535 - 20 - 8).
///
/// # Examples
/// ```
/// assert_eq!(wxudp::options::MAX_PAYLOAD_V4, wxudp::SocketType::Udp4.max_payload());
/// ```
pub const MAX_PAYLOAD_V4: usize = 65507;
/// The largest UDP payload over IPv6 without jumbograms (65535 - 8).
///
/// # Examples
/// ```
/// assert_eq!(wxudp::options::MAX_PAYLOAD_V6, wxudp::SocketType::Udp6.max_payload());
/// ```
pub const MAX_PAYLOAD_V6: usize = 65527;

/// A port as a loosely typed front end received it.
///
/// # Examples
/// ```
/// use wxudp::{options::PortArg, Method};
/// // `send({port: true, ...})` in a script:
/// let err = PortArg::Other("Boolean").destination_port(Method::Send).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "send:fail parameter error: parameter.port should be Number instead of Boolean;"
/// );
/// assert_eq!(err.code(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PortArg<'a> {
    /// Not given (`undefined`).
    Missing,
    /// A number (JavaScript numbers are doubles).
    Number(f64),
    /// A string; only decimal digits are a port (`"9"`, `"7550"`).
    Text(&'a str),
    /// Any other type; the name is JavaScript's (`Boolean`, `Object`, `Null`).
    Other(&'static str),
}

impl PortArg<'_> {
    /// Parses a port for `bind`: missing or 0 means "a port chosen by the system".
    ///
    /// # Errors
    /// errCode 2 for anything that is not an integer in 0..=65535:
    /// [`Error::InvalidPort`] for a number or a string out of range or not a number,
    /// [`Error::Parameter`] for another type.
    ///
    /// # Examples
    /// ```
    /// use wxudp::options::PortArg;
    /// assert_eq!(PortArg::Missing.bind_port().unwrap(), 0);
    /// assert_eq!(PortArg::Text("4210").bind_port().unwrap(), 4210);
    /// assert_eq!(PortArg::Number(70000.0).bind_port().unwrap_err().code(), 2);
    /// ```
    pub fn bind_port(&self) -> Result<u16, Error> {
        match self {
            PortArg::Missing => Ok(0),
            _ => self.parse(Method::Bind),
        }
    }

    /// Parses a destination port for `send`, `write` or `connect`: 1..=65535.
    ///
    /// # Errors
    /// errCode 2 when the port is missing or of another type ([`Error::Parameter`]), or
    /// 0 or not an integer in range ([`Error::InvalidPort`]).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{options::PortArg, Method};
    /// assert_eq!(PortArg::Text("9").destination_port(Method::Send).unwrap(), 9);
    /// assert_eq!(PortArg::Number(0.0).destination_port(Method::Send).unwrap_err().code(), 2);
    /// ```
    pub fn destination_port(&self, method: Method) -> Result<u16, Error> {
        let port = self.parse(method)?;
        check_destination_port(method, port)?;
        Ok(port)
    }

    fn parse(&self, method: Method) -> Result<u16, Error> {
        let invalid = |reason: String| Error::InvalidPort { method, reason };
        match *self {
            PortArg::Missing => Err(Error::Parameter {
                method,
                name: "port",
                expected: "Number",
                found: "Undefined".into(),
            }),
            PortArg::Other(found) => Err(Error::Parameter {
                method,
                name: "port",
                expected: "Number",
                found: found.into(),
            }),
            PortArg::Number(n) => {
                if n.fract() == 0.0 && (0.0..=65535.0).contains(&n) {
                    // In range and integral, so the cast is exact.
                    Ok(n as u16)
                } else {
                    Err(invalid(format!("{n} is not an integer in 0..65535")))
                }
            }
            PortArg::Text(text) => {
                let digits = text.trim();
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(format!("{text:?} is not a number")));
                }
                digits
                    .parse::<u16>()
                    .map_err(|_| invalid(format!("{text:?} is not in 0..65535")))
            }
        }
    }
}

pub(crate) fn check_destination_port(method: Method, port: u16) -> Result<(), Error> {
    if port == 0 {
        return Err(Error::InvalidPort {
            method,
            reason: "0 is not a valid destination port".into(),
        });
    }
    Ok(())
}

pub(crate) fn invalid_ttl(ttl: impl std::fmt::Display) -> Error {
    Error::InvalidArgument {
        method: Method::SetTtl,
        reason: format!("invalid ttl {ttl}: it must be an integer in 0..255"),
    }
}

/// The bytes of `bytes` that `offset` and `length` (the rest when `None`) select: what
/// a send of a byte payload sends ([`SendOptions::bytes`]).
///
/// # Errors
/// [`Error::InvalidArgument`] (errCode -1), in `method`'s name, when the range falls
/// outside `bytes`: it is never clamped.
pub(crate) fn byte_range(
    method: Method,
    bytes: &[u8],
    offset: usize,
    length: Option<usize>,
) -> Result<&[u8], Error> {
    let total = bytes.len();
    let out_of_range = || Error::InvalidArgument {
        method,
        reason: format!(
            "offset {offset} and length {} are out of range for a message of {total} bytes",
            length.map_or_else(|| "(rest)".to_owned(), |l| l.to_string())
        ),
    };
    if offset > total {
        return Err(out_of_range());
    }
    let length = length.unwrap_or(total - offset);
    let end = offset
        .checked_add(length)
        .filter(|end| *end <= total)
        .ok_or_else(out_of_range)?;
    Ok(&bytes[offset..end])
}

/// A parsed destination: an IP address now, or a host name to resolve.
///
/// # Examples
/// ```
/// use wxudp::{options::Destination, Method};
/// let ip = Destination::parse(Method::Send, " 127.0.0.1 ", 9).unwrap();
/// assert_eq!(ip, Destination::Ip("127.0.0.1:9".parse().unwrap()));
/// let host = Destination::parse(Method::Send, "device.invalid", 9).unwrap();
/// assert_eq!(host, Destination::Host("device.invalid".into(), 9));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An IPv4 or IPv6 literal (IPv6 with or without brackets).
    Ip(SocketAddr),
    /// A syntactically valid host name, to be resolved.
    Host(String, u16),
}

impl Destination {
    /// Parses `address` and `port` the way `send` does, without resolving anything:
    /// surrounding spaces are ignored, an IPv6 literal may be in brackets.
    ///
    /// # Errors
    /// [`Error::InvalidPort`] (2) for port 0, checked first; [`Error::InvalidAddress`] (1)
    /// for an address that is neither an IP literal nor a valid host name (all-numeric
    /// forms such as `1.2.3` are refused, not read the way `inet_aton` would).
    ///
    /// # Examples
    /// ```
    /// use wxudp::{options::Destination, Method};
    /// assert!(matches!(Destination::parse(Method::Send, "[::1]", 9), Ok(Destination::Ip(_))));
    /// assert!(matches!(Destination::parse(Method::Send, "esp.invalid", 9), Ok(Destination::Host(..))));
    /// assert_eq!(Destination::parse(Method::Send, "1.2.3", 9).unwrap_err().code(), 1);
    /// ```
    pub fn parse(method: Method, address: &str, port: u16) -> Result<Self, Error> {
        check_destination_port(method, port)?;
        let invalid = |reason: String| Error::InvalidAddress { method, reason };
        let trimmed = address.trim();
        let literal = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(trimmed);
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(Destination::Ip(SocketAddr::new(ip, port)));
        }
        if is_host_name(trimmed) {
            return Ok(Destination::Host(trimmed.to_owned(), port));
        }
        if trimmed.is_empty() {
            Err(invalid("the address is empty".into()))
        } else {
            Err(invalid(format!(
                "{address:?} is neither an IP address nor a host name"
            )))
        }
    }
}

/// A syntactically valid DNS host name (RFC 1123 letters, digits, `-`, `_` and dots).
fn is_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        // All-numeric names that failed to parse as IPs (`256.1.1.1`) are invalid.
        && !name.split('.').all(|label| label.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
