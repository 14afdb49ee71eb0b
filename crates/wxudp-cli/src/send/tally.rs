//! What a send sent and received.

use tokio::time::Instant;

/// What was sent and received, for the summary.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) sent: u64,
    pub(super) bytes: u64,
    /// The size of every datagram, if they were all the same.
    pub(super) size: Option<usize>,
    mixed_sizes: bool,
    pub(super) first: Option<Instant>,
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
