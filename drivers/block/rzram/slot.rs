// SPDX-License-Identifier: GPL-2.0

//! The slot table: what each page of the device holds.
//!
//! The table is split into stripes; slot `i` lives in stripe `i % n` at position `i / n`.
//! Each stripe is a vector behind its own mutex, so the type system proves that a slot is only
//! read or changed with its stripe locked, while neighbouring pages (different stripes) are
//! handled in parallel. All stripes share one lockdep class; the I/O path holds at most one
//! stripe at a time.

use crate::{meta::resched_every, zspool::Handle};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{Mutex, MutexGuard},
};

/// What one page of the device holds.
#[derive(Debug)]
pub(crate) enum Slot {
    /// Never written, or discarded: reads as zeroes.
    Empty,
    /// Every 64-bit word of the page equals this value; nothing is allocated.
    Same(u64),
    /// The page is stored in the pool: compressed, or as is when `huge` (it did not compress
    /// below zsmalloc's huge class).
    ///
    /// `prio` always names an algorithm of the meta that holds the slot (the meta's
    /// algorithms do not change while it lives); a huge page has priority 0, since
    /// recompression only installs objects below the huge class.
    Stored {
        /// The object in the pool.
        handle: Handle,
        /// The object holds the raw page.
        huge: bool,
        /// The priority of the algorithm that compressed it: 0 for the primary one, 1 to 3
        /// after recompression.
        prio: u8,
        /// Marked idle through the `idle` attribute and not read or written since.
        idle: bool,
        /// The highest-priority recompression algorithm could not shrink it; recompression
        /// skips it from now on.
        incompressible: bool,
    },
}

impl Slot {
    /// A page just written to the pool by the primary algorithm.
    pub(crate) fn stored(handle: Handle, huge: bool) -> Self {
        Slot::Stored {
            handle,
            huge,
            prio: 0,
            idle: false,
            incompressible: false,
        }
    }
}

/// The slot table of one device.
///
/// # Invariants
///
/// Stripe `s` holds the slots `s, s + n, s + 2n, ...` below `pages`, where `n` is the number
/// of stripes.
pub(crate) struct SlotTable {
    stripes: KVec<Pin<KBox<Mutex<KVVec<Slot>>>>>,
    pages: usize,
}

impl SlotTable {
    /// Creates a table of `pages` empty slots in (at most) `stripes` stripes.
    pub(crate) fn new(pages: usize, stripes: usize) -> Result<Self> {
        let n = stripes.clamp(1, pages.max(1));
        let mut table = KVec::with_capacity(n, GFP_KERNEL)?;
        for s in 0..n {
            let len = (pages - s).div_ceil(n);
            let mut slots = KVVec::with_capacity(len, GFP_KERNEL)?;
            for i in 0..len {
                // Within the capacity reserved above: does not allocate.
                slots.push(Slot::Empty, GFP_KERNEL)?;
                resched_every(i);
            }
            table.push(
                KBox::pin_init(new_mutex!(slots, "rzram_slot_stripe"), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
        }
        // INVARIANT: Stripe `s` was sized for the slots `s + k * n < pages`.
        Ok(Self {
            stripes: table,
            pages,
        })
    }

    /// Returns the number of slots.
    pub(crate) fn pages(&self) -> usize {
        self.pages
    }

    /// Returns the stripe that holds slot `index` and the slot's position in it.
    fn locate(&self, index: usize) -> Option<(&Mutex<KVVec<Slot>>, usize)> {
        if index >= self.pages {
            return None;
        }
        // `max(1)` lets the compiler see that there is no division by zero.
        let n = self.stripes.len().max(1);
        Some((&self.stripes[index % n], index / n))
    }

    /// Locks slot `index`; `EINVAL` if it is out of range.
    pub(crate) fn lock(&self, index: usize) -> Result<SlotGuard<'_>> {
        let (stripe, pos) = self.locate(index).ok_or(EINVAL)?;
        Ok(SlotGuard {
            stripe: stripe.lock(),
            pos,
        })
    }

    /// Locks slot `index` if its stripe is free, without sleeping; `None` if the stripe is
    /// busy or `index` out of range. For atomic context.
    pub(crate) fn try_lock(&self, index: usize) -> Option<SlotGuard<'_>> {
        let (stripe, pos) = self.locate(index)?;
        Some(SlotGuard {
            stripe: stripe.try_lock()?,
            pos,
        })
    }
}

/// A locked slot.
///
/// # Invariants
///
/// `pos` is in bounds of `stripe` (by the invariant of [`SlotTable`]).
pub(crate) struct SlotGuard<'a> {
    stripe: MutexGuard<'a, KVVec<Slot>>,
    pos: usize,
}

impl SlotGuard<'_> {
    /// Returns what the slot holds.
    pub(crate) fn get(&self) -> &Slot {
        &self.stripe[self.pos]
    }

    /// Returns what the slot holds, to change its flags.
    pub(crate) fn get_mut(&mut self) -> &mut Slot {
        &mut self.stripe[self.pos]
    }

    /// Stores `new` in the slot and returns what it held.
    pub(crate) fn replace(&mut self, new: Slot) -> Slot {
        core::mem::replace(&mut self.stripe[self.pos], new)
    }
}
