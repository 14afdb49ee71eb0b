//! `wxudp send`: one message (from the argument, stdin or a file), N times, or each line
//! of stdin (interactive mode); replies printed as they arrive.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use wxudp::{Event, Events, Method, SendOptions, SocketType, UdpSocket};

use crate::console;
use crate::hints;
use crate::input::{self, Encoding, Line, Source};
use crate::output::{self, Format};
use crate::printer::Printer;
use crate::progress::{self, Bar};
use crate::signals::{Caught, Signals};
use crate::status::{self, Ending, Failure};
use crate::target::{
    parse_count, parse_ip, parse_millis, parse_seconds, parse_source, parse_source_port,
    parse_target, Target,
};

/// How long `--replies N` waits without `--wait` or `--timeout`: 5 seconds.
pub const DEFAULT_REPLY_WAIT: Duration = Duration::from_secs(5);

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
    #[arg(long)]
    literal: bool,
    /// Interactive mode: each line of stdin (without its line ending) is a datagram, and
    /// replies print as they arrive. The default without MESSAGE when stdin is a
    /// terminal; this flag asks for it with stdin a pipe or a file.
    #[arg(long, visible_alias = "lines", conflicts_with_all = ["message", "count"])]
    interactive: bool,
    /// In interactive mode, end each datagram with \r\n (netcat's -C).
    #[arg(short = 'C', long)]
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
    /// After sending, print replies for MS milliseconds.
    #[arg(long, value_name = "MS", value_parser = parse_millis, conflicts_with = "timeout")]
    wait: Option<Duration>,
    /// After sending, print replies for SECONDS (--wait in seconds, as netcat's -w).
    #[arg(short = 'w', long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Wait for N replies, then exit: exit status 124 if fewer came within --wait or
    /// --timeout (5 seconds without either). With -c and --interval, sending stops as
    /// soon as they came: a retry loop.
    #[arg(short = 'r', long, value_name = "N", value_parser = parse_count)]
    replies: Option<u64>,
    /// How to print replies.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// No notes on stderr (the summary); errors are still printed.
    #[arg(short = 'q', long)]
    quiet: bool,
}

/// What was sent and received, for the summary.
#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    bytes: u64,
    /// The size of every datagram, if they were all the same.
    size: Option<usize>,
    mixed_sizes: bool,
    first: Option<Instant>,
    last: Option<Instant>,
    replies: u64,
    reply_bytes: u64,
}

impl Tally {
    fn sent(&mut self, size: usize) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.sent += 1;
        self.bytes += size as u64;
        match self.size {
            None if !self.mixed_sizes => self.size = Some(size),
            Some(s) if s != size => {
                self.size = None;
                self.mixed_sizes = true;
            }
            _ => {}
        }
    }
}

/// Everything a running send needs at hand.
struct Session {
    sock: UdpSocket,
    events: Events,
    printer: Printer,
    signals: Signals,
    dest: SocketAddr,
    address: String,
    broadcast: bool,
    show_replies: bool,
    replies_wanted: Option<u64>,
    format: Format,
    tally: Tally,
    /// `send` calls refused with a full queue and waited out: each is an `error` event
    /// too, which is no failure.
    waited_out: u64,
}

/// Why a loop of the session stopped early.
enum Stop {
    Signal(Caught),
    Failed(Failure),
    /// `--replies` replies came.
    Replied,
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

impl Session {
    fn enough_replies(&self) -> bool {
        self.replies_wanted.is_some_and(|n| self.tally.replies >= n)
    }

    /// Handles one event of the socket: prints a reply, fails on a send error.
    async fn on_event(&mut self, event: Option<Event>) -> Result<(), Stop> {
        match event {
            Some(Event::Message(msg)) => {
                self.tally.replies += 1;
                self.tally.reply_bytes += msg.size() as u64;
                if self.show_replies {
                    let bytes = output::render(&msg, self.format, SystemTime::now());
                    tokio::select! {
                        biased;
                        caught = self.signals.recv() => return Err(Stop::Signal(caught)),
                        printed = self.printer.print(bytes) => printed.map_err(Failure::runtime)?,
                    }
                }
                if self.enough_replies() {
                    return Err(Stop::Replied);
                }
                Ok(())
            }
            Some(Event::Error(e)) if e.method() == Method::Receive => {
                console::note(&e);
                Ok(())
            }
            // A send that was queued (waiting for room in the kernel) failed later.
            Some(Event::Error(e)) if self.waited_out(&e) => Ok(()),
            Some(Event::Error(e)) => Err(hints::send_failed(&e, self.dest, self.broadcast).into()),
            Some(_) => Ok(()),
            None => Err(Failure::runtime("the socket closed unexpectedly").into()),
        }
    }

    /// Waits until `until`, handling events and signals meanwhile.
    async fn idle(&mut self, until: Instant) -> Result<(), Stop> {
        loop {
            tokio::select! {
                biased;
                caught = self.signals.recv() => return Err(Stop::Signal(caught)),
                why = self.printer.failure() => return Err(Failure::runtime(why).into()),
                () = tokio::time::sleep_until(until) => return Ok(()),
                event = self.events.recv() => self.on_event(event).await?,
            }
        }
    }

    /// Whether `e` is the event of a full queue that [`send`](Session::send) waited out.
    fn waited_out(&mut self, e: &wxudp::Error) -> bool {
        if matches!(e, wxudp::Error::QueueFull { .. }) && self.waited_out > 0 {
            self.waited_out -= 1;
            return true;
        }
        false
    }

    /// Waits until the kernel has taken every datagram sent (some may wait in the
    /// socket's queue for room on a slow link), as long as it takes them: `close()`
    /// would give it one second and drop the rest. Gives up after 10 seconds without
    /// progress (then `close` reports what it dropped).
    async fn drain(&mut self) -> Result<(), Stop> {
        const STALL: Duration = Duration::from_secs(10);
        let mut taken = self.sock.stats().sent;
        let mut progress = Instant::now();
        if taken >= self.tally.sent {
            return Ok(());
        }
        while taken < self.tally.sent && progress.elapsed() < STALL {
            self.idle(Instant::now() + Duration::from_millis(5)).await?;
            let now = self.sock.stats().sent;
            if now > taken {
                taken = now;
                progress = Instant::now();
            }
        }
        // The sending took this long.
        self.tally.last = Some(Instant::now());
        Ok(())
    }

    /// Handles what is ready now (signals, events) without waiting.
    async fn poll_ready(&mut self) -> Result<(), Stop> {
        tokio::select! {
            biased;
            caught = self.signals.recv() => Err(Stop::Signal(caught)),
            event = self.events.recv() => self.on_event(event).await,
            () = std::future::ready(()) => Ok(()),
        }
    }

    /// Sends one datagram; a full send queue is waited out.
    async fn send(&mut self, payload: &[u8]) -> Result<(), Stop> {
        loop {
            let options = SendOptions::new(&self.address, self.dest.port(), payload)
                .set_broadcast(self.broadcast);
            match self.sock.send(&options) {
                Ok(()) => {
                    self.tally.sent(payload.len());
                    return Ok(());
                }
                Err(wxudp::Error::QueueFull { .. }) => {
                    // The kernel takes no more for now: the queue drains as it does.
                    self.waited_out += 1;
                    self.idle(Instant::now() + Duration::from_millis(1)).await?;
                }
                Err(e) => return Err(hints::send_failed(&e, self.dest, self.broadcast).into()),
            }
        }
    }
}

/// `wxudp send`.
pub async fn send(args: SendArgs) -> Result<Ending, Failure> {
    let mut signals = Signals::install().map_err(Failure::runtime)?;
    let encoding = if args.hex {
        Encoding::Hex
    } else if args.base64 {
        Encoding::Base64
    } else {
        Encoding::Plain
    };
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
    if args.literal && args.message.is_none() {
        return Err(Failure::Usage("--literal needs a MESSAGE".into()));
    }

    // The message first: a bad one is a usage error before anything is sent.
    let payload = match &source {
        Some(source) => {
            let raw = tokio::select! {
                read = source.read() => read.unwrap_or_else(|_| Err("the input thread stopped".into())),
                caught = signals.recv() => return Ok(Ending::Signal(caught)),
            };
            let raw = raw.map_err(Failure::runtime)?.ok_or_else(|| {
                Failure::Usage(format!(
                    "{} is more than {} bytes: far more than a datagram carries",
                    source.name(),
                    input::MAX_INPUT
                ))
            })?;
            let payload = encoding
                .decode(&raw)
                .map_err(|e| Failure::Usage(format!("{} is {e}", source.name())))?;
            Some(payload)
        }
        None => None,
    };

    // Where from, where to.
    let from = args.from.or(match (args.source, args.source_port) {
        (None, None) => None,
        (ip, port) => Some(SocketAddr::new(
            ip.unwrap_or(Ipv4Addr::UNSPECIFIED.into()),
            port.unwrap_or(0),
        )),
    });
    let family = Family::wanted(
        args.ipv4,
        args.ipv6,
        args.source.or(args.from.map(|a| a.ip())),
    )?;
    let dest = tokio::select! {
        dest = resolve(&args.target, family) => dest?,
        caught = signals.recv() => return Ok(Ending::Signal(caught)),
    };
    let ty = if dest.is_ipv6() {
        SocketType::Udp6
    } else {
        SocketType::Udp4
    };
    let max = ty.max_payload();
    if let Some(payload) = &payload {
        if payload.len() > max {
            return Err(Failure::Usage(format!(
                "the message is {} bytes; a UDP datagram carries at most {max} bytes over {}",
                payload.len(),
                if dest.is_ipv6() { "IPv6" } else { "IPv4" }
            )));
        }
    }

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

    let interactive = source.is_none();
    let wait = args
        .wait
        .or(args.timeout)
        .unwrap_or(if args.replies.is_some() {
            DEFAULT_REPLY_WAIT
        } else {
            Duration::ZERO
        });
    let mut session = Session {
        sock,
        events,
        printer: Printer::start().map_err(Failure::runtime)?,
        signals,
        dest,
        address: dest.ip().to_string(),
        broadcast: args.broadcast,
        show_replies: interactive
            || args.wait.is_some()
            || args.timeout.is_some()
            || args.replies.is_some(),
        replies_wanted: args.replies,
        format: args.format,
        tally: Tally::default(),
        waited_out: 0,
    };
    let interval = args.interval.unwrap_or(Duration::ZERO);

    let mut stop = match &payload {
        Some(payload) => send_repeatedly(&mut session, payload, args.count, interval).await,
        None => {
            if !args.quiet {
                console::note(format!(
                    "sending each line to {dest}, replies as they come (Ctrl-D ends, \
                     Ctrl-C interrupts)"
                ));
            }
            send_lines(&mut session, encoding, args.crlf, interval, max).await
        }
    };
    if stop.is_ok() {
        stop = session.drain().await;
    }
    if stop.is_ok() && session.show_replies && !session.enough_replies() && !wait.is_zero() {
        stop = session.idle(Instant::now() + wait).await;
    }
    let ending = match stop {
        Ok(()) | Err(Stop::Replied) => {
            if session.enough_replies() || session.replies_wanted.is_none() {
                Ending::Done
            } else {
                Ending::TimedOut
            }
        }
        Err(Stop::Signal(caught)) => Ending::Signal(caught),
        Err(Stop::Failed(failure)) => {
            let _ = session.sock.close();
            // The replies printed so far still reach stdout, if it takes them soon.
            let _ = tokio::time::timeout(Duration::from_secs(1), session.printer.finish()).await;
            return Err(failure);
        }
    };
    let ending = close(&mut session, ending).await?;
    if !args.quiet {
        console::note(summary(&session, args.count, ending, payload.is_some()));
    }
    Ok(ending)
}

/// Sends `payload` `count` times, `interval` apart, with a progress bar when that is long.
async fn send_repeatedly(
    session: &mut Session,
    payload: &[u8],
    count: u64,
    interval: Duration,
) -> Result<(), Stop> {
    let bar = if progress::long_send(count, interval) {
        Bar::sending(count)
    } else {
        None
    };
    let mut next = Instant::now();
    for i in 0..count {
        if i > 0 {
            if interval.is_zero() {
                session.poll_ready().await?;
            } else {
                next += interval;
                session.idle(next).await?;
            }
        }
        session.send(payload).await?;
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    Ok(())
}

/// Interactive mode: sends each line of stdin until its end.
async fn send_lines(
    session: &mut Session,
    encoding: Encoding,
    crlf: bool,
    interval: Duration,
    max: usize,
) -> Result<(), Stop> {
    let mut lines = input::lines().map_err(Failure::runtime)?;
    let mut skipped = 0u64;
    let mut last_sent: Option<Instant> = None;
    loop {
        let line = tokio::select! {
            biased;
            caught = session.signals.recv() => return Err(Stop::Signal(caught)),
            why = session.printer.failure() => return Err(Failure::runtime(why).into()),
            event = session.events.recv() => {
                session.on_event(event).await?;
                continue;
            }
            line = lines.recv() => line,
        };
        let (number, text) = match line {
            None => break,
            Some(Line::Text(number, text)) => (number, text),
            Some(Line::TooLong(number)) => {
                console::note(format!(
                    "line {number} is longer than {} bytes: not sent",
                    input::MAX_LINE
                ));
                skipped += 1;
                continue;
            }
            Some(Line::Failed(why)) => return Err(Failure::runtime(why).into()),
        };
        let mut payload = match encoding.decode(&text) {
            Ok(payload) => payload,
            Err(e) => {
                console::note(format!("line {number} is {e}: not sent"));
                skipped += 1;
                continue;
            }
        };
        if crlf {
            payload.extend_from_slice(b"\r\n");
        }
        if payload.len() > max {
            console::note(format!(
                "line {number} is {} bytes, more than a datagram carries ({max}): not sent",
                payload.len()
            ));
            skipped += 1;
            continue;
        }
        if let Some(last) = last_sent {
            if !interval.is_zero() {
                session.idle(last + interval).await?;
            }
        }
        session.send(&payload).await?;
        last_sent = Some(Instant::now());
    }
    if skipped > 0 {
        return Err(Failure::runtime(format!(
            "{} of stdin could not be sent (see above)",
            status::plural(skipped, "line", "lines")
        ))
        .into());
    }
    Ok(())
}

/// Closes the socket and waits for what it still had to send: a failure there is an
/// error event before `close`. A signal meanwhile ends the wait.
async fn close(session: &mut Session, ending: Ending) -> Result<Ending, Failure> {
    let _ = session.sock.close();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::select! {
            biased;
            caught = session.signals.recv() => return Ok(Ending::Signal(caught)),
            event = tokio::time::timeout_at(deadline, session.events.recv()) => event,
        };
        match event {
            Ok(Some(Event::Error(e)))
                if e.method() != Method::Receive && !session.waited_out(&e) =>
            {
                return Err(hints::send_failed(&e, session.dest, session.broadcast));
            }
            Ok(Some(Event::Close) | None) | Err(_) => break,
            Ok(Some(_)) => {}
        }
    }
    let finished = match ending {
        Ending::Signal(_) => tokio::select! {
            finished = session.printer.finish() => finished,
            _ = session.signals.recv() => Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => Ok(()),
        },
        _ => tokio::select! {
            finished = session.printer.finish() => finished,
            caught = session.signals.recv() => return Ok(Ending::Signal(caught)),
        },
    };
    finished.map_err(Failure::runtime)?;
    Ok(ending)
}

/// `sent 1 datagram of 18 bytes to 127.0.0.1:9000`, with the time and rate of several,
/// and the replies when they were waited for.
fn summary(session: &Session, count: u64, ending: Ending, repeated: bool) -> String {
    let t = &session.tally;
    let sent = match ending {
        Ending::Signal(_) if repeated && t.sent < count => format!(
            "{} of {}",
            t.sent,
            status::plural(count, "datagram", "datagrams")
        ),
        _ => status::plural(t.sent, "datagram", "datagrams"),
    };
    let size = match t.size {
        Some(size) => format!(" of {}", status::plural(size as u64, "byte", "bytes")),
        None if t.sent > 0 => format!(" ({} in all)", status::plural(t.bytes, "byte", "bytes")),
        None => String::new(),
    };
    let mut line = format!("{}sent {sent}{size} to {}", ending.prefix(), session.dest);
    if let (Some(first), Some(last)) = (t.first, t.last) {
        if t.sent > 1 {
            let elapsed = last - first;
            line.push_str(&format!(
                " in {}{}",
                status::duration(elapsed),
                status::rate_between(t.sent, elapsed)
            ));
        }
    }
    if session.show_replies {
        let replies = match session.replies_wanted {
            Some(n) if t.replies < n => {
                format!("{} of {}", t.replies, status::plural(n, "reply", "replies"))
            }
            _ => status::plural(t.replies, "reply", "replies"),
        };
        line.push_str(&format!(
            "; received {replies} ({})",
            status::plural(t.reply_bytes, "byte", "bytes")
        ));
    }
    line
}

/// Which address family the destination must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    /// From -4/-6 and the source address, which must agree.
    fn wanted(ipv4: bool, ipv6: bool, source: Option<IpAddr>) -> Result<Family, Failure> {
        let flag = match (ipv4, ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        };
        let from_source = match source {
            Some(ip) if ip.is_unspecified() && ip.is_ipv4() => Family::Any,
            Some(IpAddr::V4(_)) => Family::V4,
            Some(IpAddr::V6(_)) => Family::V6,
            None => Family::Any,
        };
        match (flag, from_source) {
            (Family::Any, f) | (f, Family::Any) => Ok(f),
            (a, b) if a == b => Ok(a),
            _ => Err(Failure::Usage(format!(
                "the source address {} is not of the family -{} asks for",
                source.map(|ip| ip.to_string()).unwrap_or_default(),
                if ipv4 { 4 } else { 6 }
            ))),
        }
    }

    fn accepts(self, ip: IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Family::Any => "any",
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// The address to send to: an IP literal, or an address of a host name (IPv4 first, as
/// most devices are IPv4, unless the family says otherwise).
async fn resolve(target: &Target, family: Family) -> Result<SocketAddr, Failure> {
    if let Some(ip) = target.ip {
        if !family.accepts(ip) {
            return Err(Failure::Usage(format!(
                "{ip} is not an {} address (-4/-6 and the source address decide the family)",
                family.name()
            )));
        }
        return Ok(SocketAddr::new(ip, target.port));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| Failure::runtime(format!("cannot resolve {}: {e}", target.host)))?
        .collect();
    let pick = match family {
        Family::Any => addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()),
        f => addrs.iter().find(|a| f.accepts(a.ip())),
    };
    pick.copied().ok_or_else(|| {
        Failure::runtime(format!(
            "{} has no {}address",
            target.host,
            match family {
                Family::Any => "",
                Family::V4 => "IPv4 ",
                Family::V6 => "IPv6 ",
            }
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        let v4: IpAddr = "127.0.0.1"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(Family::wanted(false, false, None), Ok(Family::Any));
        assert_eq!(Family::wanted(true, false, None), Ok(Family::V4));
        assert_eq!(Family::wanted(false, false, Some(v6)), Ok(Family::V6));
        assert_eq!(Family::wanted(false, true, Some(v6)), Ok(Family::V6));
        assert!(Family::wanted(true, false, Some(v6)).is_err());
        assert!(Family::wanted(false, true, Some(v4)).is_err());
    }
}
