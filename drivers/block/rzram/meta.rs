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
    backing::{Backing, BdStat},
    comp::{Algorithm, Compressor, Params, MAX_COMPS},
    gate::{new_gate, Gate, GateRef},
    names::DiskName,
    slot::{boot_secs, Flags, Slot, SlotGuard, SlotTable},
    stats::{IoStat, MmStat, Stats},
    stream::{Stream, StreamState, Streams},
    zspool::{Handle, ZsPool},
};
use kernel::{
    compress::Destination,
    cpu::nr_cpu_ids,
    page::PAGE_SIZE,
    prelude::*,
    str::CString,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    task::cond_resched,
};

/// Loops over pages offer to reschedule this often, in pages.
const RESCHED_PAGES: usize = 1024;

/// Offers to reschedule at every `RESCHED_PAGES`th page of a long loop over pages.
pub(crate) fn resched_every(index: usize) {
    if index % RESCHED_PAGES == 0 {
        cond_resched();
    }
}

/// Slot stripes per possible CPU: enough that requests on different CPUs rarely meet.
const STRIPES_PER_CPU: usize = 64;

/// The algorithm configuration of a device: the algorithm and its tuning for each priority;
/// priority 0 (the primary algorithm) is always set.
pub(crate) type CompConfig = [Option<(Algorithm, Params)>; MAX_COMPS];

/// The configuration of a new or reset device: the default algorithm, untuned, and no
/// recompression.
pub(crate) const DEFAULT_COMPS: CompConfig = [
    Some((
        Algorithm::DEFAULT,
        Params {
            level: None,
            deflate_winbits: None,
        },
    )),
    None,
    None,
    None,
];

/// One algorithm of an initialised device with its per-CPU streams.
pub(crate) struct Comp {
    /// The algorithm.
    pub(crate) algorithm: Algorithm,
    /// Its streams.
    pub(crate) streams: Streams,
}

impl Comp {
    fn new(state: &Arc<StreamState>, algorithm: Algorithm, params: &Params) -> Result<Self> {
        Ok(Self {
            algorithm,
            streams: Streams::new(state, algorithm, params)?,
        })
    }
}

/// The state of an initialised device.
pub(crate) struct Meta {
    /// What each page holds.
    pub(crate) slots: SlotTable,
    /// Where compressed pages are kept.
    pub(crate) pool: ZsPool,
    /// The primary algorithm, which compresses every page written.
    primary: Comp,
    /// The recompression algorithms, priorities 1 to 3.
    secondary: [Option<Comp>; MAX_COMPS - 1],
    /// The device's counters.
    pub(crate) stats: Stats,
    /// Pages that compress to this size or more are stored as they are.
    pub(crate) huge_class: usize,
    /// The most pages the pool may use; 0 for no limit (`mem_limit`).
    mem_limit_pages: Atomic<u64>,
    /// The backing store, once attached: published and retired without stopping requests
    /// (see device.rs). Every block a slot of this meta refers to belongs to it.
    pub(crate) backing: Pin<KBox<Gate<Backing>>>,
    /// Written-back pages keep their compressed form (`compressed_writeback`).
    pub(crate) compressed_wb: bool,
    /// Huge pages go to the backing store in the write path, when one is attached
    /// (`inline_writeback`).
    pub(crate) inline_wb: Atomic<bool>,
}

/// The writeback settings a meta is built with.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WbConfig {
    /// `compressed_writeback`.
    pub(crate) compressed: bool,
    /// `inline_writeback`.
    pub(crate) inline: bool,
}

impl Meta {
    /// Builds the meta of device `id` for `disksize` bytes (a multiple of the page size).
    ///
    /// `comps` gives the algorithms; a missing primary one is the default. Their streams are
    /// instances of `streams`, the module's CPU hotplug state.
    pub(crate) fn new(
        streams: &Arc<StreamState>,
        id: u32,
        disksize: u64,
        comps: &CompConfig,
        mem_limit_pages: u64,
        wb: WbConfig,
    ) -> Result<KBox<Self>> {
        let pages = usize::try_from(disksize / PAGE_SIZE as u64).map_err(|_| EINVAL)?;
        let name = CString::try_from_fmt(fmt!("{}", DiskName(id)))?;
        let pool = ZsPool::new(&name)?;
        let huge_class = pool.huge_class_size();
        let stripes = STRIPES_PER_CPU * nr_cpu_ids() as usize;
        let (algorithm, params) = comps[0].unwrap_or((Algorithm::DEFAULT, Params::default()));
        let primary = Comp::new(streams, algorithm, &params)?;
        let mut secondary = [None, None, None];
        for (slot, config) in secondary.iter_mut().zip(&comps[1..]) {
            if let Some((algorithm, params)) = config {
                *slot = Some(Comp::new(streams, *algorithm, params)?);
            }
        }
        Ok(KBox::new(
            Self {
                slots: SlotTable::new(pages, stripes)?,
                pool,
                primary,
                secondary,
                stats: Stats::new(),
                huge_class,
                mem_limit_pages: Atomic::new(mem_limit_pages),
                backing: KBox::pin_init(new_gate!("rzram_backing"), GFP_KERNEL)?,
                compressed_wb: wb.compressed,
                inline_wb: Atomic::new(wb.inline),
            },
            GFP_KERNEL,
        )?)
    }

    /// Returns the primary algorithm.
    pub(crate) fn primary(&self) -> &Comp {
        &self.primary
    }

    /// Returns the algorithm of priority `prio`, if there is one.
    pub(crate) fn comp(&self, prio: u8) -> Option<&Comp> {
        match prio {
            0 => Some(&self.primary),
            _ => self.secondary.get(usize::from(prio) - 1)?.as_ref(),
        }
    }

    /// Returns the highest priority that has an algorithm.
    pub(crate) fn highest_prio(&self) -> u8 {
        (1..MAX_COMPS as u8)
            .rev()
            .find(|&prio| self.comp(prio).is_some())
            .unwrap_or(0)
    }

    /// Loads the object `handle` into `stream.page`; see [`Meta::load_into`].
    pub(crate) fn load(&self, stream: &mut Stream, handle: &Handle, huge: bool) -> Result {
        let Stream { comp, buf, page } = stream;
        self.load_into(comp, buf, handle, huge, page.as_mut_slice().into())
    }

    /// Loads the object `handle` into `dst`, one page: decompressed with `comp`, or copied if
    /// `huge`. `buf`, the scratch buffer of `comp`'s stream, takes an object that spans two
    /// pages of the pool. `EIO` if the object does not give back exactly one page.
    ///
    /// `handle` must be held by a slot of this meta (or be about to be installed in one).
    pub(crate) fn load_into(
        &self,
        comp: &mut Compressor,
        buf: &mut [u8],
        handle: &Handle,
        huge: bool,
        mut dst: Destination<'_>,
    ) -> Result {
        if dst.len() != PAGE_SIZE {
            return Err(EIO);
        }
        self.pool.read(handle, buf, |src| {
            if !huge {
                comp.decompress(src, dst)
            } else if src.len() == PAGE_SIZE {
                dst.copy_from_slice(src)
            } else {
                Err(EIO)
            }
        })?
    }

    /// Copies the object `handle` as it is to the start of `buf` and zeroes the rest.
    ///
    /// `handle` must be held by a slot of this meta. Takes a stream of the primary algorithm
    /// for its scratch buffer (slot → stream, as reads).
    pub(crate) fn copy_object(&self, handle: &Handle, buf: &mut [u8]) -> Result {
        let (head, tail) = buf.split_at_mut_checked(handle.size()).ok_or(EINVAL)?;
        tail.fill(0);
        let mut stream = self.primary.streams.get();
        self.pool
            .read(handle, &mut stream.buf, |src| head.copy_from_slice(src))
    }

    /// Reads the written-back page in block `block` (`len` bytes of it hold the page) into
    /// `stream.page`, decompressing it with `stream`'s algorithm if `len` is below a page.
    pub(crate) fn load_backed(&self, stream: &mut Stream, block: u32, len: u16) -> Result {
        // A slot only refers to a block while the store is attached: it cannot be detached
        // with blocks in use.
        let backing = self.backing.try_get().ok_or(EIO)?;
        let Stream { comp, buf, page } = stream;
        let len = usize::from(len);
        if len == PAGE_SIZE {
            return backing.read(block, page);
        }
        let block_buf = buf.get_mut(..PAGE_SIZE).ok_or(EIO)?;
        backing.read(block, block_buf)?;
        comp.decompress(block_buf.get(..len).ok_or(EIO)?, page.as_mut_slice().into())
    }

    /// Returns the store that huge pages go to in the write path: `None` unless
    /// `inline_writeback` is on and a store is attached. The one reference decides both
    /// whether a request must run in the store's worker and where the page goes there.
    pub(crate) fn inline_store(&self) -> Option<GateRef<'_, Backing>> {
        if !self.inline_wb.load(Relaxed) {
            return None;
        }
        self.backing.try_get()
    }

    /// Writes a huge page to `backing` (from [`Meta::inline_store`]) and returns its slot;
    /// `None` if the store is full or being detached, or the write failed (the page then goes
    /// to the pool). Only in the store's worker: the write waits for the store's I/O.
    pub(crate) fn write_inline(&self, backing: &Backing, page: &[u8]) -> Option<Slot> {
        let block = backing.alloc().ok()?;
        if backing.write(block, page).is_err() {
            backing.free(block);
            return None;
        }
        Some(Slot::Backed {
            block,
            len: PAGE_SIZE as u16,
            flags: Flags::new(true),
            ac_time: boot_secs(),
        })
    }

    /// Marks pages idle (`idle`): every page in the pool if `cutoff` is `None`, otherwise those
    /// last accessed before `cutoff` (in [`boot_secs`]), clearing the mark of the others.
    /// Same-filled and written-back pages are left alone, as zram does: nothing post-processes
    /// them. Reads and writes clear the mark.
    pub(crate) fn mark_idle(&self, cutoff: Option<u32>) {
        for index in 0..self.slots.pages() {
            if let Ok(mut slot) = self.slots.lock(index) {
                if let Slot::Stored { flags, ac_time, .. } = slot.get_mut() {
                    flags.set_idle(cutoff.is_none_or(|cutoff| *ac_time < cutoff));
                }
            }
            resched_every(index);
        }
    }

    /// Frees every object the slots hold. zsmalloc does not free the pages of objects that are
    /// still allocated when the pool is destroyed, so this must run before the pool is dropped.
    fn free_all(&self) {
        for index in 0..self.slots.pages() {
            if let Ok(slot) = self.slots.lock(index) {
                self.clear(slot);
            }
            resched_every(index);
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
            Slot::Stored { handle, flags, .. } => {
                stats.compr_data_size.add(handle.size() as u64);
                if flags.huge() {
                    stats.huge_pages.inc();
                    stats.huge_pages_since.inc();
                }
            }
            // Written by `inline_writeback`: on the store, not in memory.
            Slot::Backed { .. } => stats.huge_pages_since.inc(),
        }
        stats.pages_stored.inc();
    }

    /// Frees what a slot held and takes it out of the counters.
    pub(crate) fn release(&self, slot: Slot) {
        match slot {
            Slot::Empty => return,
            Slot::Same(_) => self.stats.same_pages.sub(1),
            Slot::Stored { .. } => self.release_written_back(slot),
            Slot::Backed { block, .. } => {
                self.free_block(block);
            }
        }
        self.stats.pages_stored.sub(1);
    }

    /// Frees the object of a stored page that was written back, or is being freed: the page
    /// leaves memory but, when written back, still counts as stored (`orig_data_size`), as in
    /// zram.
    pub(crate) fn release_written_back(&self, slot: Slot) {
        if let Slot::Stored { handle, flags, .. } = slot {
            self.stats.compr_data_size.sub(handle.size() as u64);
            if flags.huge() {
                self.stats.huge_pages.sub(1);
            }
            self.pool.free(handle);
        }
    }

    /// Gives block `block` back to the store. A slot only refers to a block while the store is
    /// attached, so the store is always there.
    fn free_block(&self, block: u32) {
        if let Some(backing) = self.backing.try_get() {
            backing.free(block);
        }
    }

    /// Frees an object that was never installed in a slot.
    pub(crate) fn free_object(&self, handle: Handle) {
        self.pool.free(handle);
    }

    /// Gives back what a slot that was never installed (nor counted) holds.
    pub(crate) fn discard_uninstalled(&self, slot: Slot) {
        match slot {
            Slot::Stored { handle, .. } => self.free_object(handle),
            Slot::Backed { block, .. } => {
                self.free_block(block);
            }
            Slot::Empty | Slot::Same(_) => {}
        }
    }

    /// Returns the `bd_stat` counters: zero without a store.
    pub(crate) fn bd_stat(&self) -> BdStat {
        self.backing
            .try_get()
            .map_or_else(BdStat::default, |b| b.bd_stat())
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
