#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest smoke test of the test environment, using the C zram module: swap on
# zram under memory pressure (run the VM with --mem 128M so memhog really
# swaps) and ext4 on zram. Runs under busybox sh inside run-vm.sh.
#
# Usage (host): scripts/run-vm.sh --mem 128M tests/guest/smoke-zram.sh [memhog MiB]
# (the debug kernel needs --mem 256M: KASAN and lockdep do not boot in 128M).
# memhog defaults to MemAvailable + 10%, so that part of it must be swapped.
set -eu

avail=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
mib=${1:-$((avail + avail / 10))}
echo "smoke: kernel $(uname -r), $(nproc) CPUs"
grep -E '^(MemTotal|MemFree):' /proc/meminfo

modprobe zram num_devices=2
[ -b /dev/zram0 ] && [ -b /dev/zram1 ]

# Swap on zram0, then allocate more than the guest has.
echo lz4 >/sys/block/zram0/comp_algorithm
echo 64M >/sys/block/zram0/disksize
mkswap /dev/zram0
swapon /dev/zram0
cat /proc/swaps
grep -q '^/dev/zram0 ' /proc/swaps
echo "smoke: memhog $mib MiB (MemAvailable $avail MiB)"
memhog "$mib"
echo "smoke: zram0 mm_stat: $(cat /sys/block/zram0/mm_stat)"
grep -E '^(SwapTotal|SwapFree):' /proc/meminfo
swapoff /dev/zram0

# ext4 on zram1: write, remount, verify.
echo zstd >/sys/block/zram1/comp_algorithm
echo 32M >/sys/block/zram1/disksize
mkfs.ext4 -q /dev/zram1
mkdir -p /mnt
mount -t ext4 /dev/zram1 /mnt
dd if=/dev/urandom of=/tmp/data bs=1M count=8 2>/dev/null
cp /tmp/data /mnt/data
umount /mnt
mount -t ext4 /dev/zram1 /mnt
cmp /tmp/data /mnt/data
df /mnt | tail -n1
umount /mnt
echo "smoke: zram1 mm_stat: $(cat /sys/block/zram1/mm_stat)"

echo 1 >/sys/block/zram0/reset
echo 1 >/sys/block/zram1/reset
rmmod zram
echo "smoke: OK"
