// SPDX-License-Identifier: GPL-2.0

//! Compression backends, through the kernel's own libraries.

#[kernel::prelude::kunit_tests(rzram_comp)]
mod tests {
    use crate::comp::{Algorithm, Compressor, Params};
    use kernel::{
        compress::{Deflate, Lz4, Lz4Hc, Lzo, Sw842, Zstd},
        page::PAGE_SIZE,
        prelude::*,
    };

    /// A page of text-like data: compresses well, but is not same-filled.
    fn text_page() -> Result<KVec<u8>> {
        let words: &[&[u8]] = &[b"rzram ", b"keeps ", b"pages ", b"compressed ", b"in RAM. "];
        let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL)?;
        let mut i = 0;
        while page.len() < PAGE_SIZE {
            for &b in words[i % words.len()] {
                if page.len() < PAGE_SIZE {
                    page.push(b, GFP_KERNEL)?;
                }
            }
            i += 1;
        }
        Ok(page)
    }

    /// A page of pseudo-random bytes (xorshift): does not compress.
    fn random_page() -> Result<KVec<u8>> {
        let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL)?;
        let mut x: u64 = 0x9e3779b97f4a7c15;
        while page.len() < PAGE_SIZE {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            page.push(x as u8, GFP_KERNEL)?;
        }
        Ok(page)
    }

    /// A zeroed buffer of `len` bytes.
    fn zeroed(len: usize) -> Result<KVec<u8>> {
        Ok(KVec::from_elem(0u8, len, GFP_KERNEL)?)
    }

    #[test]
    fn every_algorithm_round_trips_exactly() -> Result {
        let src = text_page()?;
        for &algorithm in Algorithm::ALL {
            let mut c = Compressor::new(algorithm, &Params::default())?;
            let mut compressed = zeroed(2 * PAGE_SIZE)?;
            let len = c.compress(&src[..], &mut compressed)?;
            assert!(len > 0 && len < PAGE_SIZE / 4);
            let mut out = zeroed(PAGE_SIZE)?;
            c.decompress(&compressed[..len], out.as_mut_slice().into())?;
            assert!(out[..] == src[..]);
        }
        Ok(())
    }

    #[test]
    fn random_data_does_not_shrink_and_still_round_trips() -> Result {
        let src = random_page()?;
        for &algorithm in Algorithm::ALL {
            let mut c = Compressor::new(algorithm, &Params::default())?;
            let mut compressed = zeroed(2 * PAGE_SIZE)?;
            let len = c.compress(&src[..], &mut compressed)?;
            assert!(len >= PAGE_SIZE);
            let mut out = zeroed(PAGE_SIZE)?;
            c.decompress(&compressed[..len], out.as_mut_slice().into())?;
            assert!(out[..] == src[..]);
        }
        Ok(())
    }

    #[test]
    fn output_too_small_is_e2big() -> Result {
        let src = random_page()?;
        for &algorithm in Algorithm::ALL {
            let mut c = Compressor::new(algorithm, &Params::default())?;
            let mut small = zeroed(64)?;
            assert_eq!(c.compress(&src[..], &mut small), Err(E2BIG));
        }
        Ok(())
    }

    #[test]
    fn corrupt_input_is_eio() -> Result {
        let src = text_page()?;
        for &algorithm in Algorithm::ALL {
            let mut c = Compressor::new(algorithm, &Params::default())?;
            let mut compressed = zeroed(2 * PAGE_SIZE)?;
            let len = c.compress(&src[..], &mut compressed)?;
            let mut out = zeroed(PAGE_SIZE)?;
            // Truncated input cannot produce a full page.
            assert_eq!(
                c.decompress(&compressed[..len / 2], out.as_mut_slice().into()),
                Err(EIO)
            );
            // Garbage never reads or writes out of bounds; it decodes to an error.
            let garbage = [0xffu8; 64];
            assert_eq!(c.decompress(&garbage, out.as_mut_slice().into()), Err(EIO));
        }
        Ok(())
    }

    #[test]
    fn levels_are_checked_like_zrams_backends() {
        let level = |level| Params {
            level: Some(level),
            deflate_winbits: None,
        };
        let winbits = |winbits| Params {
            level: None,
            deflate_winbits: Some(winbits),
        };
        assert_eq!(Algorithm::Zstd.check(&level(19)), Ok(()));
        assert_eq!(Algorithm::Zstd.check(&level(1000)), Err(EINVAL));
        assert_eq!(Algorithm::Deflate.check(&level(9)), Ok(()));
        assert_eq!(Algorithm::Deflate.check(&level(-1)), Ok(()));
        assert_eq!(Algorithm::Deflate.check(&level(10)), Err(EINVAL));
        assert_eq!(Algorithm::Deflate.check(&winbits(-15)), Ok(()));
        assert_eq!(Algorithm::Deflate.check(&winbits(12)), Ok(()));
        assert_eq!(Algorithm::Deflate.check(&winbits(8)), Err(EINVAL));
        assert_eq!(Algorithm::Deflate.check(&winbits(-16)), Err(EINVAL));
        assert_eq!(Algorithm::Lz4.check(&level(1)), Ok(()));
        assert_eq!(Algorithm::Lz4.check(&level(0)), Err(EINVAL));
        assert_eq!(Algorithm::Lz4Hc.check(&level(16)), Ok(()));
        assert_eq!(Algorithm::Lz4Hc.check(&level(17)), Err(EINVAL));
        assert_eq!(Algorithm::Lz4Hc.check(&level(0)), Err(EINVAL));
        // LZO, LZO-RLE and 842 have no level.
        assert_eq!(Algorithm::Lzo.check(&level(1)), Err(EOPNOTSUPP));
        assert_eq!(Algorithm::LzoRle.check(&level(1)), Err(EOPNOTSUPP));
        assert_eq!(Algorithm::Sw842.check(&level(1)), Err(EOPNOTSUPP));
        assert_eq!(Algorithm::Lzo.check(&Params::default()), Ok(()));
    }

    #[test]
    fn tuned_algorithms_still_round_trip() -> Result {
        let src = text_page()?;
        let tunings = [
            (Algorithm::Zstd, Some(19), None),
            (Algorithm::Zstd, Some(-5), None),
            (Algorithm::Lz4, Some(8), None),
            (Algorithm::Lz4Hc, Some(3), None),
            (Algorithm::Deflate, Some(9), Some(15)),
            (Algorithm::Deflate, Some(1), Some(-9)),
        ];
        for (algorithm, level, winbits) in tunings {
            let params = Params {
                level,
                deflate_winbits: winbits,
            };
            let mut c = Compressor::new(algorithm, &params)?;
            let mut compressed = zeroed(2 * PAGE_SIZE)?;
            let len = c.compress(&src[..], &mut compressed)?;
            let mut out = zeroed(PAGE_SIZE)?;
            c.decompress(&compressed[..len], out.as_mut_slice().into())?;
            assert!(out[..] == src[..]);
        }
        Ok(())
    }

    #[test]
    fn names_are_zrams_and_unique() {
        let names: [&str; 7] = ["lzo-rle", "lzo", "lz4", "lz4hc", "zstd", "deflate", "842"];
        assert_eq!(Algorithm::ALL.len(), names.len());
        for (algorithm, name) in Algorithm::ALL.iter().zip(names) {
            assert_eq!(algorithm.name(), name);
            assert_eq!(Algorithm::from_name(name.as_bytes()), Some(*algorithm));
        }
        assert_eq!(Algorithm::from_name(b"LZ4"), None);
        assert_eq!(Algorithm::from_name(b"lz5"), None);
    }

    /// Compresses `src` with `compress`, decompresses it with `decompress` into a buffer one
    /// page larger than needed, and checks the length and bytes it gives back.
    fn library_round_trip(
        src: &[u8],
        compress: impl FnOnce(&[u8], &mut [u8]) -> Result<usize>,
        decompress: impl FnOnce(&[u8], &mut [u8]) -> Result<usize>,
    ) -> Result {
        let mut packed = zeroed(2 * PAGE_SIZE)?;
        let len = compress(src, &mut packed)?;
        assert!(len > 0 && len < src.len());
        let mut out = zeroed(src.len() + PAGE_SIZE)?;
        assert_eq!(decompress(&packed[..len], &mut out[..]), Ok(src.len()));
        assert!(out[..src.len()] == src[..]);
        Ok(())
    }

    #[test]
    fn libraries_return_the_decompressed_length() -> Result {
        let src = text_page()?;
        let mut lz4 = Lz4::new(Lz4::DEFAULT_ACCELERATION)?;
        library_round_trip(
            &src,
            |s, d| lz4.compress(s, d),
            |s, d| Lz4::decompress(s, d),
        )?;
        let mut lz4hc = Lz4Hc::new(Lz4Hc::MAX_LEVEL)?;
        library_round_trip(
            &src,
            |s, d| lz4hc.compress(s, d),
            |s, d| Lz4::decompress(s, d),
        )?;
        let mut lzo = Lzo::new()?;
        library_round_trip(
            &src,
            |s, d| lzo.compress(s, d),
            |s, d| Lzo::decompress(s, d),
        )?;
        let mut lzo_rle = Lzo::new_rle()?;
        library_round_trip(
            &src,
            |s, d| lzo_rle.compress(s, d),
            |s, d| Lzo::decompress(s, d),
        )?;
        let mut sw842 = Sw842::new()?;
        library_round_trip(
            &src,
            |s, d| sw842.compress(s, d),
            |s, d| Sw842::decompress(s, d),
        )?;
        let mut zstd = Zstd::new(Zstd::default_level(), PAGE_SIZE)?;
        let mut zstd_d = Zstd::new(Zstd::default_level(), PAGE_SIZE)?;
        library_round_trip(
            &src,
            |s, d| zstd.compress(s, d),
            |s, d| zstd_d.decompress(s, d),
        )?;
        let mut deflate = Deflate::new(Deflate::DEFAULT_LEVEL, -11)?;
        let mut inflate = Deflate::new(Deflate::DEFAULT_LEVEL, -11)?;
        library_round_trip(
            &src,
            |s, d| deflate.compress(s, d),
            |s, d| inflate.decompress(s, d),
        )?;
        Ok(())
    }

    #[test]
    fn libraries_report_enospc_and_einval() -> Result {
        let src = random_page()?;
        let mut small = zeroed(64)?;
        assert_eq!(Lz4::new(1)?.compress(&src[..], &mut small), Err(ENOSPC));
        assert_eq!(Lz4Hc::new(9)?.compress(&src[..], &mut small), Err(ENOSPC));
        assert_eq!(Lzo::new()?.compress(&src[..], &mut small), Err(ENOSPC));
        assert_eq!(Sw842::new()?.compress(&src[..], &mut small), Err(ENOSPC));
        assert_eq!(
            Zstd::new(3, PAGE_SIZE)?.compress(&src[..], &mut small),
            Err(ENOSPC)
        );
        assert_eq!(
            Deflate::new(6, -11)?.compress(&src[..], &mut small),
            Err(ENOSPC)
        );
        // LZO's output is bounded by `dst`: data that compresses well fits in a page, and
        // data that does not is refused without a byte written past `dst`.
        let text = text_page()?;
        let mut page = zeroed(PAGE_SIZE)?;
        let len = Lzo::new()?.compress(&text[..], &mut page)?;
        let mut back = zeroed(PAGE_SIZE)?;
        assert_eq!(Lzo::decompress(&page[..len], &mut back[..]), Ok(PAGE_SIZE));
        assert!(back == text);
        let mut guarded = zeroed(2 * PAGE_SIZE)?;
        assert_eq!(
            Lzo::new_rle()?.compress(&src[..], &mut guarded[..PAGE_SIZE]),
            Err(ENOSPC)
        );
        assert!(guarded[PAGE_SIZE..].iter().all(|&b| b == 0));
        // Output that does not fit in `dst` is refused, not truncated.
        let mut packed = zeroed(2 * PAGE_SIZE)?;
        let len = Lz4::new(1)?.compress(&text[..], &mut packed)?;
        assert_eq!(
            Lz4::decompress(&packed[..len], &mut page[..100]),
            Err(EINVAL)
        );
        // Parameters out of range.
        assert_eq!(Lz4::new(0).map(|_| ()), Err(EINVAL));
        assert_eq!(Lz4Hc::new(Lz4Hc::MAX_LEVEL + 1).map(|_| ()), Err(EINVAL));
        assert_eq!(
            Zstd::new(Zstd::max_level() + 1, PAGE_SIZE).map(|_| ()),
            Err(EINVAL)
        );
        assert_eq!(Deflate::new(10, -11).map(|_| ()), Err(EINVAL));
        assert_eq!(Deflate::new(6, 8).map(|_| ()), Err(EINVAL));
        Ok(())
    }
}
