//! The timerfd itself (Linux).

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use nix::time::{clock_gettime, ClockId as Clock};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// One timer of the event loop, armed for at most one deadline at a time.
#[derive(Debug)]
pub struct Deadline {
    fd: AsyncFd<Fd>,
    armed: Option<Instant>,
}

/// The timerfd, as tokio's `AsyncFd` takes it (by raw descriptor).
#[derive(Debug)]
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Deadline {
    /// A disarmed timer, registered with the current tokio runtime's reactor.
    ///
    /// # Errors
    /// The OS refused a timerfd (out of descriptors), or there is no tokio runtime with
    /// I/O enabled on this thread.
    pub fn new() -> io::Result<Self> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(io::Error::other("a timerfd needs a tokio runtime"));
        }
        let fd = Fd(TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?);
        // SAFETY: `register` requires the descriptor to stay open, and to be the one
        // `as_raw_fd` returns, for as long as the `AsyncFd` lives. `Fd` owns it (an
        // `OwnedFd` inside nix's `TimerFd`, created just above and shared with nobody),
        // is moved into the `AsyncFd`, is never taken out (no `into_inner`), and closes it
        // only when dropped, which `AsyncFd` does after deregistering it; `as_raw_fd`
        // always returns that one descriptor. Covered by this module's tests, in debug
        // and release builds.
        #[allow(unsafe_code)]
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(Deadline { fd, armed: None })
    }

    /// The deadline the timer is armed for, until it has fired.
    pub fn armed(&self) -> Option<Instant> {
        self.armed
    }

    /// Arms the timer for `at` (a deadline in the past fires at once), or disarms it for
    /// `None`. Returns whether anything changed: setting the deadline it already has
    /// makes no system call.
    ///
    /// # Errors
    /// What `timerfd_settime` or `clock_gettime` return (nothing on Linux for valid
    /// arguments).
    pub fn set(&mut self, at: Option<Instant>) -> io::Result<bool> {
        if at == self.armed {
            return Ok(false);
        }
        match at {
            None => self.fd.get_ref().0.unset()?,
            Some(at) => {
                let expiration = Expiration::OneShot(monotonic(at)?);
                self.fd
                    .get_ref()
                    .0
                    .set(expiration, TimerSetTimeFlags::TFD_TIMER_ABSTIME)?;
            }
        }
        self.armed = at;
        Ok(true)
    }

    /// Ready once the armed deadline has passed (the timer is then disarmed); pending
    /// while it has not, or while none is armed. After [`set`](Deadline::set), poll
    /// again: a future that polled a disarmed timer is not woken by arming it.
    ///
    /// # Errors
    /// The reactor or the timerfd failed (not expected on Linux).
    pub fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.armed.is_none() {
            return Poll::Pending;
        }
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            // Reads the expiration count; `WouldBlock` (not expired yet, or a stale
            // readiness from before a re-arm) clears the readiness and waits again.
            match guard.try_io(|fd| fd.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(Ok(())) => {
                    self.armed = None;
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Waits until the armed deadline has passed; forever if none is armed.
    ///
    /// # Errors
    /// As [`poll_expired`](Deadline::poll_expired).
    pub async fn expired(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_expired(cx)).await
    }
}

/// `at` on CLOCK_MONOTONIC (the clock `Instant` reads on Linux), never zero (which
/// would disarm the timer).
fn monotonic(at: Instant) -> io::Result<TimeSpec> {
    let now = Instant::now();
    let mono = Duration::from(clock_gettime(Clock::CLOCK_MONOTONIC)?);
    let target = match at.checked_duration_since(now) {
        Some(ahead) => mono.saturating_add(ahead),
        None => mono.saturating_sub(now - at),
    };
    Ok(TimeSpec::from_duration(target.max(Duration::from_nanos(1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::timers::Queue;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn fires_at_its_deadline_not_before() {
        block_on(async {
            let mut d = Deadline::new().unwrap();
            for delay in [0, 1, 3, 7] {
                let at = Instant::now() + ms(delay);
                d.set(Some(at)).unwrap();
                d.expired().await.unwrap();
                assert!(Instant::now() >= at, "fired early for {delay} ms");
                assert_eq!(d.armed(), None);
            }
        });
    }

    #[test]
    fn a_deadline_in_the_past_fires_at_once() {
        block_on(async {
            let mut d = Deadline::new().unwrap();
            let past = Instant::now() - ms(10);
            assert!(d.set(Some(past)).unwrap());
            d.expired().await.unwrap();
        });
    }

    #[test]
    fn set_calls_the_kernel_only_when_the_deadline_changes() {
        block_on(async {
            let mut d = Deadline::new().unwrap();
            assert!(!d.set(None).unwrap(), "already disarmed");
            let at = Instant::now() + ms(50);
            assert!(d.set(Some(at)).unwrap());
            assert!(!d.set(Some(at)).unwrap());
            assert_eq!(d.armed(), Some(at));
            assert!(d.set(Some(at + ms(1))).unwrap());
            assert!(d.set(None).unwrap());
            assert_eq!(d.armed(), None);
        });
    }

    #[test]
    fn re_arming_moves_the_deadline_both_ways() {
        block_on(async {
            let mut d = Deadline::new().unwrap();
            let t0 = Instant::now();
            // Later first, then earlier: it fires at the earlier one (long before the
            // later, which would time the test out).
            d.set(Some(t0 + ms(60_000))).unwrap();
            d.set(Some(t0 + ms(2))).unwrap();
            d.expired().await.unwrap();
            assert!(Instant::now() >= t0 + ms(2));
            // Earlier first, moved later before it fired: not before the later one.
            let t1 = Instant::now();
            d.set(Some(t1 + ms(1))).unwrap();
            d.set(Some(t1 + ms(20))).unwrap();
            d.expired().await.unwrap();
            assert!(Instant::now() >= t1 + ms(20));
        });
    }

    #[test]
    fn a_disarmed_or_moved_deadline_does_not_fire() {
        block_on(async {
            let mut d = Deadline::new().unwrap();
            d.set(Some(Instant::now() + ms(1))).unwrap();
            d.set(None).unwrap();
            let waited = tokio::time::timeout(ms(30), d.expired()).await;
            assert!(waited.is_err(), "fired while disarmed");
            // An expiration that happened but was not read is forgotten by a re-arm.
            d.set(Some(Instant::now())).unwrap();
            std::thread::sleep(ms(2));
            let later = Instant::now() + ms(10);
            d.set(Some(later)).unwrap();
            d.expired().await.unwrap();
            assert!(Instant::now() >= later);
        });
    }

    #[test]
    fn interval_ticks_stay_on_the_grid_in_order() {
        // The loop's way: the earliest deadline of the queue arms the timer; each tick
        // of an interval is due at start + n x period, whatever the lateness of the
        // ones before it.
        block_on(async {
            let mut d = Deadline::new().unwrap();
            let mut q: Queue<&str> = Queue::new();
            let t0 = tokio::time::Instant::now();
            let period = ms(3);
            let id = q.add(t0, period, true, "tick");
            let mut dues = Vec::new();
            while dues.len() < 20 {
                let due = q.next_due().unwrap();
                d.set(Some(due.into_std())).unwrap();
                d.expired().await.unwrap();
                let now = tokio::time::Instant::now();
                assert!(now >= due);
                while let Some((fired, _)) = q.take_due(now) {
                    assert_eq!(fired, id);
                    dues.push(due);
                }
                if dues.len() == 5 {
                    // A busy callback: the loop is late by more than two periods.
                    std::thread::sleep(ms(7));
                }
            }
            for pair in dues.windows(2) {
                assert!(pair[0] < pair[1], "in order");
            }
            for due in &dues {
                let n = (*due - t0).as_nanos() / period.as_nanos();
                assert_eq!(t0 + period * n as u32, *due, "on the grid");
            }
            assert!(
                dues.len() == 20 && dues[19] - t0 >= period * 20,
                "the busy spell skipped grid points instead of bursting"
            );
        });
    }
}
