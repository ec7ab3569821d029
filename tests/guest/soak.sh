#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A bounded soak: for a given time (75 seconds by default), all at once:
# - swap: rzram0 is swap for a process in a 32 MiB memory cgroup that allocates 56 MiB and
#   verifies every page, run again and again (24 and 36 MiB on the debug kernel, where
#   KASAN makes swapping several times slower; the last run started is let finish);
# - a filesystem with checksums: ext4 with metadata_csum on rzram1; files are written,
#   synced, read back once the page cache is dropped and compared with their source, over
#   and over, 16 of them in turn;
# - hotplug: a helper hot-adds a device, initialises it, writes it and reads it back, resets
#   it, initialises it again (it must read zeros) and hot-removes it, over and over;
# - a reader shows every attribute of every device and of the control class (but hot_add).
# On the debug kernel the hotplug helper runs with fault injection armed for itself alone
# (failslab and fail_page_alloc with task-filter, at a low rate), so its steps may
# fail with ENOMEM or EIO (it cleans up and goes on), while nothing else in the guest sees
# a failure. Data the helper reads back after a write that succeeded must still be exact.
#
# Then: no mismatch anywhere, no failed I/O on rzram0 or rzram1, ext4 remounts without error
# and every file on it is exact, swapoff brings every page back, nothing leaked once the
# devices are reset, the module unloads, and no kernel report.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

duration=${1:-75}
modprobe rzram num_devices=2
ctl=/sys/class/rzram-control
fs=/sys/kernel/debug/failslab
fp=/sys/kernel/debug/fail_page_alloc
rm -f /tmp/stop /tmp/soak.*
mem0=$(mem_snapshot)

# Eight sources of 256 KiB: text, zero and random pages in different orders.
i=0
while [ $i -lt 8 ]; do
	{
		awk -v i=$i 'BEGIN { for (l = 0; l < 160; l++) printf "source %d line %d %0999d\n", i, l, l }' |
			head -c 131072
		head -c $((i * 8192)) /dev/zero
		head -c $((131072 - i * 8192)) /dev/urandom
	} >/tmp/soak.src.$i
	i=$((i + 1))
done
head -c 262144 /dev/zero >/tmp/soak.zero

echo 256M >/sys/block/rzram0/disksize
mkswap /dev/rzram0 >/dev/null
swapon /dev/rzram0
echo 64M >/sys/block/rzram1/disksize
check "mkfs.ext4 with metadata_csum on rzram1" mkfs.ext4 -q -O metadata_csum /dev/rzram1
mkdir -p /mnt
mount /dev/rzram1 /mnt

# swapper: memhog in the cgroup until /tmp/stop exists.
swapper() {
	n=0 bad=0 limit=32 size=56
	if [ -e /proc/lockdep ]; then limit=24 size=36; fi
	while [ ! -e /tmp/stop ]; do
		if limited "$limit" memhog "$size" 1 >/tmp/soak.memhog 2>&1; then
			n=$((n + 1))
		else
			bad=$((bad + 1))
			cat /tmp/soak.memhog
		fi
	done
	echo "swap runs $n bad $bad" >/tmp/soak.res.swap
}

# filer: writes, syncs and verifies files on ext4 until /tmp/stop exists; records which
# source each file holds in /tmp/soak.map.<file>.
filer() {
	n=0 bad=0
	while [ ! -e /tmp/stop ]; do
		s=$((n % 8))
		f=$((n % 16))
		rm -f /tmp/soak.map.$f
		if cp /tmp/soak.src.$s /mnt/f$f && sync; then
			echo $s >/tmp/soak.map.$f
			echo 1 >/proc/sys/vm/drop_caches
			if ! cmp -s /tmp/soak.src.$s /mnt/f$f; then
				bad=$((bad + 1))
				echo "ext4 file f$f differs from source $s"
			fi
		else
			bad=$((bad + 1))
			echo "ext4 file f$f could not be written"
		fi
		n=$((n + 1))
	done
	echo "files $n bad $bad" >/tmp/soak.res.fs
}

# reader: shows every attribute until /tmp/stop exists (not hot_add, which creates a
# device). Devices vanish under it: errors are no failure here.
reader() {
	n=0
	while [ ! -e /tmp/stop ]; do
		for f in /sys/block/rzram*/* $ctl/hot_remove; do
			[ -f "$f" ] || continue
			{ read -r _ <"$f"; } 2>/dev/null || true
		done
		n=$((n + 1))
	done
	echo "reader passes $n" >/tmp/soak.res.reader
}

# arm: fault injection on for this shell and what it starts. The write itself may meet
# an injected failure: it is repeated until it succeeds.
arm() {
	[ -d $fs ] || return 0
	until { echo 1 >/proc/self/make-it-fail; } 2>/dev/null; do :; done
}

# round <n>: one hotplug round; returns 1 if a step failed (an injected failure), 3 on a
# mismatch.
round() {
	src=/tmp/soak.src.$(($1 % 8))
	read -r id <$ctl/hot_add || return 1
	d=/sys/block/rzram$id
	echo 4M >"$d"/disksize || return 1
	dd if=$src of=/dev/rzram"$id" bs=64k oflag=direct 2>/dev/null || return 1
	dd if=/dev/rzram"$id" of=/tmp/soak.back bs=64k count=4 iflag=direct 2>/dev/null || return 1
	rc=0
	cmp -s $src /tmp/soak.back || rc=$?
	if [ $rc = 1 ]; then
		echo "rzram$id: data read back differs from $src"
		return 3
	fi
	[ $rc = 0 ] || return 1
	echo 1 >"$d"/reset || return 1
	echo 4M >"$d"/disksize || return 1
	dd if=/dev/rzram"$id" of=/tmp/soak.back bs=64k count=4 iflag=direct 2>/dev/null || return 1
	rc=0
	cmp -s /tmp/soak.zero /tmp/soak.back || rc=$?
	if [ $rc = 1 ]; then
		echo "rzram$id: not zeros after reset"
		return 3
	fi
	[ $rc = 0 ] || return 1
	echo "$id" >$ctl/hot_remove
}

# hotplugger: hotplug rounds until /tmp/stop exists, each in a subshell armed for fault
# injection (where a failed fork ends the subshell: the shell gives up on it); removes
# what a failed round left, unarmed.
hotplugger() {
	n=0 ok=0 mismatch=0
	while [ ! -e /tmp/stop ]; do
		rc=0
		(
			arm
			round $n
		) || rc=$?
		case $rc in
		0) ok=$((ok + 1)) ;;
		3) mismatch=$((mismatch + 1)) ;;
		esac
		for d in /sys/block/rzram*; do
			id=${d#/sys/block/rzram}
			[ "$id" -gt 1 ] || continue
			echo "$id" >$ctl/hot_remove || echo "cannot remove rzram$id after round $n"
		done
		n=$((n + 1))
	done
	echo "hotplug rounds $n ok $ok mismatch $mismatch" >/tmp/soak.res.hotplug
}

# A round makes some 2000 allocations: about one in 3000 fails (on average every 1000th
# of them, with a probability of 30%), so that some rounds get through.
if [ -d $fs ]; then
	for f in $fs $fp; do
		echo Y >"$f"/task-filter
		echo 30 >"$f"/probability
		echo 1000 >"$f"/interval
		echo 1000000 >"$f"/times
		echo 0 >"$f"/space
		echo 0 >"$f"/verbose
		echo N >"$f"/ignore-gfp-wait
	done
	# fail_page_alloc keeps its defaults for the rest: order 1 and up, no highmem (so
	# the helper's own page faults are spared).
fi

swapout0=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
swapper &
filer &
reader &
# Its errors (ENOMEM from the shell's own redirections too) go to a file, not the console.
hotplugger 2>/tmp/soak.hotplug.err &
start=$(date +%s)
sleep "$duration"
touch /tmp/stop
# Every worker gets a bounded time to finish its round.
while [ "$(cat /tmp/soak.res.* 2>/dev/null | wc -l)" -lt 4 ]; do
	if [ $(($(date +%s) - start - duration)) -ge 300 ]; then
		fail "the workers stopped within 300 s of the end (hung?)"
		ls /tmp/soak.res.*
		ps
		tail -n 5 /tmp/soak.hotplug.err
		echo w >/proc/sysrq-trigger 2>/dev/null || true
		finish || exit 1
	fi
	sleep 1
done
wait
echo "soak of ${duration} s ended after $(($(date +%s) - start)) s"
cat /tmp/soak.res.*
if [ -d $fs ]; then
	injected=$((2000000 - $(cat $fs/times) - $(cat $fp/times)))
	echo 0 >$fs/probability
	echo 0 >$fp/probability
	echo "injected failures: $injected"
	check "the hotplug helper met injected failures ($injected)" test "$injected" -gt 0
else
	pass "no fault injection on this kernel (it runs on the debug kernel)"
fi

check "memhog ran and verified its pages" grep -q '^swap runs [1-9][0-9]* bad 0$' /tmp/soak.res.swap
swapout=$(($(awk '$1 == "pswpout" { print $2 }' /proc/vmstat) - swapout0))
check "pages went to swap on rzram0 ($swapout)" test "$swapout" -gt 1024
check "ext4 files were written and read back exact" grep -q '^files [1-9][0-9]* bad 0$' /tmp/soak.res.fs
check "hotplug rounds completed, with no mismatch" \
	grep -q '^hotplug rounds [0-9]* ok [1-9][0-9]* mismatch 0$' /tmp/soak.res.hotplug
check "the reader made passes" grep -q '^reader passes [1-9]' /tmp/soak.res.reader
check_eq "only rzram0 and rzram1 are left" "/sys/block/rzram0 /sys/block/rzram1" \
	"$(echo /sys/block/rzram*)"
check_eq "no failed I/O on rzram0 (swap)" "0 0" \
	"$(field 1 /sys/block/rzram0/io_stat) $(field 2 /sys/block/rzram0/io_stat)"
check_eq "no failed I/O on rzram1 (ext4)" "0 0" \
	"$(field 1 /sys/block/rzram1/io_stat) $(field 2 /sys/block/rzram1/io_stat)"
check "swapoff brings every page back" swapoff /dev/rzram0

# ext4 again from the device: every file is its source.
umount /mnt
echo 3 >/proc/sys/vm/drop_caches
check "ext4 on rzram1 mounts again" mount /dev/rzram1 /mnt
bad=0 files=0
for m in /tmp/soak.map.*; do
	[ -e "$m" ] || continue
	f=${m#/tmp/soak.map.}
	files=$((files + 1))
	cmp -s /tmp/soak.src."$(cat "$m")" /mnt/f"$f" || bad=$((bad + 1))
done
check_eq "every file on the remounted ext4 is exact ($files files)" 0 "$bad"
umount /mnt
check_eq "ext4 reported no error" 0 "$(dmesg | grep -c 'EXT4-fs error')"

echo 1 >/sys/block/rzram0/reset
echo 1 >/sys/block/rzram1/reset
rm -f /tmp/soak.*
check_no_leak "$mem0" "$(mem_snapshot)" 32768
rmmod rzram
check "the module unloads" sh -c '! grep -q "^rzram " /proc/modules'
finish
