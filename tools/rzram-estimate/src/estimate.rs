// SPDX-License-Identifier: GPL-2.0

//! One estimate: read the input once, hand each page to every algorithm's tally, and sum up.

use crate::{
    args::Options,
    error::Error,
    input::Input,
    model::{same_filled, Tally},
    progress::Progress,
    report::{recommend, AlgorithmReport, Report},
    zsmalloc::{SizeClasses, DEFAULT_CHAIN_SIZE, PAGE_SIZE},
};

/// Runs the estimate `options` ask for; notes on skipped regions go to stderr as they come.
pub fn estimate(options: &Options) -> Result<Report, Error> {
    let classes = SizeClasses::new(DEFAULT_CHAIN_SIZE);
    let mut tallies = options
        .algorithms
        .iter()
        .map(|a| Tally::new(*a, &classes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Failed)?;
    let mut input = Input::open(&options.source)?;
    let mut progress = Progress::new(input.total());
    let mut done = 0u64;
    let bytes = input.for_each_page(&mut |page| {
        let same = same_filled(page);
        for t in tallies.iter_mut() {
            t.add(page, same, &classes);
        }
        done += PAGE_SIZE as u64;
        progress.update(done);
    });
    progress.finish();
    let bytes = bytes?;
    for note in input.notes() {
        eprintln!("rzram-estimate: {note}");
    }
    let pages = bytes.div_ceil(PAGE_SIZE as u64);
    let disksize = options.disksize.unwrap_or(pages * PAGE_SIZE as u64);
    let algorithms: Vec<AlgorithmReport> = tallies
        .iter()
        .map(|t| AlgorithmReport::new(t, &classes, bytes, disksize))
        .collect();
    Ok(Report {
        source: input.label().to_string(),
        input_bytes: bytes,
        pages,
        disksize,
        huge_class_size: classes.huge_class_size(),
        chain_size: DEFAULT_CHAIN_SIZE,
        recommendation: recommend(&algorithms, bytes),
        algorithms,
        skipped: input.notes().to_vec(),
    })
}
