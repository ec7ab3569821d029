// SPDX-License-Identifier: GPL-2.0

//! Compression backends, through the kernel's own libraries.

#[kernel::prelude::kunit_tests(rzram_comp)]
mod tests {
    use crate::comp::{Algorithm, Compressor, Params};
    use kernel::{page::PAGE_SIZE, prelude::*};

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
            let len = c.compress(&src, &mut compressed)?;
            assert!(len > 0 && len < PAGE_SIZE / 4);
            let mut out = zeroed(PAGE_SIZE)?;
            c.decompress(&compressed[..len], &mut out)?;
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
            let len = c.compress(&src, &mut compressed)?;
            assert!(len >= PAGE_SIZE);
            let mut out = zeroed(PAGE_SIZE)?;
            c.decompress(&compressed[..len], &mut out)?;
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
            assert_eq!(c.compress(&src, &mut small), Err(E2BIG));
        }
        Ok(())
    }

    #[test]
    fn corrupt_input_is_eio() -> Result {
        let src = text_page()?;
        for &algorithm in Algorithm::ALL {
            let mut c = Compressor::new(algorithm, &Params::default())?;
            let mut compressed = zeroed(2 * PAGE_SIZE)?;
            let len = c.compress(&src, &mut compressed)?;
            let mut out = zeroed(PAGE_SIZE)?;
            // Truncated input cannot produce a full page.
            assert_eq!(c.decompress(&compressed[..len / 2], &mut out), Err(EIO));
            // Garbage never reads or writes out of bounds; it decodes to an error.
            let garbage = [0xffu8; 64];
            assert_eq!(c.decompress(&garbage, &mut out), Err(EIO));
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
            let len = c.compress(&src, &mut compressed)?;
            let mut out = zeroed(PAGE_SIZE)?;
            c.decompress(&compressed[..len], &mut out)?;
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
}
