#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark: rzram and the C zram side by side in one VM (tests/guest/bench/compare.sh).
# Not part of `make test`; speed is measured here, never in a test.
#
# Usage: scripts/bench.sh [MiB] [algorithms...]   (default: 128 MiB, lz4 and zstd)
#        scripts/bench.sh swap [rounds] [algorithm]   (tests/guest/bench/swap.sh: swap on
#                                                     each, interleaved; default 5, lz4)
#        scripts/bench.sh memory [rounds]             (tests/guest/bench/memory.sh: fixed
#                                                     memory of an empty device; default 3)
set -euo pipefail

if [[ "${1:-}" == memory ]]; then
	shift
	exec bash "$(dirname "$0")/run-base.sh" 1G tests/guest/bench/memory.sh "$@"
fi
if [[ "${1:-}" == swap ]]; then
	shift
	exec bash "$(dirname "$0")/run-base.sh" 512M --timeout 3600 tests/guest/bench/swap.sh "$@"
fi
# The disk is the backing store of the inline_writeback comparison.
exec bash "$(dirname "$0")/run-base.sh" 1G --disk 1G tests/guest/bench/compare.sh "$@"
