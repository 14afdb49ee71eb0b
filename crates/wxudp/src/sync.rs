//! The one locking helper of the crate.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex of this crate. No listener or sink runs under these locks, so a
/// poisoned one only means a panic in a short critical section of this crate, which
/// leaves the data consistent: go on with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
