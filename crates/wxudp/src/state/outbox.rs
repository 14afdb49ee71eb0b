//! The outbox of a socket: the operations that could not be done at once (sends to host
//! names, sends the kernel would have blocked on, connects waiting behind them), in call
//! order, bounded in bytes.

use std::net::SocketAddr;

use crate::error::{Error, Method};

use super::{SocketState, Target, OP_OVERHEAD};

/// One operation waiting in the outbox.
#[derive(Debug)]
pub(crate) struct Op {
    pub(super) seq: u64,
    pub(super) method: Method,
    pub(super) target: Target,
    /// The datagram; `None` for a `connect`.
    pub(super) data: Option<Vec<u8>>,
}

impl Op {
    fn cost(&self) -> usize {
        OP_OVERHEAD + self.data.as_ref().map_or(0, Vec::len)
    }
}

/// The next thing the outbox's flush task must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NextOp {
    /// Resolve the front operation's host name.
    Resolve {
        /// Identifies the operation in [`SocketState::resolved`].
        seq: u64,
        /// The method that queued it.
        method: Method,
        /// The host name.
        host: String,
        /// The port.
        port: u16,
    },
    /// Send the front datagram (or connect, for a `connect`) to `addr`.
    Transmit {
        /// Identifies the operation in [`SocketState::transmitted`].
        seq: u64,
        /// Where to.
        addr: SocketAddr,
    },
}

impl SocketState {
    /// Puts an operation at the end of the outbox; returns whether a flush task must be
    /// started (none is running).
    ///
    /// # Errors
    /// [`Error::QueueFull`] (-2) when the outbox would exceed the send budget.
    pub(crate) fn queue(
        &mut self,
        method: Method,
        target: Target,
        data: Option<Vec<u8>>,
    ) -> Result<bool, Error> {
        let op = Op {
            seq: self.next_seq,
            method,
            target,
            data,
        };
        if self.outbox_bytes + op.cost() > self.send_buffer {
            return Err(Error::QueueFull { method });
        }
        self.next_seq += 1;
        self.outbox_bytes += op.cost();
        self.outbox.push_back(op);
        let start = !self.flushing;
        self.flushing = true;
        Ok(start)
    }

    /// What the flush task must do next; `None` (and the task ends) when the outbox is
    /// empty.
    pub(crate) fn next_op(&mut self) -> Option<NextOp> {
        let Some(op) = self.outbox.front() else {
            self.flushing = false;
            return None;
        };
        Some(match &op.target {
            Target::Host(host, port) => NextOp::Resolve {
                seq: op.seq,
                method: op.method,
                host: host.clone(),
                port: *port,
            },
            Target::Addr(addr) => NextOp::Transmit {
                seq: op.seq,
                addr: *addr,
            },
        })
    }

    /// The bytes of the front operation `seq`, if it is still there and is a datagram.
    pub(crate) fn front_data(&self, seq: u64) -> Option<&[u8]> {
        self.outbox
            .front()
            .filter(|op| op.seq == seq)
            .and_then(|op| op.data.as_deref())
    }

    /// The host name of operation `seq` resolved (or not). Ignored if `close()` took the
    /// operation meanwhile.
    pub(crate) fn resolved(&mut self, seq: u64, result: Result<SocketAddr, Error>) {
        let Some(op) = self.outbox.front_mut().filter(|op| op.seq == seq) else {
            return;
        };
        match result {
            Ok(addr) => op.target = Target::Addr(addr),
            Err(e) => {
                self.pop_front();
                self.report(e);
            }
        }
    }

    /// The front operation `seq` was handed to the kernel (a datagram) or took effect (a
    /// connect), or failed with the OS error `result`.
    pub(crate) fn transmitted(&mut self, seq: u64, result: std::io::Result<()>) {
        if self.outbox.front().is_none_or(|op| op.seq != seq) {
            return;
        }
        let Some(op) = self.pop_front() else {
            return;
        };
        match (result, &op.target, &op.data) {
            (Ok(()), Target::Addr(addr), None) => self.peer = Some(*addr),
            (Ok(()), ..) => {}
            (Err(e), ..) => {
                self.report(Error::os(op.method, e));
            }
        }
    }

    fn pop_front(&mut self) -> Option<Op> {
        let op = self.outbox.pop_front()?;
        self.outbox_bytes -= op.cost();
        Some(op)
    }
}
