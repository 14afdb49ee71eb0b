//! The system calls the standard library and tokio do not offer: receiving a datagram
//! together with the address it was sent to (IP_PKTINFO / IPV6_PKTINFO), and waiting for
//! a socket to become writable without an event loop. All through `nix`'s safe wrappers.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrLike, SockaddrStorage,
};

/// Asks the kernel to report each datagram's destination address.
pub(crate) fn enable_pktinfo(socket: &impl AsFd, ipv6: bool) -> io::Result<()> {
    if ipv6 {
        setsockopt(socket, sockopt::Ipv6RecvPacketInfo, &true)?;
    } else {
        setsockopt(socket, sockopt::Ipv4PacketInfo, &true)?;
    }
    Ok(())
}

/// One received datagram's length, sender and destination address.
pub(crate) struct Received {
    pub(crate) len: usize,
    pub(crate) from: SocketAddr,
    pub(crate) to: Option<IpAddr>,
}

/// Receives one datagram into `buf` without blocking (the socket is non-blocking).
///
/// Returns `WouldBlock` when nothing is queued.
pub(crate) fn recv_with_dst(socket: &impl AsRawFd, buf: &mut [u8]) -> io::Result<Received> {
    let mut cmsg = nix::cmsg_space!(nix::libc::in6_pktinfo, nix::libc::in_pktinfo);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_DONTWAIT,
    )?;
    let from = msg
        .address
        .as_ref()
        .and_then(to_socket_addr)
        .ok_or_else(|| io::Error::other("datagram without a sender address"))?;
    let mut to = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(info) => {
                    to = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                        info.ipi_addr.s_addr,
                    ))));
                }
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    to = Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
                }
                _ => {}
            }
        }
    }
    Ok(Received {
        len: msg.bytes,
        from,
        to,
    })
}

fn to_socket_addr(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    if let Some(v6) = addr.as_sockaddr_in6() {
        return Some(SocketAddr::from(*v6));
    }
    // An unnamed sender (family AF_UNSPEC) cannot happen for UDP over IP.
    let _ = addr.family();
    None
}

/// Blocks the calling thread until `socket` can take a datagram, or `timeout` passes.
/// Returns false on timeout.
pub(crate) fn wait_writable(socket: &impl AsFd, timeout: Duration) -> io::Result<bool> {
    let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLOUT)];
    match poll(&mut fds, PollTimeout::from(millis)) {
        Ok(n) => Ok(n > 0),
        Err(nix::errno::Errno::EINTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
