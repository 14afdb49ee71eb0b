//! A simulated engine around the state machine, for the property tests: it carries out
//! each plan as the engine does (open, the kernel at once, or the outbox; the outbox's
//! flush task; the flush of `close()`), with what the OS answers drawn by the test
//! instead of asked of a socket. It records what it handed to the "kernel" and every
//! event, step by step.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{Flush, NextOp, Phase, SendPlan, SocketState, Target};
use crate::error::{Error, Method};
use crate::event::{Event, Message};
use crate::limits::Limits;
use crate::options::{SendOptions, SocketType};
use crate::policy::Policy;

/// What the OS answers to one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Os {
    /// It is done.
    Ok,
    /// The kernel has no room now (a send); anything else takes it as done.
    WouldBlock,
    /// It fails: the port is in use (open), not permitted (send, TTL), refused
    /// (connect), not found (a host name).
    Fail,
}

/// The OS error of a failure of `method`.
fn os_error(method: Method) -> io::Error {
    io::Error::from_raw_os_error(match method {
        Method::Bind => 98,     // EADDRINUSE
        Method::Connect => 111, // ECONNREFUSED
        Method::SetTtl => 22,   // EINVAL
        _ => 1,                 // EPERM
    })
}

/// The only host name the simulated resolver knows, allowed by the old policy.
pub(super) const HOST: &str = "device.local";

/// The flush task of the outbox, as the engine runs it.
#[derive(Debug, Default)]
enum Task {
    /// None runs.
    #[default]
    Idle,
    /// One runs, between two operations (`None`) or on one it took from the outbox.
    Running(Option<NextOp>),
}

/// The engine, simulated.
#[derive(Debug)]
pub(super) struct Sim {
    pub(super) machine: SocketState,
    pub(super) send_buffer: usize,
    own_subnet: Option<IpAddr>,
    task: Task,
    /// Between `close()` and the end of its flush.
    pub(super) closing: Option<Flush>,
    /// The ids of the datagrams handed to the kernel, in order.
    pub(super) kernel: Vec<u64>,
    /// The ids of the datagrams the calls accepted, in order.
    pub(super) accepted: Vec<u64>,
    next_id: u64,
    /// Every event, in the order the engine would deliver them.
    pub(super) log: Vec<Event>,
    /// Whether the OS socket was ever opened.
    pub(super) opened: bool,
}

impl Sim {
    pub(super) fn new(ty: SocketType, old_policy: bool, send_buffer: usize) -> Self {
        let policy = if old_policy {
            Policy::same_subnet([HOST])
        } else {
            Policy::Any
        };
        let limits = Limits::default().with_send_buffer(send_buffer);
        Sim {
            machine: SocketState::new(ty, policy, &limits),
            send_buffer,
            // Under the old policy, 127.0.0.2 is a neighbour; 127.0.0.1 is the host.
            own_subnet: old_policy.then(|| IpAddr::from([127, 0, 0, 2])),
            task: Task::Idle,
            closing: None,
            kernel: Vec::new(),
            accepted: Vec::new(),
            next_id: 0,
            log: Vec::new(),
            opened: false,
        }
    }

    /// The events the last step queued, now taken into the log.
    pub(super) fn take_events(&mut self) -> Vec<Event> {
        let mut events = VecDeque::new();
        self.machine.swap_events(&mut events);
        let events: Vec<Event> = events.into();
        self.log.extend(events.iter().cloned());
        events
    }

    /// A datagram of `len` bytes (at least 8) tagged with a new id.
    pub(super) fn datagram(&mut self, len: usize) -> (u64, Vec<u8>) {
        let id = self.next_id;
        self.next_id += 1;
        let mut data = vec![0xa5; len.max(8)];
        data[..8].copy_from_slice(&id.to_le_bytes());
        (id, data)
    }

    /// One call of a front end, as `Engine::invoke` runs it: a closed socket first, and
    /// a failure reported once.
    pub(super) fn invoke<T>(
        &mut self,
        method: Method,
        call: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = if self.machine.phase() == Phase::Closed {
            Err(Error::Closed { method })
        } else {
            call(self)
        };
        if let Err(e) = &result {
            self.machine.report(e.clone());
        }
        result
    }

    fn subnet(&self) -> impl Fn(IpAddr) -> bool {
        let own = self.own_subnet;
        move |ip| Some(ip) == own
    }

    /// Opens the OS socket at `addr`, as the engine's `open`.
    fn open(&mut self, addr: SocketAddr, method: Method, os: Os) -> Result<u16, Error> {
        if os == Os::Fail {
            return Err(Error::os(method, os_error(Method::Bind)));
        }
        let port = if addr.port() == 0 { 40000 } else { addr.port() };
        self.machine.opened(SocketAddr::new(addr.ip(), port));
        self.opened = true;
        Ok(port)
    }

    pub(super) fn bind(&mut self, port: u16, os: Os) -> Result<u16, Error> {
        let addr = self.machine.bind(port)?;
        self.open(addr, Method::Bind, os)
    }

    pub(super) fn send(
        &mut self,
        method: Method,
        options: &SendOptions<'_>,
        open: Os,
        os: Os,
    ) -> Result<(), Error> {
        let subnet = self.subnet();
        let plan = self.machine.send(method, options, &subnet)?;
        self.transmit(method, plan, open, os)
    }

    pub(super) fn send_to(
        &mut self,
        data: &[u8],
        addr: SocketAddr,
        open: Os,
        os: Os,
    ) -> Result<(), Error> {
        let subnet = self.subnet();
        let plan = self.machine.send_to(Method::Send, data, addr, &subnet)?;
        self.transmit(Method::Send, plan, open, os)
    }

    /// Carries out a send the state machine planned, as the engine's `transmit`: the
    /// implicit bind answered by `open`, the kernel's answer `os` if it goes at once.
    fn transmit(
        &mut self,
        method: Method,
        plan: SendPlan<'_>,
        open: Os,
        os: Os,
    ) -> Result<(), Error> {
        if let Some(addr) = plan.open {
            self.open(addr, method, open)?;
        }
        if let (Target::Addr(_), true) = (&plan.target, plan.direct) {
            match os {
                Os::Ok => {
                    self.kernel.push(id(plan.data));
                    return Ok(());
                }
                Os::WouldBlock => {}
                Os::Fail => return Err(Error::os(method, os_error(method))),
            }
        }
        self.queue(method, plan.target, Some(plan.data.to_vec()))
    }

    /// Puts an operation in the outbox, starting the flush task if none runs.
    fn queue(
        &mut self,
        method: Method,
        target: Target,
        data: Option<Vec<u8>>,
    ) -> Result<(), Error> {
        let start = self.machine.queue(method, target, data)?;
        assert_eq!(
            start,
            matches!(self.task, Task::Idle),
            "a flush task starts exactly when none runs"
        );
        if start {
            self.task = Task::Running(None);
        }
        Ok(())
    }

    pub(super) fn connect(
        &mut self,
        address: &str,
        port: u16,
        open: Os,
        os: Os,
    ) -> Result<(), Error> {
        let subnet = self.subnet();
        let plan = self.machine.connect(address, port, &subnet)?;
        if let Some(addr) = plan.open {
            self.open(addr, Method::Connect, open)?;
        }
        match plan.target {
            Target::Addr(addr) if plan.direct => match os {
                Os::Fail => Err(Error::os(Method::Connect, os_error(Method::Connect))),
                Os::Ok | Os::WouldBlock => {
                    self.machine.connected(addr);
                    Ok(())
                }
            },
            target => self.queue(Method::Connect, target, None),
        }
    }

    pub(super) fn set_ttl(&mut self, ttl: u32, os: Os) -> Result<(), Error> {
        match self.machine.set_ttl(ttl)? {
            Some(_) if os == Os::Fail => Err(Error::os(Method::SetTtl, os_error(Method::SetTtl))),
            _ => Ok(()),
        }
    }

    /// A datagram arrives from a peer.
    pub(super) fn receive(&mut self) {
        let local = self
            .machine
            .local()
            .unwrap_or(SocketAddr::from(([0; 4], 1)));
        let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, 5000));
        self.machine
            .received(Message::new(vec![1, 2, 3], remote, local));
    }

    /// `close()` begins: the state says closed, the flush is left to do.
    pub(super) fn begin_close(&mut self) {
        if let Some(flush) = self.machine.close() {
            self.closing = Some(flush);
        }
    }

    /// The flush of `close()` with what the kernel answers to each datagram: no room
    /// (`WouldBlock`) ends it with the rest unsent, as the deadline does. Returns how
    /// many were left unsent.
    pub(super) fn end_close(&mut self, answers: &[Os]) -> Option<usize> {
        let flush = self.closing.take()?;
        let mut errors = Vec::new();
        let mut answers = answers.iter().copied().chain(std::iter::repeat(Os::Ok));
        let mut datagrams = flush.datagrams.into_iter();
        let mut unsent = 0;
        for (method, _, data) in datagrams.by_ref() {
            match answers.next() {
                Some(Os::Ok) | None => self.kernel.push(id(&data)),
                Some(Os::Fail) => errors.push(Error::os(method, os_error(method))),
                Some(Os::WouldBlock) => {
                    unsent = 1;
                    break;
                }
            }
        }
        unsent += datagrams.count();
        self.machine.finish_close(errors, unsent);
        Some(unsent)
    }

    /// The flush task takes the next operation of the outbox (and ends when there is
    /// none).
    pub(super) fn flush_next(&mut self) {
        if let Task::Running(None) = self.task {
            self.task = match self.machine.next_op() {
                None => Task::Idle,
                op => Task::Running(op),
            };
        }
    }

    /// The operation the flush task holds completes with what the OS answers (a lookup,
    /// a send, a connect), as the engine's `flush` and `poll_transmit`.
    pub(super) fn flush_complete(&mut self, os: Os) {
        let Task::Running(Some(op)) = &self.task else {
            return;
        };
        match op.clone() {
            NextOp::Resolve {
                seq,
                method,
                host,
                port,
            } => {
                let result = match os {
                    Os::Fail => Err(Error::InvalidAddress {
                        method,
                        reason: format!("cannot resolve {host}: not found"),
                    }),
                    Os::Ok | Os::WouldBlock => {
                        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                        self.machine.adapt(method, addr)
                    }
                };
                self.machine.resolved(seq, result);
            }
            NextOp::Transmit { seq, .. } => {
                // Closed: `close()` took the outbox, and the task finds no socket.
                if self.machine.phase() != Phase::Closed {
                    let data = self.machine.front_data(seq).map(<[u8]>::to_vec);
                    let result = match (os, &data) {
                        // No room: the task waits, holding the same operation.
                        (Os::WouldBlock, Some(_)) => return,
                        (Os::Fail, Some(_)) => Err(os_error(Method::Send)),
                        (Os::Fail, None) => Err(os_error(Method::Connect)),
                        (Os::Ok | Os::WouldBlock, _) => Ok(()),
                    };
                    if let (Ok(()), Some(data)) = (&result, &data) {
                        self.kernel.push(id(data));
                    }
                    self.machine.transmitted(seq, result);
                }
            }
        }
        self.task = Task::Running(None);
    }
}

/// The id a datagram of [`Sim::datagram`] carries.
pub(super) fn id(data: &[u8]) -> u64 {
    let mut tag = [0u8; 8];
    tag.copy_from_slice(&data[..8]);
    u64::from_le_bytes(tag)
}
