// SPDX-License-Identifier: GPL-2.0

//! A published object that the I/O path uses through counted references.
//!
//! [`Gate`] holds at most one object at a time. Readers take a [`GateRef`] with one atomic
//! compare-and-exchange and no lock; the owner publishes an object and later retires it:
//! retiring stops new references at once, waits until the last reference is dropped and hands
//! the object back, so the owner frees it in its own (process) context, never in the context
//! that dropped the last reference.
//!
//! This is the meta handle of an rzram device: the slot table, pool and streams are published
//! when `disksize` is set and retired by `reset`, and requests reach them without taking the
//! device's control lock.
//!
//! Lock order: the caller's locks → `Gate::owner`. `owner` serialises [`Gate::publish`] and
//! [`Gate::retire`]; readers never take it.
//!
//! # Lockdep
//!
//! Retiring waits for every reference, so a task that holds a reference and then waits for a
//! lock that the retiring task holds deadlocks both. Lockdep sees such a cycle through the
//! gate's [`LockdepMap`]: [`Gate::try_get`] is a read trylock of the map (it never waits) and
//! the reference's drop its release; [`Gate::retire`] acquires the map exclusively for the
//! whole drain. Each gate is created with [`new_gate!`] and has its own lock class.

use core::cell::UnsafeCell;
use kernel::{
    prelude::*,
    str::CStr,
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        Completion, LockClassKey, LockdepMap, Mutex,
    },
    types::NotThreadSafe,
};

/// Creates a [`Gate`] whose lockdep map is named `$name`, in a lock class of its own, as is its
/// `owner` mutex (`$name` + `_owner`): gates nest (the backing store's gate is retired while
/// the meta's is held for reading), so one class for the owners of all gates would make
/// lockdep see a cycle that is not there.
macro_rules! new_gate {
    ($name:literal) => {
        $crate::gate::Gate::new(
            kernel::c_str!($name),
            kernel::sync::static_lock_class!(),
            kernel::c_str!(concat!($name, "_owner")),
            kernel::sync::static_lock_class!(),
        )
    };
}
pub(crate) use new_gate;

/// Set in [`Gate::state`] while an object is published.
const LIVE: usize = 1;
/// One reference in [`Gate::state`].
const REF: usize = 2;

/// A slot that publishes one object to lock-free, counted readers.
///
/// # Invariants
///
/// - `state` is `LIVE` (while published) plus `REF` times the number of live [`GateRef`]s.
/// - `value` is only written while `owner` is held and `state` is zero, so no [`GateRef`]
///   exists and none can be created; while `state` has `LIVE` set, `value` is `Some`.
/// - `drained` is completed exactly once per retirement, by the [`GateRef`] that drops the
///   count to zero after `LIVE` was cleared.
#[pin_data]
pub(crate) struct Gate<T> {
    state: Atomic<usize>,
    value: UnsafeCell<Option<KBox<T>>>,
    #[pin]
    drained: Completion,
    #[pin]
    owner: Mutex<()>,
    /// What lockdep knows of the gate: references are read holds, retiring a write hold.
    #[pin]
    dep_map: LockdepMap,
}

// SAFETY: `Gate` hands out `&T` to any thread (so `T: Sync`) and moves the
// object between threads on publish and retire (so `T: Send`). `value` is only
// written under the invariants above.
unsafe impl<T: Send + Sync> Sync for Gate<T> {}
// SAFETY: As above.
unsafe impl<T: Send + Sync> Send for Gate<T> {}

impl<T: Send + Sync> Gate<T> {
    /// Creates an empty gate whose lockdep map is `name` in the class `key`, and whose owner
    /// mutex is `owner_name` in the class `owner_key`; use [`new_gate!`].
    pub(crate) fn new(
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
        owner_name: &'static CStr,
        owner_key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            state: Atomic::new(0),
            value: UnsafeCell::new(None),
            drained <- Completion::new(),
            owner <- Mutex::new((), owner_name, owner_key),
            dep_map <- LockdepMap::new(name, key),
        })
    }

    /// Takes a counted reference to the published object, or `None` if nothing is published
    /// or the object is being retired.
    pub(crate) fn try_get(&self) -> Option<GateRef<'_, T>> {
        let mut cur = self.state.load(Relaxed);
        loop {
            if cur & LIVE == 0 {
                return None;
            }
            match self.state.cmpxchg(cur, cur + REF, Acquire) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        // Released by `put`, in this task: `GateRef` is not `Send`.
        self.dep_map.acquire_try_read();
        // SAFETY: We hold a reference taken while `LIVE` was set, so by the
        // type invariants `value` is `Some` and is not written until we drop
        // the reference. The acquire above pairs with the release in
        // `publish`, so the object's initialisation is visible.
        let value = unsafe { &*self.value.get() };
        match value.as_deref() {
            Some(value) => Some(GateRef {
                gate: self,
                value,
                _not_send: NotThreadSafe,
            }),
            // Unreachable by the type invariants (`LIVE` implies `Some`); give the reference
            // back rather than trust it.
            None => {
                self.put();
                None
            }
        }
    }

    /// Drops one reference.
    ///
    /// Fully ordered: the accesses this reference made happen before `retire` takes the
    /// object back, whichever put turns out to be the last.
    fn put(&self) {
        self.dep_map.release();
        let old = self.state.fetch_sub(REF, Full);
        if old == REF {
            // The count dropped to zero after `LIVE` was cleared: wake `retire`.
            self.drained.complete();
        }
    }

    /// Returns `true` while an object is published.
    pub(crate) fn is_live(&self) -> bool {
        self.state.load(Relaxed) & LIVE != 0
    }

    /// Publishes `value`. Fails with `EBUSY`, handing `value` back, if an object is already
    /// published.
    pub(crate) fn publish(&self, value: KBox<T>) -> Result<(), (Error, KBox<T>)> {
        let _owner = self.owner.lock();
        if self.state.load(Relaxed) != 0 {
            return Err((EBUSY, value));
        }
        // No `complete()` of an earlier round is pending: `retire` consumed it.
        self.drained.reinit();
        // SAFETY: `owner` is held and `state` is zero, so by the type
        // invariants nobody reads `value` and nobody else writes it.
        unsafe { *self.value.get() = Some(value) };
        // INVARIANT: `value` is `Some`; the release publishes it to readers.
        self.state.store(LIVE, Release);
        Ok(())
    }

    /// Retires the published object: new [`Gate::try_get`] calls fail from now on, the call
    /// waits until every [`GateRef`] is dropped and returns the object, or `None` if nothing
    /// was published. Sleeps; call from process context.
    pub(crate) fn retire(&self) -> Option<KBox<T>> {
        let _owner = self.owner.lock();
        // Held across the drain, published or not, so that lockdep learns the order of the
        // caller's locks against the gate on every retirement, not only on one that waits.
        let _drain = self.dep_map.acquire();
        let mut cur = self.state.load(Relaxed);
        loop {
            if cur & LIVE == 0 {
                return None;
            }
            match self.state.cmpxchg(cur, cur & !LIVE, Full) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        if cur & !LIVE != 0 {
            // References are still out; the last one completes `drained`.
            self.drained.wait_for_completion();
        }
        // SAFETY: `owner` is held and `state` is zero: `LIVE` is clear and the
        // count reached zero (seen directly with full ordering, or through the
        // completion). No reader exists or can appear.
        unsafe { (*self.value.get()).take() }
    }
}

/// A counted reference to the object published in a [`Gate`].
///
/// Not [`Send`]: the task that took it drops it, as lockdep requires of a read hold.
pub(crate) struct GateRef<'a, T: Send + Sync> {
    gate: &'a Gate<T>,
    value: &'a T,
    _not_send: NotThreadSafe,
}

impl<T: Send + Sync> core::ops::Deref for GateRef<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
    }
}

impl<T: Send + Sync> Drop for GateRef<'_, T> {
    fn drop(&mut self) {
        self.gate.put();
    }
}
