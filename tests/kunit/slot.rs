// SPDX-License-Identifier: GPL-2.0

//! The slot table and the pool behind it.

#[kernel::prelude::kunit_tests(rzram_slot)]
mod tests {
    use crate::{slot::Slot, slot::SlotTable, zspool::ZsPool};
    use kernel::{compress::Source, page::PAGE_SIZE, prelude::*};

    /// The driver's same-filled check, on a slice.
    fn same_filled(page: &[u8]) -> Option<u64> {
        Source::from(page).repeated_word()
    }

    #[test]
    fn new_table_is_empty_and_sized() -> Result {
        let table = SlotTable::new(1000, 64)?;
        assert_eq!(table.pages(), 1000);
        for i in [0, 1, 63, 64, 999] {
            assert!(matches!(table.lock(i)?.get(), Slot::Empty));
        }
        Ok(())
    }

    #[test]
    fn out_of_range_is_einval() -> Result {
        let table = SlotTable::new(10, 4)?;
        assert!(matches!(table.lock(10), Err(e) if e == EINVAL));
        assert!(matches!(table.lock(usize::MAX), Err(e) if e == EINVAL));
        Ok(())
    }

    #[test]
    fn replace_returns_the_old_slot() -> Result {
        let table = SlotTable::new(100, 8)?;
        assert!(matches!(
            table.lock(42)?.replace(Slot::Same(7)),
            Slot::Empty
        ));
        assert!(matches!(table.lock(42)?.get(), Slot::Same(7)));
        // Neighbours in the same and in other stripes are untouched.
        assert!(matches!(table.lock(41)?.get(), Slot::Empty));
        assert!(matches!(table.lock(50)?.get(), Slot::Empty));
        assert!(matches!(
            table.lock(42)?.replace(Slot::Empty),
            Slot::Same(7)
        ));
        Ok(())
    }

    #[test]
    fn more_stripes_than_pages_is_fine() -> Result {
        let table = SlotTable::new(3, 1024)?;
        table.lock(2)?.replace(Slot::Same(1));
        assert!(matches!(table.lock(2)?.get(), Slot::Same(1)));
        Ok(())
    }

    #[test]
    fn pool_stores_and_reads_back_bytes() -> Result {
        let pool = ZsPool::new(c"rzram_kunit")?;
        let mut data = KVec::new();
        for i in 0..1000u32 {
            data.push((i * 7 % 251) as u8, GFP_KERNEL)?;
        }
        let handle = pool.store(&data)?;
        assert_eq!(handle.size(), 1000);
        let mut scratch = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        let same = pool.read(&handle, &mut scratch, |bytes| bytes == &data[..])?;
        assert!(same);
        assert!(pool.total_pages() > 0);
        // Too little scratch space for the object.
        assert_eq!(pool.read(&handle, &mut scratch[..999], |_| ()), Err(EINVAL));
        pool.free(handle);
        assert_eq!(pool.store(&[]).map(|_| ()), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn pool_takes_objects_of_one_byte_to_one_page() -> Result {
        let pool = ZsPool::new(c"rzram_kunit")?;
        let page = KVec::from_elem(0x5au8, PAGE_SIZE + 1, GFP_KERNEL)?;
        assert_eq!(pool.store(&page).map(|_| ()), Err(EINVAL));
        let mut scratch = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        for len in [1, 2, 100, PAGE_SIZE - 1, PAGE_SIZE] {
            let handle = pool.store(&page[..len])?;
            assert_eq!(handle.size(), len);
            let ok = pool.read(&handle, &mut scratch, |bytes| bytes == &page[..len])?;
            assert!(ok);
            pool.free(handle);
        }
        Ok(())
    }

    #[test]
    fn pool_classes_and_stats() -> Result {
        let pool = ZsPool::new(c"rzram_kunit")?;
        let huge = pool.huge_class_size();
        assert!(huge > 0 && huge <= PAGE_SIZE);
        assert!(pool.class_index(32) < pool.class_index(3000));
        assert_eq!(pool.class_index(100), pool.class_index(100));
        assert_eq!(pool.total_pages(), 0);
        // Fill several zspages, free every other object and compact.
        let data = KVec::from_elem(0x11u8, 1000, GFP_KERNEL)?;
        let mut handles = KVec::new();
        for _ in 0..64 {
            handles.push(pool.store(&data)?, GFP_KERNEL)?;
        }
        let full = pool.total_pages();
        assert!(full > 0);
        let mut keep = KVec::new();
        for (i, handle) in handles.into_iter().enumerate() {
            if i % 2 == 0 {
                pool.free(handle);
            } else {
                keep.push(handle, GFP_KERNEL)?;
            }
        }
        let freed = pool.compact();
        assert!(pool.pages_compacted() >= freed);
        assert!(pool.total_pages() <= full);
        let mut scratch = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        for handle in keep {
            // Objects moved by compaction still read back whole.
            assert!(pool.read(&handle, &mut scratch, |bytes| bytes == &data[..])?);
            pool.free(handle);
        }
        assert_eq!(pool.total_pages(), 0);
        Ok(())
    }

    #[test]
    fn same_filled_pages_are_recognised() -> Result {
        let mut page = KVec::from_elem(0xabu8, PAGE_SIZE, GFP_KERNEL)?;
        assert_eq!(same_filled(&page), Some(0xabababababababab));
        page[PAGE_SIZE - 1] = 0;
        assert_eq!(same_filled(&page), None);
        page[PAGE_SIZE - 1] = 0xab;
        page[PAGE_SIZE / 2 + 3] = 0;
        assert_eq!(same_filled(&page), None);
        page[PAGE_SIZE / 2 + 3] = 0xab;
        page[0] = 0;
        assert_eq!(same_filled(&page), None);
        let zero = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        assert_eq!(same_filled(&zero), Some(0));
        assert_eq!(same_filled(&zero[..4]), None);
        // Unaligned: read as bytes.
        assert_eq!(same_filled(&page[1..17]), Some(0xabababababababab));
        assert_eq!(same_filled(&page[..16]), None);
        Ok(())
    }
}
