//! `setTimeout` / `setInterval`: the timers of one run, in deadline order.
//!
//! Timers live in an ordered map keyed by (deadline, sequence number), beside a map from
//! id to timer: adding, firing and clearing a timer are O(log n) whatever the number of
//! timers, and the earliest deadline is the map's first key.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

use rquickjs::{Ctx, Exception, Function, Object, Persistent, Value};
use tokio::time::Instant;
use wxudp::{Limits, Reservation};

use crate::runtime::tasks::JsFunction;

/// The longest delay a timer keeps, in milliseconds: 2^31-1 (about 24.8 days), as in
/// Node.js and browsers. Longer delays mean 1 ms.
pub(crate) const MAX_DELAY_MS: f64 = 2_147_483_647.0;

/// The delay of `setTimeout(f, ms)` / `setInterval(f, ms)`, `ms` already coerced to a
/// number (`ms * 1`, as Node does): Node's rule, a delay that is NaN, below 1 or above
/// [`MAX_DELAY_MS`] means 1 ms, and a fractional delay is truncated to whole
/// milliseconds (Node's timer lists do the same: `1.9` waits 1 ms).
pub(crate) fn delay(ms: f64) -> Duration {
    let ms = if (1.0..=MAX_DELAY_MS).contains(&ms) {
        ms.trunc()
    } else {
        1.0
    };
    // In 1..=2^31-1 and whole: the conversion is exact.
    Duration::from_millis(ms as u64)
}

/// A timer's callback and its extra arguments, as `setTimeout(f, ms, ...args)` got them.
pub(crate) type Callback = (JsFunction, Vec<Persistent<Value<'static>>>);

/// `setTimeout` / `setInterval` timers of the run.
/// How late a timer's callback may run and still have the timers it sets count from its
/// deadline. Below 1 ms, the smallest delay, so a timer set by a callback is never due
/// in the phase that ran it.
pub(crate) const LATE_SLACK: Duration = Duration::from_micros(500);

/// The run's timers, as the event loop and the natives share them.
pub(crate) type SharedTimers = Rc<RefCell<Timers>>;

pub(crate) struct Timers {
    queue: Queue<Callback>,
    /// See [`Timers::set_clock`].
    clock: Option<Instant>,
    /// The run's memory budget, and what each pending timer holds of it.
    limits: Limits,
    charges: HashMap<u64, Reservation>,
}

/// What a pending timer counts in the run's memory budget: its entries in the two maps,
/// its callback kept alive, and [`ARG_COST`] per extra argument.
pub(crate) const TIMER_COST: usize = 256;

/// See [`TIMER_COST`].
pub(crate) const ARG_COST: usize = 32;

/// A timer the run's memory budget has no room for.
#[derive(Debug)]
pub(crate) struct NoRoom;

impl Timers {
    /// No timers yet; theirs is the memory budget of `limits`.
    pub(crate) fn new(limits: Limits) -> Self {
        Timers {
            queue: Queue::new(),
            clock: None,
            limits,
            charges: HashMap::new(),
        }
    }

    /// Adds a timer due `delay` from now (see [`delay`]); an interval repeats every
    /// `delay`. Returns its id, never 0 and never reused.
    ///
    /// # Errors
    /// [`NoRoom`] when the run's memory budget has no room for it.
    pub(crate) fn add(
        &mut self,
        delay: Duration,
        repeat: bool,
        callback: JsFunction,
        args: Vec<Persistent<Value<'static>>>,
    ) -> Result<u64, NoRoom> {
        let cost = TIMER_COST.saturating_add(ARG_COST.saturating_mul(args.len()));
        let charge = self.limits.reserve(cost).ok_or(NoRoom)?;
        let now = self.clock.unwrap_or_else(Instant::now);
        let id = self.queue.add(now, delay, repeat, (callback, args));
        self.charges.insert(id, charge);
        Ok(id)
    }

    /// The time a loop turn began, while it runs (`None` between turns): timers set
    /// during a turn count their delay from it, as Node counts from its loop's cached
    /// time. So a chained `setTimeout(f, 5)` does not add its callback's own run time
    /// to every step, and a `setTimeout(f, 0)` set by a burst that took a millisecond
    /// is due at once.
    pub(crate) fn set_clock(&mut self, turn_began: Option<Instant>) {
        self.clock = turn_began;
    }

    /// Clears a timer; an id that is unknown, already fired or already cleared is
    /// ignored.
    pub(crate) fn remove(&mut self, id: u64) {
        self.queue.remove(id);
        self.charges.remove(&id);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.queue.next_due()
    }

    /// The earliest timer due by `now` (see [`Queue::take_due`]). Timers its callback
    /// sets count from its deadline rather than from when it ran, unless it ran more than
    /// [`LATE_SLACK`] late: so a chain of `setTimeout(f, 5)` keeps to a 5 ms grid
    /// despite the loop's wake-up latency, and a callback that ran very late does not
    /// make its successors fire in a burst to catch up.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<Callback> {
        let due = self.queue.next_due()?;
        let (id, callback) = self.queue.take_due(now)?;
        if !self.queue.contains(id) {
            // A timeout that fired: it holds nothing any more.
            self.charges.remove(&id);
        }
        self.clock = Some(callback_clock(due, now));
        Some(callback)
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.charges.clear();
    }
}

/// The time the timers set by a callback due at `due`, run at `now`, count from: its
/// deadline, unless it runs more than [`LATE_SLACK`] late.
fn callback_clock(due: Instant, now: Instant) -> Instant {
    due.max(now.checked_sub(LATE_SLACK).unwrap_or(now))
}

/// Timers carrying a `T` each, ordered by deadline, then by when they were scheduled.
pub(crate) struct Queue<T> {
    /// (due, sequence) -> id: the timers in firing order.
    order: BTreeMap<(Instant, u64), u64>,
    entries: HashMap<u64, Entry<T>>,
    next_id: u64,
    next_seq: u64,
}

struct Entry<T> {
    /// Its key in `order`.
    key: (Instant, u64),
    /// The period of an interval.
    every: Option<Duration>,
    value: T,
}

impl<T: Clone> Queue<T> {
    pub(crate) fn new() -> Self {
        Queue {
            order: BTreeMap::new(),
            entries: HashMap::new(),
            next_id: 0,
            next_seq: 0,
        }
    }

    /// Adds a timer due at `now + delay`; an interval then repeats every `delay`, which
    /// must not be zero. Returns its id.
    pub(crate) fn add(&mut self, now: Instant, delay: Duration, repeat: bool, value: T) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let key = self.schedule(now + delay, id);
        let every = repeat.then_some(delay.max(Duration::from_nanos(1)));
        self.entries.insert(id, Entry { key, every, value });
        id
    }

    /// Puts `id` in the firing order at `due`, after every timer already due then.
    fn schedule(&mut self, due: Instant, id: u64) -> (Instant, u64) {
        self.next_seq += 1;
        let key = (due, self.next_seq);
        self.order.insert(key, id);
        key
    }

    /// Clears a timer; unknown ids are ignored.
    pub(crate) fn remove(&mut self, id: u64) {
        if let Some(entry) = self.entries.remove(&id) {
            self.order.remove(&entry.key);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether timer `id` is pending.
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.entries.contains_key(&id)
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.order.first_key_value().map(|(&(due, _), _)| due)
    }

    /// The earliest timer due by `now` (the first scheduled among equal deadlines), with
    /// its id: a timeout is removed; an interval is rescheduled first, so that its
    /// callback can clear it.
    ///
    /// An interval keeps its grid: tick n is due at start + n x period. Its next tick is
    /// the first point of the grid after `now`, so a loop that fell behind fires one
    /// late tick, then returns to the grid, with no burst of missed ticks.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<(u64, T)> {
        let (&(due, seq), &id) = self.order.first_key_value()?;
        if due > now {
            return None;
        }
        self.order.remove(&(due, seq));
        let every = self.entries.get(&id)?.every;
        match every {
            None => self.entries.remove(&id).map(|e| (id, e.value)),
            Some(every) => {
                let next = next_tick(due, every, now);
                let key = self.schedule(next, id);
                let entry = self.entries.get_mut(&id)?;
                entry.key = key;
                Some((id, entry.value.clone()))
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.order.clear();
        self.entries.clear();
    }
}

/// The first tick of the grid `due + k x every` (k >= 1) that is after `now`.
fn next_tick(due: Instant, every: Duration, now: Instant) -> Instant {
    let behind = now.saturating_duration_since(due).as_nanos();
    let period = every.as_nanos().max(1);
    let ticks = behind / period + 1;
    match u64::try_from(period.saturating_mul(ticks)) {
        Ok(nanos) => due + Duration::from_nanos(nanos),
        // Hundreds of years behind: start a grid from now.
        Err(_) => now + every,
    }
}

/// Adds `N.setTimer(f, ms, repeat, args)` and `N.clearTimer(id)` (timers.js).
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    timers: &SharedTimers,
) -> rquickjs::Result<()> {
    let h = timers.clone();
    n.set(
        "setTimer",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  f: Function<'js>,
                  ms: f64,
                  repeat: bool,
                  args: Vec<Value<'js>>|
                  -> rquickjs::Result<u64> {
                let delay = crate::runtime::timers::delay(ms);
                let args = args
                    .into_iter()
                    .map(|a| Persistent::save(&ctx, a))
                    .collect();
                let added = h
                    .borrow_mut()
                    .add(delay, repeat, Persistent::save(&ctx, f), args);
                // As an engine refuses an allocation it cannot make (V8: "RangeError:
                // Array buffer allocation failed").
                added.map_err(|NoRoom| {
                    let name = if repeat { "setInterval" } else { "setTimeout" };
                    Exception::throw_range(
                        &ctx,
                        &format!("{name}: cannot allocate memory (native memory budget used up)"),
                    )
                })
            },
        )?,
    )?;
    let h = timers.clone();
    n.set(
        "clearTimer",
        Function::new(ctx.clone(), move |id: f64| {
            if id.fract() == 0.0 && id >= 1.0 {
                h.borrow_mut().remove(id as u64);
            }
        })?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_of_timeouts_keeps_its_grid_despite_wake_up_latency() {
        let start = Instant::now();
        let mut q: Queue<u32> = Queue::new();
        let mut clock = start;
        let mut fired_at = Vec::new();
        q.add(clock, Duration::from_millis(5), false, 0);
        for step in 1..=100u32 {
            let due = q.next_due().unwrap();
            // The loop wakes 300 µs late every time.
            let now = due + Duration::from_micros(300);
            let (_, n) = q.take_due(now).unwrap();
            assert_eq!(n, step - 1);
            fired_at.push(due);
            clock = callback_clock(due, now);
            let next = q.add(clock, Duration::from_millis(5), false, step);
            assert!(next > 0);
            assert!(
                q.next_due().unwrap() > now,
                "never due in the phase that set it"
            );
        }
        // No drift: step n is due at start + 5 n ms, whatever the latency.
        for (n, at) in fired_at.iter().enumerate() {
            assert_eq!(*at, start + Duration::from_millis(5 * (n as u64 + 1)));
        }
    }

    #[test]
    fn a_callback_that_ran_very_late_does_not_start_a_burst() {
        let due = Instant::now();
        let now = due + Duration::from_millis(100);
        let clock = callback_clock(due, now);
        assert_eq!(clock, now - LATE_SLACK);
        // Its setTimeout(f, 0) (1 ms) is due after `now`, not at once.
        assert!(clock + Duration::from_millis(1) > now);
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Every timer due by `now`, in firing order.
    fn fire(queue: &mut Queue<&'static str>, now: Instant) -> Vec<&'static str> {
        std::iter::from_fn(|| queue.take_due(now).map(|(_, v)| v)).collect()
    }

    #[test]
    fn delays_follow_node() {
        for odd in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            0.999,
            1e-300,
            2_147_483_648.0,
            1e19,
            1e300,
            f64::MAX,
        ] {
            assert_eq!(delay(odd), ms(1), "{odd}");
        }
        assert_eq!(delay(1.0), ms(1));
        assert_eq!(delay(1.9), ms(1));
        assert_eq!(delay(2.5), ms(2));
        assert_eq!(delay(1000.0), ms(1000));
        assert_eq!(delay(MAX_DELAY_MS), ms(2_147_483_647));
        assert_eq!(delay(MAX_DELAY_MS - 0.5), ms(2_147_483_646));
    }

    #[test]
    fn timers_fire_by_deadline_then_in_creation_order() {
        let t0 = Instant::now();
        let mut q = Queue::new();
        q.add(t0, ms(5), false, "five");
        q.add(t0, ms(1), false, "one-a");
        q.add(t0, ms(3), false, "three");
        q.add(t0, ms(1), false, "one-b");
        q.add(t0, ms(1), false, "one-c");
        assert_eq!(q.next_due(), Some(t0 + ms(1)));
        assert_eq!(fire(&mut q, t0), Vec::<&str>::new(), "nothing due yet");
        assert_eq!(
            fire(&mut q, t0 + ms(3)),
            ["one-a", "one-b", "one-c", "three"]
        );
        assert_eq!(q.next_due(), Some(t0 + ms(5)));
        assert_eq!(fire(&mut q, t0 + ms(10)), ["five"]);
        assert!(q.is_empty());
        assert_eq!(q.next_due(), None);
    }

    #[test]
    fn ids_are_never_zero_nor_reused() {
        let t0 = Instant::now();
        let mut q = Queue::new();
        let a = q.add(t0, ms(1), false, "a");
        q.remove(a);
        let b = q.add(t0, ms(1), false, "b");
        assert!(a > 0 && b > a);
        assert_eq!(q.take_due(t0 + ms(1)), Some((b, "b")));
    }

    #[test]
    fn an_interval_keeps_its_grid() {
        let t0 = Instant::now();
        let mut q = Queue::new();
        q.add(t0, ms(10), true, "tick");
        // On time, or a little late: the next tick stays on the grid.
        assert_eq!(fire(&mut q, t0 + ms(10)), ["tick"]);
        assert_eq!(q.next_due(), Some(t0 + ms(20)));
        assert_eq!(fire(&mut q, t0 + ms(23)), ["tick"]);
        assert_eq!(q.next_due(), Some(t0 + ms(30)));
        // Exactly on a later grid point: that point is past, the next one is due.
        assert_eq!(fire(&mut q, t0 + ms(40)), ["tick"]);
        assert_eq!(q.next_due(), Some(t0 + ms(50)));
    }

    #[test]
    fn a_late_interval_fires_once_then_returns_to_its_grid() {
        let t0 = Instant::now();
        let mut q = Queue::new();
        q.add(t0, ms(10), true, "tick");
        // The loop was busy for 95 ms: one late tick, not nine.
        assert_eq!(fire(&mut q, t0 + ms(105)), ["tick"]);
        assert_eq!(q.next_due(), Some(t0 + ms(110)));
        assert_eq!(fire(&mut q, t0 + ms(110)), ["tick"]);
        assert_eq!(q.next_due(), Some(t0 + ms(120)));
    }

    #[test]
    fn a_rescheduled_interval_goes_after_timers_already_due_with_it() {
        let t0 = Instant::now();
        let mut q = Queue::new();
        q.add(t0, ms(1), true, "interval");
        q.add(t0, ms(2), false, "timeout");
        assert_eq!(fire(&mut q, t0 + ms(1)), ["interval"]);
        // Both are due at 2 ms now: the timeout was scheduled first.
        assert_eq!(fire(&mut q, t0 + ms(2)), ["timeout", "interval"]);
    }

    #[test]
    fn cancellation() {
        let t0 = Instant::now();
        let mut q = Queue::new();
        let a = q.add(t0, ms(1), false, "a");
        let b = q.add(t0, ms(1), false, "b");
        let c = q.add(t0, ms(1), true, "c");
        q.remove(b);
        q.remove(b);
        q.remove(12345);
        assert_eq!(q.take_due(t0 + ms(1)), Some((a, "a")));
        // Clearing a timer that already fired changes nothing.
        q.remove(a);
        // An interval cleared from inside its own callback (after take_due returned it)
        // does not fire again.
        assert_eq!(q.take_due(t0 + ms(1)), Some((c, "c")));
        q.remove(c);
        assert_eq!(q.take_due(t0 + ms(100)), None);
        assert!(q.is_empty());
    }

    #[test]
    fn pending_timers_hold_the_memory_budget_until_they_are_done() {
        let js = rquickjs::Runtime::new().unwrap();
        let context = rquickjs::Context::full(&js).unwrap();
        let limits = Limits::default().with_memory_total(4 * TIMER_COST + ARG_COST);
        let mut timers = Timers::new(limits.clone());
        context.with(|ctx| {
            let f = || Persistent::save(&ctx, Function::new(ctx.clone(), || {}).unwrap());
            let arg = || vec![Persistent::save(&ctx, Value::new_int(ctx.clone(), 1))];
            let timeout = timers.add(ms(1), false, f(), arg()).unwrap();
            let interval = timers.add(ms(1), true, f(), Vec::new()).unwrap();
            let cleared = timers.add(ms(1), false, f(), Vec::new()).unwrap();
            timers.add(ms(1), false, f(), Vec::new()).unwrap();
            assert!(timers.add(ms(1), false, f(), Vec::new()).is_err(), "full");
            timers.remove(cleared);
            assert_eq!(limits.memory_used(), 3 * TIMER_COST + ARG_COST);
            // A timeout that fired gives its share back; an interval keeps it.
            let now = Instant::now() + ms(5);
            let mut fired = 0;
            while timers.take_due(now).is_some() && fired < 3 {
                fired += 1;
            }
            assert_eq!(fired, 3);
            assert_eq!(limits.memory_used(), TIMER_COST, "the interval's");
            timers.remove(interval);
            timers.remove(timeout);
            assert_eq!(limits.memory_used(), 0);
            timers.clear();
        });
    }

    #[test]
    fn many_timers_stay_cheap() {
        // 100k timers and as many clears: O(log n) each, so this is quick even in a
        // debug build (a scan per operation would take minutes).
        let t0 = Instant::now();
        let mut q = Queue::new();
        let ids: Vec<u64> = (0..100_000u64)
            .map(|i| q.add(t0, ms(1 + i % 1000), i % 2 == 0, "t"))
            .collect();
        for id in ids.iter().step_by(2) {
            q.remove(*id);
        }
        let fired = fire(&mut q, t0 + ms(1000)).len();
        assert_eq!(fired, 50_000);
        for id in ids {
            q.remove(id);
        }
        assert!(q.is_empty());
    }
}
