// SPDX-License-Identifier: GPL-2.0

//! Per-CPU compression streams.
//!
//! A stream is a compressor with its working memory and two buffers: `page`, one page that a
//! request's data is gathered into before compression when it is split across segments, or
//! decompressed into before it is scattered back (the request's page is used directly when
//! it lies in one segment; see io.rs), and that holds a page that does not compress on its
//! way to the pool; and `buf`, two pages for the compressor's output. There is one stream per
//! online CPU, as in zram: each device algorithm's streams are an instance of the module's
//! CPU hotplug state ([`StreamState`]), which allocates a CPU's stream before the CPU comes up
//! and frees it once the CPU is down. A request uses the stream of the CPU it runs on, under
//! that stream's mutex, so streams are contended only when a task is preempted or migrates
//! while it holds one.

use crate::comp::{Algorithm, Compressor, Params};
use core::ops::{Deref, DerefMut};
use kernel::{
    cpu::{
        hotplug::{Callbacks, Instance, PrepareState},
        nr_cpu_ids, CpuId,
    },
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    sync::{Arc, Mutex, MutexGuard},
};

/// The module's CPU hotplug state, whose instances are the streams of one algorithm of one
/// device. One state serves every device: the kernel has only about twenty.
pub(crate) type StreamState = PrepareState<Slots>;

/// Registers the module's CPU hotplug state for streams.
pub(crate) fn new_state() -> Result<Arc<StreamState>> {
    StreamState::new(c"block/rzram:prepare")
}

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
            buf: KVVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN)?,
            page: KVVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN)?,
        })
    }
}

/// The stream slots of one algorithm of a device: one per possible CPU, holding a stream
/// while the CPU is online (or being brought up).
pub(crate) struct Slots {
    algorithm: Algorithm,
    params: Params,
    slots: KVec<Pin<KBox<Mutex<Option<Stream>>>>>,
}

impl Callbacks for Slots {
    fn prepare(&self, cpu: CpuId) -> Result {
        // Allocated before the slot is locked: a stream's working memory can be large.
        let stream = Stream::new(self.algorithm, &self.params)?;
        let slot = self.slots.get(cpu.as_u32() as usize).ok_or(EINVAL)?;
        let old = slot.lock().replace(stream);
        drop(old);
        Ok(())
    }

    fn dead(&self, cpu: CpuId) {
        if let Some(slot) = self.slots.get(cpu.as_u32() as usize) {
            let old = slot.lock().take();
            drop(old);
        }
    }
}

/// The streams of one algorithm of a device, one per online CPU.
pub(crate) struct Streams {
    instance: Pin<KBox<Instance<Slots>>>,
}

impl Streams {
    /// Creates the streams of `algorithm` tuned by `params`, as an instance of `state`: a
    /// stream for each online CPU now, and for each CPU that comes up later.
    pub(crate) fn new(
        state: &Arc<StreamState>,
        algorithm: Algorithm,
        params: &Params,
    ) -> Result<Self> {
        let n = nr_cpu_ids() as usize;
        let mut slots = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            slots.push(
                KBox::pin_init(new_mutex!(None, "rzram_stream"), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
        }
        let slots = Slots {
            algorithm,
            params: *params,
            slots,
        };
        let instance = KBox::pin_init(
            Instance::new(state.clone(), Ok::<_, Error>(slots)),
            GFP_KERNEL,
        )?;
        Ok(Self { instance })
    }

    /// Locks and returns the stream of the current CPU.
    pub(crate) fn get(&self) -> StreamGuard<'_> {
        let slots = &self.instance.data().slots;
        loop {
            // The CPU we run on is online, so its slot holds a stream. If we migrate after
            // reading its number, we use another CPU's stream (only contention), unless that
            // CPU has gone down meanwhile: then its slot is empty and we look again.
            let cpu = CpuId::current().as_u32() as usize;
            if let Some(guard) = slots.get(cpu).map(|slot| slot.lock()) {
                if guard.is_some() {
                    // INVARIANT: The slot holds a stream.
                    return StreamGuard(guard);
                }
            }
            kernel::task::cond_resched();
        }
    }
}

/// A locked stream.
///
/// # Invariants
///
/// The slot holds a stream; it stays so while the guard holds the slot's mutex, since only
/// [`Callbacks::dead`] empties it, under that mutex.
pub(crate) struct StreamGuard<'a>(MutexGuard<'a, Option<Stream>>);

impl Deref for StreamGuard<'_> {
    type Target = Stream;

    fn deref(&self) -> &Stream {
        // PANIC: The slot holds a stream (type invariant).
        self.0
            .as_ref()
            .expect("a locked stream slot holds a stream")
    }
}

impl DerefMut for StreamGuard<'_> {
    fn deref_mut(&mut self) -> &mut Stream {
        // PANIC: As in `deref`.
        Option::as_mut(&mut self.0).expect("a locked stream slot holds a stream")
    }
}
