#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): swap on zram0 against swap on rzram0, in one VM, in interleaved
# rounds. Each round runs memhog (the data mix of tests/guest/memhog.c) in a 48 MiB memory
# cgroup with one device as the only swap: 160 MiB, 2 passes, every page verified. Printed per
# round and device: the wall time, the pages swapped out and in, and the context switches per
# page swapped out; then the median and the spread of the per-round ratios rzram/zram.
# vm.page-cluster is 0, as zram users set it. The ratios compare the two drivers under the
# same emulator; absolute times under TCG mean nothing.
#
# Usage (in the VM): swap.sh [rounds] [algorithm]
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

rounds=${1:-5}
algo=${2:-lz4}
modprobe zram
modprobe rzram
echo 0 >/proc/sys/vm/page-cluster

# now_ms: milliseconds since boot.
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }

# run <driver>: one round on <driver>0; prints "ms pswpout pswpin ctxt".
run() {
	sys=/sys/block/${1}0
	echo 1 >"$sys/reset"
	echo "$algo" >"$sys/comp_algorithm"
	echo 512M >"$sys/disksize"
	mkswap "/dev/${1}0" >/dev/null
	swapon "/dev/${1}0"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	t0=$(now_ms) out0=$(vmstat pswpout) in0=$(vmstat pswpin) c0=$(ctxt)
	if ! limited 48 memhog 160 2 >/tmp/memhog.out 2>&1; then
		cat /tmp/memhog.out
		echo "memhog failed on $1" >&2
		exit 1
	fi
	t1=$(now_ms) out1=$(vmstat pswpout) in1=$(vmstat pswpin) c1=$(ctxt)
	swapoff "/dev/${1}0"
	echo 1 >"$sys/reset"
	echo "$((t1 - t0)) $((out1 - out0)) $((in1 - in0)) $((c1 - c0))"
}

printf '%-5s %-6s %8s %9s %9s %10s\n' round driver ms pswpout pswpin ctxt/out
: >/tmp/ratios
for round in $(seq "$rounds"); do
	z=$(run zram)
	r=$(run rzram)
	for pair in "zram $z" "rzram $r"; do
		# shellcheck disable=SC2086 # split into fields on purpose
		set -- $pair
		printf '%-5s %-6s %8s %9s %9s %10s\n' "$round" "$1" "$2" "$3" "$4" \
			"$(awk -v c="$5" -v o="$3" 'BEGIN { printf "%.3f", o ? c / o : 0 }')"
	done
	echo "$z $r" | awk '{ printf "%.3f\n", $5 / $1 }' >>/tmp/ratios
done
sort -n /tmp/ratios | awk '
	{ v[NR] = $1 }
	END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "time rzram/zram: median %.3f, min %.3f, max %.3f over %d rounds\n", m, v[1], v[NR], NR
	}'
