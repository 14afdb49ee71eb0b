//! The `listen`, `send` and `echo` subcommands.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;
use wxudp::options::Destination;
use wxudp::options::PortArg;
use wxudp::{Event, Events, Message, Method, SendOptions, SocketType, UdpSocket};

use crate::output::{self, Format};

/// How a subcommand ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked.
    Done,
    /// Ctrl-C stopped it.
    Interrupted,
}

/// Arguments of `wxudp listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Port to listen on; 0 picks a free port (the bound address is printed on stderr).
    port: u16,
    /// Listen on this local address only (default: every IPv4 and IPv6 address).
    #[arg(long, value_name = "ADDR")]
    bind: Option<IpAddr>,
    /// Exit after receiving N datagrams.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// How to print each datagram.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Arguments of `wxudp send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Destination: HOST:PORT, with IPv6 in brackets ([::1]:9000).
    #[arg(value_name = "HOST:PORT")]
    target: String,
    /// What to send: text (sent as UTF-8), or hex digits with --hex.
    message: String,
    /// MESSAGE is hex (`deadbeef`, spaces and colons allowed).
    #[arg(long)]
    hex: bool,
    /// Send the message N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    /// Milliseconds between two sends.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    interval: u64,
    /// Set WeChat's setBroadcast flag (udp4 sockets always allow broadcast).
    #[arg(long)]
    broadcast: bool,
    /// After sending, print replies for this many milliseconds.
    #[arg(long, value_name = "MS")]
    wait: Option<u64>,
    /// After sending, wait for N replies (at most --wait milliseconds, if given).
    #[arg(long, value_name = "N")]
    replies: Option<u64>,
    /// How to print replies (with --wait).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Arguments of `wxudp echo`.
#[derive(Debug, clap::Args)]
pub struct EchoArgs {
    /// Port to echo on; 0 picks a free port (the bound address is printed on stderr).
    port: u16,
    /// Listen on this local address only (default: every IPv4 and IPv6 address).
    #[arg(long, value_name = "ADDR")]
    bind: Option<IpAddr>,
    /// Exit after echoing N datagrams.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

/// `wxudp listen`.
pub async fn listen(args: ListenArgs) -> Result<Outcome, String> {
    let (sock, mut events) = open(args.bind, args.port)?;
    serve(&mut events, args.count, |msg| {
        print_line(&output::line(msg, args.format))
    })
    .await
    .inspect(|_| close(&sock))
}

/// `wxudp echo`.
pub async fn echo(args: EchoArgs) -> Result<Outcome, String> {
    let (sock, mut events) = open(args.bind, args.port)?;
    serve(&mut events, args.count, |msg| {
        let to = msg.remote.ip().to_string();
        // A reply that cannot go out (a spoofed sender, port 0, no route back) is
        // reported and the echo goes on: one bad datagram must not stop it.
        if let Err(e) = sock.send(&SendOptions::new(&to, msg.remote.port(), &msg.data)) {
            eprintln!("wxudp: cannot echo to {}: {e}", msg.remote);
            return Ok(());
        }
        print_line(&output::line(msg, Format::Text))
    })
    .await
    .inspect(|_| close(&sock))
}

/// `wxudp send`.
pub async fn send(args: SendArgs) -> Result<Outcome, String> {
    let (host, port) = split_target(&args.target)?;
    let ip = resolve(host, port).await?;
    let payload = if args.hex {
        let digits: String = args
            .message
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect();
        hex::decode(&digits).map_err(|e| format!("MESSAGE is not hex: {e}"))?
    } else {
        args.message.clone().into_bytes()
    };
    let ty = if ip.is_ipv6() {
        SocketType::Udp6
    } else {
        SocketType::Udp4
    };
    let sock = UdpSocket::new(ty).map_err(|e| e.to_string())?;
    let mut events = sock.events();
    let address = ip.to_string();
    let options = SendOptions::new(&address, port, &payload).set_broadcast(args.broadcast);
    for i in 0..args.count {
        if i > 0 && args.interval > 0 {
            tokio::time::sleep(Duration::from_millis(args.interval)).await;
        }
        sock.send(&options).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "wxudp: sent {} datagram{} of {} bytes to {}",
        args.count,
        if args.count == 1 { "" } else { "s" },
        payload.len(),
        SocketAddr::new(ip, port)
    );
    let mut outcome = Outcome::Done;
    if args.wait.is_some() || args.replies.is_some() {
        let deadline = args
            .wait
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        outcome = until(&mut events, deadline, args.replies, |msg| {
            print_line(&output::line(msg, args.format))
        })
        .await?;
    }
    sock.close().map_err(|e| e.to_string())?;
    // Anything the flush at close could not send is an error event before `close`.
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        match event {
            Event::Error(e) => return Err(e.to_string()),
            Event::Close => break,
            _ => {}
        }
    }
    Ok(outcome)
}

/// Binds a socket for `listen`/`echo`: dual-stack udp6 on every address unless `bind`
/// names one (udp4 where IPv6 is not available).
fn open(bind: Option<IpAddr>, port: u16) -> Result<(UdpSocket, Events), String> {
    let bound =
        |ty: SocketType, addr: Option<IpAddr>| -> Result<(UdpSocket, Events), wxudp::Error> {
            let sock = UdpSocket::new(ty)?;
            let events = sock.events();
            match addr {
                Some(ip) => sock.bind_addr(SocketAddr::new(ip, port))?,
                None => sock.bind(port)?,
            };
            Ok((sock, events))
        };
    let result = match bind {
        Some(ip) if ip.is_ipv6() => bound(SocketType::Udp6, Some(ip)),
        Some(ip) => bound(SocketType::Udp4, Some(ip)),
        None => match bound(SocketType::Udp6, None) {
            Err(e) if e.os_error().and_then(|o| o.raw_os_error()) == Some(97) => {
                // EAFNOSUPPORT: this host has no IPv6.
                bound(SocketType::Udp4, None)
            }
            other => other,
        },
    };
    let (sock, events) = result.map_err(|e| e.to_string())?;
    if let Some(local) = sock.local_addr() {
        eprintln!(
            "wxudp: listening on {local} ({})",
            sock.socket_type().name()
        );
    }
    Ok((sock, events))
}

/// Handles datagrams until `count` have been handled (forever without one) or Ctrl-C.
async fn serve(
    events: &mut Events,
    count: Option<u64>,
    on_message: impl FnMut(&Message) -> Result<(), String>,
) -> Result<Outcome, String> {
    until(events, None, count, on_message).await
}

/// Handles datagrams until the deadline, `count` datagrams, or Ctrl-C; errors the OS
/// reports while receiving are printed and do not stop it.
async fn until(
    events: &mut Events,
    deadline: Option<Instant>,
    count: Option<u64>,
    mut on_message: impl FnMut(&Message) -> Result<(), String>,
) -> Result<Outcome, String> {
    let mut handled = 0u64;
    let sleep = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while count.is_none_or(|n| handled < n) {
        tokio::select! {
            event = events.recv() => match event {
                Some(Event::Message(msg)) => {
                    on_message(&msg)?;
                    handled += 1;
                }
                // Errors of calls were returned to their caller; the others (an ICMP
                // error reported on the receive path) are printed here.
                Some(Event::Error(e)) if e.method() == Method::Receive => eprintln!("wxudp: {e}"),
                Some(_) => {}
                None => break,
            },
            _ = &mut sleep => break,
            _ = &mut ctrl_c => return Ok(Outcome::Interrupted),
        }
    }
    Ok(Outcome::Done)
}

/// Prints one line on stdout; a closed stdout (`wxudp listen 9000 | head -1`) ends the
/// command with an error instead of a panic.
fn print_line(line: &str) -> Result<(), String> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").map_err(|e| format!("stdout: {e}"))
}

fn close(sock: &UdpSocket) {
    // close() cannot fail today; a flush failure would be an error event nobody reads
    // after this point, and listen/echo send nothing of their own but replies.
    let _ = sock.close();
}

/// Splits `HOST:PORT` (`[v6]:PORT` for IPv6).
fn split_target(target: &str) -> Result<(&str, u16), String> {
    let (host, port) = if let Some(rest) = target.strip_prefix('[') {
        rest.split_once("]:")
            .ok_or_else(|| format!("{target:?} is not [IPv6]:PORT"))?
    } else {
        target
            .rsplit_once(':')
            .ok_or_else(|| format!("{target:?} is not HOST:PORT"))?
    };
    if host.is_empty() {
        return Err(format!("{target:?} has no host"));
    }
    if !target.starts_with('[') && host.contains(':') {
        return Err(format!(
            "{target:?}: write IPv6 addresses in brackets, as [::1]:PORT"
        ));
    }
    let port = PortArg::Text(port)
        .destination_port(Method::Send)
        .map_err(|e| format!("{target:?}: {e}"))?;
    Ok((host, port))
}

/// The address to send to: an IP literal, or the first address of a host name (IPv4
/// preferred, as most devices are IPv4).
async fn resolve(host: &str, port: u16) -> Result<IpAddr, String> {
    match Destination::parse(Method::Send, host, port).map_err(|e| e.to_string())? {
        Destination::Ip(addr) => return Ok(addr.ip()),
        Destination::Host(..) => {}
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .map(|a| a.ip())
        .ok_or_else(|| format!("{host} has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(split_target("127.0.0.1:9").unwrap(), ("127.0.0.1", 9));
        assert_eq!(split_target("[::1]:9000").unwrap(), ("::1", 9000));
        assert_eq!(split_target("localhost:7").unwrap(), ("localhost", 7));
        for bad in [
            "127.0.0.1",
            "::1:9",
            ":9",
            "h:0",
            "h:70000",
            "h:x",
            "[::1]9",
        ] {
            assert!(split_target(bad).is_err(), "{bad}");
        }
    }
}
