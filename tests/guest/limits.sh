#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Memory limit, peak usage, compaction and debug_stat, as zram's: mem_limit makes stores
# that would exceed it fail (and can be set before or after disksize, until reset);
# writing 0 to mem_used_max restarts the peak; compact frees fragmented pool pages.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
sys=/sys/block/rzram0
modprobe rzram

check_eq "mem_limit is write-only" 200 "$(stat -c %a $sys/mem_limit)"
check_eq "mem_used_max is write-only" 200 "$(stat -c %a $sys/mem_used_max)"
check_eq "compact is write-only" 200 "$(stat -c %a $sys/compact)"
check_eq "debug_stat is read-only" 444 "$(stat -c %a $sys/debug_stat)"
check_eq "debug_stat is in zram's version 1 format" "version: 1|0        0" \
	"$(tr '\n' '|' <$sys/debug_stat | sed 's/|$//')"

write_fails "mem_limit garbage is EINVAL" "Invalid argument" $sys/mem_limit 4Q
write_fails "a mem_limit that rounds up past 64 bits is ERANGE" "out of range" $sys/mem_limit \
	0xFFFFFFFFFFFFFFFF
check "the largest page-aligned mem_limit is taken and shown" sh -c \
	"echo 0xFFFFFFFFFFFFF000 >$sys/mem_limit && test \"\$(awk '{ print \$4 }' $sys/mm_stat)\" = 18446744073709547520"
echo 0 >$sys/mem_limit
write_fails "compact before disksize is EINVAL" "Invalid argument" $sys/compact 1
echo 4M >$sys/mem_limit
check_eq "mem_limit set before disksize shows in mm_stat" 4194304 "$(field 4 $sys/mm_stat)"
echo 64M >$sys/disksize
check_eq "mem_limit survives disksize" 4194304 "$(field 4 $sys/mm_stat)"

# Random data does not compress: 16 MiB of it cannot fit in 4 MiB.
dd if=/dev/urandom of=/tmp/random bs=1M count=16 2>/dev/null
if dd if=/tmp/random of=$dev bs=64k oflag=direct 2>/dev/null; then
	fail "writes beyond mem_limit fail (all succeeded)"
else
	pass "writes beyond mem_limit fail"
fi
check "failed writes are counted" test "$(field 2 $sys/io_stat)" -gt 0
used=$(field 3 $sys/mm_stat)
echo "mm_stat at the limit: $(cat $sys/mm_stat)"
check "the pool stays within mem_limit" test "$used" -le 4194304
check "the pool was filled up to the limit" test "$used" -gt 3145728

echo 0 >$sys/mem_limit
check_eq "mem_limit 0 removes the limit" 0 "$(field 4 $sys/mm_stat)"
dd if=/tmp/random of=$dev bs=64k oflag=direct 2>/dev/null
dd if=$dev of=/tmp/back bs=64k count=256 iflag=direct 2>/dev/null
check "without the limit all data is stored and reads back" cmp -s /tmp/random /tmp/back

# mem_used_max keeps the peak until 0 is written to it.
dd if=/dev/zero of=$dev bs=64k count=256 oflag=direct 2>/dev/null
check "the peak stays above the current use" \
	test "$(field 5 $sys/mm_stat)" -gt "$(field 3 $sys/mm_stat)"
write_fails "mem_used_max takes only 0 (1 is EINVAL)" "Invalid argument" $sys/mem_used_max 1
echo 0 >$sys/mem_used_max
check_eq "writing 0 to mem_used_max restarts the peak from the current use" \
	"$(field 3 $sys/mm_stat)" "$(field 5 $sys/mm_stat)"

# Compaction: fill pages that share zspages, free every other one, compact.
yes 'rzram compaction test 0123456789' | head -c 8388608 >/tmp/text
dd if=/tmp/text of=$dev bs=64k oflag=direct 2>/dev/null
i=0
while [ $i -lt 1024 ]; do
	dd if=/dev/zero of=$dev bs=4k count=1 seek=$((i * 2 + 1)) oflag=direct 2>/dev/null
	i=$((i + 1))
done
before=$(field 3 $sys/mm_stat)
check "compact succeeds on an initialised device" sh -c "echo 1 >$sys/compact"
echo "mm_stat after compaction: $(cat $sys/mm_stat) (mem_used_total was $before)"
check "compaction freed pages (pages_compacted)" test "$(field 7 $sys/mm_stat)" -gt 0
check "compaction lowered mem_used_total" test "$(field 3 $sys/mm_stat)" -lt "$before"
i=0
bad=0
while [ $i -lt 1024 ]; do
	dd if=$dev of=/tmp/page bs=4k count=1 skip=$((i * 2)) iflag=direct 2>/dev/null
	dd if=/tmp/text of=/tmp/want bs=4k count=1 skip=$((i * 2)) 2>/dev/null
	cmp -s /tmp/page /tmp/want || bad=$((bad + 1))
	i=$((i + 8))
done
check_eq "data moved by compaction reads back" 0 "$bad"

echo 8M >$sys/mem_limit
echo 1 >$sys/reset
check_eq "reset clears mem_limit" 0 "$(field 4 $sys/mm_stat)"
rm -f /tmp/random /tmp/back /tmp/text /tmp/page /tmp/want
finish
