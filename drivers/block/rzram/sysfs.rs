// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes of an rzram disk (`/sys/block/rzram<id>/`).
//!
//! Names, permissions, formats and error codes follow zram's; see
//! Documentation/ABI/testing/sysfs-block-rzram.

use crate::{
    comp::Algorithm,
    parse,
    stats::{write_debug_stat, IoStat, MmStat},
    Rzram,
};
use core::fmt::Write;
use kernel::{
    block::mq::{gen_disk::DiskRef, AttributeOperations},
    prelude::*,
    sysfs::ShowBuffer,
};

const DISKSIZE: u32 = 0;
const INITSTATE: u32 = 1;
const RESET: u32 = 2;
const COMP_ALGORITHM: u32 = 3;
const MM_STAT: u32 = 4;
const IO_STAT: u32 = 5;
const MEM_LIMIT: u32 = 6;
const MEM_USED_MAX: u32 = 7;
const COMPACT: u32 = 8;
const DEBUG_STAT: u32 = 9;

kernel::disk_attributes! {
    pub(crate) static ATTRIBUTES: Rzram = [
        (c"disksize", 0o644, DISKSIZE),
        (c"initstate", 0o444, INITSTATE),
        (c"reset", 0o200, RESET),
        (c"comp_algorithm", 0o644, COMP_ALGORITHM),
        (c"mm_stat", 0o444, MM_STAT),
        (c"io_stat", 0o444, IO_STAT),
        (c"mem_limit", 0o200, MEM_LIMIT),
        (c"mem_used_max", 0o200, MEM_USED_MAX),
        (c"compact", 0o200, COMPACT),
        (c"debug_stat", 0o444, DEBUG_STAT),
    ];
}

/// Writes the `comp_algorithm` list: every algorithm, the selected one in brackets, each
/// followed by a space as in zram's (so the line ends in a space before the newline).
pub(crate) fn write_algorithms(w: &mut impl Write, selected: Algorithm) -> core::fmt::Result {
    for algorithm in Algorithm::ALL {
        if *algorithm == selected {
            write!(w, "[{}] ", algorithm.name())?;
        } else {
            write!(w, "{} ", algorithm.name())?;
        }
    }
    writeln!(w)
}

impl AttributeOperations for Rzram {
    fn show(disk: &DiskRef<Self>, id: u32, buf: &mut ShowBuffer<'_>) -> Result {
        let device = disk.queue_data();
        let meta = device.meta();
        match id {
            DISKSIZE => writeln!(buf, "{}", meta.as_ref().map_or(0, |m| m.disksize()))?,
            INITSTATE => writeln!(buf, "{}", u32::from(meta.is_some()))?,
            COMP_ALGORITHM => {
                // Once initialised, the algorithm in use; before, the one configured.
                let selected = meta
                    .as_ref()
                    .map_or_else(|| device.algorithm(), |m| m.algorithm);
                write_algorithms(buf, selected)?
            }
            MM_STAT => meta
                .as_ref()
                .map_or_else(
                    // The limit can be set before `disksize`; zram shows it then too.
                    || MmStat {
                        mem_limit: device.mem_limit(),
                        ..MmStat::default()
                    },
                    |m| m.mm_stat(),
                )
                .write_to(buf)?,
            IO_STAT => meta
                .as_ref()
                .map_or_else(IoStat::default, |m| m.io_stat())
                .write_to(buf)?,
            DEBUG_STAT => {
                write_debug_stat(buf, meta.as_ref().map_or(0, |m| m.stats.miss_free.get()))?
            }
            _ => return Err(EIO),
        }
        Ok(())
    }

    fn store(disk: &DiskRef<Self>, id: u32, input: &[u8]) -> Result {
        let device = disk.queue_data();
        match id {
            DISKSIZE => device.init(disk, parse::parse_size(input)?),
            RESET => {
                if parse::parse_reset(input)? == 0 {
                    return Err(EINVAL);
                }
                device.reset(disk)
            }
            COMP_ALGORITHM => {
                let algorithm = Algorithm::from_name(parse::trim(input)).ok_or(EINVAL)?;
                device.set_algorithm(algorithm)
            }
            MEM_LIMIT => {
                device.set_mem_limit(parse::parse_size(input)?);
                Ok(())
            }
            MEM_USED_MAX => {
                parse::parse_zero(input)?;
                if let Some(meta) = device.meta() {
                    meta.reset_mem_used_max();
                }
                Ok(())
            }
            COMPACT => {
                // zram ignores what is written.
                device.meta().ok_or(EINVAL)?.pool.compact();
                Ok(())
            }
            _ => Err(EIO),
        }
    }
}
