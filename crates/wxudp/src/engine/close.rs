//! The close of a socket. The state machine says closed at once; then the datagrams it
//! had already accepted are handed to the kernel, waiting for room within the close
//! bound ([`Limits::close_timeout`](crate::Limits::close_timeout)), the OS socket is
//! closed, and the `close` event is queued after what could not be flushed.
//!
//! The wait for room happens on the calling thread ([`Inner::close`]), or on the
//! runtime's blocking pool ([`Inner::close_in_background`]) so that no thread of an
//! async caller waits on the kernel.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use tokio::runtime::Handle;

use crate::error::{Error, Method};
use crate::os;
use crate::tap::TapSlot;

use super::inner::Inner;
use super::Engine;
#[cfg(doc)]
use crate::limits::Limits;

impl Engine {
    /// Closes the socket (`close`) on the calling thread: datagrams already sent are
    /// handed to the kernel, waiting at most [`Limits::close_timeout`] in all for room;
    /// the OS socket is closed before this returns, so its port is free; a `close`
    /// event is queued. A second call does nothing.
    ///
    /// The wait for room blocks the calling thread: in async code, use
    /// [`close_async`](Engine::close_async).
    ///
    /// # Errors
    /// Never fails today. What could not be flushed is handed to the sink as `error`
    /// events before `close`: [`Error::Unsent`] (-2), and [`Error::Unresolved`] (-1) for
    /// each send still waiting for its host name. The errors of calls made while the
    /// close runs (on other threads) follow `close`.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Event, Policy, SocketType};
    /// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, rt.handle().clone());
    /// let port = engine.bind(0)?;
    /// engine.close()?;
    /// engine.close()?; // does nothing
    /// assert!(engine.is_closed() && engine.local_addr().is_none());
    /// let kinds: Vec<_> = rx.try_iter().filter_map(Delivery::accept).map(|e| e.kind()).collect();
    /// assert_eq!(kinds, [wxudp::EventKind::Listening, wxudp::EventKind::Close]);
    /// // The port is free again at once.
    /// std::net::UdpSocket::bind(("0.0.0.0", port)).unwrap();
    /// # Ok::<(), wxudp::Error>(())
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.inner.close();
        Ok(())
    }

    /// Closes the socket like [`close`](Engine::close), without blocking the calling
    /// thread: what the kernel has no room for yet is flushed on the blocking pool of
    /// the engine's runtime. Resolves once the close has ended (by this call or an
    /// earlier one): the OS socket is closed, its port free, the `close` event queued.
    ///
    /// # Cancel safety
    /// The close begins when the future is first polled, and from then on it is not
    /// cancelled with the future: dropped, the future only stops waiting, and the close
    /// ends in the background, its `close` event queued as usual. Polling a new
    /// `close_async` waits for that same close.
    ///
    /// # Errors
    /// Never fails today; what could not be flushed is reported as by
    /// [`close`](Engine::close).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wxudp::Error> {
    /// use wxudp::frontend::{Delivery, Engine};
    /// use wxudp::{Event, Policy, SocketType};
    /// let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
    /// let sink = move |d| { let _ = tx.send(d); };
    /// let runtime = tokio::runtime::Handle::current();
    /// let engine = Engine::new(SocketType::Udp4, Policy::Any, sink, runtime);
    /// let port = engine.bind(0)?;
    /// engine.close_async().await?;
    /// let kinds: Vec<_> = rx.try_iter().filter_map(Delivery::accept).map(|e| e.kind()).collect();
    /// assert_eq!(kinds, [wxudp::EventKind::Listening, wxudp::EventKind::Close]);
    /// std::net::UdpSocket::bind(("0.0.0.0", port)).unwrap();
    /// # Ok(()) }
    /// ```
    pub async fn close_async(&self) -> Result<(), Error> {
        self.inner.close_in_background();
        // The close holds `inner` until it ends, and this borrow keeps it too.
        self.inner.closed.wait().await;
        Ok(())
    }
}

/// Dropping the last handle closes the socket. On a thread of a tokio runtime the
/// close does not wait there for room in the kernel (see
/// [`close_async`](Engine::close_async)); elsewhere it does, as
/// [`close`](Engine::close).
impl Drop for Engine {
    fn drop(&mut self) {
        if Handle::try_current().is_ok() {
            self.inner.close_in_background();
        } else {
            self.inner.close();
        }
    }
}

/// A close under way: what is left to hand to the kernel, and the OS socket. Dropping
/// it ends the close, whether or not everything was flushed: the OS socket is closed,
/// the datagrams left are reported as unsent, and the `close` event is queued and
/// delivered.
pub(super) struct Closing {
    inner: Arc<Inner>,
    io: Option<os::Io>,
    peer: Option<SocketAddr>,
    datagrams: VecDeque<(Method, SocketAddr, Vec<u8>)>,
    deadline: Instant,
    flushed: os::Flushed,
    tap: TapSlot,
}

impl Inner {
    /// Begins `close()`: from now on the socket is closed for every call. Returns what
    /// is left to flush, or `None` if `close()` had begun already.
    fn begin_close(self: &Arc<Self>) -> Option<Closing> {
        let (flush, io, writer, tap) = {
            let mut st = self.lock();
            let flush = st.machine.close()?;
            self.settle_pool(&mut st);
            // An open socket's share of the memory budget goes back now.
            st.open_charge = None;
            (flush, st.io.take(), st.writer.take(), st.tap.clone())
        };
        // The second descriptor of the socket (Linux), outside the lock, before the flush.
        #[cfg_attr(not(wxudp_linux), allow(clippy::drop_non_drop))]
        drop(writer);
        self.gate.close();
        Some(Closing {
            inner: self.clone(),
            io,
            peer: flush.peer,
            datagrams: flush.datagrams.into(),
            deadline: Instant::now() + self.limits.close_timeout,
            flushed: os::Flushed::default(),
            tap,
        })
    }

    /// `close()` on the calling thread, which waits for room in the kernel within the
    /// close bound. The port is free when it returns. Does nothing if `close()` had
    /// begun already.
    pub(super) fn close(self: &Arc<Self>) {
        if let Some(mut closing) = self.begin_close() {
            let deadline = closing.deadline;
            closing.flush(deadline);
        }
    }

    /// `close()` without waiting on the calling thread: what the kernel takes at once
    /// is handed to it now; if it has no room for the rest, the rest is flushed, and the
    /// close ended, on the runtime's blocking pool. Does nothing if `close()` had begun
    /// already; `Inner::closed` says when the close has ended.
    pub(super) fn close_in_background(self: &Arc<Self>) {
        let Some(mut closing) = self.begin_close() else {
            return;
        };
        closing.flush(Instant::now());
        if closing.datagrams.is_empty() {
            return;
        }
        // If the runtime has shut down, the task is dropped unrun, and with it the
        // close, which then ends without waiting.
        drop(self.runtime.spawn_blocking(move || {
            let deadline = closing.deadline;
            closing.flush(deadline);
        }));
    }
}

impl Closing {
    /// Hands the datagrams left to the kernel, waiting for room until `deadline` (not
    /// at all if it has passed) or an abort of the limits.
    fn flush(&mut self, deadline: Instant) {
        let Some(io) = &self.io else {
            return;
        };
        let inner = &self.inner;
        let tap = &self.tap;
        os::flush(
            io,
            self.peer,
            &mut self.datagrams,
            deadline,
            &|| inner.limits.aborted(),
            &|to, data| tap.sent(io.local_addr().ok(), to, data),
            &mut self.flushed,
        );
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        // The kernel's last word on what it dropped.
        if let Some(count) = self.io.as_ref().and_then(os::Io::kernel_drops) {
            self.inner.gate.kernel_drops(count);
        }
        // Dropping the tokio socket deregisters it and closes the descriptor now, so the
        // port is free once the close has ended.
        drop(self.io.take());
        let unsent = self.datagrams.len();
        tracing::debug!(flushed = self.flushed.sent, unsent, "socket closed");
        let inner = &self.inner;
        inner
            .gate
            .sent
            .fetch_add(self.flushed.sent, Ordering::Relaxed);
        let errors = std::mem::take(&mut self.flushed.errors);
        inner.lock().machine.finish_close(errors, unsent);
        inner.deliver();
        inner.closed.set();
    }
}
