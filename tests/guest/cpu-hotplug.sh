#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Compression streams follow online CPUs, as zram's do: the module registers one CPU hotplug
# state, each algorithm of an initialised device is an instance of it, and a CPU's streams
# are allocated before it comes up and freed once it is down. CPU 1 goes offline and online
# while a writer and a reader verify data on a device with four algorithms, then while
# devices are initialised, reset, hot-added and hot-removed; then the state must be gone
# after rmmod, and nothing may leak.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

cpu1=/sys/devices/system/cpu/cpu1/online
states=/sys/devices/system/cpu/hotplug/states
if [ ! -w $cpu1 ]; then
	fail "CPU 1 cannot be taken offline in this VM (no $cpu1)"
	exit 1
fi
# CPU hotplug itself allocates (per-CPU kthreads and their stacks): warm it up before the
# snapshot that the leak check compares with, and flip CPU 1 as often after it.
flip() { i=0; while [ $i -lt "$1" ]; do echo 0 >$cpu1; echo 1 >$cpu1; i=$((i + 1)); done; }
flip 40
before=$(mem_snapshot)
modprobe rzram
check "the module registered its hotplug state" grep -q "block/rzram:prepare" $states

z=/sys/block/rzram0
kmem() { awk '$1 == "VmallocUsed:" || $1 == "Slab:" { n += $2 } END { print n }' /proc/meminfo; }
vm() { vmalloc_kb; }
uninit=$(vm)
echo zstd >$z/comp_algorithm
echo "algo=lz4 priority=1" >$z/recomp_algorithm
echo "algo=lz4hc priority=2" >$z/recomp_algorithm
echo "algo=deflate priority=3" >$z/recomp_algorithm
echo 64M >$z/disksize

# With CPU 1 down, its four streams (zstd's working memory alone is hundreds of KiB) are
# freed; back up, they are allocated again (from slab or vmalloc: kvmalloc chooses).
up=$(kmem)
echo 0 >$cpu1
down=$(kmem)
echo 1 >$cpu1
again=$(kmem)
echo "Slab + VmallocUsed with CPU 1 up: $up kB, down: $down kB, up again: $again kB"
check "taking CPU 1 down frees its streams (256 KiB or more)" test $((up - down)) -ge 256
check "bringing CPU 1 up allocates them again" test $((again - down)) -ge 256

# Data written and read while CPU 1 comes and goes.
head -c 16777216 /dev/urandom >/tmp/rand
yes "rzram cpu hotplug" | head -c 16777216 >/tmp/text
rm -f /tmp/stop
(
	rounds=0
	while [ ! -e /tmp/stop ] || [ $rounds -lt 2 ]; do
		dd if=/tmp/rand of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
		dd if=/tmp/text of=/dev/rzram0 bs=64k seek=256 oflag=direct 2>/dev/null
		cmp -n 16777216 /tmp/rand /dev/rzram0 || exit 1
		rounds=$((rounds + 1))
	done
) &
io=$!
flip 40
touch /tmp/stop
rc=0
wait $io || rc=$?
check_eq "data written and read back while CPU 1 went down and up 40 times" 0 "$rc"
check "the device's text half reads back" sh -c \
	"dd if=/dev/rzram0 bs=64k skip=256 count=256 iflag=direct 2>/dev/null | cmp - /tmp/text"
check "recompression works with its streams on every CPU" sh -c "echo type=huge >$z/recompress"
check "CPU 1 is online again" test "$(cat $cpu1)" = 1

echo 1 >$z/reset
sync
echo 3 >/proc/sys/vm/drop_caches
# The streams' working memory is vmalloc'ed, and vfree() gives it back at once (slab frees
# may sit in KASAN's quarantine on the debug kernel).
echo "vmalloc before disksize: $uninit kB, after reset: $(vm) kB"
check "reset frees every CPU's streams, whichever CPUs came and went (within 256 KiB)" \
	test $(($(vm) - uninit)) -lt 256
# Initialisation and reset add and remove the device's hotplug instances, hot_add and
# hot_remove whole devices, all while CPU 1 goes down and up without pause: no deadlock (the
# harness's timeout), no report, exact data, and afterwards exactly the vmalloc areas of the
# Rust allocator and kvmalloc() that there were before (a stream allocated for a CPU of a
# device that is gone would stay).
areas() { grep -c -e 'kernel5alloc' -e 'kvmalloc' /proc/vmallocinfo || true; }
areas_before=$(areas)
rm -f /tmp/stop
(
	while [ ! -e /tmp/stop ]; do
		echo 0 >$cpu1 2>/dev/null || true
		echo 1 >$cpu1 2>/dev/null || true
	done
) &
flipper=$!
ctl=/sys/class/rzram-control
# use_device <name>: initialise it with zstd and one recompression algorithm, write 1 MiB
# and read it back; prints 1 on a mismatch.
use_device() {
	echo zstd >"/sys/block/$1/comp_algorithm"
	echo "algo=lz4hc priority=1" >"/sys/block/$1/recomp_algorithm"
	echo 16M >"/sys/block/$1/disksize"
	dd if=/tmp/rand of="/dev/$1" bs=64k count=16 oflag=direct 2>/dev/null
	cmp -s -n 1048576 /tmp/rand "/dev/$1" || echo 1
}
mismatches=0 cycles=0
while [ $cycles -lt 20 ]; do
	[ -z "$(use_device rzram0)" ] || mismatches=$((mismatches + 1))
	echo 1 >$z/reset
	id=$(cat $ctl/hot_add)
	[ -z "$(use_device "rzram$id")" ] || mismatches=$((mismatches + 1))
	echo "$id" >$ctl/hot_remove
	cycles=$((cycles + 1))
done
touch /tmp/stop
wait $flipper
echo 1 >$cpu1
check_eq "20 init/reset and hot_add/hot_remove cycles against CPU 1 flipping: mismatches" \
	0 "$mismatches"
check_eq "vmalloc areas of the allocators after those cycles, against before" \
	"$areas_before" "$(areas)"

rmmod rzram
check "rmmod removes the hotplug state" sh -c "! grep -q block/rzram:prepare $states"
flip 1
pass "CPU 1 goes down and up after rmmod (no callback into the unloaded module)"
rm -f /tmp/rand /tmp/text /tmp/stop
check_no_leak "$before" "$(mem_snapshot)" 32768
