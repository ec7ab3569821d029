// SPDX-License-Identifier: GPL-2.0

//! One rzram device: its configuration, its published meta and its lifecycle.
//!
//! # Lifecycle
//!
//! A device starts uninitialised, with capacity 0. Writing `disksize` builds a [`Meta`] (slot
//! table, pool, streams) for the configured algorithms, publishes it through the device's
//! [`Gate`] and sets the capacity. `reset` refuses while the disk is open, sets the capacity
//! back to 0, retires the meta (new requests fail with `EIO`; the call waits for the requests
//! that hold a reference) and frees it here, in process context. `hot_remove` does the same
//! through [`Device::prepare_removal`] and then deletes the disk (see `devices.rs`); a meta
//! that is still published when the device is dropped is freed by the gate.
//!
//! # Locks
//!
//! | lock                     | protects                                | taken by                          |
//! |--------------------------|-----------------------------------------|-----------------------------------|
//! | `Devices::disks`         | the registry of disks (`devices.rs`)    | load, unload, hot_add/remove      |
//! | `Device::control`        | `Control`; serialises init, reset,      | sysfs stores and shows            |
//! |                          | attach and detach                       |                                   |
//! | `Device::writeback`      | one `writeback` run at a time           | `writeback`                       |
//! | `Claims::files`          | the regular files attached as stores    | attach, store release; a leaf     |
//! | meta gate's owner        | publishing and retiring the meta        | init and reset, under `control`   |
//! | meta gate                | the meta; lockdep class `rzram_meta`    | read: every [`GateRef`];          |
//! |                          |                                         | write: `reset`, under `control`   |
//! | backing gate's owner     | publishing and retiring the store       | init, attach, detach (`control`)  |
//! | backing gate             | the store; class `rzram_backing`        | read: requests, writeback, frees; |
//! |                          |                                         | write: detach, under `control`    |
//! | disk `open_mutex`        | opens; makes `openers()` stable         | open, reset (to set `claimed`)    |
//! | slot stripe mutexes      | the slots of one stripe                 | I/O path; `idle`, `recompress`,   |
//! |                          |                                         | `writeback`                       |
//! | stream mutexes           | one CPU's compression stream            | I/O path; `recompress`,           |
//! |                          |                                         | `writeback`; CPU hotplug's        |
//! |                          |                                         | prepare/dead callbacks            |
//!
//! Order: `Devices::disks` → `control` → disk `open_mutex`; `control` → meta gate's owner →
//! meta gate (never together with `open_mutex`); `control` → meta gate (read) → backing
//! gate's owner → backing gate (attach and detach, with a meta reference taken under
//! `control`); `writeback` → meta gate (read) → backing gate (read) → slot stripe → stream.
//! In the I/O path and `recompress`: meta gate (read) → slot stripe → stream → backing gate
//! (read), one stream at a time. `idle`, `recompress` and `writeback` reach the meta
//! through the gate like requests do, not under `control`. CPU hotplug (`stream.rs`): the
//! hotplug lock → stream, in the prepare and dead callbacks; init and reset add and remove a
//! meta's stream instances under `control` (`control` → hotplug lock → stream). The I/O path
//! never takes the hotplug lock, so no stream holder waits for it. Dropping a disk
//! (`hot_remove`, unload) waits, under `Devices::disks`, until the block layer releases it and
//! drops its `Device`. That drop may remove a meta's stream instances (the hotplug lock) and
//! release a store (`Claims::files`); neither is held while `Devices::disks` is taken, and a
//! disk is only dropped when nobody has it open, so the wait ends when transient references
//! go.
//!
//! The gates are locks to lockdep: a [`GateRef`] is a read hold, and retiring a write hold
//! that waits for every reader. Hence the rule: **never take `control`, or any lock held
//! around a retirement, while holding a [`GateRef`]**. Taking a reference under `control` is
//! fine (`set_mem_limit`, attach, detach); the reverse deadlocks against a concurrent `reset`,
//! and lockdep reports it. Attribute shows that read the configuration therefore drop their
//! meta reference first (`sysfs.rs`).
//!
//! # Attaching and detaching the store while requests run
//!
//! The store is published in the meta's own backing gate (`backing.rs`). Requests never wait
//! for it: they take a reference with one compare-and-exchange, or find none.
//!
//! - Attach opens the store first, then, under `control`, publishes it: a request that took
//!   its reference before sees no store and needs none (no slot refers to a block yet); one
//!   after sees it whole (the gate's release/acquire pair).
//! - Detach, under `control`, closes the store to allocation ([`Backing::close`]: a flag and
//!   the count of blocks in use, fully ordered against the allocation's own increment, so
//!   either the allocation sees the flag or the detach sees the block) and gives `EBUSY` if a
//!   block is in use. Otherwise no slot refers to the store and none can start to, so no
//!   request can need it; retiring the gate then only waits for the references still held (a
//!   `writeback` run stops at its next page once it sees the store closed), and
//!   the store is dropped (its worker drained, its file closed) after the last one.
//! - A slot refers to a block only while its store is attached: blocks are handed out by the
//!   published store only, and detach refuses while any is in use; reset drops the meta, and
//!   the store with it, only after the last request let go of the meta.
//!
//! `claimed` is set by `reset` under the disk's open mutex once it has seen no opener, and
//! cleared when the reset is done (never, when the device is being removed); `open` (which
//! runs under the same mutex) refuses with `EBUSY` while it is set, so no one can open the
//! device in the middle of a reset or a removal.
//!
//! The I/O path takes neither `control` nor `Gate::owner`: it reaches the meta with
//! [`Device::meta`], an atomic reference count on the gate. A reviewer can check this by
//! following `execute` in `io.rs`: it only sees a `&Meta`, which has no way to reach the
//! device's control lock.

use crate::{
    backing::{Backing, Claims},
    comp::{select_prio, Algorithm, Params, MAX_COMPS},
    gate::{new_gate, Gate, GateRef},
    meta::{CompConfig, Meta, WbConfig, DEFAULT_COMPS},
    names::DiskName,
    stream::StreamState,
    writeback::{self, Budget, Scan},
    Rzram,
};
use kernel::{
    block::{mq::gen_disk::DiskRef, SECTOR_SHIFT},
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    str::{BStr, CStr},
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex, MutexGuard,
    },
};

/// The longest path `backing_dev` takes, with its NUL (`PATH_MAX`).
const PATH_MAX: usize = 4096;

/// The configuration of a device; may only change while it is not initialised.
struct Control {
    /// The algorithms (and their tuning) the next `disksize` uses, by priority; the primary
    /// one, priority 0, is always set.
    comps: CompConfig,
    /// Set once `hot_remove` has claimed the device; it is never opened or reset again.
    removing: bool,
    /// The memory limit in pages (0: none); kept across `disksize`, cleared by `reset`.
    mem_limit_pages: u64,
    /// A store attached before `disksize`, which moves it into the meta.
    backing: Option<KBox<Backing>>,
    /// The path of the attached store, as `backing_dev` shows it; `None` when none is.
    backing_path: Option<KVec<u8>>,
    /// The writeback settings for the next `disksize` (`inline` also applies at once).
    wb: WbConfig,
}

/// One rzram device.
#[pin_data]
pub(crate) struct Device {
    /// The device number (`rzram<id>`, or `zram<id>` with `zram_names`).
    pub(crate) id: u32,
    #[pin]
    control: Mutex<Control>,
    #[pin]
    meta: Gate<Meta>,
    /// Set while a reset runs, and for good once the device is being removed; opens are
    /// refused meanwhile.
    claimed: Atomic<bool>,
    /// The regular files attached to any rzram device.
    claims: Arc<Claims>,
    /// The module's CPU hotplug state, of which the meta's streams are instances.
    streams: Arc<StreamState>,
    /// The writeback budget and batch size.
    pub(crate) budget: Budget,
    /// Serialises writeback runs (`writeback`), as zram's device lock does.
    #[pin]
    writeback: Mutex<()>,
}

impl Device {
    /// Creates device `id`, uninitialised; `claims` and `streams` are shared by all devices.
    pub(crate) fn new(
        id: u32,
        claims: Arc<Claims>,
        streams: Arc<StreamState>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            id,
            control <- new_mutex!(
                Control {
                    comps: DEFAULT_COMPS,
                    removing: false,
                    mem_limit_pages: 0,
                    backing: None,
                    backing_path: None,
                    wb: WbConfig::default(),
                },
                "rzram_device_control"
            ),
            meta <- new_gate!("rzram_meta"),
            claimed: Atomic::new(false),
            claims,
            streams,
            budget: Budget::new(),
            writeback <- new_mutex!((), "rzram_writeback"),
        })
    }

    /// Returns the disk's name, for log lines.
    pub(crate) fn name(&self) -> DiskName {
        DiskName(self.id)
    }

    /// Takes a counted reference to the meta, or `None` if the device is not initialised.
    /// This is all the I/O path does to reach the device's state.
    pub(crate) fn meta(&self) -> Option<GateRef<'_, Meta>> {
        self.meta.try_get()
    }

    /// Returns `true` if `disksize` has been set and the device not reset since.
    pub(crate) fn is_initialised(&self) -> bool {
        self.meta.is_live()
    }

    /// Returns the configured algorithm of each priority.
    pub(crate) fn algorithms(&self) -> [Option<Algorithm>; MAX_COMPS] {
        self.control
            .lock()
            .comps
            .map(|c| c.map(|(algorithm, _)| algorithm))
    }

    /// Returns the control data for a configuration change; `EBUSY` once initialised.
    fn configurable(&self) -> Result<MutexGuard<'_, Control>> {
        let control = self.control.lock();
        if self.is_initialised() {
            pr_info!(
                "{}: can't change algorithm for initialized device\n",
                self.name()
            );
            return Err(EBUSY);
        }
        Ok(control)
    }

    /// Selects the algorithm of priority `prio` (0: the primary one, 1 to 3: recompression)
    /// for the next initialisation, with its default tuning; `EBUSY` once initialised.
    pub(crate) fn set_algorithm(&self, prio: u8, algorithm: Algorithm) -> Result {
        let mut control = self.configurable()?;
        *control.comps.get_mut(usize::from(prio)).ok_or(EINVAL)? =
            Some((algorithm, Params::default()));
        Ok(())
    }

    /// Tunes an algorithm (`algorithm_params`), chosen as zram does: by `prio`, which must
    /// then hold `algorithm` if that is given too; by `algorithm` alone, the lowest priority
    /// that holds it; otherwise the primary one. `EINVAL` if that finds none or `params` do
    /// not suit the algorithm, `EBUSY` once initialised.
    pub(crate) fn set_params(
        &self,
        prio: Option<u8>,
        algorithm: Option<Algorithm>,
        params: Params,
    ) -> Result {
        let mut control = self.configurable()?;
        let comps = &mut control.comps;
        let held = |prio: u8| comps.get(usize::from(prio))?.map(|(a, _)| a);
        let prio = select_prio(prio, algorithm, 0, held)?;
        let slot = comps.get_mut(usize::from(prio)).ok_or(EINVAL)?;
        // Unlike zram, which finds bad parameters only when `disksize` builds the streams,
        // they are refused here already.
        match slot {
            Some((algorithm, current)) => {
                algorithm.check(&params)?;
                *current = params;
            }
            // Tuning for a priority without an algorithm has nothing to apply to.
            None => return Err(EINVAL),
        }
        Ok(())
    }

    /// Initialises the device with `disksize` bytes, rounded up to a page.
    ///
    /// `EINVAL` for 0, `EBUSY` if already initialised, `ENOMEM` if the table or pool cannot be
    /// allocated.
    pub(crate) fn init(&self, disk: &DiskRef<Rzram>, disksize: u64) -> Result {
        let disksize = disksize
            .checked_next_multiple_of(PAGE_SIZE as u64)
            .ok_or(EINVAL)?;
        if disksize == 0 {
            return Err(EINVAL);
        }
        let mut control = self.control.lock();
        if self.is_initialised() {
            pr_info!(
                "{}: cannot change disksize for initialized device\n",
                self.name()
            );
            return Err(EBUSY);
        }
        let meta = Meta::new(
            &self.streams,
            self.id,
            disksize,
            &control.comps,
            control.mem_limit_pages,
            control.wb,
        )
        .inspect_err(|e| {
            pr_err!(
                "{}: cannot allocate {} bytes of metadata: {:?}\n",
                self.name(),
                disksize,
                e
            )
        })?;
        // The meta is not published yet, so its backing gate is free.
        if let Some(backing) = control.backing.take() {
            if let Err((e, backing)) = meta.backing.publish(backing) {
                control.backing = Some(backing);
                return Err(e);
            }
        }
        if let Err((e, meta)) = self.meta.publish(meta) {
            // Not reachable under `control` (checked above); keep the store attached.
            control.backing = meta.backing.retire();
            return Err(e);
        }
        disk.set_capacity_and_notify(disksize >> SECTOR_SHIFT);
        Ok(())
    }

    /// Returns the memory limit in bytes (0: none).
    pub(crate) fn mem_limit(&self) -> u64 {
        self.control.lock().mem_limit_pages * PAGE_SIZE as u64
    }

    /// Sets the memory limit to `bytes`, rounded up to a page (0: none). It applies at once
    /// if the device is initialised, and otherwise from `disksize` on. `ERANGE` if rounding
    /// up does not fit in 64 bits (so the limit in bytes always does).
    pub(crate) fn set_mem_limit(&self, bytes: u64) -> Result {
        let pages = bytes
            .checked_next_multiple_of(PAGE_SIZE as u64)
            .ok_or(ERANGE)?
            / PAGE_SIZE as u64;
        let mut control = self.control.lock();
        control.mem_limit_pages = pages;
        // Under `control`, so neither `init` nor `reset` runs meanwhile.
        if let Some(meta) = self.meta() {
            meta.set_mem_limit(pages);
        }
        Ok(())
    }

    /// Checks whether the disk may be opened: not while a reset runs.
    pub(crate) fn may_open(&self) -> Result {
        if self.claimed.load(Relaxed) {
            Err(EBUSY)
        } else {
            Ok(())
        }
    }

    /// Resets the device: frees all its data and metadata; `EBUSY` while the disk is open.
    pub(crate) fn reset(&self, disk: &DiskRef<Rzram>) -> Result {
        self.tear_down(disk, false)
    }

    /// Resets the device for good before its disk is deleted: `EBUSY` while the disk is open.
    ///
    /// On success the device can no longer be opened or reset, and the caller deletes the
    /// disk. A `disksize` written in between initialises it again; that meta is freed with the
    /// device when the disk is deleted.
    pub(crate) fn prepare_removal(&self, disk: &DiskRef<Rzram>) -> Result {
        self.tear_down(disk, true)
    }

    /// Claims the device under the disk's open mutex unless it is open, then frees its meta.
    /// The claim stays if `removing`.
    fn tear_down(&self, disk: &DiskRef<Rzram>, removing: bool) -> Result {
        let mut control = self.control.lock();
        if control.removing {
            return Err(ENODEV);
        }
        {
            let _open = disk.lock_open();
            if disk.openers() > 0 {
                return Err(EBUSY);
            }
            // Ordered by the open mutex against `may_open`.
            self.claimed.store(true, Relaxed);
        }
        control.removing = removing;
        // As zram's reset: no limit, the default algorithm, no recompression algorithms, no
        // backing store (the writeback budget stays).
        control.mem_limit_pages = 0;
        control.comps = DEFAULT_COMPS;
        control.wb = WbConfig::default();
        disk.set_capacity_and_notify(0);
        // Dropped here, in process context, after the last request let go of it. The store,
        // published in the meta, is closed with it.
        drop(self.meta.retire());
        control.backing = None;
        control.backing_path = None;
        if !removing {
            // Under the open mutex, so an open right after the reset sees the claim gone.
            let _open = disk.lock_open();
            self.claimed.store(false, Relaxed);
        }
        Ok(())
    }

    /// Attaches the store at `path` (`backing_dev`), before or after `disksize`; `none`
    /// detaches it.
    ///
    /// `EEXIST` if a store is attached; see [`Backing::open`] for the other errors.
    pub(crate) fn set_backing(&self, path: &[u8]) -> Result {
        let path = path.strip_suffix(b"\n").unwrap_or(path);
        if path == b"none" {
            return self.detach();
        }
        if path.is_empty() || path.contains(&0) {
            return Err(EINVAL);
        }
        if path.len() >= PATH_MAX {
            return Err(ENAMETOOLONG);
        }
        let mut name = KVec::with_capacity(path.len() + 1, GFP_KERNEL)?;
        name.extend_from_slice(path, GFP_KERNEL)?;
        name.push(0, GFP_KERNEL)?;
        let path = CStr::from_bytes_with_nul(&name).map_err(|_| EINVAL)?;
        let mut control = self.control.lock();
        if control.backing_path.is_some() {
            return Err(EEXIST);
        }
        let backing = KBox::new(Backing::open(path, self, &self.claims)?, GFP_KERNEL)?;
        // Shown as the kernel resolves it, as zram does (`file_path()`).
        let mut buf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL)?;
        let mut shown = KVec::new();
        shown.extend_from_slice(backing.path(&mut buf)?, GFP_KERNEL)?;
        let blocks = backing.blocks();
        // A reference taken under `control`, never the reverse (see the lock table).
        match self.meta() {
            // Published while requests run: they see it at their next `try_get`.
            Some(meta) => meta.backing.publish(backing).map_err(|(e, _)| e)?,
            None => control.backing = Some(backing),
        }
        pr_info!(
            "{}: setup backing device {} ({} pages)\n",
            self.name(),
            BStr::from_bytes(&shown),
            blocks
        );
        control.backing_path = Some(shown);
        Ok(())
    }

    /// Detaches the store (`backing_dev` = `none`): `EBUSY` while any page lives on it.
    /// Detaching when none is attached does nothing.
    fn detach(&self) -> Result {
        let mut control = self.control.lock();
        if control.backing_path.is_none() {
            return Ok(());
        }
        if let Some(meta) = self.meta() {
            if let Some(backing) = meta.backing.try_get() {
                // From here no block is handed out; `EBUSY` if one is in use.
                backing.close()?;
            }
            // Waits for the requests that still hold the store; none can need a block.
            drop(meta.backing.retire());
        }
        control.backing = None;
        control.backing_path = None;
        pr_info!("{}: backing device detached\n", self.name());
        Ok(())
    }

    /// Writes the path of the attached store, or `none`, to `w`.
    pub(crate) fn write_backing(&self, w: &mut impl core::fmt::Write) -> core::fmt::Result {
        match &self.control.lock().backing_path {
            Some(path) => writeln!(w, "{}", BStrDisplay(path)),
            None => writeln!(w, "none"),
        }
    }

    /// Returns the writeback settings for the next `disksize`.
    pub(crate) fn wb_config(&self) -> WbConfig {
        self.control.lock().wb
    }

    /// Sets `compressed_writeback`: `EBUSY` once initialised.
    pub(crate) fn set_compressed_wb(&self, on: bool) -> Result {
        let mut control = self.control.lock();
        if self.is_initialised() {
            return Err(EBUSY);
        }
        control.wb.compressed = on;
        Ok(())
    }

    /// Sets `inline_writeback`; it applies at once if the device is initialised.
    pub(crate) fn set_inline_wb(&self, on: bool) {
        let mut control = self.control.lock();
        control.wb.inline = on;
        if let Some(meta) = self.meta() {
            meta.inline_wb.store(on, Relaxed);
        }
    }

    /// Writes back the pages `scans` select (`writeback`); one run at a time. `EINVAL` if the
    /// device is not initialised, `ENODEV` without a store.
    pub(crate) fn writeback(&self, scans: &[Scan]) -> Result<u64> {
        let _run = self.writeback.lock();
        let meta = self.meta().ok_or(EINVAL)?;
        writeback::run(&meta, &self.budget, scans)
    }
}

/// Shows bytes as text, replacing what is not UTF-8.
pub(crate) struct BStrDisplay<'a>(pub(crate) &'a [u8]);

impl core::fmt::Display for BStrDisplay<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}
