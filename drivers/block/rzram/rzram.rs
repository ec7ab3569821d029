// SPDX-License-Identifier: GPL-2.0

//! rzram: a compressed RAM block device.
//!
//! Each `/dev/rzram<N>` keeps the pages written to it compressed in memory (LZ4 into a
//! zsmalloc pool), which makes it a fast swap device or a RAM disk that uses a fraction of the
//! memory it holds. Devices are configured through `/sys/block/rzram<N>/`, like zram's; see
//! Documentation/admin-guide/blockdev/rzram.rst. With `zram_names=1` they take zram's names,
//! `/dev/zram<N>` and `/sys/block/zram<N>/` (see `names.rs`).
//!
//! This file holds the module, its parameters and the blk-mq operations; the request path is
//! in `io.rs`, a device's lifecycle and locks in `device.rs`.

mod backing;
mod comp;
mod control;
mod defer;
mod device;
mod devices;
mod gate;
mod io;
mod meta;
mod names;
mod parse;
mod recompress;
mod slot;
mod stats;
mod stream;
mod sysfs;
mod writeback;
mod zspool;

#[cfg(CONFIG_KUNIT)]
#[path = "../../../tests/kunit/mod.rs"]
mod kunit;

use device::Device;
use devices::Devices;
use kernel::{
    block::mq::{self, Operations},
    class,
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
            description: "Number of rzram devices to create at load (0 to 256); more can be \
                          added through /sys/class/rzram-control/hot_add",
        },
        zram_names: bool {
            default: false,
            description: "Register zram's names: disks zram<N> and the class zram-control, \
                          so that zram's tools drive rzram unchanged (0: rzram<N> and \
                          rzram-control). Loading fails with EBUSY while zram is loaded or \
                          built in",
        },
    },
}

/// The most devices `num_devices` may ask for.
const MAX_DEVICES: u32 = 256;

/// The module: the control class, which owns the registry of disks. Unloading unregisters
/// the class first, then deletes every disk.
#[pin_data]
struct RzramModule {
    #[pin]
    control: class::Registration<Devices>,
}

impl kernel::InPlaceModule for RzramModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let n = module_parameters::num_devices.value();
        // The devices are created, and `num_devices` checked, before the control class is
        // registered, so `hot_add` only appears once they exist.
        let devices = Devices::new().pin_chain(move |devices| {
            // Before any name is registered.
            names::claim()?;
            if n > MAX_DEVICES {
                pr_err!(
                    "num_devices must be between 0 and {}, not {}\n",
                    MAX_DEVICES,
                    n
                );
                return Err(EINVAL);
            }
            for _ in 0..n {
                devices.add().map_err(names::name_error)?;
            }
            pr_info!("created {} device(s)\n", n);
            Ok(())
        });
        try_pin_init!(Self {
            control <- class::Registration::new(
                names::class_name(),
                &control::ATTRIBUTES,
                devices
            ),
        })
    }
}

/// The blk-mq operations of rzram disks.
pub(crate) struct Rzram;

#[vtable]
impl Operations for Rzram {
    type QueueData = Arc<Device>;

    fn queue_rq(
        device: ArcBorrow<'_, Device>,
        rq: ARef<mq::Request<Self>>,
        _is_last: bool,
    ) -> Result {
        let Some(meta) = device.meta() else {
            // Not initialised, or being reset.
            end_request(rq, Err(EIO));
            return Ok(());
        };
        // Twice at most: a request that needs the store finds none only if the store was
        // detached since, and without a store no request needs one.
        for _ in 0..2 {
            match io::execute(&meta, &rq, io::Context::Submitter) {
                // The request needs the backing store: its worker runs it (see defer.rs).
                Err(e) if e == defer::DEFER => {
                    let Some(backing) = meta.backing.try_get() else {
                        continue;
                    };
                    return match defer::defer(backing.queue(), device.into(), rq) {
                        Ok(()) => Ok(()),
                        // No memory to hand it over: the request is not ended, and the block
                        // layer issues it again shortly (`BLK_STS_RESOURCE`).
                        Err(rq) => {
                            drop(rq);
                            Err(ENOMEM)
                        }
                    };
                }
                status => {
                    end_request(rq, status);
                    return Ok(());
                }
            }
        }
        end_request(rq, Err(EIO));
        Ok(())
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
        // Requests are ended in `queue_rq` or by the worker of a deferred one, and never
        // through `Request::complete`, so blk-mq does not call this; end it all the same.
        end_request(rq, Ok(()));
    }
}

/// Ends `rq` with `status`.
pub(crate) fn end_request(rq: ARef<mq::Request<Rzram>>, status: Result) {
    // PANIC: `Request::end` fails only if another `ARef` to the request exists. blk-mq
    // hands `queue_rq` the only one; the driver never clones it (`io` borrows it, `defer`
    // moves it to the worker, which ends it), and never looks requests up by tag
    // (`TagSet::tag_to_rq`), the only other source of references. So this cannot fail, as
    // in rnull.
    mq::Request::end(rq, status)
        .map_err(|_| EIO)
        .expect("rzram holds the only reference to a request it ends");
}
