// SPDX-License-Identifier: GPL-2.0

//! The 842 backend: the kernel's software 842 implementation (lib/842), the format of IBM
//! POWER's compression hardware.
//!
//! C header: [`include/linux/sw842.h`](srctree/include/linux/sw842.h)

use kernel::{bindings, prelude::*};

/// An 842 compressor with its working memory.
///
/// # Invariants
///
/// `wrkmem` holds at least `SW842_MEM_COMPRESS` bytes.
pub(crate) struct Sw842 {
    wrkmem: KVVec<u8>,
}

impl Sw842 {
    /// Allocates the working memory.
    pub(crate) fn new() -> Result<Self> {
        let wrkmem = KVVec::from_elem(0u8, bindings::SW842_MEM_COMPRESS as usize, GFP_KERNEL)?;
        // INVARIANT: Allocated with `SW842_MEM_COMPRESS` bytes.
        Ok(Self { wrkmem })
    }

    /// See [`super::Compressor::compress`].
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let mut dst_len = u32::try_from(dst.len())?;
        // SAFETY: `src` and `dst` are valid for their lengths and do not overlap;
        // sw842_compress() never writes beyond `dst_len`; `wrkmem` has the size it needs
        // (type invariant) and is exclusively ours while `&mut self` is held.
        let ret = unsafe {
            bindings::sw842_compress(
                src.as_ptr(),
                u32::try_from(src.len())?,
                dst.as_mut_ptr(),
                &mut dst_len,
                self.wrkmem.as_mut_ptr().cast(),
            )
        };
        if ret == 0 {
            Ok(dst_len as usize)
        } else {
            // -ENOSPC: the output did not fit.
            Err(E2BIG)
        }
    }

    /// See [`super::Compressor::decompress`].
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        let mut dst_len = u32::try_from(dst.len())?;
        // SAFETY: `src` and `dst` are valid for their lengths and do not overlap;
        // sw842_decompress() checks every read and write against them, whatever `src` holds,
        // and verifies the data's CRC.
        let ret = unsafe {
            bindings::sw842_decompress(
                src.as_ptr(),
                u32::try_from(src.len())?,
                dst.as_mut_ptr(),
                &mut dst_len,
            )
        };
        if ret == 0 && dst_len as usize == dst.len() {
            Ok(())
        } else {
            Err(EIO)
        }
    }
}
