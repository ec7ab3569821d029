// SPDX-License-Identifier: GPL-2.0

//! The LZO backends, `lzo` and `lzo-rle`: a thin wrapper over the kernel's lib/lzo.
//!
//! `lzo-rle` is LZO with run-length encoding of zero runs; it compresses faster than plain
//! LZO on typical anonymous memory and decompresses with the same function.
//!
//! C header: [`include/linux/lzo.h`](srctree/include/linux/lzo.h)

use kernel::{bindings, prelude::*};

/// The largest output LZO may write for `len` bytes of input (`lzo1x_worst_compress()`).
const fn worst_compress(len: usize) -> usize {
    len + len / 16 + 64 + 3 + 2
}

/// An LZO compressor with its working memory.
///
/// # Invariants
///
/// `wrkmem` holds at least `LZO1X_MEM_COMPRESS` bytes.
pub(crate) struct Lzo {
    wrkmem: KVVec<u8>,
    /// `lzo-rle` rather than `lzo`.
    rle: bool,
}

impl Lzo {
    /// Allocates the working memory; `rle` selects `lzo-rle`.
    pub(crate) fn new(rle: bool) -> Result<Self> {
        let wrkmem = KVVec::from_elem(0u8, bindings::LZO1X_MEM_COMPRESS, GFP_KERNEL)?;
        // INVARIANT: Allocated with `LZO1X_MEM_COMPRESS` bytes.
        Ok(Self { wrkmem, rle })
    }

    /// See [`super::Compressor::compress`].
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        // lzo1x_1_compress() does not know the size of `dst`: it may write up to the worst
        // case, so only call it when that fits.
        if dst.len() < worst_compress(src.len()) {
            return Err(E2BIG);
        }
        let mut dst_len = dst.len();
        let compress = if self.rle {
            bindings::lzorle1x_1_compress
        } else {
            bindings::lzo1x_1_compress
        };
        // SAFETY: `src` is valid for reads of its length and `dst` for writes of the worst
        // case output (checked above); they do not overlap; `wrkmem` has the size lzo needs
        // (type invariant) and is exclusively ours while `&mut self` is held.
        let ret = unsafe {
            compress(
                src.as_ptr(),
                src.len(),
                dst.as_mut_ptr(),
                &mut dst_len,
                self.wrkmem.as_mut_ptr().cast(),
            )
        };
        if ret == bindings::LZO_E_OK as i32 && dst_len <= dst.len() {
            Ok(dst_len)
        } else {
            Err(E2BIG)
        }
    }

    /// See [`super::Compressor::decompress`].
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        let mut dst_len = dst.len();
        // SAFETY: `src` and `dst` are valid for their lengths and do not overlap;
        // lzo1x_decompress_safe() checks every read and write against them, whatever `src`
        // holds.
        let ret = unsafe {
            bindings::lzo1x_decompress_safe(src.as_ptr(), src.len(), dst.as_mut_ptr(), &mut dst_len)
        };
        if ret == bindings::LZO_E_OK as i32 && dst_len == dst.len() {
            Ok(())
        } else {
            Err(EIO)
        }
    }
}
