// SPDX-License-Identifier: GPL-2.0

//! The tool's errors and their exit statuses.

use std::fmt;

/// Why the tool stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The command line is wrong: exit status 2.
    Usage(String),
    /// The input cannot be read, or anything else went wrong: exit status 1.
    Failed(String),
}

impl Error {
    /// Returns the exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Failed(_) => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Failed(m) => f.write_str(m),
        }
    }
}
