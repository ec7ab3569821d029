// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes of an rzram disk (`/sys/block/rzram<id>/`).
//!
//! Names, permissions, formats and error codes follow zram's; see
//! Documentation/ABI/testing/sysfs-block-rzram.

use crate::{
    backing::BdStat,
    comp::{select_prio, Algorithm, Params, MAX_COMPS},
    device::Device,
    parse,
    recompress::{self, Request},
    slot::boot_secs,
    stats::{write_debug_stat, IoStat, MmStat},
    writeback::{self, UNITS_PER_PAGE},
    Rzram,
};
use core::fmt::Write;
use kernel::{
    block::mq::{gen_disk::DiskRef, AttributeOperations},
    prelude::*,
    sync::atomic::Relaxed,
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
const ALGORITHM_PARAMS: u32 = 10;
const RECOMP_ALGORITHM: u32 = 11;
const RECOMPRESS: u32 = 12;
const IDLE: u32 = 13;
const BACKING_DEV: u32 = 14;
const WRITEBACK: u32 = 15;
const BD_STAT: u32 = 16;
const WRITEBACK_LIMIT: u32 = 17;
const WRITEBACK_LIMIT_ENABLE: u32 = 18;
const WRITEBACK_BATCH_SIZE: u32 = 19;
const COMPRESSED_WRITEBACK: u32 = 20;
const INLINE_WRITEBACK: u32 = 21;

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
        (c"algorithm_params", 0o200, ALGORITHM_PARAMS),
        (c"recomp_algorithm", 0o644, RECOMP_ALGORITHM),
        (c"recompress", 0o200, RECOMPRESS),
        (c"idle", 0o200, IDLE),
        (c"backing_dev", 0o644, BACKING_DEV),
        (c"writeback", 0o200, WRITEBACK),
        (c"bd_stat", 0o444, BD_STAT),
        (c"writeback_limit", 0o644, WRITEBACK_LIMIT),
        (c"writeback_limit_enable", 0o644, WRITEBACK_LIMIT_ENABLE),
        (c"writeback_batch_size", 0o644, WRITEBACK_BATCH_SIZE),
        (c"compressed_writeback", 0o644, COMPRESSED_WRITEBACK),
        (c"inline_writeback", 0o644, INLINE_WRITEBACK),
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
        // A meta reference is never held while `control` is taken: `reset` holds `control`
        // while it waits for every reference (see the lock table in device.rs). So each
        // attribute takes the reference within one expression, `device.meta().map(..)`, which
        // drops it before the configuration (under `control`) is read.
        match id {
            DISKSIZE => {
                let size = device.meta().map_or(0, |m| m.disksize());
                writeln!(buf, "{size}")?
            }
            INITSTATE => writeln!(buf, "{}", u32::from(device.is_initialised()))?,
            COMP_ALGORITHM => {
                // Once initialised, the algorithm in use; before, the one configured.
                let selected = match device.meta().map(|m| m.primary().algorithm) {
                    Some(algorithm) => algorithm,
                    None => device.algorithms()[0].unwrap_or(Algorithm::DEFAULT),
                };
                write_algorithms(buf, selected)?
            }
            RECOMP_ALGORITHM => {
                // As zram: one line per configured priority, `#<prio>: ` and the list.
                for (prio, algorithm) in device.algorithms().iter().enumerate().skip(1) {
                    if let Some(algorithm) = algorithm {
                        write!(buf, "#{prio}: ")?;
                        write_algorithms(buf, *algorithm)?;
                    }
                }
            }
            MM_STAT => {
                let stat = match device.meta().map(|m| m.mm_stat()) {
                    Some(stat) => stat,
                    // The limit can be set before `disksize`; zram shows it then too.
                    None => MmStat {
                        mem_limit: device.mem_limit(),
                        ..MmStat::default()
                    },
                };
                stat.write_to(buf)?
            }
            IO_STAT => device
                .meta()
                .map_or_else(IoStat::default, |m| m.io_stat())
                .write_to(buf)?,
            DEBUG_STAT => {
                let miss_free = device.meta().map_or(0, |m| m.stats.miss_free.get());
                write_debug_stat(buf, miss_free)?
            }
            BACKING_DEV => device.write_backing(buf)?,
            BD_STAT => {
                // A store attached before `disksize` has done nothing yet: zeros.
                let stat = device.meta().map_or_else(BdStat::default, |m| m.bd_stat());
                stat.write_to(buf)?
            }
            WRITEBACK_LIMIT => writeln!(buf, "{}", device.budget.limit.load(Relaxed))?,
            WRITEBACK_LIMIT_ENABLE => {
                writeln!(buf, "{}", u32::from(device.budget.enabled.load(Relaxed)))?
            }
            WRITEBACK_BATCH_SIZE => writeln!(buf, "{}", device.budget.batch_size.load(Relaxed))?,
            COMPRESSED_WRITEBACK => {
                let on = match device.meta().map(|m| m.compressed_wb) {
                    Some(on) => on,
                    None => device.wb_config().compressed,
                };
                writeln!(buf, "{}", u32::from(on))?
            }
            INLINE_WRITEBACK => writeln!(buf, "{}", u32::from(device.wb_config().inline))?,
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
            COMP_ALGORITHM => device.set_algorithm(0, algorithm_name(parse::trim(input))?),
            ALGORITHM_PARAMS => store_algorithm_params(&device, input),
            RECOMP_ALGORITHM => store_recomp_algorithm(&device, input),
            RECOMPRESS => store_recompress(&device, input),
            IDLE => store_idle(&device, input),
            BACKING_DEV => device.set_backing(input),
            WRITEBACK => {
                let meta = device.meta().ok_or(EINVAL)?;
                let pages = meta.slots.pages();
                drop(meta);
                let scans = writeback::parse_request(input, pages)?;
                device.writeback(&scans).map(|_| ())
            }
            WRITEBACK_LIMIT => {
                // As zram: rounded down to whole pages (a no-op with 4 KiB pages, where a
                // page is one unit).
                let units = parse::parse_decimal_u64(input).map_err(|_| EINVAL)?;
                #[allow(clippy::modulo_one)]
                let units = units - units % UNITS_PER_PAGE;
                device.budget.limit.store(units, Relaxed);
                Ok(())
            }
            WRITEBACK_LIMIT_ENABLE => {
                let on = parse::parse_decimal_u64(input).map_err(|_| EINVAL)?;
                device.budget.enabled.store(on != 0, Relaxed);
                Ok(())
            }
            WRITEBACK_BATCH_SIZE => {
                let size = u32::try_from(parse::parse_decimal_u64(input).map_err(|_| EINVAL)?)
                    .map_err(|_| EINVAL)?;
                if size == 0 {
                    return Err(EINVAL);
                }
                device.budget.batch_size.store(size, Relaxed);
                Ok(())
            }
            COMPRESSED_WRITEBACK => device.set_compressed_wb(parse::parse_bool(input)?),
            INLINE_WRITEBACK => {
                device.set_inline_wb(parse::parse_bool(input)?);
                Ok(())
            }
            MEM_LIMIT => device.set_mem_limit(parse::parse_size(input)?),
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

/// `idle`: `all`, or an age N in seconds (decimal, or hex with `0x`): pages not accessed for N
/// seconds are marked idle, the others unmarked, as zram with access-time tracking does
/// (which rzram always has). An age at or beyond the uptime marks nothing and succeeds, even
/// before `disksize`, as in zram; otherwise `EINVAL` before `disksize`.
fn store_idle(device: &Device, input: &[u8]) -> Result {
    let input = input.strip_suffix(b"\n").unwrap_or(input);
    let cutoff = if input == b"all" {
        None
    } else {
        let age =
            u32::try_from(parse::parse_u64(input).map_err(|_| EINVAL)?).map_err(|_| EINVAL)?;
        let uptime = boot_secs();
        // No page can be older than the system.
        if age >= uptime {
            return Ok(());
        }
        Some(uptime - age)
    };
    device.meta().ok_or(EINVAL)?.mark_idle(cutoff);
    Ok(())
}

/// Looks an algorithm up by the name given as an argument; `EINVAL` if there is none.
fn algorithm_arg(name: &[u8]) -> Result<Algorithm> {
    Algorithm::from_name(name).ok_or(EINVAL)
}

/// Looks up the name written to `comp_algorithm` or `recomp_algorithm`: like
/// [`algorithm_arg`], but `E2BIG` for a name of 128 bytes or more, as zram.
fn algorithm_name(name: &[u8]) -> Result<Algorithm> {
    if name.len() >= 128 {
        return Err(E2BIG);
    }
    algorithm_arg(name)
}

/// Converts a `priority=` argument to a priority from `min` to `MAX_COMPS - 1`; `EINVAL`
/// otherwise.
fn prio_arg(value: &[u8], min: u8) -> Result<u8> {
    u8::try_from(parse::parse_int(value)?)
        .ok()
        .filter(|&prio| prio >= min && usize::from(prio) < MAX_COMPS)
        .ok_or(EINVAL)
}

/// `algorithm_params`: `[priority=N] [algo=NAME] [level=N] [deflate.winbits=N]`.
fn store_algorithm_params(device: &Device, input: &[u8]) -> Result {
    let (mut prio, mut algorithm, mut params) = (None, None, Params::default());
    for arg in parse::args(input) {
        match arg? {
            (b"priority", value) => prio = Some(prio_arg(value, 0)?),
            (b"algo", value) => algorithm = Some(algorithm_arg(value)?),
            (b"level", value) => params.level = Some(parse::parse_int(value)?),
            (b"deflate.winbits", value) => params.deflate_winbits = Some(parse::parse_int(value)?),
            (b"dict", _) => {
                pr_err!(
                    "{}: compression dictionaries are not supported\n",
                    device.name()
                );
                return Err(EOPNOTSUPP);
            }
            // Unknown parameters are ignored, as by zram.
            _ => {}
        }
    }
    device.set_params(prio, algorithm, params)
}

/// `recomp_algorithm`: `algo=NAME [priority=N]`, priority 1 (the default) to 3.
fn store_recomp_algorithm(device: &Device, input: &[u8]) -> Result {
    let (mut prio, mut algorithm) = (1, None);
    for arg in parse::args(input) {
        match arg? {
            (b"algo", value) => algorithm = Some(algorithm_name(value)?),
            (b"priority", value) => prio = prio_arg(value, 1)?,
            _ => {}
        }
    }
    device.set_algorithm(prio, algorithm.ok_or(EINVAL)?)
}

/// `recompress`: `[type=idle|huge|huge_idle] [max_pages=N] [threshold=N] [algo=NAME]
/// [priority=N]`.
fn store_recompress(device: &Device, input: &[u8]) -> Result {
    let mut req = Request::default();
    let (mut prio, mut algorithm) = (None, None);
    for arg in parse::args(input) {
        match arg? {
            // The last `type` wins, as in zram.
            (b"type", b"idle") => (req.idle, req.huge) = (true, false),
            (b"type", b"huge") => (req.idle, req.huge) = (false, true),
            (b"type", b"huge_idle") => (req.idle, req.huge) = (true, true),
            (b"type", _) => return Err(EINVAL),
            (b"max_pages", value) => req.max_pages = Some(parse::parse_decimal_u64(value)?),
            (b"threshold", value) => {
                req.threshold =
                    u32::try_from(parse::parse_decimal_u64(value)?).map_err(|_| ERANGE)? as usize
            }
            (b"algo", value) => algorithm = Some(algorithm_arg(value)?),
            (b"priority", value) => prio = Some(prio_arg(value, 1)?),
            _ => {}
        }
    }
    let meta = device.meta().ok_or(EINVAL)?;
    if req.threshold >= meta.huge_class {
        return Err(EINVAL);
    }
    req.prio = select_prio(prio, algorithm, 1, |prio| {
        meta.comp(prio).map(|c| c.algorithm)
    })?;
    recompress::run(&meta, &req).map(|_| ())
}
