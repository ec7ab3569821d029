// SPDX-License-Identifier: GPL-2.0

//! Device statistics: the counters the I/O path keeps and the `mm_stat` and `io_stat` formats.
//!
//! The formats follow zram's field order and meaning (see the admin guide), so tools that parse
//! zram's files can parse rzram's.

use core::fmt::{self, Write};
use kernel::sync::atomic::{Atomic, Relaxed};

/// A statistics counter, updated without ordering: counters are only ever read for reporting.
pub(crate) struct Counter(Atomic<u64>);

impl Counter {
    /// A counter at zero.
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(0))
    }

    /// Adds `n`.
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }

    /// Subtracts `n`.
    pub(crate) fn sub(&self, n: u64) {
        self.0.fetch_sub(n, Relaxed);
    }

    /// Adds one.
    pub(crate) fn inc(&self) {
        self.add(1);
    }

    /// Returns the current value.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }

    /// Sets the counter to `n`.
    pub(crate) fn set(&self, n: u64) {
        self.0.store(n, Relaxed);
    }

    /// Raises the counter to `n` if it is lower.
    pub(crate) fn raise_to(&self, n: u64) {
        let mut cur = self.get();
        while cur < n {
            match self.0.cmpxchg(cur, n, Relaxed) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
    }
}

/// The counters of one initialised device (they start at zero with every `disksize`).
pub(crate) struct Stats {
    /// Pages that hold data (same-filled or stored).
    pub(crate) pages_stored: Counter,
    /// Bytes of compressed (or huge) objects in the pool.
    pub(crate) compr_data_size: Counter,
    /// Same-filled pages.
    pub(crate) same_pages: Counter,
    /// Pages stored uncompressed.
    pub(crate) huge_pages: Counter,
    /// Pages stored uncompressed since the device was initialised.
    pub(crate) huge_pages_since: Counter,
    /// The most pool pages used at any time.
    pub(crate) max_used_pages: Counter,
    /// Reads that failed.
    pub(crate) failed_reads: Counter,
    /// Writes that failed.
    pub(crate) failed_writes: Counter,
    /// Requests out of range or not aligned to a page.
    pub(crate) invalid_io: Counter,
    /// Pages freed by discard and write-zeroes requests and by swap slot frees.
    pub(crate) notify_free: Counter,
    /// Swap slot frees that found the page busy and left it (`debug_stat`).
    pub(crate) miss_free: Counter,
}

impl Stats {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            pages_stored: Counter::new(),
            compr_data_size: Counter::new(),
            same_pages: Counter::new(),
            huge_pages: Counter::new(),
            huge_pages_since: Counter::new(),
            max_used_pages: Counter::new(),
            failed_reads: Counter::new(),
            failed_writes: Counter::new(),
            invalid_io: Counter::new(),
            notify_free: Counter::new(),
            miss_free: Counter::new(),
        }
    }
}

/// The fields of `mm_stat`, in zram's order. Sizes are in bytes, the rest in pages.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MmStat {
    /// Uncompressed size of the data stored (same-filled pages included).
    pub(crate) orig_data_size: u64,
    /// Compressed size of the data stored.
    pub(crate) compr_data_size: u64,
    /// Memory the pool uses, fragmentation and metadata included.
    pub(crate) mem_used_total: u64,
    /// The memory limit (0: none).
    pub(crate) mem_limit: u64,
    /// The most memory the pool used.
    pub(crate) mem_used_max: u64,
    /// Same-filled pages (no memory allocated).
    pub(crate) same_pages: u64,
    /// Pages freed by compaction.
    pub(crate) pages_compacted: u64,
    /// Pages stored uncompressed.
    pub(crate) huge_pages: u64,
    /// Pages stored uncompressed since initialisation.
    pub(crate) huge_pages_since: u64,
}

impl MmStat {
    /// Writes the `mm_stat` line.
    pub(crate) fn write_to(&self, w: &mut impl Write) -> fmt::Result {
        writeln!(
            w,
            "{:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8}",
            self.orig_data_size,
            self.compr_data_size,
            self.mem_used_total,
            self.mem_limit,
            self.mem_used_max,
            self.same_pages,
            self.pages_compacted,
            self.huge_pages,
            self.huge_pages_since
        )
    }
}

/// The fields of `io_stat`, in zram's order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct IoStat {
    /// Reads that failed.
    pub(crate) failed_reads: u64,
    /// Writes that failed.
    pub(crate) failed_writes: u64,
    /// Requests out of range or misaligned.
    pub(crate) invalid_io: u64,
    /// Pages freed by discard and write-zeroes requests.
    pub(crate) notify_free: u64,
}

impl IoStat {
    /// Writes the `io_stat` line.
    pub(crate) fn write_to(&self, w: &mut impl Write) -> fmt::Result {
        writeln!(
            w,
            "{:8} {:8} {:8} {:8}",
            self.failed_reads, self.failed_writes, self.invalid_io, self.notify_free
        )
    }
}

/// Writes the `debug_stat` text, in zram's version 1 format: the version line, then a line
/// with a field zram no longer uses (always 0) and `miss_free`.
pub(crate) fn write_debug_stat(w: &mut impl Write, miss_free: u64) -> fmt::Result {
    writeln!(w, "version: 1")?;
    writeln!(w, "0 {:8}", miss_free)
}

impl crate::backing::BdStat {
    /// Writes `bd_stat`: blocks in use, pages read and pages written, in 4 KiB units, each
    /// right-aligned in eight columns, as zram's.
    pub(crate) fn write_to(&self, w: &mut impl Write) -> fmt::Result {
        let units = crate::writeback::UNITS_PER_PAGE;
        writeln!(
            w,
            "{:>8} {:>8} {:>8}",
            self.count * units,
            self.reads * units,
            self.writes * units
        )
    }
}
