//! The state machine of one `UDPSocket`, as plain data: no sockets, no locks, no
//! syscalls, no runtime.
//!
//! Each method takes a call (with its already-typed arguments), applies the rules of the
//! contract (docs/CONTRACT.md) and says what the I/O layer must do next: open an OS
//! socket, hand a datagram to the kernel, queue it in the outbox, connect. Events are
//! queued in the state ([`SocketState::swap_events`]); the engine hands them to its sink
//! after releasing its lock. A call's failure is returned; the engine makes it an
//! `error` event ([`Engine::invoke`](crate::frontend::Engine::invoke)). Failures of no
//! call (a datagram the kernel refused while flushing, a host name that did not
//! resolve) are queued as `error` events here.
//!
//! The outbox holds, in call order, what could not be done at once: sends to host names
//! (resolved in the background), sends the kernel would have blocked on, and connects
//! waiting behind them. Its size is bounded in bytes ([`Limits::send_buffer`]).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{Error, Method};
use crate::event::{Event, Message};
use crate::limits::Limits;
use crate::options::{Destination, SendOptions, SocketType, MAX_PAYLOAD_V4, MAX_PAYLOAD_V6};
use crate::policy::Policy;

mod outbox;

pub(crate) use outbox::NextOp;
use outbox::Op;

/// What each queued operation costs the send budget on top of its payload, so that a
/// flood of empty datagrams or connects is bounded too.
pub(crate) const OP_OVERHEAD: usize = 64;

/// Linux's "message too long": what the kernel would answer for an oversized datagram.
const EMSGSIZE: i32 = 90;

/// Created → Open → Closed; a socket never goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `createUDPSocket` made it; nothing is bound.
    Created,
    /// Bound (explicitly, or implicitly by `send`/`write`/`connect`).
    Open,
    /// `close()` was called.
    Closed,
}

/// Where a datagram or a connect goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An address of the socket's family (IPv4 mapped on udp6).
    Addr(SocketAddr),
    /// A host name still to be resolved, and the port.
    Host(String, u16),
}

/// What the I/O layer does for a `send`/`write` that passed every check.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SendPlan<'a> {
    /// Bind implicitly first, at this (wildcard) address.
    pub(crate) open: Option<SocketAddr>,
    /// Where the datagram goes.
    pub(crate) target: Target,
    /// The bytes of the datagram.
    pub(crate) data: &'a [u8],
    /// Hand it to the kernel now: the outbox is empty and the target is an address.
    /// Otherwise (or if the kernel would block) it joins the outbox with
    /// [`SocketState::queue`].
    pub(crate) direct: bool,
}

/// What the I/O layer does for a `connect` that passed every check.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ConnectPlan {
    /// Bind implicitly first, at this (wildcard) address.
    pub(crate) open: Option<SocketAddr>,
    /// The peer.
    pub(crate) target: Target,
    /// Connect now: the outbox is empty and the target is an address. Otherwise the
    /// connect joins the outbox, so that sends made before it keep their path.
    pub(crate) direct: bool,
}

/// What `close()` leaves for the I/O layer: the datagrams already accepted, in call
/// order, to hand to the kernel before the OS socket is closed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Flush {
    /// `(method, destination, bytes)` of each datagram.
    pub(crate) datagrams: Vec<(Method, SocketAddr, Vec<u8>)>,
    /// The connected peer at the time of close.
    pub(crate) peer: Option<SocketAddr>,
}

/// One socket's state.
#[derive(Debug)]
pub(crate) struct SocketState {
    ty: SocketType,
    policy: Policy,
    send_buffer: usize,
    phase: Phase,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    ttl: Option<u8>,
    outbox: VecDeque<Op>,
    outbox_bytes: usize,
    next_seq: u64,
    flushing: bool,
    events: VecDeque<Event>,
    /// Between [`close`](SocketState::close) and
    /// [`finish_close`](SocketState::finish_close): the flush of `close()` runs.
    closing: bool,
    /// The `error` events of calls made while closing: they follow the `close` event.
    after_close: VecDeque<Event>,
    /// The last IP literal [`target`](SocketState::target) parsed, and its address.
    last_ip: Option<(String, IpAddr)>,
}

impl SocketState {
    /// A new, unbound socket.
    pub(crate) fn new(ty: SocketType, policy: Policy, limits: &Limits) -> Self {
        SocketState {
            ty,
            policy,
            send_buffer: limits.send_buffer,
            phase: Phase::Created,
            local: None,
            peer: None,
            ttl: None,
            outbox: VecDeque::new(),
            outbox_bytes: 0,
            next_seq: 0,
            flushing: false,
            events: VecDeque::new(),
            closing: false,
            after_close: VecDeque::new(),
            last_ip: None,
        }
    }

    /// The phase the socket is in.
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// The bound address, while open.
    pub(crate) fn local(&self) -> Option<SocketAddr> {
        self.local
    }

    /// The connected peer, if a connect has taken effect.
    pub(crate) fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The TTL to apply when the OS socket is opened, if `setTTL` came first.
    pub(crate) fn ttl(&self) -> Option<u8> {
        self.ttl
    }

    /// Bytes the outbox holds, with [`OP_OVERHEAD`] per operation.
    pub(crate) fn outbox_bytes(&self) -> usize {
        self.outbox_bytes
    }

    /// The events queued so far, oldest first; the caller delivers them.
    #[cfg(test)]
    pub(crate) fn take_events(&mut self) -> VecDeque<Event> {
        std::mem::take(&mut self.events)
    }

    /// Takes the events queued so far into `into` (which must be empty), leaving `into`'s
    /// buffer in their place: a delivery loop that hands the same buffer back each time
    /// allocates none.
    pub(crate) fn swap_events(&mut self, into: &mut VecDeque<Event>) {
        debug_assert!(into.is_empty());
        std::mem::swap(&mut self.events, into);
    }

    /// Frees what a closed socket no longer needs: the buffers of its (empty) event
    /// queue and outbox, and the last address parsed.
    pub(crate) fn free_buffers(&mut self) {
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        if self.outbox.is_empty() {
            self.outbox = VecDeque::new();
        }
        self.last_ip = None;
    }

    /// Whether events are waiting to be taken.
    pub(crate) fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Queues `error` as an `error` event and returns it. While the flush of `close()`
    /// runs, the event waits to follow the `close` event.
    pub(crate) fn report(&mut self, error: Error) -> Error {
        let event = Event::Error(error.clone());
        if self.closing {
            self.after_close.push_back(event);
        } else {
            self.events.push_back(event);
        }
        error
    }

    fn wildcard(&self) -> SocketAddr {
        let ip: IpAddr = match self.ty {
            SocketType::Udp4 => Ipv4Addr::UNSPECIFIED.into(),
            SocketType::Udp6 => Ipv6Addr::UNSPECIFIED.into(),
        };
        SocketAddr::new(ip, 0)
    }

    /// `bind(port)`: the address to open, the wildcard on `port`.
    ///
    /// # Errors
    /// Closed or already bound (-1).
    pub(crate) fn bind(&mut self, port: u16) -> Result<SocketAddr, Error> {
        let addr = SocketAddr::new(self.wildcard().ip(), port);
        self.bind_addr(addr)
    }

    /// Binding a specific address: the address to open (IPv4 mapped on udp6).
    ///
    /// # Errors
    /// Closed or already bound (-1), checked first; an IPv6 address on udp4 (1).
    pub(crate) fn bind_addr(&mut self, addr: SocketAddr) -> Result<SocketAddr, Error> {
        match self.phase {
            Phase::Closed => Err(Error::Closed {
                method: Method::Bind,
            }),
            Phase::Open => Err(Error::AlreadyBound),
            Phase::Created => self.adapt(Method::Bind, addr),
        }
    }

    /// The OS socket is bound at `local`: the socket is open and `listening` is queued.
    pub(crate) fn opened(&mut self, local: SocketAddr) {
        self.phase = Phase::Open;
        self.local = Some(local);
        self.events.push_back(Event::Listening);
    }

    /// A datagram arrived: queues its `message` event. Returns false, and queues
    /// nothing, unless the socket is open.
    pub(crate) fn received(&mut self, message: Message) -> bool {
        if self.phase != Phase::Open {
            return false;
        }
        self.events.push_back(Event::Message(message));
        true
    }

    /// `send`/`write`: checks the call and plans it.
    ///
    /// Which failure wins when several apply (docs/CONTRACT.md §4): a closed socket,
    /// then the port, then the byte range, then the address, then the destination
    /// policy, then the family, then the size.
    ///
    /// # Errors
    /// As documented on [`Engine::send`](crate::frontend::Engine::send).
    pub(crate) fn send<'a>(
        &mut self,
        method: Method,
        options: &SendOptions<'a>,
        on_own_subnet: &dyn Fn(IpAddr) -> bool,
    ) -> Result<SendPlan<'a>, Error> {
        self.check_open(method)?;
        crate::options::check_destination_port(method, options.port())?;
        let data = options.bytes(method)?;
        let target = self.target(method, options.address(), options.port(), on_own_subnet)?;
        self.plan(method, target, data)
    }

    /// `send` to an address given as a [`SocketAddr`]: the checks of
    /// [`send`](SocketState::send) without parsing text.
    ///
    /// # Errors
    /// As [`send`](SocketState::send).
    pub(crate) fn send_to<'a>(
        &mut self,
        method: Method,
        data: &'a [u8],
        addr: SocketAddr,
        on_own_subnet: &dyn Fn(IpAddr) -> bool,
    ) -> Result<SendPlan<'a>, Error> {
        self.check_open(method)?;
        crate::options::check_destination_port(method, addr.port())?;
        self.policy
            .check_ip_with(method, addr.ip(), on_own_subnet)?;
        let target = Target::Addr(self.adapt(method, addr)?);
        self.plan(method, target, data)
    }

    /// The plan for a datagram that passed the other checks: its size, then whether it
    /// goes to the kernel now or to the outbox, after an implicit bind if unbound.
    fn plan<'a>(
        &self,
        method: Method,
        target: Target,
        data: &'a [u8],
    ) -> Result<SendPlan<'a>, Error> {
        let max = match &target {
            Target::Addr(addr) if addr.ip().to_canonical().is_ipv6() => MAX_PAYLOAD_V6,
            Target::Addr(_) => MAX_PAYLOAD_V4,
            Target::Host(..) => self.ty.max_payload(),
        };
        if data.len() > max {
            return Err(Error::os(
                method,
                std::io::Error::from_raw_os_error(EMSGSIZE),
            ));
        }
        let direct = matches!(target, Target::Addr(_)) && self.outbox.is_empty();
        Ok(SendPlan {
            open: self.implicit_bind(),
            target,
            data,
            direct,
        })
    }

    /// `connect`: checks the call and plans it.
    ///
    /// # Errors
    /// A closed socket (-1), a bad port (2) or address (1), a refused destination (-3).
    pub(crate) fn connect(
        &mut self,
        address: &str,
        port: u16,
        on_own_subnet: &dyn Fn(IpAddr) -> bool,
    ) -> Result<ConnectPlan, Error> {
        let method = Method::Connect;
        self.check_open(method)?;
        let target = self.target(method, address, port, on_own_subnet)?;
        let direct = matches!(target, Target::Addr(_)) && self.outbox.is_empty();
        Ok(ConnectPlan {
            open: self.implicit_bind(),
            target,
            direct,
        })
    }

    /// The connect to `addr` took effect.
    pub(crate) fn connected(&mut self, addr: SocketAddr) {
        self.peer = Some(addr);
    }

    /// `setTTL`: remembers the value; returns it when the OS socket is open and must be
    /// told now.
    ///
    /// # Errors
    /// A closed socket or a value above 255 (-1).
    pub(crate) fn set_ttl(&mut self, ttl: u32) -> Result<Option<u8>, Error> {
        self.check_open(Method::SetTtl)?;
        let ttl = u8::try_from(ttl).map_err(|_| crate::options::invalid_ttl(ttl))?;
        self.ttl = Some(ttl);
        Ok((self.phase == Phase::Open).then_some(ttl))
    }

    /// `close()`: the socket is closed from now on. Returns `None` if it already was;
    /// otherwise what the I/O layer must flush before closing the OS socket. Operations
    /// still waiting for a host name are reported now; the `close` event is queued by
    /// [`finish_close`](SocketState::finish_close), and the errors of calls made until
    /// then follow it.
    pub(crate) fn close(&mut self) -> Option<Flush> {
        if self.phase == Phase::Closed {
            return None;
        }
        let was_open = self.phase == Phase::Open;
        self.phase = Phase::Closed;
        self.local = None;
        let peer = self.peer.take();
        let mut flush = Flush {
            datagrams: Vec::new(),
            peer,
        };
        self.outbox_bytes = 0;
        self.flushing = false;
        for op in std::mem::take(&mut self.outbox) {
            match (op.target, op.data) {
                (Target::Addr(addr), Some(data)) if was_open => {
                    flush.datagrams.push((op.method, addr, data));
                }
                (Target::Host(host, _), _) => {
                    self.report(Error::Unresolved {
                        method: op.method,
                        host,
                    });
                }
                // A connect has nothing left to do once closed.
                _ => {}
            }
        }
        self.closing = true;
        Some(flush)
    }

    /// A socket refused at creation (no room in the memory budget): closed from the
    /// start, with `error` as its first event and no `close` event ever (it never
    /// opened, and no flush follows); later calls report at once.
    pub(crate) fn refuse(&mut self, error: Error) {
        let _ = self.close();
        self.closing = false;
        self.events.push_back(Event::Error(error));
    }

    /// The flush of `close()` is over: `errors` are the OS errors of datagrams the
    /// kernel refused, `unsent` the number it had no room for within the close bound.
    /// Queues those errors, then the `close` event, then the errors of the calls made
    /// while closing.
    pub(crate) fn finish_close(&mut self, errors: Vec<Error>, unsent: usize) {
        self.closing = false;
        for e in errors {
            self.report(e);
        }
        if unsent > 0 {
            self.report(Error::Unsent { count: unsent });
        }
        self.events.push_back(Event::Close);
        self.events.append(&mut self.after_close);
    }

    /// Refuses a closed socket.
    fn check_open(&self, method: Method) -> Result<(), Error> {
        match self.phase {
            Phase::Closed => Err(Error::Closed { method }),
            Phase::Created | Phase::Open => Ok(()),
        }
    }

    /// The address of an implicit bind, if the socket is not bound yet.
    fn implicit_bind(&self) -> Option<SocketAddr> {
        (self.phase == Phase::Created).then(|| self.wildcard())
    }

    /// Parses a destination and checks it against the policy and the family. The text
    /// of the last IP literal parsed is remembered with its address: a socket that
    /// sends to the same peer again and again parses it once (the policy and the family
    /// are checked every time).
    fn target(
        &mut self,
        method: Method,
        address: &str,
        port: u16,
        on_own_subnet: &dyn Fn(IpAddr) -> bool,
    ) -> Result<Target, Error> {
        let destination = match &self.last_ip {
            Some((text, ip)) if text == address => {
                crate::options::check_destination_port(method, port)?;
                Destination::Ip(SocketAddr::new(*ip, port))
            }
            _ => {
                let parsed = Destination::parse(method, address, port)?;
                if let Destination::Ip(addr) = &parsed {
                    self.last_ip = Some((address.to_owned(), addr.ip()));
                }
                parsed
            }
        };
        match destination {
            Destination::Ip(addr) => {
                self.policy
                    .check_ip_with(method, addr.ip(), on_own_subnet)?;
                Ok(Target::Addr(self.adapt(method, addr)?))
            }
            Destination::Host(host, port) => {
                self.policy.check_host(method, &host)?;
                Ok(Target::Host(host, port))
            }
        }
    }

    /// Fits an address to the socket's family: IPv4 becomes IPv4-mapped on udp6; IPv6 is
    /// refused on udp4 (unless it is IPv4-mapped).
    pub(crate) fn adapt(&self, method: Method, addr: SocketAddr) -> Result<SocketAddr, Error> {
        match (self.ty, addr.ip()) {
            (SocketType::Udp4, IpAddr::V4(_)) | (SocketType::Udp6, IpAddr::V6(_)) => Ok(addr),
            (SocketType::Udp6, IpAddr::V4(v4)) => {
                Ok(SocketAddr::new(v4.to_ipv6_mapped().into(), addr.port()))
            }
            (SocketType::Udp4, IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Ok(SocketAddr::new(v4.into(), addr.port())),
                None => Err(Error::InvalidAddress {
                    method,
                    reason: format!("{v6} is an IPv6 address and this is a udp4 socket"),
                }),
            },
        }
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;
