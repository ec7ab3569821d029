#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Swap on rzram: a process allocates more than the VM's free memory and verifies every page
# afterwards, so its early pages went to rzram and came back intact.
# Run with a small VM (--mem 256M).
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
sys=/sys/block/rzram0
modprobe rzram
echo 512M >$sys/disksize
check "mkswap succeeds" mkswap $dev
check "swapon succeeds" swapon $dev
check "rzram0 is active swap" grep -q "^$dev " /proc/swaps

free_kib=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
mib=$((free_kib / 1024 + 32))
echo "MemFree ${free_kib} kB; allocating ${mib} MiB"
check "memhog verifies ${mib} MiB through swap" memhog "$mib" 1
cat /proc/swaps
echo "mm_stat: $(cat $sys/mm_stat)"
check "pages went to rzram (mem_used_max)" test "$(field 5 $sys/mm_stat)" -gt $((16 * 1048576))
check "swap slot free notifications are counted" test "$(field 4 $sys/io_stat)" -gt 0
check "freed swap slots release their pages" test "$(field 1 $sys/mm_stat)" -lt $((16 * 1048576))
check "pages were compressed" test "$(field 2 $sys/mm_stat)" -lt "$(field 1 $sys/mm_stat)"
check_eq "no failed reads or writes" "0 0" "$(field 1 $sys/io_stat) $(field 2 $sys/io_stat)"
check "swapoff brings every page back" swapoff $dev
finish
