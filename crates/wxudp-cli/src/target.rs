//! Parsers for the addresses, ports and durations on the command line. Each is a clap
//! value parser, so a bad value is a usage error (exit status 2) naming the flag.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use wxudp::options::{Destination, PortArg};
use wxudp::Method;

/// Where `send` sends: an IP literal or a host name to resolve, and a port (1..=65535).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as given, without brackets (`::1`, `esp.local`, `127.0.0.1`).
    pub host: String,
    /// The destination port.
    pub port: u16,
    /// The address, when the host is an IP literal.
    pub ip: Option<IpAddr>,
}

/// Parses `HOST:PORT`, with IPv6 in brackets (`[::1]:9000`).
pub fn parse_target(text: &str) -> Result<Target, String> {
    let (host, port) = split_host_port(text)?;
    let port = destination_port(port)?;
    match Destination::parse(Method::Send, host, port) {
        Ok(Destination::Ip(addr)) => Ok(Target {
            host: host.to_owned(),
            port,
            ip: Some(addr.ip()),
        }),
        Ok(Destination::Host(name, _)) => Ok(Target {
            host: name,
            port,
            ip: None,
        }),
        Err(e) => Err(strip_method(&e.to_string())),
    }
}

/// Splits `HOST:PORT` or `[IPv6]:PORT` into its host (without brackets) and port text.
fn split_host_port(text: &str) -> Result<(&str, &str), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        rest.split_once("]:")
            .ok_or("expected [IPv6]:PORT, such as [::1]:9000")?
    } else {
        text.rsplit_once(':')
            .ok_or("expected HOST:PORT, such as 192.168.4.1:7000")?
    };
    if host.is_empty() {
        return Err("the host is missing (HOST:PORT)".into());
    }
    if !text.starts_with('[') && host.contains(':') {
        return Err("write IPv6 addresses in brackets, as [::1]:9000".into());
    }
    Ok((host, port))
}

/// A destination port: 1..=65535.
fn destination_port(text: &str) -> Result<u16, String> {
    PortArg::Text(text)
        .destination_port(Method::Send)
        .map_err(|_| format!("{text:?} is not a port number from 1 to 65535"))
}

/// A port to listen on: 0..=65535, 0 meaning one the system picks.
pub fn parse_listen_port(text: &str) -> Result<u16, String> {
    PortArg::Text(text)
        .bind_port()
        .map_err(|_| format!("{text:?} is not a port number from 0 to 65535 (0 picks a free port)"))
}

/// A source port for `send`: 0..=65535, 0 meaning one the system picks.
pub fn parse_source_port(text: &str) -> Result<u16, String> {
    parse_listen_port(text)
}

/// A local address (`--bind`, `--source`): an IP literal, IPv6 with or without brackets.
pub fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let literal = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    literal
        .parse()
        .map_err(|_| format!("{text:?} is not an IP address (such as 192.168.4.2 or ::1)"))
}

/// `send --from ADDR:PORT`: a source address and port (`[IPv6]:PORT`; the port may be 0
/// for any). A bare address is accepted too.
pub fn parse_source(text: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = parse_ip(text) {
        return Ok(SocketAddr::new(ip, 0));
    }
    let (host, port) = split_host_port(text)?;
    let ip = parse_ip(host).map_err(|_| {
        format!("{host:?} is not an IP address: the source is one of this host's addresses")
    })?;
    Ok(SocketAddr::new(ip, parse_source_port(port)?))
}

/// `listen --reply-to ADDR:PORT`: where typed lines go (`[IPv6]:PORT`; an IP address,
/// port 1..=65535).
pub fn parse_reply_to(text: &str) -> Result<SocketAddr, String> {
    let (host, port) = split_host_port(text)?;
    let ip = parse_ip(host).map_err(|_| format!("{host:?} is not an IP address"))?;
    Ok(SocketAddr::new(ip, destination_port(port)?))
}

/// Which senders `listen --from` and `echo --from` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerFilter {
    /// The sender's address (IPv4-mapped addresses match their IPv4 form).
    pub ip: IpAddr,
    /// The sender's port, if it must match too.
    pub port: Option<u16>,
}

impl PeerFilter {
    /// Whether a datagram from `peer` passes.
    pub fn accepts(&self, peer: SocketAddr) -> bool {
        peer.ip().to_canonical() == self.ip.to_canonical()
            && self.port.is_none_or(|p| p == peer.port())
    }
}

/// `--from ADDR` or `--from ADDR:PORT` (`[IPv6]:PORT`).
pub fn parse_peer(text: &str) -> Result<PeerFilter, String> {
    if let Ok(ip) = parse_ip(text) {
        return Ok(PeerFilter { ip, port: None });
    }
    let (host, port) = split_host_port(text)?;
    let ip = parse_ip(host)?;
    let port = destination_port(port)?;
    Ok(PeerFilter {
        ip,
        port: Some(port),
    })
}

/// The longest duration any flag takes: 365 days.
pub const MAX_SECONDS: f64 = 31_536_000.0;

/// A number of seconds above 0 and at most 365 days; fractions such as 0.5 are fine.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= MAX_SECONDS => {
            Ok(Duration::from_secs_f64(secs).max(Duration::from_nanos(1)))
        }
        _ => Err("must be a number of seconds above 0 and at most 31536000 (365 days)".into()),
    }
}

/// `send -w SECONDS`: how long replies are shown, 0 (exit at once) to 365 days.
pub fn parse_wait_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(0.0) => Ok(Duration::ZERO),
        Ok(secs) if secs > 0.0 && secs <= MAX_SECONDS => {
            Ok(Duration::from_secs_f64(secs).max(Duration::from_nanos(1)))
        }
        _ => Err("must be a number of seconds from 0 (exit at once) to 31536000 (365 days)".into()),
    }
}

/// A whole number of milliseconds, at most 365 days.
pub fn parse_millis(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if ms <= 31_536_000_000 => Ok(Duration::from_millis(ms)),
        _ => Err("must be a whole number of milliseconds, at most 31536000000 (365 days)".into()),
    }
}

/// A count of at least 1.
pub fn parse_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number of at least 1".into()),
    }
}

/// `send:fail invalid address: ...` → `invalid address: ...`.
pub fn strip_method(err_msg: &str) -> String {
    match err_msg.split_once(":fail ") {
        Some((_, rest)) => rest.to_owned(),
        None => err_msg.to_owned(),
    }
}

/// The longest `--timeout`, in seconds: 365 days. Longer is surely a mistake (and far
/// beyond it a deadline no longer fits the clock).
const MAX_TIMEOUT_SECS: f64 = 31_536_000.0;

/// Parses `--timeout SECONDS`: a number above 0 and at most [`MAX_TIMEOUT_SECS`].
/// Anything else (NaN, infinities, 0, negatives, more) is a usage error (exit status 2).
pub fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    const BOUNDS: &str = "a number of seconds above 0 and at most 31536000 (365 days)";
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= MAX_TIMEOUT_SECS => {
            // In range, the conversion cannot fail; a timeout below a nanosecond is one.
            Ok(std::time::Duration::from_secs_f64(secs).max(std::time::Duration::from_nanos(1)))
        }
        _ => Err(format!("must be {BOUNDS}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn targets() {
        let t = parse_target("127.0.0.1:9").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9));
        assert_eq!(t.ip, Some("127.0.0.1".parse().unwrap()));
        let t = parse_target("[::1]:9000").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9000));
        let t = parse_target("localhost:7").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.ip), ("localhost", 7, None));
        for bad in [
            "127.0.0.1",
            "::1:9",
            ":9",
            "h:0",
            "h:70000",
            "h:99999",
            "h:x",
            "[::1]9",
            "1.2.3:9",
            "a b:9",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_target("h:99999").unwrap_err(),
            "\"99999\" is not a port number from 1 to 65535"
        );
    }

    #[test]
    fn sources_and_peers() {
        assert_eq!(
            parse_source("127.0.0.1:5000").unwrap(),
            "127.0.0.1:5000".parse().unwrap()
        );
        assert_eq!(parse_source("[::1]:0").unwrap(), "[::1]:0".parse().unwrap());
        assert_eq!(
            parse_source("127.0.0.2").unwrap(),
            "127.0.0.2:0".parse().unwrap()
        );
        assert!(parse_source("localhost:5000").is_err());
        assert!(parse_source("127.0.0.1:70000").is_err());

        let f = parse_peer("127.0.0.1").unwrap();
        assert!(f.accepts("[::ffff:127.0.0.1]:5".parse().unwrap()));
        assert!(!f.accepts("127.0.0.2:5".parse().unwrap()));
        let f = parse_peer("[::1]:7").unwrap();
        assert!(f.accepts("[::1]:7".parse().unwrap()));
        assert!(!f.accepts("[::1]:8".parse().unwrap()));
        assert!(parse_peer("host.invalid").is_err());
        assert!(parse_peer("127.0.0.1:0").is_err());
    }

    #[test]
    fn durations_and_counts() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_millis("300").unwrap(), Duration::from_millis(300));
        assert_eq!(parse_millis("0").unwrap(), Duration::ZERO);
        for bad in ["0", "-1", "NaN", "inf", "x", "31536001"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        assert!(parse_millis("-1").is_err());
        assert!(parse_count("0").is_err());
        assert_eq!(parse_count("3"), Ok(3));
    }
}
