//! Promises rejected without a handler, remembered until a handler is added or the
//! turn ends (then they are reported as `Uncaught (in promise) ...`).
//!
//! QuickJS tells the runtime when a promise is rejected with no handler and again when
//! one is added later. Each event is O(1) (amortized): the promise is found by its
//! identity, which rquickjs exposes through `Hash`/`Eq` on values (the value's tag and
//! pointer), read here without `unsafe` by a hasher that records the bytes it is fed.
//! The promise is kept alive while it is remembered, so its identity cannot be reused
//! meanwhile.
//!
//! Memory follows the rejections still unhandled, not those seen: a promise that gets
//! its handler is forgotten at once (an `await` of a rejected promise in a `try` does
//! this millions of times in one turn), and the table shrinks when it is mostly empty.
//! The rejection order is a sequence number, sorted only for the report.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rquickjs::{Persistent, Value};

/// A JavaScript value kept across turns.
type Kept = Persistent<Value<'static>>;

/// Below this capacity the table never shrinks: rehashing a small table would cost more
/// than the memory it gives back.
const MIN_CAPACITY: usize = 64;

/// A rejected promise without a handler.
struct Unhandled {
    /// When it was rejected, among the others: the order of the report.
    seq: u64,
    promise: Kept,
    reason: Kept,
}

/// The rejected promises of the current turn that have no handler yet.
#[derive(Default)]
pub(crate) struct Rejections {
    /// A promise's identity -> the promise and its reason.
    pending: HashMap<Identity, Unhandled>,
    next_seq: u64,
}

impl Rejections {
    /// Remembers `promise`, rejected with `reason` and no handler. A promise already
    /// remembered keeps its place in the order.
    pub(crate) fn rejected<'js>(&mut self, promise: Value<'js>, reason: Value<'js>) {
        let ctx = promise.ctx().clone();
        let key = Identity::of(&promise);
        let promise = Persistent::save(&ctx, promise);
        let reason = Persistent::save(&ctx, reason);
        let seq = match self.pending.get(&key) {
            Some(old) => old.seq,
            None => {
                self.next_seq += 1;
                self.next_seq
            }
        };
        self.pending.insert(
            key,
            Unhandled {
                seq,
                promise,
                reason,
            },
        );
    }

    /// Forgets `promise`, which has a handler now. Returns what was kept for it, to be
    /// dropped by the caller once it no longer borrows `self`.
    pub(crate) fn handled(&mut self, promise: &Value<'_>) -> Option<(Kept, Kept)> {
        let forgotten = self.pending.remove(&Identity::of(promise))?;
        // Shrinking to twice what is left takes at least that many removals before the
        // next shrink: O(1) amortized.
        let (len, capacity) = (self.pending.len(), self.pending.capacity());
        if capacity > MIN_CAPACITY && len * 4 < capacity {
            self.pending.shrink_to(len * 2);
        }
        Some((forgotten.promise, forgotten.reason))
    }

    /// The reasons of the promises still without a handler, in rejection order; the
    /// list is empty afterwards.
    pub(crate) fn take(&mut self) -> Vec<Kept> {
        let mut left: Vec<(u64, Kept)> = self
            .pending
            .drain()
            .map(|(_, unhandled)| (unhandled.seq, unhandled.reason))
            .collect();
        self.pending.shrink_to(MIN_CAPACITY);
        left.sort_unstable_by_key(|&(seq, _)| seq);
        left.into_iter().map(|(_, reason)| reason).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Drops every kept value (they must be gone before the JS runtime is freed).
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }

    /// How many entries the table has room for without growing.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.pending.capacity()
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

    #[test]
    fn memory_follows_the_rejections_still_unhandled() {
        let rt = Runtime::new().unwrap();
        let context = Context::full(&rt).unwrap();
        context.with(|ctx| {
            let mut r = Rejections::default();
            let objects: Vec<Value<'_>> = ctx
                .eval("Array.from({ length: 20000 }, (_, i) => ({ i }))")
                .map(|a: rquickjs::Array<'_>| a.iter().map(|v| v.unwrap()).collect())
                .unwrap();
            // Rejected and handled at once, as `try { await Promise.reject() } catch {}`
            // does: nothing accumulates.
            for p in &objects {
                r.rejected(p.clone(), p.clone());
                assert!(r.handled(p).is_some());
            }
            assert!(r.is_empty());
            assert!(r.capacity() <= MIN_CAPACITY, "{}", r.capacity());
            // A burst left unhandled, then handled but for a few: the table shrinks to
            // what is left, and those keep their order.
            for p in &objects {
                r.rejected(p.clone(), p.clone());
            }
            assert!(r.capacity() >= objects.len());
            let kept = [17, 4000, 19999];
            for (i, p) in objects.iter().enumerate().rev() {
                if !kept.contains(&i) {
                    assert!(r.handled(p).is_some());
                }
            }
            assert!(r.capacity() <= MIN_CAPACITY, "{}", r.capacity());
            // A promise rejected again keeps its first place.
            r.rejected(objects[17].clone(), objects[17].clone());
            let left: Vec<i32> = r
                .take()
                .into_iter()
                .map(|v| {
                    let o = v.restore(&ctx).unwrap();
                    o.as_object().unwrap().get::<_, i32>("i").unwrap()
                })
                .collect();
            assert_eq!(left, [17, 4000, 19999]);
            assert!(r.capacity() <= MIN_CAPACITY);
        });
    }
}
