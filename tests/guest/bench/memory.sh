#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): the fixed memory of an initialised, empty device, zram0 against
# rzram0 in one VM: MemFree before and after `disksize`, for each size and algorithm set,
# in interleaved rounds; the median per driver is printed. Slab and vmalloc are settled with
# vm/stat_refresh and drop_caches before each reading.
#
# Usage (in the VM): memory.sh [rounds]
set -eu

rounds=${1:-3}
modprobe zram
modprobe rzram

free_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null || true
	awk '$1 == "MemFree:" { print $2 }' /proc/meminfo
}

# used <driver> <size> <algorithms>: kB that `disksize` took.
used() {
	sys=/sys/block/${1}0
	size=$2
	echo 1 >"$sys/reset"
	# shellcheck disable=SC2086 # the algorithms, split on purpose
	set -- $3
	echo "$1" >"$sys/comp_algorithm"
	prio=1
	shift
	for a in "$@"; do
		echo "algo=$a priority=$prio" >"$sys/recomp_algorithm"
		prio=$((prio + 1))
	done
	before=$(free_kb)
	echo "$size" >"$sys/disksize"
	after=$(free_kb)
	echo 1 >"$sys/reset"
	echo $((before - after))
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "[%s-%s]", v[1], v[NR] }'; }

echo "fixed memory after disksize, kB (MemFree before - after), median [min-max] of $rounds rounds"
printf '%-6s %-28s %18s %18s %7s\n' size algorithms zram rzram ratio
for size in 256M 4G; do
	for algos in "lz4" "zstd lz4 lz4hc deflate"; do
		: >/tmp/z
		: >/tmp/r
		for _ in $(seq "$rounds"); do
			used zram "$size" "$algos" >>/tmp/z
			used rzram "$size" "$algos" >>/tmp/r
		done
		z=$(median /tmp/z)
		r=$(median /tmp/r)
		printf '%-6s %-28s %18s %18s %7s\n' "$size" "$algos" "$z $(spread /tmp/z)" \
			"$r $(spread /tmp/r)" "$(awk -v z="$z" -v r="$r" 'BEGIN { printf "%.2f", z ? r / z : 0 }')"
	done
done
