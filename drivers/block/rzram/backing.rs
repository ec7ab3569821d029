// SPDX-License-Identifier: GPL-2.0

//! The backing store of a device: the block device or regular file that written-back pages
//! live on, its map of blocks and its counters (`bd_stat`).
//!
//! A [`Backing`] is attached through `backing_dev`, before or after `disksize`. Once the
//! device is initialised it is published in the meta through a [`Gate`] of its own, so the
//! request path, `writeback` and reads of written-back pages reach it with one atomic
//! reference and no lock, exactly as they reach the meta (see device.rs for why attaching and
//! detaching while requests run is safe).
//!
//! Blocks are handed out from a lock-free bitmap: allocation and freeing are one
//! compare-and-exchange on one word, so a rewrite or discard of a written-back page frees its
//! block without a store-wide lock.
//!
//! A block device is claimed exclusively by the store's open file, for as long as the store
//! is attached. A regular file has no such claim in the kernel, so the rzram devices keep a shared list of the files attached to
//! any of them ([`Claims`]): a file is attached to at most one device.
//!
//! [`Gate`]: crate::gate::Gate

use crate::{device::Device, RzramModule};
use kernel::{
    block::backing::{BackingFile, FileId, Kind},
    new_mutex,
    prelude::*,
    str::{CStr, CString},
    sync::{
        atomic::{Atomic, Full, Relaxed},
        Arc, Mutex,
    },
    workqueue::{OwnedQueue, QueueFlag},
};

/// Bits per word of the block map.
const WORD_BITS: usize = u64::BITS as usize;

/// The most blocks a store can have: slots record blocks in 32 bits. Beyond that (16 TiB of
/// 4 KiB pages), a store is used up to this size.
const MAX_BLOCKS: u64 = u32::MAX as u64;

/// The regular files attached as backing stores to any rzram device.
#[pin_data]
pub(crate) struct Claims {
    #[pin]
    files: Mutex<KVec<FileId>>,
}

impl Claims {
    /// Creates an empty list.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            files <- new_mutex!(KVec::new(), "rzram_file_claims"),
        })
    }

    /// Claims the file `id`: `EBUSY` if an rzram device already has it.
    fn claim(claims: &Arc<Self>, id: FileId) -> Result<Claim> {
        let mut files = claims.files.lock();
        if files.contains(&id) {
            return Err(EBUSY);
        }
        files.push(id, GFP_KERNEL)?;
        Ok(Claim {
            claims: claims.clone(),
            id,
        })
    }
}

/// A regular file claimed in [`Claims`]; dropping it gives the file up.
struct Claim {
    claims: Arc<Claims>,
    id: FileId,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut files = self.claims.files.lock();
        if let Some(pos) = files.iter().position(|&id| id == self.id) {
            // In bounds: found just above.
            let _ = files.remove(pos);
        }
    }
}

/// The counters of `bd_stat`, in pages.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BdStat {
    /// Blocks in use: pages on the store, and writes in flight.
    pub(crate) count: u64,
    /// Pages read from the store.
    pub(crate) reads: u64,
    /// Pages written to the store.
    pub(crate) writes: u64,
}

/// The attached store of a device.
///
/// # Invariants
///
/// - Bit `b` of `map` is set while block `b` is in use: held by a slot, or being written.
/// - `used` is the number of bits set in `map`, plus the allocations in progress.
/// - Once `closed` is set and `used` seen zero after it (in [`Backing::close`]), no block is
///   handed out again.
pub(crate) struct Backing {
    /// The worker of the requests that use the store (see defer.rs). First, so that it is
    /// drained before the file is closed.
    queue: OwnedQueue,
    file: Arc<BackingFile>,
    /// One bit per block, `blocks` bits in all.
    map: KVVec<Atomic<u64>>,
    blocks: u32,
    /// The word the next allocation starts looking at.
    hint: Atomic<usize>,
    used: Atomic<u64>,
    closed: Atomic<bool>,
    reads: Atomic<u64>,
    writes: Atomic<u64>,
    /// For a regular file, its place in [`Claims`].
    _claim: Option<Claim>,
}

impl Backing {
    /// Opens `path` as the store of `device`: `ENOTBLK` for neither a block device nor a
    /// regular file, `EBUSY` if someone else holds it (or another rzram device has the file),
    /// `EINVAL` for an rzram device, a file on one, or an empty store.
    pub(crate) fn open(path: &CStr, device: &Device, claims: &Arc<Claims>) -> Result<Self> {
        let file = Arc::new(BackingFile::open(path)?, GFP_KERNEL)?;
        if file.is_on_disk_of(&<RzramModule as kernel::ModuleMetadata>::THIS_MODULE) {
            pr_info!(
                "{}: an rzram device cannot back an rzram device\n",
                device.name()
            );
            return Err(EINVAL);
        }
        let claim = match file.kind() {
            Kind::RegularFile => Some(Claims::claim(claims, file.id())?),
            Kind::BlockDevice => None,
        };
        // Bounded by `MAX_BLOCKS`, so the conversion cannot fail.
        let blocks = u32::try_from(file.blocks().min(MAX_BLOCKS)).map_err(|_| EINVAL)?;
        let words = (blocks as usize).div_ceil(WORD_BITS);
        let mut map = KVVec::with_capacity(words, GFP_KERNEL | __GFP_NOWARN)?;
        for _ in 0..words {
            map.push(Atomic::new(0u64), GFP_KERNEL)?;
        }
        // The bits past the last block are set for good, so they are never handed out.
        let tail = blocks as usize % WORD_BITS;
        if tail != 0 {
            if let Some(last) = map.last() {
                last.store(!0u64 << tail, Relaxed);
            }
        }
        let name = CString::try_from_fmt(fmt!("{}_store", device.name()))?;
        let queue = OwnedQueue::new(
            &name,
            QueueFlag::MemReclaim | QueueFlag::HighPri | QueueFlag::Unbound,
            0,
        )?;
        // INVARIANT: Every block is free and nothing is counted.
        Ok(Self {
            queue,
            file,
            map,
            blocks,
            hint: Atomic::new(0),
            used: Atomic::new(0),
            closed: Atomic::new(false),
            reads: Atomic::new(0),
            writes: Atomic::new(0),
            _claim: claim,
        })
    }

    /// Returns the workqueue that runs the requests that need the store.
    pub(crate) fn queue(&self) -> &OwnedQueue {
        &self.queue
    }

    /// Returns the size of the store in blocks (pages).
    pub(crate) fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Writes the path of the store into `buf` and returns it.
    pub(crate) fn path<'a>(&self, buf: &'a mut [u8]) -> Result<&'a [u8]> {
        self.file.path(buf)
    }

    /// Returns `true` while a detach has the store closed to allocation.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Relaxed)
    }

    /// Takes a free block: `ENOSPC` if the store is full, `EBUSY` if it is being detached.
    pub(crate) fn alloc(&self) -> Result<u32> {
        // Counted before the check of `closed`, and `close` sets `closed` before it reads the
        // count, both fully ordered: one of the two sees the other.
        self.used.fetch_add(1, Full);
        if self.closed.load(Relaxed) {
            self.used.fetch_sub(1, Relaxed);
            return Err(EBUSY);
        }
        let words = self.map.len();
        let start = self.hint.load(Relaxed) % words.max(1);
        for i in 0..words {
            let w = (start + i) % words;
            let word = &self.map[w];
            let mut cur = word.load(Relaxed);
            while cur != u64::MAX {
                let bit = (!cur).trailing_zeros() as usize;
                match word.cmpxchg(cur, cur | (1 << bit), Relaxed) {
                    Ok(_) => {
                        self.hint.store(w, Relaxed);
                        // Below `blocks` (a `u32`), since the bits past it are always set.
                        return u32::try_from(w * WORD_BITS + bit).map_err(|_| ENOSPC);
                    }
                    Err(now) => cur = now,
                }
            }
        }
        self.used.fetch_sub(1, Relaxed);
        Err(ENOSPC)
    }

    /// Gives block `block` back.
    pub(crate) fn free(&self, block: u32) {
        let (w, bit) = (block as usize / WORD_BITS, block as usize % WORD_BITS);
        let Some(word) = self.map.get(w) else {
            return;
        };
        let mut cur = word.load(Relaxed);
        while cur & (1 << bit) != 0 {
            match word.cmpxchg(cur, cur & !(1 << bit), Relaxed) {
                Ok(_) => {
                    self.used.fetch_sub(1, Relaxed);
                    return;
                }
                Err(now) => cur = now,
            }
        }
        pr_warn!("rzram: backing block {} freed twice\n", block);
    }

    /// Reads block `block` into `buf` (one page, aligned).
    pub(crate) fn read(&self, block: u32, buf: &mut [u8]) -> Result {
        self.reads.fetch_add(1, Relaxed);
        self.file.read(u64::from(block), buf)
    }

    /// Writes `buf` (one page, aligned) to block `block`.
    pub(crate) fn write(&self, block: u32, buf: &[u8]) -> Result {
        self.file.write(u64::from(block), buf)?;
        self.count_write();
        Ok(())
    }

    /// Counts a page written to the store by someone holding [`Backing::file`].
    pub(crate) fn count_write(&self) {
        self.writes.fetch_add(1, Relaxed);
    }

    /// Returns the file, for writes that run in the store's worker (`writeback`).
    pub(crate) fn file(&self) -> &Arc<BackingFile> {
        &self.file
    }

    /// Stops handing out blocks, for a detach: `EBUSY`, and nothing changes, if any block is
    /// in use.
    pub(crate) fn close(&self) -> Result {
        self.closed.store(true, Relaxed);
        // Pairs with the fully ordered increment in `alloc`: either that allocation sees
        // `closed`, or this sees its count.
        if self.used.fetch_add(0, Full) != 0 {
            self.closed.store(false, Relaxed);
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Returns the `bd_stat` counters.
    pub(crate) fn bd_stat(&self) -> BdStat {
        BdStat {
            count: self.used.load(Relaxed),
            reads: self.reads.load(Relaxed),
            writes: self.writes.load(Relaxed),
        }
    }
}
