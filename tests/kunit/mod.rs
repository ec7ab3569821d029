// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of rzram.
//!
//! They are compiled into rzram.ko when the kernel has `CONFIG_KUNIT=y` and run when the module
//! is loaded, printing KTAP to the kernel log. Each suite tests one part of the driver through
//! its crate-internal API, on the real kernel (real zsmalloc, real lib/lz4).

mod bench;
mod comp;
mod gate;
mod parse;
mod recompress;
mod slot;
mod stats;
mod writeback;
