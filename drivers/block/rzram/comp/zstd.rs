// SPDX-License-Identifier: GPL-2.0

//! The zstd backend: a thin wrapper over the kernel's lib/zstd, at zstd's default level with
//! parameters tuned for one page of input, as zram uses it.
//!
//! C header: [`include/linux/zstd.h`](srctree/include/linux/zstd.h)

use kernel::{bindings, page::PAGE_SIZE, prelude::*};

/// A zstd compression and decompression context with their working memory.
///
/// # Invariants
///
/// `cctx` and `dctx` are contexts that zstd initialised in `_cctx_mem` and `_dctx_mem`, which
/// they live in and which are never touched otherwise; `params` are the parameters `_cctx_mem`
/// was sized for.
pub(crate) struct Zstd {
    params: bindings::zstd_parameters,
    cctx: *mut bindings::zstd_cctx,
    dctx: *mut bindings::zstd_dctx,
    /// The memory `cctx` lives in.
    _cctx_mem: KVVec<u8>,
    /// The memory `dctx` lives in.
    _dctx_mem: KVVec<u8>,
}

// SAFETY: The contexts are plain memory owned by `Zstd` (in its vectors, which moving `Zstd`
// does not move) and are only used through `&mut self`; zstd keeps no thread-local state.
unsafe impl Send for Zstd {}

// SAFETY: `&Zstd` gives access to nothing; every use of the contexts takes `&mut self`.
unsafe impl Sync for Zstd {}

impl Zstd {
    /// Checks a compression level as zram does: within zstd's range.
    pub(crate) fn check_level(level: i32) -> Result {
        // SAFETY: Pure functions.
        let (min, max) = unsafe { (bindings::zstd_min_clevel(), bindings::zstd_max_clevel()) };
        if (min..=max).contains(&level) {
            Ok(())
        } else {
            pr_err!("zstd: invalid compression level {}\n", level);
            Err(EINVAL)
        }
    }

    /// Allocates and initialises the contexts for `level` (default: zstd's default level),
    /// which [`super::Compressor::new`] has checked with [`Self::check_level`].
    pub(crate) fn new(level: Option<i32>) -> Result<Self> {
        // SAFETY: Pure function.
        let level = level.unwrap_or_else(|| unsafe { bindings::zstd_default_clevel() });
        // SAFETY: Pure function of its arguments.
        let params = unsafe { bindings::zstd_get_params(level, PAGE_SIZE as u64) };
        // SAFETY: `params.cParams` is a valid parameter set returned by zstd.
        let cctx_size = unsafe { bindings::zstd_cctx_workspace_bound(&params.cParams) };
        // SAFETY: Pure function.
        let dctx_size = unsafe { bindings::zstd_dctx_workspace_bound() };
        let mut cctx_mem = KVVec::from_elem(0u8, cctx_size, GFP_KERNEL)?;
        let mut dctx_mem = KVVec::from_elem(0u8, dctx_size, GFP_KERNEL)?;
        // SAFETY: `cctx_mem` is valid for writes of `cctx_size` bytes and stays allocated,
        // unmoved, for as long as the context is used (it is owned by the returned value).
        let cctx = unsafe { bindings::zstd_init_cctx(cctx_mem.as_mut_ptr().cast(), cctx_size) };
        // SAFETY: As above, for `dctx_mem`.
        let dctx = unsafe { bindings::zstd_init_dctx(dctx_mem.as_mut_ptr().cast(), dctx_size) };
        if cctx.is_null() || dctx.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: Both contexts were initialised in their memory, for `params`.
        Ok(Self {
            params,
            cctx,
            dctx,
            _cctx_mem: cctx_mem,
            _dctx_mem: dctx_mem,
        })
    }

    /// See [`super::Compressor::compress`].
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        // SAFETY: `cctx` is a live context (type invariant), exclusively ours while `&mut
        // self` is held; `src` and `dst` are valid for their lengths and do not overlap, and
        // zstd never writes beyond `dst.len()`.
        let ret = unsafe {
            bindings::zstd_compress_cctx(
                self.cctx,
                dst.as_mut_ptr().cast(),
                dst.len(),
                src.as_ptr().cast(),
                src.len(),
                &self.params,
            )
        };
        // SAFETY: Pure function of `ret`.
        if unsafe { bindings::zstd_is_error(ret) } != 0 {
            // With the parameters fixed at creation, the output not fitting is the only error
            // left; the caller then stores the page as it is.
            return Err(E2BIG);
        }
        Ok(ret)
    }

    /// See [`super::Compressor::decompress`].
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        // SAFETY: `dctx` is a live context (type invariant), exclusively ours while `&mut
        // self` is held; `src` and `dst` are valid for their lengths and do not overlap, and
        // zstd checks every read and write against them, whatever `src` holds.
        let ret = unsafe {
            bindings::zstd_decompress_dctx(
                self.dctx,
                dst.as_mut_ptr().cast(),
                dst.len(),
                src.as_ptr().cast(),
                src.len(),
            )
        };
        // SAFETY: Pure function of `ret`.
        if unsafe { bindings::zstd_is_error(ret) } == 0 && ret == dst.len() {
            Ok(())
        } else {
            Err(EIO)
        }
    }
}
