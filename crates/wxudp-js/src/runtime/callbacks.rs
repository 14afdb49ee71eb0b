//! Calling into the script from the loop: socket events, completions of work on
//! tokio, timers and promise jobs, and reporting what they let through (uncaught
//! exceptions, promises rejected without a handler).

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{CatchResultExt, Context, Ctx, Runtime, Value};
use wxudp::frontend::Delivery;

use crate::runtime::convert::event_payload;
use crate::runtime::exception::{describe_exception, report_exception};
use crate::runtime::host::Shared;
use crate::runtime::rejections::Rejections;
use crate::runtime::tasks::Completion;
use crate::runtime::timers::Callback;
use crate::EXIT_ERROR;

/// Prints an exception a listener, timer or the main script let through, and marks the
/// run failed; says nothing when the script was stopped from outside.
pub(super) fn report_caught<'js>(ctx: &Ctx<'js>, host: &Shared, e: rquickjs::CaughtError<'js>) {
    if host.borrow().stop.reason().is_some() {
        return;
    }
    eprintln!("{}", caught_text(ctx, e));
    host.borrow_mut().exit_code = EXIT_ERROR;
}

/// Runs every pending promise job, reporting the ones that throw, until none is left or
/// the run is stopped.
pub(super) fn drain_jobs(js: &Runtime, host: &Shared) {
    loop {
        match js.execute_pending_job() {
            Ok(true) => {}
            Ok(false) => return,
            Err(job) => job.0.with(|ctx| {
                let e = ctx.catch();
                report_exception(&ctx, host, e);
            }),
        }
        // Jobs that queue jobs forever must not outlive a stop.
        if host.borrow().stop.reason().is_some() {
            return;
        }
    }
}

/// Remembers rejected promises without a handler, and forgets them when one is added:
/// O(1) each (see [`Rejections`]).
pub(super) fn track_rejections(js: &Runtime, rejections: &Rc<RefCell<Rejections>>) {
    let r = rejections.clone();
    js.set_host_promise_rejection_tracker(Some(Box::new(
        move |_ctx: Ctx<'_>, promise: Value<'_>, reason: Value<'_>, handled: bool| {
            if handled {
                // Dropped after the borrow ends.
                let _forgotten = r.borrow_mut().handled(&promise);
            } else {
                r.borrow_mut().rejected(promise, reason);
            }
        },
    )));
}

/// Reports promises still rejected without a handler after a turn.
pub(super) fn report_rejections(
    context: &Context,
    host: &Shared,
    rejections: &RefCell<Rejections>,
) {
    if rejections.borrow().is_empty() {
        return;
    }
    let pending = rejections.borrow_mut().take();
    if host.borrow().stop.reason().is_some() {
        return;
    }
    context.with(|ctx| {
        for reason in pending {
            if let Ok(reason) = reason.restore(&ctx) {
                let text = describe_exception(&ctx, reason);
                eprintln!(
                    "{}",
                    text.replacen("Uncaught ", "Uncaught (in promise) ", 1)
                );
            }
        }
    });
    host.borrow_mut().exit_code = EXIT_ERROR;
}

/// Delivers one socket event to the listeners registered when its dispatch starts.
pub(super) fn dispatch(ctx: &Ctx<'_>, host: &Shared, id: u64, delivery: Delivery) {
    let Some(handle) = host.borrow().sockets.take_event(ctx, id) else {
        // A socket the script let go of before its last events came.
        return;
    };
    if let Some(event) = delivery.accept() {
        let listeners = handle.borrow().listeners.snapshot(event.kind());
        if !listeners.is_empty() {
            match event_payload(ctx, event) {
                Ok(payload) => {
                    for f in listeners {
                        if let Err(e) = f.call::<_, ()>((payload.clone(),)).catch(ctx) {
                            report_caught(ctx, host, e);
                        }
                    }
                }
                Err(e) => eprintln!("wxudp: cannot build an event: {e}"),
            }
        }
    }
    host.borrow_mut().sockets.settle(ctx, &handle);
}

/// Calls the callback of a completed piece of work with the value it built.
pub(super) fn deliver_completion(ctx: &Ctx<'_>, host: &Shared, completion: Completion) {
    let callback = host.borrow_mut().tasks.take(completion.id, completion.last);
    let Some(f) = callback.and_then(|f| f.restore(ctx).ok()) else {
        return;
    };
    match (completion.make)(ctx).catch(ctx) {
        Ok(value) => {
            if let Err(e) = f.call::<_, ()>((value,)).catch(ctx) {
                report_caught(ctx, host, e);
            }
        }
        Err(e) => report_caught(ctx, host, e),
    }
}

/// Runs a timer's callback with its arguments.
pub(super) fn call_timer(ctx: &Ctx<'_>, host: &Shared, (callback, args): Callback) {
    let Ok(f) = callback.restore(ctx) else {
        return;
    };
    let mut call_args = rquickjs::function::Args::new(ctx.clone(), args.len());
    for arg in args {
        if let Ok(v) = arg.restore(ctx) {
            let _ = call_args.push_arg(v);
        }
    }
    if let Err(e) = f.call_arg::<()>(call_args).catch(ctx) {
        report_caught(ctx, host, e);
    }
}

/// The text of a caught exception, with its stack.
fn caught_text<'js>(ctx: &Ctx<'js>, e: rquickjs::CaughtError<'js>) -> String {
    match e {
        rquickjs::CaughtError::Exception(ex) => describe_exception(ctx, ex.into_value()),
        rquickjs::CaughtError::Value(v) => describe_exception(ctx, v),
        rquickjs::CaughtError::Error(e) => format!("Uncaught InternalError: {e}"),
    }
}
