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
mapfile -t rust_files < <(git ls-files 'drivers/*.rs' 'tests/*.rs' 'tools/*.rs')
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

# The host-side sizing tool: its release build (which the estimate scenario copies into the
# guest), its tests and clippy, all in the release profile so that the C zstd library is
# built once (a debug profile builds it again: 30 s more on a fresh clone).
export PATH="$HOME/.cargo/bin:$PATH"
estimate() { (cd tools/rzram-estimate && "$@"); }
start=$SECONDS
if estimate cargo build --locked --release >"$logs/estimate-build.log" 2>&1; then
	ok "rzram-estimate: release build"
else
	not_ok "rzram-estimate: release build (see $logs/estimate-build.log)"
fi
if estimate cargo test --locked --release >"$logs/estimate-test.log" 2>&1; then
	ok "rzram-estimate: cargo test ($(grep -o '^test result: ok. [0-9]* passed' \
		"$logs/estimate-test.log" | awk '{ n += $4 } END { print n + 0 }') tests)"
else
	not_ok "rzram-estimate: cargo test (see $logs/estimate-test.log)"
	grep -E '^test .* FAILED$|panicked at' "$logs/estimate-test.log" | sed 's/^/    | /' || true
fi
if estimate cargo clippy --locked --release --all-targets -- -D warnings >"$logs/estimate-clippy.log" 2>&1; then
	ok "rzram-estimate: clippy"
else
	not_ok "rzram-estimate: clippy (see $logs/estimate-clippy.log)"
fi
echo "    rzram-estimate: build, tests and clippy took $((SECONDS - start)) s"

# The KUnit suites of the rust/ series, built into the kernel: they run at boot.
series_suites="rust_block_mq_segment rust_class rust_block_mq_attribute"

# The doc examples of the kernel crate run at boot too, as the suite rust_doctests_kernel,
# one case per example: rust_doctest_kernel_<file>_<n>, <file> being the path below
# rust/kernel/ with '/' and '.' as '_'. Ours are those of the files the series adds or
# changes; every file the series adds with an example must have run one.
series_doctests=$(sed -n 's|^+++ b/rust/kernel/\(.*\)\.rs$|\1|p' rust/patches/*.patch |
	tr '/' '_' | sort -u | paste -sd '|')
mapfile -t series_examples < <(for p in rust/patches/*.patch; do
	awk '/^\+\+\+ b\/rust\/kernel\// { file = substr($2, 15); sub(/\.rs$/, "", file) }
		/^--- \/dev\/null/ { added = 1; next }
		/^--- / { added = 0 }
		added && file != "" && /^\+ *\/\/[\/!] ```$/ { print file }' "$p"
done | tr '/' '_' | sort -u)

# count_ktap <console log> <variant>: one result per KUnit test case of rzram (rzram_*, run
# when the module loads), of the rust/ series and of the series' doc examples.
count_ktap() {
	local results verdict name suite file n=0
	results=$(sed -e 's/^\[[^]]*\] //' "$1" | awk -v ours="^(rzram_|${series_suites// /|})" \
		-v doc="^rust_doctest_kernel_(${series_doctests})_rs_[0-9]+$" '
		/^ *# Subtest: / { suite = $3; next }
		/^    +(not )?ok [0-9]+ / {
			name = ($1 == "not") ? $4 : $3
			if (suite !~ ours && !(suite == "rust_doctests_kernel" && name ~ doc)) next
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
	for file in "${series_examples[@]}"; do
		grep -q "^[A-Z]* rust_doctests_kernel\\.rust_doctest_kernel_${file}_rs_" <<<"$results" ||
			not_ok "$2 kunit: the doc example of rust/kernel/$file.rs did not run"
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
	# KUnit runs only where it is counted: the built-in suites at boot and rzram's at each
	# module load would cost every other scenario seconds.
	local kargs=${RZRAM_KERNEL_ARGS:-}
	[[ "$name" == kunit ]] || kargs+=" kunit.enable=0"
	echo "--- $variant: $name"
	# The packages' scenario boots their kernel image with their modules, not the build's.
	local -a vm=(--module "$ko") args=()
	if [[ "$name" == deb ]]; then
		deb_install "$kdir" || return 0
		vm=(--image "$deb_root/boot/vmlinuz-$deb_kver" --sysroot "$deb_root"
			--bin "$(PATH="$PATH:/usr/sbin:/sbin" command -v kmod)")
		args=("$deb_kver" "$deb_uts" "$deb_version")
	fi
	RZRAM_KERNEL_ARGS=$kargs bash scripts/run-vm.sh --kernel "$kdir" "${vm[@]}" --mem "$mem" --timeout 1200 \
		"${extra[@]}" --log "$log" "$file" "${args[@]}" >/dev/null 2>"$log.host" || rc=$?
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

# deb_install <kernel build dir>: `make deb` (scripts/deb.sh) into $logs/deb, host-side checks
# of the packages, then both installed into the root tree $deb_root for the deb scenario.
# Sets deb_root, deb_kver, deb_uts (the packaged image's UTS version) and deb_version.
#
# The kernel package is unpacked with dpkg-deb -x, its maintainer scripts not run: they run
# the hooks of /etc/kernel/*.d (initramfs-tools, grub), which only make an initramfs and a
# boot entry that QEMU's -kernel does without. rzram-modules is installed, then removed and
# installed again, by dpkg --root with --force-script-chrootless: chrooted, its scripts
# would need a shell and kmod's depmod inside the tree; outside, they work on the tree
# because they honour DPKG_ROOT (the kernel's would not: they name /etc/kernel, the
# host's). --force-depends, since the kernel package is not in the tree's dpkg database.
# Its postinst's depmod is what makes `modprobe rzram` find the module in the guest.
deb_install() {
	local kdir=$1 start=$SECONDS before after out image modules contents f want dep
	local -a debs=()
	deb_root=$logs/deb-root
	before=$(sha256sum <"$kdir/arch/x86/boot/bzImage")
	out=$(bash scripts/deb.sh "$logs/deb" 2>"$logs/deb.log") || true
	mapfile -t debs <<<"$out"
	if ((${#debs[@]} != 2)) || [[ ! -f "${debs[0]}" || ! -f "${debs[1]}" ]]; then
		not_ok "make deb (see $logs/deb.log)"
		tail -n 25 "$logs/deb.log" | sed 's/^/    | /'
		return 1
	fi
	image=${debs[0]} modules=${debs[1]}
	deb_kver=$(cat "$kdir/include/config/kernel.release")
	deb_version=$(dpkg-deb -f "$modules" Version)
	ok "make deb: $(basename "$image") and $(basename "$modules") in $((SECONDS - start)) s"
	after=$(sha256sum <"$kdir/arch/x86/boot/bzImage")
	if [[ "$before" == "$after" ]]; then
		ok "make deb: bindeb-pkg reused the build (the tests' bzImage is unchanged)"
	else
		not_ok "make deb: bindeb-pkg rebuilt the kernel of $kdir"
	fi
	want="linux-image-$deb_kver (= $(dpkg-deb -f "$image" Version)), kmod"
	if [[ "$(dpkg-deb -f "$modules" Package Architecture Maintainer Depends)" == \
		"$(printf 'Package: rzram-modules-%s\nArchitecture: amd64\nMaintainer: %s\nDepends: %s' \
			"$deb_kver" "rzram developers <rzram@localhost>" "$want")" ]]; then
		ok "make deb: rzram-modules-$deb_kver depends on $want"
	else
		not_ok "make deb: rzram-modules' control fields: $(dpkg-deb -f "$modules" | tr '\n' ' ')"
	fi
	contents=$(dpkg-deb --contents "$modules" | awk '$1 ~ /^-/ { print $6 }')
	for f in "./lib/modules/$deb_kver/updates/rzram.ko" \
		"./usr/share/doc/rzram-modules-$deb_kver/rzram.rst" \
		"./usr/share/doc/rzram-modules-$deb_kver/ABI/sysfs-block-rzram" \
		"./usr/share/doc/rzram-modules-$deb_kver/ABI/sysfs-class-rzram" \
		$(cd modprobe.d 2>/dev/null && printf "./usr/share/doc/rzram-modules-$deb_kver/examples/%s " *.conf); do
		if grep -qxF "$f" <<<"$contents"; then
			ok "make deb: rzram-modules-$deb_kver has $f"
		else
			not_ok "make deb: rzram-modules-$deb_kver has no $f"
		fi
	done
	rm -rf "$deb_root"
	mkdir -p "$deb_root"
	dpkg-deb -x "$image" "$deb_root"
	mkdir -p "$deb_root"/var/lib/dpkg/{info,updates,triggers}
	touch "$deb_root/var/lib/dpkg/status"
	dep="$deb_root/lib/modules/$deb_kver/modules.dep"
	# (dpkg wants ldconfig and start-stop-daemon in PATH.)
	local -a dpkg=(env "PATH=$PATH:/usr/sbin:/sbin"
		dpkg --root="$deb_root" --force-script-chrootless --force-depends)
	if "${dpkg[@]}" -i "$modules" >"$logs/deb-dpkg.log" 2>&1 &&
		grep -q '^updates/rzram\.ko:' "$dep" &&
		"${dpkg[@]}" -r "rzram-modules-$deb_kver" >>"$logs/deb-dpkg.log" 2>&1 &&
		! grep -q rzram "$dep" && [[ ! -e "$deb_root/lib/modules/$deb_kver/updates/rzram.ko" ]]; then
		ok "dpkg --root: rzram-modules-$deb_kver installs (depmod indexes updates/rzram.ko) and removes (no longer indexed)"
	else
		not_ok "dpkg --root: rzram-modules-$deb_kver install or removal (see $logs/deb-dpkg.log)"
	fi
	if ! "${dpkg[@]}" -i "$modules" >>"$logs/deb-dpkg.log" 2>&1; then
		not_ok "dpkg --root: rzram-modules-$deb_kver does not install (see $logs/deb-dpkg.log)"
		return 1
	fi
	# The kernel's version string, from the image's setup header (a pointer at 0x20e, 0x200
	# before the string): "7.3.4 (user@host) #N SMP ...", of which uname -v is "#N SMP ...".
	local img="$deb_root/boot/vmlinuz-$deb_kver" off
	off=$(od -An -tu2 -j $((0x20e)) -N2 "$img" | tr -d ' ')
	deb_uts=$(dd if="$img" bs=1 skip=$((off + 0x200)) count=256 2>/dev/null | tr '\0' '\n' |
		head -n1 | sed 's/^[^#]*#/#/')
	echo "    packaged kernel: $deb_kver $deb_uts"
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
		# The packages are made from the base kernel only: a package of the debug kernel
		# would test the same packaging again, for another minute.
		[[ "$(basename "$file")" == deb.sh && "$variant" != base ]] && continue
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
