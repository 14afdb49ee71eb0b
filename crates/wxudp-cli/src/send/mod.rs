//! `wxudp send`: one message (from the argument, stdin or a file), N times, or each line
//! of stdin (interactive mode); replies printed as they arrive.

use std::ffi::OsString;
use std::future::Future;
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;
use wxudp::{Events, SocketType, UdpSocket};

use crate::console;
use crate::hints;
use crate::input::{self, Encoding, Source};
use crate::output::Format;
use crate::printer::Printer;
use crate::signals::{Caught, Signals};
use crate::status::{Ending, Failure};
use crate::target::{
    parse_count, parse_ip, parse_millis, parse_source, parse_source_port, parse_target,
    parse_wait_seconds, Target,
};

mod family;
mod modes;
mod session;
mod tally;
#[cfg(test)]
mod tests;

use family::{resolve, Family};
use modes::{send_lines, send_repeatedly};
use session::{Session, Stop};
use tally::Tally;

/// How long `--replies N` waits without `--wait` or `--timeout`: 5 seconds.
pub const DEFAULT_REPLY_WAIT: Duration = Duration::from_secs(5);

/// How long replies are shown after sending without `--replies`, `--wait` or
/// `--timeout`: a moment, as `nc -u -w1` does (`-w 0` exits at once).
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

/// Arguments of `wxudp send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Destination: HOST:PORT, with IPv6 in brackets ([::1]:9000).
    #[arg(value_name = "HOST:PORT", value_parser = parse_target)]
    target: Target,
    /// What to send: text (its bytes as they are), `-` for stdin, `@FILE` for a file.
    /// Without it: stdin when stdin is not a terminal, else interactive mode.
    #[arg(value_name = "MESSAGE")]
    message: Option<OsString>,
    /// The message (or each line, in interactive mode) is hex: `deadbeef`, `de:ad be ef`.
    #[arg(long, conflicts_with = "base64")]
    hex: bool,
    /// The message (or each line, in interactive mode) is base64 (standard or URL-safe,
    /// padding optional).
    #[arg(long)]
    base64: bool,
    /// Send MESSAGE as it is, even `-` or a leading `@`.
    // Clap does not ask for an argument that a present one conflicts with: the conflicts
    // keep `--literal` from going without MESSAGE beside the flags that rule it out.
    #[arg(long, requires = "message", conflicts_with_all = ["interactive", "crlf"])]
    literal: bool,
    /// Interactive mode: each line of stdin (without its line ending) is a datagram, and
    /// replies print as they arrive. The default without MESSAGE when stdin is a
    /// terminal; this flag asks for it with stdin a pipe or a file.
    #[arg(long, visible_alias = "lines", conflicts_with_all = ["message", "count"])]
    interactive: bool,
    /// In interactive mode, end each datagram with \r\n (netcat's -C).
    #[arg(short = 'C', long, conflicts_with = "message")]
    crlf: bool,
    /// Send the message N times.
    #[arg(short = 'c', long, value_name = "N", value_parser = parse_count, default_value = "1")]
    count: u64,
    /// Milliseconds between two datagrams.
    #[arg(long, value_name = "MS", value_parser = parse_millis)]
    interval: Option<Duration>,
    /// Set WeChat's setBroadcast flag, for a broadcast address (udp4 sockets always
    /// allow broadcast).
    #[arg(short = 'b', long)]
    broadcast: bool,
    /// Send from this local address.
    #[arg(short = 's', long = "source", value_name = "ADDR", value_parser = parse_ip, conflicts_with = "from")]
    source: Option<IpAddr>,
    /// Send from this local port (0: one the system picks).
    #[arg(short = 'p', long = "source-port", value_name = "PORT", value_parser = parse_source_port, conflicts_with = "from")]
    source_port: Option<u16>,
    /// Send from this local address and port: --source and --source-port in one
    /// (ADDR:PORT, [IPv6]:PORT).
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_source)]
    from: Option<SocketAddr>,
    /// Use IPv4 only (a host name's IPv4 address).
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    ipv4: bool,
    /// Use IPv6 only (a host name's IPv6 address).
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
    /// After sending (in interactive mode: after the end of input), print replies for MS
    /// milliseconds (default: 1000; 0 exits at once).
    #[arg(long, value_name = "MS", value_parser = parse_millis, conflicts_with = "timeout")]
    wait: Option<Duration>,
    /// After sending (in interactive mode: after the end of input), print replies for
    /// SECONDS, as netcat's -w (default: 1; -w 0 exits at once).
    #[arg(short = 'w', long, value_name = "SECONDS", value_parser = parse_wait_seconds)]
    timeout: Option<Duration>,
    /// Wait for N replies, then exit: exit status 124 if fewer came within --wait or
    /// --timeout (5 seconds without either), 1 if the destination refused (ICMP port
    /// unreachable). With -c and --interval, sending stops as soon as they came: a
    /// retry loop, which a refusal does not end.
    #[arg(short = 'r', long, value_name = "N", value_parser = parse_count)]
    replies: Option<u64>,
    /// Print replies from any address and port, not only from HOST:PORT (a device that
    /// answers from another port). The socket then stays unconnected, and an ICMP port
    /// unreachable goes unseen. Broadcasts are always sent this way.
    #[arg(long)]
    any_peer: bool,
    /// How to print replies.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// No notes on stderr (the summary); errors are still printed.
    #[arg(short = 'q', long)]
    quiet: bool,
}

impl SendArgs {
    /// How the message (or each line) is written.
    fn encoding(&self) -> Encoding {
        if self.hex {
            Encoding::Hex
        } else if self.base64 {
            Encoding::Base64
        } else {
            Encoding::Plain
        }
    }

    /// The local address to bind: `--from`, or `--source` and `--source-port` (either
    /// may be missing: the unspecified address, port 0).
    fn local_address(&self) -> Option<SocketAddr> {
        self.from.or(match (self.source, self.source_port) {
            (None, None) => None,
            (ip, port) => Some(SocketAddr::new(
                ip.unwrap_or(Ipv4Addr::UNSPECIFIED.into()),
                port.unwrap_or(0),
            )),
        })
    }

    /// The source address given, which decides the family with -4/-6.
    fn source_ip(&self) -> Option<IpAddr> {
        self.source.or(self.from.map(|a| a.ip()))
    }

    /// How long replies are waited for after sending: --wait or --timeout; else 5 s for
    /// --replies, a moment otherwise.
    fn reply_wait(&self) -> Duration {
        self.wait
            .or(self.timeout)
            .unwrap_or(if self.replies.is_some() {
                DEFAULT_REPLY_WAIT
            } else {
                DEFAULT_LINGER
            })
    }

    /// Whether replies are printed: in interactive mode, and when they are waited for
    /// (unless `-w 0` says not to).
    fn shows_replies(&self, interactive: bool) -> bool {
        interactive || self.replies.is_some() || !self.reply_wait().is_zero()
    }
}

/// `wxudp send`.
pub async fn send(args: SendArgs) -> Result<Ending, Failure> {
    let mut signals = Signals::install().map_err(Failure::runtime)?;
    let source = message_source(&args)?;
    // The message first: a bad one is a usage error before anything is sent.
    let payload = match &source {
        Some(source) => {
            match or_signal(&mut signals, read_message(source, args.encoding())).await {
                Ok(payload) => Some(payload?),
                Err(caught) => return Ok(Ending::Signal(caught)),
            }
        }
        None => None,
    };
    let family = Family::wanted(args.ipv4, args.ipv6, args.source_ip())?;
    let dest = match or_signal(&mut signals, resolve(&args.target, family)).await {
        Ok(dest) => dest?,
        Err(caught) => return Ok(Ending::Signal(caught)),
    };
    let ty = if dest.is_ipv6() {
        SocketType::Udp6
    } else {
        SocketType::Udp4
    };
    if let Some(payload) = &payload {
        fits_a_datagram(payload, dest, ty)?;
    }
    let (sock, events) = open_socket(ty, args.local_address(), dest)?;
    // Connected, as nc does, so that the kernel reports an ICMP port unreachable
    // (ECONNREFUSED); not for a broadcast (replies come from others) or --any-peer.
    if !(args.any_peer || args.broadcast || broadcast_or_multicast(dest.ip())) {
        sock.connect(&dest.ip().to_string(), dest.port())
            .map_err(|e| hints::send_failed(&e, dest, args.broadcast))?;
    }
    let mut session = Session {
        sock,
        events,
        printer: Printer::start().map_err(Failure::runtime)?,
        signals,
        dest,
        address: dest.ip().to_string(),
        broadcast: args.broadcast,
        show_replies: args.shows_replies(source.is_none()),
        replies_wanted: args.replies,
        format: args.format,
        tally: Tally::default(),
        waited_out: 0,
        refusals: 0,
        sending_done: false,
    };
    let ending = match transmit(&mut session, &args, payload.as_deref(), ty.max_payload()).await {
        Ok(()) | Err(Stop::Replied | Stop::Refused | Stop::ReaderGone) => session.ending(),
        Err(Stop::Signal(caught)) => Ending::Signal(caught),
        Err(Stop::Failed(failure)) => return Err(session.abandon(failure).await),
    };
    let ending = session.close(ending).await?;
    if ending == Ending::Refused {
        console::error(session.refusal());
        console::hint(format!(
            "nothing listens on UDP port {} at {} (yet); is the program or device started?",
            session.dest.port(),
            session.dest.ip()
        ));
    }
    if !args.quiet {
        console::note(session.summary(args.count, ending, payload.is_some()));
    }
    Ok(ending)
}

/// Whether `ip` is a broadcast-looking or multicast address: replies to those come
/// from other addresses, so the socket is not connected.
fn broadcast_or_multicast(ip: IpAddr) -> bool {
    ip.is_multicast()
        || ip.is_unspecified()
        || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast() || v4.octets()[3] == 255)
}

/// Where the one message comes from (MESSAGE, or stdin when it is not a terminal), or
/// `None` for interactive mode. Clap rules out the flags that cannot go with MESSAGE or
/// `--interactive`; which of the two a command without either gets depends on stdin, and
/// is checked here.
fn message_source(args: &SendArgs) -> Result<Option<Source>, Failure> {
    let source = match &args.message {
        _ if args.interactive => None,
        Some(message) => Some(Source::from_arg(message, args.literal)),
        None if std::io::stdin().is_terminal() => None,
        None => Some(Source::Stdin),
    };
    if source.is_none() && args.count > 1 {
        return Err(Failure::Usage(
            "--count repeats a MESSAGE; interactive mode sends each line once".into(),
        ));
    }
    if source.is_some() && args.crlf {
        return Err(Failure::Usage(
            "-C/--crlf ends the lines of interactive mode; give no MESSAGE (or --interactive)"
                .into(),
        ));
    }
    Ok(source)
}

/// Runs `work` unless a signal comes first.
async fn or_signal<T>(signals: &mut Signals, work: impl Future<Output = T>) -> Result<T, Caught> {
    tokio::select! {
        done = work => Ok(done),
        caught = signals.recv() => Err(caught),
    }
}

/// Reads the message from `source` and decodes it: too much input, or input not of the
/// encoding, is a usage error.
async fn read_message(source: &Source, encoding: Encoding) -> Result<Vec<u8>, Failure> {
    let raw = source
        .read()
        .await
        .unwrap_or_else(|_| Err("the input thread stopped".into()));
    let raw = raw.map_err(Failure::runtime)?.ok_or_else(|| {
        Failure::Usage(format!(
            "{} is more than {} bytes: far more than a datagram carries",
            source.name(),
            input::MAX_INPUT
        ))
    })?;
    encoding
        .decode(&raw)
        .map_err(|e| Failure::Usage(format!("{} is {e}", source.name())))
}

/// A message longer than a datagram of `dest`'s family carries is a usage error.
fn fits_a_datagram(payload: &[u8], dest: SocketAddr, ty: SocketType) -> Result<(), Failure> {
    let max = ty.max_payload();
    if payload.len() > max {
        return Err(Failure::Usage(format!(
            "the message is {} bytes; a UDP datagram carries at most {max} bytes over {}",
            payload.len(),
            if dest.is_ipv6() { "IPv6" } else { "IPv4" }
        )));
    }
    Ok(())
}

/// The socket to send from, bound to `from` when it is given (an unspecified address
/// there: that of the destination's family), and its events.
fn open_socket(
    ty: SocketType,
    from: Option<SocketAddr>,
    dest: SocketAddr,
) -> Result<(UdpSocket, Events), Failure> {
    let sock =
        UdpSocket::new(ty).map_err(|e| Failure::runtime(format!("cannot create a socket: {e}")))?;
    let events = sock.events();
    if let Some(from) = from {
        // Only the port was given: the unspecified address of the destination's family.
        let from = match (from.ip().is_unspecified(), dest.is_ipv6()) {
            (true, true) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), from.port()),
            (true, false) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), from.port()),
            _ => from,
        };
        let bound = if from.ip().is_unspecified() {
            sock.bind(from.port())
        } else {
            sock.bind_addr(from)
        };
        bound.map_err(|e| hints::bind_failed(&e, from, "send from"))?;
    }
    Ok((sock, events))
}

/// Sends (the message `--count` times, or each line of stdin), waits until the kernel
/// has taken every datagram, then for replies as long as asked.
async fn transmit(
    session: &mut Session,
    args: &SendArgs,
    payload: Option<&[u8]>,
    max: usize,
) -> Result<(), Stop> {
    let interval = args.interval.unwrap_or(Duration::ZERO);
    match payload {
        Some(payload) => send_repeatedly(session, payload, args.count, interval).await?,
        None => {
            if !args.quiet {
                console::note(format!(
                    "sending each line to {}, replies as they come (Ctrl-D ends, \
                     Ctrl-C interrupts)",
                    session.dest
                ));
            }
            send_lines(session, args.encoding(), args.crlf, interval, max).await?;
        }
    }
    session.drain().await?;
    session.sending_done = true;
    let wait = args.reply_wait();
    if session.show_replies && !session.enough_replies() && !wait.is_zero() {
        session.idle(Instant::now() + wait).await?;
    }
    Ok(())
}
