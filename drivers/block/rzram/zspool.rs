// SPDX-License-Identifier: GPL-2.0

//! The zsmalloc pools of the driver: one per initialised device, in its [`Meta`].
//!
//! The pool and its handles come from [`kernel::zsmalloc`]; this file gives them the driver's
//! brand, which is where the driver states the one thing the abstraction cannot check: that
//! a handle only ever goes back to the pool that created it.
//!
//! [`Meta`]: crate::meta::Meta

use kernel::zsmalloc::{self, Brand};

/// The brand of the driver's pools and handles.
pub(crate) struct Objects;

// SAFETY: Every `Pool<Objects>` is the `pool` of one `Meta`, and its handles live only in that
// meta's slots (or in a local on their way into one, after `Meta::pool.store`). Only that
// meta's methods (`load`, `copy_object`, `release_written_back`, `free_object`) give them
// back to a pool, its own; a slot never moves between metas, because every slot table is
// created by, and dropped with, its meta. The KUnit suites keep the same rule with pools of
// their own.
unsafe impl Brand for Objects {}

/// A zsmalloc pool of the driver.
pub(crate) type ZsPool = zsmalloc::Pool<Objects>;

/// An object in a [`ZsPool`]: ten bytes, so that a slot holding one stays within sixteen.
pub(crate) type Handle = zsmalloc::Handle<Objects>;
