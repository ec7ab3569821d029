// SPDX-License-Identifier: GPL-2.0

//! The lock-free, reference-counted publication of a device's state: [`kernel::sync::Gate`].
//!
//! The meta of an rzram device (slot table, pool, streams) is published in a gate when
//! `disksize` is set and retired by `reset`; requests reach it through a [`GateRef`] without
//! taking the device's control lock. The backing store has a gate of its own inside the meta,
//! retired while the meta's is held for reading: each gate made by [`new_gate!`] has lock
//! classes of its own, so lockdep tells them apart.

pub(crate) use kernel::sync::{new_gate, Gate, GateRef};
