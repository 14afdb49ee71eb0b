//! What the standard library, socket2 and tokio do not offer: receiving datagrams in
//! batches together with the address each was sent to (through quinn-udp, on every OS),
//! the few socket options that only have a number, Windows' `SIO_UDP_CONNRESET`, and on
//! Linux the kernel's count of datagrams it dropped.
//!
//! The only `unsafe` of the crate's socket layer is here: `getsockopt`/`setsockopt` of
//! one integer, `WSAIoctl` of one flag, and `getsockopt(SO_MEMINFO)`, each a system call
//! given pointers to locals that outlive it.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};

use quinn_udp::{RecvMeta, UdpSockRef, UdpSocketState};
use socket2::Socket;

/// Room for a whole datagram of any size (also for a GRO batch of one sender's, which
/// the kernel keeps under 64 KiB).
const SLOT: usize = 65536;
/// Datagrams we would like one system call to take.
const WANTED: usize = 16;
/// Messages one receive call takes: 16 with `recvmmsg` (Linux), 1 where quinn-udp reads
/// one message per call (`recvmsg` on macOS, `WSARecvMsg` on Windows).
pub(crate) const BATCH: usize = if quinn_udp::BATCH_SIZE < WANTED {
    quinn_udp::BATCH_SIZE
} else {
    WANTED
};

/// One received datagram's place in the batch's buffer, sender and destination address.
#[derive(Debug)]
pub(crate) struct Received {
    start: usize,
    pub(crate) len: usize,
    pub(crate) from: SocketAddr,
    pub(crate) to: Option<IpAddr>,
}

/// Buffers for receiving up to [`BATCH`] messages in one system call.
///
/// The buffer is allocated zeroed and untouched, so only the pages datagrams are written
/// to become resident.
pub(crate) struct RecvBatch {
    buf: Box<[u8]>,
    meta: [RecvMeta; BATCH],
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
            meta: [RecvMeta::default(); BATCH],
            got: Vec::with_capacity(BATCH),
        }
    }

    /// Receives what is queued, up to [`BATCH`] messages, without blocking, and returns
    /// how many messages the kernel gave (`WouldBlock` for none). Fewer than [`BATCH`]
    /// means the queue was empty when the call returned.
    pub(crate) fn recv(
        &mut self,
        state: &UdpSocketState,
        socket: UdpSockRef<'_>,
    ) -> io::Result<usize> {
        self.got.clear();
        // One slot of the buffer per message, without allocating.
        let mut slots = self.buf.chunks_exact_mut(SLOT);
        let mut bufs: [IoSliceMut<'_>; BATCH] =
            std::array::from_fn(|_| IoSliceMut::new(slots.next().unwrap_or_default()));
        let n = state.recv(socket, &mut bufs, &mut self.meta)?;
        for (slot, meta) in self.meta.iter().take(n).enumerate() {
            let len = meta.len.min(SLOT);
            // With receive offload (GRO on Linux, URO on Windows) one message holds
            // several datagrams of one sender, each `stride` bytes but the last.
            let stride = if meta.stride == 0 { len } else { meta.stride };
            let mut offset = 0;
            loop {
                let size = stride.min(len - offset);
                self.got.push(Received {
                    start: slot * SLOT + offset,
                    len: size,
                    from: meta.addr,
                    to: meta.dst_ip,
                });
                offset += size;
                if offset >= len {
                    break;
                }
            }
        }
        Ok(n)
    }

    /// The datagrams of the last [`recv`](RecvBatch::recv): bytes, sender, destination.
    pub(crate) fn datagrams(&self) -> impl Iterator<Item = (&[u8], &Received)> {
        self.got
            .iter()
            .map(|r| (&self.buf[r.start..r.start + r.len], r))
    }
}

/// The options quinn-udp's `UdpSocketState::new` turns on for QUIC, which a WeChat
/// socket must not have: "don't fragment" (a datagram larger than the path's MTU would
/// fail with EMSGSIZE instead of being fragmented), the TOS/ECN control messages (a cost
/// per datagram for nothing we report), and the destination-address ones where the
/// bind already says the destination (`pktinfo`: restored only then).
struct QuinnOption {
    level: i32,
    name: i32,
    pktinfo: bool,
}

const fn opt(level: i32, name: i32, pktinfo: bool) -> QuinnOption {
    QuinnOption {
        level,
        name,
        pktinfo,
    }
}

/// What quinn-udp 0.5.16 sets on Linux (`unix.rs`, `UdpSocketState::new`); UDP_GRO
/// stays on (its batches are split by `stride`).
#[cfg(any(target_os = "linux", target_os = "android"))]
const QUINN_OPTIONS: &[QuinnOption] = &[
    opt(libc::IPPROTO_IP, libc::IP_RECVTOS, false),
    opt(libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, false),
    opt(libc::IPPROTO_IP, libc::IP_PKTINFO, true),
    opt(libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER, false),
    opt(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, true),
    opt(libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS, false),
    opt(libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, false),
];

/// What quinn-udp 0.5.16 sets on macOS, iOS and FreeBSD.
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
const QUINN_OPTIONS: &[QuinnOption] = &[
    opt(libc::IPPROTO_IP, libc::IP_RECVTOS, false),
    opt(libc::IPPROTO_IP, libc::IP_DONTFRAG, false),
    opt(libc::IPPROTO_IP, libc::IP_RECVDSTADDR, true),
    opt(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, true),
    opt(libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS, false),
    opt(libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, false),
];

/// What quinn-udp 0.5.16 sets on Windows (`windows.rs`); receive coalescing (URO) it
/// leaves off.
#[cfg(windows)]
const QUINN_OPTIONS: &[QuinnOption] = {
    use windows_sys::Win32::Networking::WinSock as ws;
    &[
        opt(ws::IPPROTO_IP, ws::IP_DONTFRAGMENT, false),
        opt(ws::IPPROTO_IP, ws::IP_PKTINFO, true),
        opt(ws::IPPROTO_IP, ws::IP_RECVECN, false),
        opt(ws::IPPROTO_IPV6, ws::IPV6_DONTFRAG, false),
        opt(ws::IPPROTO_IPV6, ws::IPV6_PKTINFO, true),
        opt(ws::IPPROTO_IPV6, ws::IPV6_RECVECN, false),
    ]
};

/// Elsewhere quinn-udp's choices stay.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    windows
)))]
const QUINN_OPTIONS: &[QuinnOption] = &[];

/// quinn-udp's state for `socket` (made non-blocking), with the socket's options as they
/// were before it, but for the destination-address options when `destinations` asks
/// for each datagram's destination address: those stay on.
pub(crate) fn udp_state(socket: &Socket, destinations: bool) -> io::Result<UdpSocketState> {
    // An option the socket does not have (an IPv6 one on udp4, one the kernel lacks)
    // cannot be read, and is left as quinn-udp leaves it.
    let saved: Vec<(&QuinnOption, i32)> = QUINN_OPTIONS
        .iter()
        .filter(|o| !(o.pktinfo && destinations))
        .filter_map(|o| get_int(socket, o.level, o.name).ok().map(|v| (o, v)))
        .collect();
    let state = UdpSocketState::new(socket.into())?;
    for (o, value) in saved {
        set_int(socket, o.level, o.name, value)?;
    }
    Ok(state)
}

/// Reads an integer socket option.
#[cfg(unix)]
fn get_int(socket: &Socket, level: i32, name: i32) -> io::Result<i32> {
    use std::os::fd::AsRawFd;
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are locals that outlive the call; `len` tells the kernel
    // how many bytes `value` has room for, and it writes no more. The descriptor is
    // open for as long as `socket` is borrowed. Covered by `sys::tests`.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&raw mut value).cast(),
            &mut len,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

/// Sets an integer socket option.
#[cfg(unix)]
fn set_int(socket: &Socket, level: i32, name: i32, value: i32) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let value: libc::c_int = value;
    // SAFETY: `value` is a local that outlives the call, and the length given is its
    // size; the kernel only reads it. The descriptor is open for as long as `socket` is
    // borrowed. Covered by `sys::tests`.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&raw const value).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads an integer socket option (a DWORD).
#[cfg(windows)]
fn get_int(socket: &Socket, level: i32, name: i32) -> io::Result<i32> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock;
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: `value` and `len` are locals that outlive the call; `len` tells Winsock
    // how many bytes `value` has room for, and it writes no more. The socket is open
    // for as long as `socket` is borrowed.
    #[allow(unsafe_code)]
    let rc = unsafe {
        WinSock::getsockopt(
            socket.as_raw_socket() as WinSock::SOCKET,
            level,
            name,
            (&raw mut value).cast(),
            &mut len,
        )
    };
    if rc == WinSock::SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

/// Sets an integer socket option (a DWORD).
#[cfg(windows)]
fn set_int(socket: &Socket, level: i32, name: i32, value: i32) -> io::Result<()> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock;
    // SAFETY: `value` is a local that outlives the call, and the length given is its
    // size; Winsock only reads it. The socket is open for as long as `socket` is
    // borrowed.
    #[allow(unsafe_code)]
    let rc = unsafe {
        WinSock::setsockopt(
            socket.as_raw_socket() as WinSock::SOCKET,
            level,
            name,
            (&raw const value).cast(),
            std::mem::size_of::<i32>() as i32,
        )
    };
    if rc == WinSock::SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Windows: stops an ICMP port-unreachable (an earlier datagram's peer had no socket)
/// from failing the socket's next receive with WSAECONNRESET. Other systems report it
/// only on a connected socket, as the contract does.
#[cfg(windows)]
pub(crate) fn ignore_port_unreachable(socket: &Socket) -> io::Result<()> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock;
    let enable: windows_sys::core::BOOL = 0;
    let mut returned: u32 = 0;
    // SAFETY: the input is `enable`, a local BOOL that outlives the call, with its
    // size; there is no output buffer (null, length 0); `returned` is a local the call
    // writes a u32 to. No OVERLAPPED and no completion routine: the call is synchronous.
    // The socket is open for as long as `socket` is borrowed.
    #[allow(unsafe_code)]
    let rc = unsafe {
        WinSock::WSAIoctl(
            socket.as_raw_socket() as WinSock::SOCKET,
            WinSock::SIO_UDP_CONNRESET,
            (&raw const enable).cast(),
            std::mem::size_of::<windows_sys::core::BOOL>() as u32,
            std::ptr::null_mut(),
            0,
            &mut returned,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc == WinSock::SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Linux: how many datagrams the kernel has dropped on this socket so far (for lack of
/// room in its receive buffer, mostly): `SK_MEMINFO_DROPS` of `SO_MEMINFO`, the counter
/// SO_RXQ_OVFL would report with each datagram, read only when asked.
#[cfg(wxudp_linux)]
pub(crate) fn kernel_drops(socket: &Socket) -> io::Result<u32> {
    use std::os::fd::AsRawFd;
    /// `SO_MEMINFO` of the kernel's include/uapi/asm-generic/socket.h, and sparc's own
    /// (libc exports no name for it here).
    #[cfg(not(any(target_arch = "sparc", target_arch = "sparc64")))]
    const SO_MEMINFO: libc::c_int = 55;
    #[cfg(any(target_arch = "sparc", target_arch = "sparc64"))]
    const SO_MEMINFO: libc::c_int = 0x0039;
    let mut info = [0u32; 9];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` and `len` are locals that outlive the call; `len` tells the kernel
    // how many bytes `info` has room for (SK_MEMINFO_VARS u32s), and it writes no more
    // (an older kernel with fewer counters writes fewer, and says so in `len`). The
    // descriptor is open for as long as `socket` is borrowed. Covered by `sys::tests`.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    let drops = libc::SK_MEMINFO_DROPS as usize;
    if (len as usize) < (drops + 1) * std::mem::size_of::<u32>() {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    Ok(info[drops])
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Protocol, Type};
    use std::time::Duration;

    fn udp(domain: Domain) -> Socket {
        Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).unwrap()
    }

    #[test]
    fn batches_are_full_then_short_then_empty() {
        let rx = udp(Domain::IPV4);
        let state = udp_state(&rx, true).unwrap();
        rx.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let rx: std::net::UdpSocket = rx.into();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let n = BATCH + 4;
        for i in 0..n {
            tx.send_to(&vec![i as u8; i + 1], rx.local_addr().unwrap())
                .unwrap();
        }
        let mut batch = RecvBatch::new();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.len() < n && std::time::Instant::now() < deadline {
            match batch.recv(&state, (&rx).into()) {
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
            batch.recv(&state, (&rx).into()).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }

    #[test]
    fn empty_datagrams_are_datagrams() {
        let rx = udp(Domain::IPV6);
        rx.set_only_v6(false).unwrap();
        let state = udp_state(&rx, true).unwrap();
        rx.bind(&SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)).into())
            .unwrap();
        let rx: std::net::UdpSocket = rx.into();
        let port = rx.local_addr().unwrap().port();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(&[], ("127.0.0.1", port)).unwrap();
        tx.send_to(b"x", ("127.0.0.1", port)).unwrap();
        let mut batch = RecvBatch::new();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.len() < 2 && std::time::Instant::now() < deadline {
            let Ok(_) = batch.recv(&state, (&rx).into()) else {
                continue;
            };
            for (data, r) in batch.datagrams() {
                // udp6 sees IPv4 peers and destinations as IPv4-mapped addresses.
                assert_eq!(r.to, Some("::ffff:127.0.0.1".parse().unwrap()));
                assert_eq!(r.from.port(), tx.local_addr().unwrap().port());
                seen.push(data.to_vec());
            }
        }
        assert_eq!(seen, [vec![], b"x".to_vec()]);
    }

    /// A sender's GSO batch (UDP_SEGMENT) reaches a GRO socket on loopback as one
    /// message with a stride: it comes out as the datagrams it was sent as.
    #[cfg(target_os = "linux")]
    #[test]
    fn offloaded_batches_are_split_into_their_datagrams() {
        let rx = udp(Domain::IPV4);
        let state = udp_state(&rx, false).unwrap();
        rx.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let rx: std::net::UdpSocket = rx.into();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx_state = UdpSocketState::new((&tx).into()).unwrap();
        let contents: Vec<u8> = (0..250u32).map(|i| (i / 100) as u8).collect();
        let segment_size = (tx_state.max_gso_segments() > 1).then_some(100);
        let mut expected = Vec::new();
        if segment_size.is_some() {
            let transmit = quinn_udp::Transmit {
                destination: rx.local_addr().unwrap(),
                ecn: None,
                contents: &contents,
                segment_size,
                src_ip: None,
            };
            tx_state.try_send((&tx).into(), &transmit).unwrap();
            expected.extend(contents.chunks(100).map(<[u8]>::to_vec));
        }
        // And a datagram of its own after it.
        tx.send_to(b"last", rx.local_addr().unwrap()).unwrap();
        expected.push(b"last".to_vec());
        let mut batch = RecvBatch::new();
        let mut seen = Vec::new();
        // Bounded, in case the kernel delivers later than the send returns.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.len() < expected.len() && std::time::Instant::now() < deadline {
            if batch.recv(&state, (&rx).into()).is_ok() {
                seen.extend(batch.datagrams().map(|(data, r)| {
                    assert_eq!(r.from, tx.local_addr().unwrap());
                    data.to_vec()
                }));
            }
        }
        assert_eq!(seen, expected);
    }

    /// quinn-udp's QUIC options are gone again: fragmentation as the OS does by
    /// default, no TOS control messages, and the destination address only where asked.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn quinn_options_are_restored() {
        for domain in [Domain::IPV4, Domain::IPV6] {
            let fresh = udp(domain);
            for destinations in [false, true] {
                let sock = udp(domain);
                let _state = udp_state(&sock, destinations).unwrap();
                for o in QUINN_OPTIONS {
                    let Ok(before) = get_int(&fresh, o.level, o.name) else {
                        continue;
                    };
                    if !(o.pktinfo && destinations) {
                        let now = get_int(&sock, o.level, o.name).unwrap();
                        assert_eq!(now, before, "{domain:?} {} {}", o.level, o.name);
                    }
                }
                let pktinfo = if domain == Domain::IPV4 {
                    get_int(&sock, libc::IPPROTO_IP, libc::IP_PKTINFO)
                } else {
                    get_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
                };
                assert_eq!(pktinfo.unwrap(), i32::from(destinations), "{domain:?}");
            }
            // The IPv4 MTU discovery of a fresh socket is not quinn-udp's "probe" (3).
            assert_ne!(
                get_int(&fresh, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER).unwrap(),
                libc::IP_PMTUDISC_PROBE
            );
        }
    }

    #[cfg(wxudp_linux)]
    #[test]
    fn kernel_drops_count_what_the_buffer_had_no_room_for() {
        let rx = udp(Domain::IPV4);
        // The smallest buffer the kernel allows: a few datagrams of 1000 bytes.
        rx.set_recv_buffer_size(1).unwrap();
        rx.set_nonblocking(true).unwrap();
        rx.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        assert_eq!(kernel_drops(&rx).unwrap(), 0);
        let rx: std::net::UdpSocket = rx.into();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let sent = 200u32;
        for _ in 0..sent {
            tx.send_to(&[1; 1000], rx.local_addr().unwrap()).unwrap();
        }
        // Every datagram is either queued (and read here) or dropped; bounded, in case
        // the kernel delivers later than the sends return.
        let mut queued = 0u32;
        let mut buf = [0u8; 2000];
        let mut drops = 0;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while queued + drops < sent && std::time::Instant::now() < deadline {
            while rx.recv(&mut buf).is_ok() {
                queued += 1;
            }
            drops = kernel_drops(&socket2::SockRef::from(&rx)).unwrap();
        }
        assert!(drops > 0, "{queued} queued");
        assert_eq!(queued + drops, sent);
    }
}
