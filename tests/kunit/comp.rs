// SPDX-License-Identifier: GPL-2.0

//! Compression backends, through the kernel's own libraries.

#[kernel::prelude::kunit_tests(rzram_comp)]
mod tests {
    use crate::comp::{Algorithm, Compressor};
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

    #[test]
    fn lz4_round_trip_is_exact() -> Result {
        let mut c = Compressor::new(Algorithm::Lz4)?;
        let src = text_page()?;
        let mut compressed = KVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL)?;
        let len = c.compress(&src, &mut compressed)?;
        assert!(len > 0 && len < PAGE_SIZE / 4);
        let mut out = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        c.decompress(&compressed[..len], &mut out)?;
        assert!(out[..] == src[..]);
        Ok(())
    }

    #[test]
    fn lz4_random_data_does_not_shrink() -> Result {
        let mut c = Compressor::new(Algorithm::Lz4)?;
        let src = random_page()?;
        let mut compressed = KVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL)?;
        let len = c.compress(&src, &mut compressed)?;
        assert!(len >= PAGE_SIZE);
        let mut out = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        c.decompress(&compressed[..len], &mut out)?;
        assert!(out[..] == src[..]);
        Ok(())
    }

    #[test]
    fn lz4_output_too_small_is_e2big() -> Result {
        let mut c = Compressor::new(Algorithm::Lz4)?;
        let src = random_page()?;
        let mut small = KVec::from_elem(0u8, 64, GFP_KERNEL)?;
        assert_eq!(c.compress(&src, &mut small), Err(E2BIG));
        Ok(())
    }

    #[test]
    fn lz4_corrupt_input_is_eio() -> Result {
        let mut c = Compressor::new(Algorithm::Lz4)?;
        let src = text_page()?;
        let mut compressed = KVec::from_elem(0u8, 2 * PAGE_SIZE, GFP_KERNEL)?;
        let len = c.compress(&src, &mut compressed)?;
        let mut out = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
        // Truncated input cannot produce a full page.
        assert_eq!(c.decompress(&compressed[..len / 2], &mut out), Err(EIO));
        // Garbage never reads or writes out of bounds; it decodes to an error.
        let garbage = [0xffu8; 64];
        assert_eq!(c.decompress(&garbage, &mut out), Err(EIO));
        Ok(())
    }
}
