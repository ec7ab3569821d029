#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Profile (not a test): the guest code that 4 KiB O_DIRECT reads and writes run, zram and
# rzram side by side, as the emulator executes it. scripts/tb-profile.py runs this script
# in a VM whose QEMU never chains its translated blocks (`-d nochain`), so that every block
# the guest executes passes through QEMU's lookup, and switches QEMU's execution log on
# between the "TBTRACE start <name>" and "TBTRACE end <name>" lines printed here. Each
# window holds one `dd` of <requests> requests (and the idle time around it); the module
# symbols printed at the end ("TBSYM" lines) let the host name the blocks.
#
# Data: decimal numbers (seq output), which lz4 compresses about 1.8x; lz4, 64 MiB devices.
# Needs coreutils' dd (O_DIRECT) as /usr/bin/dd.
#
# Usage (in the VM): tbtrace.sh [requests]
set -eu

n=${1:-200}
modprobe zram
modprobe rzram
seq 1 3000000 | dd of=/tmp/seq bs=1M count=16 iflag=fullblock 2>/dev/null
for drv in zram rzram; do
	sys=/sys/block/${drv}0
	echo lz4 >"$sys/comp_algorithm"
	echo 64M >"$sys/disksize"
	# Warm both paths, so that the windows hold no first-time work.
	/usr/bin/dd if=/tmp/seq of="/dev/${drv}0" bs=4k count=1024 oflag=direct 2>/dev/null
	/usr/bin/dd if="/dev/${drv}0" of=/dev/null bs=4k count=1024 iflag=direct 2>/dev/null
done
# window <name> <command...>: runs the command between the markers, with time for the host
# to switch the log on and off.
window() {
	name=$1
	shift
	echo "TBTRACE start $name"
	sleep 2
	"$@" 2>/dev/null
	echo "TBTRACE end $name"
	sleep 2
}
for drv in zram rzram; do
	window "write-$drv" /usr/bin/dd if=/tmp/seq of="/dev/${drv}0" bs=4k count="$n" oflag=direct
	window "read-$drv" /usr/bin/dd if="/dev/${drv}0" of=/dev/null bs=4k count="$n" iflag=direct
done
echo "TBTRACE done $n"
grep -E '\[(rzram|zram|lz4_compress|lz4_decompress|zsmalloc)\]' /proc/kallsyms | sed 's/^/TBSYM /'
