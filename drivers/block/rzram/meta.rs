// SPDX-License-Identifier: GPL-2.0

//! The meta of an initialised device: everything that exists between `disksize` and `reset`.
//!
//! A [`Meta`] is built by `disksize`, published through the device's [`Gate`] and reached by
//! the I/O path through a counted reference; `reset` retires it, waits for the last request
//! and drops it in process context. Nothing in it changes while it is published except through
//! its own locks (slot stripes, streams) and atomics (statistics).
//!
//! [`Gate`]: crate::gate::Gate

use crate::{
    comp::Algorithm,
    slot::{Slot, SlotGuard, SlotTable},
    stats::{IoStat, MmStat, Stats},
    stream::Streams,
    zspool::ZsPool,
};
use kernel::{
    cpu::nr_cpu_ids,
    page::PAGE_SIZE,
    prelude::*,
    str::CString,
    sync::atomic::{Atomic, Relaxed},
    task::cond_resched,
};

/// Loops over pages offer to reschedule this often, in pages.
pub(crate) const RESCHED_PAGES: usize = 1024;

/// Slot stripes per possible CPU: enough that requests on different CPUs rarely meet.
const STRIPES_PER_CPU: usize = 64;

/// The state of an initialised device.
pub(crate) struct Meta {
    /// What each page holds.
    pub(crate) slots: SlotTable,
    /// Where compressed pages are kept.
    pub(crate) pool: ZsPool,
    /// The compression streams.
    pub(crate) streams: Streams,
    /// The device's counters.
    pub(crate) stats: Stats,
    /// Pages that compress to this size or more are stored as they are.
    pub(crate) huge_class: usize,
    /// The algorithm the streams use.
    pub(crate) algorithm: Algorithm,
    /// The most pages the pool may use; 0 for no limit (`mem_limit`).
    mem_limit_pages: Atomic<u64>,
}

impl Meta {
    /// Builds the meta of device `id` for `disksize` bytes (a multiple of the page size).
    pub(crate) fn new(
        id: u32,
        disksize: u64,
        algorithm: Algorithm,
        mem_limit_pages: u64,
    ) -> Result<KBox<Self>> {
        let pages = usize::try_from(disksize / PAGE_SIZE as u64).map_err(|_| EINVAL)?;
        let name = CString::try_from_fmt(fmt!("rzram{id}"))?;
        let pool = ZsPool::new(&name)?;
        let huge_class = pool.huge_class_size();
        let stripes = STRIPES_PER_CPU * nr_cpu_ids() as usize;
        Ok(KBox::new(
            Self {
                slots: SlotTable::new(pages, stripes)?,
                pool,
                streams: Streams::new(algorithm)?,
                stats: Stats::new(),
                huge_class,
                algorithm,
                mem_limit_pages: Atomic::new(mem_limit_pages),
            },
            GFP_KERNEL,
        )?)
    }

    /// Frees every object the slots hold. zsmalloc does not free the pages of objects that are
    /// still allocated when the pool is destroyed, so this must run before the pool is dropped.
    fn free_all(&self) {
        for index in 0..self.slots.pages() {
            if let Ok(slot) = self.slots.lock(index) {
                self.clear(slot);
            }
            if index % RESCHED_PAGES == 0 {
                cond_resched();
            }
        }
    }

    /// Empties a locked slot, then frees what it held and takes it out of the counters.
    pub(crate) fn clear(&self, mut slot: SlotGuard<'_>) {
        let old = slot.replace(Slot::Empty);
        drop(slot);
        self.release(old);
    }

    /// Counts a slot that is about to be installed.
    pub(crate) fn account(&self, slot: &Slot) {
        let stats = &self.stats;
        match slot {
            Slot::Empty => return,
            Slot::Same(_) => stats.same_pages.inc(),
            Slot::Stored { handle, huge } => {
                stats.compr_data_size.add(handle.len() as u64);
                if *huge {
                    stats.huge_pages.inc();
                    stats.huge_pages_since.inc();
                }
            }
        }
        stats.pages_stored.inc();
    }

    /// Frees what a slot held and takes it out of the counters.
    pub(crate) fn release(&self, slot: Slot) {
        let stats = &self.stats;
        match slot {
            Slot::Empty => return,
            Slot::Same(_) => stats.same_pages.sub(1),
            Slot::Stored { handle, huge } => {
                stats.compr_data_size.sub(handle.len() as u64);
                if huge {
                    stats.huge_pages.sub(1);
                }
                self.pool.free(handle);
            }
        }
        stats.pages_stored.sub(1);
    }

    /// Records the pool's peak after an allocation and checks it against the memory limit.
    pub(crate) fn within_limit(&self) -> bool {
        let used = self.pool.total_pages();
        self.stats.max_used_pages.raise_to(used);
        let limit = self.mem_limit_pages.load(Relaxed);
        limit == 0 || used <= limit
    }

    /// Sets the memory limit in pages (0: none). Stores that would exceed it fail from now
    /// on; what is stored stays.
    pub(crate) fn set_mem_limit(&self, pages: u64) {
        self.mem_limit_pages.store(pages, Relaxed);
    }

    /// Restarts `mem_used_max` from the pool's current size.
    pub(crate) fn reset_mem_used_max(&self) {
        self.stats.max_used_pages.set(self.pool.total_pages());
    }

    /// Returns the size of the device in bytes.
    pub(crate) fn disksize(&self) -> u64 {
        self.slots.pages() as u64 * PAGE_SIZE as u64
    }

    /// Returns the `mm_stat` fields.
    pub(crate) fn mm_stat(&self) -> MmStat {
        let s = &self.stats;
        let page = PAGE_SIZE as u64;
        MmStat {
            orig_data_size: s.pages_stored.get() * page,
            compr_data_size: s.compr_data_size.get(),
            mem_used_total: self.pool.total_pages() * page,
            mem_limit: self.mem_limit_pages.load(Relaxed) * page,
            mem_used_max: s.max_used_pages.get() * page,
            same_pages: s.same_pages.get(),
            pages_compacted: self.pool.pages_compacted(),
            huge_pages: s.huge_pages.get(),
            huge_pages_since: s.huge_pages_since.get(),
        }
    }

    /// Returns the `io_stat` fields.
    pub(crate) fn io_stat(&self) -> IoStat {
        let s = &self.stats;
        IoStat {
            failed_reads: s.failed_reads.get(),
            failed_writes: s.failed_writes.get(),
            invalid_io: s.invalid_io.get(),
            notify_free: s.notify_free.get(),
        }
    }
}

impl Drop for Meta {
    fn drop(&mut self) {
        // Runs when `reset` (or device removal) retires the meta, in process context, after
        // the last request has dropped its reference.
        self.free_all();
    }
}
