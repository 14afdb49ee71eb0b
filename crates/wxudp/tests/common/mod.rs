//! Helpers shared by the integration tests: generous deadlines, never fixed sleeps.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::UdpSocket as StdUdpSocket;
use std::time::Duration;

use wxudp::{Error, Event, Events, Message};

/// How long a test waits for an event before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// The next event, or a failure after [`WAIT`].
pub async fn next(events: &mut Events) -> Event {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("timed out waiting for an event")
        .expect("the event stream ended")
}

/// The next event, which must be a message.
pub async fn next_message(events: &mut Events) -> Message {
    match next(events).await {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The next event, which must be an error.
pub async fn next_error(events: &mut Events) -> Error {
    match next(events).await {
        Event::Error(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Waits until no event arrives for `quiet`, and returns what did arrive.
pub async fn drain(events: &mut Events, quiet: Duration) -> Vec<Event> {
    let mut got = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(quiet, events.recv()).await {
        got.push(e);
    }
    got
}

/// A plain std socket on 127.0.0.1 with a large receive buffer (forced as root), to
/// count what arrives without depending on the code under test.
pub fn raw_receiver() -> StdUdpSocket {
    let sock = StdUdpSocket::bind("127.0.0.1:0").unwrap();
    let _ = nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::RcvBufForce, &(8 << 20));
    sock.set_read_timeout(Some(WAIT)).unwrap();
    sock
}

/// How many small datagrams `sock` can hold unread without the kernel dropping any:
/// its receive buffer over a generous 2 KiB of kernel overhead per datagram, at most
/// `max`.
pub fn burst_size(sock: &StdUdpSocket, max: u32) -> u32 {
    let buffer = nix::sys::socket::getsockopt(sock, nix::sys::socket::sockopt::RcvBuf).unwrap_or(0);
    u32::try_from(buffer / 2048)
        .unwrap_or(u32::MAX)
        .clamp(50, max)
}

/// A tokio runtime driven by a thread of its own, shared by the tests of one binary, for
/// engines that spawn their I/O on it.
pub fn runtime() -> tokio::runtime::Handle {
    static RT: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        std::thread::spawn(move || rt.block_on(std::future::pending::<()>()));
        handle
    })
    .clone()
}
