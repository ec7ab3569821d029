// SPDX-License-Identifier: GPL-2.0

//! The request path: read, write, discard and write-zeroes, one device page at a time.
//!
//! Every request is handled in the context that queues it (the tag set is `BLOCKING`) with a
//! counted reference to the device's [`Meta`]; no device-wide lock is taken.
//!
//! Locks, per page: a write compresses and allocates under the CPU's stream only, drops it, and
//! then takes the slot's stripe to install the result. A read takes the slot's stripe and,
//! for a stored page, the stream inside it (slot → stream). There is never a stream → slot
//! edge.
//!
//! Copies, per page: when the request's page lies in one segment, as it does for swap and for
//! page-aligned direct I/O, a write compresses straight from it and a read of a stored page
//! decompresses straight into it, as zram does. Otherwise the page goes through the stream's
//! page. A write of a page that does not compress copies it to the stream's page, which the
//! pool then stores.

use crate::{
    comp::Compressor,
    defer::DEFER,
    meta::{resched_every, Meta},
    slot::{boot_secs, Slot},
    stream::Stream,
};
use kernel::{
    block::{
        mq::{Command, Operations, Request, Segment, Segments},
        SECTOR_SHIFT,
    },
    compress::{Destination, Source},
    mm::memalloc,
    page::{PAGE_SHIFT, PAGE_SIZE},
    prelude::*,
};

/// Sectors per device page.
const PAGE_SECTORS: u64 = 1 << (PAGE_SHIFT - SECTOR_SHIFT as usize);

/// Where a request runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// In `queue_rq`, possibly inside the submitter's bio submission: the backing store cannot
    /// be used there (see defer.rs).
    Submitter,
    /// In the backing store's worker.
    Worker,
}

/// Executes `rq` against `meta`.
///
/// Like zram, a failed read or write is reported to the submitter as an I/O error, whatever
/// the cause (out of memory in the pool, corrupt data); the cause is counted in `io_stat`.
///
/// In the [`Context::Submitter`], a request that needs the backing store stops with
/// [`DEFER`], to be run again from the start in the store's worker.
pub(crate) fn execute<T: Operations>(meta: &Meta, rq: &Request<T>, ctx: Context) -> Result {
    let command = rq.command();
    match command {
        // Nothing is cached: every write is in the pool when it completes.
        Command::Flush => return Ok(()),
        Command::Other(_) => return Err(EOPNOTSUPP),
        Command::Read | Command::Write | Command::Discard | Command::WriteZeroes => {}
    }
    let Some((first, count)) = page_range(meta, rq.sector(), rq.bytes()) else {
        meta.stats.invalid_io.inc();
        return Err(EIO);
    };
    let mut pages = first..first + count;
    let mut data = Cursor::new(rq.segments());
    let result = match command {
        Command::Read => match pages.try_for_each(|index| read_page(meta, index, &mut data, ctx)) {
            Err(e) if e == DEFER && ctx == Context::Submitter => return Err(DEFER),
            result => result.inspect_err(|_| meta.stats.failed_reads.inc()),
        },
        Command::Write => {
            let swap = rq.is_swap();
            match pages.try_for_each(|index| write_page(meta, index, &mut data, swap, ctx)) {
                Err(e) if e == DEFER && ctx == Context::Submitter => return Err(DEFER),
                result => result.inspect_err(|_| meta.stats.failed_writes.inc()),
            }
        }
        _ => {
            meta.stats.notify_free.add(count as u64);
            pages.try_for_each(|index| {
                meta.clear(meta.slots.lock(index)?);
                // A discard may cover the whole device; the queue is `BLOCKING`.
                resched_every(index);
                Ok(())
            })
        }
    };
    result.map_err(|_| EIO)
}

/// Frees page `index` because swap freed the slot stored there (`swap_slot_free_notify`).
///
/// Runs in atomic context, so it only tries the slot's lock; if the slot is busy, the page
/// stays until it is overwritten or discarded, and the miss counts in `miss_free`
/// (`debug_stat`). Like zram, every notification counts in
/// `notify_free`, freed or not.
pub(crate) fn free_swap_slot(meta: &Meta, index: u64) {
    meta.stats.notify_free.inc();
    if let Some(slot) = usize::try_from(index)
        .ok()
        .and_then(|index| meta.slots.try_lock(index))
    {
        meta.clear(slot);
    } else {
        meta.stats.miss_free.inc();
    }
}

/// Returns the first page and the number of pages a request covers, or `None` if it is not
/// page-aligned or reaches past the end of the device.
fn page_range(meta: &Meta, sector: u64, bytes: u32) -> Option<(usize, usize)> {
    if sector % PAGE_SECTORS != 0 || bytes as usize % PAGE_SIZE != 0 {
        return None;
    }
    let first = usize::try_from(sector / PAGE_SECTORS).ok()?;
    let count = bytes as usize / PAGE_SIZE;
    (first.checked_add(count)? <= meta.slots.pages()).then_some((first, count))
}

/// Reads page `index` into the request's buffer.
///
/// A written-back page is read from the backing store, in the store's worker (see defer.rs),
/// with its slot locked, so that it cannot be freed or rewritten meanwhile.
fn read_page(meta: &Meta, index: usize, data: &mut Cursor<'_>, ctx: Context) -> Result {
    let mut slot = meta.slots.lock(index)?;
    // The stream whose page holds the data, if it could not go straight to the request.
    let bounce = match slot.get() {
        Slot::Empty => return data.fill(0),
        Slot::Same(word) => return data.fill(*word),
        Slot::Stored { handle, flags, .. } => {
            let mut stream = meta.comp(flags.prio()).ok_or(EIO)?.streams.get();
            let Stream { comp, buf, .. } = &mut *stream;
            let huge = flags.huge();
            if data.with_destination_page(|dst| meta.load_into(comp, buf, handle, huge, dst))? {
                None
            } else {
                meta.load(&mut stream, handle, huge)?;
                Some(stream)
            }
        }
        Slot::Backed { .. } if ctx == Context::Submitter => return Err(DEFER),
        Slot::Backed {
            block, len, flags, ..
        } => {
            let mut stream = meta.comp(flags.prio()).ok_or(EIO)?.streams.get();
            meta.load_backed(&mut stream, *block, *len)?;
            Some(stream)
        }
    };
    // A read makes the page active again, as in zram.
    slot.get_mut().touch(boot_secs());
    drop(slot);
    bounce.map_or(Ok(()), |stream| data.write_from(&stream.page))
}

/// Writes the next page of the request's buffer to page `index`.
///
/// A swap write allocates without entering reclaim and may use the memory reserves: reclaim is
/// waiting for it to free memory. A bio-based driver such as zram gets this for free, because
/// the reclaiming task itself runs its write path; a blk-mq request may run in a worker.
///
/// With `inline_writeback` on and a backing store attached, a page that does not compress below
/// the huge class goes to the store instead of taking a whole page of memory in the pool; in
/// the [`Context::Submitter`] that stops the request with [`DEFER`] first.
fn write_page(
    meta: &Meta,
    index: usize,
    data: &mut Cursor<'_>,
    swap: bool,
    ctx: Context,
) -> Result {
    let new = {
        let mut stream = meta.primary().streams.get();
        let Stream { comp, buf, page } = &mut *stream;
        let huge_class = meta.huge_class;
        let encoded = match data.with_source_page(|src| {
            let encoded = encode(comp, buf, huge_class, src);
            if encoded == Encoded::Huge {
                // Kept as it is: the pool stores it from the stream's page.
                src.copy_to_slice(page)?;
            }
            Ok(encoded)
        })? {
            Some(encoded) => encoded,
            None => {
                data.read_into(page)?;
                encode(comp, buf, huge_class, Source::from(&page[..]))
            }
        };
        match encoded {
            Encoded::Same(word) => Slot::Same(word),
            Encoded::Compressed(len) => store(meta, &buf[..len], false, swap, ctx)?,
            Encoded::Huge => store(meta, page, true, swap, ctx)?,
        }
    };
    let old = match meta.slots.lock(index) {
        Ok(mut slot) => {
            meta.account(&new);
            slot.replace(new)
        }
        Err(e) => {
            // Not installed: give the object or the block back, uncounted.
            meta.discard_uninstalled(new);
            return Err(e);
        }
    };
    meta.release(old);
    Ok(())
}

/// What a page of data becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoded {
    /// Every 64-bit word of the page is this one.
    Same(u64),
    /// Compressed, below the huge class, into this many bytes of the stream's buffer.
    Compressed(usize),
    /// Did not compress below the huge class: kept as it is.
    Huge,
}

/// Encodes the page at `src`: same-filled, compressed into `buf`, or huge.
///
/// The same-filled check reads the last word first, as zram's does: a page that is not
/// same-filled usually differs there.
fn encode(comp: &mut Compressor, buf: &mut [u8], huge_class: usize, src: Source<'_>) -> Encoded {
    if let Some(word) = src.repeated_word() {
        return Encoded::Same(word);
    }
    match comp.compress(src, buf) {
        Ok(len) if len < huge_class => Encoded::Compressed(len),
        // Did not compress well enough: keep the page as it is.
        _ => Encoded::Huge,
    }
}

/// Stores the `bytes` of a compressed or `huge` page: in the pool, or, for a huge page with
/// `inline_writeback` on, in the backing store.
///
/// A huge page that may go to the store: in the submitter, the request goes to the store's
/// worker, which writes it again from its first page (the pages before this one are written
/// twice, with the same data); the returned error is [`DEFER`]. The same reference decides
/// and, in the worker, writes.
fn store(meta: &Meta, bytes: &[u8], huge: bool, swap: bool, ctx: Context) -> Result<Slot> {
    let inline = if huge { meta.inline_store() } else { None };
    if inline.is_some() && ctx == Context::Submitter {
        return Err(DEFER);
    }
    if let Some(slot) = inline.and_then(|backing| meta.write_inline(&backing, bytes)) {
        return Ok(slot);
    }
    let handle = if swap {
        memalloc::with_noreclaim(|| meta.pool.store(bytes))?
    } else {
        meta.pool.store(bytes)?
    };
    // Like zram, over the limit the write fails and the page is not stored.
    if !meta.within_limit() {
        meta.free_object(handle);
        return Err(ENOMEM);
    }
    Ok(Slot::stored(handle, huge))
}

/// A position in a request's data buffer, which may be split into segments at any byte.
///
/// # Invariants
///
/// `done <= current.len()` while `current` is `Some`.
struct Cursor<'a> {
    segments: Segments<'a>,
    current: Option<Segment<'a>>,
    done: usize,
}

impl<'a> Cursor<'a> {
    fn new(segments: Segments<'a>) -> Self {
        Self {
            segments,
            current: None,
            done: 0,
        }
    }

    /// Returns the current segment and the offset in it, moving to the next segment when the
    /// current one is used up; `EIO` if the buffer is shorter than the request.
    fn segment(&mut self) -> Result<(&mut Segment<'a>, usize)> {
        let used_up = self.current.as_ref().is_none_or(|s| self.done == s.len());
        if used_up {
            self.current = Some(self.segments.next().ok_or(EIO)?);
            self.done = 0;
        }
        let segment = self.current.as_mut().ok_or(EIO)?;
        Ok((segment, self.done))
    }

    /// Walks the next `len` bytes of the buffer: calls `f` with each segment they touch, the
    /// offset in it, and the range of the `len` bytes that lies there.
    fn walk(
        &mut self,
        len: usize,
        mut f: impl FnMut(&mut Segment<'a>, usize, core::ops::Range<usize>) -> Result,
    ) -> Result {
        let mut done = 0;
        while done < len {
            let (segment, offset) = self.segment()?;
            let n = (segment.len() - offset).min(len - done);
            f(segment, offset, done..done + n)?;
            self.done += n;
            done += n;
        }
        Ok(())
    }

    /// Returns the current segment if the next page of the buffer is the whole of it.
    fn whole_page(&mut self) -> Result<Option<&mut Segment<'a>>> {
        let (segment, offset) = self.segment()?;
        Ok((offset == 0 && segment.len() == PAGE_SIZE).then_some(segment))
    }

    /// Calls `f` with the next page of the buffer as a [`Destination`] if it lies in one
    /// segment, and moves past the page if `f` succeeds. Returns `false`, without calling `f`,
    /// if the page is split across segments.
    fn with_destination_page(&mut self, f: impl FnOnce(Destination<'_>) -> Result) -> Result<bool> {
        let Some(segment) = self.whole_page()? else {
            return Ok(false);
        };
        segment.with_destination(0, PAGE_SIZE, f)??;
        self.done = PAGE_SIZE;
        Ok(true)
    }

    /// Calls `f` with the next page of the buffer as a [`Source`] if it lies in one segment,
    /// and moves past the page if `f` succeeds. Returns `None`, without calling `f`, if the
    /// page is split across segments.
    fn with_source_page<R>(
        &mut self,
        f: impl FnOnce(Source<'_>) -> Result<R>,
    ) -> Result<Option<R>> {
        let Some(segment) = self.whole_page()? else {
            return Ok(None);
        };
        let ret = segment.with_source(0, PAGE_SIZE, f)??;
        self.done = PAGE_SIZE;
        Ok(Some(ret))
    }

    /// Copies the next `dst.len()` bytes of the buffer to `dst`.
    fn read_into(&mut self, dst: &mut [u8]) -> Result {
        self.walk(dst.len(), |segment, offset, range| {
            segment.copy_to_slice(offset, &mut dst[range])
        })
    }

    /// Copies `src` to the next `src.len()` bytes of the buffer.
    fn write_from(&mut self, src: &[u8]) -> Result {
        self.walk(src.len(), |segment, offset, range| {
            segment.copy_from_slice(offset, &src[range])
        })
    }

    /// Fills the next page of the buffer with `word`.
    ///
    /// A word of one repeated byte (zero above all) is set with one `memset()` per segment;
    /// any other is copied from a pattern in chunks.
    fn fill(&mut self, word: u64) -> Result {
        let bytes = word.to_ne_bytes();
        if bytes.iter().all(|&b| b == bytes[0]) {
            return self.walk(PAGE_SIZE, |segment, offset, range| {
                segment.fill(offset, range.len(), bytes[0])
            });
        }
        let mut chunk = [0u8; 256];
        for w in chunk.chunks_exact_mut(8) {
            w.copy_from_slice(&bytes);
        }
        (0..PAGE_SIZE / chunk.len()).try_for_each(|_| self.write_from(&chunk))
    }
}
