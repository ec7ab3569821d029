// SPDX-License-Identifier: GPL-2.0

//! What rzram would store for each page, per compression algorithm.
//!
//! A page whose 8-byte words are all equal is same-filled: the slot keeps the word and the
//! pool holds nothing. Any other page is compressed; if the result is shorter than zsmalloc's
//! huge class size it is stored as it is compressed, in the size class of its length,
//! otherwise the page is stored uncompressed (huge) and takes a whole page. Every page of the
//! device, written or not, has a 16-byte slot (`Slot` in the driver's slot table), and every
//! object in the pool a handle of 8 bytes in a slab cache.

use crate::zsmalloc::{SizeClasses, PAGE_SIZE};
use std::time::{Duration, Instant};

/// The bytes of one slot of rzram's slot table, per page of `disksize`.
pub const SLOT_BYTES: u64 = 16;
/// The bytes of the handle zsmalloc allocates for each object (`ZS_HANDLE_SIZE`).
pub const HANDLE_BYTES: u64 = 8;

/// A compression algorithm the tool models, at the level zram and rzram use by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// LZ4 at acceleration 1 (`LZ4_compress_fast(..., 1)`, as `LZ4_compress_default()`).
    Lz4,
    /// Zstandard at level 3 (`zstd_default_clevel()`), with parameters for 4 KiB input.
    Zstd,
}

impl Algorithm {
    /// Every algorithm, in the order they are reported.
    pub const ALL: [Algorithm; 2] = [Algorithm::Lz4, Algorithm::Zstd];

    /// Returns the name `comp_algorithm` takes.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Lz4 => "lz4",
            Algorithm::Zstd => "zstd",
        }
    }

    /// Returns the level the kernel uses when `algorithm_params` sets none.
    pub fn level(self) -> i32 {
        match self {
            // LZ4_ACCELERATION_DEFAULT.
            Algorithm::Lz4 => 1,
            // ZSTD_CLEVEL_DEFAULT, what zstd_default_clevel() returns.
            Algorithm::Zstd => 3,
        }
    }

    /// Returns the algorithm called `name`, if the tool models it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A compressor for one algorithm, with its own output buffer.
enum Compressor {
    Lz4,
    Zstd(zstd::bulk::Compressor<'static>),
}

/// Returns `true` if every 8-byte word of `page` is the same, as zram's `page_same_filled()`.
pub fn same_filled(page: &[u8]) -> bool {
    let mut words = page.chunks_exact(8);
    match words.next() {
        Some(first) => words.all(|w| w == first),
        None => false,
    }
}

/// The tally of one algorithm over the pages seen so far.
pub struct Tally {
    algorithm: Algorithm,
    compressor: Compressor,
    buf: Vec<u8>,
    huge_class_size: usize,
    /// Pages seen.
    pub pages: u64,
    /// Same-filled pages (zero pages included).
    pub same_pages: u64,
    /// Pages stored uncompressed.
    pub huge_pages: u64,
    /// The bytes of the stored objects, as `mm_stat`'s `compr_data_size`.
    pub compr_data_size: u64,
    /// Objects per size-class index.
    pub class_counts: Vec<u64>,
    /// Time spent compressing.
    pub elapsed: Duration,
}

impl Tally {
    /// Starts a tally of `algorithm` for a pool with `classes`; fails if the compressor cannot
    /// be created.
    pub fn new(algorithm: Algorithm, classes: &SizeClasses) -> Result<Self, String> {
        let compressor = match algorithm {
            Algorithm::Lz4 => Compressor::Lz4,
            Algorithm::Zstd => Compressor::Zstd(
                zstd::bulk::Compressor::new(algorithm.level())
                    .map_err(|e| format!("cannot create a zstd compressor: {e}"))?,
            ),
        };
        Ok(Self {
            algorithm,
            compressor,
            // Room for LZ4's worst case; zstd's worst case for a page is smaller.
            buf: vec![0; lz4_flex::block::get_maximum_output_size(PAGE_SIZE)],
            huge_class_size: classes.huge_class_size(),
            pages: 0,
            same_pages: 0,
            huge_pages: 0,
            compr_data_size: 0,
            class_counts: vec![0; classes.len()],
            elapsed: Duration::ZERO,
        })
    }

    /// Returns the algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Compresses `page`; returns the compressed length, or `None` if the output did not fit
    /// (the page is then stored as it is, like a page that compresses too little).
    fn compress(&mut self, page: &[u8]) -> Option<usize> {
        let start = Instant::now();
        let len = match &mut self.compressor {
            Compressor::Lz4 => lz4_flex::block::compress_into(page, &mut self.buf).ok(),
            Compressor::Zstd(z) => z.compress_to_buffer(page, &mut self.buf).ok(),
        };
        self.elapsed += start.elapsed();
        len
    }

    /// Counts one page of `PAGE_SIZE` bytes; `same` says whether it is same-filled.
    pub fn add(&mut self, page: &[u8], same: bool, classes: &SizeClasses) {
        self.pages += 1;
        if same {
            self.same_pages += 1;
            return;
        }
        let stored = match self.compress(page) {
            Some(len) if len < self.huge_class_size => len,
            _ => {
                self.huge_pages += 1;
                PAGE_SIZE
            }
        };
        self.compr_data_size += stored as u64;
        let class = classes.class_of(stored);
        // `class.index` is an index of `classes`, which sized `class_counts`.
        if let Some(n) = self.class_counts.get_mut(class.index) {
            *n += 1;
        }
    }

    /// Returns the objects in the pool.
    pub fn objects(&self) -> u64 {
        self.pages - self.same_pages
    }

    /// Returns the bytes of the pool's pages, as `mm_stat`'s `mem_used_total` for a pool
    /// that only grew.
    pub fn pool_bytes(&self, classes: &SizeClasses) -> u64 {
        classes.pool_pages(&self.class_counts) * PAGE_SIZE as u64
    }
}

/// The memory a device uses, and what it is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceMemory {
    /// The pool's pages.
    pub pool: u64,
    /// The slot table: 16 bytes per page of `disksize`.
    pub slots: u64,
    /// The handles of the pool's objects.
    pub handles: u64,
}

impl DeviceMemory {
    /// Returns the whole.
    pub fn total(&self) -> u64 {
        self.pool + self.slots + self.handles
    }
}

/// Returns the memory of a device of `disksize` bytes full of data like the `input_bytes`
/// that `tally` saw: the objects of each size class and their handles scaled by
/// `disksize / input_bytes` (exact when they are equal) and packed into zspages, the slot
/// table for `disksize`.
pub fn device_memory(
    tally: &Tally,
    classes: &SizeClasses,
    input_bytes: u64,
    disksize: u64,
) -> DeviceMemory {
    let scale = |v: u64| -> u64 {
        if input_bytes == 0 || disksize == input_bytes {
            v
        } else {
            // Rounded to the nearest object.
            ((u128::from(v) * u128::from(disksize) + u128::from(input_bytes) / 2)
                / u128::from(input_bytes))
            .try_into()
            .unwrap_or(u64::MAX)
        }
    };
    let counts: Vec<u64> = tally.class_counts.iter().map(|n| scale(*n)).collect();
    DeviceMemory {
        pool: classes.pool_pages(&counts) * PAGE_SIZE as u64,
        slots: disksize.div_ceil(PAGE_SIZE as u64) * SLOT_BYTES,
        handles: counts.iter().sum::<u64>() * HANDLE_BYTES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zsmalloc::DEFAULT_CHAIN_SIZE;

    #[test]
    fn same_filled_needs_every_word_equal() {
        let mut page = vec![0u8; PAGE_SIZE];
        assert!(same_filled(&page));
        page.iter_mut().for_each(|b| *b = 0xa5);
        assert!(same_filled(&page));
        // A repeating 8-byte pattern whose bytes differ is still one word.
        for (i, b) in page.iter_mut().enumerate() {
            *b = (i % 8) as u8;
        }
        assert!(same_filled(&page));
        page[PAGE_SIZE - 1] ^= 1;
        assert!(!same_filled(&page));
        // A 3-byte pattern does not repeat every word.
        let mut odd = vec![0u8; PAGE_SIZE];
        for (i, b) in odd.iter_mut().enumerate() {
            *b = (i % 3) as u8;
        }
        assert!(!same_filled(&odd));
    }

    #[test]
    fn algorithms_by_name() {
        assert_eq!(Algorithm::from_name("lz4"), Some(Algorithm::Lz4));
        assert_eq!(Algorithm::from_name("zstd"), Some(Algorithm::Zstd));
        assert_eq!(Algorithm::from_name("lzo"), None);
    }

    #[test]
    fn a_compressible_page_costs_its_class_and_a_random_one_a_page() -> Result<(), String> {
        let classes = SizeClasses::new(DEFAULT_CHAIN_SIZE);
        let mut t = Tally::new(Algorithm::Lz4, &classes)?;
        let text: Vec<u8> = b"abcdefghij"
            .iter()
            .cycle()
            .take(PAGE_SIZE)
            .copied()
            .collect();
        t.add(&text, same_filled(&text), &classes);
        assert_eq!((t.pages, t.same_pages, t.huge_pages), (1, 0, 0));
        assert!(t.compr_data_size > 0 && t.compr_data_size < 100);
        let mut x = 0x12345678u32;
        let random: Vec<u8> = (0..PAGE_SIZE)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        t.add(&random, same_filled(&random), &classes);
        assert_eq!(t.huge_pages, 1);
        // One zspage of the small object's class, one page for the huge one.
        let zspage = classes
            .class_of(t.compr_data_size as usize - PAGE_SIZE)
            .pages_per_zspage;
        let pool = (zspage as u64 + 1) * PAGE_SIZE as u64;
        assert_eq!(t.pool_bytes(&classes), pool);
        // Twice the data: twice the objects, which still fit the same zspage, and two more
        // huge pages.
        let m = device_memory(&t, &classes, 2 * PAGE_SIZE as u64, 4 * PAGE_SIZE as u64);
        assert_eq!(m.pool, pool + PAGE_SIZE as u64);
        assert_eq!(m.slots, 4 * SLOT_BYTES);
        assert_eq!(m.handles, 4 * HANDLE_BYTES);
        Ok(())
    }
}
