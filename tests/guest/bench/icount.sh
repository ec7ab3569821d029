#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): guest instructions per 4 KiB O_DIRECT request, zram and rzram side by
# side. Run under QEMU's `-icount shift=0,sleep=off` (scripts/bench.sh does), where the guest
# clock advances 1 ns per executed instruction: the figures are instruction counts, the `dd`
# system call included, and repeat exactly whatever the host does. They ignore memory latency
# and the emulator's own costs; the wall-clock benchmark (fio.sh) measures those.
#
# Data, lz4, 64 MiB devices, 4096 requests per figure:
# - zero_read: reads of a device never written (no data stored);
# - hex_write, hex_read: random hex digits, which lz4 cannot shrink below the huge class,
#   so the pages are stored as they are;
# - seq_write, seq_read: decimal numbers (seq output), which lz4 compresses about 1.8x.
# Needs coreutils' date (nanoseconds) and dd (O_DIRECT) as /usr/bin/date and /usr/bin/dd.
#
# Usage (in the VM): icount.sh [rounds]
# Output: one line per round and driver, "ICOUNT round=N drv=D name=value ...".
set -eu

rounds=${1:-3}
n=4096
modprobe zram
modprobe rzram
dd if=/dev/urandom bs=1M count=8 2>/dev/null | od -An -x |
	dd of=/tmp/hex bs=1M count=16 iflag=fullblock 2>/dev/null
seq 1 3000000 | dd of=/tmp/seq bs=1M count=16 iflag=fullblock 2>/dev/null

# Prints the guest nanoseconds (instructions) per request of the command line.
per_request() {
	a=$(/usr/bin/date +%s%N)
	"$@" >/dev/null 2>&1
	b=$(/usr/bin/date +%s%N)
	echo $(((b - a) / n))
}

round=1
while [ "$round" -le "$rounds" ]; do
	for drv in zram rzram; do
		sys=/sys/block/${drv}0
		dev=/dev/${drv}0
		line="round=$round drv=$drv"
		for data in hex seq; do
			echo 1 >"$sys/reset"
			echo lz4 >"$sys/comp_algorithm"
			echo 64M >"$sys/disksize"
			if [ "$data" = hex ]; then
				line="$line zero_read=$(per_request /usr/bin/dd if="$dev" of=/dev/null bs=4k count=$n iflag=direct)"
			fi
			line="$line ${data}_write=$(per_request /usr/bin/dd if=/tmp/$data of="$dev" bs=4k count=$n oflag=direct)"
			line="$line ${data}_read=$(per_request /usr/bin/dd if="$dev" of=/dev/null bs=4k count=$n iflag=direct)"
			cmp -n 16777216 "/tmp/$data" "$dev"
		done
		echo "ICOUNT $line"
	done
	round=$((round + 1))
done
echo 1 >/sys/block/zram0/reset
echo 1 >/sys/block/rzram0/reset
