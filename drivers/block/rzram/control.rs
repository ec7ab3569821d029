// SPDX-License-Identifier: GPL-2.0

//! The control class, `/sys/class/rzram-control/` (`zram-control` with `zram_names=1`):
//! `hot_add` and `hot_remove`.
//!
//! Reading `hot_add` creates a device and prints its id; writing an id to `hot_remove`
//! resets and removes that device. Both behave as zram's do; see
//! Documentation/ABI/testing/sysfs-class-rzram.

use crate::{devices::Devices, parse};
use core::fmt::Write;
use kernel::{class::ClassOperations, prelude::*, sysfs::ShowBuffer};

const HOT_ADD: u32 = 0;
const HOT_REMOVE: u32 = 1;

kernel::class_attributes! {
    pub(crate) static ATTRIBUTES: Devices = [
        // Reading creates a device, so only root may read.
        (c"hot_add", 0o400, HOT_ADD),
        (c"hot_remove", 0o200, HOT_REMOVE),
    ];
}

impl ClassOperations for Devices {
    fn show(&self, id: u32, buf: &mut ShowBuffer<'_>) -> Result {
        match id {
            HOT_ADD => {
                let id = self.add()?;
                writeln!(buf, "{id}")?;
                Ok(())
            }
            _ => Err(EIO),
        }
    }

    fn store(&self, id: u32, input: &[u8]) -> Result {
        match id {
            HOT_REMOVE => self.remove(parse::parse_device_id(input)?),
            _ => Err(EIO),
        }
    }
}
