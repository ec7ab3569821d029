// SPDX-License-Identifier: GPL-2.0

//! The pages to estimate: a file or a block device read from start to end, or the mapped
//! memory of a process read through `/proc/<pid>/maps` and `/proc/<pid>/mem`.
//!
//! Input is cut into pages of 4 KiB; a last partial page is padded with zeros, as a block
//! device would hold it. Reading another process's memory needs the rights ptrace needs
//! (`PTRACE_MODE_ATTACH`): the same user and a `kernel.yama.ptrace_scope` that allows it, or
//! `CAP_SYS_PTRACE`. Regions that cannot be read (`[vvar]`, `[vsyscall]`, mappings gone or
//! changed while reading) are skipped, each with a note.

use crate::{error::Error, zsmalloc::PAGE_SIZE};
use std::{
    fs::File,
    io::{ErrorKind, Read, Seek, SeekFrom},
    os::unix::fs::FileExt,
    path::PathBuf,
};

/// Pages read at a time.
const CHUNK: usize = 256 * PAGE_SIZE;

/// Where the pages come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A regular file or a block device.
    Path(PathBuf),
    /// The readable mappings of a process; only anonymous ones (heap, stack, anonymous
    /// mappings: what swap would hold) if `anon_only`.
    Pid {
        /// The process.
        pid: u32,
        /// Skip file mappings.
        anon_only: bool,
    },
}

/// One mapping of a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Its first address.
    pub start: u64,
    /// Its length in bytes.
    pub len: u64,
    /// Its name in `maps` (a path, `[heap]`, ...; empty for anonymous mappings).
    pub name: String,
}

/// Parses one line of `/proc/<pid>/maps` into a region, or `None` if it is not readable, is
/// skipped by `anon_only`, or does not parse.
pub fn parse_maps_line(line: &str, anon_only: bool) -> Option<Region> {
    let mut fields = line.split_whitespace();
    let range = fields.next()?;
    let perms = fields.next()?;
    // offset, device, inode; the rest is the name (which may contain spaces).
    let name = fields.skip(3).collect::<Vec<_>>().join(" ");
    let (start, end) = range.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    if !perms.starts_with('r') || end <= start {
        return None;
    }
    let anonymous = name.is_empty()
        || name == "[heap]"
        || name.starts_with("[stack")
        || name.starts_with("[anon");
    if anon_only && !anonymous {
        return None;
    }
    Some(Region {
        start,
        len: end - start,
        name,
    })
}

/// An open input.
pub struct Input {
    kind: Kind,
    label: String,
    total: u64,
    notes: Vec<String>,
}

enum Kind {
    File(File),
    Process { mem: File, regions: Vec<Region> },
}

/// Explains a failure to open or read a process's memory.
fn pid_error(pid: u32, what: &str, e: &std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::Failed(format!("no process {pid}")),
        ErrorKind::PermissionDenied => Error::Failed(format!(
            "cannot read {what} of process {pid}: {e}; reading another process's memory \
             needs the rights ptrace needs (the same user and kernel.yama.ptrace_scope 0, \
             or root / CAP_SYS_PTRACE)"
        )),
        _ => Error::Failed(format!("cannot read {what} of process {pid}: {e}")),
    }
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn fill(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Hands `buf[..len]` to `f` page by page, the last partial page padded with zeros.
///
/// The callers pass a buffer of [`CHUNK`] bytes, a multiple of the page size, and
/// `len <= CHUNK`; `padded` is then at most `CHUNK` too.
fn pages(buf: &mut [u8], len: usize, f: &mut dyn FnMut(&[u8])) {
    let padded = (len.div_ceil(PAGE_SIZE) * PAGE_SIZE).min(buf.len());
    buf[len.min(padded)..padded].fill(0);
    buf[..padded].chunks_exact(PAGE_SIZE).for_each(f);
}

impl Input {
    /// Opens `source`.
    pub fn open(source: &Source) -> Result<Self, Error> {
        match source {
            Source::Path(path) => {
                let shown = path.display().to_string();
                let mut file = File::open(path)
                    .map_err(|e| Error::Failed(format!("cannot open {shown}: {e}")))?;
                if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                    return Err(Error::Failed(format!("{shown} is a directory")));
                }
                // A block device has no length in its metadata: its end tells its size.
                let total = file.seek(SeekFrom::End(0)).unwrap_or(0);
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| Error::Failed(format!("cannot read {shown}: {e}")))?;
                Ok(Self {
                    kind: Kind::File(file),
                    label: shown,
                    total,
                    notes: Vec::new(),
                })
            }
            Source::Pid { pid, anon_only } => {
                let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
                    .map_err(|e| pid_error(*pid, "the memory map", &e))?;
                let mem = File::open(format!("/proc/{pid}/mem"))
                    .map_err(|e| pid_error(*pid, "the memory", &e))?;
                let regions: Vec<Region> = maps
                    .lines()
                    .filter_map(|l| parse_maps_line(l, *anon_only))
                    .collect();
                let total = regions.iter().map(|r| r.len).sum();
                let what = if *anon_only { "anonymous " } else { "" };
                Ok(Self {
                    kind: Kind::Process { mem, regions },
                    label: format!("process {pid} ({what}mappings)"),
                    total,
                    notes: Vec::new(),
                })
            }
        }
    }

    /// Returns what the input is, for the report.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Returns the bytes the input is expected to hold (0 if unknown).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Returns the notes on regions that were skipped.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Hands every page of the input to `f`; returns the bytes read (before padding).
    pub fn for_each_page(&mut self, f: &mut dyn FnMut(&[u8])) -> Result<u64, Error> {
        let mut buf = vec![0u8; CHUNK];
        let mut bytes = 0u64;
        match &mut self.kind {
            Kind::File(file) => loop {
                let len = fill(file, &mut buf)
                    .map_err(|e| Error::Failed(format!("cannot read {}: {e}", self.label)))?;
                pages(&mut buf, len, f);
                bytes += len as u64;
                if len < CHUNK {
                    break;
                }
            },
            Kind::Process { mem, regions } => {
                for r in regions.iter() {
                    let mut off = 0u64;
                    while off < r.len {
                        let want = (r.len - off).min(CHUNK as u64) as usize;
                        let skipped = match mem.read_at(&mut buf[..want], r.start + off) {
                            Ok(0) => "ends early".to_string(),
                            Ok(n) => {
                                pages(&mut buf, n, f);
                                bytes += n as u64;
                                off += n as u64;
                                continue;
                            }
                            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                            Err(e) => e.to_string(),
                        };
                        self.notes.push(format!(
                            "skipped {:x}-{:x} {}: {skipped}",
                            r.start + off,
                            r.start + r.len,
                            r.name
                        ));
                        break;
                    }
                }
            }
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines() {
        let heap = "55d0c8a4e000-55d0c8a6f000 rw-p 00000000 00:00 0          [heap]";
        assert_eq!(
            parse_maps_line(heap, true),
            Some(Region {
                start: 0x55d0c8a4e000,
                len: 0x21000,
                name: "[heap]".into()
            })
        );
        let lib = "7f1c00000000-7f1c00001000 r-xp 00001000 08:01 1234 /usr/lib/my lib.so";
        assert_eq!(parse_maps_line(lib, true), None);
        assert_eq!(
            parse_maps_line(lib, false).map(|r| r.name),
            Some("/usr/lib/my lib.so".to_string())
        );
        let anon = "7f1c00000000-7f1c00002000 rw-p 00000000 00:00 0";
        assert_eq!(parse_maps_line(anon, true).map(|r| r.len), Some(0x2000));
        let guard = "7f1c00000000-7f1c00002000 ---p 00000000 00:00 0";
        assert_eq!(parse_maps_line(guard, false), None);
        assert_eq!(parse_maps_line("garbage", false), None);
    }
}
