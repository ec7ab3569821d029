// SPDX-License-Identifier: GPL-2.0

//! A print-only bench of the stages of a page's way through rzram: it never fails on a figure.
//!
//! For each class of data it times, per page, each stage the way the request path runs it
//! (io.rs, meta.rs), next to the kernel primitive that stage is built on (the floor), and
//! prints one line per stage:
//!
//! ```text
//! rzram_bench: <class> <stage> driver <ns> floor <ns> overhead <ns>
//! ```
//!
//! The stages, per class: `same` (the same-filled check; zram's is the same scan and has no
//! kernel primitive), `compress` (the CPU's stream, locked, and its compressor; floor: `lib/lz4`
//! alone), `store` (the pool and the limit check; floor: zsmalloc alone) and `load` (the slot's
//! stripe, the stream, the object read and decompressed into a page, the access time; floor:
//! zsmalloc's read and `lib/lz4`, or the page copy, alone). Then, once for any data, with
//! same-filled slots: `install` (the slot's stripe, accounting and the old slot released), and
//! what every request pays: `gate` (a reference to the meta, taken and dropped), `slot_lock`,
//! `boot_secs` (the clock read of the access time) and `counter` (one statistic). These have
//! no floor.
//!
//! `make bench` runs it under QEMU's `-icount shift=0`, where a guest nanosecond is one
//! instruction: the figures are instruction counts and repeat exactly. In `make test` it runs
//! like every suite, as a check that each stage works on every class.

#[kernel::prelude::kunit_tests(rzram_bench)]
mod tests {
    use crate::{
        comp::{Algorithm, Params},
        gate::{new_gate, Gate},
        meta::{CompConfig, Meta, WbConfig},
        slot::{boot_secs, Slot},
        stream,
        zspool::{Handle, ZsPool},
    };
    use core::hint::black_box;
    use kernel::{
        compress::{Destination, Lz4, Source},
        page::PAGE_SIZE,
        prelude::*,
        time::{Instant, Monotonic},
    };

    /// Distinct pages per class.
    const PAGES: usize = 32;
    /// Passes over them per stage.
    const ROUNDS: usize = 8;

    /// The classes of data: zero and same-filled pages (never compressed), decimal text
    /// (`seq` output: lz4 halves it), hex digits (lz4 cannot bring them below the huge class)
    /// and random bytes.
    const CLASSES: [&str; 5] = ["zero", "pattern", "text", "hex", "random"];

    /// Returns page `i` of `class`.
    fn page(class: &str, i: usize) -> Result<KVec<u8>> {
        let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL)?;
        let mut x = (i as u64 + 1).wrapping_mul(0x9e3779b97f4a7c15) | 1;
        let mut n = i * 500 + 1;
        while page.len() < PAGE_SIZE {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match class {
                "zero" => page.push(0, GFP_KERNEL)?,
                "pattern" => page.extend_from_slice(&0x5a5a_0001_u64.to_ne_bytes(), GFP_KERNEL)?,
                "text" => {
                    let mut line = [0u8; 24];
                    let mut len = 0;
                    let mut v = n;
                    while v > 0 || len == 0 {
                        line[len] = b'0' + (v % 10) as u8;
                        v /= 10;
                        len += 1;
                    }
                    line[..len].reverse();
                    line[len] = b'\n';
                    let room = PAGE_SIZE - page.len();
                    page.extend_from_slice(&line[..(len + 1).min(room)], GFP_KERNEL)?;
                    n += 1;
                }
                "hex" => page.push(b"0123456789abcdef"[(x & 15) as usize], GFP_KERNEL)?,
                _ => page.push(x as u8, GFP_KERNEL)?,
            }
        }
        Ok(page)
    }

    /// Calls `f` for each page index, `ROUNDS` times, and returns the mean nanoseconds per
    /// call.
    fn per_page(mut f: impl FnMut(usize) -> Result) -> Result<i64> {
        let start = Instant::<Monotonic>::now();
        for _ in 0..ROUNDS {
            for i in 0..PAGES {
                f(i)?;
            }
        }
        Ok(start.elapsed().as_nanos() / (ROUNDS * PAGES) as i64)
    }

    fn report(class: &str, stage: &str, driver: i64, floor: Option<i64>) {
        match floor {
            Some(floor) => pr_info!(
                "rzram_bench: {class:<7} {stage:<9} driver {driver:>7} floor {floor:>7} overhead {:>6}\n",
                driver - floor
            ),
            None => pr_info!("rzram_bench: {class:<7} {stage:<9} driver {driver:>7} floor       - overhead      -\n"),
        }
    }

    /// A meta of `PAGES` pages with lz4, as `disksize` makes it.
    fn meta() -> Result<KBox<Meta>> {
        let comps: CompConfig = [Some((Algorithm::Lz4, Params::default())), None, None, None];
        Meta::new(
            &stream::new_state()?,
            9998,
            (PAGES * PAGE_SIZE) as u64,
            &comps,
            0,
            WbConfig::default(),
        )
    }

    /// Times the stages of one class that stores its pages (not same-filled).
    fn stored_class(class: &str, pages: &[KVec<u8>]) -> Result {
        let meta = meta()?;
        let floor_pool = ZsPool::new(c"rzram_bench")?;
        let mut lz4 = Lz4::new(Lz4::DEFAULT_ACCELERATION)?;
        let mut out = KVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL)?;

        let driver = per_page(|i| {
            let mut stream = meta.primary().streams.get();
            let stream::Stream { comp, buf, .. } = &mut *stream;
            comp.compress(&pages[i][..], buf).map(|_| ())
        })?;
        let floor = per_page(|i| lz4.compress(&pages[i][..], &mut out).map(|_| ()))?;
        report(class, "compress", driver, Some(floor));

        // The objects as the write path makes them: compressed below the huge class, or the
        // page as it is.
        let mut objects = KVec::with_capacity(PAGES, GFP_KERNEL)?;
        for page in pages {
            let len = lz4.compress(&page[..], &mut out)?;
            let mut object = KVec::new();
            if len < meta.huge_class {
                object.extend_from_slice(&out[..len], GFP_KERNEL)?;
            } else {
                object.extend_from_slice(page, GFP_KERNEL)?;
            }
            objects.push(object, GFP_KERNEL)?;
        }
        let huge = |i: usize| objects[i].len() == PAGE_SIZE;

        let mut handles: KVec<Handle> = KVec::with_capacity(PAGES * ROUNDS, GFP_KERNEL)?;
        let driver = per_page(|i| {
            let handle = meta.pool.store(&objects[i])?;
            let within = meta.within_limit();
            handles.push(handle, GFP_KERNEL)?;
            if within {
                Ok(())
            } else {
                Err(ENOMEM)
            }
        })?;
        handles.drain_all().for_each(|h| meta.free_object(h));
        let floor = per_page(|i| {
            handles.push(floor_pool.store(&objects[i])?, GFP_KERNEL)?;
            Ok(())
        })?;
        handles.drain_all().for_each(|h| floor_pool.free(h));
        report(class, "store", driver, Some(floor));

        // One object per slot for the loads, and the same objects in the floor's pool.
        let mut floor_handles = KVec::with_capacity(PAGES, GFP_KERNEL)?;
        for (i, object) in objects.iter().enumerate() {
            let new = Slot::stored(meta.pool.store(object)?, huge(i));
            meta.account(&new);
            meta.release(meta.slots.lock(i)?.replace(new));
            floor_handles.push(floor_pool.store(object)?, GFP_KERNEL)?;
        }
        let mut page_out = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        let driver = per_page(|i| {
            let mut slot = meta.slots.lock(i)?;
            let Slot::Stored { handle, flags, .. } = slot.get() else {
                return Err(EINVAL);
            };
            let mut stream = meta.comp(flags.prio()).ok_or(EIO)?.streams.get();
            let stream::Stream { comp, buf, .. } = &mut *stream;
            meta.load_into(
                comp,
                buf,
                handle,
                flags.huge(),
                page_out.as_mut_slice().into(),
            )?;
            slot.get_mut().touch(boot_secs());
            Ok(())
        })?;
        let mut scratch = KVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL)?;
        let floor = per_page(|i| {
            floor_pool.read(&floor_handles[i], &mut scratch, |src| {
                if huge(i) {
                    // The kernel crate's page copy, as the driver's.
                    Destination::from(&mut page_out[..]).copy_from_slice(src)?;
                    Ok(PAGE_SIZE)
                } else {
                    Lz4::decompress(src, &mut page_out[..])
                }
            })??;
            Ok(())
        })?;
        if page_out[..] != pages[PAGES - 1][..] {
            return Err(EIO);
        }
        report(class, "load", driver, Some(floor));
        floor_handles.drain_all().for_each(|h| floor_pool.free(h));
        Ok(())
    }

    #[test]
    fn stages_per_page() -> Result {
        for class in CLASSES {
            let mut pages = KVec::with_capacity(PAGES, GFP_KERNEL)?;
            for i in 0..PAGES {
                pages.push(page(class, i)?, GFP_KERNEL)?;
            }
            let mut same = 0;
            let driver = per_page(|i| {
                same += usize::from(Source::from(&pages[i][..]).repeated_word().is_some());
                Ok(())
            })?;
            report(class, "same", driver, None);
            let expect_same = matches!(class, "zero" | "pattern");
            let all_same = same == ROUNDS * PAGES;
            assert_eq!(all_same, expect_same);
            if !expect_same {
                stored_class(class, &pages)?;
            }
        }

        // What every request pays, whatever its data.
        let meta = meta()?;
        let driver = per_page(|i| {
            let new = Slot::Same(i as u64);
            let mut slot = meta.slots.lock(i)?;
            meta.account(&new);
            let old = slot.replace(new);
            drop(slot);
            meta.release(old);
            Ok(())
        })?;
        report("any", "install", driver, None);
        let gate = KBox::<Gate<u32>>::pin_init(new_gate!("rzram_bench_gate"), GFP_KERNEL)?;
        gate.publish(KBox::new(1, GFP_KERNEL)?)
            .map_err(|(e, _)| e)?;
        let driver = per_page(|_| gate.try_get().map(drop).ok_or(EINVAL))?;
        report("any", "gate", driver, None);
        let driver = per_page(|i| meta.slots.lock(i).map(drop))?;
        report("any", "slot_lock", driver, None);
        let driver = per_page(|_| {
            black_box(boot_secs());
            Ok(())
        })?;
        report("any", "boot_secs", driver, None);
        let driver = per_page(|_| {
            meta.stats.notify_free.inc();
            Ok(())
        })?;
        report("any", "counter", driver, None);
        Ok(())
    }
}
