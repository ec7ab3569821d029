#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The sysfs attributes: formats, error codes, reset and re-initialisation.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
sys=/sys/block/rzram0
modprobe rzram

check_eq "initstate is 0 before disksize" 0 "$(cat $sys/initstate)"
check_eq "disksize is 0 before init" 0 "$(cat $sys/disksize)"
check_eq "comp_algorithm lists every backend, lz4 selected, as zram formats it" \
	"lzo-rle lzo [lz4] lz4hc zstd deflate 842 |" "$(tr '\n' '|' <$sys/comp_algorithm)"
write_fails "unknown algorithm is EINVAL" "Invalid argument" $sys/comp_algorithm nosuch
echo lz4 >$sys/comp_algorithm && pass "lz4 can be selected before init"
check_eq "mm_stat has 9 fields before init" 9 "$(wc -w <$sys/mm_stat)"
check_eq "io_stat has 4 fields before init" 4 "$(wc -w <$sys/io_stat)"

write_fails "disksize 0 is EINVAL" "Invalid argument" $sys/disksize 0
write_fails "disksize garbage is EINVAL" "Invalid argument" $sys/disksize 12abc
write_fails "disksize overflow is ERANGE" "out of range" $sys/disksize 99999999999E
check_eq "failed disksize writes leave the device uninitialised" 0 "$(cat $sys/initstate)"

echo 10001 >$sys/disksize
check_eq "disksize is rounded up to a page" 12288 "$(cat $sys/disksize)"
check_eq "initstate is 1 after disksize" 1 "$(cat $sys/initstate)"
check "partitions are disabled: re-reading the partition table is refused" \
	sh -c "! blockdev --rereadpt $dev 2>/dev/null"
write_fails "disksize on an initialised device is EBUSY" "busy" $sys/disksize 64M
write_fails "comp_algorithm on an initialised device is EBUSY" "busy" $sys/comp_algorithm lz4
check "disksize EBUSY is logged" sh -c 'dmesg | grep -q "cannot change disksize for initialized device"'

write_fails "reset 0 is EINVAL" "Invalid argument" $sys/reset 0
write_fails "reset garbage is EINVAL" "Invalid argument" $sys/reset yes
write_fails "reset in hex is EINVAL, as in zram" "Invalid argument" $sys/reset 0x1
write_fails "reset above 65535 is ERANGE, as in zram" "out of range" $sys/reset 70000

echo 1 >$sys/reset
echo 64M >$sys/disksize
dd if=/dev/urandom of=/tmp/random bs=1M count=4 2>/dev/null
dd if=/tmp/random of=$dev bs=1M 2>/dev/null
sync

exec 3<$dev
write_fails "reset while open is EBUSY" "busy" $sys/reset 1
flush $dev
dd if=$dev of=/tmp/back bs=1M count=4 2>/dev/null
check "data survives a refused reset" cmp -s /tmp/back /tmp/random
check "rmmod while a device is open is refused" sh -c '! rmmod rzram 2>/dev/null'
exec 3<&-

echo 1 >$sys/reset && pass "reset of a closed device succeeds"
check_eq "reset sets initstate to 0" 0 "$(cat $sys/initstate)"
check_eq "reset sets the capacity to 0" 0 "$(cat $sys/size)"
check_eq "reset clears mm_stat" "0 0" "$(field 1 $sys/mm_stat) $(field 2 $sys/mm_stat)"
echo 1 >$sys/reset && pass "reset of an uninitialised device succeeds"

echo 16M >$sys/disksize && pass "disksize after reset works"
dd if=$dev of=/tmp/back bs=1M count=4 2>/dev/null
dd if=/dev/zero of=/tmp/zero bs=1M count=4 2>/dev/null
check "old data is gone after reset" cmp -s /tmp/back /tmp/zero
dd if=/tmp/random of=$dev bs=1M 2>/dev/null
sync
flush $dev
dd if=$dev of=/tmp/back bs=1M count=4 2>/dev/null
check "the re-initialised device stores data" cmp -s /tmp/back /tmp/random
echo 1 >$sys/reset

rmmod rzram && pass "rmmod with an uninitialised device"
modprobe rzram
echo 8M >$sys/disksize
dd if=/tmp/random of=$dev bs=1M count=4 2>/dev/null
sync
rmmod rzram && pass "rmmod with an initialised device holding data"

finish
