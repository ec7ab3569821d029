#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Swap on rzram: a process in a 48 MiB memory cgroup allocates 160 MiB and verifies every
# page afterwards, so most of its pages went to rzram and came back intact.
#
# The cgroup limit, not the guest's size, makes it swap: with the whole guest out of memory,
# the kernel's own allocations in kswapd fail and warn under TCG whichever swap device is
# used (C zram too), and the test would measure the emulator's speed, not rzram.
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

check "memhog verifies 160 MiB through swap in a 48 MiB cgroup" limited 48 memhog 160 1
cat /proc/swaps
echo "mm_stat: $(cat $sys/mm_stat)"
echo "io_stat: $(cat $sys/io_stat)"
check "the cgroup hit its limit" test "$(awk '$1 == "max" { print $2 }' \
	/sys/fs/cgroup/limited/memory.events)" -gt 0
check "pages went to rzram (mem_used_max above 16 MiB)" \
	test "$(field 5 $sys/mm_stat)" -gt $((16 * 1048576))
check "swap slot free notifications are counted" test "$(field 4 $sys/io_stat)" -gt 0
check "freed swap slots release their pages" test "$(field 1 $sys/mm_stat)" -lt $((16 * 1048576))
check "pages were compressed" test "$(field 2 $sys/mm_stat)" -lt "$(field 1 $sys/mm_stat)"
check_eq "no failed reads or writes" "0 0" "$(field 1 $sys/io_stat) $(field 2 $sys/io_stat)"
check "swapoff brings every page back" swapoff $dev
finish
