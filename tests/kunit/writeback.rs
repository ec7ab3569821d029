// SPDX-License-Identifier: GPL-2.0

//! Writeback: zram's request syntax, page selection, slot state bits, and the writeback of
//! pages of a real meta, without a disk, up to the point where a store is needed.

#[kernel::prelude::kunit_tests(rzram_writeback)]
mod tests {
    use crate::{
        comp::{Algorithm, Params},
        meta::{CompConfig, Meta, WbConfig},
        parse::parse_bool,
        slot::{Flags, Slot},
        stream,
        writeback::{parse_request, run, Budget, Mode, Scan},
    };
    use kernel::{page::PAGE_SIZE, prelude::*, sync::atomic::Relaxed};

    fn scan(mode: Mode, lo: usize, hi: usize) -> Scan {
        Scan { mode, lo, hi }
    }

    #[test]
    fn a_mode_alone_or_as_type_scans_the_device_and_ends_the_request() -> Result {
        let idle = Mode::parse(b"idle")?;
        assert_eq!(&parse_request(b"idle\n", 100)?[..], &[scan(idle, 0, 100)]);
        assert_eq!(
            &parse_request(b"type=idle page_index=3", 100)?[..],
            &[scan(idle, 0, 100)]
        );
        let huge_idle = Mode::parse(b"huge_idle")?;
        assert!(huge_idle.huge && huge_idle.idle && !huge_idle.incompressible);
        Ok(())
    }

    #[test]
    fn page_indexes_scan_their_range_with_every_stored_page() -> Result {
        let all = Mode::default();
        assert_eq!(
            &parse_request(b"page_indexes=4-5 page_index=8", 100)?[..],
            &[scan(all, 4, 6), scan(all, 8, 9)]
        );
        // A mode after a range scans that range again, with the mode.
        let huge = Mode::parse(b"huge")?;
        assert_eq!(
            &parse_request(b"page_index=7 type=huge", 100)?[..],
            &[scan(all, 7, 8), scan(huge, 7, 8)]
        );
        // Unknown keys are ignored; an empty request scans nothing.
        assert_eq!(parse_request(b"colour=red", 100)?.len(), 0);
        assert_eq!(parse_request(b"", 100)?.len(), 0);
        Ok(())
    }

    #[test]
    fn bad_requests_get_zram_errors() {
        let err = |input: &[u8]| parse_request(input, 100).err();
        assert_eq!(err(b"sometimes"), Some(EINVAL));
        assert_eq!(err(b"type=x"), Some(EINVAL));
        assert_eq!(err(b"page_index=100"), Some(ERANGE));
        assert_eq!(err(b"page_index=x"), Some(EINVAL));
        assert_eq!(err(b"page_indexes=9-3"), Some(ERANGE));
        assert_eq!(err(b"page_indexes=9"), Some(EINVAL));
        assert_eq!(err(b"page_indexes=1-100"), Some(ERANGE));
    }

    #[test]
    fn booleans_parse_like_kstrtobool() {
        for t in [&b"1"[..], b"y", b"Yes", b"on", b"true", b"E"] {
            assert_eq!(parse_bool(t), Ok(true));
        }
        for f in [&b"0"[..], b"n", b"off", b"false", b"D"] {
            assert_eq!(parse_bool(f), Ok(false));
        }
        assert_eq!(parse_bool(b"o"), Err(EINVAL));
        assert_eq!(parse_bool(b""), Err(EINVAL));
        assert_eq!(parse_bool(b"2"), Err(EINVAL));
    }

    #[test]
    fn a_slot_is_sixteen_bytes_and_keeps_its_state_bits() {
        assert_eq!(core::mem::size_of::<Slot>(), 16);
        let mut flags = Flags::new(true).with_prio(3);
        assert!(flags.huge() && flags.prio() == 3 && !flags.idle());
        flags.set_idle(true);
        flags.set_pending(true);
        flags.set_incompressible(true);
        assert!(flags.idle() && flags.pending() && flags.incompressible());
        assert_eq!(flags.prio(), 3);
        let mut slot = Slot::Backed {
            block: u32::MAX,
            len: PAGE_SIZE as u16,
            flags,
            ac_time: 5,
        };
        slot.touch(9);
        let flags = slot.flags().unwrap_or_default();
        assert!(!flags.idle() && !flags.pending() && flags.huge());
        assert_eq!(slot.ac_time(), Some(9));
    }

    /// A meta of 16 pages, LZ4, with text pages at 0..8 and nothing else.
    fn meta_with_pages() -> Result<KBox<Meta>> {
        let comps: CompConfig = [Some((Algorithm::Lz4, Params::default())), None, None, None];
        let meta = Meta::new(
            &stream::new_state()?,
            9998,
            16 * PAGE_SIZE as u64,
            &comps,
            0,
            WbConfig::default(),
        )?;
        let mut page = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        for (i, b) in page.iter_mut().enumerate() {
            *b = b"rzram writeback "[i % 16];
        }
        for index in 0..8 {
            let new = Slot::stored(meta.pool.store(&page[..100])?, false);
            meta.account(&new);
            let old = meta.slots.lock(index)?.replace(new);
            meta.release(old);
        }
        Ok(meta)
    }

    #[test]
    fn writeback_without_a_store_is_enodev_and_changes_nothing() -> Result {
        let meta = meta_with_pages()?;
        let scans = parse_request(b"idle", 16)?;
        meta.mark_idle(None);
        assert_eq!(run(&meta, &Budget::new(), &scans).err(), Some(ENODEV));
        assert!(matches!(meta.slots.lock(0)?.get(), Slot::Stored { .. }));
        assert_eq!(meta.bd_stat().count, 0);
        Ok(())
    }

    #[test]
    fn idle_by_age_marks_old_pages_and_unmarks_new_ones() -> Result {
        let meta = meta_with_pages()?;
        if let Slot::Stored { ac_time, .. } = meta.slots.lock(0)?.get_mut() {
            *ac_time = 10;
        }
        if let Slot::Stored { ac_time, .. } = meta.slots.lock(1)?.get_mut() {
            *ac_time = 30;
        }
        meta.mark_idle(None);
        meta.mark_idle(Some(20));
        let idle = |i| Ok::<_, Error>(meta.slots.lock(i)?.get().flags().is_some_and(|f| f.idle()));
        assert!(idle(0)?);
        assert!(!idle(1)?);
        Ok(())
    }

    #[test]
    fn the_budget_starts_off_with_zrams_batch_size() {
        let budget = Budget::new();
        assert_eq!(budget.batch_size.load(Relaxed), 32);
        assert!(!budget.enabled.load(Relaxed));
    }
}
