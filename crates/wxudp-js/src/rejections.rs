//! Promises rejected without a handler, remembered until a handler is added or the
//! turn ends (then they are reported as `Uncaught (in promise) ...`).
//!
//! QuickJS tells the runtime when a promise is rejected with no handler and again when
//! one is added later. Each event is O(1): the promise is found by its identity, which
//! rquickjs exposes through `Hash`/`Eq` on values (the value's tag and pointer), read
//! here without `unsafe` by a hasher that records the bytes it is fed. The promise is
//! kept alive while it is remembered, so its identity cannot be reused meanwhile.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rquickjs::{Persistent, Value};

/// A JavaScript value kept across turns.
type Kept = Persistent<Value<'static>>;

/// The rejected promises of the current turn that have no handler yet.
#[derive(Default)]
pub(crate) struct Rejections {
    /// (promise, reason) in rejection order; `None` once handled.
    order: Vec<Option<(Kept, Kept)>>,
    /// A promise's identity -> its place in `order`.
    index: HashMap<Identity, usize>,
}

impl Rejections {
    /// Remembers `promise`, rejected with `reason` and no handler.
    pub(crate) fn rejected<'js>(&mut self, promise: Value<'js>, reason: Value<'js>) {
        let ctx = promise.ctx().clone();
        let key = Identity::of(&promise);
        let entry = Some((
            Persistent::save(&ctx, promise),
            Persistent::save(&ctx, reason),
        ));
        match self.index.get(&key) {
            Some(&at) => self.order[at] = entry,
            None => {
                self.index.insert(key, self.order.len());
                self.order.push(entry);
            }
        }
    }

    /// Forgets `promise`, which has a handler now. Returns what was kept for it, to be
    /// dropped by the caller once it no longer borrows `self`.
    pub(crate) fn handled(&mut self, promise: &Value<'_>) -> Option<(Kept, Kept)> {
        let at = self.index.remove(&Identity::of(promise))?;
        self.order.get_mut(at)?.take()
    }

    /// The reasons of the promises still without a handler, in rejection order; the
    /// list is empty afterwards.
    pub(crate) fn take(&mut self) -> Vec<Kept> {
        self.index.clear();
        self.order
            .drain(..)
            .flatten()
            .map(|(_, reason)| reason)
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Drops every kept value (they must be gone before the JS runtime is freed).
    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.order.clear();
    }
}

/// The identity of a JavaScript value: the bytes rquickjs's `Hash` writes for it, which
/// are what its `Eq` compares (tag and pointer bits), so two live values have the same
/// identity exactly when they are the same value.
#[derive(Debug, Default, PartialEq, Eq, Hash)]
struct Identity(Vec<u8>);

impl Identity {
    fn of(value: &Value<'_>) -> Identity {
        let mut identity = Identity::default();
        value.hash(&mut identity);
        identity
    }
}

impl Hasher for Identity {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        // Only the recorded bytes matter; HashMap hashes the Identity itself.
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::{Context, Runtime};

    #[test]
    fn promises_are_found_by_identity() {
        let rt = Runtime::new().unwrap();
        let context = Context::full(&rt).unwrap();
        context.with(|ctx| {
            let mut r = Rejections::default();
            let promises: Vec<Value<'_>> = ctx
                .eval("[0, 1, 2, 3].map(i => ({ i }))")
                .map(|a: rquickjs::Array<'_>| a.iter().map(|v| v.unwrap()).collect())
                .unwrap();
            for (i, p) in promises.iter().enumerate() {
                r.rejected(
                    p.clone(),
                    rquickjs::IntoJs::into_js(i as i32, &ctx).unwrap(),
                );
            }
            // An equal-looking but different object is another identity.
            let other: Value<'_> = ctx.eval("({ i: 1 })").unwrap();
            assert!(r.handled(&other).is_none());
            assert!(r.handled(&promises[1]).is_some());
            assert!(r.handled(&promises[1]).is_none(), "handled once");
            assert!(r.handled(&promises[3]).is_some());
            assert!(!r.is_empty());
            let left: Vec<i32> = r
                .take()
                .into_iter()
                .map(|v| v.restore(&ctx).unwrap().as_int().unwrap())
                .collect();
            assert_eq!(left, [0, 2]);
            assert!(r.is_empty());
            assert!(r.take().is_empty());
            r.rejected(promises[0].clone(), promises[0].clone());
            r.clear();
            assert!(r.is_empty());
        });
    }
}
