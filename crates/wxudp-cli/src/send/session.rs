//! A running send: its socket, the replies printed as they arrive, signals, and how it
//! closes.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use wxudp::{Event, Events, Method, SendOptions, UdpSocket};

use super::tally::Tally;
use crate::console;
use crate::hints;
use crate::output::{self, Format};
use crate::printer::{Printer, Stopped};
use crate::signals::{Caught, Signals};
use crate::status::{self, Ending, Failure};

/// Everything a running send needs at hand.
pub(super) struct Session {
    pub(super) sock: UdpSocket,
    pub(super) events: Events,
    pub(super) printer: Printer,
    pub(super) signals: Signals,
    pub(super) dest: SocketAddr,
    pub(super) address: String,
    pub(super) broadcast: bool,
    pub(super) show_replies: bool,
    pub(super) replies_wanted: Option<u64>,
    pub(super) format: Format,
    pub(super) tally: Tally,
    /// `send` calls refused with a full queue and waited out: each is an `error` event
    /// too, which is no failure.
    pub(super) waited_out: u64,
    /// ICMP "port unreachable" answers (ECONNREFUSED on the connected socket).
    pub(super) refusals: u64,
    /// Whether everything was sent: a refusal now means no reply is coming.
    pub(super) sending_done: bool,
}

/// Why a loop of the session stopped early.
pub(super) enum Stop {
    Signal(Caught),
    Failed(Failure),
    /// `--replies` replies came.
    Replied,
    /// The destination refused (ICMP port unreachable) after the last datagram: no
    /// reply is coming.
    Refused,
    /// Stdout's reader went away (`| head -1`): a quiet end.
    ReaderGone,
}

impl From<Stopped> for Stop {
    fn from(s: Stopped) -> Stop {
        match s {
            Stopped::ReaderGone => Stop::ReaderGone,
            Stopped::Failed(why) => Stop::Failed(Failure::runtime(why)),
        }
    }
}

/// Whether `e` is an ICMP "port unreachable" (ECONNREFUSED), however it was reported: on
/// the receive path, or by the next send of the connected socket.
pub(super) fn is_refusal(e: &wxudp::Error) -> bool {
    e.os_error()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

impl Session {
    pub(super) fn enough_replies(&self) -> bool {
        self.replies_wanted.is_some_and(|n| self.tally.replies >= n)
    }

    /// How a send that stopped without a failure or signal ends: done, unless fewer than
    /// `--replies` replies came (refused, when the destination said nothing listens).
    pub(super) fn ending(&self) -> Ending {
        if self.enough_replies() || self.replies_wanted.is_none() {
            Ending::Done
        } else if self.refusals > 0 {
            Ending::Refused
        } else {
            Ending::TimedOut
        }
    }

    /// `connection refused (ICMP port unreachable from 127.0.0.1:9)`.
    pub(super) fn refusal(&self) -> String {
        format!(
            "connection refused (ICMP port unreachable from {})",
            self.dest
        )
    }

    /// Counts a refusal; the first is told on stderr, unless the end will tell it (replies
    /// are waited for and everything was sent). After the last datagram, a refusal ends
    /// the wait for replies.
    fn refused(&mut self) -> Result<(), Stop> {
        self.refusals += 1;
        if self.refusals == 1 {
            match (self.replies_wanted.is_some(), self.sending_done) {
                (true, true) => {}
                (true, false) => console::note(format!("{}; trying again", self.refusal())),
                (false, _) => console::note(self.refusal()),
            }
        }
        if self.sending_done {
            return Err(Stop::Refused);
        }
        Ok(())
    }

    /// Handles one event of the socket: prints a reply, fails on a send error.
    pub(super) async fn on_event(&mut self, event: Option<Event>) -> Result<(), Stop> {
        match event {
            Some(Event::Message(msg)) => {
                self.tally.replies += 1;
                self.tally.reply_bytes += msg.size() as u64;
                if self.show_replies {
                    let bytes = output::render(&msg, self.format, SystemTime::now());
                    tokio::select! {
                        biased;
                        caught = self.signals.recv() => return Err(Stop::Signal(caught)),
                        printed = self.printer.print(bytes) => printed?,
                    }
                }
                if self.enough_replies() {
                    return Err(Stop::Replied);
                }
                Ok(())
            }
            Some(Event::Error(e)) if is_refusal(&e) => self.refused(),
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
    pub(super) async fn idle(&mut self, until: Instant) -> Result<(), Stop> {
        loop {
            tokio::select! {
                biased;
                caught = self.signals.recv() => return Err(Stop::Signal(caught)),
                why = self.printer.failure() => return Err(why.into()),
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
    pub(super) async fn drain(&mut self) -> Result<(), Stop> {
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
    pub(super) async fn poll_ready(&mut self) -> Result<(), Stop> {
        tokio::select! {
            biased;
            caught = self.signals.recv() => Err(Stop::Signal(caught)),
            event = self.events.recv() => self.on_event(event).await,
            () = std::future::ready(()) => Ok(()),
        }
    }

    /// Sends one datagram; a full send queue is waited out.
    pub(super) async fn send(&mut self, payload: &[u8]) -> Result<(), Stop> {
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
                // An ICMP port unreachable of an earlier datagram, reported by this send
                // (which did not go): the datagram is sent again. The refusal is counted
                // by its `error` event, which every failed call has too.
                Err(e) if is_refusal(&e) => {
                    self.poll_ready().await?;
                }
                Err(e) => return Err(hints::send_failed(&e, self.dest, self.broadcast).into()),
            }
        }
    }

    /// Gives up after `failure`: closes the socket, lets the replies printed so far reach
    /// stdout if it takes them soon, and returns the failure.
    pub(super) async fn abandon(&mut self, failure: Failure) -> Failure {
        let _ = self.sock.close();
        let _ = tokio::time::timeout(Duration::from_secs(1), self.printer.finish()).await;
        failure
    }

    /// Closes the socket and waits for what it still had to send: a failure there is an
    /// error event before `close`. A signal meanwhile ends the wait.
    pub(super) async fn close(&mut self, ending: Ending) -> Result<Ending, Failure> {
        let _ = self.sock.close();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let event = tokio::select! {
                biased;
                caught = self.signals.recv() => return Ok(Ending::Signal(caught)),
                event = tokio::time::timeout_at(deadline, self.events.recv()) => event,
            };
            match event {
                Ok(Some(Event::Error(e))) if is_refusal(&e) => {
                    self.refusals += 1;
                }
                Ok(Some(Event::Error(e)))
                    if e.method() != Method::Receive && !self.waited_out(&e) =>
                {
                    return Err(hints::send_failed(&e, self.dest, self.broadcast));
                }
                Ok(Some(Event::Close) | None) | Err(_) => break,
                Ok(Some(_)) => {}
            }
        }
        let finished = match ending {
            Ending::Signal(_) => tokio::select! {
                finished = self.printer.finish() => finished,
                _ = self.signals.recv() => Ok(()),
                () = tokio::time::sleep(Duration::from_secs(1)) => Ok(()),
            },
            _ => tokio::select! {
                finished = self.printer.finish() => finished,
                caught = self.signals.recv() => return Ok(Ending::Signal(caught)),
            },
        };
        finished.map_err(Failure::runtime)?;
        Ok(ending)
    }
}

impl Session {
    /// `sent 1 datagram of 18 bytes to 127.0.0.1:9000`, with the time and rate of several,
    /// and the replies when they were waited for.
    pub(super) fn summary(&self, count: u64, ending: Ending, repeated: bool) -> String {
        let t = &self.tally;
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
        let mut line = format!("{}sent {sent}{size} to {}", ending.prefix(), self.dest);
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
        if self.show_replies {
            let replies = match self.replies_wanted {
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
        if self.refusals > 0 {
            line.push_str(&format!(
                "; {} refused (ICMP port unreachable)",
                self.refusals
            ));
        }
        line
    }
}
