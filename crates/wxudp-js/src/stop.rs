//! Why a run must end now, whatever the script is doing: Ctrl-C, or `--timeout`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why a run must end now, whatever the script is doing: Ctrl-C, or `--timeout`.
///
/// The JavaScript engine asks [`Stop::interrupts`] now and then while it runs, so an
/// endless loop in a script ends too.
pub(crate) struct Stop {
    deadline: Option<std::time::Instant>,
    /// Set by the SIGINT handler, even while JavaScript runs.
    pub(crate) interrupted: Arc<AtomicBool>,
    /// Set while the `onAppHide` listeners run after Ctrl-C: JavaScript may run again.
    pub(crate) hiding: Arc<AtomicBool>,
}

impl Stop {
    pub(crate) fn new(timeout: Option<Duration>) -> Self {
        Stop {
            deadline: timeout.map(|t| std::time::Instant::now() + t),
            interrupted: Arc::default(),
            hiding: Arc::default(),
        }
    }

    /// The exit status the run must end with now, if it must.
    pub(crate) fn reason(&self) -> Option<i32> {
        if self.interrupted.load(Ordering::SeqCst) {
            Some(crate::EXIT_INTERRUPTED)
        } else if self
            .deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
        {
            Some(crate::EXIT_TIMEOUT)
        } else {
            None
        }
    }

    /// The JavaScript engine's interrupt handler: true stops the running script.
    pub(crate) fn interrupts(&self) -> impl FnMut() -> bool + 'static {
        let (deadline, interrupted, hiding) =
            (self.deadline, self.interrupted.clone(), self.hiding.clone());
        move || {
            !hiding.load(Ordering::SeqCst)
                && (interrupted.load(Ordering::SeqCst)
                    || deadline.is_some_and(|d| std::time::Instant::now() >= d))
        }
    }
}
