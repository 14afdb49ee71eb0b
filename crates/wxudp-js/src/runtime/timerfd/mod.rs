//! A deadline the event loop can wait for to the microsecond: one `timerfd` (Linux,
//! CLOCK_MONOTONIC, absolute time) registered in tokio's epoll through `AsyncFd`.
//!
//! tokio's own `sleep_until` rounds every deadline up to its next millisecond tick, and
//! mio rounds the epoll timeout up again, so a 5 ms timeout waits about 6 ms. A timerfd
//! fires when its absolute time is reached (hrtimer, no timer slack), and the loop's
//! `epoll_wait` sleeps without a timeout of its own.
//!
//! The loop keeps one [`Deadline`] and sets it to its earliest timer before it waits;
//! [`Deadline::set`] calls the kernel only when that deadline changed, so a turn that
//! fires no timer and adds none costs no system call.
//!
//! # Examples
//! ```
//! use std::time::{Duration, Instant};
//! use wxudp_js::timerfd::Deadline;
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! rt.block_on(async {
//!     match Deadline::new() {
//!         Ok(mut deadline) => {
//!             let at = Instant::now() + Duration::from_millis(5);
//!             assert!(deadline.set(Some(at))?, "armed");
//!             assert!(!deadline.set(Some(at))?, "unchanged: no system call");
//!             deadline.expired().await?;
//!             assert!(Instant::now() >= at);
//!             assert_eq!(deadline.armed(), None, "a deadline fires once");
//!         }
//!         // Not Linux (or the `portable` feature): the loop uses tokio's timers.
//!         Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::Unsupported),
//!     }
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Elsewhere (and on Linux with the `portable` feature) there is no timerfd:
//! [`Deadline::new`] fails with [`std::io::ErrorKind::Unsupported`], and the loop waits
//! with tokio's `sleep_until`, whose late wake-ups the timers' grid absorbs (an interval's
//! ticks stay on the grid of its start, so a 60 fps interval still runs at 60).

#[cfg(wxudp_linux)]
mod linux;
#[cfg(wxudp_linux)]
pub use linux::Deadline;

#[cfg(not(wxudp_linux))]
mod portable {
    use std::io;
    use std::task::{Context, Poll};
    use std::time::Instant;

    /// No timerfd on this platform: [`Deadline::new`] always fails.
    #[derive(Debug)]
    pub struct Deadline(());

    impl Deadline {
        /// # Errors
        /// Always [`io::ErrorKind::Unsupported`]: timerfds are Linux's.
        pub fn new() -> io::Result<Self> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "timerfd is Linux's (this build waits with tokio's timers)",
            ))
        }

        /// Never armed.
        pub fn armed(&self) -> Option<Instant> {
            None
        }

        /// Never reached: no `Deadline` exists.
        ///
        /// # Errors
        /// None.
        pub fn set(&mut self, _at: Option<Instant>) -> io::Result<bool> {
            Ok(false)
        }

        /// Never ready.
        ///
        /// # Errors
        /// None.
        pub fn poll_expired(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Pending
        }

        /// Never ready.
        ///
        /// # Errors
        /// None.
        pub async fn expired(&mut self) -> io::Result<()> {
            std::future::pending().await
        }
    }
}
#[cfg(not(wxudp_linux))]
pub use portable::Deadline;
