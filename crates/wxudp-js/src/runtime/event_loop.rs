//! The event loop: runs the main script, then timers, socket events and promise jobs on
//! one thread until nothing is left to do.

use std::cell::RefCell;
use std::future::poll_fn;
use std::path::Path;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use rquickjs::{CatchResultExt, Context, Ctx, Function, Object, Persistent, Runtime};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use wxudp::frontend::Delivery;

use crate::runtime::callbacks::{
    call_timer, deliver_completion, dispatch, drain_jobs, report_caught, report_rejections,
    track_rejections,
};
use crate::runtime::host::{Host, Shared};
use crate::runtime::rejections::Rejections;
use crate::runtime::stop::{Cause, Input, Phase, Wake, Watchdog};
use crate::runtime::tasks::JsFunction;
use crate::runtime::tasks::{Completion, Tasks};
use crate::{RunOptions, EXIT_ERROR};

use super::inbox::Inbox;

/// Socket events delivered in one turn at most (and only events queued when the turn
/// began): a backstop beside [`SLICE`] for a clock that moves in coarse steps.
const EVENT_BATCH: usize = 4096;

/// Timers fired in one turn at most (and only timers due when the turn's timers
/// began): thousands of busy intervals then still leave socket I/O a turn of its own.
const TIMER_BATCH: usize = 256;

/// How long a turn may keep firing timers, and at least how long it may keep
/// delivering socket events, before it moves on: the callback running when time is up
/// completes, then the rest waits for the next turn. A backlog (a flood, a script's own
/// error storm) then holds timers, other sockets and the OS (I/O, signals) for about
/// one slice plus one listener's run.
const SLICE: Duration = Duration::from_millis(10);

/// A socket's events waiting for delivery.
type Events = Inbox<Delivery>;

/// What the loop waits on besides timers, signals and the OS: socket events, and the
/// completions of work on tokio (runtime/tasks.rs).
struct Inputs {
    events: mpsc::UnboundedReceiver<(u64, Delivery)>,
    done: mpsc::UnboundedReceiver<Completion>,
}

impl Inputs {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.done.is_empty()
    }
}

/// What woke the loop, taken from its channel.
enum Woken {
    Event((u64, Delivery)),
    Done(Completion),
}

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
    let project = match crate::package::project::Project::open(path, options.page.as_deref()) {
        Ok(project) => project,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    let main = project.main.clone();
    let prepared = match crate::wx::Prepared::new(options, &project.root) {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    // Beyond --js-memory an allocation throws "out of memory" in the script, as a phone
    // would run out of memory, instead of the machine running out of it (memory.rs).
    let (allocator, budget) = super::memory::Budgeted::new(options.js_memory);
    let js = match Runtime::new_with_alloc(allocator) {
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
    let (tx, rx) = mpsc::unbounded_channel::<(u64, Delivery)>();
    let (tasks, done) = Tasks::new();
    let mut inputs = Inputs { events: rx, done };
    let mut host = match Host::new(
        options,
        project,
        observer.clone(),
        tx,
        tasks,
        tokio::runtime::Handle::current(),
    ) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    host.stop.watch_memory(budget.flag());
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
    let watchdog = Watchdog::start(&host.borrow().stop, observer.clone());
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
    let code = turn_loop(&env, &main, prepared, &mut inputs, &mut wake).await;

    js.set_interrupt_handler(None);
    crate::observe::report::snapshot_pages(&js, &context, &host);
    // Persistent values must be gone before the JS runtime is freed.
    context.with(|_ctx| {
        let mut h = host.borrow_mut();
        h.close_all();
        h.timers.borrow_mut().clear();
        h.tasks.clear();
        rejections.borrow_mut().clear();
        h.sockets.clear();
    });
    drop(inputs);
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
    prepared: crate::wx::Prepared,
    inputs: &mut Inputs,
    wake: &mut Wake,
) -> i32 {
    let Env {
        js,
        context,
        host,
        rejections,
        ..
    } = *env;
    let hooks = match context.with(|ctx| install(&ctx, host, env.options, prepared)) {
        Ok(hooks) => hooks,
        Err(SetupError::Engine(e)) => {
            eprintln!("wxudp: cannot set up the runtime: {e}");
            return EXIT_ERROR;
        }
        Err(SetupError::Refused(message)) => {
            eprintln!("wxudp: {message}");
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
    let mut events = Events::default();
    let mut timers_took = Duration::ZERO;
    let mut reads = Reads::default();
    // Timers wake the loop through a timerfd in its epoll, to the microsecond: tokio's
    // sleep rounds every deadline up to the next millisecond (and epoll's timeout again),
    // which made a 60 fps interval run at 56. Without one, tokio's sleep still works.
    let mut alarm = crate::runtime::timerfd::Deadline::new().ok();
    loop {
        drain_jobs(js, host);
        report_rejections(context, host, rejections);
        let phase = host.borrow().stop.poll();
        if phase != Phase::Running {
            return end(env, &hooks, phase);
        }
        let (idle, next_timer) = {
            let h = host.borrow();
            let timers = h.timers.borrow();
            let idle = timers.is_empty() && !h.has_open_socket() && h.tasks.is_empty();
            let next = timers.next_due();
            (idle, next)
        };
        if idle && inputs.is_empty() && events.is_empty() && !js.is_job_pending() {
            return 0;
        }
        // Something to do already: read what the sockets hold (if a read is due, see
        // [`Reads`]) without waiting, then a turn. Deciding this asks nothing of tokio's
        // cooperative budget, which reading a flooded socket can use up: a channel or a
        // timer seen through it would look empty or not due, and the loop would go on
        // reading instead of delivering.
        let ready = !events.is_empty()
            || !inputs.is_empty()
            || next_timer.is_some_and(|due| due <= Instant::now());
        let woken_by = if ready {
            if reads.due() {
                let started = Instant::now();
                poll_fn(|cx| {
                    let _ = io.poll(cx);
                    Poll::Ready(())
                })
                .await;
                reads.done(started);
            }
            None
        } else {
            let timer_due = timer_due(&mut alarm, next_timer);
            let io_progress = poll_fn(|cx| io.poll(cx));
            let Inputs { events: rx, done } = &mut *inputs;
            let channel = poll_fn(|cx| match rx.try_recv() {
                Ok(event) => Poll::Ready(Some(event)),
                Err(_) => rx.poll_recv(cx),
            });
            let completion = poll_fn(|cx| done.poll_recv(cx));
            tokio::select! {
                // Socket I/O first, so that what it reads is seen by the channel branch
                // in the same turn.
                biased;
                () = io_progress => None,
                // A signal or the deadline: the top of the loop reads the stop conditions.
                () = wake.recv() => continue,
                () = wait_until(deadline) => continue,
                Some(event) = channel => Some(Woken::Event(event)),
                Some(completion) = completion => Some(Woken::Done(completion)),
                () = timer_due => None,
            }
        };
        // Whatever woke the loop, the turn gives socket events and timers their share.
        timers_took = turn(
            js,
            context,
            host,
            inputs,
            &mut events,
            woken_by,
            timers_took,
        );
        // Let the runtime poll the OS (sockets, signals) before the next turn, however
        // busy the loop is: nothing else would make it look while events or timers keep
        // the loop ready.
        tokio::task::yield_now().await;
    }
}

/// When a busy loop reads its sockets: after each turn, unless the last read took
/// long. Reading a flooded socket costs time whether or not its datagrams fit in the
/// receive budget (those beyond it are read, then dropped), so a loop that read after
/// every short turn would spend most of its time reading datagrams it drops. A read
/// waits until [`READ_SPACING`] times its own duration has passed since the last one,
/// so reading takes at most a third of a busy loop's time (the kernel drops what does
/// not fit in its buffer meanwhile, at no cost to the loop), but never more than
/// [`READ_GAP`]: reading also starts and ends the sockets' I/O tasks, work that piles
/// up (and holds memory) while it waits, so that a read after a long wait takes
/// longer, and an unbounded wait would grow without end.
struct Reads {
    /// How long the last read took.
    took: Duration,
    /// When it ended.
    ended: Instant,
}

/// See [`Reads`].
const READ_SPACING: u32 = 2;

/// See [`Reads`].
const READ_GAP: Duration = Duration::from_millis(50);

impl Default for Reads {
    fn default() -> Self {
        Reads {
            took: Duration::ZERO,
            ended: Instant::now(),
        }
    }
}

impl Reads {
    fn due(&self) -> bool {
        self.ended.elapsed() >= (self.took * READ_SPACING).min(READ_GAP)
    }

    fn done(&mut self, started: Instant) {
        self.ended = Instant::now();
        self.took = self.ended - started;
    }
}

/// One turn of the loop once something is ready. Returns how long its timers took.
///
/// 1. The socket events queued when the turn began (`first`, taken from the channel by
///    whoever woke the loop, then the rest of the channel) join their sockets' queues.
/// 2. Socket events are delivered round-robin across sockets (see [`Inbox`]), each
///    socket's in order, until none is left, [`EVENT_BATCH`] were delivered or their
///    time is up: [`SLICE`], or as long as the timers of the last turn took if that is
///    longer. The rest wait for the next turn, as do the events that listeners cause
///    meanwhile.
/// 3. The timers due when this step begins fire in deadline order, until none is left,
///    [`TIMER_BATCH`] fired or [`SLICE`] has passed; timers set or rescheduled during
///    this step are due later, so they wait for the next turn.
///
/// Promise jobs run after each callback, as Node runs them.
///
/// Events get at least the time timers took so that timers that cause events (a
/// callback that binds and closes a thousand sockets) cannot run ahead of their
/// delivery: each socket with an event waiting is kept, so a growing backlog would be
/// growing memory. The reverse does not hold (timers get [`SLICE`] whatever the events
/// took), or each phase could lengthen the other without end.
fn turn(
    js: &Runtime,
    context: &Context,
    host: &Shared,
    inputs: &mut Inputs,
    events: &mut Events,
    first: Option<Woken>,
    timers_took: Duration,
) -> Duration {
    // Timers set from here on count from the turn's start, then from the timer phase's
    // start (see `Timers::set_clock`).
    host.borrow()
        .timers
        .borrow_mut()
        .set_clock(Some(Instant::now()));
    let took = turn_phases(js, context, host, inputs, events, first, timers_took);
    host.borrow().timers.borrow_mut().set_clock(None);
    took
}

/// The two phases of [`turn`]: socket events, then timers.
fn turn_phases(
    js: &Runtime,
    context: &Context,
    host: &Shared,
    inputs: &mut Inputs,
    events: &mut Events,
    first: Option<Woken>,
    timers_took: Duration,
) -> Duration {
    // Only what is queued now: callbacks add to the channels meanwhile, and that waits.
    let mut completions = Vec::with_capacity(inputs.done.len() + 1);
    match first {
        Some(Woken::Event((id, delivery))) => events.push(id, delivery),
        Some(Woken::Done(completion)) => completions.push(completion),
        None => {}
    }
    for _ in 0..inputs.events.len() {
        let Ok((id, delivery)) = inputs.events.try_recv() else {
            break;
        };
        events.push(id, delivery);
    }
    for _ in 0..inputs.done.len() {
        let Ok(completion) = inputs.done.try_recv() else {
            break;
        };
        completions.push(completion);
    }
    // The work that finished (HTTP answers, mDNS results), in the order it finished.
    for completion in completions {
        context.with(|ctx| deliver_completion(&ctx, host, completion));
        drain_jobs(js, host);
        if host.borrow().stop.reason().is_some() {
            return Duration::ZERO;
        }
    }
    let started = Instant::now();
    let slice = SLICE.max(timers_took);
    for _ in 0..EVENT_BATCH {
        let Some((id, delivery)) = events.pop() else {
            break;
        };
        context.with(|ctx| dispatch(&ctx, host, id, delivery));
        drain_jobs(js, host);
        if host.borrow().stop.reason().is_some() {
            return Duration::ZERO;
        }
        if started.elapsed() >= slice {
            break;
        }
    }
    events.end_turn();
    // Timers due during the events above fire now, not a turn later: a backlog delays
    // a timer by one slice of events at most. Timers the callbacks set count from the
    // phase's start, so none of them is due within this phase (as in Node).
    let now = Instant::now();
    host.borrow().timers.borrow_mut().set_clock(Some(now));
    for _ in 0..TIMER_BATCH {
        let due = host.borrow().timers.borrow_mut().take_due(now);
        let Some(callback) = due else {
            break;
        };
        context.with(|ctx| call_timer(&ctx, host, callback));
        drain_jobs(js, host);
        if host.borrow().stop.reason().is_some() || now.elapsed() >= SLICE {
            break;
        }
    }
    now.elapsed()
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
                Cause::OutOfMemory => eprintln!(
                    "Uncaught InternalError: out of memory (the script went on allocating past --js-memory {} bytes)",
                    options.js_memory
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

/// Waits until the earliest timer is due: on the timerfd (re-armed only when that
/// deadline changed), or on tokio's sleep without one.
async fn timer_due(alarm: &mut Option<crate::runtime::timerfd::Deadline>, next: Option<Instant>) {
    if let Some(timer) = alarm.as_mut() {
        if timer.set(next.map(Instant::into_std)).is_ok()
            && poll_fn(|cx| timer.poll_expired(cx)).await.is_ok()
        {
            return;
        }
    }
    wait_until(next).await;
}

/// Sleeps until `at`, or forever without one.
async fn wait_until(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Why the runtime could not be set up.
enum SetupError {
    /// QuickJS failed (out of memory...).
    Engine(rquickjs::Error),
    /// The prelude refused what the run gave it (an answers file), in its words.
    Refused(String),
}

impl From<rquickjs::Error> for SetupError {
    fn from(e: rquickjs::Error) -> Self {
        SetupError::Engine(e)
    }
}

/// Creates the natives, runs the prelude, and returns its hooks.
fn install(
    ctx: &Ctx<'_>,
    host: &Shared,
    options: &RunOptions,
    prepared: crate::wx::Prepared,
) -> Result<Hooks, SetupError> {
    let n = Object::new(ctx.clone())?;
    crate::wx::install(ctx, &n, host, options, prepared)?;
    let prelude = super::eval_named(ctx, crate::wx::PRELUDE, "wxudp:internal/prelude.js")?
        .into_function()
        .ok_or_else(|| rquickjs::Exception::throw_type(ctx, "the prelude is not a function"))?;
    // What the prelude refuses (an answers file it cannot use) is said as it says it.
    let hooks: Object<'_> = match prelude.call((n, ctx.globals())).catch(ctx) {
        Ok(hooks) => hooks,
        Err(rquickjs::CaughtError::Exception(e)) => {
            return Err(SetupError::Refused(e.message().unwrap_or_default()))
        }
        Err(e) => return Err(SetupError::Refused(e.to_string())),
    };
    Ok(Hooks {
        run_main: Persistent::save(ctx, hooks.get::<_, Function<'_>>("runMain")?),
        app_hide: Persistent::save(ctx, hooks.get::<_, Function<'_>>("appHide")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_waits_twice_as_long_as_the_last_one_took_within_the_gap() {
        let mut reads = Reads::default();
        assert!(reads.due(), "the first read is due at once");
        let started = Instant::now();
        reads.done(started);
        assert!(reads.took <= started.elapsed());
        // A read of 10 ms: the next one waits 20 ms.
        reads.took = Duration::from_millis(10);
        reads.ended = Instant::now() + Duration::from_secs(10);
        assert!(!reads.due());
        reads.ended = Instant::now() - Duration::from_millis(21);
        assert!(reads.due());
        // A read of 10 s: the next one waits READ_GAP, not 20 s.
        reads.took = Duration::from_secs(10);
        reads.ended = Instant::now() - READ_GAP - Duration::from_millis(1);
        assert!(reads.due());
        // A quick read: the next one is due after the next turn.
        reads.took = Duration::ZERO;
        reads.ended = Instant::now();
        assert!(reads.due());
    }
}
