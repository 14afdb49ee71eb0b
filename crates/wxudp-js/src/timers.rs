//! `setTimeout` / `setInterval`: the timers of one run.

use std::collections::BTreeMap;
use std::time::Duration;

use rquickjs::{Persistent, Value};
use tokio::time::Instant;

use crate::host::JsFunction;

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

/// `setTimeout` / `setInterval` timers.
#[derive(Default)]
pub(crate) struct Timers {
    entries: BTreeMap<u64, Timer>,
    next_id: u64,
}

pub(crate) struct Timer {
    due: Instant,
    every: Option<Duration>,
    pub(crate) callback: JsFunction,
    pub(crate) args: Vec<Persistent<Value<'static>>>,
}

impl Timers {
    pub(crate) fn add(
        &mut self,
        delay: Duration,
        repeat: bool,
        callback: JsFunction,
        args: Vec<Persistent<Value<'static>>>,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.entries.insert(
            id,
            Timer {
                due: Instant::now() + delay,
                every: repeat.then_some(delay),
                callback,
                args,
            },
        );
        id
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.entries.remove(&id);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.entries.values().map(|t| t.due).min()
    }

    /// The earliest timer due by `now` (the lowest id among equals): a timeout is removed,
    /// an interval rescheduled.
    pub(crate) fn take_due(
        &mut self,
        now: Instant,
    ) -> Option<(JsFunction, Vec<Persistent<Value<'static>>>)> {
        let (&id, _) = self
            .entries
            .iter()
            .filter(|(_, t)| t.due <= now)
            .min_by_key(|(id, t)| (t.due, **id))?;
        let timer = self.entries.get_mut(&id)?;
        match timer.every {
            Some(every) => {
                timer.due = now + every;
                Some((timer.callback.clone(), timer.args.clone()))
            }
            None => self.entries.remove(&id).map(|t| (t.callback, t.args)),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_node() {
        let ms = Duration::from_millis;
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
}
