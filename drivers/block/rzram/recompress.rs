// SPDX-License-Identifier: GPL-2.0

//! Recompression: storing pages again with a secondary, usually slower but stronger,
//! algorithm (`recompress`), as zram does.
//!
//! Each candidate page is handled with its slot locked, from reading the old object to
//! installing the new one, so a write to the page in the meantime cannot be lost. Requests
//! for other pages of the same stripe wait for that one page; those for other stripes are not
//! held up. The new object is allocated with `GFP_NOIO`, as in zram, so reclaim cannot need
//! the slot lock.

use crate::{
    meta::Meta,
    slot::{Flags, Slot},
};
use kernel::{page::PAGE_SIZE, prelude::*, task::cond_resched};

/// Which pages to recompress and with what (the parameters written to `recompress`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    /// Only pages marked idle.
    pub(crate) idle: bool,
    /// Only huge pages (stored uncompressed).
    pub(crate) huge: bool,
    /// The most pages to try; `None` for all.
    pub(crate) max_pages: Option<u64>,
    /// Only objects of at least this many bytes, and keep the result only if it is smaller
    /// than this; 0 for no threshold.
    pub(crate) threshold: usize,
    /// The priority of the algorithm to use (1 to 3).
    pub(crate) prio: u8,
}

/// What a recompression run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Pages decompressed and compressed again.
    pub(crate) tried: u64,
    /// Pages stored again, smaller.
    pub(crate) recompressed: u64,
}

/// Recompresses the pages of `meta` that `req` selects, in page order.
///
/// `EINVAL` if there is no algorithm at `req.prio`. An allocation failure (`ENOMEM`), a
/// corrupt object (`EIO`) or a compression error stops the run; the page then keeps its old
/// object.
pub(crate) fn run(meta: &Meta, req: &Request) -> Result<Outcome> {
    let comp = meta.comp(req.prio).ok_or(EINVAL)?;
    let highest = meta.highest_prio() == req.prio;
    let mut page = KVVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN)?;
    let mut out = Outcome::default();
    for index in 0..meta.slots.pages() {
        // Each page tried costs a compression; offer to reschedule as zram does, per page.
        cond_resched();
        if req.max_pages.is_some_and(|max| out.tried >= max) {
            break;
        }
        let mut slot = meta.slots.lock(index)?;
        let Slot::Stored { handle, flags, .. } = slot.get() else {
            continue;
        };
        let (huge, prio, old_len, ac_time) = (
            flags.huge(),
            flags.prio(),
            handle.size(),
            slot.get().ac_time().unwrap_or(0),
        );
        if (req.idle && !flags.idle())
            || (req.huge && !huge)
            || flags.incompressible()
            || prio >= req.prio
        {
            continue;
        }
        // Objects that are already small enough.
        if old_len < req.threshold {
            continue;
        }
        {
            let mut stream = meta.comp(prio).ok_or(EIO)?.streams.get();
            meta.load(&mut stream, handle, huge)?;
            page.copy_from_slice(&stream.page);
        }
        out.tried += 1;
        // Touched, so no longer idle, whatever comes of it (as zram); the access time stays,
        // since no one used the page.
        if let Some(flags) = slot.get_mut().flags_mut() {
            flags.set_idle(false);
        }
        let mut stream = comp.streams.get();
        let stream = &mut *stream;
        let new_len = match stream.comp.compress(&page[..], &mut stream.buf) {
            Ok(len) => Some(len),
            // Bigger than the two-page buffer: no gain.
            Err(e) if e == E2BIG => None,
            Err(e) => return Err(e),
        };
        let better = new_len.filter(|&len| {
            len < meta.huge_class
                && meta.pool.class_index(len) < meta.pool.class_index(old_len)
                && (req.threshold == 0 || len < req.threshold)
        });
        let Some(new_len) = better else {
            // If even the last algorithm cannot help, none will.
            if let Some(flags) = slot.get_mut().flags_mut() {
                flags.set_incompressible(highest);
            }
            continue;
        };
        let handle = meta.pool.store(&stream.buf[..new_len])?;
        let new = Slot::Stored {
            handle,
            flags: Flags::default().with_prio(req.prio),
            ac_time,
        };
        meta.account(&new);
        let old = slot.replace(new);
        drop(slot);
        meta.release(old);
        out.recompressed += 1;
    }
    Ok(out)
}
