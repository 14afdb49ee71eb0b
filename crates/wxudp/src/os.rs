//! The I/O layer of an engine: opening and configuring the OS socket, sending,
//! connecting, the bounded flush of `close()`, and resolving host names. No rule of the
//! contract lives here; [`state`](crate::state) decides, this module does.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use quinn_udp::UdpSocketState;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::runtime::Handle;

use crate::error::{Error, Method};
use crate::options::SocketType;
use crate::sys::{self, RecvBatch};

/// Receive buffer asked of the kernel (it caps it at `net.core.rmem_max`).
const RECV_BUFFER: usize = 4 << 20;
/// The longest single wait of `close()`'s flush, so that an abort is seen promptly.
const FLUSH_SLICE: Duration = Duration::from_millis(10);

/// An open OS socket, registered with the runtime's reactor only once its read task
/// first runs ([`poll_read`]), and quinn-udp's state for it (its receive path).
///
/// Not at `bind()`: a registration is memory the reactor frees only at its next turn,
/// so a script that binds and closes thousands of sockets in one turn held thousands of
/// them; a socket closed before its read task ran is never registered.
///
/// Sends are plain syscalls on the non-blocking socket, whatever its registration; the
/// outbox waits for room through [`poll_send`] only while the kernel has none.
pub(crate) struct Io {
    sock: Sock,
    quinn: UdpSocketState,
}

enum Sock {
    /// Bound, not yet registered.
    Plain(std::net::UdpSocket),
    /// Registered with the reactor.
    Registered(Registered),
}

/// Linux: the socket registered for reading only. A socket registered for writability
/// too (as `tokio::net::UdpSocket` registers every socket) makes the kernel wake the
/// reactor's thread each time a datagram sent leaves the send buffer: one thread switch
/// per send when sends are made on another thread (the Rust API's, the Node addon's).
/// The outbox's flush registers a second descriptor for writability while it waits
/// ([`Writer`]).
#[cfg(wxudp_linux)]
type Registered = tokio::io::unix::AsyncFd<std::net::UdpSocket>;
/// macOS, Windows (and Linux with the `portable` feature): tokio's own UDP socket,
/// registered for reading and writing.
#[cfg(not(wxudp_linux))]
type Registered = tokio::net::UdpSocket;

impl Io {
    /// The socket, for sends and options.
    pub(crate) fn sock(&self) -> SockRef<'_> {
        match &self.sock {
            Sock::Plain(sock) => SockRef::from(sock),
            #[cfg(wxudp_linux)]
            Sock::Registered(fd) => SockRef::from(fd.get_ref()),
            #[cfg(not(wxudp_linux))]
            Sock::Registered(sock) => SockRef::from(sock),
        }
    }

    /// The address the socket is bound to.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock()
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::from(io::ErrorKind::Unsupported))
    }

    /// How many datagrams the kernel dropped on this socket so far, where it says (Linux).
    pub(crate) fn kernel_drops(&self) -> Option<u32> {
        #[cfg(wxudp_linux)]
        return sys::kernel_drops(&self.sock()).ok();
        #[cfg(not(wxudp_linux))]
        None
    }
}

/// Registers `sock` with the current runtime's reactor; on failure the socket comes back.
#[cfg(wxudp_linux)]
fn register(sock: std::net::UdpSocket) -> Result<Registered, (std::net::UdpSocket, io::Error)> {
    register_fd(sock, tokio::io::Interest::READABLE).map_err(|e| e.into_parts())
}

/// Registers `sock` with the current runtime's reactor; on failure the socket comes back.
#[cfg(not(wxudp_linux))]
fn register(sock: std::net::UdpSocket) -> Result<Registered, (std::net::UdpSocket, io::Error)> {
    // tokio closes a socket it could not register: it gets a second descriptor.
    let dup = match sock.try_clone() {
        Ok(dup) => dup,
        Err(e) => return Err((sock, e)),
    };
    tokio::net::UdpSocket::from_std(dup).map_err(|e| (sock, e))
}

/// Registers `socket` with the current runtime's reactor for `interest`.
#[cfg(wxudp_linux)]
fn register_fd(
    socket: std::net::UdpSocket,
    interest: tokio::io::Interest,
) -> Result<
    tokio::io::unix::AsyncFd<std::net::UdpSocket>,
    tokio::io::unix::AsyncFdRegisterError<std::net::UdpSocket>,
> {
    // SAFETY: the descriptor must stay open, and be the one `as_raw_fd` returns, for as
    // long as the `AsyncFd` lives. A `std::net::UdpSocket` owns its descriptor and
    // returns that same one from `as_raw_fd` until it is dropped, which the `AsyncFd`
    // does after deregistering it; this crate never takes the socket out (`into_inner`)
    // nor replaces it (`get_mut`). Covered by every socket test (the reader) and by
    // `tests/limits.rs`'s slow-link test (the writer), in debug and release builds.
    #[allow(unsafe_code)]
    unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(socket, interest)
    }
}

/// The socket in `slot` registered with the reactor, registering it now if it is not
/// yet (on the reactor of `runtime`). `NotConnected` for an empty slot (a closed socket).
fn registered<'a>(slot: &'a mut Option<Io>, runtime: &Handle) -> io::Result<&'a Io> {
    if matches!(
        slot,
        Some(Io {
            sock: Sock::Plain(_),
            ..
        })
    ) {
        if let Some(Io {
            sock: Sock::Plain(sock),
            quinn,
        }) = slot.take()
        {
            let _guard = runtime.enter();
            match register(sock) {
                Ok(reg) => {
                    *slot = Some(Io {
                        sock: Sock::Registered(reg),
                        quinn,
                    });
                }
                Err((sock, cause)) => {
                    // The reactor refused it: the socket stays as it was.
                    *slot = Some(Io {
                        sock: Sock::Plain(sock),
                        quinn,
                    });
                    return Err(cause);
                }
            }
        }
    }
    match slot {
        Some(
            io @ Io {
                sock: Sock::Registered(_),
                ..
            },
        ) => Ok(io),
        _ => Err(io::Error::from(io::ErrorKind::NotConnected)),
    }
}

/// What a read of the socket gave.
pub(crate) enum Read {
    /// `batch` holds the datagrams read.
    Datagrams,
    /// Nothing was queued after all.
    Nothing,
    /// The read failed: an error the kernel reports on the receive path (an ICMP error
    /// on a connected socket), after which reading goes on.
    Failed(io::Error),
}

/// Waits until the socket in `slot` is readable (registering it first if it is not yet),
/// then reads one batch into `batch`. `Ready(Err)` when the wait itself failed (the
/// reactor is gone, the socket closed): reading ends.
pub(crate) fn poll_read(
    slot: &mut Option<Io>,
    runtime: &Handle,
    cx: &mut Context<'_>,
    batch: &mut RecvBatch,
) -> Poll<io::Result<Read>> {
    let io = match registered(slot, runtime) {
        Ok(io) => io,
        Err(e) => return Poll::Ready(Err(e)),
    };
    let Sock::Registered(reg) = &io.sock else {
        return Poll::Ready(Err(io::Error::from(io::ErrorKind::NotConnected)));
    };
    read_registered(reg, &io.quinn, cx, batch)
}

#[cfg(wxudp_linux)]
fn read_registered(
    fd: &Registered,
    quinn: &UdpSocketState,
    cx: &mut Context<'_>,
    batch: &mut RecvBatch,
) -> Poll<io::Result<Read>> {
    let mut guard = match fd.poll_read_ready(cx) {
        Poll::Pending => return Poll::Pending,
        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
        Poll::Ready(Ok(guard)) => guard,
    };
    Poll::Ready(Ok(
        match guard.try_io(|fd| batch.recv(quinn, fd.get_ref().into())) {
            Ok(Ok(n)) => {
                if n < sys::BATCH {
                    // A short batch means the queue was empty: forget the readiness
                    // now instead of asking the kernel once more to hear "would block".
                    // Later datagrams raise a new readiness.
                    guard.clear_ready();
                }
                Read::Datagrams
            }
            Ok(Err(e)) => Read::Failed(e),
            // Would block: `try_io` forgot the readiness.
            Err(_) => Read::Nothing,
        },
    ))
}

#[cfg(not(wxudp_linux))]
fn read_registered(
    sock: &Registered,
    quinn: &UdpSocketState,
    cx: &mut Context<'_>,
    batch: &mut RecvBatch,
) -> Poll<io::Result<Read>> {
    match sock.poll_recv_ready(cx) {
        Poll::Pending => return Poll::Pending,
        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
        Poll::Ready(Ok(())) => {}
    }
    let mut got = None;
    let read = sock.try_io(tokio::io::Interest::READABLE, || {
        let n = batch.recv(quinn, sock.into())?;
        got = Some(n);
        if n < sys::BATCH {
            // A short batch means the queue was empty: "would block" makes tokio
            // forget the readiness now instead of asking the kernel once more. Later
            // datagrams raise a new readiness.
            return Err(io::Error::from(io::ErrorKind::WouldBlock));
        }
        Ok(())
    });
    Poll::Ready(Ok(match (got, read) {
        (Some(_), _) => Read::Datagrams,
        (None, Err(e)) if e.kind() == io::ErrorKind::WouldBlock => Read::Nothing,
        (None, Err(e)) => Read::Failed(e),
        (None, Ok(())) => Read::Nothing,
    }))
}

/// What the outbox's flush waits on for room in the kernel, while it waits.
///
/// Linux: a second descriptor of the socket, registered for writability only, dropped
/// (deregistered and closed) as soon as the outbox is done or the socket closes.
#[cfg(wxudp_linux)]
pub(crate) struct Writer(tokio::io::unix::AsyncFd<std::net::UdpSocket>);

/// Elsewhere: the socket's own registration, which includes writability.
#[cfg(not(wxudp_linux))]
pub(crate) struct Writer(());

/// Makes what the outbox's flush waits on (see [`Writer`]), registering the socket in
/// `slot` if it is not yet.
pub(crate) fn writer(slot: &mut Option<Io>, runtime: &Handle) -> io::Result<Writer> {
    #[cfg(wxudp_linux)]
    {
        let io = slot
            .as_ref()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        let dup: std::net::UdpSocket = io.sock().try_clone()?.into();
        let _guard = runtime.enter();
        register_fd(dup, tokio::io::Interest::WRITABLE)
            .map(Writer)
            .map_err(|e| e.into_parts().1)
    }
    #[cfg(not(wxudp_linux))]
    {
        registered(slot, runtime).map(|_| Writer(()))
    }
}

/// Waits for room in the kernel, then tries `send` (a non-blocking send), until it
/// gives something else than "would block".
pub(crate) fn poll_send(
    io: &Io,
    writer: &Writer,
    cx: &mut Context<'_>,
    mut send: impl FnMut() -> io::Result<()>,
) -> Poll<io::Result<()>> {
    #[cfg(wxudp_linux)]
    {
        let _ = io;
        loop {
            match writer.0.poll_write_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(mut guard)) => {
                    // Would block: the readiness is forgotten, the next poll waits for a
                    // new one.
                    if let Ok(result) = guard.try_io(|_| send()) {
                        return Poll::Ready(result);
                    }
                }
            }
        }
    }
    #[cfg(not(wxudp_linux))]
    {
        let _ = writer;
        let Sock::Registered(sock) = &io.sock else {
            return Poll::Ready(Err(io::Error::from(io::ErrorKind::NotConnected)));
        };
        loop {
            match sock.poll_send_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            // Would block: the readiness is forgotten, the next poll waits for a new one.
            match sock.try_io(tokio::io::Interest::WRITABLE, &mut send) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
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
/// close-on-exec (where the OS has it), SO_BROADCAST, dual-stack on udp6, destination
/// addresses reported (PKTINFO) on a wildcard bind, `ttl` applied; on Windows, an ICMP
/// port-unreachable is not a receive error (SIO_UDP_CONNRESET off).
pub(crate) fn open(ty: SocketType, addr: SocketAddr, ttl: Option<u8>) -> io::Result<Opened> {
    let v6 = ty == SocketType::Udp6;
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let sock = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    // Dual-stack, set on every OS: Linux defaults to it (net.ipv6.bindv6only), Windows
    // and the BSDs do not.
    if v6 {
        sock.set_only_v6(false)?;
    }
    // Every OS wants it to send to a broadcast address; on udp6 too, for IPv4-mapped
    // broadcast addresses.
    sock.set_broadcast(true)?;
    #[cfg(windows)]
    sys::ignore_port_unreachable(&sock)?;
    // The address each datagram was sent to is needed only where the bind leaves it
    // open (0.0.0.0, ::); bound to one address, that address is every datagram's
    // destination, and the kernel is spared a control message per datagram.
    let destinations = addr.ip().to_canonical().is_unspecified();
    // Before the bind, so that the first datagram already says where it was sent; on
    // Windows quinn-udp needs the bound address (an unbound socket has none there).
    #[cfg(not(windows))]
    let quinn = sys::udp_state(&sock, destinations)?;
    // A larger buffer absorbs bursts; the kernel caps it, and a refusal is harmless.
    let _ = sock.set_recv_buffer_size(RECV_BUFFER);
    let ttl_error = ttl.and_then(|ttl| apply_ttl(&SockRef::from(&sock), v6, ttl).err());
    sock.bind(&addr.into())?;
    #[cfg(windows)]
    let quinn = sys::udp_state(&sock, destinations)?;
    // quinn-udp made it non-blocking; said again, as sends rely on it.
    sock.set_nonblocking(true)?;
    let io = Io {
        sock: Sock::Plain(sock.into()),
        quinn,
    };
    let local = io.local_addr()?;
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
    let sock = io.sock();
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
    let sock = io.sock();
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
    let sock = io.sock();
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
                // Room in the kernel, waited for by a send that blocks at most a slice.
                match send_waiting(io, peer, *addr, data, left.min(FLUSH_SLICE)) {
                    Ok(()) => {
                        out.sent += 1;
                        on_sent(*addr, data);
                    }
                    // No room yet (or EINTR): try again.
                    Err(e) if no_room(&e) => continue,
                    Err(e) => out.errors.push(Error::os(*method, e)),
                }
            }
            Err(e) => out.errors.push(Error::os(*method, e)),
        }
        datagrams.pop_front();
    }
}

/// `send_to`, waiting up to `wait` for room in the kernel: the socket is made blocking,
/// with a send timeout, for this one send (close's flush owns the socket then: nothing
/// else uses it). Portable where a poll for writability is not.
fn send_waiting(
    io: &Io,
    peer: Option<SocketAddr>,
    addr: SocketAddr,
    data: &[u8],
    wait: Duration,
) -> io::Result<()> {
    let sock = io.sock();
    // A zero timeout would mean "wait forever".
    sock.set_write_timeout(Some(wait.max(Duration::from_millis(1))))?;
    sock.set_nonblocking(false)?;
    let sent = send_to(io, peer, addr, data);
    // Should this fail, later sends wait at most the timeout each: still bounded.
    let _ = sock.set_nonblocking(true);
    sent
}

/// A send that timed out waiting for room, or was interrupted.
fn no_room(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
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
