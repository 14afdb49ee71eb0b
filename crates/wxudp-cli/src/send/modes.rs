//! The two ways of sending: one message N times, or each line of stdin (interactive
//! mode).

use std::time::Duration;

use tokio::time::Instant;

use super::session::{Session, Stop};
use crate::console;
use crate::input::{self, Encoding, Line};
use crate::progress::{self, Bar};
use crate::status::{self, Failure};

/// Sends `payload` `count` times, `interval` apart, with a progress bar when that is long.
pub(super) async fn send_repeatedly(
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

/// Interactive mode: sends each line of stdin until its end; a line that cannot be sent
/// is skipped with a note, and makes the whole a failure at the end.
pub(super) async fn send_lines(
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
            why = session.printer.failure() => return Err(why.into()),
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
        let Some(payload) = datagram_of_line(number, &text, encoding, crlf, max) else {
            skipped += 1;
            continue;
        };
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

/// The datagram of line `number`: decoded, with `\r\n` after it for `crlf`; `None`, with
/// a note saying why, when it is not of the encoding or too long for a datagram.
fn datagram_of_line(
    number: u64,
    text: &[u8],
    encoding: Encoding,
    crlf: bool,
    max: usize,
) -> Option<Vec<u8>> {
    let mut payload = match encoding.decode(text) {
        Ok(payload) => payload,
        Err(e) => {
            console::note(format!("line {number} is {e}: not sent"));
            return None;
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
        return None;
    }
    Some(payload)
}
