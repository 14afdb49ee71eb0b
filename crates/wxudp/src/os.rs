//! The I/O layer of an engine: opening and configuring the OS socket, sending,
//! connecting, the bounded flush of `close()`, and resolving host names. No rule of the
//! contract lives here; [`state`](crate::state) decides, this module does.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::runtime::Handle;

use crate::error::{Error, Method};
use crate::options::SocketType;
use crate::sys;

/// Receive buffer asked of the kernel (it caps it at `net.core.rmem_max`).
const RECV_BUFFER: usize = 4 << 20;
/// The longest single wait of `close()`'s flush, so that an abort is seen promptly.
const FLUSH_SLICE: Duration = Duration::from_millis(10);

/// An open OS socket, registered with the runtime's reactor for reading only, and only
/// once its read task first runs ([`Io::reader`]).
///
/// Not for writing: a socket registered for writability (as `tokio::net::UdpSocket`
/// registers every socket) makes the kernel wake the reactor's thread each time a
/// datagram sent leaves the send buffer, one thread switch per send when sends are made
/// on another thread. Sends are plain syscalls; the outbox waits for room through
/// [`writer`] only while the kernel has none.
///
/// Not at `bind()` either: a registration is memory the reactor frees only at its next
/// turn, so a script that binds and closes thousands of sockets in one turn held
/// thousands of them; a socket closed before its read task ran is never registered.
pub(crate) enum Io {
    /// Bound, not yet registered.
    Plain(std::net::UdpSocket),
    /// Registered for reading.
    Registered(AsyncFd<std::net::UdpSocket>),
}

impl Io {
    /// The socket, for sends and options.
    pub(crate) fn get_ref(&self) -> &std::net::UdpSocket {
        match self {
            Io::Plain(sock) => sock,
            Io::Registered(fd) => fd.get_ref(),
        }
    }
}

/// The socket in `slot` registered for reading, registering it now if it is not yet
/// (on the reactor of `runtime`). `NotConnected` for an empty slot (a closed socket).
pub(crate) fn reader<'a>(
    slot: &'a mut Option<Io>,
    runtime: &Handle,
) -> io::Result<&'a AsyncFd<std::net::UdpSocket>> {
    if let Some(Io::Plain(_)) = slot {
        if let Some(Io::Plain(sock)) = slot.take() {
            let _guard = runtime.enter();
            match register(sock, Interest::READABLE) {
                Ok(fd) => *slot = Some(Io::Registered(fd)),
                Err(e) => {
                    // The reactor refused it: the socket stays as it was.
                    let (sock, cause) = e.into_parts();
                    *slot = Some(Io::Plain(sock));
                    return Err(cause);
                }
            }
        }
    }
    match slot {
        Some(Io::Registered(fd)) => Ok(fd),
        _ => Err(io::Error::from(io::ErrorKind::NotConnected)),
    }
}

/// A second descriptor of `io`'s socket, registered for writability only: the outbox's
/// flush waits on it while the kernel has no room. Dropped (deregistered and closed) as
/// soon as the outbox is done or the socket closes.
pub(crate) fn writer(io: &Io, runtime: &Handle) -> io::Result<AsyncFd<std::net::UdpSocket>> {
    let dup = io.get_ref().try_clone()?;
    let _guard = runtime.enter();
    register(dup, Interest::WRITABLE).map_err(|e| e.into_parts().1)
}

/// Registers `socket` with the current runtime's reactor for `interest`.
fn register(
    socket: std::net::UdpSocket,
    interest: Interest,
) -> Result<AsyncFd<std::net::UdpSocket>, tokio::io::unix::AsyncFdRegisterError<std::net::UdpSocket>>
{
    // SAFETY: the descriptor must stay open, and be the one `as_raw_fd` returns, for as
    // long as the `AsyncFd` lives. A `std::net::UdpSocket` owns its descriptor and
    // returns that same one from `as_raw_fd` until it is dropped, which the `AsyncFd`
    // does after deregistering it; this crate never takes the socket out (`into_inner`)
    // nor replaces it (`get_mut`). Covered by every socket test (the reader) and by
    // `tests/limits.rs`'s slow-link test (the writer), in debug and release builds.
    #[allow(unsafe_code)]
    unsafe {
        AsyncFd::register_with_interest(socket, interest)
    }
}

/// A bound OS socket (registered with the runtime's reactor when it is first read).
pub(crate) struct Opened {
    pub(crate) io: Io,
    pub(crate) local: SocketAddr,
    /// Applying the TTL remembered from before the bind failed (reported, not fatal).
    pub(crate) ttl_error: Option<io::Error>,
}

/// Creates, configures and binds an OS socket of type `ty` at `addr`: non-blocking,
/// close-on-exec, SO_BROADCAST, dual-stack on udp6, destination addresses
/// reported (PKTINFO) on a wildcard bind, kernel drops counted (SO_RXQ_OVFL), `ttl` applied.
pub(crate) fn open(ty: SocketType, addr: SocketAddr, ttl: Option<u8>) -> io::Result<Opened> {
    let v6 = ty == SocketType::Udp6;
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let sock = Socket::new(
        domain,
        Type::DGRAM.nonblocking().cloexec(),
        Some(Protocol::UDP),
    )?;
    if v6 {
        sock.set_only_v6(false)?;
    }
    // On udp6 too, for IPv4-mapped broadcast addresses.
    sock.set_broadcast(true)?;
    // The address each datagram was sent to is needed only where the bind leaves it
    // open (0.0.0.0, ::); bound to one address, that address is every datagram's
    // destination, and the kernel is spared a control message per datagram.
    if addr.ip().to_canonical().is_unspecified() {
        sys::enable_pktinfo(&sock, v6)?;
    }
    // Counting is a nicety: a kernel without it still receives.
    let _ = sys::enable_drop_count(&sock);
    // A larger buffer absorbs bursts; the kernel caps it, and a refusal is harmless.
    let _ = sock.set_recv_buffer_size(RECV_BUFFER);
    let ttl_error = ttl.and_then(|ttl| apply_ttl(&SockRef::from(&sock), v6, ttl).err());
    sock.bind(&addr.into())?;
    let std_sock: std::net::UdpSocket = sock.into();
    let io = Io::Plain(std_sock);
    let local = io.get_ref().local_addr()?;
    Ok(Opened {
        io,
        local,
        ttl_error,
    })
}

/// Sets IP_TTL (udp4) or IPV6_UNICAST_HOPS (udp6, and IP_TTL for its IPv4 peers).
pub(crate) fn apply_ttl(sock: &SockRef<'_>, v6: bool, ttl: u8) -> io::Result<()> {
    if v6 {
        sock.set_unicast_hops_v6(u32::from(ttl))?;
        // IPv4 peers of a dual-stack socket use IP_TTL; Linux accepts it on AF_INET6.
        let _ = sock.set_ttl_v4(u32::from(ttl));
        Ok(())
    } else {
        sock.set_ttl_v4(u32::from(ttl))
    }
}

/// The TTL the OS applies to the socket's unicast datagrams.
pub(crate) fn ttl(io: &Io, ty: SocketType) -> Option<u32> {
    let sock = SockRef::from(io.get_ref());
    match ty {
        SocketType::Udp4 => sock.ttl_v4().ok(),
        SocketType::Udp6 => sock.unicast_hops_v6().ok(),
    }
}

/// Sends without blocking; over the connected path when `addr` is the connected peer.
///
/// This is the plain syscall on the non-blocking descriptor (the reactor does not watch
/// it for writability, see [`Io`]).
pub(crate) fn send_to(
    io: &Io,
    peer: Option<SocketAddr>,
    addr: SocketAddr,
    data: &[u8],
) -> io::Result<()> {
    let sock = SockRef::from(io.get_ref());
    if peer == Some(addr) {
        sock.send(data)?;
    } else {
        sock.send_to(data, &addr.into())?;
    }
    Ok(())
}

/// Connects the socket to `addr`, first clearing any error the kernel still holds for
/// it (an ICMP error from the previous peer would otherwise fail the next send).
pub(crate) fn connect(io: &Io, addr: SocketAddr) -> io::Result<()> {
    let sock = SockRef::from(io.get_ref());
    let _stale = sock.take_error();
    sock.connect(&addr.into())
}

/// What the flush of `close()` achieved so far.
#[derive(Debug, Default)]
pub(crate) struct Flushed {
    /// Datagrams the kernel took.
    pub(crate) sent: u64,
    /// OS errors of datagrams the kernel refused.
    pub(crate) errors: Vec<Error>,
}

/// Hands the datagrams at the front of `datagrams` to the kernel in order, waiting for
/// room until `deadline` (or until `aborted` says to stop); what the kernel had no room
/// for by then stays in `datagrams`. Each datagram the kernel takes is shown to
/// `on_sent` and counted in `out`, each it refuses is an error in `out`. A deadline
/// already past never waits: the kernel takes what it has room for now.
pub(crate) fn flush(
    io: &Io,
    peer: Option<SocketAddr>,
    datagrams: &mut VecDeque<(Method, SocketAddr, Vec<u8>)>,
    deadline: Instant,
    aborted: &dyn Fn() -> bool,
    on_sent: &dyn Fn(SocketAddr, &[u8]),
    out: &mut Flushed,
) {
    while let Some((method, addr, data)) = datagrams.front() {
        match send_to(io, peer, *addr, data) {
            Ok(()) => {
                out.sent += 1;
                on_sent(*addr, data);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || aborted() {
                    return;
                }
                // An error here (say, EINTR) just means: try again.
                let _ = sys::wait_writable(io.get_ref(), left.min(FLUSH_SLICE));
                continue;
            }
            Err(e) => out.errors.push(Error::os(*method, e)),
        }
        datagrams.pop_front();
    }
}

/// Resolves a host name on tokio's blocking pool, picking an address the socket can
/// reach: IPv4 for udp4; IPv6 first, then IPv4 (mapped) for udp6.
///
/// # Cancel safety
/// Cancel safe: dropped, the future stops waiting and the lookup's answer, which the
/// blocking pool still computes, is discarded. Nothing else changes.
pub(crate) async fn resolve(
    ty: SocketType,
    method: Method,
    host: &str,
    port: u16,
) -> Result<SocketAddr, Error> {
    let invalid = |reason: String| Error::InvalidAddress { method, reason };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| invalid(format!("cannot resolve {host}: {e}")))?
        .collect();
    let pick = match ty {
        SocketType::Udp4 => addrs.iter().find(|a| a.is_ipv4()).copied(),
        SocketType::Udp6 => addrs
            .iter()
            .find(|a| a.is_ipv6())
            .or_else(|| addrs.first())
            .map(|a| match a.ip() {
                IpAddr::V4(v4) => SocketAddr::new(v4.to_ipv6_mapped().into(), port),
                IpAddr::V6(_) => *a,
            }),
    };
    pick.ok_or_else(|| invalid(format!("{host} has no address for a {} socket", ty.name())))
}
