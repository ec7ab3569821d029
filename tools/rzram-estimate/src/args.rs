// SPDX-License-Identifier: GPL-2.0

//! The command line.

use crate::{error::Error, input::Source, model::Algorithm};
use std::path::PathBuf;

/// The help text.
pub const HELP: &str = "\
rzram-estimate: how much memory an rzram (or zram) device would use for given data

Usage: rzram-estimate [OPTIONS] <FILE|BLOCK-DEVICE>
       rzram-estimate [OPTIONS] --pid <PID> [--anon]

Reads the input in 4 KiB pages (a last partial page is padded with zeros) and models, per
compression algorithm, what the driver would store: same-filled pages (every 8-byte word
equal) cost no pool memory; other pages are compressed, and if the result is not shorter
than zsmalloc's huge class size (3625 bytes with 4 KiB pages and zsmalloc's default chain
of 8 pages) they are stored uncompressed (huge) in a page of their own; the rest go to
zsmalloc's size class for their length. The device also keeps 16 bytes per page of
disksize for its slot table and 8 bytes per stored page for its zsmalloc handle.

Options:
  --pid <PID>         read the readable mappings of process PID through /proc/PID/maps and
                      /proc/PID/mem instead of a file. Needs the rights ptrace needs: the
                      same user and kernel.yama.ptrace_scope 0, or root / CAP_SYS_PTRACE.
                      Mappings that cannot be read are skipped with a note on stderr.
  --anon              with --pid: only anonymous mappings (heap, stack, anonymous memory),
                      what swap would hold
  --disksize <SIZE>   the device to size, in bytes or with a K, M, G or T suffix (powers
                      of 1024), rounded up to a page; default: the input's size. The memory
                      figures are for a device of that size full of data like the input.
  --algorithm <NAME>  lz4 or zstd, or a comma-separated list (default: lz4,zstd); lz4 at
                      acceleration 1 (lz4_flex, the block format of LZ4_compress_default),
                      zstd at level 3 (zstd_default_clevel(), parameters for 4 KiB input)
  --json              print JSON instead of a table
  -h, --help          print this help
  -V, --version       print the version

A progress bar is drawn on stderr for inputs of 16 MiB or more when stderr is a terminal.
Exit status: 0 on success, 1 if the input cannot be read, 2 on usage errors.
";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Print the help.
    Help,
    /// Print the version.
    Version,
    /// Estimate.
    Run(Options),
}

/// The options of an estimate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The input.
    pub source: Source,
    /// The device size to report on; `None` for the input's size.
    pub disksize: Option<u64>,
    /// The algorithms to model, in report order.
    pub algorithms: Vec<Algorithm>,
    /// JSON output.
    pub json: bool,
}

/// Parses a size: a number of bytes, optionally followed by K, M, G or T (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, Error> {
    let bad = || Error::Usage(format!("invalid size '{s}' (a number with K, M, G or T)"));
    let (digits, shift) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(bad()),
            };
            (&s[..i], shift)
        }
        _ => (s, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let v = n.checked_mul(1u64 << shift).ok_or_else(bad)?;
    if v == 0 {
        return Err(Error::Usage("the size must not be 0".into()));
    }
    Ok(v)
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Command, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut path: Option<PathBuf> = None;
    let mut pid: Option<u32> = None;
    let mut anon = false;
    let mut disksize = None;
    let mut algorithms: Option<Vec<Algorithm>> = None;
    let mut json = false;
    let mut args = args.into_iter().map(Into::into);
    let mut positional_only = false;
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") && !positional_only => (n.to_string(), Some(v)),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, Error> {
            match inline {
                Some(v) => Ok(v.to_string()),
                None => args
                    .next()
                    .ok_or_else(|| Error::Usage(format!("{name} needs {what}"))),
            }
        };
        match name.as_str() {
            _ if positional_only => {
                if path.replace(PathBuf::from(&arg)).is_some() {
                    return Err(Error::Usage("only one input can be given".into()));
                }
            }
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--json" => json = true,
            "--anon" => anon = true,
            "--pid" => {
                let v = value("a process id")?;
                let p = v
                    .parse::<u32>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| Error::Usage(format!("invalid process id '{v}'")))?;
                pid = Some(p);
            }
            "--disksize" => disksize = Some(parse_size(&value("a size")?)?),
            "--algorithm" => {
                let v = value("an algorithm")?;
                let mut list = Vec::new();
                for n in v.split(',') {
                    let a = Algorithm::from_name(n).ok_or_else(|| {
                        Error::Usage(format!("unknown algorithm '{n}' (lz4 or zstd)"))
                    })?;
                    if !list.contains(&a) {
                        list.push(a);
                    }
                }
                algorithms = Some(list);
            }
            "--" => positional_only = true,
            s if s.starts_with('-') && s.len() > 1 => {
                return Err(Error::Usage(format!("unknown option '{s}'")));
            }
            _ => {
                if path.replace(PathBuf::from(&arg)).is_some() {
                    return Err(Error::Usage("only one input can be given".into()));
                }
            }
        }
    }
    let source = match (path, pid) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage("give a file or --pid, not both".into()));
        }
        (None, None) => {
            return Err(Error::Usage(
                "no input: give a file, a device or --pid".into(),
            ))
        }
        (Some(p), None) => {
            if anon {
                return Err(Error::Usage("--anon only goes with --pid".into()));
            }
            Source::Path(p)
        }
        (None, Some(pid)) => Source::Pid {
            pid,
            anon_only: anon,
        },
    };
    // zram rounds disksize up to a page.
    let disksize = disksize.map(|d: u64| d.div_ceil(4096).saturating_mul(4096));
    Ok(Command::Run(Options {
        source,
        disksize,
        algorithms: algorithms.unwrap_or_else(|| Algorithm::ALL.to_vec()),
        json,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, Error> {
        match parse(args.iter().copied())? {
            Command::Run(o) => Ok(o),
            other => Err(Error::Failed(format!("not a run: {other:?}"))),
        }
    }

    fn usage(args: &[&str]) -> String {
        match parse(args.iter().copied()) {
            Err(Error::Usage(m)) => m,
            other => format!("no usage error: {other:?}"),
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1K"), Ok(1024));
        assert_eq!(parse_size("256m"), Ok(256 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        for bad in [
            "",
            "K",
            "1X",
            "-1",
            "1.5G",
            "1 G",
            "99999999999999999999",
            "20000000T",
        ] {
            assert!(matches!(parse_size(bad), Err(Error::Usage(_))), "{bad}");
        }
        assert_eq!(
            parse_size("0"),
            Err(Error::Usage("the size must not be 0".into()))
        );
    }

    #[test]
    fn a_file_with_defaults() -> Result<(), Error> {
        let o = run(&["swap.img"])?;
        assert_eq!(o.source, Source::Path("swap.img".into()));
        assert_eq!(o.disksize, None);
        assert_eq!(o.algorithms, vec![Algorithm::Lz4, Algorithm::Zstd]);
        assert!(!o.json);
        Ok(())
    }

    #[test]
    fn every_option() -> Result<(), Error> {
        let o = run(&[
            "--pid",
            "42",
            "--anon",
            "--disksize=1000",
            "--algorithm",
            "zstd",
            "--json",
        ])?;
        assert_eq!(
            o.source,
            Source::Pid {
                pid: 42,
                anon_only: true
            }
        );
        // Rounded up to a page, as zram does.
        assert_eq!(o.disksize, Some(4096));
        assert_eq!(o.algorithms, vec![Algorithm::Zstd]);
        assert!(o.json);
        let o = run(&["--algorithm=zstd,lz4,zstd", "--", "--odd-name"])?;
        assert_eq!(o.algorithms, vec![Algorithm::Zstd, Algorithm::Lz4]);
        assert_eq!(o.source, Source::Path("--odd-name".into()));
        Ok(())
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(["x", "--help"]), Ok(Command::Help));
        assert_eq!(parse(["-V"]), Ok(Command::Version));
    }

    #[test]
    fn errors() {
        assert_eq!(usage(&[]), "no input: give a file, a device or --pid");
        assert_eq!(usage(&["a", "b"]), "only one input can be given");
        assert_eq!(
            usage(&["a", "--pid", "1"]),
            "give a file or --pid, not both"
        );
        assert_eq!(usage(&["a", "--anon"]), "--anon only goes with --pid");
        assert_eq!(usage(&["--pid", "x"]), "invalid process id 'x'");
        assert_eq!(usage(&["--pid", "0"]), "invalid process id '0'");
        assert_eq!(usage(&["--pid"]), "--pid needs a process id");
        assert_eq!(usage(&["a", "--disksize"]), "--disksize needs a size");
        assert_eq!(
            usage(&["a", "--algorithm", "lzo"]),
            "unknown algorithm 'lzo' (lz4 or zstd)"
        );
        assert_eq!(
            usage(&["a", "--frobnicate"]),
            "unknown option '--frobnicate'"
        );
        assert_eq!(
            usage(&["a", "--disksize", "12Q"]),
            "invalid size '12Q' (a number with K, M, G or T)"
        );
    }
}
