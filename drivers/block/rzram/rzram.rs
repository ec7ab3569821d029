// SPDX-License-Identifier: GPL-2.0

//! rzram: a compressed RAM block device.
//!
//! Each `/dev/rzram<N>` keeps the pages written to it compressed in memory (LZ4 into a
//! zsmalloc pool), which makes it a fast swap device or a RAM disk that uses a fraction of the
//! memory it holds. Devices are configured through `/sys/block/rzram<N>/`, like zram's; see
//! Documentation/admin-guide/blockdev/rzram.rst.
//!
//! This file holds the module, its parameters and the blk-mq operations; the request path is
//! in `io.rs`, a device's lifecycle and locks in `device.rs`.

mod comp;
mod device;
mod gate;
mod io;
mod meta;
mod parse;
mod slot;
mod stats;
mod stream;
mod sysfs;
mod zspool;

#[cfg(CONFIG_KUNIT)]
#[path = "../../../tests/kunit/mod.rs"]
mod kunit;

use device::Device;
use kernel::{
    block::mq::{
        self,
        gen_disk::{Features, GenDisk, GenDiskBuilder},
        Operations, TagSet, TagSetFlags,
    },
    cpu::nr_cpu_ids,
    page::PAGE_SIZE,
    prelude::*,
    sync::{aref::ARef, Arc, ArcBorrow},
};

module! {
    type: RzramModule,
    name: "rzram",
    authors: ["rzram developers"],
    description: "Compressed RAM block device",
    license: "GPL",
    params: {
        num_devices: u32 {
            default: 1,
            description: "Number of rzram devices to create (1 to 256)",
        },
    },
}

/// The most devices `num_devices` may ask for.
const MAX_DEVICES: u32 = 256;

/// Requests in flight per hardware queue.
const QUEUE_DEPTH: u32 = 128;

/// The module: owns the disks; dropping it deletes them.
struct RzramModule {
    _disks: KVec<GenDisk<Rzram>>,
}

impl kernel::Module for RzramModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let n = module_parameters::num_devices.value();
        if n == 0 || n > MAX_DEVICES {
            pr_err!(
                "num_devices must be between 1 and {}, not {}\n",
                MAX_DEVICES,
                n
            );
            return Err(EINVAL);
        }
        let mut disks = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for id in 0..n {
            disks.push(create_disk(id)?, GFP_KERNEL)?;
        }
        pr_info!("created {} device(s)\n", n);
        Ok(Self { _disks: disks })
    }
}

/// Creates and adds disk `rzram<id>`, uninitialised (capacity 0).
fn create_disk(id: u32) -> Result<GenDisk<Rzram>> {
    let tagset = Arc::pin_init(
        TagSet::new_with_flags(nr_cpu_ids(), QUEUE_DEPTH, 1, TagSetFlags::BLOCKING),
        GFP_KERNEL,
    )?;
    let device = Arc::pin_init(Device::new(id), GFP_KERNEL)?;
    let page = PAGE_SIZE as u32;
    GenDiskBuilder::new()
        .logical_block_size(page)?
        .physical_block_size(page)?
        .io_opt(page)
        // `SYNCHRONOUS` like zram: swap then writes one page at a time and frees it before
        // the next, which keeps compressed swap from running the memory reserves dry; without
        // it, batched swap writes failed with ENOMEM under pressure.
        .features(Features::SYNCHRONOUS | Features::STABLE_WRITES)
        .discard(u32::MAX, page)
        .max_write_zeroes_sectors(u32::MAX)
        .build_with_attributes(fmt!("rzram{id}"), tagset, device, &sysfs::ATTRIBUTES)
}

/// The blk-mq operations of rzram disks.
pub(crate) struct Rzram;

#[vtable]
impl Operations for Rzram {
    type QueueData = Arc<Device>;

    // An open disk pins the module, so `rmmod` is refused while a device is in use.
    const OWNER: Option<&'static ThisModule> =
        Some(&<RzramModule as kernel::ModuleMetadata>::THIS_MODULE);

    fn queue_rq(
        device: ArcBorrow<'_, Device>,
        rq: ARef<mq::Request<Self>>,
        _is_last: bool,
    ) -> Result {
        let status = match device.meta() {
            Some(meta) => io::execute(&meta, &rq),
            // Not initialised, or being reset.
            None => Err(EIO),
        };
        // We hold the only reference to the request, so ending it cannot fail.
        mq::Request::end(rq, status).map_err(|_| EIO)
    }

    fn commit_rqs(_device: ArcBorrow<'_, Device>) {}

    fn open(device: ArcBorrow<'_, Device>) -> Result {
        device.may_open()
    }

    fn swap_slot_free_notify(device: ArcBorrow<'_, Device>, index: u64) {
        if let Some(meta) = device.meta() {
            io::free_swap_slot(&meta, index);
        }
    }

    fn complete(rq: ARef<mq::Request<Self>>) {
        // Requests are ended in `queue_rq`; nothing completes through here.
        let _ = mq::Request::end_ok(rq);
    }
}
