//! `setTimeout` / `setInterval`: the timers of one run.

use std::collections::BTreeMap;
use std::time::Duration;

use rquickjs::{Persistent, Value};
use tokio::time::Instant;

use crate::host::JsFunction;

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
                every: repeat.then_some(delay.max(Duration::from_millis(1))),
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
