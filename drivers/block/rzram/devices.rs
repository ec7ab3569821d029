// SPDX-License-Identifier: GPL-2.0

//! The registry of rzram disks: creation at load and by `hot_add`, removal by `hot_remove` and
//! at unload.
//!
//! Ids are handed out lowest first and reused once their device is removed, as zram's are.
//!
//! # Locks
//!
//! `Devices::disks` serialises adding and removing disks. It is taken before a device's
//! `control` lock and the disk's `open_mutex` (through [`Device::prepare_removal`]), and held
//! while a removed disk is deleted, so an id is only reused once the old disk is gone from
//! sysfs. Neither the I/O path nor the disk's own attributes take it.
//!
//! [`Device::prepare_removal`]: crate::device::Device::prepare_removal

use crate::{
    backing::Claims,
    device::Device,
    names::DiskName,
    stream::{self, StreamState},
    sysfs::ATTRIBUTES,
    Rzram,
};
use kernel::{
    block::mq::{
        gen_disk::{Feature, GenDisk, GenDiskBuilder},
        TagSet, TagSetFlag,
    },
    cpu::nr_cpu_ids,
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    sync::{Arc, Mutex},
};

/// Requests in flight per hardware queue.
const QUEUE_DEPTH: u32 = 128;

/// The rzram disks, indexed by id; `None` for a free id.
#[pin_data]
pub(crate) struct Devices {
    #[pin]
    disks: Mutex<KVec<Option<GenDisk<Rzram>>>>,
    /// The regular files attached as backing stores, shared by every device.
    claims: Arc<Claims>,
    /// The CPU hotplug state of every device's streams.
    streams: Arc<StreamState>,
}

impl Devices {
    /// Creates an empty registry.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            disks <- new_mutex!(KVec::new(), "rzram_devices"),
            claims: Arc::pin_init(Claims::new(), GFP_KERNEL)?,
            streams: stream::new_state()?,
        })
    }

    /// Creates a device with the lowest free id and returns the id.
    pub(crate) fn add(&self) -> Result<u32> {
        let mut disks = self.disks.lock();
        let index = disks
            .iter()
            .position(Option::is_none)
            .unwrap_or(disks.len());
        let id = u32::try_from(index).map_err(|_| ENOSPC)?;
        if index == disks.len() {
            disks.push(None, GFP_KERNEL)?;
        }
        match create_disk(id, self.claims.clone(), self.streams.clone()) {
            Ok(disk) => {
                disks[index] = Some(disk);
                Ok(id)
            }
            Err(e) => {
                if disks.last().is_some_and(Option::is_none) {
                    disks.pop();
                }
                pr_err!("{}: cannot create the device: {:?}\n", DiskName(id), e);
                Err(e)
            }
        }
    }

    /// Removes device `id`, resetting it first: `ENODEV` if there is none, `EBUSY` while it
    /// is open.
    pub(crate) fn remove(&self, id: u32) -> Result {
        let mut disks = self.disks.lock();
        let slot = usize::try_from(id)
            .ok()
            .and_then(|index| disks.get_mut(index))
            .ok_or(ENODEV)?;
        let disk = slot.as_ref().ok_or(ENODEV)?;
        disk.disk().queue_data().prepare_removal(disk.disk())?;
        // Deleted under the lock: the id is free only once its disk is gone.
        drop(slot.take());
        while disks.last().is_some_and(Option::is_none) {
            disks.pop();
        }
        Ok(())
    }
}

/// Creates and adds disk `rzram<id>` (`zram<id>` with `zram_names`), uninitialised
/// (capacity 0).
fn create_disk(id: u32, claims: Arc<Claims>, streams: Arc<StreamState>) -> Result<GenDisk<Rzram>> {
    let tagset = Arc::pin_init(
        TagSet::new_with_flags(nr_cpu_ids(), QUEUE_DEPTH, 1, TagSetFlag::Blocking.into()),
        GFP_KERNEL,
    )?;
    let device = Arc::pin_init(Device::new(id, claims, streams), GFP_KERNEL)?;
    let page = PAGE_SIZE as u32;
    GenDiskBuilder::new()
        .logical_block_size(page)?
        .physical_block_size(page)?
        .io_opt(page)
        // `SYNCHRONOUS` like zram: swap then writes one page at a time and frees it before
        // the next, which keeps compressed swap from running the memory reserves dry; without
        // it, batched swap writes failed with ENOMEM under pressure.
        .features(Feature::Synchronous | Feature::StableWrites)
        .discard(u32::MAX, page)
        .max_write_zeroes_sectors(u32::MAX)
        // As zram: a partition would outlive a reset that shrinks the device.
        .no_partitions()
        .build_with_attributes(fmt!("{}", DiskName(id)), tagset, device, &ATTRIBUTES)
}
