//! QuickJS's allocator for a run, with the run's `--js-memory` bound kept here rather
//! than by QuickJS: on Linux the C library's `malloc` (glibc tells a block's size);
//! elsewhere, and with the `portable` feature, Rust's global allocator with the size in
//! a header before each block ([`block`]).
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

/// The size of a block (what QuickJS's own allocator counts too); 0 for null.
fn usable(ptr: *mut u8) -> usize {
    if ptr.is_null() {
        return 0;
    }
    // SAFETY: `ptr` is a live block of `block` (the callers pass only those).
    #[allow(unsafe_code)]
    unsafe {
        block::usable(ptr)
    }
}

/// Blocks from glibc, which knows their sizes.
#[cfg(wxudp_linux)]
#[allow(unsafe_code)]
mod block {
    use nix::libc;

    pub(super) unsafe fn malloc(size: usize) -> *mut u8 {
        // SAFETY: malloc with any size is defined.
        unsafe { libc::malloc(size.max(1)) }.cast()
    }

    pub(super) unsafe fn calloc(count: usize, size: usize) -> *mut u8 {
        // SAFETY: calloc with any counts is defined.
        unsafe { libc::calloc(count.max(1), size.max(1)) }.cast()
    }

    /// # Safety
    /// `ptr` is null or a live block of this module.
    pub(super) unsafe fn free(ptr: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { libc::free(ptr.cast()) }
    }

    /// # Safety
    /// `ptr` is null or a live block of this module.
    pub(super) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: the caller's contract; on failure `ptr` stays valid.
        unsafe { libc::realloc(ptr.cast(), size.max(1)) }.cast()
    }

    /// # Safety
    /// `ptr` is a live block of this module.
    pub(super) unsafe fn usable(ptr: *mut u8) -> usize {
        // SAFETY: the caller's contract (malloc_usable_size of a malloc block).
        unsafe { libc::malloc_usable_size(ptr.cast()) }
    }
}

/// Blocks from Rust's global allocator, each behind a header of [`HEADER`] bytes that
/// holds its size (the C libraries of macOS and Windows name their size functions
/// differently; this needs none of them).
#[cfg(not(wxudp_linux))]
#[allow(unsafe_code)]
mod block {
    use std::alloc::{alloc, alloc_zeroed, dealloc, realloc as grow, Layout};

    /// The header: the block's size, in 16 bytes so that the block stays aligned for
    /// any type (what malloc promises and QuickJS relies on).
    const HEADER: usize = 16;

    fn layout(size: usize) -> Option<Layout> {
        Layout::from_size_align(size.max(1).checked_add(HEADER)?, HEADER).ok()
    }

    /// # Safety
    /// `base` is the start of a block of `layout(size)` from the global allocator.
    unsafe fn finish(base: *mut u8, size: usize) -> *mut u8 {
        if base.is_null() {
            return base;
        }
        // SAFETY: the block starts with HEADER (>= 8) bytes, aligned to 16, for the size;
        // the caller's memory follows them.
        unsafe {
            base.cast::<usize>().write(size.max(1));
            base.add(HEADER)
        }
    }

    /// # Safety
    /// `ptr` is a live block of this module.
    unsafe fn base_and_size(ptr: *mut u8) -> (*mut u8, usize) {
        // SAFETY: `ptr` is HEADER bytes into a block whose header holds its size.
        unsafe {
            let base = ptr.sub(HEADER);
            (base, base.cast::<usize>().read())
        }
    }

    pub(super) unsafe fn malloc(size: usize) -> *mut u8 {
        let Some(layout) = layout(size) else {
            return std::ptr::null_mut();
        };
        // SAFETY: a layout of non-zero size; `finish` gets what `alloc` returned.
        unsafe { finish(alloc(layout), size) }
    }

    pub(super) unsafe fn calloc(count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        let Some(layout) = layout(total) else {
            return std::ptr::null_mut();
        };
        // SAFETY: as in `malloc`, zeroed.
        unsafe { finish(alloc_zeroed(layout), total) }
    }

    /// # Safety
    /// `ptr` is null or a live block of this module.
    pub(super) unsafe fn free(ptr: *mut u8) {
        if ptr.is_null() {
            return;
        }
        // SAFETY: the caller's contract: the block was allocated with `layout(size)`.
        unsafe {
            let (base, size) = base_and_size(ptr);
            if let Some(layout) = layout(size) {
                dealloc(base, layout);
            }
        }
    }

    /// # Safety
    /// `ptr` is null or a live block of this module.
    pub(super) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        if ptr.is_null() {
            // SAFETY: as `malloc`.
            return unsafe { malloc(size) };
        }
        // SAFETY: the caller's contract: the block was allocated with `layout(old)`;
        // `grow` keeps it valid on failure (null), else moves it and its header.
        unsafe {
            let (base, old) = base_and_size(ptr);
            let (Some(from), Some(to)) = (layout(old), layout(size)) else {
                return std::ptr::null_mut();
            };
            finish(grow(base, from, to.size()), size)
        }
    }

    /// # Safety
    /// `ptr` is a live block of this module.
    pub(super) unsafe fn usable(ptr: *mut u8) -> usize {
        // SAFETY: the caller's contract.
        unsafe { base_and_size(ptr).1 }
    }
}

// SAFETY: every block comes from `block`'s malloc, calloc or realloc, which return null
// or memory of at least the size asked, aligned for any type (16 bytes, at least the
// `usize` the trait asks); `usable_size` is the size of such a block; dealloc and
// realloc get only blocks of this allocator (QuickJS's contract with it). A refusal is a null pointer, which the trait
// allows. Tested by `tests::counts_and_refuses` and by every run (all of QuickJS's
// memory goes through it).
#[allow(unsafe_code)]
unsafe impl Allocator for Budgeted {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.admit(size) {
            return std::ptr::null_mut();
        }
        // SAFETY: any size may be asked; null is handled.
        let ptr = unsafe { block::malloc(size) };
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
        // SAFETY: any counts may be asked; null is handled.
        let ptr = unsafe { block::calloc(count, size) };
        self.used += usable(ptr);
        ptr
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        let size = usable(ptr);
        // SAFETY: `ptr` is a block of this allocator (the caller's contract), or null.
        unsafe { block::free(ptr) };
        self.freed(size);
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        let old = usable(ptr);
        if new_size > old && !self.admit(new_size - old) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` is a block of this allocator (the caller's contract), or null;
        // on failure it stays valid and counted.
        let grown = unsafe { block::realloc(ptr, new_size) };
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
