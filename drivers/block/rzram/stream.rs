// SPDX-License-Identifier: GPL-2.0

//! Per-CPU compression streams.
//!
//! A stream is a compressor with its working memory and two buffers: `page`, one page that a
//! request's data is gathered into before compression (or decompressed into before it is
//! scattered back), and `buf`, two pages for the compressor's output. There is one stream per
//! possible CPU; a request uses the stream of the CPU it runs on, under that stream's mutex, so
//! streams are contended only when a task is preempted or migrates while it holds one.

use crate::comp::{Algorithm, Compressor, Params};
use kernel::{
    cpu::{nr_cpu_ids, CpuId},
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    sync::{Mutex, MutexGuard},
};

/// One compression stream.
///
/// # Invariants
///
/// `buf` holds two pages and `page` one.
pub(crate) struct Stream {
    /// The compressor.
    pub(crate) comp: Compressor,
    /// Compressed output, or the raw bytes read back from the pool (two pages).
    pub(crate) buf: KVVec<u8>,
    /// One page of uncompressed data.
    pub(crate) page: KVVec<u8>,
}

impl Stream {
    fn new(algorithm: Algorithm, params: &Params) -> Result<Self> {
        Ok(Self {
            comp: Compressor::new(algorithm, params)?,
            buf: KVVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL)?,
            page: KVVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?,
        })
    }
}

/// The streams of one device, one per possible CPU.
///
/// # Invariants
///
/// There is at least one stream.
pub(crate) struct Streams {
    streams: KVec<Pin<KBox<Mutex<Stream>>>>,
}

impl Streams {
    /// Allocates one stream per possible CPU for `algorithm` tuned by `params`.
    pub(crate) fn new(algorithm: Algorithm, params: &Params) -> Result<Self> {
        let n = nr_cpu_ids() as usize;
        let mut streams = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            let stream = KBox::pin_init(
                new_mutex!(Stream::new(algorithm, params)?, "rzram_stream"),
                GFP_KERNEL,
            )?;
            streams.push(stream, GFP_KERNEL)?;
        }
        Ok(Self { streams })
    }

    /// Locks and returns the stream of the current CPU.
    pub(crate) fn get(&self) -> MutexGuard<'_, Stream> {
        // A stale CPU number after a migration only costs contention.
        let cpu = CpuId::current().as_u32() as usize % self.streams.len().max(1);
        self.streams[cpu].lock()
    }
}
