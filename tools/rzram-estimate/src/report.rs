// SPDX-License-Identifier: GPL-2.0

//! The results: per algorithm, what the device would store and the memory it would use, a
//! recommendation, and their two forms, a table for people and JSON for programs.

use crate::{
    model::{device_memory, DeviceMemory, Tally, HANDLE_BYTES, SLOT_BYTES},
    zsmalloc::{SizeClasses, PAGE_SIZE},
};
use std::fmt::Write;

/// zstd is recommended over lz4 only if it saves at least this share of the memory.
const ZSTD_MIN_SAVING: f64 = 0.10;

/// What one algorithm would do with the input.
#[derive(Clone, Debug, PartialEq)]
pub struct AlgorithmReport {
    /// The algorithm's name, as `comp_algorithm` takes it.
    pub name: &'static str,
    /// Its level.
    pub level: i32,
    /// Same-filled pages.
    pub same_pages: u64,
    /// Pages stored uncompressed.
    pub huge_pages: u64,
    /// `mm_stat`'s `orig_data_size` after writing the input: every page.
    pub orig_data_size: u64,
    /// `mm_stat`'s `compr_data_size`.
    pub compr_data_size: u64,
    /// `mm_stat`'s `mem_used_total` after writing the input to a fresh device.
    pub mem_used_total: u64,
    /// The memory of a device of `disksize` full of such data.
    pub device: DeviceMemory,
    /// The host's compression speed, MiB of compressed pages per second.
    pub mib_per_s: f64,
}

impl AlgorithmReport {
    /// Summarises `tally` for a device of `disksize` after `input_bytes` were read.
    pub fn new(tally: &Tally, classes: &SizeClasses, input_bytes: u64, disksize: u64) -> Self {
        let padded = tally.pages * PAGE_SIZE as u64;
        let compressed = tally.objects() * PAGE_SIZE as u64;
        let secs = tally.elapsed.as_secs_f64();
        Self {
            name: tally.algorithm().name(),
            level: tally.algorithm().level(),
            same_pages: tally.same_pages,
            huge_pages: tally.huge_pages,
            orig_data_size: padded,
            compr_data_size: tally.compr_data_size,
            mem_used_total: tally.pool_bytes(classes),
            device: device_memory(tally, classes, padded.max(input_bytes), disksize),
            mib_per_s: if secs > 0.0 {
                compressed as f64 / secs / (1u64 << 20) as f64
            } else {
                0.0
            },
        }
    }

    /// Returns `orig_data_size / compr_data_size`, `None` if nothing is compressed.
    pub fn ratio(&self) -> Option<f64> {
        (self.compr_data_size > 0).then(|| self.orig_data_size as f64 / self.compr_data_size as f64)
    }
}

/// The recommended configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// The algorithm.
    pub algorithm: &'static str,
    /// A disksize that holds the input: its size rounded up to a MiB.
    pub disksize: u64,
    /// The memory a device of that size uses for the input.
    pub memory: u64,
    /// Why, in one or two lines.
    pub reason: String,
}

/// Everything the tool reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// What was read.
    pub source: String,
    /// The bytes read.
    pub input_bytes: u64,
    /// The pages they fill.
    pub pages: u64,
    /// The device size the memory figures are for.
    pub disksize: u64,
    /// zsmalloc's huge class size.
    pub huge_class_size: usize,
    /// zsmalloc's longest zspage chain.
    pub chain_size: usize,
    /// One entry per algorithm.
    pub algorithms: Vec<AlgorithmReport>,
    /// The advice.
    pub recommendation: Option<Recommendation>,
    /// Regions that were skipped.
    pub skipped: Vec<String>,
}

/// Formats `bytes` in MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

/// Returns `part / whole` (0 when `whole` is 0).
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Picks an algorithm and a disksize for the input.
pub fn recommend(algorithms: &[AlgorithmReport], input_bytes: u64) -> Option<Recommendation> {
    let disksize = input_bytes.max(1).div_ceil(1 << 20) << 20;
    let memory = |a: &AlgorithmReport| {
        let objects = a.orig_data_size / PAGE_SIZE as u64 - a.same_pages;
        a.mem_used_total + objects * HANDLE_BYTES + disksize / PAGE_SIZE as u64 * SLOT_BYTES
    };
    let lz4 = algorithms.iter().find(|a| a.name == "lz4");
    let zstd = algorithms.iter().find(|a| a.name == "zstd");
    let (pick, reason) = match (lz4, zstd) {
        (Some(l), Some(z)) => {
            let (ml, mz) = (memory(l), memory(z));
            let saving = 1.0 - share(mz, ml);
            if saving >= ZSTD_MIN_SAVING {
                (
                    z,
                    format!(
                        "zstd needs {:.0}% less memory than lz4 for this data; lz4 is faster \
                         (here lz4 compressed {:.0} MiB/s, zstd {:.0}) if speed matters more",
                        saving * 100.0,
                        l.mib_per_s,
                        z.mib_per_s
                    ),
                )
            } else {
                (
                    l,
                    format!(
                        "zstd would save only {:.0}% of the memory (less than {:.0}%), and lz4 \
                         is faster (here lz4 compressed {:.0} MiB/s, zstd {:.0})",
                        saving.max(0.0) * 100.0,
                        ZSTD_MIN_SAVING * 100.0,
                        l.mib_per_s,
                        z.mib_per_s
                    ),
                )
            }
        }
        (Some(a), None) | (None, Some(a)) => {
            (a, format!("{} is the only algorithm estimated", a.name))
        }
        (None, None) => return None,
    };
    let mem = memory(pick);
    let per = share(disksize, mem);
    Some(Recommendation {
        algorithm: pick.name,
        disksize,
        memory: mem,
        reason: format!(
            "{reason}; a disksize of {} holds this data in about {} of memory ({per:.1} bytes \
             of data per byte of memory)",
            mib(disksize),
            mib(mem)
        ),
    })
}

/// Escapes `s` as a JSON string.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Formats a finite number for JSON, `null` otherwise.
fn json_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.4}"),
        _ => "null".into(),
    }
}

impl Report {
    /// Renders the report as one JSON object.
    pub fn json(&self) -> String {
        // `write!` to a String cannot fail.
        let mut o = String::new();
        let _ = write!(
            o,
            "{{\"source\":{},\"input_bytes\":{},\"pages\":{},\"page_size\":{},\"disksize\":{},\
             \"huge_class_size\":{},\"zspage_chain_size\":{},\"algorithms\":[",
            json_str(&self.source),
            self.input_bytes,
            self.pages,
            PAGE_SIZE,
            self.disksize,
            self.huge_class_size,
            self.chain_size
        );
        for (i, a) in self.algorithms.iter().enumerate() {
            let pages = self.pages;
            let _ = write!(
                o,
                "{}{{\"name\":{},\"level\":{},\"same_pages\":{},\"same_share\":{},\
                 \"huge_pages\":{},\"huge_share\":{},\"orig_data_size\":{},\
                 \"compr_data_size\":{},\"ratio\":{},\"mem_used_total\":{},\
                 \"device_memory\":{{\"pool\":{},\"slots\":{},\"handles\":{},\"total\":{}}},\
                 \"mib_per_s\":{}}}",
                if i > 0 { "," } else { "" },
                json_str(a.name),
                a.level,
                a.same_pages,
                json_num(Some(share(a.same_pages, pages))),
                a.huge_pages,
                json_num(Some(share(a.huge_pages, pages))),
                a.orig_data_size,
                a.compr_data_size,
                json_num(a.ratio()),
                a.mem_used_total,
                a.device.pool,
                a.device.slots,
                a.device.handles,
                a.device.total(),
                json_num(Some(a.mib_per_s))
            );
        }
        o.push_str("],\"recommendation\":");
        match &self.recommendation {
            Some(r) => {
                let _ = write!(
                    o,
                    "{{\"algorithm\":{},\"disksize\":{},\"memory\":{},\"reason\":{}}}",
                    json_str(r.algorithm),
                    r.disksize,
                    r.memory,
                    json_str(&r.reason)
                );
            }
            None => o.push_str("null"),
        }
        o.push_str(",\"skipped\":[");
        for (i, s) in self.skipped.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str(&json_str(s));
        }
        o.push_str("]}\n");
        o
    }

    /// Renders the report as a table.
    pub fn table(&self) -> String {
        // `write!` to a String cannot fail.
        let mut o = String::new();
        let _ = writeln!(
            o,
            "input:    {}, {} bytes, {} pages of {}",
            self.source, self.input_bytes, self.pages, PAGE_SIZE
        );
        let _ = writeln!(
            o,
            "zsmalloc: pages of {} bytes or more compressed are stored as they are (huge); zspages of up to {} pages",
            self.huge_class_size, self.chain_size
        );
        let _ = writeln!(
            o,
            "\nafter writing the input to a fresh device (as mm_stat would show):"
        );
        let _ = writeln!(
            o,
            "{:<6} {:>16} {:>16} {:>15} {:>15} {:>7} {:>15} {:>9}",
            "algo",
            "same_pages",
            "huge_pages",
            "orig_data_size",
            "compr_data_size",
            "ratio",
            "mem_used_total",
            "MiB/s"
        );
        for a in &self.algorithms {
            let same = format!(
                "{} {:.1}%",
                a.same_pages,
                share(a.same_pages, self.pages) * 100.0
            );
            let huge = format!(
                "{} {:.1}%",
                a.huge_pages,
                share(a.huge_pages, self.pages) * 100.0
            );
            let ratio = a.ratio().map_or("-".to_string(), |r| format!("{r:.2}"));
            let _ = writeln!(
                o,
                "{:<6} {:>16} {:>16} {:>15} {:>15} {:>7} {:>15} {:>9.0}",
                a.name,
                same,
                huge,
                mib(a.orig_data_size),
                mib(a.compr_data_size),
                ratio,
                mib(a.mem_used_total),
                a.mib_per_s
            );
        }
        let _ = writeln!(
            o,
            "\nmemory of a device with disksize {} full of such data:",
            mib(self.disksize)
        );
        let _ = writeln!(
            o,
            "{:<6} {:>15} {:>15} {:>15} {:>15}",
            "algo", "pool", "slot table", "handles", "total"
        );
        for a in &self.algorithms {
            let _ = writeln!(
                o,
                "{:<6} {:>15} {:>15} {:>15} {:>15}",
                a.name,
                mib(a.device.pool),
                mib(a.device.slots),
                mib(a.device.handles),
                mib(a.device.total())
            );
        }
        if let Some(r) = &self.recommendation {
            let _ = writeln!(
                o,
                "\nrecommended: comp_algorithm {}, disksize {}\n  {}",
                r.algorithm,
                mib(r.disksize),
                r.reason
            );
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(
                o,
                "\nskipped {} regions that could not be read",
                self.skipped.len()
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(json_num(None), "null");
        assert_eq!(json_num(Some(f64::INFINITY)), "null");
        assert_eq!(json_num(Some(1.5)), "1.5000");
    }
}
