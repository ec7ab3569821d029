// SPDX-License-Identifier: GPL-2.0

//! A safe wrapper over a zsmalloc pool.
//!
//! Objects are identified by a [`Handle`], which only [`ZsPool::store`] creates. A handle is
//! ten bytes, so that a slot holding one stays within zram's sixteen; it does not record its
//! pool, so reading or freeing it through another pool is the caller's to rule out: those
//! methods are `unsafe`. The driver keeps each pool's handles in the slots of the one meta that
//! owns the pool.
//!
//! C header: [`include/linux/zsmalloc.h`](srctree/include/linux/zsmalloc.h)

use core::{num::NonZeroUsize, ptr::NonNull};
use kernel::{bindings, page::PAGE_SIZE, prelude::*};

/// GFP flags for allocations in the I/O path: no I/O recursion, no warning on failure (the
/// request fails with `ENOMEM` instead), and pages that zsmalloc may place in high or movable
/// memory, as zram does.
const GFP_IO_PATH: bindings::gfp_t =
    bindings::GFP_NOIO | bindings::__GFP_NOWARN | bindings::__GFP_HIGHMEM | bindings::__GFP_MOVABLE;

/// An object allocated in a [`ZsPool`].
///
/// Packed to two-byte alignment (ten bytes) so that a [`Slot`] holding it, with its flags and
/// access time, fits in sixteen bytes. Fields are only ever copied out, never borrowed.
///
/// # Invariants
///
/// `raw` is a live zsmalloc handle, of the pool that created it, of `len` bytes (1 to
/// `PAGE_SIZE`).
///
/// [`Slot`]: crate::slot::Slot
#[derive(Debug)]
#[repr(C, packed(2))]
pub(crate) struct Handle {
    raw: NonZeroUsize,
    len: u16,
}

impl Handle {
    /// Returns the size of the object in bytes.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Returns the raw zsmalloc handle.
    fn raw(&self) -> usize {
        // Copied out: a reference to a field of a packed struct may be unaligned.
        let raw = self.raw;
        raw.get()
    }
}

/// A zsmalloc pool.
///
/// # Invariants
///
/// `pool` is a pool created by `zs_create_pool()` and owned by `self`.
pub(crate) struct ZsPool {
    pool: NonNull<bindings::zs_pool>,
}

// SAFETY: zsmalloc pools may be used from any thread; all their functions
// synchronise internally.
unsafe impl Send for ZsPool {}
// SAFETY: As above.
unsafe impl Sync for ZsPool {}

impl ZsPool {
    /// Creates a pool called `name` (shown in /sys/kernel/debug/zsmalloc/).
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string; zsmalloc copies it.
        let pool = unsafe { bindings::zs_create_pool(name.as_char_ptr()) };
        let pool = NonNull::new(pool).ok_or(ENOMEM)?;
        // INVARIANT: The pool was just created and is ours.
        Ok(Self { pool })
    }

    /// Allocates an object and fills it with `data`.
    ///
    /// The allocation may reclaim memory but never starts I/O (`GFP_NOIO`), so it does not
    /// recurse into swap-out; callers may hold a slot lock, as zram's recompression does.
    pub(crate) fn store(&self, data: &[u8]) -> Result<Handle> {
        if data.is_empty() || data.len() > PAGE_SIZE {
            return Err(EINVAL);
        }
        // SAFETY: By the type invariant `self.pool` is a live pool.
        let raw = unsafe {
            bindings::zs_malloc(
                self.pool.as_ptr(),
                data.len(),
                GFP_IO_PATH,
                bindings::NUMA_NO_NODE,
            )
        };
        // zs_malloc() returns an error value (IS_ERR_VALUE) on failure.
        let raw = raw as usize;
        if raw >= (bindings::MAX_ERRNO as usize).wrapping_neg() {
            return Err(Error::from_errno(raw as isize as i32));
        }
        let raw = NonZeroUsize::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` was just allocated in this pool with room for
        // `data.len()` bytes; zs_obj_write only reads `data`.
        unsafe {
            bindings::zs_obj_write(
                self.pool.as_ptr(),
                raw.get(),
                data.as_ptr().cast_mut().cast(),
                data.len(),
            )
        };
        // INVARIANT: `raw` is a live handle of this pool of `data.len()` bytes, which is at
        // most `PAGE_SIZE` and so fits in 16 bits.
        Ok(Handle {
            raw,
            len: data.len() as u16,
        })
    }

    /// Frees the object `handle`.
    ///
    /// # Safety
    ///
    /// `handle` must have been created by this pool's [`ZsPool::store`].
    pub(crate) unsafe fn free(&self, handle: Handle) {
        // SAFETY: By the type invariants `handle.raw` is a live object of the pool that
        // created it, which is this one by the safety requirements; `handle` is consumed, so
        // it cannot be used again.
        unsafe { bindings::zs_free(self.pool.as_ptr(), handle.raw()) };
    }

    /// Calls `f` with the bytes of the object `handle`. `scratch` (at least a page) is used
    /// when the object spans two pages. `f` runs in atomic context and must not sleep.
    ///
    /// # Safety
    ///
    /// `handle` must have been created by this pool's [`ZsPool::store`].
    pub(crate) unsafe fn read<R>(
        &self,
        handle: &Handle,
        scratch: &mut [u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        if scratch.len() < handle.len() {
            return Err(EINVAL);
        }
        let len = handle.len();
        // SAFETY: `handle.raw` is a live object of `len` bytes of its pool, this one by the
        // safety requirements, and `scratch` has room for `len` bytes in case zsmalloc must
        // copy.
        let mem = unsafe {
            bindings::zs_obj_read_begin(
                self.pool.as_ptr(),
                handle.raw(),
                len,
                scratch.as_mut_ptr().cast(),
            )
        };
        // SAFETY: zs_obj_read_begin() returns a mapping of the object's `len`
        // bytes that stays valid until zs_obj_read_end().
        let bytes = unsafe { core::slice::from_raw_parts(mem.cast::<u8>(), len) };
        let ret = f(bytes);
        // SAFETY: Ends the read started above with the same arguments.
        unsafe { bindings::zs_obj_read_end(self.pool.as_ptr(), handle.raw(), len, mem) };
        Ok(ret)
    }

    /// Returns the number of pages the pool uses.
    pub(crate) fn total_pages(&self) -> u64 {
        // SAFETY: By the type invariant `self.pool` is a live pool.
        unsafe { bindings::zs_get_total_pages(self.pool.as_ptr()) as u64 }
    }

    /// Compacts the pool: moves objects so that whole zspages can be freed.
    pub(crate) fn compact(&self) {
        // SAFETY: By the type invariant `self.pool` is a live pool; zsmalloc
        // serialises compaction against the pool's other users itself.
        unsafe { bindings::zs_compact(self.pool.as_ptr()) };
    }

    /// Returns the number of pages compaction (by [`ZsPool::compact`] or the pool's shrinker)
    /// has freed.
    pub(crate) fn pages_compacted(&self) -> u64 {
        let mut stats = bindings::zs_pool_stats::default();
        // SAFETY: By the type invariant `self.pool` is a live pool; `stats` is
        // valid for writes.
        unsafe { bindings::zs_pool_stats(self.pool.as_ptr(), &mut stats) };
        stats.pages_compacted.counter as u64
    }

    /// Returns the number of the size class zsmalloc keeps objects of `len` bytes in; a
    /// smaller object only saves memory if its class is lower.
    pub(crate) fn class_index(&self, len: usize) -> u32 {
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        // SAFETY: By the type invariant `self.pool` is a live pool.
        unsafe { bindings::zs_lookup_class_index(self.pool.as_ptr(), len) }
    }

    /// Returns the size from which zsmalloc keeps an object in a class of its own; objects
    /// that compress to this size or more are better stored uncompressed.
    pub(crate) fn huge_class_size(&self) -> usize {
        // SAFETY: By the type invariant `self.pool` is a live pool.
        unsafe { bindings::zs_huge_class_size(self.pool.as_ptr()) }
    }
}

impl Drop for ZsPool {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the pool; it is not used after
        // this. zsmalloc does not free the pages of objects still allocated, so
        // the owner frees every object first (see `Meta::drop`).
        unsafe { bindings::zs_destroy_pool(self.pool.as_ptr()) };
    }
}
