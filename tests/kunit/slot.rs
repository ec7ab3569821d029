// SPDX-License-Identifier: GPL-2.0

//! The slot table and the pool behind it.

#[kernel::prelude::kunit_tests(rzram_slot)]
mod tests {
    use crate::{io::same_filled, slot::Slot, slot::SlotTable, zspool::ZsPool};
    use kernel::{page::PAGE_SIZE, prelude::*};

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
        assert_eq!(handle.len(), 1000);
        let mut scratch = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        // SAFETY: `handle` was made by `pool`.
        let same = unsafe { pool.read(&handle, &mut scratch, |bytes| bytes == &data[..])? };
        assert!(same);
        assert!(pool.total_pages() > 0);
        // SAFETY: As above; `handle` is not used again.
        unsafe { pool.free(handle) };
        assert_eq!(pool.store(&[]).map(|_| ()), Err(EINVAL));
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
        Ok(())
    }
}
