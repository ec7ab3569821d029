#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark: rzram against the C zram, both in one VM, the devices interleaved round by round.
# Not part of `make test`; speed is measured here, never in a test. Under QEMU TCG on a shared
# host only the ratios between the drivers in one run mean something, not the absolute numbers.
#
# Usage: scripts/bench.sh [--full] [--rounds N] [--runtime S] [--cases "CASE ..."]
#                         [--out DIR] [--no-swap] [--no-memory] [--no-icount]
#            what `make bench` runs: five VMs, one after the other:
#            - fio (tests/guest/bench/fio.sh): per case both devices filled, then N rounds
#              (default 5) of S seconds (default 2) each, zram then rzram; the default matrix
#              covers every workload, data class, engine and algorithm at least once (17
#              cases, about 13 minutes under TCG), --full runs all of them (120 cases, about
#              an hour and a half), --cases a list of your own (see fio.sh for the form);
#            - swap (tests/guest/bench/swap.sh, N rounds, lz4);
#            - fixed memory (tests/guest/bench/memory.sh, 3 rounds);
#            - under QEMU -icount, where a guest nanosecond is one instruction: instructions
#              per 4 KiB request (tests/guest/bench/icount.sh, 3 rounds), and the KUnit
#              suite rzram_bench (tests/kunit/bench.rs): each stage of a page's way through
#              the driver next to the kernel primitive under it.
#            The console logs, report.txt (the tables and the goals), fio-rounds.csv and
#            ratios.svg (the ratio of each case with its spread) go to DIR (default
#            bench-results/<UTC date and time>); the report is printed.
#        scripts/bench.sh fio [fio.sh options]          fio only, raw output
#        scripts/bench.sh swap [rounds] [algorithm]     swap on each, interleaved (default 5, lz4)
#        scripts/bench.sh memory [rounds]               fixed memory of an empty device (default 3)
#        scripts/bench.sh icount [rounds]               instructions per request (default 3)
#        scripts/bench.sh stages                        the rzram_bench KUnit suite, under -icount
#        scripts/bench.sh compare [MiB] [algorithms...] the iobench comparison
#                                                       (tests/guest/bench/compare.sh, with
#                                                       inline_writeback to a backing store;
#                                                       default 128 MiB, lz4 and zstd)
#        scripts/bench.sh tbprofile [requests] [DIR]    blocks the emulator runs per request,
#                                                       by function (scripts/tb-profile.py,
#                                                       tests/guest/bench/tbtrace.sh; default
#                                                       200 requests, DIR a temporary one)
#        scripts/bench.sh report DIR                    the report again, from DIR's logs
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# fio is the benchmark's alone: installed here, on first use, not by deps.sh for every test run.
need_fio() {
	command -v fio >/dev/null 2>&1 && return
	[[ $(id -u) -eq 0 ]] || { echo "bench: fio is missing (run as root to install it)" >&2; exit 1; }
	echo "bench: installing fio" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fio >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends fio >/dev/null; }
}
top=$(cd "$here/.." && pwd)
cd "$top"

# The instruction-count runs: QEMU's clock advances 1 ns per guest instruction, and coreutils'
# date and dd (nanoseconds, O_DIRECT) replace busybox's in the guest.
icount="-icount shift=0,sleep=off"
icount_bins=(--bin "$(command -v date)" --bin "$(command -v dd)")

usage() {
	sed -n '/^# Usage:/,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit "${1:-2}"
}

case "${1:-}" in
-h | --help) usage 0 ;;
memory)
	shift
	exec bash "$here/run-base.sh" 1G tests/guest/bench/memory.sh "$@"
	;;
swap)
	shift
	exec bash "$here/run-base.sh" 512M --timeout 3600 tests/guest/bench/swap.sh "$@"
	;;
icount)
	shift
	RZRAM_QEMU_ARGS=$icount exec bash "$here/run-base.sh" 512M "${icount_bins[@]}" \
		--append kunit.enable=0 --timeout 1800 tests/guest/bench/icount.sh "$@"
	;;
stages)
	RZRAM_QEMU_ARGS=$icount exec bash "$here/run-base.sh" 512M \
		--append kunit.filter_glob=rzram_bench --timeout 1800 tests/guest/kunit.sh
	;;
fio)
	shift
	bash "$here/deps.sh"
	need_fio
	exec bash "$here/run-base.sh" 1G --bin "$(command -v fio)" --timeout 21600 \
		tests/guest/bench/fio.sh "$@"
	;;
compare)
	shift
	# The disk is the backing store of the inline_writeback comparison.
	exec bash "$here/run-base.sh" 1G --disk 1G tests/guest/bench/compare.sh "$@"
	;;
tbprofile)
	bash "$here/deps.sh"
	kdir=$(bash "$here/build-kernel.sh" base)
	ko=$(bash "$here/build-module.sh" "$kdir")
	args=(--kernel "$kdir" --module "$ko" --requests "${2:-200}")
	[[ -n "${3:-}" ]] && args+=(--out "$3")
	exec python3 "$here/tb-profile.py" "${args[@]}"
	;;
report)
	dir=${2:?report needs the results directory}
	args=(--out "$dir")
	for part in fio swap memory icount stages; do
		[[ -f "$dir/$part.log" ]] && args+=("--$part" "$dir/$part.log")
	done
	exec python3 "$here/bench-report.py" "${args[@]}"
	;;
[0-9]*)
	# The former default: the iobench comparison with a size first.
	exec bash "$here/run-base.sh" 1G --disk 1G tests/guest/bench/compare.sh "$@"
	;;
esac

fio_args=()
rounds=5
out=
swap=1
memory=1
instructions=1
timeout=3600
while (($#)); do
	case "$1" in
	--full) fio_args+=(--matrix full); timeout=21600; shift ;;
	--rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
	--runtime) fio_args+=(--runtime "${2:?--runtime needs seconds}"); shift 2 ;;
	--cases) fio_args+=(--cases "${2:?--cases needs a list}"); shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--no-swap) swap=0; shift ;;
	--no-memory) memory=0; shift ;;
	--no-icount) instructions=0; shift ;;
	*) echo "bench: unknown argument $1" >&2; usage ;;
	esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad --rounds $rounds" >&2; exit 2; }
fio_args+=(--rounds "$rounds")
out=${out:-bench-results/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

bash "$here/deps.sh"
need_fio
kdir=$(bash "$here/build-kernel.sh" base)
ko=$(bash "$here/build-module.sh" "$kdir")

# Progress on the terminal: the guest's lines, without the kernel's and the per-round data.
progress() { sed -u -E '/^\[ *[0-9]+\.[0-9]+\]|^BENCH-(FIO|MEM) |^ICOUNT /d'; }

start=$SECONDS
echo "bench: fio, rounds $rounds, results in $out" >&2
bash "$here/run-vm.sh" --kernel "$kdir" --module "$ko" --mem 1G --smp 2 --timeout "$timeout" \
	--bin "$(command -v fio)" --log "$out/fio.log" tests/guest/bench/fio.sh "${fio_args[@]}" |
	progress
if ((swap)); then
	echo "bench: swap, rounds $rounds" >&2
	bash "$here/run-vm.sh" --kernel "$kdir" --module "$ko" --mem 512M --smp 2 --timeout 3600 \
		--log "$out/swap.log" tests/guest/bench/swap.sh "$rounds" lz4 | progress
fi
if ((memory)); then
	echo "bench: fixed memory" >&2
	bash "$here/run-vm.sh" --kernel "$kdir" --module "$ko" --mem 1G --smp 2 --timeout 1800 \
		--log "$out/memory.log" tests/guest/bench/memory.sh 3 | progress
fi
if ((instructions)); then
	echo "bench: instructions per request and per stage, under -icount" >&2
	RZRAM_QEMU_ARGS=$icount bash "$here/run-vm.sh" --kernel "$kdir" --module "$ko" --mem 512M \
		--smp 2 --timeout 1800 "${icount_bins[@]}" --append kunit.enable=0 \
		--log "$out/icount.log" tests/guest/bench/icount.sh 3 | progress
	RZRAM_QEMU_ARGS=$icount bash "$here/run-vm.sh" --kernel "$kdir" --module "$ko" --mem 512M \
		--smp 2 --timeout 1800 --append kunit.filter_glob=rzram_bench \
		--log "$out/stages.log" tests/guest/kunit.sh | progress
fi
echo "bench: the VMs took $((SECONDS - start)) s" >&2
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(cat "$kdir/include/config/kernel.release")," \
		"QEMU TCG, 2 vCPUs, on a shared host: only the ratios mean something;" \
		"VM time $((SECONDS - start)) s"
	echo "rzram $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"
} >"$out/run.txt"
args=(--out "$out" --fio "$out/fio.log")
if ((swap)); then
	args+=(--swap "$out/swap.log")
fi
if ((memory)); then
	args+=(--memory "$out/memory.log")
fi
if ((instructions)); then
	args+=(--icount "$out/icount.log" --stages "$out/stages.log")
fi
python3 "$here/bench-report.py" "${args[@]}"
echo "bench: report $out/report.txt, plot $out/ratios.svg" >&2
