//! The system calls the standard library and tokio do not offer: receiving datagrams in
//! batches (recvmmsg) together with the address each was sent to (IP_PKTINFO /
//! IPV6_PKTINFO), and waiting for a socket to become writable without an event loop. All
//! through `nix`'s safe wrappers.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recvmmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, MultiHeaders, RecvMsg,
    SockaddrStorage,
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

/// Asks the kernel to report, with each datagram, how many it dropped so far for lack
/// of room in the socket's receive buffer (SO_RXQ_OVFL).
pub(crate) fn enable_drop_count(socket: &impl AsFd) -> io::Result<()> {
    setsockopt(socket, sockopt::RxqOvfl, &1)?;
    Ok(())
}

/// One received datagram's length, sender and destination address.
pub(crate) struct Received {
    /// Where in the batch's buffer its bytes are.
    slot: usize,
    pub(crate) len: usize,
    pub(crate) from: SocketAddr,
    pub(crate) to: Option<IpAddr>,
    /// The kernel's count of datagrams dropped on this socket so far, if reported.
    pub(crate) kernel_drops: Option<u32>,
}

/// The length, sender and destination of one received message.
fn received(msg: &RecvMsg<'_, '_, SockaddrStorage>, slot: usize) -> Option<Received> {
    let from = msg.address.as_ref().and_then(to_socket_addr)?;
    let mut to = None;
    let mut kernel_drops = None;
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
                ControlMessageOwned::RxqOvfl(count) => kernel_drops = Some(count),
                _ => {}
            }
        }
    }
    Some(Received {
        slot,
        len: msg.bytes,
        from,
        to,
        kernel_drops,
    })
}

/// Room for a whole datagram of any size.
const SLOT: usize = 65536;
/// Datagrams one `recvmmsg` call can take.
pub(crate) const BATCH: usize = 16;

/// Buffers for receiving up to [`BATCH`] datagrams in one system call.
///
/// The buffer is allocated zeroed and untouched, so only the pages datagrams are written
/// to become resident.
pub(crate) struct RecvBatch {
    buf: Box<[u8]>,
    got: Vec<Received>,
}

/// Runs `f` with this thread's receive batch: every socket read on a thread shares one
/// (a socket is read by one thread at a time, and a read never reads another socket),
/// where each read task held one of its own, 1 MiB of address space and a resident page
/// per socket. Should `f` be re-entered, the inner call gets a batch of its own.
pub(crate) fn with_batch<R>(f: impl FnOnce(&mut RecvBatch) -> R) -> R {
    thread_local! {
        static BATCH: std::cell::RefCell<Option<RecvBatch>> = const { std::cell::RefCell::new(None) };
    }
    BATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => f(slot.get_or_insert_with(RecvBatch::new)),
        Err(_) => f(&mut RecvBatch::new()),
    })
}

impl RecvBatch {
    pub(crate) fn new() -> Self {
        RecvBatch {
            buf: vec![0u8; BATCH * SLOT].into_boxed_slice(),
            got: Vec::with_capacity(BATCH),
        }
    }

    /// Receives what is queued, up to [`BATCH`] datagrams, without blocking, and returns
    /// how many the kernel gave (`WouldBlock` for none). Fewer than [`BATCH`] means the queue was
    /// empty when the call returned.
    pub(crate) fn recv(&mut self, socket: &impl AsRawFd) -> io::Result<usize> {
        self.got.clear();
        // The headers hold raw pointers, which would make the read task !Send if kept;
        // and nix's `recvmmsg` does not reset the lengths the kernel shortens in them
        // (sender address, control messages), so headers used once would truncate the
        // next sender's address or IPV6_PKTINFO. A few small allocations, made per call.
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(
            BATCH,
            Some(nix::cmsg_space!(
                nix::libc::in6_pktinfo,
                nix::libc::in_pktinfo,
                u32
            )),
        );
        // One slot of the buffer per message, without allocating.
        let mut slots = self.buf.chunks_exact_mut(SLOT);
        let mut iovs: [[IoSliceMut<'_>; 1]; BATCH] =
            std::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or_default())]);
        let results = recvmmsg(
            socket.as_raw_fd(),
            &mut headers,
            iovs.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )?;
        let mut n = 0;
        for (slot, msg) in results.enumerate() {
            n += 1;
            // A datagram without an IP sender cannot happen on a UDP socket; should one
            // come, it is skipped rather than losing the rest of the batch.
            if let Some(got) = received(&msg, slot) {
                self.got.push(got);
            }
        }
        Ok(n)
    }

    /// The datagrams of the last [`recv`](RecvBatch::recv): bytes, sender, destination.
    pub(crate) fn datagrams(&self) -> impl Iterator<Item = (&[u8], &Received)> {
        self.got.iter().map(|r| {
            let start = r.slot * SLOT;
            (&self.buf[start..start + r.len.min(SLOT)], r)
        })
    }
}

fn to_socket_addr(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    if let Some(v6) = addr.as_sockaddr_in6() {
        return Some(SocketAddr::from(*v6));
    }
    // Anything else (an unnamed sender) cannot happen for UDP over IP.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_full_then_short_then_empty() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        enable_pktinfo(&rx, false).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let n = BATCH + 4;
        for i in 0..n {
            tx.send_to(&vec![i as u8; i + 1], rx.local_addr().unwrap())
                .unwrap();
        }
        // Loopback delivers synchronously; wait (bounded) until the last one is queued.
        rx.set_nonblocking(true).unwrap();
        let mut batch = RecvBatch::new();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.len() < n && std::time::Instant::now() < deadline {
            match batch.recv(&rx) {
                Ok(got) => {
                    assert!(got <= BATCH);
                    for (data, r) in batch.datagrams() {
                        assert_eq!(r.from, tx.local_addr().unwrap());
                        assert_eq!(r.to, Some(IpAddr::from([127, 0, 0, 1])));
                        seen.push(data.to_vec());
                    }
                }
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
            }
        }
        let expected: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; i + 1]).collect();
        assert_eq!(seen, expected);
        assert_eq!(
            batch.recv(&rx).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }
}
