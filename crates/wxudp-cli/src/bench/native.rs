//! The Rust subjects of the bench: plain sockets (the floor any implementation pays),
//! and the wxudp Rust API. Each measures the CPU time of the thread that does the work.

use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::os::fd::AsRawFd;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{recvmmsg, setsockopt, sockopt, MsgFlags, MultiHeaders, SockaddrStorage};
use nix::time::{clock_gettime, ClockId};
use wxudp::{SendOptions, SocketType, UdpSocket};

use super::io;

/// The CPU time `clock` has counted.
pub fn cpu_time(clock: ClockId) -> Result<Duration, String> {
    clock_gettime(clock)
        .map(Duration::from)
        .map_err(|e| format!("cannot read a CPU clock: {e}"))
}

/// The CPU clock of this thread.
pub fn this_thread() -> ClockId {
    ClockId::CLOCK_THREAD_CPUTIME_ID
}

/// What a receiving subject reports when a marker comes: the marker's length
/// ([`START`](super::START) or [`END`](super::END)), datagrams counted, and the CPU time of its receiving thread at
/// that moment.
pub type Report = (usize, u64, Duration);

/// A receiver in the background: where to send, and its reports.
pub struct Receiver {
    pub port: u16,
    pub reports: mpsc::Receiver<Report>,
    /// Ends it (a quit datagram) when dropped.
    quit: Option<SocketAddr>,
    keep: Option<UdpSocket>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(to) = self.quit {
            if let Ok(s) = StdUdpSocket::bind("127.0.0.1:0") {
                let _ = s.send_to(&[], to);
            }
        }
        if let Some(sock) = self.keep.take() {
            let _ = sock.close();
        }
    }
}

/// Datagrams one `recvmmsg` of the plain receiver takes.
const BATCH: usize = 16;

/// A plain receiver: a thread reading batches with `recvmmsg` from a non-blocking socket
/// and waiting in epoll when there are none. Datagrams longer than 2 bytes are counted;
/// the markers are answered with a report; an empty one ends it.
pub fn raw_receiver() -> Result<Receiver, String> {
    let sock = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    sock.set_nonblocking(true).map_err(io)?;
    // The receive buffer wxudp asks for, so that both hold as much of a flood.
    setsockopt(&sock, sockopt::RcvBuf, &(4 << 20)).map_err(|e| e.to_string())?;
    let addr = sock.local_addr().map_err(io)?;
    let (tx, reports) = mpsc::channel();
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(|e| e.to_string())?;
    epoll
        .add(&sock, EpollEvent::new(EpollFlags::EPOLLIN, 0))
        .map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        let mut buf = vec![0u8; BATCH * 2048];
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
        let mut count = 0u64;
        let mut events = [EpollEvent::empty()];
        loop {
            let mut chunks = buf.chunks_exact_mut(2048);
            let mut iovs: [[IoSliceMut<'_>; 1]; BATCH] =
                std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())]);
            match recvmmsg(
                sock.as_raw_fd(),
                &mut headers,
                iovs.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(msgs) => {
                    for m in msgs {
                        match m.bytes {
                            0 => return,
                            len @ (1 | 2) => {
                                let cpu = cpu_time(this_thread()).unwrap_or_default();
                                let _ = tx.send((len, count, cpu));
                            }
                            _ => count += 1,
                        }
                    }
                }
                Err(nix::errno::Errno::EAGAIN) => {
                    let _ = epoll.wait(&mut events, EpollTimeout::NONE);
                }
                Err(_) => return,
            }
        }
    });
    Ok(Receiver {
        port: addr.port(),
        reports,
        quit: Some(addr),
        keep: None,
    })
}

/// The Rust API as a receiver: a `message` listener on the driver thread counts.
pub fn rust_receiver() -> Result<Receiver, String> {
    let sock = UdpSocket::new(SocketType::Udp4).map_err(|e| e.to_string())?;
    let (tx, reports) = mpsc::channel();
    let tx = Mutex::new(tx);
    let count = std::sync::atomic::AtomicU64::new(0);
    sock.on_message(move |m| {
        if m.data.len() > 2 {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else if !m.data.is_empty() {
            let cpu = cpu_time(this_thread()).unwrap_or_default();
            let n = count.load(std::sync::atomic::Ordering::Relaxed);
            if let Ok(tx) = tx.lock() {
                let _ = tx.send((m.data.len(), n, cpu));
            }
        }
    });
    let port = sock
        .bind_addr(([127, 0, 0, 1], 0))
        .map_err(|e| e.to_string())?;
    Ok(Receiver {
        port,
        reports,
        quit: None,
        keep: Some(sock),
    })
}

/// The plain echo: a thread on a non-blocking socket that waits in epoll, then answers
/// every datagram it can read; an empty one ends it.
pub fn raw_echo() -> Result<Receiver, String> {
    let sock = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    sock.set_nonblocking(true).map_err(io)?;
    let addr = sock.local_addr().map_err(io)?;
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(|e| e.to_string())?;
    epoll
        .add(&sock, EpollEvent::new(EpollFlags::EPOLLIN, 0))
        .map_err(|e| e.to_string())?;
    let (_tx, reports) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        let mut events = [EpollEvent::empty()];
        loop {
            match sock.recv_from(&mut buf) {
                Ok((0, _)) => return,
                Ok((n, from)) => {
                    let _ = sock.send_to(&buf[..n], from);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let _ = epoll.wait(&mut events, EpollTimeout::NONE);
                }
                Err(_) => return,
            }
        }
    });
    Ok(Receiver {
        port: addr.port(),
        reports,
        quit: Some(addr),
        keep: None,
    })
}

/// The Rust API as an echo: a `message` listener answers with `send_to`.
pub fn rust_echo() -> Result<Receiver, String> {
    let sock = UdpSocket::new(SocketType::Udp4).map_err(|e| e.to_string())?;
    let me = sock.downgrade();
    sock.on_message(move |m| {
        if let Some(me) = me.upgrade() {
            let _ = me.send_to(&m.data, m.remote);
        }
    });
    let port = sock
        .bind_addr(([127, 0, 0, 1], 0))
        .map_err(|e| e.to_string())?;
    let (_tx, reports) = mpsc::channel();
    Ok(Receiver {
        port,
        reports,
        quit: None,
        keep: Some(sock),
    })
}

/// CPU per send of plain `send_to` in a tight loop, on this thread.
pub fn raw_sends(count: u64, size: usize, sink: SocketAddr) -> Result<Duration, String> {
    let sock = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let payload = vec![0x5au8; size];
    let before = cpu_time(this_thread())?;
    for _ in 0..count {
        sock.send_to(&payload, sink).map_err(io)?;
    }
    Ok(cpu_time(this_thread())? - before)
}

/// CPU per send of the Rust API in a tight loop, on this thread: `send` with the
/// address as text, as WeChat's API takes it.
pub fn rust_sends(count: u64, size: usize, sink: SocketAddr) -> Result<Duration, String> {
    let sock = UdpSocket::new(SocketType::Udp4).map_err(|e| e.to_string())?;
    let payload = vec![0x5au8; size];
    let host = sink.ip().to_string();
    let options = SendOptions::new(&host, sink.port(), payload.as_slice());
    sock.send(&options).map_err(|e| e.to_string())?;
    let before = cpu_time(this_thread())?;
    for _ in 1..count {
        sock.send(&options).map_err(|e| e.to_string())?;
    }
    let spent = cpu_time(this_thread())? - before;
    let _ = sock.close();
    Ok(spent)
}

/// Floods `to` with `count` datagrams of `size` bytes from `sock`, as fast as one
/// thread can.
pub fn flood(sock: &StdUdpSocket, to: SocketAddr, count: u64, size: usize) -> Result<(), String> {
    let payload = vec![0x5au8; size.max(3)];
    for _ in 0..count {
        match sock.send_to(&payload, to) {
            Ok(_) => {}
            // A full socket buffer of our own: the datagram is lost, as in a flood.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(())
}

/// Sends `marker` to `to` until a report comes (a marker may be lost in a flood).
pub fn await_report(
    sock: &StdUdpSocket,
    to: SocketAddr,
    marker: &[u8],
    reports: &mpsc::Receiver<Report>,
) -> Result<Report, String> {
    for _ in 0..100 {
        sock.send_to(marker, to).map_err(io)?;
        // Answers to an earlier marker (sent twice) are skipped.
        while let Ok(report) = reports.recv_timeout(Duration::from_millis(100)) {
            if report.0 == marker.len() {
                return Ok(report);
            }
        }
    }
    Err("the receiver did not answer".into())
}
