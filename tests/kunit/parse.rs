// SPDX-License-Identifier: GPL-2.0

//! Size and integer parsing of the sysfs attributes.

#[kernel::prelude::kunit_tests(rzram_parse)]
mod tests {
    use crate::parse::{
        args, parse_device_id, parse_int, parse_reset, parse_size, parse_u64, parse_zero, trim,
    };
    use kernel::prelude::*;

    #[test]
    fn plain_numbers_are_bytes() {
        assert_eq!(parse_size(b"4096"), Ok(4096));
        assert_eq!(parse_size(b"4096\n"), Ok(4096));
        assert_eq!(parse_size(b"0"), Ok(0));
    }

    #[test]
    fn suffixes_are_binary_multiples_in_either_case() {
        assert_eq!(parse_size(b"1K"), Ok(1 << 10));
        assert_eq!(parse_size(b"64M\n"), Ok(64 << 20));
        assert_eq!(parse_size(b"2g"), Ok(2 << 30));
        assert_eq!(parse_size(b"1T"), Ok(1 << 40));
        assert_eq!(parse_size(b"1p"), Ok(1 << 50));
        assert_eq!(parse_size(b"1E"), Ok(1 << 60));
    }

    #[test]
    fn hex_numbers_keep_their_hex_digits() {
        assert_eq!(parse_size(b"0x1000"), Ok(4096));
        assert_eq!(parse_size(b"0x1E"), Ok(30));
        assert_eq!(parse_size(b"0x10M"), Ok(16 << 20));
    }

    #[test]
    fn garbage_is_einval() {
        assert_eq!(parse_size(b""), Err(EINVAL));
        assert_eq!(parse_size(b"\n"), Err(EINVAL));
        assert_eq!(parse_size(b"abc"), Err(EINVAL));
        assert_eq!(parse_size(b"12Q"), Err(EINVAL));
        assert_eq!(parse_size(b"1 2"), Err(EINVAL));
        assert_eq!(parse_size(b"-1"), Err(EINVAL));
        assert_eq!(parse_size(b"M"), Err(EINVAL));
        assert_eq!(parse_size(b"0x"), Err(EINVAL));
    }

    #[test]
    fn overflow_is_erange() {
        assert_eq!(parse_size(b"16E"), Err(ERANGE));
        assert_eq!(parse_size(b"18446744073709551616"), Err(ERANGE));
        assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn reset_takes_a_decimal_u16_like_zram() {
        assert_eq!(parse_reset(b"1\n"), Ok(1));
        assert_eq!(parse_reset(b"0"), Ok(0));
        assert_eq!(parse_reset(b"65535"), Ok(65535));
        assert_eq!(parse_reset(b"65536"), Err(ERANGE));
        assert_eq!(parse_reset(b"+1"), Ok(1));
        assert_eq!(parse_reset(b"-1"), Err(EINVAL));
        assert_eq!(parse_reset(b"0x1"), Err(EINVAL));
        assert_eq!(parse_reset(b"yes"), Err(EINVAL));
        assert_eq!(parse_reset(b""), Err(EINVAL));
    }

    #[test]
    fn hot_remove_takes_a_non_negative_int_like_zram() {
        assert_eq!(parse_device_id(b"3\n"), Ok(3));
        assert_eq!(parse_device_id(b"+0"), Ok(0));
        assert_eq!(parse_device_id(b"2147483647"), Ok(2147483647));
        assert_eq!(parse_device_id(b"2147483648"), Err(ERANGE));
        assert_eq!(parse_device_id(b"99999999999999999999"), Err(ERANGE));
        assert_eq!(parse_device_id(b"-1"), Err(EINVAL));
        assert_eq!(parse_device_id(b"-0"), Ok(0));
        assert_eq!(parse_device_id(b"-+1"), Err(EINVAL));
        assert_eq!(parse_device_id(b"++1"), Err(EINVAL));
        assert_eq!(parse_device_id(b"-2147483648"), Err(EINVAL));
        assert_eq!(parse_device_id(b"-2147483649"), Err(ERANGE));
        assert_eq!(parse_device_id(b"0x1"), Err(EINVAL));
        assert_eq!(parse_device_id(b"rzram1"), Err(EINVAL));
        assert_eq!(parse_device_id(b""), Err(EINVAL));
    }

    #[test]
    fn mem_used_max_takes_only_zero_like_zram() {
        assert_eq!(parse_zero(b"0\n"), Ok(()));
        assert_eq!(parse_zero(b"00"), Ok(()));
        assert_eq!(parse_zero(b"+0"), Ok(()));
        assert_eq!(parse_zero(b"1"), Err(EINVAL));
        assert_eq!(parse_zero(b"-0"), Err(EINVAL));
        assert_eq!(parse_zero(b""), Err(EINVAL));
        assert_eq!(parse_zero(b"99999999999999999999"), Err(EINVAL));
    }

    #[test]
    fn ints_are_kstrtoint() {
        assert_eq!(parse_int(b"-3\n"), Ok(-3));
        assert_eq!(parse_int(b"+22"), Ok(22));
        assert_eq!(parse_int(b"2147483647"), Ok(i32::MAX));
        assert_eq!(parse_int(b"-2147483648"), Ok(i32::MIN));
        assert_eq!(parse_int(b"2147483648"), Err(ERANGE));
        assert_eq!(parse_int(b"-+1"), Err(EINVAL));
        assert_eq!(parse_int(b"1.5"), Err(EINVAL));
        assert_eq!(parse_int(b""), Err(EINVAL));
    }

    #[test]
    fn args_are_key_value_pairs() -> Result {
        let mut it = args(b"  algo=zstd priority=1\n");
        assert!(it.next() == Some(Ok((&b"algo"[..], &b"zstd"[..]))));
        assert!(it.next() == Some(Ok((&b"priority"[..], &b"1"[..]))));
        assert!(it.next().is_none());
        assert!(args(b"").next().is_none());
        // A parameter without a value is refused, as by zram.
        assert!(args(b"level=").next() == Some(Err(EINVAL)));
        assert!(args(b"level").next() == Some(Err(EINVAL)));
        // Only the first `=` splits.
        assert!(args(b"dict=/a=b").next() == Some(Ok((&b"dict"[..], &b"/a=b"[..]))));
        Ok(())
    }

    #[test]
    fn trim_strips_blanks_and_newline() {
        assert_eq!(trim(b"  lz4\n"), b"lz4");
        assert_eq!(trim(b"\n"), b"");
    }
}
