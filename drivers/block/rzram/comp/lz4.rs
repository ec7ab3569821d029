// SPDX-License-Identifier: GPL-2.0

//! The LZ4 backend: a thin wrapper over the kernel's lib/lz4.
//!
//! C header: [`include/linux/lz4.h`](srctree/include/linux/lz4.h)

use kernel::{bindings, prelude::*};

/// An LZ4 compressor with its working memory.
///
/// # Invariants
///
/// `wrkmem` holds at least `LZ4_MEM_COMPRESS` bytes.
pub(crate) struct Lz4 {
    wrkmem: KVVec<u8>,
    /// LZ4's acceleration: higher is faster and compresses less.
    acceleration: i32,
}

impl Lz4 {
    /// Allocates the working memory. `level` is LZ4's acceleration (zram's meaning of the
    /// level for LZ4), 1 by default; higher is faster and compresses less.
    pub(crate) fn new(level: Option<i32>) -> Result<Self> {
        let wrkmem = KVVec::from_elem(0u8, bindings::LZ4_MEM_COMPRESS, GFP_KERNEL)?;
        let acceleration = level.unwrap_or(bindings::LZ4_ACCELERATION_DEFAULT as i32);
        // INVARIANT: Allocated with `LZ4_MEM_COMPRESS` bytes.
        Ok(Self {
            wrkmem,
            acceleration,
        })
    }

    /// See [`super::Compressor::compress`].
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let src_len = i32::try_from(src.len())?;
        let dst_len = i32::try_from(dst.len())?;
        // SAFETY: `src` and `dst` are valid for their lengths and do not
        // overlap; `wrkmem` has the size lz4 needs (type invariant) and is
        // exclusively ours while `&mut self` is held.
        let ret = unsafe {
            bindings::LZ4_compress_fast(
                src.as_ptr().cast(),
                dst.as_mut_ptr().cast(),
                src_len,
                dst_len,
                self.acceleration,
                self.wrkmem.as_mut_ptr().cast(),
            )
        };
        // 0 means the output did not fit.
        usize::try_from(ret).ok().filter(|&n| n > 0).ok_or(E2BIG)
    }

    /// See [`super::Compressor::decompress`].
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        decompress(src, dst)
    }
}

/// Decompresses LZ4 data (from LZ4 or LZ4HC) in `src` into `dst`, which it must fill exactly;
/// anything else is `EIO`.
pub(crate) fn decompress(src: &[u8], dst: &mut [u8]) -> Result {
    let src_len = i32::try_from(src.len())?;
    let dst_len = i32::try_from(dst.len())?;
    // SAFETY: `src` and `dst` are valid for their lengths and do not overlap;
    // LZ4_decompress_safe() never reads or writes outside them, whatever `src` holds.
    let ret = unsafe {
        bindings::LZ4_decompress_safe(
            src.as_ptr().cast(),
            dst.as_mut_ptr().cast(),
            src_len,
            dst_len,
        )
    };
    if ret == dst_len {
        Ok(())
    } else {
        Err(EIO)
    }
}
