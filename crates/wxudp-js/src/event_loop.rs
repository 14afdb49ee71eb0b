//! The event loop: runs the main script, then timers, socket events and promise jobs on
//! one thread until nothing is left to do.

use std::cell::RefCell;
use std::future::poll_fn;
use std::path::Path;
use std::rc::Rc;

use rquickjs::{CatchResultExt, Context, Ctx, Function, Object, Persistent, Runtime, Value};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use wxudp::Delivery;

use crate::convert::event_payload;
use crate::exception::{describe_exception, report_exception};
use crate::host::{Host, JsFunction, Shared};
use crate::rejections::Rejections;
use crate::timers::Callback;
use crate::{natives, udp, RunOptions, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TIMEOUT};

const PRELUDE: &str = include_str!("prelude.js");

/// Socket events delivered in one turn of the loop at most, before the timers.
const EVENT_BATCH: usize = 64;

/// Timers fired in one turn of the loop at most (only timers due when the turn began):
/// thousands of busy intervals then still leave socket I/O a turn of its own.
const TIMER_BATCH: usize = 256;

/// What the prelude hands back to the loop.
struct Hooks {
    run_main: JsFunction,
    app_hide: JsFunction,
}

pub(crate) async fn run(path: &Path, options: &RunOptions) -> i32 {
    let main = match std::path::absolute(path) {
        Ok(p) if p.is_file() => p,
        _ => {
            eprintln!("wxudp: cannot open {}: no such file", path.display());
            return EXIT_ERROR;
        }
    };
    let root = main.parent().map(Path::to_path_buf).unwrap_or_default();
    let js = match Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxudp: cannot start QuickJS: {e}");
            return EXIT_ERROR;
        }
    };
    let context = match Context::full(&js) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wxudp: cannot start QuickJS: {e}");
            return EXIT_ERROR;
        }
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Delivery)>();
    let host = match Host::new(options, root, tx, tokio::runtime::Handle::current()) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    let host: Shared = Rc::new(RefCell::new(host));
    let rejections = Rc::new(RefCell::new(Rejections::default()));
    track_rejections(&js, &rejections);
    // Ctrl-C sets a flag even while a script runs; the engine checks it (and the
    // deadline) now and then, so that an endless loop ends too.
    let sigint = signal_hook::flag::register(
        signal_hook::consts::SIGINT,
        host.borrow().stop.interrupted.clone(),
    )
    .ok();

    let code = turn_loop(&js, &context, &host, &rejections, &main, options, &mut rx).await;

    js.set_interrupt_handler(None);
    if let Some(id) = sigint {
        signal_hook::low_level::unregister(id);
    }

    // Persistent values must be gone before the JS runtime is freed.
    context.with(|_ctx| {
        let mut h = host.borrow_mut();
        h.close_all();
        h.timers.clear();
        rejections.borrow_mut().clear();
        h.sockets.clear();
    });
    drop(rx);
    let failed = host.borrow().exit_code;
    code.max(failed)
}

async fn turn_loop(
    js: &Runtime,
    context: &Context,
    host: &Shared,
    rejections: &RefCell<Rejections>,
    main: &Path,
    options: &RunOptions,
    rx: &mut mpsc::UnboundedReceiver<(u64, Delivery)>,
) -> i32 {
    // Catch Ctrl-C from the start, so that it cannot kill the run before the loop begins.
    let mut sigint = signal(SignalKind::interrupt()).ok();
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let hooks = match context.with(|ctx| install(&ctx, host)) {
        Ok(hooks) => hooks,
        Err(e) => {
            eprintln!("wxudp: cannot set up the runtime: {e}");
            return EXIT_ERROR;
        }
    };
    // Only the script is subject to the stop conditions: the prelude always completes, so
    // that a tiny --timeout ends the run as a timeout, not as a failed setup.
    js.set_interrupt_handler(Some(Box::new(host.borrow().stop.interrupts())));
    let started = context.with(|ctx| {
        let run_main = hooks.run_main.clone().restore(&ctx)?;
        let path = main.to_string_lossy().into_owned();
        match run_main.call::<_, ()>((path,)).catch(&ctx) {
            Ok(()) => Ok(true),
            Err(e) => {
                report_caught(&ctx, host, e);
                Ok::<_, rquickjs::Error>(false)
            }
        }
    });
    if let Some(code) = host.borrow().stop.reason() {
        return stop(context, host, &hooks, options, code);
    }
    if !matches!(started, Ok(true)) {
        // An exception at the top level (a syntax error among them) ends the run, as
        // Node.js does.
        host.borrow().close_all();
        return EXIT_ERROR;
    }

    let mut io = host.borrow().io.driver();
    loop {
        drain_jobs(js, host);
        report_rejections(context, host, rejections);
        let reason = host.borrow().stop.reason();
        if let Some(code) = reason {
            return stop(context, host, &hooks, options, code);
        }
        let (idle, next_timer) = {
            let h = host.borrow();
            let idle = h.timers.is_empty() && !h.has_open_socket();
            (idle, h.timers.next_due())
        };
        if idle && rx.is_empty() && !js.is_job_pending() {
            return 0;
        }
        let interrupted = async {
            match sigint.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        let timed_out = wait_until(deadline);
        let timer_due = wait_until(next_timer);
        let io_progress = poll_fn(|cx| io.poll(cx));
        let woken_by = tokio::select! {
            // Socket I/O first, so that what it reads is seen by the `rx` branch in the
            // same turn.
            biased;
            () = io_progress => None,
            () = interrupted => {
                return stop(context, host, &hooks, options, EXIT_INTERRUPTED);
            }
            () = timed_out => {
                return stop(context, host, &hooks, options, EXIT_TIMEOUT);
            }
            Some(event) = rx.recv() => Some(event),
            () = timer_due => None,
        };
        // Whatever woke the loop, the turn gives socket events and timers their share.
        if turn(js, context, host, rx, woken_by) {
            // Busy timers must not keep the OS from being polled: let the runtime look
            // at the sockets before the next turn.
            tokio::task::yield_now().await;
        }
    }
}

/// One turn of the loop once something is ready: socket events (`first`, then what
/// else is queued, [`EVENT_BATCH`] at most), then the timers that were due when the turn
/// began ([`TIMER_BATCH`] at most), running promise jobs after each callback as Node
/// does. Returns whether a timer fired.
fn turn(
    js: &Runtime,
    context: &Context,
    host: &Shared,
    rx: &mut mpsc::UnboundedReceiver<(u64, Delivery)>,
    first: Option<(u64, Delivery)>,
) -> bool {
    let now = Instant::now();
    let mut next = first;
    for _ in 0..EVENT_BATCH {
        let Some((id, delivery)) = next.take().or_else(|| rx.try_recv().ok()) else {
            break;
        };
        context.with(|ctx| dispatch(&ctx, host, id, delivery));
        drain_jobs(js, host);
        if host.borrow().stop.reason().is_some() {
            return false;
        }
    }
    let mut fired = false;
    for _ in 0..TIMER_BATCH {
        // Timers added or rescheduled during this turn are due after `now`: they wait
        // for the next turn.
        let due = host.borrow_mut().timers.take_due(now);
        let Some(callback) = due else {
            break;
        };
        fired = true;
        context.with(|ctx| call_timer(&ctx, host, callback));
        drain_jobs(js, host);
        if host.borrow().stop.reason().is_some() {
            break;
        }
    }
    fired
}

/// Ends the run for Ctrl-C (after the `onAppHide` listeners and page hooks) or for
/// `--timeout`, closing every socket; returns the exit status.
fn stop(context: &Context, host: &Shared, hooks: &Hooks, options: &RunOptions, code: i32) -> i32 {
    if code == EXIT_INTERRUPTED {
        host.borrow()
            .stop
            .hiding
            .store(true, std::sync::atomic::Ordering::SeqCst);
        context.with(|ctx| {
            if let Ok(f) = hooks.app_hide.clone().restore(&ctx) {
                if let Err(e) = f.call::<_, ()>(()).catch(&ctx) {
                    eprintln!("{}", caught_text(&ctx, e));
                }
            }
        });
    } else {
        eprintln!(
            "wxudp: timed out after {}s",
            options.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
        );
    }
    host.borrow().close_all();
    code
}

/// Prints an exception a listener, timer or the main script let through, and marks the
/// run failed; says nothing when the script was stopped from outside.
fn report_caught<'js>(ctx: &Ctx<'js>, host: &Shared, e: rquickjs::CaughtError<'js>) {
    if host.borrow().stop.reason().is_some() {
        return;
    }
    eprintln!("{}", caught_text(ctx, e));
    host.borrow_mut().exit_code = EXIT_ERROR;
}

/// Sleeps until `at`, or forever without one.
async fn wait_until(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Creates the natives, runs the prelude, and returns its hooks.
fn install(ctx: &Ctx<'_>, host: &Shared) -> rquickjs::Result<Hooks> {
    let n = Object::new(ctx.clone())?;
    natives::install(ctx, &n, host)?;
    udp::install(ctx, &n, host)?;
    let prelude = natives::eval_named(ctx, PRELUDE, "wxudp:internal/prelude.js")?
        .into_function()
        .ok_or_else(|| rquickjs::Exception::throw_type(ctx, "the prelude is not a function"))?;
    let hooks: Object<'_> = prelude.call((n, ctx.globals()))?;
    Ok(Hooks {
        run_main: Persistent::save(ctx, hooks.get::<_, Function<'_>>("runMain")?),
        app_hide: Persistent::save(ctx, hooks.get::<_, Function<'_>>("appHide")?),
    })
}

/// Runs every pending promise job, reporting the ones that throw.
fn drain_jobs(js: &Runtime, host: &Shared) {
    loop {
        match js.execute_pending_job() {
            Ok(true) => {}
            Ok(false) => return,
            Err(job) => job.0.with(|ctx| {
                let e = ctx.catch();
                report_exception(&ctx, host, e);
            }),
        }
    }
}

/// Remembers rejected promises without a handler, and forgets them when one is added:
/// O(1) each (see [`Rejections`]).
fn track_rejections(js: &Runtime, rejections: &Rc<RefCell<Rejections>>) {
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
fn report_rejections(context: &Context, host: &Shared, rejections: &RefCell<Rejections>) {
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
fn dispatch(ctx: &Ctx<'_>, host: &Shared, id: u64, delivery: Delivery) {
    let Some(event) = delivery.accept() else {
        return;
    };
    let listeners = match host.borrow().sockets.get(&id) {
        Some(socket) => socket.listeners.snapshot(event.kind()),
        None => return,
    };
    if listeners.is_empty() {
        return;
    }
    let payload = match event_payload(ctx, event) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wxudp: cannot build an event: {e}");
            return;
        }
    };
    for listener in listeners {
        let Ok(f) = listener.restore(ctx) else {
            continue;
        };
        if let Err(e) = f.call::<_, ()>((payload.clone(),)).catch(ctx) {
            report_caught(ctx, host, e);
        }
    }
}

/// Runs a timer's callback with its arguments.
fn call_timer(ctx: &Ctx<'_>, host: &Shared, (callback, args): Callback) {
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
