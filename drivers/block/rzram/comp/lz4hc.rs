// SPDX-License-Identifier: GPL-2.0

//! The LZ4HC backend: LZ4's high-compression mode from the kernel's lib/lz4. It writes the
//! LZ4 format, so pages decompress as fast as LZ4's, but compressing is several times slower.
//!
//! C header: [`include/linux/lz4.h`](srctree/include/linux/lz4.h)

use super::lz4;
use kernel::{bindings, prelude::*};

/// An LZ4HC compressor with its working memory.
///
/// # Invariants
///
/// `wrkmem` holds at least `LZ4HC_MEM_COMPRESS` bytes.
pub(crate) struct Lz4Hc {
    wrkmem: KVVec<u8>,
    /// The compression level, 1 to 16 (checked by [`super::Algorithm::check`]).
    level: i32,
}

impl Lz4Hc {
    /// Allocates the working memory; `level` defaults to LZ4HC's default, 9.
    pub(crate) fn new(level: Option<i32>) -> Result<Self> {
        let wrkmem = KVVec::from_elem(0u8, bindings::LZ4HC_MEM_COMPRESS as usize, GFP_KERNEL)?;
        let level = level.unwrap_or(bindings::LZ4HC_DEFAULT_CLEVEL as i32);
        // INVARIANT: Allocated with `LZ4HC_MEM_COMPRESS` bytes.
        Ok(Self { wrkmem, level })
    }

    /// See [`super::Compressor::compress`].
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let src_len = i32::try_from(src.len())?;
        let dst_len = i32::try_from(dst.len())?;
        // SAFETY: `src` and `dst` are valid for their lengths and do not overlap;
        // LZ4_compress_HC() never writes beyond `dst_len`; `wrkmem` has the size it needs
        // (type invariant) and is exclusively ours while `&mut self` is held.
        let ret = unsafe {
            bindings::LZ4_compress_HC(
                src.as_ptr().cast(),
                dst.as_mut_ptr().cast(),
                src_len,
                dst_len,
                self.level,
                self.wrkmem.as_mut_ptr().cast(),
            )
        };
        // 0 means the output did not fit.
        usize::try_from(ret).ok().filter(|&n| n > 0).ok_or(E2BIG)
    }

    /// See [`super::Compressor::decompress`]: the LZ4 format.
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        lz4::decompress(src, dst)
    }
}
