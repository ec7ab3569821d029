#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rzram-vm: --disk 64M
#
# Allocation failures, with the kernel's fault injection (failslab and fail_page_alloc in
# debugfs), scoped to one task so that the rest of the guest never sees them:
#
# - disksize, hot_add, hot_remove, recompress and writeback, swept with
#   /proc/self/fail-nth: the attribute is written (or hot_add read) once per n = 1, 2, 3,
#   ... with the n-th allocation of that write failing, until a write runs without
#   meeting the failure. So the allocations on the way fail one at a time, in the VFS and
#   sysfs, the block layer and the driver: all of the first 32 and of the last stretch,
#   every (n / 16)-th in between. A failed write must report -ENOMEM and leave things as
#   they were: a failed
#   disksize leaves the device uninitialised (and a later one works), a failed hot_add
#   leaves no device behind, a failed recompress or writeback loses no data and leaks no
#   block of the store, a failed hot_remove leaves the device with its data.
# - writes: faultio (tests/guest/faultio.c) writes pages with O_DIRECT with the task
#   filter armed for itself only while it writes, with failslab and fail_page_alloc
#   failing a share of its allocations (probability), among them the zsmalloc pool's. A
#   failed write must fail with an I/O error, count in io_stat's failed_writes and keep
#   the page's old contents; every other page reads back exact.
# - reads of written-back pages, by faultio with failslab armed: their hand-over to the
#   store's worker may fail to allocate, and the block layer must then issue them again;
#   none may fail.
#
# After each phase mm_stat counts exactly the pages stored and the reset leaves no zsmalloc
# page; at the end nothing leaked (zsmalloc pages, vmalloc, slab and free memory back where
# they were once every device is reset and the hot-added ones removed), and the module
# unloads.
# No kernel report may appear: injected failures are quiet (verbose 0, no stack dumps).
#
# The base kernel has no fault injection: there the scenario says so and stops.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

modprobe rzram
z=/sys/block/rzram0
ctl=/sys/class/rzram-control
fs=/sys/kernel/debug/failslab
fp=/sys/kernel/debug/fail_page_alloc

if [ ! -d $fs ] || [ ! -d $fp ]; then
	pass "fault injection (failslab, fail_page_alloc) runs on the debug kernel only; this kernel has none, nothing was injected"
	rmmod rzram
	finish
	exit
fi

# Both fault types: task-filter on (only tasks with make-it-fail set), every allocation
# of such a task eligible (ignore-gfp-wait off; fail_page_alloc also order 0 and highmem),
# quiet, and no random failure unless a phase sets a probability.
for f in $fs $fp; do
	echo Y >"$f"/task-filter
	echo 0 >"$f"/probability
	echo 1 >"$f"/interval
	echo -1 >"$f"/times
	echo 0 >"$f"/space
	echo 0 >"$f"/verbose
	echo N >"$f"/ignore-gfp-wait
done
echo N >$fp/ignore-gfp-highmem
echo 0 >$fp/min-order

# pages <file> <n> <tag> [<other tag> <pages>]: n pages of text that compresses but is not
# same-filled, each page different and marked with the tag (or with the other tag, for the
# pages listed), so that a page from another write or place shows.
pages() {
	awk -v n="$2" -v tag="$3" -v other="${4:-}" -v list="${5:-}" 'BEGIN {
		split(list, l, " ")
		for (i in l)
			use[l[i]] = 1
		for (i = 0; i < n; i++) {
			t = (i in use) ? other : tag
			s = ""
			while (length(s) < 4096)
				s = s t " page " i " of the fault injection test\n"
			printf "%s", substr(s, 1, 4096)
		}
	}' >"$1"
}

# same <dev> <file>: the device's first pages equal the file (read with O_DIRECT).
same() {
	dd if="$1" of=/tmp/back bs=4096 count=$(($(stat -c %s "$2") / 4096)) iflag=direct 2>/dev/null
	cmp -s "$2" /tmp/back
}

# reset_clean <phase> <pages>: mm_stat still counts the pages the phase stored, no more
# (a failure that leaked an object or lost one would show), and after the reset no
# zsmalloc page is left.
reset_clean() {
	check_eq "$1: mm_stat counts the $2 pages stored" $(($2 * 4096)) "$(field 1 $z/mm_stat)"
	echo 1 >$z/reset
	echo 1 >/proc/sys/vm/stat_refresh
	check_eq "$1: no zsmalloc page left after the reset" 0 \
		"$(awk '$1 == "nr_zspages" { print $2 }' /proc/vmstat)"
}

# nth <n> <command>: runs the command (a shell function, run in a subshell of this shell
# with no fork) with the n-th fault-injection point of the subshell failing. Prints the
# command's status, "hit" if the failure was injected while it ran or "miss" if the
# command got through all its allocations first, and the value the command left in $out.
# Its stderr goes to /tmp/nth.err.
nth() {
	(
		exec 2>/tmp/nth.err
		out=
		echo "$1" >/proc/self/fail-nth
		if $2; then rc=0; else rc=$?; fi
		# Reading fail-nth allocates too: if its open fails, the failure came after the
		# command, a miss.
		if read -r left </proc/self/fail-nth && [ "$left" = 0 ]; then
			echo "$rc hit $out"
		else
			echo 0 >/proc/self/fail-nth
			echo "$rc miss $out"
		fi
	)
}

# sweep <what> <prepare> <command> <verify> [quiet]: runs <prepare>, then <command> with its n-th
# allocation failing, then <verify> <n> <status>, for n = 1, 2, ... until the command runs
# without meeting the failure; then once more without failure. The first 32 allocations
# are all tried, then every (n / 16)-th, and then every one of the last stretch before the
# end. A failed command must fail with ENOMEM (or, with a fifth argument, may fail
# silently: the shell's read does not report errors); <verify> checks the state it left and
# returns non-zero (after saying why) if it is wrong.
sweep() {
	n=1 step=1 tail=0 refused=0 absorbed=0 bad=0 tried=0 t0=$(date +%s)
	while :; do
		$2
		res=$(nth $n "$3")
		rc=${res%% *}
		res=${res#* }
		out=${res#* }
		if [ "${res%% *}" = miss ]; then
			if [ $step -gt 1 ] && [ $tail = 0 ]; then
				$4 $n "$rc" "$out" || bad=$((bad + 1))
				tail=1
				n=$((n - step + 1))
				step=1
				continue
			fi
			break
		fi
		tried=$((tried + 1))
		if [ "$rc" = 0 ]; then
			# The failed allocation had a fallback (kvmalloc retries with vmalloc, ...).
			absorbed=$((absorbed + 1))
		elif grep -q "Cannot allocate memory\|Out of memory" /tmp/nth.err; then
			refused=$((refused + 1))
		elif [ -n "${5:-}" ] && ! [ -s /tmp/nth.err ]; then
			# A failed read: the shell's read builtin does not say why.
			refused=$((refused + 1))
		else
			echo "$1 with allocation $n failing: status $rc, $(cat /tmp/nth.err)"
			bad=$((bad + 1))
		fi
		$4 $n "$rc" "$out" || bad=$((bad + 1))
		n=$((n + step))
		if [ $tail = 0 ] && [ $n -gt 32 ]; then step=$((n / 16)); fi
	done
	echo "$1: $tried of $((n - 1)) allocations failed one at a time: $refused writes" \
		"failed, $absorbed got through ($(($(date +%s) - t0)) s)"
	check "$1: writes failed with ENOMEM ($refused)" test "$refused" -gt 0
	check_eq "$1: each failure was ENOMEM and left a sound state" 0 "$bad"
	check_eq "$1: the write without a failure succeeded" 0 "$rc"
	$4 $n "$rc" "$out"
}

mem0=$(mem_snapshot)
# A failed write would leave nothing to see: disksize and others check the device.
none() { :; }

# --- disksize -------------------------------------------------------------------------
disksize() { echo 1M >$z/disksize; }
disksize_left() {
	if [ "$2" = 0 ]; then
		[ "$(cat $z/initstate)" = 1 ] && echo 1 >$z/reset && return
	elif [ "$(cat $z/initstate)" = 0 ] && [ "$(cat $z/disksize)" = 0 ]; then
		return
	fi
	echo "disksize with allocation $1 failing: status $2, initstate $(cat $z/initstate)"
	echo 1 >$z/reset
	return 1
}
sweep disksize none disksize disksize_left
check "the driver's own allocations failed (its log says so)" \
	sh -c 'dmesg | grep -q "rzram0: cannot allocate 1048576 bytes of metadata"'
echo 1M >$z/disksize
pages /tmp/a 64 first
dd if=/tmp/a of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
check "the device works after the failed disksizes" same /dev/rzram0 /tmp/a
reset_clean disksize 64

# --- writes ---------------------------------------------------------------------------
t0=$(date +%s)
echo 1M >$z/disksize
pages /tmp/a 128 old
pages /tmp/b 128 new
dd if=/tmp/a of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
total=0
for p in 10 40; do
	f0=$(field 2 $z/io_stat)
	echo $p >$fs/probability
	echo $p >$fp/probability
	faultio /dev/rzram0 /tmp/b >/tmp/faultio.out
	echo 0 >$fs/probability
	echo 0 >$fp/probability
	tail -n1 /tmp/faultio.out
	eio=$(awk '$1 == "pages" { print $8 }' /tmp/faultio.out)
	total=$((total + eio))
	check_eq "probability $p: failed_writes counts the writes that failed with EIO" \
		"$eio" $(($(field 2 $z/io_stat) - f0))
	check_eq "probability $p: writes fail with EIO or ENOMEM only" 0 \
		"$(awk '$1 == "pages" { print $12 }' /tmp/faultio.out)"
	# A page whose write failed keeps its old contents; the others have the new.
	pages /tmp/expect 128 new old "$(awk '$1 == "fail" { printf "%s ", $2 }' /tmp/faultio.out)"
	check "probability $p: failed pages are unchanged, written ones new" same /dev/rzram0 /tmp/expect
	check_eq "probability $p: mm_stat still counts 128 pages" $((128 * 4096)) "$(field 1 $z/mm_stat)"
	# Back to the old contents for the next round.
	dd if=/tmp/a of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
done
check "writes failed in the driver with EIO ($total)" test "$total" -gt 0
check_eq "no read failed" 0 "$(field 1 $z/io_stat)"
reset_clean writes 128
echo "writes: $(($(date +%s) - t0)) s"

# --- recompress -------------------------------------------------------------------------
echo "algo=zstd priority=1" >$z/recomp_algorithm
echo 1M >$z/disksize
pages /tmp/a 16 recompress
# Each round starts from freshly written, idle pages.
fresh() {
	dd if=/tmp/a of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
	echo all >$z/idle
}
recompress() { echo type=idle >$z/recompress; }
intact() {
	same /dev/rzram0 /tmp/a && return
	echo "$phase with allocation $1 failing changed the data"
	return 1
}
phase=recompress
sweep recompress fresh recompress intact
check_eq "recompress: no I/O failed" "0 0" "$(field 1 $z/io_stat) $(field 2 $z/io_stat)"
reset_clean recompress 16

# --- writeback --------------------------------------------------------------------------
echo /dev/vda >$z/backing_dev
echo 1M >$z/disksize
pages /tmp/a 16 writeback
writeback() { echo idle >$z/writeback; }
stored() {
	intact "$1" || return 1
	[ "$(field 1 $z/bd_stat)" -le 16 ] && return
	echo "writeback with allocation $1 failing: bd_stat $(cat $z/bd_stat)"
	return 1
}
phase=writeback
sweep writeback fresh writeback stored
check "the last writeback wrote pages to the store" test "$(field 1 $z/bd_stat)" -gt 0
check_eq "writeback: mm_stat counts the 16 pages stored" $((16 * 4096)) "$(field 1 $z/mm_stat)"
# Reads of pages on the store are handed to the store's worker; when that hand-over
# cannot allocate, the block layer issues the read again later: no read may fail.
echo all >$z/idle
echo idle >$z/writeback
r0=$(field 2 $z/bd_stat)
echo 1000000 >$fs/times
echo 50 >$fs/probability
faultio /dev/rzram0 /tmp/a read >/tmp/faultio.out
echo 0 >$fs/probability
injected=$((1000000 - $(cat $fs/times)))
echo -1 >$fs/times
tail -n1 /tmp/faultio.out
check "writeback: reads of written-back pages met injected failures ($injected)" \
	test "$injected" -gt 0
check_eq "writeback: with the hand-over failing, no read failed and none differs" "0 0" \
	"$(awk '$1 == "pages" { print $6, $14 }' /tmp/faultio.out)"
check_eq "writeback: the 16 reads came from the store" 16 $(($(field 2 $z/bd_stat) - r0))
blkdiscard /dev/rzram0
check_eq "a discard frees every block (none leaked by the failures)" 0 "$(field 1 $z/bd_stat)"
check "the store detaches" sh -c "echo none >$z/backing_dev"
check_eq "writeback: no I/O failed" "0 0" "$(field 1 $z/io_stat) $(field 2 $z/io_stat)"
reset_clean writeback 0

# --- hot_add -----------------------------------------------------------------------------
hot_add() { read -r out <$ctl/hot_add; }
# A hot_add that succeeds gives id 1, the first free one; one that fails leaves no device.
added() {
	ok=0
	for d in /sys/block/rzram*; do
		[ "$d" != $z ] || continue
		if [ "$2" != 0 ] || [ "$d" != "/sys/block/rzram$3" ]; then
			echo "hot_add with allocation $1 failing: status $2, id '$3', found $d"
			ok=1
		fi
		echo "${d#/sys/block/rzram}" >$ctl/hot_remove
	done
	if [ "$2" = 0 ] && [ "$3" != 1 ]; then
		echo "hot_add with allocation $1 failing gave id '$3', not the first free one (1)"
		ok=1
	fi
	return $ok
}
sweep hot_add none hot_add added quiet
id=$(cat $ctl/hot_add)
check_eq "hot_add then gives the first free id" 1 "$id"
echo 1M >/sys/block/rzram"$id"/disksize
pages /tmp/a 16 hotadd
dd if=/tmp/a of=/dev/rzram"$id" bs=64k oflag=direct 2>/dev/null
check "the hot-added device works" same /dev/rzram"$id" /tmp/a

# --- hot_remove ------------------------------------------------------------------------------
# Of an initialised device holding data: a hot_remove that fails leaves it as it was.
held() {
	[ ! -e /sys/block/rzram1 ] || return 0
	read -r id <$ctl/hot_add
	echo 1M >/sys/block/rzram"$id"/disksize
	dd if=/tmp/a of=/dev/rzram"$id" bs=64k oflag=direct 2>/dev/null
}
hot_remove() { echo 1 >$ctl/hot_remove; }
removed() {
	if [ "$2" = 0 ]; then
		[ -e /sys/block/rzram1 ] || return 0
		echo "hot_remove with allocation $1 failing succeeded, but rzram1 is still there"
		return 1
	fi
	[ "$(cat /sys/block/rzram1/initstate)" = 1 ] && same /dev/rzram1 /tmp/a && return
	echo "hot_remove with allocation $1 failing: rzram1 lost its state or its data"
	return 1
}
sweep hot_remove held hot_remove removed

check_no_leak "$mem0" "$(mem_snapshot)" 16384
rmmod rzram
check "the module unloads" sh -c '! grep -q "^rzram " /proc/modules'
finish
