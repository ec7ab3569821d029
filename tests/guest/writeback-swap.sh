#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rzram-vm: --disk 256M
#
# Swap through a backing store attached after init: rzram0 is swap for a process that
# allocates 160 MiB in a 48 MiB memory cgroup and verifies every page on each of its passes;
# while it runs, /dev/vda is attached to the initialised, in-use rzram0 and idle pages are
# written back over and over. Swap-in then reads pages from the store (through its worker),
# swap-slot frees release blocks, and the data must be exact.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
z=/sys/block/rzram0
modprobe rzram
echo 512M >$z/disksize
mkswap $dev >/dev/null
swapon $dev

# Three passes on the base kernel; one on the debug kernel (lockdep shows in /proc), where
# KASAN makes each pass several times slower under the emulator.
passes=3
gap=1
if [ -e /proc/lockdep ]; then
	passes=1
	gap=5
fi
limited 48 memhog 160 $passes >/tmp/memhog.out 2>&1 &
hog=$!

# Wait for pages to reach rzram0, then attach the store to the device in use.
used=$(swapped_out $dev 16384 120)
check "pages were swapped out before the store was attached" test "$used" -gt 16384
check "attach /dev/vda to rzram0 while it is in use as swap" sh -c "echo /dev/vda >$z/backing_dev"

rounds=0
while kill -0 "$hog" 2>/dev/null; do
	echo all >$z/idle
	# ENOSPC or a race with swap-in is no failure here; the data check is memhog's.
	echo idle >$z/writeback 2>/dev/null || true
	rounds=$((rounds + 1))
	sleep $gap
done
rc=0
wait "$hog" || rc=$?
cat /tmp/memhog.out
echo "writeback rounds: $rounds, bd_stat: $(cat $z/bd_stat), mm_stat: $(cat $z/mm_stat)"
check_eq "memhog verified every page of every pass" 0 "$rc"
check "pages were written to the store" test "$(field 3 $z/bd_stat)" -gt 0
check "swap-in read pages back from the store" test "$(field 2 $z/bd_stat)" -gt 0
check_eq "no failed reads or writes" "0 0" "$(field 1 $z/io_stat) $(field 2 $z/io_stat)"
check "swapoff brings every page back" swapoff $dev
# A swap-slot free that finds its slot busy leaves the page (counted in miss_free), as zram:
# no more blocks may be in use than pages are stored.
echo "after swapoff: bd_stat $(cat $z/bd_stat), mm_stat $(cat $z/mm_stat), debug_stat: $(tail -n1 $z/debug_stat)"
check "blocks in use are stored pages" \
	test "$(field 1 $z/bd_stat)" -le $(($(field 1 $z/mm_stat) / 4096))
if [ "$(field 1 $z/bd_stat)" -gt 0 ]; then
	write_fails "detach is refused while pages remain on the store" "busy" $z/backing_dev none
fi
blkdiscard $dev
check_eq "a discard of the device frees every block" 0 "$(field 1 $z/bd_stat)"
check "detach once the store is empty" sh -c "echo none >$z/backing_dev"
finish
