// SPDX-License-Identifier: GPL-2.0

//! The compression algorithms.
//!
//! Each algorithm is one of the kernel's compression libraries, through [`kernel::compress`].
//! [`Algorithm`] names the algorithms a device can be configured with and checks their tuning
//! as zram does, [`Params`] tunes one; [`Compressor`] is one instance, with its working
//! memory, owned by one stream.

use kernel::{
    compress::{Deflate, Destination, Lz4, Lz4Hc, Lzo, Source, Sw842, Zstd},
    page::PAGE_SIZE,
    prelude::*,
};

/// The default deflate window, as zram and the crypto API use it: 2 KiB, raw deflate (no zlib
/// header), given as a negative number of bits.
const DEFAULT_DEFLATE_WINBITS: i32 = -11;

/// The algorithms a device can have, as in zram: the primary one (priority 0), which
/// compresses every page written, and up to three for recompression (priorities 1 to 3).
pub(crate) const MAX_COMPS: usize = 4;

/// The tuning of one algorithm, set through `algorithm_params`; `None` is the backend's
/// default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    /// The compression level: acceleration for `lz4`; `lzo`, `lzo-rle` and `842` have none.
    pub(crate) level: Option<i32>,
    /// Window bits for `deflate` (negative: raw deflate); ignored by the others.
    pub(crate) deflate_winbits: Option<i32>,
}

/// A compression algorithm a device can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// LZO with run-length encoding of zero runs (lib/lzo).
    LzoRle,
    /// LZO (lib/lzo).
    Lzo,
    /// LZ4 (lib/lz4), the default.
    Lz4,
    /// LZ4's high-compression mode (lib/lz4).
    Lz4Hc,
    /// Zstandard (lib/zstd).
    Zstd,
    /// Raw deflate (lib/zlib_deflate, lib/zlib_inflate).
    Deflate,
    /// 842 (lib/842).
    Sw842,
}

impl Algorithm {
    /// Every algorithm this build supports, in the order `comp_algorithm` lists them (zram's).
    pub(crate) const ALL: &'static [Algorithm] = &[
        Algorithm::LzoRle,
        Algorithm::Lzo,
        Algorithm::Lz4,
        Algorithm::Lz4Hc,
        Algorithm::Zstd,
        Algorithm::Deflate,
        Algorithm::Sw842,
    ];

    /// The algorithm new devices use.
    pub(crate) const DEFAULT: Algorithm = Algorithm::Lz4;

    /// Returns the name users write to `comp_algorithm`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::LzoRle => "lzo-rle",
            Algorithm::Lzo => "lzo",
            Algorithm::Lz4 => "lz4",
            Algorithm::Lz4Hc => "lz4hc",
            Algorithm::Zstd => "zstd",
            Algorithm::Deflate => "deflate",
            Algorithm::Sw842 => "842",
        }
    }

    /// Checks `params` for this algorithm as zram's backends do: `EINVAL` for a level out of
    /// the algorithm's range, `EOPNOTSUPP` for a level where the algorithm has none.
    pub(crate) fn check(self, params: &Params) -> Result {
        if self == Algorithm::Deflate {
            if let Some(winbits) = params.deflate_winbits {
                if !(9..=15).contains(&winbits.unsigned_abs()) {
                    pr_err!("deflate: invalid winbits {}\n", winbits);
                    return Err(EINVAL);
                }
            }
        }
        let Some(level) = params.level else {
            return Ok(());
        };
        let range = match self {
            Algorithm::Lzo | Algorithm::LzoRle | Algorithm::Sw842 => {
                pr_err!("{}: compression level is not supported\n", self.name());
                return Err(EOPNOTSUPP);
            }
            // The acceleration: 1 (the default) or more.
            Algorithm::Lz4 => 1..=i32::MAX,
            Algorithm::Lz4Hc => 1..=Lz4Hc::MAX_LEVEL,
            Algorithm::Zstd => Zstd::min_level()..=Zstd::max_level(),
            // -1 is zlib's default level.
            Algorithm::Deflate => Deflate::DEFAULT_LEVEL..=Deflate::MAX_LEVEL,
        };
        if range.contains(&level) {
            Ok(())
        } else {
            pr_err!("{}: invalid compression level {}\n", self.name(), level);
            Err(EINVAL)
        }
    }

    /// Looks an algorithm up by name.
    pub(crate) fn from_name(name: &[u8]) -> Option<Algorithm> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name().as_bytes() == name)
    }
}

/// Chooses the algorithm priority a multi-parameter attribute means, as zram does: `prio`,
/// which must then hold `algorithm` if that is given too; else the lowest priority from
/// `first` on that holds `algorithm`; else `first`. `held` gives the algorithm of a priority.
/// `EINVAL` if the priority and the algorithm disagree or no priority holds the algorithm.
pub(crate) fn select_prio(
    prio: Option<u8>,
    algorithm: Option<Algorithm>,
    first: u8,
    held: impl Fn(u8) -> Option<Algorithm>,
) -> Result<u8> {
    match (prio, algorithm) {
        (Some(prio), Some(algorithm)) if held(prio) == Some(algorithm) => Ok(prio),
        (Some(_), Some(_)) => Err(EINVAL),
        (Some(prio), None) => Ok(prio),
        (None, Some(algorithm)) => (first..MAX_COMPS as u8)
            .find(|&prio| held(prio) == Some(algorithm))
            .ok_or(EINVAL),
        (None, None) => Ok(first),
    }
}

/// One compressor instance with its working memory.
pub(crate) enum Compressor {
    /// Both LZO variants.
    Lzo(Lzo),
    /// LZ4.
    Lz4(Lz4),
    /// LZ4HC, which writes the LZ4 format.
    Lz4Hc(Lz4Hc),
    /// Zstandard, tuned for one page of input.
    Zstd(Zstd),
    /// Deflate.
    Deflate(Deflate),
    /// 842.
    Sw842(Sw842),
}

impl Compressor {
    /// Creates a compressor for `algorithm` tuned by `params`; the error of
    /// [`Algorithm::check`] if it refuses them.
    pub(crate) fn new(algorithm: Algorithm, params: &Params) -> Result<Self> {
        algorithm.check(params)?;
        let level = params.level;
        Ok(match algorithm {
            Algorithm::LzoRle => Compressor::Lzo(Lzo::new_rle()?),
            Algorithm::Lzo => Compressor::Lzo(Lzo::new()?),
            Algorithm::Lz4 => {
                Compressor::Lz4(Lz4::new(level.unwrap_or(Lz4::DEFAULT_ACCELERATION))?)
            }
            Algorithm::Lz4Hc => {
                Compressor::Lz4Hc(Lz4Hc::new(level.unwrap_or(Lz4Hc::DEFAULT_LEVEL))?)
            }
            Algorithm::Zstd => Compressor::Zstd(Zstd::new(
                level.unwrap_or_else(Zstd::default_level),
                PAGE_SIZE,
            )?),
            Algorithm::Deflate => Compressor::Deflate(Deflate::new(
                level.unwrap_or(Deflate::DEFAULT_LEVEL),
                params.deflate_winbits.unwrap_or(DEFAULT_DEFLATE_WINBITS),
            )?),
            Algorithm::Sw842 => Compressor::Sw842(Sw842::new()?),
        })
    }

    /// Compresses `src` into `dst` and returns the compressed length, or `E2BIG` if the result
    /// does not fit in `dst`.
    pub(crate) fn compress<'a>(
        &mut self,
        src: impl Into<Source<'a>>,
        dst: &mut [u8],
    ) -> Result<usize> {
        let src = src.into();
        match self {
            Compressor::Lzo(c) => c.compress(src, dst),
            Compressor::Lz4(c) => c.compress(src, dst),
            Compressor::Lz4Hc(c) => c.compress(src, dst),
            Compressor::Zstd(c) => c.compress(src, dst),
            Compressor::Deflate(c) => c.compress(src, dst),
            Compressor::Sw842(c) => c.compress(src, dst),
        }
        // The parameters were checked when the compressor was made: whatever fails now is the
        // output not fitting, and the caller then stores the page as it is.
        .map_err(|_| E2BIG)
    }

    /// Decompresses `src` into `dst`, which it must fill exactly; anything else is `EIO`
    /// (corrupt input).
    pub(crate) fn decompress(&mut self, src: &[u8], dst: Destination<'_>) -> Result {
        let expected = dst.len();
        let len = match self {
            Compressor::Lzo(_) => Lzo::decompress(src, dst),
            Compressor::Lz4(_) | Compressor::Lz4Hc(_) => Lz4::decompress(src, dst),
            Compressor::Zstd(c) => c.decompress(src, dst),
            Compressor::Deflate(c) => c.decompress(src, dst),
            Compressor::Sw842(_) => Sw842::decompress(src, dst),
        };
        if len == Ok(expected) {
            Ok(())
        } else {
            Err(EIO)
        }
    }
}
