#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /sys/class/rzram-control: hot_add and hot_remove, as zram's. Ids are reused lowest first;
# removing an open device is EBUSY, an unknown one ENODEV; removing an initialised device
# resets it; attribute files held open across a removal fail cleanly; unloading the module
# removes every device.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

ctl=/sys/class/rzram-control


modprobe rzram num_devices=0
check "num_devices=0 creates no device" sh -c '! ls /sys/block | grep -q rzram'
check "the control class exists" test -d $ctl
check_eq "hot_add is read-only for root" 400 "$(stat -c %a $ctl/hot_add)"
check_eq "hot_remove is write-only" 200 "$(stat -c %a $ctl/hot_remove)"
check_eq "hot_add creates rzram0" 0 "$(cat $ctl/hot_add)"
check "/dev/rzram0 exists" test -b /dev/rzram0
check_eq "the next hot_add creates rzram1" 1 "$(cat $ctl/hot_add)"
check_eq "and rzram2" 2 "$(cat $ctl/hot_add)"
check "hot_remove of rzram1 succeeds" sh -c "echo 1 >$ctl/hot_remove"
check "rzram1 is gone" test ! -e /sys/block/rzram1 -a ! -e /dev/rzram1
check_eq "hot_add reuses the lowest free id" 1 "$(cat $ctl/hot_add)"
check_eq "then takes the next one" 3 "$(cat $ctl/hot_add)"

write_fails "hot_remove of an unknown id is ENODEV" "No such device" $ctl/hot_remove 7
write_fails "hot_remove of the next free id is ENODEV" "No such device" $ctl/hot_remove 4
write_fails "hot_remove of a negative id is EINVAL" "Invalid argument" $ctl/hot_remove -1
write_fails "hot_remove of garbage is EINVAL" "Invalid argument" $ctl/hot_remove rzram1
write_fails "hot_remove above INT_MAX is ERANGE" "Numerical result out of range" \
	$ctl/hot_remove 2147483648

# An open device cannot be removed, and keeps its data.
echo 16M >/sys/block/rzram2/disksize
dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 2>/dev/null
dd if=/tmp/pattern of=/dev/rzram2 bs=64k oflag=direct 2>/dev/null
exec 3</dev/rzram2
write_fails "hot_remove of an open device is EBUSY" "Device or resource busy" $ctl/hot_remove 2
dd if=/dev/rzram2 of=/tmp/back bs=64k count=16 iflag=direct 2>/dev/null
check "the open device kept its data" cmp -s /tmp/pattern /tmp/back
exec 3<&-

# Removing an initialised device resets it: its memory comes back.
mem0=$(mem_snapshot)
i=0
while [ $i -lt 10 ]; do
	id=$(cat $ctl/hot_add)
	echo 64M >/sys/block/rzram"$id"/disksize
	dd if=/dev/urandom of=/dev/rzram"$id" bs=1M count=4 2>/dev/null
	echo "$id" >$ctl/hot_remove
	i=$((i + 1))
done
echo "after ten hot_add/fill/hot_remove rounds:"
check_no_leak "$mem0" "$(mem_snapshot)" 16384
check "hot_remove of an initialised device with data succeeds" sh -c "echo 2 >$ctl/hot_remove"
check "rzram2 is gone" test ! -e /sys/block/rzram2

# Attribute files held open across hot_remove: reads and writes fail, nothing crashes.
echo 16M >/sys/block/rzram3/disksize
exec 4</sys/block/rzram3/mm_stat 5>/sys/block/rzram3/reset
echo 3 >$ctl/hot_remove
if cat <&4 >/dev/null 2>/tmp/err; then
	fail "reading an attribute held open across hot_remove fails (it succeeded)"
else
	check "reading an attribute held open across hot_remove fails with ENODEV" \
		grep -q "No such device" /tmp/err
fi
if echo 1 >&5 2>/tmp/err; then
	fail "writing an attribute held open across hot_remove fails (it succeeded)"
else
	check "writing an attribute held open across hot_remove fails with ENODEV" \
		grep -q "No such device" /tmp/err
fi
exec 4<&- 5>&-

# Concurrent hot_adds get distinct ids.
rm -f /tmp/ids
for _ in 1 2 3 4 5 6; do cat $ctl/hot_add >>/tmp/ids & done
wait
check_eq "six concurrent hot_adds get six distinct ids" 6 "$(sort -u /tmp/ids | wc -l)"

# Unloading removes every device, whichever way it was created, initialised or not.
echo 16M >/sys/block/rzram0/disksize
check "rmmod with hot-added devices succeeds" rmmod rzram
check "no rzram device is left" sh -c '! ls /sys/block | grep -q rzram'
check "the control class is gone" test ! -e $ctl
check "modprobe after that works" modprobe rzram
check "and creates rzram0" test -b /dev/rzram0
rmmod rzram
rm -f /tmp/pattern /tmp/back /tmp/ids /tmp/err
finish
