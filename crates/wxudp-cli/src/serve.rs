//! `wxudp listen` and `wxudp echo`: a socket bound to a port, every datagram printed
//! (and, for `echo`, sent back), until a count, a deadline or a signal. `listen` also
//! answers, as a listening nc does: each line of stdin goes to the last sender (or to
//! `--reply-to`) as one datagram.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use wxudp::{Event, Events, Method, SocketType, UdpSocket};

use crate::console;
use crate::hints;
use crate::input::{self, Line};
use crate::output::{self, Format};
use crate::printer::{Printer, Stopped};
use crate::signals::Signals;
use crate::status::{self, Ending, Failure};
use crate::target::{
    parse_count, parse_ip, parse_listen_port, parse_peer, parse_reply_to, parse_seconds, PeerFilter,
};

/// Arguments of `wxudp listen` and `wxudp echo`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 picks a free port (the bound address is printed on stderr).
    #[arg(value_name = "PORT", value_parser = parse_listen_port, required_unless_present = "port_flag")]
    port: Option<u16>,
    /// The port, netcat style (`nc -l -p PORT`), instead of PORT.
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = parse_listen_port, conflicts_with = "port")]
    port_flag: Option<u16>,
    /// Listen on this local address only (default: every IPv4 and IPv6 address).
    #[arg(short = 's', long, visible_alias = "source", value_name = "ADDR", value_parser = parse_ip)]
    bind: Option<IpAddr>,
    /// IPv4 only (a udp4 socket on 0.0.0.0).
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    ipv4: bool,
    /// IPv6 only: a udp6 socket on [::]; datagrams from IPv4 senders are ignored.
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
    /// Exit after N datagrams (exit status 124 if --timeout or --idle comes first).
    #[arg(short = 'c', long, value_name = "N", value_parser = parse_count)]
    count: Option<u64>,
    /// Exit after SECONDS (fractions such as 0.5 are fine).
    #[arg(short = 'w', long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Exit after SECONDS without a datagram.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    idle: Option<Duration>,
    /// Only datagrams from ADDR (and PORT, if given: [::1]:PORT for IPv6); the others
    /// are ignored, and counted in the summary.
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = parse_peer)]
    from: Option<PeerFilter>,
    /// How to print each datagram.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// listen: lines of stdin go to ADDR:PORT (default: to whoever sent the last
    /// datagram).
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_reply_to)]
    reply_to: Option<SocketAddr>,
    /// listen: end each line sent back with \r\n (netcat's -C).
    #[arg(short = 'C', long)]
    crlf: bool,
    /// No notes on stderr (the address listened on, the summary); errors are still
    /// printed.
    #[arg(short = 'q', long)]
    quiet: bool,
}

/// `listen` prints; `echo` also sends each datagram back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Listen,
    Echo,
}

/// `wxudp listen`.
pub async fn listen(args: ServeArgs) -> Result<Ending, Failure> {
    serve(args, Mode::Listen).await
}

/// `wxudp echo`.
pub async fn echo(args: ServeArgs) -> Result<Ending, Failure> {
    serve(args, Mode::Echo).await
}

/// How long `echo --count` waits, once the count is echoed, for those datagrams' lines.
const CATCH_UP: Duration = Duration::from_secs(1);

/// `echo`'s listener: answers each datagram with itself on the thread that received
/// it, up to `--count`, from the senders `--from` accepts.
#[derive(Default)]
struct Echoer {
    from: Option<PeerFilter>,
    ipv6_only: bool,
    limit: Option<u64>,
    /// Datagrams taken (echoed or not), for the limit.
    taken: AtomicU64,
    /// Datagrams answered (echoed, or found not echoable), and a wake-up for the loop
    /// that counts them against `--count` after each.
    done: AtomicU64,
    answered: tokio::sync::Notify,
    echoed: AtomicU64,
    bytes: AtomicU64,
    not_echoed: AtomicU64,
}

impl Echoer {
    fn answer(&self, sock: &UdpSocket, msg: &wxudp::Message) {
        let accepted = self.from.as_ref().is_none_or(|f| f.accepts(msg.remote))
            && !(self.ipv6_only && output::unmapped(msg.remote).is_ipv4());
        if !accepted {
            return;
        }
        if self
            .limit
            .is_some_and(|n| self.taken.fetch_add(1, Ordering::Relaxed) >= n)
        {
            return;
        }
        // A datagram that claims to come from this very socket (spoofed) would be echoed
        // to itself for ever: it is not answered. A reply that cannot go out (a spoofed
        // sender, port 0, no route back) is reported and the echo goes on.
        let refused = if output::unmapped(msg.remote) == output::unmapped(msg.local) {
            Some("it claims to come from this socket".to_owned())
        } else {
            sock.send_to(&msg.data, msg.remote)
                .err()
                .map(|e| e.to_string())
        };
        match refused {
            Some(why) => {
                console::note(format!(
                    "cannot echo to {}: {why}",
                    output::unmapped(msg.remote)
                ));
                self.not_echoed.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                self.echoed.fetch_add(1, Ordering::Relaxed);
                self.bytes.fetch_add(msg.size() as u64, Ordering::Relaxed);
            }
        }
        self.done.fetch_add(1, Ordering::Release);
        self.answered.notify_one();
    }
}

/// What a `listen` or `echo` saw, for its summary.
#[derive(Debug, Default)]
struct Tally {
    datagrams: u64,
    bytes: u64,
    ignored: u64,
    not_echoed: u64,
    /// Lines of stdin sent (listen), and their bytes.
    answers: u64,
    answer_bytes: u64,
}

async fn serve(args: ServeArgs, mode: Mode) -> Result<Ending, Failure> {
    let mut signals = Signals::install().map_err(Failure::runtime)?;
    let port = args.port.or(args.port_flag).unwrap_or(0);
    match args.bind {
        Some(ip) if args.ipv4 && ip.is_ipv6() => {
            return Err(Failure::Usage(format!(
                "-4 (IPv4 only) with the IPv6 address {ip}"
            )))
        }
        Some(ip) if args.ipv6 && ip.is_ipv4() => {
            return Err(Failure::Usage(format!(
                "-6 (IPv6 only) with the IPv4 address {ip}"
            )))
        }
        _ => {}
    }
    if mode == Mode::Echo && (args.reply_to.is_some() || args.crlf) {
        return Err(Failure::Usage(
            "--reply-to and -C/--crlf are for listen (its lines of stdin); echo answers each \
             datagram with itself"
                .into(),
        ));
    }
    // echo answers on the thread that received the datagram, in the listener, before
    // and whatever the printing does: a slow stdout costs printed lines, never echoes.
    let echo = Arc::new(Echoer {
        from: args.from,
        ipv6_only: args.ipv6,
        limit: args.count,
        ..Echoer::default()
    });
    let setup = |sock: &UdpSocket| {
        if mode == Mode::Echo {
            let echo = echo.clone();
            let weak = sock.downgrade();
            sock.on_message(move |msg| {
                if let Some(sock) = weak.upgrade() {
                    echo.answer(&sock, msg);
                }
            });
        }
    };
    let (sock, mut events) = open(args.bind, port, args.ipv4, args.ipv6, &setup)?;
    // Lines typed (or piped) go back; an empty or closed stdin reads as its end at once.
    let mut lines = match mode {
        Mode::Listen if reads_stdin() => input::lines().ok(),
        _ => None,
    };
    let mut last_peer: Option<SocketAddr> = None;
    if !args.quiet {
        if let Some(local) = sock.local_addr() {
            console::note(format!(
                "listening on {local} ({})",
                sock.socket_type().name()
            ));
        }
    }
    let mut printer = Printer::start().map_err(Failure::runtime)?;
    let started = Instant::now();
    let deadline = args.timeout.map(|t| started + t);
    let mut quiet_until = args.idle.map(|t| started + t);
    let mut tally = Tally::default();
    let mut catch_up: Option<Instant> = None;
    let ending = loop {
        // echo counts what its listener answered; the printing may lag behind it (or
        // run ahead): once the count is answered, the lines of those datagrams get a
        // moment to be printed too (a flood may have dropped some: not for ever).
        if let Some(n) = args.count {
            if tally.datagrams >= n {
                if mode == Mode::Listen || echo.done.load(Ordering::Acquire) >= n {
                    break Ending::Done;
                }
            } else if mode == Mode::Echo && echo.done.load(Ordering::Acquire) >= n {
                let until = *catch_up.get_or_insert_with(|| Instant::now() + CATCH_UP);
                if Instant::now() >= until {
                    break Ending::Done;
                }
            }
        }
        let next_deadline = [deadline, quiet_until, catch_up]
            .into_iter()
            .flatten()
            .min();
        tokio::select! {
            biased;
            caught = signals.recv() => break Ending::Signal(caught),
            // An echo answered: the count is checked again.
            () = echo.answered.notified(), if mode == Mode::Echo => {}
            why = printer.failure() => match why {
                Stopped::ReaderGone => break Ending::Done,
                Stopped::Failed(why) => {
                    close(&sock);
                    return Err(Failure::runtime(why));
                }
            },
            () = sleep_until(next_deadline) => {
                if catch_up.is_some_and(|t| Instant::now() >= t) {
                    break Ending::Done;
                }
                break if args.count.is_some() { Ending::TimedOut } else { Ending::Done };
            }
            line = next_line(&mut lines) => match line {
                Some(line) => answer(&sock, line, args.reply_to.or(last_peer), args.crlf, &mut tally),
                // End of input (or no stdin): listening goes on.
                None => lines = None,
            },
            event = events.recv() => match event {
                Some(Event::Message(msg)) => {
                    let accepted = args.from.is_none_or(|f| f.accepts(msg.remote))
                        && !(args.ipv6 && output::unmapped(msg.remote).is_ipv4());
                    if !accepted {
                        tally.ignored += 1;
                        continue;
                    }
                    quiet_until = args.idle.map(|t| Instant::now() + t);
                    last_peer = Some(msg.remote);
                    tally.datagrams += 1;
                    tally.bytes += msg.size() as u64;
                    let bytes = output::render(&msg, args.format, SystemTime::now());
                    tokio::select! {
                        biased;
                        caught = signals.recv() => break Ending::Signal(caught),
                        printed = printer.print(bytes) => match printed {
                            Ok(()) => {}
                            // Nobody reads any more (`| head -1`): a quiet end.
                            Err(Stopped::ReaderGone) => break Ending::Done,
                            Err(Stopped::Failed(why)) => {
                                close(&sock);
                                return Err(Failure::runtime(why));
                            }
                        },
                    }
                }
                // Errors of calls were returned to their caller; the others (an ICMP
                // error reported on the receive path) are printed here.
                Some(Event::Error(e)) if e.method() == Method::Receive => console::note(&e),
                Some(_) => {}
                None => {
                    close(&sock);
                    return Err(Failure::runtime("the socket closed unexpectedly"));
                }
            },
        }
    };
    let elapsed = started.elapsed();
    if mode == Mode::Echo {
        // What was echoed, whatever was printed.
        tally.datagrams = echo.echoed.load(Ordering::Relaxed);
        tally.bytes = echo.bytes.load(Ordering::Relaxed);
        tally.not_echoed = echo.not_echoed.load(Ordering::Relaxed);
    }
    let stats = sock.stats();
    let dropped = events.dropped() + stats.dropped + stats.kernel_dropped;
    close(&sock);
    // Everything printed reaches stdout before the summary; after a signal, stdout gets
    // a moment (it may be a pipe nobody reads) and a second signal ends the wait.
    let finished = match ending {
        Ending::Signal(_) => tokio::select! {
            finished = printer.finish() => finished,
            _ = signals.recv() => Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => Ok(()),
        },
        _ => tokio::select! {
            finished = printer.finish() => finished,
            caught = signals.recv() => return Ok(Ending::Signal(caught)),
        },
    };
    finished.map_err(Failure::runtime)?;
    if !args.quiet {
        console::note(summary(mode, &tally, args.count, elapsed, dropped, ending));
    }
    Ok(ending)
}

/// `received 3 datagrams (42 bytes) in 1.52 s (2.0/s); ignored 1 from other senders`.
fn summary(
    mode: Mode,
    tally: &Tally,
    count: Option<u64>,
    elapsed: Duration,
    dropped: u64,
    ending: Ending,
) -> String {
    let verb = match mode {
        Mode::Listen => "received",
        Mode::Echo => "echoed",
    };
    let counted = match count {
        Some(n) if tally.datagrams < n => format!(
            "{} of {}",
            tally.datagrams,
            status::plural(n, "datagram", "datagrams")
        ),
        _ => status::plural(tally.datagrams, "datagram", "datagrams"),
    };
    let mut line = format!(
        "{}{verb} {counted} ({}) in {}{}",
        ending.prefix(),
        status::plural(tally.bytes, "byte", "bytes"),
        status::duration(elapsed),
        status::rate(tally.datagrams, elapsed),
    );
    if tally.answers > 0 {
        line.push_str(&format!(
            "; sent {} ({})",
            status::plural(tally.answers, "line", "lines"),
            status::plural(tally.answer_bytes, "byte", "bytes")
        ));
    }
    if tally.not_echoed > 0 {
        line.push_str(&format!("; {} could not be echoed", tally.not_echoed));
    }
    if tally.ignored > 0 {
        line.push_str(&format!("; ignored {} from other senders", tally.ignored));
    }
    if dropped > 0 {
        line.push_str(&format!(
            "; {} dropped (they came faster than they were printed)",
            dropped
        ));
    }
    line
}

/// Whether `listen` reads lines to send from stdin: unless stdin is the terminal of a
/// background job (reading it would stop the job with SIGTTIN).
fn reads_stdin() -> bool {
    let stdin = std::io::stdin();
    if !std::io::IsTerminal::is_terminal(&stdin) {
        return true;
    }
    nix::unistd::tcgetpgrp(&stdin).is_ok_and(|fg| fg == nix::unistd::getpgrp())
}

/// The next line of stdin; never while there is none to read.
async fn next_line(lines: &mut Option<tokio::sync::mpsc::Receiver<Line>>) -> Option<Line> {
    match lines {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends one line of stdin (without its line ending; `crlf` adds \r\n) to `peer`; a line
/// that cannot go is told on stderr and listening goes on.
fn answer(sock: &UdpSocket, line: Line, peer: Option<SocketAddr>, crlf: bool, tally: &mut Tally) {
    let (number, mut payload) = match line {
        Line::Text(number, text) => (number, text),
        Line::TooLong(number) => {
            console::note(format!(
                "line {number} is longer than {} bytes: not sent",
                input::MAX_LINE
            ));
            return;
        }
        Line::Failed(why) => {
            console::note(why);
            return;
        }
    };
    let Some(peer) = peer else {
        console::note(format!(
            "line {number} not sent: no datagram came yet to answer (--reply-to ADDR:PORT \
             names where lines go)"
        ));
        return;
    };
    if crlf {
        payload.extend_from_slice(b"\r\n");
    }
    let max = sock.socket_type().max_payload();
    if payload.len() > max {
        console::note(format!(
            "line {number} is {} bytes, more than a datagram carries ({max}): not sent",
            payload.len()
        ));
        return;
    }
    match sock.send_to(&payload, peer) {
        Ok(()) => {
            tally.answers += 1;
            tally.answer_bytes += payload.len() as u64;
        }
        Err(e) => console::note(format!(
            "line {number} not sent to {}: {}",
            output::unmapped(peer),
            crate::target::strip_method(&e.to_string())
        )),
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Binds a socket: dual-stack udp6 on every address unless `bind` names one or -4/-6
/// says otherwise (udp4 where IPv6 is not available).
fn open(
    bind: Option<IpAddr>,
    port: u16,
    ipv4: bool,
    ipv6: bool,
    setup: &dyn Fn(&UdpSocket),
) -> Result<(UdpSocket, Events), Failure> {
    let attempt = |addr: SocketAddr| -> Result<(UdpSocket, Events), Failure> {
        let ty = if addr.is_ipv6() {
            SocketType::Udp6
        } else {
            SocketType::Udp4
        };
        let sock = UdpSocket::new(ty)
            .map_err(|e| Failure::runtime(format!("cannot create a socket: {e}")))?;
        let events = sock.events();
        setup(&sock);
        let bound = if addr.ip().is_unspecified() {
            sock.bind(port)
        } else {
            sock.bind_addr(addr)
        };
        match bound {
            Ok(_) => Ok((sock, events)),
            Err(e) => Err(hints::bind_failed(&e, addr, "listen on")),
        }
    };
    let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port);
    let v6 = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port);
    match bind {
        Some(ip) => attempt(SocketAddr::new(ip, port)),
        None if ipv4 => attempt(v4),
        None if ipv6 => attempt(v6),
        None => match attempt(v6) {
            // EAFNOSUPPORT: this host has no IPv6.
            Err(_) if !ipv6_available() => attempt(v4),
            other => other,
        },
    }
}

/// Whether this host can open an IPv6 socket.
fn ipv6_available() -> bool {
    std::net::UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

fn close(sock: &UdpSocket) {
    // close() cannot fail; a flush failure would be an error event nobody reads after
    // this point, and listen/echo send nothing of their own but replies.
    let _ = sock.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let tally = Tally {
            datagrams: 3,
            bytes: 42,
            ignored: 2,
            ..Tally::default()
        };
        assert_eq!(
            summary(
                Mode::Listen,
                &tally,
                None,
                Duration::from_millis(1520),
                0,
                Ending::Done
            ),
            "received 3 datagrams (42 bytes) in 1.52 s (2.0/s); ignored 2 from other senders"
        );
        let one = Tally {
            datagrams: 1,
            bytes: 1,
            ..Tally::default()
        };
        assert_eq!(
            summary(Mode::Echo, &one, Some(3), Duration::from_secs(5), 4, Ending::TimedOut),
            "timed out: echoed 1 of 3 datagrams (1 byte) in 5.00 s; 4 dropped (they came faster than they were printed)"
        );
        assert_eq!(
            summary(
                Mode::Listen,
                &Tally::default(),
                None,
                Duration::from_micros(3),
                0,
                Ending::Signal(crate::signals::Caught::Interrupt)
            ),
            "interrupted: received 0 datagrams (0 bytes) in 3 µs"
        );
    }
}
