//! The background thread that runs the I/O and the listeners of every [`UdpSocket`]
//! (crate::UdpSocket) of the process.

use std::sync::OnceLock;

use tokio::sync::mpsc;

use crate::delivery::Delivery;
use crate::error::{Error, Method};
use crate::listeners::{self, Listener, Listeners};
use crate::spawn::IoQueue;

/// Events dispatched in one turn of the driver's loop at most, before it polls the
/// sockets again.
const DISPATCH_BATCH: usize = 256;

/// The background thread that runs every `UdpSocket`'s I/O and listeners.
pub(crate) struct Driver {
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) tx: mpsc::UnboundedSender<(Listeners, Delivery)>,
    /// The sockets' I/O tasks, polled by the driver's loop itself, so that a datagram
    /// reaches dispatch without a wake from another task.
    pub(crate) io: IoQueue,
}

static DRIVER: OnceLock<Driver> = OnceLock::new();

impl Driver {
    pub(crate) fn get() -> Result<&'static Driver, Error> {
        if let Some(driver) = DRIVER.get() {
            return Ok(driver);
        }
        let started = Driver::start().map_err(|e| Error::os(Method::CreateUdpSocket, e))?;
        // If another thread won the race, `started` is dropped: its channel closes and its
        // thread ends.
        let _ = DRIVER.set(started);
        DRIVER.get().ok_or_else(|| {
            Error::os(
                Method::CreateUdpSocket,
                std::io::Error::other("the wxudp driver did not start"),
            )
        })
    }

    fn start() -> std::io::Result<Driver> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (tx, mut rx) = mpsc::unbounded_channel::<(Listeners, Delivery)>();
        let io = IoQueue::new();
        let mut io_driver = io.driver();
        std::thread::Builder::new()
            .name("wxudp-driver".into())
            .spawn(move || {
                runtime.block_on(async move {
                    // The listeners of the event being dispatched, reused.
                    let mut scratch = Vec::new();
                    loop {
                        tokio::select! {
                            // I/O first, so that what it reads is dispatched in this turn.
                            biased;
                            () = std::future::poll_fn(|cx| io_driver.poll(cx)) => {}
                            next = rx.recv() => match next {
                                Some((listeners, delivery)) => {
                                    dispatch(&listeners, delivery, &mut scratch);
                                    // And what else is queued now, in order, before the
                                    // next poll of the I/O: one turn of the select per
                                    // batch, not per event.
                                    for _ in 1..DISPATCH_BATCH {
                                        let Ok((listeners, delivery)) = rx.try_recv() else {
                                            break;
                                        };
                                        dispatch(&listeners, delivery, &mut scratch);
                                    }
                                }
                                None => break,
                            },
                        }
                    }
                })
            })?;
        Ok(Driver {
            runtime: handle,
            tx,
            io,
        })
    }
}

/// Delivers one event, if the delivery rules still let it through, to the listeners
/// registered when its dispatch starts (see [`listeners::dispatch`]).
fn dispatch(listeners: &Listeners, delivery: Delivery, scratch: &mut Vec<Listener>) {
    if let Some(event) = delivery.accept() {
        listeners::dispatch(listeners, &event, scratch);
    }
}
