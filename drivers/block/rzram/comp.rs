// SPDX-License-Identifier: GPL-2.0

//! Compression backends.
//!
//! Each backend lives in its own file under `comp/` and wraps one of the kernel's
//! compression libraries. [`Algorithm`] names the backends a device can be configured with,
//! [`Params`] tunes one; [`Compressor`] is one instance, with its working memory, owned by one
//! stream.

mod deflate;
mod lz4;
mod lz4hc;
mod lzo;
mod sw842;
mod zstd;

use kernel::{bindings, prelude::*};

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
        let Some(level) = params.level else {
            return match self {
                Algorithm::Deflate => deflate::Deflate::check(None, params.deflate_winbits),
                _ => Ok(()),
            };
        };
        let range = match self {
            Algorithm::Zstd => return zstd::Zstd::check_level(level),
            Algorithm::Deflate => {
                return deflate::Deflate::check(Some(level), params.deflate_winbits)
            }
            Algorithm::Lzo | Algorithm::LzoRle | Algorithm::Sw842 => {
                pr_err!("{}: compression level is not supported\n", self.name());
                return Err(EOPNOTSUPP);
            }
            // The acceleration: 1 (the default) or more.
            Algorithm::Lz4 => 1..=i32::MAX,
            Algorithm::Lz4Hc => 1..=bindings::LZ4HC_MAX_CLEVEL as i32,
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
    /// See [`lzo::Lzo`]; both LZO variants.
    Lzo(lzo::Lzo),
    /// See [`lz4::Lz4`].
    Lz4(lz4::Lz4),
    /// See [`lz4hc::Lz4Hc`].
    Lz4Hc(lz4hc::Lz4Hc),
    /// See [`zstd::Zstd`].
    Zstd(zstd::Zstd),
    /// See [`deflate::Deflate`].
    Deflate(deflate::Deflate),
    /// See [`sw842::Sw842`].
    Sw842(sw842::Sw842),
}

impl Compressor {
    /// Creates a compressor for `algorithm` tuned by `params`; the error of
    /// [`Algorithm::check`] if it refuses them.
    pub(crate) fn new(algorithm: Algorithm, params: &Params) -> Result<Self> {
        algorithm.check(params)?;
        let level = params.level;
        Ok(match algorithm {
            Algorithm::LzoRle => Compressor::Lzo(lzo::Lzo::new(true)?),
            Algorithm::Lzo => Compressor::Lzo(lzo::Lzo::new(false)?),
            Algorithm::Lz4 => Compressor::Lz4(lz4::Lz4::new(level)?),
            Algorithm::Lz4Hc => Compressor::Lz4Hc(lz4hc::Lz4Hc::new(level)?),
            Algorithm::Zstd => Compressor::Zstd(zstd::Zstd::new(level)?),
            Algorithm::Deflate => {
                Compressor::Deflate(deflate::Deflate::new(level, params.deflate_winbits)?)
            }
            Algorithm::Sw842 => Compressor::Sw842(sw842::Sw842::new()?),
        })
    }

    /// Compresses `src` into `dst` and returns the compressed length, or `E2BIG` if the result
    /// does not fit in `dst`.
    pub(crate) fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        match self {
            Compressor::Lzo(c) => c.compress(src, dst),
            Compressor::Lz4(c) => c.compress(src, dst),
            Compressor::Lz4Hc(c) => c.compress(src, dst),
            Compressor::Zstd(c) => c.compress(src, dst),
            Compressor::Deflate(c) => c.compress(src, dst),
            Compressor::Sw842(c) => c.compress(src, dst),
        }
    }

    /// Decompresses `src` into `dst`, which it must fill exactly; anything else is `EIO`
    /// (corrupt input).
    pub(crate) fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result {
        match self {
            Compressor::Lzo(c) => c.decompress(src, dst),
            Compressor::Lz4(c) => c.decompress(src, dst),
            Compressor::Lz4Hc(c) => c.decompress(src, dst),
            Compressor::Zstd(c) => c.decompress(src, dst),
            Compressor::Deflate(c) => c.decompress(src, dst),
            Compressor::Sw842(c) => c.decompress(src, dst),
        }
    }
}
