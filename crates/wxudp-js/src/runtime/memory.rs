//! QuickJS's allocator for a run: the C library's `malloc`, with the run's
//! `--js-memory` bound kept here rather than by QuickJS.
//!
//! QuickJS reports an allocation it could not make by throwing `InternalError: out of
//! memory`, an object it must allocate too: at the bound itself that allocation failed
//! as well, and the script caught `null` (`Uncaught null`). So the first refused
//! allocation opens a grace of [`GRACE`] bytes beyond the bound, enough for the error,
//! its stack trace and a `catch` block that reports it; the grace closes once memory is
//! back below the bound by as much. A script that goes on allocating through the grace
//! has run out for good: [`Budget::exhausted`] says so, and the run ends with
//! `InternalError: out of memory` (runtime/stop.rs) instead of going on in a state
//! where nothing can be allocated.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nix::libc;
use rquickjs::allocator::Allocator;

/// Bytes allowed beyond the bound after a refused allocation: 1 MiB.
pub(crate) const GRACE: usize = 1 << 20;

/// The allocator (see the module documentation).
pub(crate) struct Budgeted {
    limit: usize,
    used: usize,
    grace: bool,
    exhausted: Arc<AtomicBool>,
}

/// What the run sees of its JavaScript memory.
#[derive(Clone, Debug, Default)]
pub(crate) struct Budget {
    exhausted: Arc<AtomicBool>,
}

impl Budget {
    /// The flag, for the stop conditions.
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        self.exhausted.clone()
    }
}

impl Budgeted {
    /// An allocator bounded to `limit` bytes, and the run's view of it.
    pub(crate) fn new(limit: usize) -> (Budgeted, Budget) {
        let budget = Budget::default();
        (
            Budgeted {
                limit,
                used: 0,
                grace: false,
                exhausted: budget.exhausted.clone(),
            },
            budget,
        )
    }

    /// Whether `size` more bytes may be allocated; a refusal at the bound opens the
    /// grace, a refusal through it marks the budget exhausted.
    fn admit(&mut self, size: usize) -> bool {
        let cap = if self.grace {
            self.limit.saturating_add(GRACE)
        } else {
            self.limit
        };
        if self.used.saturating_add(size) <= cap {
            return true;
        }
        if self.grace {
            self.exhausted.store(true, Ordering::Relaxed);
        } else {
            self.grace = true;
        }
        false
    }

    fn freed(&mut self, size: usize) {
        self.used = self.used.saturating_sub(size);
        if self.grace && self.used.saturating_add(GRACE) <= self.limit {
            self.grace = false;
        }
    }
}

/// The size the C library gave a block (what QuickJS's own allocator counts too).
fn usable(ptr: *mut u8) -> usize {
    if ptr.is_null() {
        return 0;
    }
    // SAFETY: `ptr` is a live block from this allocator's malloc/calloc/realloc (the
    // callers pass only those), for which malloc_usable_size is defined.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_usable_size(ptr.cast())
    }
}

// SAFETY: every block comes from the C library's malloc, calloc or realloc, which
// return null or memory of at least the size asked, aligned for any type (16 bytes on
// the 64-bit targets, at least the `usize` the trait asks); `usable_size` is
// malloc_usable_size of such a block; dealloc and realloc get only blocks of this
// allocator (QuickJS's contract with it). A refusal is a null pointer, which the trait
// allows. Tested by `tests::counts_and_refuses` and by every run (all of QuickJS's
// memory goes through it).
#[allow(unsafe_code)]
unsafe impl Allocator for Budgeted {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.admit(size) {
            return std::ptr::null_mut();
        }
        // SAFETY: malloc with any size is defined; null is handled.
        let ptr = unsafe { libc::malloc(size.max(1)) }.cast::<u8>();
        self.used += usable(ptr);
        ptr
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        if !self.admit(total) {
            return std::ptr::null_mut();
        }
        // SAFETY: calloc with any counts is defined; null is handled.
        let ptr = unsafe { libc::calloc(count.max(1), size.max(1)) }.cast::<u8>();
        self.used += usable(ptr);
        ptr
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        let size = usable(ptr);
        // SAFETY: `ptr` is a block of this allocator (the caller's contract), or null.
        unsafe { libc::free(ptr.cast()) };
        self.freed(size);
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        let old = usable(ptr);
        if new_size > old && !self.admit(new_size - old) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` is a block of this allocator (the caller's contract), or null;
        // on failure it stays valid and counted.
        let grown = unsafe { libc::realloc(ptr.cast(), new_size.max(1)) }.cast::<u8>();
        if !grown.is_null() {
            self.freed(old);
            self.used += usable(grown);
        }
        grown
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        usable(ptr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn counts_and_refuses() {
        let (mut a, budget) = Budgeted::new(1 << 20);
        let p = a.alloc(600 << 10);
        assert!(!p.is_null());
        assert!(a.used >= 600 << 10);
        // Beyond the bound: refused, and the grace opens.
        assert!(a.alloc(600 << 10).is_null());
        assert!(a.grace && !budget.flag().load(Ordering::Relaxed));
        // Within the grace: the error's allocations succeed.
        let q = a.calloc(1000, 100);
        assert!(!q.is_null());
        // Through the grace: exhausted.
        assert!(a.alloc(2 << 20).is_null());
        assert!(budget.flag().load(Ordering::Relaxed));
        // SAFETY: blocks of this allocator.
        unsafe {
            let r = a.realloc(q, 10);
            assert!(!r.is_null());
            a.dealloc(r);
            a.dealloc(p);
        }
        assert_eq!(a.used, 0);
        assert!(!a.grace, "below the bound again, the grace closes");
        assert!(
            a.calloc(usize::MAX, 2).is_null(),
            "an overflowing calloc is refused"
        );
    }
}
