// SPDX-License-Identifier: GPL-2.0

//! Writeback: moving stored pages out of memory to the backing store (`writeback`), as zram
//! does, within the budget of `writeback_limit`.
//!
//! Each page is chosen with its slot locked and marked pending, copied out, and unlocked; the
//! copy is written to a free block with no lock held; then the slot is locked again and the
//! page replaced by a reference to the block only if it is still marked. A write, discard,
//! swap-slot free or read of the page in the meantime installs a new slot or clears the mark,
//! so the newer data always wins and the block is given back: no update is lost and no block
//! leaks.
//!
//! Up to `writeback_batch_size` pages are written at a time, each by a work item on the
//! store's workqueue; the run waits for the whole batch, installs what was written, and goes
//! on with the next batch (zram refills its batch as writes complete; rzram goes in rounds).

use crate::{
    backing::Backing,
    meta::Meta,
    parse,
    slot::{Flags, Slot},
};
use kernel::{
    block::backing::BackingFile,
    impl_has_work, new_work,
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        atomic::{Atomic, Full, Relaxed},
        Arc, Completion,
    },
    task::cond_resched,
    workqueue::{Work, WorkItem},
};

/// The most writes a batch has in flight, whatever `writeback_batch_size` says: each holds a
/// page of memory until the batch is done.
const MAX_BATCH: usize = 256;

/// The default `writeback_batch_size`, as zram's.
pub(crate) const DEFAULT_BATCH_SIZE: u32 = 32;

/// 4 KiB units per page, the unit of `writeback_limit` and `bd_stat`.
pub(crate) const UNITS_PER_PAGE: u64 = PAGE_SIZE as u64 / 4096;

/// Which pages a scan selects (zram's writeback modes); none set selects every stored page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Mode {
    /// Only pages marked idle.
    pub(crate) idle: bool,
    /// Only huge pages (stored uncompressed).
    pub(crate) huge: bool,
    /// Only pages recompression gave up on.
    pub(crate) incompressible: bool,
}

impl Mode {
    /// Parses a mode name: `idle`, `huge`, `huge_idle` or `incompressible`; `EINVAL`
    /// otherwise.
    pub(crate) fn parse(name: &[u8]) -> Result<Self> {
        let mut mode = Self::default();
        match name {
            b"idle" => mode.idle = true,
            b"huge" => mode.huge = true,
            b"huge_idle" => (mode.idle, mode.huge) = (true, true),
            b"incompressible" => mode.incompressible = true,
            _ => return Err(EINVAL),
        }
        Ok(mode)
    }

    /// Returns `true` if a stored page with `flags` is selected.
    fn selects(self, flags: Flags) -> bool {
        (!self.idle || flags.idle())
            && (!self.huge || flags.huge())
            && (!self.incompressible || flags.incompressible())
    }
}

/// One scan of a writeback request: the pages `lo..hi` that `mode` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    /// What to select.
    pub(crate) mode: Mode,
    /// The first page.
    pub(crate) lo: usize,
    /// One past the last page.
    pub(crate) hi: usize,
}

/// Parses what is written to `writeback` for a device of `pages` pages, as zram 7.3 does:
///
/// - a mode alone (`idle`, `huge`, `huge_idle`, `incompressible`: the old interface) or
///   `type=<mode>` scans the last range given (the whole device if none) and ends the list;
/// - `page_index=N` and `page_indexes=LOW-HIGH` set the range and scan it with the mode so far
///   (every stored page, if no mode came before);
/// - other keys are ignored.
///
/// `EINVAL` for a bad mode or number, `ERANGE` for an index at or past the end, or a range
/// whose end is before its start.
pub(crate) fn parse_request(input: &[u8], pages: usize) -> Result<KVec<Scan>> {
    let mut scans = KVec::new();
    let (mut lo, mut hi) = (0, pages);
    let mode = Mode::default();
    for arg in input
        .split(u8::is_ascii_whitespace)
        .filter(|a| !a.is_empty())
    {
        let (key, value) = match arg.iter().position(|&c| c == b'=') {
            Some(eq) => (&arg[..eq], &arg[eq + 1..]),
            None => (arg, &b""[..]),
        };
        if value.is_empty() || key == b"type" {
            let name = if value.is_empty() { key } else { value };
            scans.push(
                Scan {
                    mode: Mode::parse(name)?,
                    lo,
                    hi,
                },
                GFP_KERNEL,
            )?;
            break;
        }
        match key {
            b"page_index" => {
                lo = index(value, pages)?;
                hi = lo + 1;
            }
            b"page_indexes" => {
                let dash = value.iter().position(|&c| c == b'-').ok_or(EINVAL)?;
                lo = index(&value[..dash], pages)?;
                let last = index(&value[dash + 1..], pages)?;
                if last < lo {
                    return Err(ERANGE);
                }
                hi = last + 1;
            }
            _ => continue,
        }
        scans.push(Scan { mode, lo, hi }, GFP_KERNEL)?;
    }
    Ok(scans)
}

/// Parses a page index (`kstrtoul(.., 10)`): `EINVAL` if it is not a number, `ERANGE` at or
/// past `pages`.
fn index(value: &[u8], pages: usize) -> Result<usize> {
    let index = parse::parse_decimal_u64(value)?;
    usize::try_from(index)
        .ok()
        .filter(|&i| i < pages)
        .ok_or(ERANGE)
}

/// The writeback budget (`writeback_limit_enable`, `writeback_limit`) and
/// `writeback_batch_size` of a device; kept across resets, as zram's.
pub(crate) struct Budget {
    /// `writeback_limit_enable`.
    pub(crate) enabled: Atomic<bool>,
    /// `writeback_limit`, in 4 KiB units.
    pub(crate) limit: Atomic<u64>,
    /// `writeback_batch_size`.
    pub(crate) batch_size: Atomic<u32>,
}

impl Budget {
    /// No limit, and zram's default batch size.
    pub(crate) fn new() -> Self {
        Self {
            enabled: Atomic::new(false),
            limit: Atomic::new(0),
            batch_size: Atomic::new(DEFAULT_BATCH_SIZE),
        }
    }

    /// Returns `true` if the limit is on and spent.
    fn spent(&self) -> bool {
        self.enabled.load(Relaxed) && self.limit.load(Relaxed) == 0
    }

    /// Takes one page from the budget, if the limit is on (zram: before submission).
    fn take(&self) {
        if !self.enabled.load(Relaxed) {
            return;
        }
        let mut cur = self.limit.load(Relaxed);
        while cur > 0 {
            match self
                .limit
                .cmpxchg(cur, cur.saturating_sub(UNITS_PER_PAGE), Relaxed)
            {
                Ok(_) => return,
                Err(now) => cur = now,
            }
        }
    }

    /// Gives one page back after a failed write, if the limit is on.
    fn give_back(&self) {
        if self.enabled.load(Relaxed) {
            self.limit.fetch_add(UNITS_PER_PAGE, Relaxed);
        }
    }
}

/// The writes of one batch: their results, and a completion for the last one.
///
/// # Invariants
///
/// `remaining` counts the writes of the batch not finished yet, plus one while the run is
/// still adding writes; `done` is completed once, when it reaches zero.
#[pin_data]
struct Batch {
    remaining: Atomic<usize>,
    /// The result of each write, by its place in the batch: 0 or a negative errno.
    results: KVec<Atomic<i32>>,
    #[pin]
    done: Completion,
}

impl Batch {
    /// A batch of up to `size` writes, held open by the run.
    fn new(size: usize) -> Result<Arc<Self>> {
        let mut results = KVec::with_capacity(size, GFP_KERNEL)?;
        for _ in 0..size {
            results.push(Atomic::new(0), GFP_KERNEL)?;
        }
        Arc::pin_init(
            pin_init!(Self {
                remaining: Atomic::new(1),
                results,
                done <- Completion::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Ends one write (or the run's own hold).
    fn finish_one(&self) {
        if self.remaining.fetch_sub(1, Full) == 1 {
            self.done.complete();
        }
    }
}

/// One page on its way to the store, written by the store's worker.
#[pin_data]
struct PageWrite {
    #[pin]
    work: Work<PageWrite>,
    file: Arc<BackingFile>,
    block: u32,
    buf: KVVec<u8>,
    batch: Arc<Batch>,
    pos: usize,
}

impl_has_work! {
    impl HasWork<Self> for PageWrite { self.work }
}

impl WorkItem for PageWrite {
    type Pointer = Pin<KBox<Self>>;

    fn run(this: Pin<KBox<Self>>) {
        let result = match this.file.write(u64::from(this.block), &this.buf) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
        if let Some(slot) = this.batch.results.get(this.pos) {
            slot.store(result, Relaxed);
        }
        // Fully ordered: the result is visible to the run once it sees the batch done.
        this.batch.finish_one();
    }
}

/// What a writeback run works with.
struct Run<'a> {
    meta: &'a Meta,
    backing: &'a Backing,
    budget: &'a Budget,
    /// A page buffer not used up yet: only a page that is chosen takes it.
    spare: Option<KVVec<u8>>,
}

/// A page written (or being written) in the current batch.
struct Pending {
    index: usize,
    block: u32,
    len: u16,
}

/// Writes back the pages `scans` select to the store of `meta`, within `budget`, and returns
/// how many were written.
///
/// `ENODEV` without a store. Like zram: `EIO` when the budget is spent with pages left,
/// `ENOSPC` when the store is full; a failed write of one page is not fatal (the page stays in
/// memory, the run goes on) but the last such error is returned at the end.
pub(crate) fn run(meta: &Meta, budget: &Budget, scans: &[Scan]) -> Result<u64> {
    let backing = meta.backing.try_get().ok_or(ENODEV)?;
    let size = (budget.batch_size.load(Relaxed) as usize).clamp(1, MAX_BATCH);
    let pages = meta.slots.pages();
    let mut candidates = scans
        .iter()
        .flat_map(|scan| (scan.lo..scan.hi.min(pages)).map(move |index| (index, scan.mode)));
    let mut pending = KVec::with_capacity(size, GFP_KERNEL)?;
    let mut run = Run {
        meta,
        backing: &backing,
        budget,
        spare: None,
    };
    let mut written = 0;
    let mut error = None;
    let mut stop = false;
    while !stop {
        let batch = Batch::new(size)?;
        // Fill the batch; every write added is waited for below, whatever happens.
        while pending.len() < size {
            let Some((index, mode)) = candidates.next() else {
                stop = true;
                break;
            };
            cond_resched();
            let pos = pending.len();
            match start_write(&mut run, &batch, pos, index, mode) {
                // Within the capacity reserved above: does not allocate, cannot fail.
                Ok(Some(write)) => pending.push(write, GFP_KERNEL)?,
                Ok(None) => {}
                Err(e) => {
                    error = Some(e);
                    stop = true;
                    break;
                }
            }
        }
        batch.finish_one();
        batch.done.wait_for_completion();
        for (pos, write) in pending.iter().enumerate() {
            let result = batch
                .results
                .get(pos)
                .map_or(EIO.to_errno(), |r| r.load(Relaxed));
            if result == 0 {
                backing.count_write();
                match install(meta, &backing, write.index, write.block, write.len) {
                    Ok(true) => written += 1,
                    Ok(false) => {}
                    Err(e) => error = Some(e),
                }
            } else {
                budget.give_back();
                backing.free(write.block);
                abandon(meta, write.index);
                error = Some(Error::from_errno(result));
            }
        }
        pending.clear();
    }
    match error {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

/// Chooses page `index` for writeback and starts writing it as write `pos` of `batch`:
/// `None` if the page is not chosen. `EIO` if the budget is spent, `ENOSPC` if the store is
/// full, `EBUSY` if it is being detached, `ENOMEM`; the page is left as it was then.
fn start_write(
    run: &mut Run<'_>,
    batch: &Arc<Batch>,
    pos: usize,
    index: usize,
    mode: Mode,
) -> Result<Option<Pending>> {
    let Run {
        meta,
        backing,
        budget,
        spare,
    } = run;
    let (meta, backing, budget) = (*meta, *backing, *budget);
    // A detach is waiting for this run to let go of the store: stop at once.
    if backing.is_closed() {
        return Err(EBUSY);
    }
    // A page buffer is only used up by a page that is chosen; the next candidate reuses it.
    let buf = match spare {
        Some(buf) => buf,
        None => spare.insert(KVVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN)?),
    };
    let Some(len) = choose(meta, index, mode, buf)? else {
        return Ok(None);
    };
    let buf = spare.take().ok_or(EINVAL)?;
    if budget.spent() {
        abandon(meta, index);
        return Err(EIO);
    }
    let block = match backing.alloc() {
        Ok(block) => block,
        Err(e) => {
            abandon(meta, index);
            return Err(e);
        }
    };
    let write = KBox::pin_init(
        pin_init!(PageWrite {
            work <- new_work!("rzram_writeback"),
            file: backing.file().clone(),
            block,
            buf,
            batch: batch.clone(),
            pos,
        }),
        GFP_KERNEL,
    );
    let write = match write {
        Ok(write) => write,
        Err(e) => {
            backing.free(block);
            abandon(meta, index);
            return Err(e);
        }
    };
    // Taken before submission, as zram does, so a run never writes past the budget.
    budget.take();
    batch.remaining.fetch_add(1, Relaxed);
    backing.queue().enqueue(write);
    Ok(Some(Pending { index, block, len }))
}

/// Chooses page `index` if it is stored and `mode` selects it: marks it pending and copies it
/// to `buf` (decompressed, or the compressed object with `compressed_writeback`). Returns the
/// bytes of the block that hold the page, or `None` if the page is not chosen.
fn choose(meta: &Meta, index: usize, mode: Mode, buf: &mut [u8]) -> Result<Option<u16>> {
    let mut slot = meta.slots.lock(index)?;
    let Slot::Stored { handle, flags, .. } = slot.get() else {
        return Ok(None);
    };
    if !mode.selects(*flags) {
        return Ok(None);
    }
    let len = if meta.compressed_wb || flags.huge() {
        meta.copy_object(handle, buf)?;
        handle.size()
    } else {
        let mut stream = meta.comp(flags.prio()).ok_or(EIO)?.streams.get();
        meta.load(&mut stream, handle, false)?;
        buf.copy_from_slice(&stream.page);
        PAGE_SIZE
    };
    if let Some(flags) = slot.get_mut().flags_mut() {
        flags.set_pending(true);
    }
    // At most a page, so it fits.
    Ok(Some(len as u16))
}

/// Clears the pending mark of page `index` after a writeback gave up on it.
fn abandon(meta: &Meta, index: usize) {
    if let Ok(mut slot) = meta.slots.lock(index) {
        if let Slot::Stored { flags, .. } = slot.get_mut() {
            flags.set_pending(false);
        }
    }
}

/// Replaces page `index` by block `block` if it is still pending, freeing its object; gives the
/// block back otherwise. Returns `true` if the page now lives on the store.
fn install(meta: &Meta, backing: &Backing, index: usize, block: u32, len: u16) -> Result<bool> {
    let mut slot = match meta.slots.lock(index) {
        Ok(slot) => slot,
        Err(e) => {
            backing.free(block);
            return Err(e);
        }
    };
    let (flags, ac_time) = match slot.get() {
        Slot::Stored { flags, ac_time, .. } if flags.pending() => (*flags, *ac_time),
        // Written, discarded, freed or read meanwhile: the newer state wins.
        _ => {
            drop(slot);
            backing.free(block);
            return Ok(false);
        }
    };
    let mut flags = flags;
    flags.set_pending(false);
    flags.set_idle(false);
    let old = slot.replace(Slot::Backed {
        block,
        len,
        flags,
        ac_time,
    });
    drop(slot);
    meta.release_written_back(old);
    Ok(true)
}
