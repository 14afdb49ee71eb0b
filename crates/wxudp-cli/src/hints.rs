//! Failures of the socket, told with the address they concern and, for the common
//! mistakes, a hint: who holds a port, which address is not this host's, why a broadcast
//! has no route.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};

use crate::status::Failure;
use crate::target::strip_method;

/// The error's OS kind, if it has an OS error.
fn kind(e: &wxudp::Error) -> Option<ErrorKind> {
    e.os_error().map(std::io::Error::kind)
}

/// A failed bind of `addr`; `what` says what it was for (`listen on`, `use the source
/// address`).
pub fn bind_failed(e: &wxudp::Error, addr: SocketAddr, what: &str) -> Failure {
    let message = format!("cannot {what} {addr}: {}", strip_method(&e.to_string()));
    let port = addr.port();
    let hint = match kind(e) {
        Some(ErrorKind::AddrInUse) => Some(format!(
            "another program has UDP port {port}; see which with: ss -ulpn 'sport = :{port}' \
             (or choose another port; 0 picks a free one)"
        )),
        Some(ErrorKind::AddrNotAvailable) => Some(format!(
            "{} is not an address of this host; list them with: ip -br addr",
            addr.ip()
        )),
        Some(ErrorKind::PermissionDenied) if (1..1024).contains(&port) => Some(format!(
            "ports below 1024 need root (or CAP_NET_BIND_SERVICE); use a port from 1024 up \
             instead of {port}"
        )),
        _ => None,
    };
    match hint {
        Some(hint) => Failure::hinted(message, hint),
        None => Failure::runtime(message),
    }
}

/// Whether `ip` is, or looks like, a broadcast address: the limited broadcast
/// 255.255.255.255, or an IPv4 address ending in .255 (the broadcast address of a /24).
fn broadcast_like(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_broadcast() || v4.octets()[3] == 255,
        IpAddr::V6(_) => false,
    }
}

/// A failed send to `to`.
pub fn send_failed(e: &wxudp::Error, to: SocketAddr, broadcast: bool) -> Failure {
    let message = format!("cannot send to {to}: {}", strip_method(&e.to_string()));
    let ip = to.ip();
    let hint = match kind(e) {
        Some(ErrorKind::NetworkUnreachable) if broadcast_like(ip) => Some(format!(
            "no route for the broadcast to {ip}: this host has no default route and no \
             interface up whose network holds it. Send to the broadcast address of an \
             interface's network (see: ip -br addr), or add a route for it \
             (ip route add {ip} dev IFACE){}",
            if broadcast {
                ""
            } else {
                "; and pass -b for a broadcast"
            }
        )),
        Some(ErrorKind::NetworkUnreachable) => Some(format!(
            "this host has no route to {ip}; see which way it would go with: ip route get {ip}"
        )),
        Some(ErrorKind::HostUnreachable) => Some(format!(
            "nothing answered for {ip} on the local network (ARP/neighbour discovery); is \
             the device on and on this network?"
        )),
        Some(ErrorKind::PermissionDenied) if broadcast_like(ip) && !broadcast => {
            Some("sending to a broadcast address needs -b/--broadcast".into())
        }
        Some(ErrorKind::PermissionDenied) => Some(format!(
            "a firewall rule (nftables/iptables) refused the datagram to {ip}"
        )),
        Some(ErrorKind::AddrNotAvailable) => Some(format!(
            "{ip} cannot be reached from the source address (a loopback source cannot send \
             off the host, and an IPv6 link-local address needs its interface, as \
             [fe80::1%eth0]:PORT)"
        )),
        _ => None,
    };
    match hint {
        Some(hint) => Failure::hinted(message, hint),
        None => Failure::runtime(message),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An OS error as the core reports it: a bind of a port already taken.
    fn address_in_use() -> wxudp::Error {
        let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let sock = wxudp::UdpSocket::new(wxudp::SocketType::Udp4).unwrap();
        let e = sock
            .bind_addr(SocketAddr::from(([127, 0, 0, 1], port)))
            .unwrap_err();
        assert_eq!(e.os_error().unwrap().raw_os_error(), Some(98));
        e
    }

    #[test]
    fn a_busy_port_names_who_to_look_for() {
        let e = address_in_use();
        let addr: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        let Failure::Runtime { message, hint } = bind_failed(&e, addr, "listen on") else {
            panic!()
        };
        assert_eq!(
            message,
            "cannot listen on 127.0.0.1:9000: address already in use (os error 98)"
        );
        assert!(hint.unwrap().contains("ss -ulpn 'sport = :9000'"));
    }

    #[test]
    fn broadcast_addresses() {
        assert!(broadcast_like("255.255.255.255".parse().unwrap()));
        assert!(broadcast_like("192.168.4.255".parse().unwrap()));
        assert!(!broadcast_like("192.168.4.1".parse().unwrap()));
        assert!(!broadcast_like("::1".parse().unwrap()));
    }
}
