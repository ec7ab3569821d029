#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Demonstration (not a test): rzram0 as compressed swap. A process in a 64 MiB memory cgroup
# fills and verifies 256 MiB, so most of it goes to rzram0. Shows /proc/swaps and mm_stat
# while pages are swapped out; then attaches a backing store (/dev/vda) to the initialised,
# in-use device, writes idle pages back to it and shows bd_stat; ends with rzram0 as active
# swap and its mm_stat.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

modprobe rzram
echo lz4 >/sys/block/rzram0/comp_algorithm
echo 512M >/sys/block/rzram0/disksize
mkswap /dev/rzram0
swapon /dev/rzram0
echo "demo: allocating and verifying 256 MiB (3 passes) in a 64 MiB memory cgroup"
limited 64 memhog 256 3 &
hog=$!

# Wait until the kernel has swapped to rzram0 and show it while memhog holds the memory.
swapped_out /dev/rzram0 32768 120 >/dev/null
echo "demo: while memhog runs:"
cat /proc/swaps
echo "demo: mm_stat $(cat /sys/block/rzram0/mm_stat)"

# The backing store, attached after init while the device is in use as swap (zram refuses
# this), and a writeback of the pages idle since the mark.
echo /dev/vda >/sys/block/rzram0/backing_dev
echo "demo: backing_dev $(cat /sys/block/rzram0/backing_dev), attached after disksize"
echo all >/sys/block/rzram0/idle
sleep 2
echo idle >/sys/block/rzram0/writeback || true
echo "demo: after writeback idle:"
echo "demo: bd_stat (bd_count bd_reads bd_writes, 4 KiB units) $(cat /sys/block/rzram0/bd_stat)"
echo "demo: mm_stat $(cat /sys/block/rzram0/mm_stat)"
wait "$hog"
echo "demo: bd_stat after memhog verified its pages $(cat /sys/block/rzram0/bd_stat)"

echo
echo "demo: /proc/swaps"
cat /proc/swaps
echo "demo: /sys/block/rzram0/mm_stat (orig_data_size compr_data_size mem_used_total" \
	"mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since)"
cat /sys/block/rzram0/mm_stat
grep -q '^/dev/rzram0 ' /proc/swaps
