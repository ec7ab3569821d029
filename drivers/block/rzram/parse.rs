// SPDX-License-Identifier: GPL-2.0

//! Parsing of what users write to the sysfs attributes.

use kernel::prelude::*;

/// Strips the trailing newline and surrounding blanks that `echo` and friends add.
pub(crate) fn trim(input: &[u8]) -> &[u8] {
    input.trim_ascii()
}

/// Parses an unsigned integer: decimal, or hexadecimal with a `0x` prefix.
///
/// `EINVAL` for anything else, `ERANGE` if it does not fit in 64 bits.
pub(crate) fn parse_u64(input: &[u8]) -> Result<u64> {
    let (digits, radix) = match input {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        _ => (input, 10),
    };
    if digits.is_empty() {
        return Err(EINVAL);
    }
    let mut value: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix).ok_or(EINVAL)?;
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(ERANGE)?;
    }
    Ok(value)
}

/// Parses a decimal number with an optional `+`, as the kernel's `kstrto*()` do; `EINVAL`
/// for anything else, `ERANGE` if it does not fit in 64 bits.
fn parse_decimal(input: &[u8]) -> Result<u64> {
    let digits = input.strip_prefix(b"+").unwrap_or(input);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(EINVAL);
    }
    parse_u64(digits)
}

/// Parses the value written to `reset` like zram does (`kstrtou16(buf, 10)`): a decimal
/// number up to 65535; `EINVAL` for anything else, `ERANGE` if it is larger.
pub(crate) fn parse_reset(input: &[u8]) -> Result<u16> {
    u16::try_from(parse_decimal_u64(input)?).map_err(|_| ERANGE)
}

/// Parses the device id written to `hot_remove` like zram does (`kstrtoint(buf, 10)`, then
/// refusing negative ids): a decimal number up to `i32::MAX`, with an optional `+`; `-0` is
/// 0.
///
/// `EINVAL` for a negative number or anything else, `ERANGE` if it is larger.
pub(crate) fn parse_device_id(input: &[u8]) -> Result<u32> {
    let input = trim(input);
    let id = match input.strip_prefix(b"-") {
        Some(digits) if !digits.starts_with(b"+") => match parse_decimal(digits) {
            Ok(0) => 0,
            // Below `i32::MIN`, `kstrtoint()` fails with `ERANGE` before zram sees the sign.
            Ok(n) if n > 1 << 31 => return Err(ERANGE),
            Ok(_) => return Err(EINVAL),
            Err(e) => return Err(e),
        },
        _ => parse_decimal(input)?,
    };
    u32::try_from(id)
        .ok()
        .filter(|&id| i32::try_from(id).is_ok())
        .ok_or(ERANGE)
}

/// Parses the value written to `mem_used_max` like zram does: `kstrtoul(buf, 10)` must give
/// 0; anything else is `EINVAL`.
pub(crate) fn parse_zero(input: &[u8]) -> Result {
    match parse_decimal_u64(input) {
        Ok(0) => Ok(()),
        _ => Err(EINVAL),
    }
}

/// Parses a size in bytes with an optional binary suffix, like the kernel's `memparse()`:
/// `K`, `M`, `G`, `T`, `P` or `E` (either case) multiply by 2^10 .. 2^60.
///
/// Unlike `memparse()`, trailing garbage is refused (`EINVAL`) rather than ignored, and an
/// overflow is `ERANGE` rather than a wrapped value.
pub(crate) fn parse_size(input: &[u8]) -> Result<u64> {
    let input = trim(input);
    let (number, shift) = match input.split_last() {
        Some((&last, rest)) if last.is_ascii_alphabetic() && !is_hex_digit_of(input, last) => {
            let shift = match last.to_ascii_uppercase() {
                b'K' => 10,
                b'M' => 20,
                b'G' => 30,
                b'T' => 40,
                b'P' => 50,
                b'E' => 60,
                _ => return Err(EINVAL),
            };
            (rest, shift)
        }
        _ => (input, 0),
    };
    let value = parse_u64(number)?;
    value.checked_mul(1u64 << shift).ok_or(ERANGE)
}

/// Returns `true` if `last` is a digit of a hexadecimal number (`0x1E` is 30, as with
/// `memparse()`) rather than a suffix.
fn is_hex_digit_of(input: &[u8], last: u8) -> bool {
    (input.starts_with(b"0x") || input.starts_with(b"0X")) && last.is_ascii_hexdigit()
}

/// Parses a decimal `int` like `kstrtoint(buf, 10)`: an optional sign, then digits.
/// `EINVAL` for anything else, `ERANGE` outside `i32`.
pub(crate) fn parse_int(input: &[u8]) -> Result<i32> {
    let input = trim(input);
    let (negative, digits) = match input.strip_prefix(b"-") {
        Some(digits) if !digits.starts_with(b"+") => (true, digits),
        _ => (false, input),
    };
    let magnitude = i64::try_from(parse_decimal(digits)?).map_err(|_| ERANGE)?;
    let value = if negative { -magnitude } else { magnitude };
    i32::try_from(value).map_err(|_| ERANGE)
}

/// Splits `key=value` arguments separated by blanks, as zram's multi-parameter attributes
/// (`algorithm_params`, `recomp_algorithm`, `recompress`) take them. An argument without a
/// value is `EINVAL`. Quoting is not supported.
pub(crate) fn args(input: &[u8]) -> impl Iterator<Item = Result<(&[u8], &[u8])>> {
    input
        .split(u8::is_ascii_whitespace)
        .filter(|arg| !arg.is_empty())
        .map(|arg| match arg.iter().position(|&c| c == b'=') {
            Some(eq) if eq + 1 < arg.len() => Ok((&arg[..eq], &arg[eq + 1..])),
            _ => Err(EINVAL),
        })
}

/// Parses an unsigned decimal number like `kstrtoull(buf, 10)` / `kstrtouint(buf, 10)`, with
/// an optional `+`; `EINVAL` for anything else, `ERANGE` beyond 64 bits.
pub(crate) fn parse_decimal_u64(input: &[u8]) -> Result<u64> {
    parse_decimal(trim(input))
}

/// Parses a boolean like the kernel's `kstrtobool()`: a first character of `1`, `y`, `t` or
/// `e` (either case), or `on`, is true; `0`, `n`, `f`, `d`, or `off` is false (only the first
/// one or two characters count); `EINVAL` otherwise.
pub(crate) fn parse_bool(input: &[u8]) -> Result<bool> {
    match input {
        [b'1' | b'y' | b'Y' | b't' | b'T' | b'e' | b'E', ..] => Ok(true),
        [b'0' | b'n' | b'N' | b'f' | b'F' | b'd' | b'D', ..] => Ok(false),
        [b'o' | b'O', b'n' | b'N', ..] => Ok(true),
        [b'o' | b'O', b'f' | b'F', ..] => Ok(false),
        _ => Err(EINVAL),
    }
}
