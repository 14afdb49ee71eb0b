//! How a run ends from outside: SIGINT, SIGTERM or SIGHUP (the hide hooks run, then the
//! sockets close), and a second signal or `--timeout` (at once, whatever runs).
//!
//! The stop logic is a small state machine, [`Phase`]: `Running`, then `Hiding` after a
//! first signal (the JavaScript that was running is cut short, then the hide hooks run),
//! then `Done`. Signal handlers only set flags (signal-hook); the JavaScript engine's
//! interrupt handler ([`Stop::interrupts`]) and the event loop ([`Stop::poll`]) read them
//! on the JS thread, so an endless loop anywhere (main script, listener, timer, hook) is
//! cut too. A [`Watchdog`] thread ends the process if the run is stuck where no
//! JavaScript runs (say, blocked writing to a full pipe) when it should have ended.

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::signals;
pub(crate) use super::signals::Signal;
use crate::EXIT_TIMEOUT;

/// How long the [`Watchdog`] lets a run that should end (a second signal, or past its
/// deadline) take before it writes the report and ends the process itself. Once the
/// run must end, `close()` does not wait for the kernel.
pub(crate) const HARD_STOP_GRACE: Duration = Duration::from_secs(1);

/// Why a run ended from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// A signal, after the hide hooks ran.
    Signal(Signal),
    /// A second signal, before the hide hooks that the first one started had finished.
    SecondSignal { first: Signal, second: Signal },
    /// `--timeout`.
    Timeout,
    /// The script went on allocating past `--js-memory` and its grace (runtime/memory.rs).
    OutOfMemory,
}

impl Cause {
    /// The exit status: the first signal's (a second one only hurries the end), or 124
    /// for the timeout.
    pub(crate) fn status(self) -> i32 {
        match self {
            Cause::Signal(signal) | Cause::SecondSignal { first: signal, .. } => signal.status(),
            Cause::Timeout => EXIT_TIMEOUT,
            Cause::OutOfMemory => crate::EXIT_ERROR,
        }
    }
}

/// Where a run is on its way to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The script runs.
    Running,
    /// A signal came: the JavaScript running then is cut short; then (`hooks`) the hide
    /// hooks run, which may run JavaScript again.
    Hiding { signal: Signal, hooks: bool },
    /// The run ends now: no more JavaScript runs, the sockets close.
    Done(Cause),
}

/// What moves a run from one [`Phase`] to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Input {
    Signal(Signal),
    /// The `--timeout` deadline passed.
    Deadline,
    /// The script's memory is exhausted for good.
    OutOfMemory,
    /// The hide hooks start.
    HooksStart,
    /// The hide hooks (and the promise jobs they queued) are done.
    HooksEnd,
}

impl Phase {
    /// The phase after `input`.
    pub(crate) fn next(self, input: Input) -> Phase {
        match (self, input) {
            (Phase::Done(_), _) => self,
            (_, Input::Deadline) => Phase::Done(Cause::Timeout),
            (_, Input::OutOfMemory) => Phase::Done(Cause::OutOfMemory),
            (Phase::Running, Input::Signal(signal)) => Phase::Hiding {
                signal,
                hooks: false,
            },
            (Phase::Hiding { signal: first, .. }, Input::Signal(second)) => {
                Phase::Done(Cause::SecondSignal { first, second })
            }
            (Phase::Hiding { signal, .. }, Input::HooksStart) => Phase::Hiding {
                signal,
                hooks: true,
            },
            (Phase::Hiding { signal, .. }, Input::HooksEnd) => Phase::Done(Cause::Signal(signal)),
            (Phase::Running, Input::HooksStart | Input::HooksEnd) => self,
        }
    }

    /// The exit status, when JavaScript running now must be cut short: the run is ending
    /// and this is not the hide hooks.
    pub(crate) fn cutting(self) -> Option<i32> {
        match self {
            Phase::Running | Phase::Hiding { hooks: true, .. } => None,
            Phase::Hiding {
                signal,
                hooks: false,
            } => Some(signal.status()),
            Phase::Done(cause) => Some(cause.status()),
        }
    }
}

/// A run's stop conditions: its deadline, the signal flags, and its [`Phase`].
pub(crate) struct Stop {
    deadline: Option<Instant>,
    /// Set by the signal handlers (one per [`Signal::ALL`]), even while JavaScript runs;
    /// taken by [`Stop::poll`] and the interrupt handler.
    flags: [Arc<AtomicBool>; 3],
    /// Set by the JavaScript allocator when the script's memory is exhausted for good.
    memory: Arc<AtomicBool>,
    phase: Rc<Cell<Phase>>,
}

impl Stop {
    pub(crate) fn new(timeout: Option<Duration>) -> Self {
        Stop {
            // A timeout beyond what the clock can represent is no deadline.
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
            flags: Default::default(),
            memory: Arc::default(),
            phase: Rc::new(Cell::new(Phase::Running)),
        }
    }

    /// Ends the run when `exhausted` is set (the JavaScript allocator's flag).
    pub(crate) fn watch_memory(&mut self, exhausted: Arc<AtomicBool>) {
        self.memory = exhausted;
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Takes in the signals that came and checks the deadline; returns the phase after
    /// them.
    pub(crate) fn poll(&self) -> Phase {
        poll(&self.phase, &self.flags, &self.memory, self.deadline)
    }

    /// Moves to the phase after `input`; returns it.
    pub(crate) fn advance(&self, input: Input) -> Phase {
        let next = self.phase.get().next(input);
        self.phase.set(next);
        next
    }

    /// The exit status the run ends with, while the JavaScript now returning was cut
    /// short by it (its exception is then not the script's, and is not reported). None
    /// while the script runs, and while the hide hooks run.
    pub(crate) fn reason(&self) -> Option<i32> {
        self.phase.get().cutting()
    }

    /// The JavaScript engine's interrupt handler, which it calls now and then while
    /// JavaScript runs: true cuts the running script short.
    pub(crate) fn interrupts(&self) -> impl FnMut() -> bool + 'static {
        let (phase, flags, memory, deadline) = (
            self.phase.clone(),
            self.flags.clone(),
            self.memory.clone(),
            self.deadline,
        );
        move || poll(&phase, &flags, &memory, deadline).cutting().is_some()
    }

    /// Whether the run must end without waiting any more: a signal came that the loop
    /// has not taken yet (while a run is ending, a second one), or the deadline passed.
    /// Safe to ask from any thread; `close()` asks it while it waits for the kernel.
    pub(crate) fn stop_now(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let (flags, deadline) = (self.flags.clone(), self.deadline);
        move || {
            flags.iter().any(|f| f.load(Ordering::SeqCst))
                || deadline.is_some_and(|d| Instant::now() >= d)
        }
    }

    /// Catches SIGINT, SIGTERM and SIGHUP for this run (they no longer kill the process:
    /// they set the flags) until the guard is dropped.
    pub(crate) fn catch_signals(&self) -> std::io::Result<SignalGuard> {
        let mut guard = SignalGuard(Vec::new());
        for (signal, flag) in Signal::ALL.iter().zip(&self.flags) {
            guard.0.extend(signals::set_flag(*signal, flag.clone())?);
        }
        Ok(guard)
    }
}

fn poll(
    phase: &Cell<Phase>,
    flags: &[Arc<AtomicBool>; 3],
    memory: &AtomicBool,
    deadline: Option<Instant>,
) -> Phase {
    let mut now = phase.get();
    if memory.load(Ordering::Relaxed) {
        now = now.next(Input::OutOfMemory);
    }
    for (signal, flag) in Signal::ALL.iter().zip(flags) {
        if flag.swap(false, Ordering::SeqCst) {
            now = now.next(Input::Signal(*signal));
        }
    }
    if deadline.is_some_and(|d| Instant::now() >= d) {
        now = now.next(Input::Deadline);
    }
    phase.set(now);
    now
}

/// The signal handlers of a run; dropping it removes them.
pub(crate) struct SignalGuard(#[allow(dead_code)] Vec<signals::Handler>);

/// Wakes the event loop when SIGINT, SIGTERM or SIGHUP comes (the loop then reads the
/// flags through [`Stop::poll`]).
pub(crate) struct Wake(Vec<signals::Stream>);

impl Wake {
    /// Must be called inside the loop's runtime.
    pub(crate) fn new() -> Wake {
        Wake(
            Signal::ALL
                .iter()
                .filter_map(|s| signals::Stream::listen(*s).ok().flatten())
                .collect(),
        )
    }

    /// Waits for a signal.
    pub(crate) async fn recv(&mut self) {
        next_signal(&mut self.0).await;
    }
}

/// The index of the next signal that comes on one of `streams`.
async fn next_signal(streams: &mut [signals::Stream]) -> usize {
    poll_fn(|cx| {
        for (i, stream) in streams.iter_mut().enumerate() {
            if let Poll::Ready(Some(())) = stream.poll_recv(cx) {
                return Poll::Ready(i);
            }
        }
        Poll::Pending
    })
    .await
}

/// A thread that ends the process when a run should have ended but has not: more than
/// [`HARD_STOP_GRACE`] after its deadline or a second signal, or after a first signal
/// the JS thread has not taken by then (the hide hooks run once it has). The run normally
/// ends long before, from the JS thread; this is for a run stuck where JavaScript does
/// not run, such as a write to a full pipe. Dropping it (when the run is over) stops
/// the thread.
pub(crate) struct Watchdog {
    over: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching; the signals are caught by the time it returns.
    pub(crate) fn start(
        stop: &Stop,
        observer: std::sync::Arc<crate::observe::Observer>,
    ) -> std::io::Result<Watchdog> {
        let (deadline, flags) = (stop.deadline, stop.flags.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let streams = {
            let _in_runtime = runtime.enter();
            Signal::ALL
                .iter()
                .filter_map(|s| {
                    signals::Stream::listen(*s)
                        .map(|l| l.map(|l| (*s, l)))
                        .transpose()
                })
                .collect::<std::io::Result<Vec<_>>>()?
        };
        let (over, over_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("wxudp-watchdog".into())
            .spawn(move || {
                runtime.block_on(watch(deadline, &flags, streams, over_rx, &observer))
            })?;
        Ok(Watchdog {
            over: Some(over),
            thread: Some(thread),
        })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.over.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn watch(
    deadline: Option<Instant>,
    flags: &[Arc<AtomicBool>; 3],
    streams: Vec<(Signal, signals::Stream)>,
    mut over: tokio::sync::oneshot::Receiver<()>,
    observer: &crate::observe::Observer,
) {
    let (kinds, mut streams): (Vec<Signal>, Vec<_>) = streams.into_iter().unzip();
    let mut first = None;
    // When to end the process, and with which status.
    let mut end = deadline
        .and_then(|d| d.checked_add(HARD_STOP_GRACE))
        .map(|at| (at, EXIT_TIMEOUT));
    // A first signal the JS thread has not taken a second later: it is stuck where
    // JavaScript does not run (the hide hooks could not even start), and the run ends.
    let mut unseen: Option<(Instant, usize)> = None;
    loop {
        if let Some((at, i)) = unseen {
            if Instant::now() >= at {
                unseen = None;
                if flags[i].load(Ordering::SeqCst) {
                    end = Some((Instant::now(), kinds[i].status()));
                }
            }
        }
        let check = async {
            match unseen {
                Some((at, _)) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let hard_stop = async {
            match end {
                Some((at, _)) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut over => return,
            () = check => {}
            i = next_signal(&mut streams) => match first {
                None => {
                    first = Some(kinds[i]);
                    unseen = Some((Instant::now() + HARD_STOP_GRACE, i));
                }
                Some(first) => {
                    let at = Instant::now() + HARD_STOP_GRACE;
                    if end.is_none_or(|(t, _)| at < t) {
                        end = Some((at, first.status()));
                    }
                }
            },
            () = hard_stop => {
                let status = end.map_or(EXIT_TIMEOUT, |(_, status)| status);
                // The report, as far as it is known (the pages' data needs the stuck
                // JS thread); a report the JS thread is writing now is finished first.
                let stuck = "wxudp: the run did not end in time (stuck in native work): it ends now";
                let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{stuck}\n").as_bytes());
                let status = observer.finish(status);
                // _exit: stdout may be locked by the stuck thread, so no flushing.
                signals::exit_now(status);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Signal::*;

    #[test]
    fn a_signal_hides_then_ends() {
        let p = Phase::Running.next(Input::Signal(Terminate));
        assert_eq!(
            p,
            Phase::Hiding {
                signal: Terminate,
                hooks: false
            }
        );
        assert_eq!(p.cutting(), Some(143), "what ran is cut short");
        let p = p.next(Input::HooksStart);
        assert_eq!(p.cutting(), None, "the hooks run");
        let p = p.next(Input::HooksEnd);
        assert_eq!(p, Phase::Done(Cause::Signal(Terminate)));
        assert_eq!(p.cutting(), Some(143));
    }

    #[test]
    fn a_second_signal_ends_at_once_with_the_first_status() {
        for hooks in [false, true] {
            let p = Phase::Hiding {
                signal: Hangup,
                hooks,
            }
            .next(Input::Signal(Interrupt));
            assert_eq!(
                p,
                Phase::Done(Cause::SecondSignal {
                    first: Hangup,
                    second: Interrupt
                })
            );
            assert_eq!(p.cutting(), Some(129));
        }
    }

    #[test]
    fn the_deadline_ends_at_once_in_any_phase() {
        for p in [
            Phase::Running,
            Phase::Hiding {
                signal: Interrupt,
                hooks: false,
            },
            Phase::Hiding {
                signal: Interrupt,
                hooks: true,
            },
        ] {
            assert_eq!(p.next(Input::Deadline), Phase::Done(Cause::Timeout));
            assert_eq!(p.next(Input::Deadline).cutting(), Some(124));
        }
    }

    #[test]
    fn done_is_final_and_running_ignores_hook_inputs() {
        for cause in [
            Cause::Timeout,
            Cause::Signal(Interrupt),
            Cause::SecondSignal {
                first: Interrupt,
                second: Terminate,
            },
        ] {
            for input in [
                Input::Signal(Hangup),
                Input::Deadline,
                Input::HooksStart,
                Input::HooksEnd,
            ] {
                assert_eq!(Phase::Done(cause).next(input), Phase::Done(cause));
            }
        }
        assert_eq!(Phase::Running.next(Input::HooksStart), Phase::Running);
        assert_eq!(Phase::Running.next(Input::HooksEnd), Phase::Running);
        assert_eq!(Phase::Running.cutting(), None);
    }

    #[test]
    fn statuses_are_128_plus_the_signal() {
        for s in Signal::ALL {
            assert_eq!(Some(s.status()), signals::number(s).map(|n| 128 + n));
        }
        assert_eq!(Cause::Timeout.status(), 124);
    }

    #[test]
    fn flags_and_deadline_drive_the_phase() {
        let stop = Stop::new(None);
        let mut interrupts = stop.interrupts();
        assert!(!interrupts());
        assert_eq!(stop.poll(), Phase::Running);
        // Two signals taken in at once: the second ends the run.
        stop.flags[0].store(true, Ordering::SeqCst);
        stop.flags[2].store(true, Ordering::SeqCst);
        assert!(interrupts());
        assert_eq!(
            stop.poll(),
            Phase::Done(Cause::SecondSignal {
                first: Interrupt,
                second: Hangup
            })
        );
        assert_eq!(stop.reason(), Some(130));

        let stop = Stop::new(None);
        let mut interrupts = stop.interrupts();
        stop.flags[1].store(true, Ordering::SeqCst);
        assert!(interrupts(), "a first signal cuts the running script");
        assert!(interrupts(), "and whatever runs before the hooks");
        stop.advance(Input::HooksStart);
        assert!(!interrupts(), "the hooks run");
        assert_eq!(stop.reason(), None);
        stop.flags[1].store(true, Ordering::SeqCst);
        assert!(interrupts(), "a second signal cuts the hooks");

        let stop = Stop::new(Some(Duration::ZERO));
        assert_eq!(stop.poll(), Phase::Done(Cause::Timeout));
        let stop = Stop::new(Some(Duration::MAX));
        assert_eq!(stop.deadline(), None, "beyond the clock: no deadline");
        assert_eq!(stop.poll(), Phase::Running);
    }
}
