// SPDX-License-Identifier: GPL-2.0

//! A progress bar on stderr, for large inputs read from a terminal session.

use std::{
    io::{IsTerminal, Write},
    time::{Duration, Instant},
};

/// Inputs smaller than this are read without a bar.
pub const MIN_BYTES: u64 = 16 << 20;
/// The bar is redrawn at most this often.
const PERIOD: Duration = Duration::from_millis(100);
/// The width of the bar in characters.
const WIDTH: u64 = 40;

/// A progress bar, drawn only if stderr is a terminal and the input is large.
pub struct Progress {
    enabled: bool,
    total: u64,
    last: Option<Instant>,
}

impl Progress {
    /// Starts a bar for `total` bytes (0: unknown, no bar).
    pub fn new(total: u64) -> Self {
        Self {
            enabled: total >= MIN_BYTES && std::io::stderr().is_terminal(),
            total,
            last: None,
        }
    }

    /// Shows that `done` bytes are read.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < PERIOD) {
            return;
        }
        self.last = Some(now);
        let done = done.min(self.total);
        let filled = done * WIDTH / self.total;
        let bar: String = (0..WIDTH)
            .map(|i| if i < filled { '#' } else { '.' })
            .collect();
        // A failed write to stderr is not worth stopping for.
        let _ = write!(
            std::io::stderr(),
            "\r[{bar}] {:3}% {}/{} MiB",
            done * 100 / self.total,
            done >> 20,
            self.total >> 20
        );
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr(), "\r{:1$}\r", "", WIDTH as usize + 30);
        }
    }
}
