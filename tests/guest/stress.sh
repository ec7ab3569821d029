#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle under load, time-bounded: verified writers and readers on rzram0 and rzram1
# (held open, so every reset attempt on them must fail with EBUSY) while another loop
# reads every attribute, a third device is reset and re-initialised while closed, with
# I/O in between, and a fourth is hot-added, used and hot-removed over and over. Then
# everything is reset, the module is unloaded and reloaded a few times with data in it, and
# memory is compared with the start.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

seconds=${1:-20}


# Warm up: load once so module and slab caches exist in the baseline.
modprobe rzram num_devices=3
rmmod rzram
mem0=$(mem_snapshot)

modprobe rzram num_devices=3
for d in 0 1 2; do echo 64M >/sys/block/rzram$d/disksize; done
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 2>/dev/null
yes 'stress test text 0123456789' | head -c 4194304 >/tmp/text

# worker <dev> <region> <file>: write the file to the region and read it back, until
# /tmp/stop exists; print the number of verified rounds, or FAIL.
worker() {
	n=0
	while [ ! -e /tmp/stop ]; do
		dd if="$3" of="$1" bs=64k seek=$(($2 * 64)) oflag=direct conv=notrunc 2>/dev/null
		dd if="$1" of="/tmp/back.${1##*/}.$2" bs=64k skip=$(($2 * 64)) count=64 iflag=direct 2>/dev/null
		if ! cmp -s "$3" "/tmp/back.${1##*/}.$2"; then
			echo "FAIL $1 region $2 round $n"
			return 1
		fi
		n=$((n + 1))
	done
	echo "ok $1 region $2 rounds $n"
}

exec 3<>/dev/rzram0 4<>/dev/rzram1
rm -f /tmp/stop /tmp/workers.out
for dev in /dev/rzram0 /dev/rzram1; do
	worker $dev 0 /tmp/pattern >>/tmp/workers.out &
	worker $dev 1 /tmp/text >>/tmp/workers.out &
	worker $dev 2 /tmp/pattern >>/tmp/workers.out &
done

# Opens of rzram2 race with its resets: an open during a reset is refused (EBUSY).
opener() {
	while [ ! -e /tmp/stop ]; do
		dd if=/dev/rzram2 of=/dev/null bs=4k count=1 2>/dev/null || true
		usleep 3000
	done
}
opener &

# hotplugger: hot_add a device, initialise it, check data on it, hot_remove it; until
# /tmp/stop exists. Prints the rounds, or FAIL with the step that failed.
hotplugger() {
	ctl=/sys/class/rzram-control
	n=0
	while [ ! -e /tmp/stop ]; do
		id=$(cat $ctl/hot_add) || { echo "FAIL hot_add round $n"; return 1; }
		echo 16M >/sys/block/rzram"$id"/disksize || { echo "FAIL disksize rzram$id"; return 1; }
		dd if=/tmp/pattern of=/dev/rzram"$id" bs=64k oflag=direct 2>/dev/null
		dd if=/dev/rzram"$id" of=/tmp/back.hot bs=64k count=64 iflag=direct 2>/dev/null
		cmp -s /tmp/pattern /tmp/back.hot || { echo "FAIL data on rzram$id"; return 1; }
		echo "$id" >$ctl/hot_remove || { echo "FAIL hot_remove rzram$id"; return 1; }
		n=$((n + 1))
	done
	echo "ok hotplug rounds $n"
}
hotplugger >/tmp/hotplug.out &

resets_refused=0
resets_wrong=0
reinits=0
reads=0
end=$(($(date +%s) + seconds))
while [ "$(date +%s)" -lt "$end" ]; do
	for d in 0 1; do
		if echo 1 2>/tmp/reset.err >/sys/block/rzram$d/reset; then
			resets_wrong=$((resets_wrong + 1))
		elif grep -q busy /tmp/reset.err; then
			resets_refused=$((resets_refused + 1))
		else
			resets_wrong=$((resets_wrong + 1))
		fi
	done
	for f in /sys/block/rzram*/disksize /sys/block/rzram*/initstate \
		/sys/block/rzram*/comp_algorithm /sys/block/rzram*/mm_stat /sys/block/rzram*/io_stat; do
		# A hot-removed device's attributes vanish under the reader: ENOENT or ENODEV.
		cat "$f" >/dev/null 2>&1 || true
		reads=$((reads + 1))
	done
	# rzram2 is only opened briefly by the opener loop: reset and re-initialise it when
	# it is closed (EBUSY otherwise), then use and check it.
	if echo 1 2>/dev/null >/sys/block/rzram2/reset; then
		echo 32M >/sys/block/rzram2/disksize
		reinits=$((reinits + 1))
	fi
	dd if=/tmp/pattern of=/dev/rzram2 bs=64k oflag=direct 2>/dev/null
	dd if=/dev/rzram2 of=/tmp/back2 bs=64k count=64 iflag=direct 2>/dev/null
	cmp -s /tmp/pattern /tmp/back2 || resets_wrong=$((resets_wrong + 1000))
done
touch /tmp/stop
wait
exec 3<&- 4<&-
cat /tmp/workers.out
check "no worker saw a data mismatch" sh -c '! grep -q FAIL /tmp/workers.out'
check_eq "six workers finished" 6 "$(grep -c '^ok' /tmp/workers.out)"
check "resets of open devices were refused with EBUSY" test "$resets_refused" -gt 0
check_eq "no reset of an open device succeeded or failed otherwise" 0 "$resets_wrong"
check "the closed device was re-initialised under load" test "$reinits" -gt 0
cat /tmp/hotplug.out
check "a device was hot-added, used and hot-removed under load" grep -q '^ok hotplug rounds [1-9]' /tmp/hotplug.out
echo "attribute reads: $reads"
check_eq "no failed I/O on rzram0 and rzram1" "0 0 0 0" \
	"$(field 1 /sys/block/rzram0/io_stat) $(field 2 /sys/block/rzram0/io_stat) $(field 1 /sys/block/rzram1/io_stat) $(field 2 /sys/block/rzram1/io_stat)"

for d in 0 1 2; do echo 1 >/sys/block/rzram$d/reset; done
rmmod rzram

# rmmod/insmod with initialised devices that hold data.
i=0
while [ $i -lt 5 ]; do
	modprobe rzram num_devices=2
	echo 16M >/sys/block/rzram0/disksize
	echo 16M >/sys/block/rzram1/disksize
	dd if=/tmp/pattern of=/dev/rzram0 bs=1M 2>/dev/null
	dd if=/tmp/text of=/dev/rzram1 bs=1M 2>/dev/null
	sync
	rmmod rzram || fail "rmmod round $i"
	i=$((i + 1))
done
pass "five rmmod/modprobe rounds with data"

rm -f /tmp/pattern /tmp/text /tmp/back.* /tmp/back2 /tmp/workers.out /tmp/hotplug.out
# A leaked pool would cost far more than any slack: each rmmod round alone stores 8 MiB.
check_no_leak "$mem0" "$(mem_snapshot)" 32768
finish
