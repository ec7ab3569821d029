// SPDX-License-Identifier: GPL-2.0

//! zsmalloc's size classes, as Linux 7.3 builds them for a pool on x86_64 with 4 KiB pages.
//!
//! An object of `len` bytes goes to the class of `len + 8` bytes (zsmalloc adds the size of a
//! handle before it looks the class up), rounded up to the next multiple of 16 above 32
//! (`ZS_MIN_ALLOC_SIZE + k * ZS_SIZE_CLASS_DELTA`). Each class keeps its objects in zspages
//! of 1 to `CONFIG_ZSMALLOC_CHAIN_SIZE` (default 8) pages, the chain length that wastes the
//! least of the zspage; neighbouring classes with the same chain length and object count are
//! merged into the largest of them. A class whose zspage is one page holding one object is
//! huge: its objects take a whole page. `huge_class_size` is the first object length that
//! lands in a huge class: with a chain of 8 pages, 3625 bytes (the largest class that is not
//! huge holds 3632 bytes, 3625 + 8 of them no longer fit). rzram, like zram, stores a page
//! uncompressed when it does not compress below that length.

/// The page size: the unit of a device and of the pool.
pub const PAGE_SIZE: usize = 4096;
/// What zsmalloc adds to each object before it picks a class (`ZS_HANDLE_SIZE`).
const HANDLE_SIZE: usize = 8;
/// The bits of a class index (`CLASS_BITS`).
const CLASS_BITS: u32 = 8;
/// The step between classes (`ZS_SIZE_CLASS_DELTA`): 16 bytes.
const DELTA: usize = PAGE_SIZE >> CLASS_BITS;
/// The largest object (`ZS_MAX_ALLOC_SIZE`).
const MAX_ALLOC: usize = PAGE_SIZE;
/// `MAX_POSSIBLE_PHYSMEM_BITS` on x86_64.
const PHYSMEM_BITS: u32 = 52;
/// The kernel's default `CONFIG_ZSMALLOC_CHAIN_SIZE`, which the test kernels use too.
pub const DEFAULT_CHAIN_SIZE: usize = 8;

/// One size class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    /// The size of each object slot in the class.
    pub size: usize,
    /// The pages of one zspage.
    pub pages_per_zspage: usize,
    /// The objects one zspage holds.
    pub objs_per_zspage: usize,
    /// The index of the class (after merging: the largest index it covers).
    pub index: usize,
}

impl Class {
    /// Returns `true` if each object of the class takes a whole page.
    #[cfg(test)]
    pub fn huge(&self) -> bool {
        self.pages_per_zspage == 1 && self.objs_per_zspage == 1
    }
}

/// The classes of one pool.
///
/// # Invariants
///
/// `classes` has one entry per class index, `classes.len() >= 1`, and each entry names a
/// class whose `index` is a valid index into `classes`.
#[derive(Clone, Debug)]
pub struct SizeClasses {
    classes: Vec<Class>,
    huge_class_size: usize,
    min_alloc: usize,
}

/// Returns the chain length (pages per zspage) that wastes the least for objects of `size`,
/// as `calculate_zspage_chain_size()`.
fn chain_length(size: usize, max_chain: usize) -> usize {
    if size.is_power_of_two() {
        return 1;
    }
    let mut best = 1;
    let mut min_waste = usize::MAX;
    for pages in 1..=max_chain {
        let waste = pages * PAGE_SIZE % size;
        if waste < min_waste {
            min_waste = waste;
            best = pages;
        }
    }
    best
}

/// Returns `ceil(log2(n))` for the chain sizes the kernel allows (4 to 16), as the
/// `ZS_PAGES_PER_ZSPAGE_BITS` ladder.
fn chain_bits(max_chain: usize) -> u32 {
    if max_chain <= 4 {
        2
    } else if max_chain <= 8 {
        3
    } else {
        4
    }
}

impl SizeClasses {
    /// Builds the classes for chains of at most `max_chain` pages (clamped to the 4 to 16
    /// that Kconfig allows), as `zs_create_pool()`.
    pub fn new(max_chain: usize) -> Self {
        let max_chain = max_chain.clamp(4, 16);
        let pfn_shift = 64 - (PHYSMEM_BITS - PAGE_SIZE.trailing_zeros());
        let objs_bits = chain_bits(max_chain) + (PAGE_SIZE.trailing_zeros() - 5);
        let class_bits = if pfn_shift >= (CLASS_BITS + 1) + objs_bits {
            CLASS_BITS + 1
        } else {
            0
        };
        let idx_bits = pfn_shift - class_bits;
        let min_alloc = 32.max((max_chain * PAGE_SIZE) >> idx_bits);
        let count = (MAX_ALLOC - min_alloc).div_ceil(DELTA) + 1;

        let mut classes = vec![
            Class {
                size: 0,
                pages_per_zspage: 0,
                objs_per_zspage: 0,
                index: 0,
            };
            count
        ];
        let mut huge_class_size = 0;
        let mut prev: Option<Class> = None;
        for i in (0..count).rev() {
            let size = (min_alloc + i * DELTA).min(MAX_ALLOC);
            let pages_per_zspage = chain_length(size, max_chain);
            let objs_per_zspage = pages_per_zspage * PAGE_SIZE / size;
            if pages_per_zspage != 1 && objs_per_zspage != 1 && huge_class_size == 0 {
                // An object this long or longer grows past this class with its handle.
                huge_class_size = size - (HANDLE_SIZE - 1);
            }
            let class = match prev {
                Some(p)
                    if p.pages_per_zspage == pages_per_zspage
                        && p.objs_per_zspage == objs_per_zspage =>
                {
                    p
                }
                _ => Class {
                    size,
                    pages_per_zspage,
                    objs_per_zspage,
                    index: i,
                },
            };
            classes[i] = class;
            prev = Some(class);
        }
        // INVARIANT: `count >= 1`, and each entry is a class built at an index in range.
        Self {
            classes,
            huge_class_size,
            min_alloc,
        }
    }

    /// Returns the first object length that is stored in a huge class (`zs_huge_class_size()`).
    pub fn huge_class_size(&self) -> usize {
        self.huge_class_size
    }

    /// Returns the number of class indices.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Returns the class an object of `len` bytes is allocated from.
    pub fn class_of(&self, len: usize) -> Class {
        let size = len + HANDLE_SIZE;
        let idx = if size > self.min_alloc {
            (size - self.min_alloc).div_ceil(DELTA)
        } else {
            0
        };
        let last = self.classes.len() - 1;
        // By the invariant, `last` is in range.
        self.classes[idx.min(last)]
    }

    /// Returns the pool's pages for `counts[i]` objects in the class of index `i`, every
    /// zspage filled before the next is started (a pool that only grew).
    pub fn pool_pages(&self, counts: &[u64]) -> u64 {
        counts
            .iter()
            .zip(&self.classes)
            .filter(|(n, c)| **n > 0 && c.objs_per_zspage > 0)
            .map(|(n, c)| n.div_ceil(c.objs_per_zspage as u64) * c.pages_per_zspage as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_as_linux_7_3_with_a_chain_of_8() {
        let c = SizeClasses::new(DEFAULT_CHAIN_SIZE);
        assert_eq!(c.len(), 255);
        assert_eq!(c.huge_class_size(), 3625);
        // Below the huge class: 3624 bytes plus the handle fit the 3632-byte class.
        let big = c.class_of(3624);
        assert_eq!(
            (big.size, big.pages_per_zspage, big.objs_per_zspage),
            (3632, 8, 9)
        );
        assert!(!big.huge());
        assert!(c.class_of(3625).huge());
        assert_eq!(c.class_of(PAGE_SIZE).size, PAGE_SIZE);
        assert!(c.class_of(PAGE_SIZE).huge());
        // The smallest class holds 32 bytes, a page of 128 objects.
        let small = c.class_of(1);
        assert_eq!(
            (small.size, small.pages_per_zspage, small.objs_per_zspage),
            (32, 1, 128)
        );
        // 100 bytes + 8 go to the 112-byte class: 7 pages hold exactly 256 objects.
        let mid = c.class_of(100);
        assert_eq!(
            (mid.size, mid.pages_per_zspage, mid.objs_per_zspage),
            (112, 7, 256)
        );
    }

    #[test]
    fn pool_pages_fill_zspages_in_turn() {
        let c = SizeClasses::new(DEFAULT_CHAIN_SIZE);
        let mut counts = vec![0u64; c.len()];
        // 129 objects of the 32-byte class: two zspages of one page.
        counts[c.class_of(1).index] += 129;
        // Three huge objects: three pages.
        counts[c.class_of(PAGE_SIZE).index] += 3;
        assert_eq!(c.pool_pages(&counts), 5);
    }
}
