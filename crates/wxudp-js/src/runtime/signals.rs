//! The OS side of the signals that end a run (runtime/stop.rs decides what they do):
//! a flag set from the handler, a stream the event loop waits on, and ending the
//! process without flushing.
//!
//! - Unix: SIGINT, SIGTERM and SIGHUP, through signal-hook (flags) and tokio's
//!   `signal::unix` (streams).
//! - Windows: Ctrl-C (as SIGINT) and Ctrl-Break (as SIGTERM) through tokio's
//!   `signal::windows`; there is no SIGHUP. Not compiled on the machines that build
//!   wxudp: docs/PLATFORM.md says so.

use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::{EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_TERMINATED};

/// A signal that ends a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    Interrupt,
    Terminate,
    Hangup,
}

impl Signal {
    pub(crate) const ALL: [Signal; 3] = [Signal::Interrupt, Signal::Terminate, Signal::Hangup];

    /// The exit status of a run this signal ended: 128 + its number.
    pub(crate) fn status(self) -> i32 {
        match self {
            Signal::Interrupt => EXIT_INTERRUPTED,
            Signal::Terminate => EXIT_TERMINATED,
            Signal::Hangup => EXIT_HANGUP,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }
}

/// A registered handler that sets a flag; removed when dropped.
pub(crate) struct Handler(signal_hook::SigId);

impl Drop for Handler {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.0);
    }
}

/// The signal's number, where the OS has it.
pub(crate) fn number(signal: Signal) -> Option<i32> {
    match signal {
        Signal::Interrupt => Some(signal_hook::consts::SIGINT),
        Signal::Terminate => Some(signal_hook::consts::SIGTERM),
        #[cfg(unix)]
        Signal::Hangup => Some(signal_hook::consts::SIGHUP),
        #[cfg(not(unix))]
        Signal::Hangup => None,
    }
}

/// Sets `flag` when `signal` comes (instead of the default action), until the handler
/// is dropped. `None` for a signal this OS does not have.
///
/// # Errors
/// The OS refused the handler.
pub(crate) fn set_flag(signal: Signal, flag: Arc<AtomicBool>) -> io::Result<Option<Handler>> {
    match number(signal) {
        Some(n) => Ok(Some(Handler(signal_hook::flag::register(n, flag)?))),
        None => Ok(None),
    }
}

/// The arrivals of one signal, for the current tokio runtime.
pub(crate) struct Stream(Inner);

#[cfg(unix)]
type Inner = tokio::signal::unix::Signal;

#[cfg(windows)]
enum Inner {
    CtrlC(tokio::signal::windows::CtrlC),
    CtrlBreak(tokio::signal::windows::CtrlBreak),
}

impl Stream {
    /// Listens for `signal`; `Ok(None)` for a signal this OS does not have. Must be
    /// called inside a tokio runtime.
    ///
    /// # Errors
    /// The OS refused the listener.
    pub(crate) fn listen(signal: Signal) -> io::Result<Option<Stream>> {
        #[cfg(unix)]
        {
            let Some(n) = number(signal) else {
                return Ok(None);
            };
            let kind = tokio::signal::unix::SignalKind::from_raw(n);
            Ok(Some(Stream(tokio::signal::unix::signal(kind)?)))
        }
        #[cfg(windows)]
        {
            use tokio::signal::windows;
            Ok(match signal {
                Signal::Interrupt => Some(Stream(Inner::CtrlC(windows::ctrl_c()?))),
                Signal::Terminate => Some(Stream(Inner::CtrlBreak(windows::ctrl_break()?))),
                Signal::Hangup => None,
            })
        }
    }

    /// Ready when the signal came (again).
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        #[cfg(unix)]
        {
            self.0.poll_recv(cx)
        }
        #[cfg(windows)]
        {
            match &mut self.0 {
                Inner::CtrlC(s) => s.poll_recv(cx),
                Inner::CtrlBreak(s) => s.poll_recv(cx),
            }
        }
    }
}

/// Ends the process at once with `status`: no destructor runs and nothing is flushed
/// (stdout may be held by a stuck thread).
pub(crate) fn exit_now(status: i32) -> ! {
    #[cfg(unix)]
    {
        signal_hook::low_level::exit(status)
    }
    #[cfg(not(unix))]
    {
        std::process::exit(status)
    }
}
