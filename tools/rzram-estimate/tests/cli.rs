// SPDX-License-Identifier: GPL-2.0

//! The tool as a user runs it: on files it generates with a known mix of pages, checking the
//! exact same-filled and huge page counts, sane ratios, the JSON keys, and the errors and exit
//! statuses of bad command lines and unreadable inputs.

mod common {
    pub mod json;
}

use common::json::{parse, Value};
use std::{
    path::PathBuf,
    process::{Command, Output},
};

const PAGE: usize = 4096;

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, data: &[u8]) -> Result<Self, String> {
        let path =
            std::env::temp_dir().join(format!("rzram-estimate-{}-{name}", std::process::id()));
        std::fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn run(args: &[&str]) -> Result<Output, String> {
    Command::new(env!("CARGO_BIN_EXE_rzram-estimate"))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the tool: {e}"))
}

/// xorshift64: a reproducible stream of bytes that no compressor shrinks.
struct Noise(u64);

impl Noise {
    fn page(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PAGE);
        while out.len() < PAGE {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            out.extend_from_slice(&self.0.to_le_bytes());
        }
        out
    }
}

/// Text-like data: words of a small vocabulary, varied by a counter, compressible about 3:1
/// to 6:1 as ordinary text is.
fn text_page(n: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "page",
        "memory",
        "swap",
        "compressed",
        "device",
        "the",
        "of",
        "zsmalloc",
        "slot",
        "kernel",
        "pool",
        "write",
    ];
    let mut out = Vec::with_capacity(PAGE + 32);
    let mut i = n * 7919;
    while out.len() < PAGE {
        i = i.wrapping_mul(1103515245).wrapping_add(12345);
        out.extend_from_slice(WORDS[(i >> 16) % WORDS.len()].as_bytes());
        out.push(if (i >> 8).is_multiple_of(9) {
            b'\n'
        } else {
            b' '
        });
        if (i >> 4).is_multiple_of(5) {
            out.extend_from_slice(format!("{} ", (i >> 12) % 1000).as_bytes());
        }
    }
    out.truncate(PAGE);
    out
}

const ZERO: usize = 10;
const SAME: usize = 7;
const RANDOM: usize = 5;
const TEXT: usize = 20;
/// The mix, interleaved, plus a last partial page of 100 bytes of text (padded with zeros:
/// not same-filled, compressible).
fn mix() -> Vec<u8> {
    let mut data = Vec::new();
    let mut noise = Noise(0x9e3779b97f4a7c15);
    for i in 0..TEXT {
        data.extend(text_page(i));
        if i < ZERO {
            data.extend(vec![0u8; PAGE]);
        }
        if i < SAME {
            let word = 0x0102030405060708u64.wrapping_mul(i as u64 + 1);
            data.extend(word.to_ne_bytes().repeat(PAGE / 8));
        }
        if i < RANDOM {
            data.extend(noise.page());
        }
    }
    data.extend_from_slice(&text_page(99)[..100]);
    data
}

fn estimate_json(args: &[&str]) -> Result<Value, String> {
    let out = run(args)?;
    if !out.status.success() {
        return Err(format!("failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    parse(&text).map_err(|e| format!("{e} in {text}"))
}

fn int(v: &Value, key: &str) -> Result<u64, String> {
    v.get(key)
        .and_then(Value::int)
        .ok_or(format!("no integer {key} in {v:?}"))
}

#[test]
fn a_known_mix_gives_exact_counts_and_sane_ratios() -> Result<(), String> {
    let data = mix();
    let file = TempFile::new("mix", &data)?;
    let path = file.0.to_str().ok_or("temporary path is not UTF-8")?;
    let v = estimate_json(&["--json", path])?;
    let pages = (ZERO + SAME + RANDOM + TEXT + 1) as u64;
    assert_eq!(int(&v, "input_bytes")?, data.len() as u64);
    assert_eq!(int(&v, "pages")?, pages);
    assert_eq!(int(&v, "disksize")?, pages * PAGE as u64);
    assert_eq!(int(&v, "huge_class_size")?, 3625);
    let algorithms = v
        .get("algorithms")
        .and_then(Value::array)
        .ok_or("no algorithms")?;
    let names: Vec<_> = algorithms
        .iter()
        .filter_map(|a| a.get("name")?.str())
        .collect();
    assert_eq!(names, ["lz4", "zstd"]);
    for a in algorithms {
        assert_eq!(int(a, "same_pages")?, (ZERO + SAME) as u64, "{a:?}");
        assert_eq!(int(a, "huge_pages")?, RANDOM as u64, "{a:?}");
        assert_eq!(int(a, "orig_data_size")?, pages * PAGE as u64);
        let compr = int(a, "compr_data_size")?;
        // The random pages are stored whole; the text pages compress to 15-60% of a page.
        let text = compr - (RANDOM * PAGE) as u64;
        let text_pages = (TEXT + 1) as u64;
        assert!(
            text > text_pages * 614 && text < text_pages * 2458,
            "text took {text} bytes"
        );
        let ratio = a.get("ratio").and_then(Value::num).ok_or("no ratio")?;
        let expect = (pages * PAGE as u64) as f64 / compr as f64;
        assert!(
            (ratio - expect).abs() < 0.001 && ratio > 2.0 && ratio < 8.0,
            "ratio {ratio}"
        );
        let share = a
            .get("huge_share")
            .and_then(Value::num)
            .ok_or("no huge_share")?;
        assert!((share - RANDOM as f64 / pages as f64).abs() < 0.0001);
        // Huge pages take a page each; the text objects at least their size class.
        let used = int(a, "mem_used_total")?;
        assert!(
            used >= compr && used % PAGE as u64 == 0,
            "mem_used_total {used}"
        );
        let device = a.get("device_memory").ok_or("no device_memory")?;
        assert_eq!(int(device, "pool")?, used);
        assert_eq!(int(device, "slots")?, pages * 16);
        assert_eq!(int(device, "handles")?, (pages - (ZERO + SAME) as u64) * 8);
        assert_eq!(int(device, "total")?, used + pages * 16 + (pages - 17) * 8);
    }
    let r = v.get("recommendation").ok_or("no recommendation")?;
    assert!(matches!(
        r.get("algorithm").and_then(Value::str),
        Some("lz4" | "zstd")
    ));
    // The input rounded up to a MiB.
    assert_eq!(int(r, "disksize")?, 1 << 20);
    Ok(())
}

#[test]
fn json_has_exactly_the_documented_keys() -> Result<(), String> {
    let file = TempFile::new("keys", &mix())?;
    let path = file.0.to_str().ok_or("temporary path is not UTF-8")?;
    let v = estimate_json(&[path, "--json", "--disksize", "8M"])?;
    assert_eq!(
        v.keys(),
        [
            "source",
            "input_bytes",
            "pages",
            "page_size",
            "disksize",
            "huge_class_size",
            "zspage_chain_size",
            "algorithms",
            "recommendation",
            "skipped"
        ]
    );
    for a in v
        .get("algorithms")
        .and_then(Value::array)
        .ok_or("no algorithms")?
    {
        assert_eq!(
            a.keys(),
            [
                "name",
                "level",
                "same_pages",
                "same_share",
                "huge_pages",
                "huge_share",
                "orig_data_size",
                "compr_data_size",
                "ratio",
                "mem_used_total",
                "device_memory",
                "mib_per_s"
            ]
        );
        let d = a.get("device_memory").ok_or("no device_memory")?;
        assert_eq!(d.keys(), ["pool", "slots", "handles", "total"]);
        // A device of 8 MiB full of such data: its objects take at least their bytes, and
        // at most the input's pool scaled (the last, partial zspage of each class is shared
        // by more objects).
        let pages = int(&v, "pages")?;
        let pool = int(d, "pool")?;
        assert_eq!(pool % PAGE as u64, 0);
        assert!(
            pool >= int(a, "compr_data_size")? * 2048 / pages,
            "pool {pool}"
        );
        assert!(
            pool <= int(a, "mem_used_total")? * 2048 / pages + PAGE as u64,
            "pool {pool}"
        );
        assert_eq!(int(d, "slots")?, 2048 * 16);
    }
    let levels: Vec<_> = v
        .get("algorithms")
        .and_then(Value::array)
        .ok_or("no algorithms")?
        .iter()
        .filter_map(|a| a.get("level")?.int())
        .collect();
    assert_eq!(levels, [1, 3]);
    let r = v.get("recommendation").ok_or("no recommendation")?;
    assert_eq!(r.keys(), ["algorithm", "disksize", "memory", "reason"]);
    assert_eq!(v.get("skipped"), Some(&Value::Array(Vec::new())));
    assert_eq!(int(&v, "disksize")?, 8 << 20);
    Ok(())
}

#[test]
fn one_algorithm_and_the_table() -> Result<(), String> {
    let file = TempFile::new("table", &mix())?;
    let path = file.0.to_str().ok_or("temporary path is not UTF-8")?;
    let v = estimate_json(&["--json", "--algorithm", "zstd", path])?;
    let algorithms = v
        .get("algorithms")
        .and_then(Value::array)
        .ok_or("no algorithms")?;
    assert_eq!(algorithms.len(), 1);
    let out = run(&[path])?;
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    // 17 and 5 of 43 pages.
    assert!(
        table.contains("17 39.5%"),
        "same pages in the table: {table}"
    );
    assert!(
        table.contains("5 11.6%"),
        "huge pages in the table: {table}"
    );
    assert!(table.contains("recommended: comp_algorithm "), "{table}");
    // No progress bar when stderr is not a terminal.
    assert!(out.stderr.is_empty());
    Ok(())
}

#[test]
fn errors_and_exit_statuses() -> Result<(), String> {
    let cases: [(&[&str], i32, &str); 6] = [
        (&[], 2, "no input"),
        (&["--bogus"], 2, "unknown option '--bogus'"),
        (&["a", "--disksize", "1Q"], 2, "invalid size '1Q'"),
        (
            &["/nonexistent/rzram-estimate-input"],
            1,
            "cannot open /nonexistent/",
        ),
        (&["/"], 1, "/ is a directory"),
        (&["--pid", "4194304"], 1, "no process 4194304"),
    ];
    for (args, code, msg) in cases {
        let out = run(args)?;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let help = run(&["--help"])?;
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--pid <PID>"));
    Ok(())
}

#[test]
fn a_process_is_read_or_refused_with_the_reason() -> Result<(), String> {
    let mut child = Command::new("sleep")
        .arg("30")
        .spawn()
        .map_err(|e| format!("cannot start sleep: {e}"))?;
    let pid = child.id().to_string();
    let out = run(&["--pid", &pid, "--anon", "--json"]);
    let _ = child.kill();
    let _ = child.wait();
    let out = out?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        // With the rights (root, or ptrace_scope 0): its anonymous memory was read.
        let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
        let v = parse(&text)?;
        assert!(int(&v, "pages")? > 0);
        assert!(v
            .get("source")
            .and_then(Value::str)
            .is_some_and(|s| s.contains(&pid)));
    } else {
        // Without: a clear refusal that names what is missing.
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("ptrace"), "{err}");
    }
    Ok(())
}
