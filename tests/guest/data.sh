#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Data integrity: random, compressible and same-filled data written with dd at various sizes
# and alignments and compared byte for byte after the page cache is dropped; unwritten
# sectors read as zeros; discard frees and zeroes pages.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
sys=/sys/block/rzram0
modprobe rzram num_devices=2
check "num_devices=2 creates rzram0 and rzram1" test -b /dev/rzram0 -a -b /dev/rzram1
check_eq "capacity is 0 before disksize" 0 "$(cat $sys/size)"

echo 32M >$sys/disksize
check_eq "disksize reads back in bytes" 33554432 "$(cat $sys/disksize)"
check_eq "capacity follows disksize" 65536 "$(cat $sys/size)"
check_eq "logical block size is 4096" 4096 "$(cat $sys/queue/logical_block_size)"

dd if=/dev/zero of=/tmp/model bs=1M count=32 2>/dev/null
dd if=$dev of=/tmp/back bs=1M 2>/dev/null
check "unwritten sectors read as zeros" cmp -s /tmp/back /tmp/model

# put <file> <dd args...>: write the same bytes to the device and to the model.
put() {
	src=$1
	shift
	dd if="$src" of=$dev conv=notrunc "$@" 2>/dev/null
	dd if="$src" of=/tmp/model conv=notrunc "$@" 2>/dev/null
}

dd if=/dev/urandom of=/tmp/random bs=1M count=8 2>/dev/null
yes 'rzram keeps pages compressed in RAM, 0123456789' | head -c 8388608 >/tmp/text
tr '\000' '\377' </dev/zero | head -c 4194304 >/tmp/ones

put /tmp/random bs=1M
put /tmp/text bs=1M seek=8
put /tmp/ones bs=1M seek=16
dd if=/dev/zero of=/tmp/zeros bs=1M count=2 2>/dev/null
put /tmp/zeros bs=1M seek=4
# Sub-page and unaligned writes go through the page cache (read-modify-write).
put /tmp/random bs=1 count=1 seek=12345 skip=77
put /tmp/text bs=3000 count=100 seek=7001
put /tmp/random bs=512 count=9 seek=40001 skip=3
if dd if=/tmp/random of=$dev bs=64k count=16 seek=300 oflag=direct conv=notrunc 2>/dev/null; then
	dd if=/tmp/random of=/tmp/model bs=64k count=16 seek=300 conv=notrunc 2>/dev/null
	pass "O_DIRECT write of 1 MiB in 64 KiB blocks"
else
	fail "O_DIRECT write of 1 MiB in 64 KiB blocks"
fi
sync
flush $dev
dd if=$dev of=/tmp/back bs=1M 2>/dev/null
check "all data reads back exactly after the cache is dropped" cmp /tmp/back /tmp/model
dd if=$dev of=/tmp/back4k bs=4k 2>/dev/null
check "reads in 4 KiB blocks match too" cmp /tmp/back4k /tmp/model
if dd if=$dev of=/tmp/backdirect bs=128k iflag=direct 2>/dev/null; then
	check "O_DIRECT reads match" cmp /tmp/backdirect /tmp/model
else
	fail "O_DIRECT read"
fi

orig=$(field 1 $sys/mm_stat)
compr=$(field 2 $sys/mm_stat)
same=$(field 6 $sys/mm_stat)
huge=$(field 8 $sys/mm_stat)
echo "mm_stat: $(cat $sys/mm_stat)"
# Pages holding data: 0-20 MiB, plus 74 pages touched by the 3000-byte writes at 21 MB.
check_eq "orig_data_size counts every page holding data" $(((5120 + 74) * 4096)) "$orig"
check "compressible data is stored smaller" test "$compr" -lt $((orig / 2))
# 4 MiB of 0xff minus the 1 MiB O_DIRECT write into it, plus 2 MiB of zeros.
check_eq "same-filled pages are counted, zeros included" 1280 "$same"
# 8 MiB of random data minus the 2 MiB of zeros, plus the 1 MiB O_DIRECT write.
check_eq "random pages are stored as huge pages" 1792 "$huge"
check "mem_used_total is reported" test "$(field 3 $sys/mm_stat)" -gt 0

# Discard frees pages and they read as zeros again.
blkdiscard -o 8388608 -l 8388608 $dev
dd if=/dev/zero of=/tmp/model bs=1M seek=8 count=8 conv=notrunc 2>/dev/null
flush $dev
dd if=$dev of=/tmp/back bs=1M 2>/dev/null
check "discarded range reads as zeros, the rest is intact" cmp /tmp/back /tmp/model
check "discard is counted in io_stat notify_free" test "$(field 4 $sys/io_stat)" -ge 1
check "discard lowers orig_data_size" test "$(field 1 $sys/mm_stat)" -lt "$orig"

# Reads past the end are refused by the block layer, not by us.
check "reading past the end returns nothing" test "$(dd if=$dev bs=4k skip=8192 count=1 2>/dev/null | wc -c)" -eq 0
check_eq "no failed reads or writes" "0 0" "$(field 1 $sys/io_stat) $(field 2 $sys/io_stat)"

finish
