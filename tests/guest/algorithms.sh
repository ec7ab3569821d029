#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every compression backend: data written through it reads back byte for byte, text
# compresses, random pages are stored as huge pages, and the algorithm in use is the one
# shown in brackets.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
sys=/sys/block/rzram0
modprobe rzram

# 4 MiB of text, 2 MiB of random bytes, 2 MiB of zeros.
yes 'rzram keeps pages compressed in RAM, 0123456789' | head -c 4194304 >/tmp/mixed
dd if=/dev/urandom bs=1M count=2 2>/dev/null >>/tmp/mixed
dd if=/dev/zero bs=1M count=2 2>/dev/null >>/tmp/mixed

for algo in lzo-rle lzo lz4 lz4hc zstd deflate 842; do
	echo 1 >$sys/reset
	echo $algo >$sys/comp_algorithm
	echo 16M >$sys/disksize
	check "$algo: selected and in use" grep -q "\[$algo\]" $sys/comp_algorithm
	dd if=/tmp/mixed of=$dev bs=64k oflag=direct 2>/dev/null
	dd if=$dev of=/tmp/back bs=64k count=128 iflag=direct 2>/dev/null
	check "$algo: data reads back intact" cmp -s /tmp/mixed /tmp/back
	orig=$(field 1 $sys/mm_stat)
	compr=$(field 2 $sys/mm_stat)
	echo "$algo: mm_stat $(cat $sys/mm_stat)"
	check_eq "$algo: every written page is counted in orig_data_size" $((8 * 1048576)) "$orig"
	# The random megabytes stay as they are (huge pages); the 4 MiB of text must shrink
	# to less than half.
	text=$((compr - $(field 8 $sys/mm_stat) * 4096))
	check "$algo: text compresses to less than half" test "$text" -lt 2097152
	check_eq "$algo: random pages are stored as huge pages" 512 "$(field 8 $sys/mm_stat)"
	check_eq "$algo: zero pages are same-filled" 512 "$(field 6 $sys/mm_stat)"
	check_eq "$algo: no failed reads or writes" "0 0" \
		"$(field 1 $sys/io_stat) $(field 2 $sys/io_stat)"
done
echo 1 >$sys/reset
rm -f /tmp/mixed /tmp/back
finish
