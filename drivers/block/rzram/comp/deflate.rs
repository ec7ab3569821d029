// SPDX-License-Identifier: GPL-2.0

//! The deflate backend: deflate through the kernel's lib/zlib_deflate and lib/zlib_inflate.
//! By default it uses the parameters zram and the crypto API use: raw deflate (no zlib
//! header) at level 6 with a 2 KiB window and the largest memory level.
//!
//! C header: [`include/linux/zlib.h`](srctree/include/linux/zlib.h)

use kernel::{bindings, prelude::*};

/// The default window size, as a negative number of bits: raw deflate, no zlib header.
const DEFAULT_WINDOW_BITS: i32 = -11;

/// One zlib stream and the memory its state lives in.
///
/// # Invariants
///
/// `strm` was initialised by zlib (for deflate or inflate) with `workspace` as its workspace;
/// zlib's state points back to `strm`, which is why it is boxed and never moves.
struct Stream {
    strm: KBox<bindings::z_stream_s>,
    /// The memory zlib keeps its state in.
    workspace: KVVec<u8>,
}

impl Stream {
    /// Prepares the stream for a new buffer, `src` into `dst`.
    fn start(&mut self, src: &[u8], dst: &mut [u8]) {
        let strm = &mut *self.strm;
        strm.next_in = src.as_ptr();
        strm.avail_in = src.len();
        strm.next_out = dst.as_mut_ptr();
        strm.avail_out = dst.len();
    }
}

/// A deflate compressor and decompressor.
pub(crate) struct Deflate {
    deflate: Stream,
    inflate: Stream,
}

// SAFETY: The zlib states are plain memory owned by `Deflate` and only used through `&mut
// self`; zlib keeps no thread-local state. The raw pointers into the caller's buffers are only
// set for the duration of one call.
unsafe impl Send for Deflate {}

// SAFETY: `&Deflate` gives access to nothing; every use of the streams takes `&mut self`.
unsafe impl Sync for Deflate {}

impl Deflate {
    /// Checks a level and window size as zram does: levels -1 (zlib's default, 6) to 9,
    /// window bits 9 to 15, negative for raw deflate.
    pub(crate) fn check(level: Option<i32>, winbits: Option<i32>) -> Result {
        if let Some(level) = level {
            if !(bindings::Z_DEFAULT_COMPRESSION..=bindings::Z_BEST_COMPRESSION as i32)
                .contains(&level)
            {
                pr_err!("deflate: invalid compression level {}\n", level);
                return Err(EINVAL);
            }
        }
        if let Some(winbits) = winbits {
            if !(9..=15).contains(&winbits.unsigned_abs()) {
                pr_err!("deflate: invalid winbits {}\n", winbits);
                return Err(EINVAL);
            }
        }
        Ok(())
    }

    /// Allocates and initialises both streams for `level` and `winbits`, which
    /// [`super::Compressor::new`] has checked with [`Self::check`].
    pub(crate) fn new(level: Option<i32>, winbits: Option<i32>) -> Result<Self> {
        let level = level.unwrap_or(bindings::Z_DEFAULT_COMPRESSION);
        let winbits = winbits.unwrap_or(DEFAULT_WINDOW_BITS);
        let memlevel = bindings::MAX_MEM_LEVEL as i32;
        // SAFETY: Pure function of its arguments.
        let size = unsafe { bindings::zlib_deflate_workspacesize(winbits, memlevel) };
        let mut deflate = Stream {
            strm: KBox::new(bindings::z_stream_s::default(), GFP_KERNEL)?,
            workspace: KVVec::from_elem(0u8, usize::try_from(size)?, GFP_KERNEL)?,
        };
        deflate.strm.workspace = deflate.workspace.as_mut_ptr().cast();
        // SAFETY: `strm` is a zeroed stream whose workspace has the size zlib asked for; both
        // stay allocated, unmoved, for as long as the stream is used (owned by `Self`).
        let ret = unsafe {
            bindings::zlib_deflateInit2(
                &mut *deflate.strm,
                level,
                bindings::Z_DEFLATED as i32,
                winbits,
                memlevel,
                bindings::Z_DEFAULT_STRATEGY as i32,
            )
        };
        if ret != bindings::Z_OK as i32 {
            return Err(EINVAL);
        }
        // SAFETY: Pure function.
        let size = unsafe { bindings::zlib_inflate_workspacesize() };
        let mut inflate = Stream {
            strm: KBox::new(bindings::z_stream_s::default(), GFP_KERNEL)?,
            workspace: KVVec::from_elem(0u8, usize::try_from(size)?, GFP_KERNEL)?,
        };
        inflate.strm.workspace = inflate.workspace.as_mut_ptr().cast();
        // SAFETY: As above, for inflate.
        let ret = unsafe { bindings::zlib_inflateInit2(&mut *inflate.strm, winbits) };
        if ret != bindings::Z_OK as i32 {
            return Err(EINVAL);
        }
        // INVARIANT: Both streams were initialised in their workspaces.
        Ok(Self { deflate, inflate })
    }

    /// See [`super::Compressor::compress`].
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let strm = &mut self.deflate;
        // SAFETY: `strm` is an initialised deflate stream (type invariant).
        if unsafe { bindings::zlib_deflateReset(&mut *strm.strm) } != bindings::Z_OK as i32 {
            return Err(EINVAL);
        }
        strm.start(src, dst);
        // SAFETY: The stream's input and output point to `src` and `dst` with their lengths,
        // valid for this call; zlib never goes beyond `avail_in` and `avail_out`.
        let ret = unsafe { bindings::zlib_deflate(&mut *strm.strm, bindings::Z_FINISH as i32) };
        let len = strm.strm.total_out;
        // Clear the pointers into the caller's buffers.
        strm.start(&[], &mut []);
        if ret == bindings::Z_STREAM_END as i32 {
            Ok(len)
        } else {
            // The output filled up before the input was consumed.
            Err(E2BIG)
        }
    }

    /// See [`super::Compressor::decompress`].
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        let strm = &mut self.inflate;
        // SAFETY: `strm` is an initialised inflate stream (type invariant).
        if unsafe { bindings::zlib_inflateReset(&mut *strm.strm) } != bindings::Z_OK as i32 {
            return Err(EIO);
        }
        strm.start(src, dst);
        // SAFETY: The stream's input and output point to `src` and `dst` with their lengths,
        // valid for this call; inflate checks every read and write against them, whatever
        // `src` holds.
        let ret = unsafe { bindings::zlib_inflate(&mut *strm.strm, bindings::Z_SYNC_FLUSH as i32) };
        let len = strm.strm.total_out;
        strm.start(&[], &mut []);
        if ret == bindings::Z_STREAM_END as i32 && len == dst.len() {
            Ok(())
        } else {
            Err(EIO)
        }
    }
}

impl Drop for Deflate {
    fn drop(&mut self) {
        // SAFETY: Both streams are initialised (type invariant) and not used after this; the
        // workspaces are freed by their vectors afterwards.
        unsafe {
            bindings::zlib_deflateEnd(&mut *self.deflate.strm);
            bindings::zlib_inflateEnd(&mut *self.inflate.strm);
        }
    }
}
