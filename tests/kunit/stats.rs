// SPDX-License-Identifier: GPL-2.0

//! The `mm_stat`, `io_stat` and `comp_algorithm` formats.

#[kernel::prelude::kunit_tests(rzram_stats)]
mod tests {
    use crate::{
        comp::Algorithm,
        stats::{write_debug_stat, Counter, IoStat, MmStat},
        sysfs::write_algorithms,
    };
    use core::fmt;
    use kernel::prelude::*;

    /// A small fixed buffer to format into.
    struct Text {
        buf: [u8; 256],
        len: usize,
    }

    impl Text {
        fn new() -> Self {
            Self {
                buf: [0; 256],
                len: 0,
            }
        }

        fn as_bytes(&self) -> &[u8] {
            &self.buf[..self.len]
        }
    }

    impl fmt::Write for Text {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len + s.len();
            self.buf
                .get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    #[test]
    fn mm_stat_has_nine_fields_in_zram_order() -> Result {
        let stat = MmStat {
            orig_data_size: 1,
            compr_data_size: 2,
            mem_used_total: 3,
            mem_limit: 4,
            mem_used_max: 5,
            same_pages: 6,
            pages_compacted: 7,
            huge_pages: 8,
            huge_pages_since: 9,
        };
        let mut t = Text::new();
        stat.write_to(&mut t)?;
        assert_eq!(
            t.as_bytes(),
            b"       1        2        3        4        5        6        7        8        9\n"
        );
        Ok(())
    }

    #[test]
    fn wide_values_are_not_truncated() -> Result {
        let stat = IoStat {
            failed_reads: 123456789012,
            failed_writes: 0,
            invalid_io: 0,
            notify_free: 1,
        };
        let mut t = Text::new();
        stat.write_to(&mut t)?;
        assert_eq!(t.as_bytes(), b"123456789012        0        0        1\n");
        Ok(())
    }

    #[test]
    fn comp_algorithm_brackets_the_selected_one() -> Result {
        let mut t = Text::new();
        write_algorithms(&mut t, Algorithm::Lz4)?;
        assert_eq!(t.as_bytes(), b"lzo-rle lzo [lz4] lz4hc zstd deflate 842 \n");
        let mut t = Text::new();
        write_algorithms(&mut t, Algorithm::LzoRle)?;
        assert_eq!(t.as_bytes(), b"[lzo-rle] lzo lz4 lz4hc zstd deflate 842 \n");
        let mut t = Text::new();
        write_algorithms(&mut t, Algorithm::Zstd)?;
        assert_eq!(t.as_bytes(), b"lzo-rle lzo lz4 lz4hc [zstd] deflate 842 \n");
        Ok(())
    }

    #[test]
    fn debug_stat_is_zrams_version_1() -> Result {
        let mut t = Text::new();
        write_debug_stat(&mut t, 7)?;
        assert_eq!(t.as_bytes(), b"version: 1\n0        7\n");
        Ok(())
    }

    #[test]
    fn counters_add_sub_raise_and_set() {
        let c = Counter::new();
        c.add(5);
        c.sub(2);
        c.inc();
        assert_eq!(c.get(), 4);
        c.raise_to(3);
        assert_eq!(c.get(), 4);
        c.raise_to(10);
        assert_eq!(c.get(), 10);
        c.set(1);
        assert_eq!(c.get(), 1);
    }
}
