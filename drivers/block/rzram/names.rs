// SPDX-License-Identifier: GPL-2.0

//! The names rzram registers: its own, or zram's with `zram_names=1`.
//!
//! By default the disks are `rzram<N>` and the control class is `rzram-control`, so rzram
//! and zram can be loaded side by side. With the module parameter `zram_names=1` the disks
//! are `zram<N>` and the class is `zram-control`: every attribute then sits at the path zram
//! has it at (`/sys/block/zram<N>/...`, `/sys/class/zram-control/hot_add`), and zram's
//! tools (zramctl, zram-generator, zramswap, the kernel's zram selftests) drive rzram
//! unchanged. Nothing else differs between the two modes.
//!
//! The names exist once in the system: zram's can only be taken while zram itself is not
//! there, which [`claim`] checks before anything is registered.

use kernel::{block::backing::BackingFile, fmt, prelude::*};

/// Returns whether rzram registers zram's names (the `zram_names` module parameter).
pub(crate) fn zram_names() -> bool {
    crate::module_parameters::zram_names.value()
}

/// Returns the name of the control class: `rzram-control`, or zram's `zram-control`.
pub(crate) fn class_name() -> &'static CStr {
    if zram_names() {
        ZRAM_CLASS
    } else {
        c"rzram-control"
    }
}

/// zram's control class.
const ZRAM_CLASS: &CStr = c"zram-control";

/// Where zram's control class appears once registered.
const ZRAM_CLASS_PATH: &CStr = c"/sys/class/zram-control";

/// The name of disk `id` (`rzram<id>` or `zram<id>`), as disks and log lines show it.
#[derive(Clone, Copy)]
pub(crate) struct DiskName(pub(crate) u32);

impl fmt::Display for DiskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if zram_names() { "zram" } else { "rzram" };
        write!(f, "{}{}", prefix, self.0)
    }
}

/// Checks that zram's names are free when `zram_names` asks for them: `EBUSY`, with a
/// message saying why, when zram (loaded or built in) holds them. Without the parameter
/// there is nothing to check.
///
/// zram registers `zram-control` at load and keeps it until unload, so the class's
/// directory tells whether zram is there. Registering a name the driver core already has
/// would fail too, but only after a duplicate-name warning with a stack dump, which is why
/// the name is looked up first. Without sysfs mounted at `/sys` the lookup finds nothing,
/// and registering the first disk is what fails (see [`name_error`]).
pub(crate) fn claim() -> Result {
    if !zram_names() {
        return Ok(());
    }
    // An `O_PATH` lookup, which opens nothing: a directory there is `ENOTBLK`.
    match BackingFile::open(ZRAM_CLASS_PATH) {
        Err(e) if e == ENOENT => Ok(()),
        Err(e) if e != ENOTBLK => {
            pr_err!(
                "zram_names=1: cannot look up /sys/class/zram-control: {:?}\n",
                e
            );
            Err(e)
        }
        _ => Err(taken()),
    }
}

/// Maps an error from registering a name: `EEXIST` means that zram's name was taken, which
/// [`claim`] could not see.
pub(crate) fn name_error(e: Error) -> Error {
    if zram_names() && e == EEXIST {
        taken()
    } else {
        e
    }
}

/// Logs that zram's names are taken and returns `EBUSY`. Not `EEXIST`: modprobe takes
/// that for "already loaded" and would report success.
fn taken() -> Error {
    pr_err!(
        "zram_names=1: zram's names are taken (/sys/class/zram-control exists): zram is \
         loaded or built in; unload it first (modprobe -r zram), or load rzram without \
         zram_names\n"
    );
    EBUSY
}
