#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Recompression, as zram's: recomp_algorithm configures secondary algorithms by priority,
# algorithm_params tunes them, idle marks pages, and recompress stores selected pages again
# with a stronger algorithm; the data stays intact. Reset returns to the defaults.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
sys=/sys/block/rzram0
modprobe rzram

check_eq "recomp_algorithm is empty by default" "" "$(cat $sys/recomp_algorithm)"
check_eq "algorithm_params is write-only" 200 "$(stat -c %a $sys/algorithm_params)"
check_eq "recompress is write-only" 200 "$(stat -c %a $sys/recompress)"
check_eq "idle is write-only" 200 "$(stat -c %a $sys/idle)"
write_fails "recomp_algorithm needs algo" "Invalid argument" $sys/recomp_algorithm "priority=1"
write_fails "recomp_algorithm priority 0 is EINVAL" "Invalid argument" \
	$sys/recomp_algorithm "algo=zstd priority=0"
write_fails "recomp_algorithm priority 4 is EINVAL" "Invalid argument" \
	$sys/recomp_algorithm "algo=zstd priority=4"
write_fails "recomp_algorithm of an unknown algorithm is EINVAL" "Invalid argument" \
	$sys/recomp_algorithm "algo=nosuch"
echo "algo=zstd" >$sys/recomp_algorithm
echo "algo=deflate priority=2" >$sys/recomp_algorithm
check_eq "recomp_algorithm lists each priority as zram does" \
	"#1: lzo-rle lzo lz4 lz4hc [zstd] deflate 842 |#2: lzo-rle lzo lz4 lz4hc zstd [deflate] 842 |" \
	"$(tr '\n' '|' <$sys/recomp_algorithm)"

check "algorithm_params by algorithm" sh -c "echo 'algo=zstd level=5' >$sys/algorithm_params"
check "algorithm_params by priority" \
	sh -c "echo 'priority=2 level=9 deflate.winbits=-15' >$sys/algorithm_params"
check "algorithm_params of the primary algorithm" sh -c "echo 'level=1' >$sys/algorithm_params"
write_fails "a zstd level out of range is EINVAL" "Invalid argument" \
	$sys/algorithm_params "algo=zstd level=1000"
write_fails "an lz4 acceleration below 1 is EINVAL" "Invalid argument" \
	$sys/algorithm_params "algo=lz4 level=0"
write_fails "a recompression algorithm name of 128 bytes is E2BIG" "too long" \
	$sys/recomp_algorithm "algo=$(printf '%0128d' 0)"
write_fails "algo and priority must agree" "Invalid argument" \
	$sys/algorithm_params "algo=zstd priority=2"
write_fails "a priority without an algorithm is EINVAL" "Invalid argument" \
	$sys/algorithm_params "priority=3 level=1"
write_fails "dictionaries are EOPNOTSUPP" "not supported" \
	$sys/algorithm_params "algo=zstd dict=/nonexistent"
write_fails "a parameter without a value is EINVAL" "Invalid argument" \
	$sys/algorithm_params "level="
write_fails "recompress before disksize is EINVAL" "Invalid argument" $sys/recompress "type=huge"
write_fails "idle before disksize is EINVAL" "Invalid argument" $sys/idle all

echo 32M >$sys/disksize
write_fails "recomp_algorithm on an initialised device is EBUSY" "busy" \
	$sys/recomp_algorithm "algo=lz4hc priority=3"
write_fails "algorithm_params on an initialised device is EBUSY" "busy" \
	$sys/algorithm_params "level=2"

# Hex text of random bytes: LZ4 finds almost no matches (huge pages); zstd's and deflate's
# entropy coding halve it.
dd if=/dev/urandom bs=1M count=4 2>/dev/null | od -An -tx1 -v | tr -d " \n" >/tmp/hex
dd if=/tmp/hex of=$dev bs=64k count=64 oflag=direct 2>/dev/null
check_eq "4 MiB of hex text are huge pages with lz4" 1024 "$(field 8 $sys/mm_stat)"
compr0=$(field 2 $sys/mm_stat)
echo "type=huge max_pages=100" >$sys/recompress
check_eq "max_pages limits recompression to 100 pages" 924 "$(field 8 $sys/mm_stat)"
echo "type=huge" >$sys/recompress
echo "mm_stat after recompression: $(cat $sys/mm_stat) (compr_data_size was $compr0)"
check_eq "recompression with zstd leaves no huge page" 0 "$(field 8 $sys/mm_stat)"
check "recompression shrank the data by a third or more" \
	test "$(field 2 $sys/mm_stat)" -lt $((compr0 * 2 / 3))
dd if=$dev of=/tmp/back bs=64k count=64 iflag=direct 2>/dev/null
dd if=/tmp/hex of=/tmp/want bs=64k count=64 2>/dev/null
check "recompressed pages read back intact" cmp -s /tmp/want /tmp/back

# idle: pages read after `idle all` are active again and not picked by type=huge_idle.
dd if=/tmp/hex of=$dev bs=64k count=64 skip=64 seek=128 oflag=direct 2>/dev/null
check_eq "another 1024 huge pages" 1024 "$(field 8 $sys/mm_stat)"
echo all >$sys/idle
dd if=$dev of=/dev/null bs=64k count=32 skip=128 iflag=direct 2>/dev/null
echo "type=huge_idle algo=deflate" >$sys/recompress
check_eq "only idle huge pages were recompressed (with deflate)" 512 "$(field 8 $sys/mm_stat)"
dd if=$dev of=/tmp/back bs=64k count=64 skip=128 iflag=direct 2>/dev/null
dd if=/tmp/hex of=/tmp/want bs=64k count=64 skip=64 2>/dev/null
check "pages recompressed with deflate read back intact" cmp -s /tmp/want /tmp/back
write_fails "recompress with a priority that has no algorithm is EINVAL" "Invalid argument" \
	$sys/recompress "priority=3"
write_fails "recompress with a mismatched algo and priority is EINVAL" "Invalid argument" \
	$sys/recompress "algo=zstd priority=2"
write_fails "recompress with an unknown type is EINVAL" "Invalid argument" \
	$sys/recompress "type=all"
write_fails "a threshold of a page or more is EINVAL" "Invalid argument" \
	$sys/recompress "threshold=4096"
check_eq "no failed reads or writes" "0 0" "$(field 1 $sys/io_stat) $(field 2 $sys/io_stat)"

echo 1 >$sys/reset
check_eq "reset removes the recompression algorithms" "" "$(cat $sys/recomp_algorithm)"
check_eq "reset restores the default algorithm" "lzo-rle lzo [lz4] lz4hc zstd deflate 842 |" \
	"$(tr '\n' '|' <$sys/comp_algorithm)"
rm -f /tmp/hex /tmp/back /tmp/want
finish
