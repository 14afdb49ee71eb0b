//! What a send sent and received, and the summary line that says so.

use tokio::time::Instant;

use super::session::Session;
use crate::status::{self, Ending};

/// What was sent and received, for the summary.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) sent: u64,
    bytes: u64,
    /// The size of every datagram, if they were all the same.
    size: Option<usize>,
    mixed_sizes: bool,
    first: Option<Instant>,
    pub(super) last: Option<Instant>,
    pub(super) replies: u64,
    pub(super) reply_bytes: u64,
}

impl Tally {
    /// Counts a datagram of `size` bytes handed to the socket.
    pub(super) fn sent(&mut self, size: usize) {
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

/// `sent 1 datagram of 18 bytes to 127.0.0.1:9000`, with the time and rate of several,
/// and the replies when they were waited for.
pub(super) fn summary(session: &Session, count: u64, ending: Ending, repeated: bool) -> String {
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
