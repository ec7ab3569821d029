#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): rzram and the C zram side by side in one VM, with the same
# algorithm and the same data (iobench: O_DIRECT sequential write, then read and verify).
# Prints MiB/s and the memory each device used for the data. The numbers compare the two
# drivers under the same emulator; they say nothing about a real machine's speed.
#
# Then rzram alone, with and without inline_writeback to a backing store on /dev/vda (when the
# VM has that disk), in interleaved rounds: what sending huge pages to the store in the write
# path saves in memory and costs in write speed, with the same data mix.
#
# Usage (in the VM): compare.sh [MiB] [algorithms...]
set -eu

mib=${1:-128}
shift || true
algos=${*:-lz4 zstd}

modprobe rzram
modprobe zram
jobs=$(nproc)
printf '%-6s %-6s %5s %6s %10s %10s %12s %12s\n' driver algo bs jobs "write" "read" \
	compr_bytes mem_bytes
for algo in $algos; do
	for bs in 4 64; do
		for drv in zram rzram; do
			sys=/sys/block/${drv}0
			echo 1 >"$sys/reset"
			echo "$algo" >"$sys/comp_algorithm"
			echo $((mib * 2))M >"$sys/disksize"
			out=$(iobench "/dev/${drv}0" "$mib" "$bs" "$jobs")
			printf '%-6s %-6s %4sK %6s %10s %10s %12s %12s\n' "$drv" "$algo" "$bs" "$jobs" \
				"$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $4 }')" \
				"$(awk '{ print $2 }' "$sys/mm_stat")" "$(awk '{ print $3 }' "$sys/mm_stat")"
		done
	done
done
echo "(write and read in MiB/s; compr_bytes and mem_bytes from mm_stat after the run)"

[ -b /dev/vda ] || exit 0
echo
echo "inline_writeback (lz4, 4K, $jobs jobs): rounds interleaved, off then on"
printf '%-5s %-4s %10s %10s %12s %12s\n' round wb "write" "read" mem_bytes bd_pages
sys=/sys/block/rzram0
for round in 1 2 3; do
	for inline in 0 1; do
		echo 1 >$sys/reset
		echo lz4 >$sys/comp_algorithm
		echo $((mib * 2))M >$sys/disksize
		if [ "$inline" = 1 ]; then
			echo /dev/vda >$sys/backing_dev
			echo 1 >$sys/inline_writeback
		fi
		out=$(iobench /dev/rzram0 "$mib" 4 "$jobs")
		printf '%-5s %-4s %10s %10s %12s %12s\n' "$round" "$inline" \
			"$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $4 }')" \
			"$(awk '{ print $3 }' $sys/mm_stat)" "$(awk '{ print $1 }' $sys/bd_stat)"
	done
done
echo 1 >$sys/reset
echo "(wb 1: a store attached and inline_writeback on; mem_bytes is mem_used_total, bd_pages"
echo " the pages on the store, after the run)"
