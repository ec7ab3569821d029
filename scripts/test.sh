#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every rzram test: set up the machine, build the base and the debug (lockdep + KASAN)
# kernels and rzram.ko for each, run the static checks, then run the KUnit suites and every
# guest scenario in QEMU on both kernels.
#
# Usage: test.sh [--variants "base debug"] [--only <scenario>]
# Prints `N passed, N failed` last; exits non-zero if anything failed.
# Logs go to $RZRAM_TEST_LOGS (default: ./test-logs).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
variants="base debug"
only=
while (($#)); do
	case $1 in
	--variants) variants=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "usage: test.sh [--variants \"base debug\"] [--only <scenario>]" >&2; exit 2 ;;
	esac
done

logs=${RZRAM_TEST_LOGS:-$top/test-logs}
rm -rf "$logs"
mkdir -p "$logs"
passed=0
failed=0
failures=()

ok() {
	passed=$((passed + 1))
	printf 'ok     %s\n' "$*"
}
not_ok() {
	failed=$((failed + 1))
	failures+=("$*")
	printf 'FAILED %s\n' "$*"
}

complete=0
summary() {
	# Stopped by an error before the end: say so, and fail.
	if ((complete == 0)); then
		not_ok "test.sh stopped early (see above)"
	fi
	echo
	for f in "${failures[@]}"; do
		echo "failed: $f"
	done
	echo "$passed passed, $failed failed"
	# An EXIT trap does not change the exit status unless it exits itself.
	if ((failed > 0)); then exit 1; fi
}
trap 'summary' EXIT

bash scripts/deps.sh

# Static checks, on the sources only.
mapfile -t rust_files < <(git ls-files 'drivers/*.rs' 'tests/*.rs')
ksrc=$(bash scripts/fetch-kernel.sh "${RZRAM_CACHE:-$HOME/.cache/rzram}")
if rustfmt --check --edition 2021 --config-path "$ksrc/.rustfmt.toml" "${rust_files[@]}" \
	>"$logs/rustfmt.log" 2>&1; then
	ok "rustfmt"
else
	not_ok "rustfmt (see $logs/rustfmt.log)"
fi
if bash scripts/check-abi.sh >"$logs/abi.log" 2>&1; then
	ok "ABI files match the attributes in code"
else
	not_ok "ABI files and attributes in code differ (see $logs/abi.log)"
fi
if bash scripts/check-series.sh "$ksrc" >"$logs/series.log" 2>&1; then
	ok "rust/ series: applies in order, signed off, checkpatch.pl and rustfmt clean (justified warnings in $logs/series.log)"
else
	not_ok "rust/ series (see $logs/series.log)"
	grep '^PROBLEM' "$logs/series.log" | sed 's/^/    | /' || true
fi
mapfile -t shell_files < <(git ls-files '*.sh' .ci/run)
if shellcheck -x "${shell_files[@]}" >"$logs/shellcheck.log" 2>&1; then
	ok "shellcheck"
else
	not_ok "shellcheck (see $logs/shellcheck.log)"
fi
# The benchmark's host side (not the benchmark): its usage, the number of distinct fio cases
# in the default and the full matrix, and the report of a made-up run with known ratios
# 1.10, 1.00 and 1.20.
bench_dir=$(mktemp -d "${TMPDIR:-/tmp}/rzram-bench-check.XXXXXX")
for r in "1 100 110" "2 100 100" "3 100 120"; do
	read -r n z rz <<<"$r"
	echo "BENCH-FIO randwrite:4k:c50:psync1:lz4 $n zram $z IOPS 10.0"
	echo "BENCH-FIO randwrite:4k:c50:psync1:lz4 $n rzram $rz IOPS 12.0"
done >"$bench_dir/fio.log"
bench_usage=$(bash scripts/bench.sh --help 2>&1 || true)
if grep -q '^Usage: scripts/bench.sh' <<<"$bench_usage" &&
	[[ "$(sh tests/guest/bench/fio.sh --list | sort -u | wc -l)" == 17 ]] &&
	[[ "$(sh tests/guest/bench/fio.sh --matrix full --list | sort -u | wc -l)" == 120 ]] &&
	python3 scripts/bench-report.py --out "$bench_dir" --fio "$bench_dir/fio.log" \
		>"$logs/bench-report.log" 2>&1 &&
	grep -q '^4 KiB rand write, 50 %, psync 1 job, lz4 *100 *110 IOPS *1.10 \[1.00-1.20\] *10/12 ' \
		"$bench_dir/report.txt" && grep -q '<circle' "$bench_dir/ratios.svg"; then
	ok "bench: usage, and the report and plot of a made-up run"
else
	not_ok "bench: usage or report (see $logs/bench-report.log)"
fi
rm -rf "$bench_dir"

# The KUnit suites of the rust/ series, built into the kernel: they run at boot.
series_suites="rust_block_mq_segment rust_class"

# count_ktap <console log> <variant>: one result per KUnit test case of rzram (rzram_*, run
# when the module loads) and of the rust/ series.
count_ktap() {
	local results verdict name suite n=0
	results=$(sed -e 's/^\[[^]]*\] //' "$1" | awk -v ours="^(rzram_|${series_suites// /|})" '
		/^ *# Subtest: / { suite = $3; next }
		/^    +(not )?ok [0-9]+ / {
			if (suite !~ ours) next
			name = ($1 == "not") ? $4 : $3
			print (($1 == "not") ? "FAIL" : "PASS"), suite "." name
		}')
	while read -r verdict name; do
		[[ -n "$verdict" ]] || continue
		n=$((n + 1))
		if [[ "$verdict" == PASS ]]; then ok "$2 kunit $name"; else not_ok "$2 kunit $name"; fi
	done <<<"$results"
	if ((n < 20)); then
		not_ok "$2 kunit: only $n rzram test cases ran (expected at least 20)"
	fi
	for suite in $series_suites; do
		grep -q "^PASS $suite\\.\\|^FAIL $suite\\." <<<"$results" ||
			not_ok "$2 kunit: suite $suite of the rust/ series did not run"
	done
}

# run_scenario <variant> <kernel dir> <module> <scenario file>
run_scenario() {
	local variant=$1 kdir=$2 ko=$3 file=$4 name rc=0 mem=512M
	name=$(basename "$file" .sh)
	# Swap runs in a small VM so memhog really swaps; the debug kernel gets more, since
	# KASAN's shadow and quarantine take a third of it (at 256M, about 110 MB are free and
	# swap-out sometimes stalled for seconds, see the admin guide's queue limits).
	if [[ "$name" == swap ]]; then
		mem=256M
		[[ "$variant" == debug ]] && mem=384M
	fi
	local log="$logs/$variant-$name.log"
	# A scenario asks for extra VM options (disks) in a "# rzram-vm:" header line.
	local -a extra=()
	read -ra extra < <(sed -n 's/^# rzram-vm: //p' "$file" | head -n1) || true
	echo "--- $variant: $name"
	bash scripts/run-vm.sh --kernel "$kdir" --module "$ko" --mem "$mem" --timeout 1200 \
		"${extra[@]}" --log "$log" "$file" >/dev/null 2>"$log.host" || rc=$?
	if [[ "$name" == kunit ]]; then
		count_ktap "$log" "$variant"
	fi
	local line
	while IFS= read -r line; do
		case $line in
		RZRAM-PASS:*) ok "$variant $name: ${line#RZRAM-PASS: }" ;;
		RZRAM-FAIL:*) not_ok "$variant $name: ${line#RZRAM-FAIL: }" ;;
		esac
	done < <(grep -a -o 'RZRAM-\(PASS\|FAIL\): .*' "$log" | tr -d '\r')
	case $rc in
	0) ok "$variant $name: guest script and kernel log clean" ;;
	3) not_ok "$variant $name: kernel report in the console (see $log)" ;;
	*) not_ok "$variant $name: guest exit status $rc (see $log)" ;;
	esac
	# CI keeps only this output: show what went wrong, not just where the log was.
	if ((rc != 0)); then
		show_failure "$log"
	fi
}

# show_failure <console log>: what run-vm.sh said (kernel reports with context), then the
# console's last lines.
show_failure() {
	echo "    --- run-vm.sh said:"
	sed 's/^/    | /' "$1.host" | head -n 100
	echo "    --- last console lines:"
	tail -n 25 "$1" | tr -d '\r' | sed 's/^/    | /'
}

for variant in $variants; do
	kdir=$(bash scripts/build-kernel.sh "$variant")
	if ko=$(bash scripts/build-module.sh "$kdir" 2>"$logs/$variant-module.log"); then
		ok "$variant: rzram.ko builds"
	else
		not_ok "$variant: rzram.ko build (see $logs/$variant-module.log)"
		continue
	fi
	if [[ "$variant" == base ]]; then
		if CLIPPY=1 bash scripts/build-module.sh "$kdir" "$kdir/rzram-clippy" \
			>/dev/null 2>"$logs/clippy.log" && ! grep -q '^warning' "$logs/clippy.log"; then
			ok "clippy"
		else
			not_ok "clippy (see $logs/clippy.log)"
		fi
	fi
	ran=0 expected=0
	for file in tests/guest/*.sh; do
		[[ -z "$only" || "$(basename "$file" .sh)" == "$only" ]] || continue
		[[ "$(basename "$file")" == smoke-zram.sh ]] && continue
		expected=$((expected + 1))
		run_scenario "$variant" "$kdir" "$ko" "$file"
		ran=$((ran + 1))
	done
	# A harness that stops early must not look like a pass.
	if ((ran != expected)); then
		not_ok "$variant: only $ran of $expected scenarios ran"
	fi
done
complete=1
