//! The event loop: runs the main script, then timers, socket events and promise jobs on
//! one thread until nothing is left to do.

use std::cell::RefCell;
use std::future::poll_fn;
use std::path::Path;
use std::rc::Rc;

use rquickjs::{CatchResultExt, Context, Ctx, Function, Object, Persistent, Runtime, Value};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use wxudp::frontend::Delivery;

use crate::convert::event_payload;
use crate::exception::{describe_exception, report_exception};
use crate::host::{Host, JsFunction, Shared};
use crate::rejections::Rejections;
use crate::stop::{Cause, Input, Phase, Wake, Watchdog};
use crate::timers::Callback;
use crate::{natives, udp, RunOptions, EXIT_ERROR};

const PRELUDE: &str = include_str!("prelude.js");

/// Socket events delivered in one turn at most: those queued when the turn began, up
/// to this many. Events that listeners cause during the turn wait for the next one, so
/// neither timers nor events can starve the other.
const EVENT_BATCH: usize = 4096;

/// Timers fired in one turn of the loop at most (only timers due when the turn began):
/// thousands of busy intervals then still leave socket I/O a turn of its own.
const TIMER_BATCH: usize = 256;

/// What the prelude hands back to the loop.
struct Hooks {
    run_main: JsFunction,
    app_hide: JsFunction,
}

pub(crate) async fn run(
    path: &Path,
    options: &RunOptions,
    observer: &std::sync::Arc<crate::observe::Observer>,
) -> i32 {
    let project = match crate::project::Project::open(path, options.page.as_deref()) {
        Ok(project) => project,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    let main = project.main.clone();
    let js = match Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxudp: cannot start QuickJS: {e}");
            return EXIT_ERROR;
        }
    };
    // Beyond it an allocation throws "out of memory" in the script, as a phone would
    // run out of memory, instead of the machine running out of it.
    js.set_memory_limit(options.js_memory);
    let context = match Context::full(&js) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wxudp: cannot start QuickJS: {e}");
            return EXIT_ERROR;
        }
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Delivery)>();
    let host = match Host::new(
        options,
        project,
        observer.clone(),
        tx,
        tokio::runtime::Handle::current(),
    ) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    let host: Shared = Rc::new(RefCell::new(host));
    let rejections = Rc::new(RefCell::new(Rejections::default()));
    track_rejections(&js, &rejections);
    // From here on SIGINT, SIGTERM and SIGHUP end the run through its hide hooks: their
    // handlers set flags, which the engine's interrupt handler and the loop read. A
    // process that cannot catch them keeps their default action (it dies at once).
    let signals = host.borrow().stop.catch_signals();
    if let Err(e) = &signals {
        eprintln!("wxudp: cannot catch signals: {e}");
    }
    let mut wake = Wake::new();
    let watchdog = Watchdog::start(host.borrow().stop.deadline());
    if let Err(e) = &watchdog {
        eprintln!("wxudp: cannot start the watchdog: {e}");
    }

    let env = Env {
        js: &js,
        context: &context,
        host: &host,
        rejections: &rejections,
        options,
    };
    let code = turn_loop(&env, &main, &mut rx, &mut wake).await;

    js.set_interrupt_handler(None);
    crate::report::snapshot_pages(&js, &context, &host);
    // Persistent values must be gone before the JS runtime is freed.
    context.with(|_ctx| {
        let mut h = host.borrow_mut();
        h.close_all();
        h.timers.clear();
        rejections.borrow_mut().clear();
        h.sockets.clear();
    });
    drop(rx);
    drop(watchdog);
    drop(signals);
    let failed = host.borrow().exit_code;
    code.max(failed)
}

/// What the steps of a run share.
struct Env<'a> {
    js: &'a Runtime,
    context: &'a Context,
    host: &'a Shared,
    rejections: &'a RefCell<Rejections>,
    options: &'a RunOptions,
}

async fn turn_loop(
    env: &Env<'_>,
    main: &Path,
    rx: &mut mpsc::UnboundedReceiver<(u64, Delivery)>,
    wake: &mut Wake,
) -> i32 {
    let Env {
        js,
        context,
        host,
        rejections,
        ..
    } = *env;
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
    let phase = host.borrow().stop.poll();
    if phase != Phase::Running {
        return end(env, &hooks, phase);
    }
    if !matches!(started, Ok(true)) {
        // An exception at the top level (a syntax error among them) ends the run, as
        // Node.js does.
        host.borrow().close_all();
        return EXIT_ERROR;
    }

    let deadline = host.borrow().stop.deadline().map(Instant::from_std);
    let mut io = host.borrow().sockets.io.driver();
    loop {
        drain_jobs(js, host);
        report_rejections(context, host, rejections);
        let phase = host.borrow().stop.poll();
        if phase != Phase::Running {
            return end(env, &hooks, phase);
        }
        let (idle, next_timer) = {
            let h = host.borrow();
            let idle = h.timers.is_empty() && !h.has_open_socket();
            (idle, h.timers.next_due())
        };
        if idle && rx.is_empty() && !js.is_job_pending() {
            return 0;
        }
        let timer_due = wait_until(next_timer);
        let io_progress = poll_fn(|cx| io.poll(cx));
        let woken_by = tokio::select! {
            // Socket I/O first, so that what it reads is seen by the `rx` branch in the
            // same turn.
            biased;
            () = io_progress => None,
            // A signal or the deadline: the top of the loop reads the stop conditions.
            () = wake.recv() => continue,
            () = wait_until(deadline) => continue,
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
/// else was queued when the turn began, [`EVENT_BATCH`] at most), then the timers that were due when the turn
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
    let queued = rx.len() + usize::from(first.is_some());
    let mut next = first;
    for _ in 0..queued.min(EVENT_BATCH) {
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

/// Ends the run from `phase` (not `Running`) and returns the exit status. After a
/// signal, the hide hooks run first (`wx.onAppHide` listeners, `App.onHide`, each page's
/// `onHide`/`onUnload`) with the promise jobs they queue, unless a second signal or the
/// deadline cuts them short; then every socket closes, flushing what was sent.
fn end(env: &Env<'_>, hooks: &Hooks, phase: Phase) -> i32 {
    let Env {
        js,
        context,
        host,
        options,
        ..
    } = *env;
    let mut phase = phase;
    if let Phase::Hiding { .. } = phase {
        host.borrow().stop.advance(Input::HooksStart);
        context.with(|ctx| {
            if let Ok(f) = hooks.app_hide.clone().restore(&ctx) {
                if let Err(e) = f.call::<_, ()>(()).catch(&ctx) {
                    report_caught(&ctx, host, e);
                }
            }
        });
        drain_jobs(js, host);
        phase = host.borrow().stop.poll();
        if let Phase::Hiding { .. } = phase {
            phase = host.borrow().stop.advance(Input::HooksEnd);
        }
    }
    let status = match phase {
        Phase::Done(cause) => {
            match cause {
                Cause::Timeout => eprintln!(
                    "wxudp: timed out after {}s",
                    options.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
                ),
                Cause::SecondSignal { second, .. } => eprintln!(
                    "wxudp: a second signal ({}): the run ends without waiting for the hide hooks",
                    second.name()
                ),
                Cause::Signal(_) => {}
            }
            cause.status()
        }
        // Not reached: `end` is called once the run is no longer running, and the hooks
        // above end in `Done`.
        Phase::Running | Phase::Hiding { .. } => EXIT_ERROR,
    };
    host.borrow().close_all();
    status
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

/// Runs every pending promise job, reporting the ones that throw, until none is left or
/// the run is stopped.
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
        // Jobs that queue jobs forever must not outlive a stop.
        if host.borrow().stop.reason().is_some() {
            return;
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
