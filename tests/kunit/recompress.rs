// SPDX-License-Identifier: GPL-2.0

//! Recompression on a real meta (pool, streams, slot table) without a disk.

#[kernel::prelude::kunit_tests(rzram_recompress)]
mod tests {
    use crate::{
        comp::{Algorithm, Params},
        meta::{CompConfig, Meta, WbConfig},
        recompress::{self, Request},
        slot::Slot,
        stream,
    };
    use kernel::{page::PAGE_SIZE, prelude::*};

    /// A page of pseudo-random bytes (xorshift from `seed`), or of their hex digits: LZ4
    /// cannot shrink either below the huge class; zstd halves the hex page and cannot help
    /// the random one.
    fn page(seed: u64, hex: bool) -> Result<KVec<u8>> {
        let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL)?;
        let mut x = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
        while page.len() < PAGE_SIZE {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if hex {
                page.push(b"0123456789abcdef"[(x & 15) as usize], GFP_KERNEL)?;
            } else {
                page.push(x as u8, GFP_KERNEL)?;
            }
        }
        Ok(page)
    }

    /// A meta of 64 pages with LZ4 as the primary algorithm and zstd at priority 1.
    fn meta() -> Result<KBox<Meta>> {
        let p = Params::default();
        let comps: CompConfig = [
            Some((Algorithm::Lz4, p)),
            Some((Algorithm::Zstd, p)),
            None,
            None,
        ];
        Meta::new(
            &stream::new_state()?,
            9999,
            64 * PAGE_SIZE as u64,
            &comps,
            0,
            WbConfig::default(),
        )
    }

    /// Stores `data` at `index` uncompressed, as the write path does with a huge page.
    fn store_huge(meta: &Meta, index: usize, data: &[u8]) -> Result {
        let new = Slot::stored(meta.pool.store(data)?, true);
        meta.account(&new);
        let old = meta.slots.lock(index)?.replace(new);
        meta.release(old);
        Ok(())
    }

    /// Returns the page at `index`, through the algorithm that stored it.
    fn read(meta: &Meta, index: usize) -> Result<KVec<u8>> {
        let slot = meta.slots.lock(index)?;
        let Slot::Stored { handle, flags, .. } = slot.get() else {
            return Err(EINVAL);
        };
        let mut stream = meta.comp(flags.prio()).ok_or(EIO)?.streams.get();
        meta.load(&mut stream, handle, flags.huge())?;
        let mut out = KVec::new();
        out.extend_from_slice(&stream.page, GFP_KERNEL)?;
        Ok(out)
    }

    fn huge_only(prio: u8) -> Request {
        Request {
            huge: true,
            prio,
            ..Request::default()
        }
    }

    #[test]
    fn huge_pages_shrink_keep_their_data_and_accounting() -> Result {
        let meta = meta()?;
        for i in 0..8 {
            store_huge(&meta, i, &page(i as u64, true)?)?;
        }
        assert_eq!(meta.mm_stat().huge_pages, 8);
        let out = recompress::run(&meta, &huge_only(1))?;
        assert_eq!((out.tried, out.recompressed), (8, 8));
        let mm = meta.mm_stat();
        assert_eq!(mm.huge_pages, 0);
        assert_eq!(mm.huge_pages_since, 8);
        assert_eq!(mm.orig_data_size, 8 * PAGE_SIZE as u64);
        assert!(mm.compr_data_size < 8 * PAGE_SIZE as u64 * 2 / 3);
        for i in 0..8 {
            assert!(read(&meta, i)?[..] == page(i as u64, true)?[..]);
        }
        let flags = meta.slots.lock(0)?.get().flags();
        assert!(flags.is_some_and(|f| f.prio() == 1 && !f.huge()));
        // Pages already at priority 1 are not tried again.
        let out = recompress::run(
            &meta,
            &Request {
                prio: 1,
                ..Request::default()
            },
        )?;
        assert_eq!(out.tried, 0);
        Ok(())
    }

    #[test]
    fn max_pages_idle_and_incompressible_select_pages() -> Result {
        let meta = meta()?;
        for i in 0..4 {
            store_huge(&meta, i, &page(i as u64, true)?)?;
        }
        store_huge(&meta, 4, &page(4, false)?)?;
        let out = recompress::run(
            &meta,
            &Request {
                max_pages: Some(2),
                ..huge_only(1)
            },
        )?;
        assert_eq!((out.tried, out.recompressed), (2, 2));
        assert_eq!(meta.mm_stat().huge_pages, 3);

        // Pages 2, 3 and 4 are still huge; page 2 is used after `idle all`.
        meta.mark_idle(None);
        if let Some(flags) = meta.slots.lock(2)?.get_mut().flags_mut() {
            flags.set_idle(false);
        }
        let out = recompress::run(
            &meta,
            &Request {
                idle: true,
                ..huge_only(1)
            },
        )?;
        // Page 3 shrinks; random page 4 does not, and as zstd is the last algorithm, it is
        // marked incompressible.
        assert_eq!((out.tried, out.recompressed), (2, 1));
        let flags = meta.slots.lock(4)?.get().flags();
        assert!(flags.is_some_and(|f| f.incompressible() && f.huge() && !f.idle()));
        // Only page 2 is left to try.
        let out = recompress::run(&meta, &huge_only(1))?;
        assert_eq!((out.tried, out.recompressed), (1, 1));
        for i in 0..5 {
            assert!(read(&meta, i)?[..] == page(i as u64, i < 4)?[..]);
        }
        Ok(())
    }

    #[test]
    fn a_priority_without_an_algorithm_is_einval() -> Result {
        let meta = meta()?;
        assert!(matches!(recompress::run(&meta, &huge_only(2)), Err(e) if e == EINVAL));
        Ok(())
    }
}
