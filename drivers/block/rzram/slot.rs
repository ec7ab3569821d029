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
    time::{BootTime, ClockSource},
};

/// Returns the time since boot in seconds, as slots record their last access (it wraps after
/// 136 years of uptime).
pub(crate) fn boot_secs() -> u32 {
    (BootTime::ktime_get() / 1_000_000_000) as u32
}

/// The state bits of a stored or written-back page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    /// The priority of the algorithm that compressed the page (two bits).
    const PRIO: u8 = 0b11;
    /// The object holds the page as it is: it did not compress below the huge class.
    const HUGE: u8 = 1 << 2;
    /// Marked idle through the `idle` attribute and not read or written since.
    const IDLE: u8 = 1 << 3;
    /// The highest-priority recompression algorithm could not shrink it; recompression skips
    /// it from now on.
    const INCOMPRESSIBLE: u8 = 1 << 4;
    /// Chosen by a writeback that runs without the slot lock. Writing, discarding, freeing or
    /// reading the page clears it (a write or free installs a new slot), and the writeback
    /// only installs its copy if the mark is still there: the newer data always wins.
    const PENDING: u8 = 1 << 5;

    /// The flags of a page just compressed with the primary algorithm.
    pub(crate) fn new(huge: bool) -> Self {
        let mut flags = Self(0);
        flags.set(Self::HUGE, huge);
        flags
    }

    fn set(&mut self, bit: u8, on: bool) {
        if on {
            self.0 |= bit;
        } else {
            self.0 &= !bit;
        }
    }

    /// Returns the priority of the algorithm that compressed the page: 0 for the primary one,
    /// 1 to 3 after recompression.
    pub(crate) fn prio(self) -> u8 {
        self.0 & Self::PRIO
    }

    /// Returns these flags with priority `prio` (only its two low bits count).
    pub(crate) fn with_prio(mut self, prio: u8) -> Self {
        self.0 = (self.0 & !Self::PRIO) | (prio & Self::PRIO);
        self
    }

    /// Returns `true` if the page is stored as it is.
    pub(crate) fn huge(self) -> bool {
        self.0 & Self::HUGE != 0
    }

    /// Returns `true` if the page is marked idle.
    pub(crate) fn idle(self) -> bool {
        self.0 & Self::IDLE != 0
    }

    /// Marks or unmarks the page idle.
    pub(crate) fn set_idle(&mut self, on: bool) {
        self.set(Self::IDLE, on);
    }

    /// Returns `true` if recompression gave up on the page.
    pub(crate) fn incompressible(self) -> bool {
        self.0 & Self::INCOMPRESSIBLE != 0
    }

    /// Marks the page as one recompression cannot shrink.
    pub(crate) fn set_incompressible(&mut self, on: bool) {
        self.set(Self::INCOMPRESSIBLE, on);
    }

    /// Returns `true` if a writeback chose the page and nothing touched it since.
    pub(crate) fn pending(self) -> bool {
        self.0 & Self::PENDING != 0
    }

    /// Marks the page as chosen by a writeback, or clears the mark.
    pub(crate) fn set_pending(&mut self, on: bool) {
        self.set(Self::PENDING, on);
    }
}

/// What one page of the device holds. Sixteen bytes, as a zram table entry with access-time
/// tracking (checked at build time below).
///
/// The handle of a stored page always belongs to the pool of the meta that holds the slot.
#[derive(Debug)]
pub(crate) enum Slot {
    /// Never written, or discarded: reads as zeroes.
    Empty,
    /// Every 64-bit word of the page equals this value; nothing is allocated.
    Same(u64),
    /// The page is stored in the pool: compressed, or as is when `flags.huge()`.
    ///
    /// `flags.prio()` always names an algorithm of the meta that holds the slot (the meta's
    /// algorithms do not change while it lives); a huge page has priority 0, since
    /// recompression only installs objects below the huge class.
    Stored {
        /// The object in the pool.
        handle: Handle,
        /// Its state bits.
        flags: Flags,
        /// When the page was last written or read, in [`boot_secs`].
        ac_time: u32,
    },
    /// The page was written back: it lives in block `block` of the backing store.
    Backed {
        /// The block of the backing store.
        block: u32,
        /// How many bytes of the block hold the page: the page size when the block holds
        /// the page as it is; less when it holds the compressed object (`compressed_writeback`),
        /// to be decompressed with the algorithm of `flags.prio()`.
        len: u16,
        /// Its state bits.
        flags: Flags,
        /// When the page was last written or read, in [`boot_secs`].
        ac_time: u32,
    },
}

// A slot is no bigger than zram's table entry, with the access time included.
const _: () = assert!(core::mem::size_of::<Slot>() == 16);

impl Slot {
    /// A page just written to the pool by the primary algorithm.
    pub(crate) fn stored(handle: Handle, huge: bool) -> Self {
        Slot::Stored {
            handle,
            flags: Flags::new(huge),
            ac_time: boot_secs(),
        }
    }

    /// Returns the state bits of a stored or written-back page.
    pub(crate) fn flags(&self) -> Option<Flags> {
        match self {
            Slot::Stored { flags, .. } | Slot::Backed { flags, .. } => Some(*flags),
            Slot::Empty | Slot::Same(_) => None,
        }
    }

    /// Returns the state bits of a stored or written-back page, to change them.
    pub(crate) fn flags_mut(&mut self) -> Option<&mut Flags> {
        match self {
            Slot::Stored { flags, .. } | Slot::Backed { flags, .. } => Some(flags),
            Slot::Empty | Slot::Same(_) => None,
        }
    }

    /// Returns when a stored or written-back page was last accessed, in [`boot_secs`].
    pub(crate) fn ac_time(&self) -> Option<u32> {
        match self {
            Slot::Stored { ac_time, .. } | Slot::Backed { ac_time, .. } => Some(*ac_time),
            Slot::Empty | Slot::Same(_) => None,
        }
    }

    /// Records an access to the page at `now`: it is no longer idle, and a writeback that
    /// chose it leaves it where it is (as zram's `mark_slot_accessed`).
    pub(crate) fn touch(&mut self, now: u32) {
        if let Slot::Stored { flags, ac_time, .. } | Slot::Backed { flags, ac_time, .. } = self {
            flags.set_idle(false);
            flags.set_pending(false);
            *ac_time = now;
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
            // Quietly: a disksize the machine cannot hold (up to 16 EiB can be written) is
            // refused with ENOMEM, not with an allocation warning (kvmalloc() warns past
            // INT_MAX bytes, vmalloc() past the machine's memory).
            let mut slots = KVVec::with_capacity(len, GFP_KERNEL | __GFP_NOWARN)?;
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
