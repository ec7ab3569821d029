#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rzram-vm: --disk 64M --disk 160M
#
# The backing store: backing_dev attached before and after disksize, to a block device
# (/dev/vda) and to a regular file on ext4 (/dev/vdb), with every error code; writeback
# with zram's interface and budget; reads, rewrites and discards of written-back pages;
# idle by age; compressed writeback; inline writeback of huge pages; a failing store; detach
# and reset.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

modprobe rzram num_devices=3
z=/sys/block/rzram0
P=$((4096 / 4096)) # bd_stat units per page (4 KiB pages here)

# bd <field>: one field of rzram0's bd_stat (1 count, 2 reads, 3 writes).
bd() { field "$1" $z/bd_stat; }

# mixed <file> <pages>: a file of pages of text, random data and zeros, so that writeback
# meets compressed, huge and same-filled pages.
mixed() {
	: >"$1"
	i=0
	while [ $i -lt "$2" ]; do
		case $((i % 4)) in
		0 | 1) yes "page $i of the writeback test" | head -c 4096 >>"$1" ;;
		2) head -c 4096 /dev/urandom >>"$1" ;;
		3) head -c 4096 /dev/zero >>"$1" ;;
		esac
		i=$((i + 1))
	done
}

# readback <dev> <file> <what>: the device's first bytes equal the file, read with O_DIRECT.
readback() {
	n=$(($(stat -c %s "$2") / 4096))
	flush "$1"
	dd if="$1" of=/tmp/back bs=4096 count="$n" iflag=direct 2>/dev/null
	check "$3" cmp -s "$2" /tmp/back
}

# verifier <file> <offset in 64 KiB blocks>: writes the file (1 MiB) to rzram0 at the offset
# and reads it back, until /tmp/stop exists; writes "ok rounds N", or FAIL, to /tmp/io.out.
verifier() {
	n=0
	while [ ! -e /tmp/stop ]; do
		dd if="$1" of=/dev/rzram0 bs=64k seek="$2" oflag=direct 2>/dev/null
		dd if=/dev/rzram0 of=/tmp/back.io bs=64k skip="$2" count=16 iflag=direct 2>/dev/null
		cmp -s "$1" /tmp/back.io || { echo "FAIL round $n" >/tmp/io.out; return 1; }
		n=$((n + 1))
	done
	echo "ok rounds $n" >/tmp/io.out
}

# --- the attributes -------------------------------------------------------------------
for a in backing_dev:644 writeback:200 bd_stat:444 writeback_limit:644 \
	writeback_limit_enable:644 writeback_batch_size:644 compressed_writeback:644 \
	inline_writeback:644; do
	check_eq "${a%%:*} has mode ${a##*:}" "${a##*:}" "$(stat -c %a $z/"${a%%:*}")"
done
check_eq "backing_dev shows none" none "$(cat $z/backing_dev)"
check_eq "bd_stat starts at zero" "       0        0        0" "$(cat $z/bd_stat)"
check_eq "writeback_batch_size defaults to 32" 32 "$(cat $z/writeback_batch_size)"
check_eq "writeback_limit_enable defaults to 0" 0 "$(cat $z/writeback_limit_enable)"
check_eq "inline_writeback defaults to 0" 0 "$(cat $z/inline_writeback)"

# --- attach errors ----------------------------------------------------------------------
write_fails "a character device is ENOTBLK" "Block device required" $z/backing_dev /dev/null
write_fails "a directory is ENOTBLK" "Block device required" $z/backing_dev /tmp
write_fails "a missing path is ENOENT" "No such file" $z/backing_dev /dev/nothing
write_fails "the device itself is EINVAL" "Invalid argument" $z/backing_dev /dev/rzram0
write_fails "another rzram device is EINVAL" "Invalid argument" $z/backing_dev /dev/rzram1
mkfs.ext4 -q /dev/vdb
mkdir -p /mnt
mount /dev/vdb /mnt
write_fails "a mounted disk is EBUSY" "busy" $z/backing_dev /dev/vdb
write_fails "writeback before disksize is EINVAL" "Invalid argument" $z/writeback idle
write_fails "writeback_batch_size 0 is EINVAL" "Invalid argument" $z/writeback_batch_size 0
write_fails "writeback_limit must be a number" "Invalid argument" $z/writeback_limit x
write_fails "compressed_writeback must be a boolean" "Invalid argument" $z/compressed_writeback x
check_eq "nothing was attached" none "$(cat $z/backing_dev)"

# --- attach before disksize, EEXIST, detach -------------------------------------------
check "attach /dev/vda before disksize" sh -c "echo /dev/vda >$z/backing_dev"
check_eq "backing_dev shows the path" /dev/vda "$(cat $z/backing_dev)"
write_fails "a second attach is EEXIST" "File exists" $z/backing_dev /dev/vda
write_fails "a held disk is EBUSY for another device" "busy" /sys/block/rzram1/backing_dev /dev/vda
check "detach before disksize" sh -c "echo none >$z/backing_dev"
check_eq "backing_dev shows none again" none "$(cat $z/backing_dev)"
check "attach again" sh -c "echo /dev/vda >$z/backing_dev"
echo 32M >$z/disksize
check_eq "the store stays attached across disksize" /dev/vda "$(cat $z/backing_dev)"
write_fails "compressed_writeback after disksize is EBUSY" "busy" $z/compressed_writeback 1

# --- writeback, read back, rewrite, discard ----------------------------------------------
mixed /tmp/data 256
dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
mm0=$(field 2 $z/mm_stat)
echo all >$z/idle
check "writeback idle" sh -c "echo idle >$z/writeback"
# 64 of the 256 pages are zeros (same-filled): never written back.
check_eq "bd_stat counts the 192 pages written back" "$((192 * P)) 0 $((192 * P))" "$(bd 1) $(bd 2) $(bd 3)"
check "compr_data_size fell (was $mm0)" test "$(field 2 $z/mm_stat)" -lt "$mm0"
check_eq "orig_data_size still counts them, as zram" $((256 * 4096)) "$(field 1 $z/mm_stat)"
readback /dev/rzram0 /tmp/data "written-back pages read back exact"
check_eq "the reads came from the store" "$((192 * P))" "$(bd 2)"
check_eq "a second writeback finds nothing" "$((192 * P))" "$(sh -c "echo idle >$z/writeback" && bd 1)"
write_fails "detach with pages on the store is EBUSY" "busy" $z/backing_dev none
dd if=/dev/urandom of=/tmp/new bs=4096 count=8 2>/dev/null
dd if=/tmp/new of=/dev/rzram0 bs=4096 count=8 oflag=direct conv=notrunc 2>/dev/null
# Pages 0-7: four text (2 per 4) + two random written back, two zero pages not: 6 blocks.
check_eq "a rewrite frees the blocks" "$((186 * P))" "$(bd 1)"
dd if=/tmp/data of=/tmp/expect bs=4096 count=256 2>/dev/null
dd if=/tmp/new of=/tmp/expect bs=4096 count=8 conv=notrunc 2>/dev/null
readback /dev/rzram0 /tmp/expect "the rewritten pages win, the rest is unchanged"
blkdiscard -o 0 -l $((128 * 4096)) /dev/rzram0
check_eq "a discard frees the blocks" "$((96 * P))" "$(bd 1)"
blkdiscard /dev/rzram0
check_eq "no block left in use" 0 "$(bd 1)"
check "detach once the store is empty" sh -c "echo none >$z/backing_dev"
write_fails "writeback without a store is ENODEV" "No such device" $z/writeback huge

# --- writeback syntax -------------------------------------------------------------------
echo /dev/vda >$z/backing_dev
dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
write_fails "an unknown mode is EINVAL" "Invalid argument" $z/writeback sometimes
write_fails "type= with an unknown mode is EINVAL" "Invalid argument" $z/writeback type=x
write_fails "page_index past the end is ERANGE" "out of range" $z/writeback page_index=8192
write_fails "page_indexes backwards is ERANGE" "out of range" $z/writeback page_indexes=9-3
write_fails "page_indexes without a dash is EINVAL" "Invalid argument" $z/writeback page_indexes=9
check "page_index=0 writes back page 0" sh -c "echo page_index=0 >$z/writeback"
check_eq "one block in use" "$P" "$(bd 1)"
check "several page_indexes in one write" sh -c "echo 'page_indexes=4-5 page_index=8' >$z/writeback"
check_eq "pages 4, 5 and 8 written back" "$((4 * P))" "$(bd 1)"
check "type=huge writes back only the random pages" sh -c "echo type=huge >$z/writeback"
check_eq "and the 64 huge pages" "$((68 * P))" "$(bd 1)"
readback /dev/rzram0 /tmp/data "the data is exact after each form"
blkdiscard /dev/rzram0

# --- writeback_limit ----------------------------------------------------------------------
dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
echo all >$z/idle
echo 1 >$z/writeback_limit_enable
echo $((10 * P)) >$z/writeback_limit
write_fails "writeback stops with EIO when the budget is spent" "Input/output error" $z/writeback idle
check_eq "exactly 10 pages were written" "$((10 * P))" "$(bd 1)"
check_eq "the budget is spent" 0 "$(cat $z/writeback_limit)"
echo $((20 * P)) >$z/writeback_limit
write_fails "raising the budget resumes writeback, then stops again" "Input/output error" $z/writeback idle
check_eq "30 pages in all" "$((30 * P))" "$(bd 1)"
echo 0 >$z/writeback_limit_enable
check "without the limit, writeback finishes" sh -c "echo idle >$z/writeback"
check_eq "all 192 pages" "$((192 * P))" "$(bd 1)"
readback /dev/rzram0 /tmp/data "the data is exact after limited writebacks"
blkdiscard /dev/rzram0

# --- writeback_batch_size ---------------------------------------------------------------
for size in 1 7 256; do
	dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
	echo $size >$z/writeback_batch_size
	check_eq "writeback_batch_size $size is shown" $size "$(cat $z/writeback_batch_size)"
	echo all >$z/idle
	echo idle >$z/writeback
	check_eq "batches of $size write back the 192 pages" "$((192 * P))" "$(bd 1)"
	readback /dev/rzram0 /tmp/data "the data is exact after batches of $size"
	blkdiscard /dev/rzram0
done
echo 32 >$z/writeback_batch_size

# --- idle by age ----------------------------------------------------------------------------
dd if=/tmp/data of=/dev/rzram0 bs=4096 count=128 oflag=direct 2>/dev/null
sleep 5
dd if=/tmp/data of=/dev/rzram0 bs=4096 skip=128 seek=128 count=128 oflag=direct 2>/dev/null
echo 3 >$z/idle
echo idle >$z/writeback
check_eq "idle 3 selects the 96 old pages only" "$((96 * P))" "$(bd 1)"
check "an age beyond the uptime marks nothing and succeeds" sh -c "echo 4000000000 >$z/idle"
write_fails "a negative age is EINVAL" "Invalid argument" $z/idle -1
readback /dev/rzram0 /tmp/data "the data is exact after writeback by age"

# --- attach after disksize while I/O runs, writeback while it runs --------------------------
echo 1 >$z/reset
check_eq "reset detaches the store" none "$(cat $z/backing_dev)"
check_eq "reset restarts bd_stat" "       0        0        0" "$(cat $z/bd_stat)"
echo 32M >$z/disksize
dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
rm -f /tmp/stop /tmp/io.out
verifier /tmp/data 32 &
sleep 1
check "attach after disksize while I/O runs" sh -c "echo /dev/vda >$z/backing_dev"
i=0
while [ $i -lt 5 ]; do
	echo all >$z/idle
	echo idle >$z/writeback || true
	i=$((i + 1))
done
touch /tmp/stop
wait
check "the verifying writer and reader saw exact data" grep -q '^ok rounds' /tmp/io.out
readback /dev/rzram0 /tmp/data "the first region is exact after concurrent writeback"
check "pages reached the store meanwhile" test "$(bd 3)" -gt 0
echo 1 >$z/reset

# --- compressed writeback ---------------------------------------------------------------------
echo 1 >$z/compressed_writeback
echo /dev/vda >$z/backing_dev
echo 32M >$z/disksize
check_eq "compressed_writeback shows 1" 1 "$(cat $z/compressed_writeback)"
dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
echo all >$z/idle
echo idle >$z/writeback
check_eq "compressed writeback writes 192 pages" "$((192 * P))" "$(bd 1)"
readback /dev/rzram0 /tmp/data "compressed written-back pages read back exact"
echo 1 >$z/reset
check_eq "reset clears compressed_writeback" 0 "$(cat $z/compressed_writeback)"

# --- a regular file as the store ---------------------------------------------------------------
dd if=/dev/zero of=/mnt/store bs=1M count=16 2>/dev/null
echo 32M >$z/disksize
check "attach a file on ext4 after disksize" sh -c "echo /mnt/store >$z/backing_dev"
check_eq "backing_dev shows the file" /mnt/store "$(cat $z/backing_dev)"
write_fails "the same file for another device is EBUSY" "busy" /sys/block/rzram1/backing_dev /mnt/store
dd if=/tmp/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
echo all >$z/idle
echo idle >$z/writeback
check_eq "pages written back to the file" "$((192 * P))" "$(bd 1)"
sync
echo 3 >/proc/sys/vm/drop_caches
readback /dev/rzram0 /tmp/data "pages read back exact from the file"
dd if=/dev/zero of=/mnt/swapfile bs=1M count=4 2>/dev/null
chmod 600 /mnt/swapfile
mkswap /mnt/swapfile >/dev/null
swapon /mnt/swapfile
write_fails "an active swap file is EBUSY" "busy" /sys/block/rzram1/backing_dev /mnt/swapfile
swapoff /mnt/swapfile
echo 1 >$z/reset
check "the file is free again after reset" sh -c "echo /mnt/store >/sys/block/rzram1/backing_dev && echo none >/sys/block/rzram1/backing_dev"

# --- inline writeback of huge pages ------------------------------------------------------------
echo /dev/vda >$z/backing_dev
echo 1 >$z/inline_writeback
echo 32M >$z/disksize
head -c $((256 * 4096)) /dev/urandom >/tmp/random
dd if=/tmp/random of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
check_eq "incompressible pages went straight to the store" "$((256 * P))" "$(bd 1)"
check "the pool holds almost nothing (mem_used_total $(field 3 $z/mm_stat))" \
	test "$(field 3 $z/mm_stat)" -lt $((64 * 4096))
readback /dev/rzram0 /tmp/random "inline-written pages read back exact"
echo 0 >$z/inline_writeback
dd if=/tmp/random of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null
check_eq "with the option off, rewrites stay in memory and free the blocks" 0 "$(bd 1)"
echo 1 >$z/reset

# Inline writeback to a store attached after init while a verifying writer runs.
echo 1 >$z/inline_writeback
echo 32M >$z/disksize
rm -f /tmp/stop /tmp/io.out
verifier /tmp/random 0 &
sleep 1
check "attach while the writer runs, inline_writeback on" sh -c "echo /dev/vda >$z/backing_dev"
sleep 2
touch /tmp/stop
wait
check "the writer saw exact data across the attach" grep -q '^ok rounds' /tmp/io.out
check "huge pages went to the store once it was attached" test "$(bd 3)" -gt 0
readback /dev/rzram0 /tmp/random "the pages read back exact after the attach"
echo 1 >$z/reset

# --- a failing store ---------------------------------------------------------------------------
echo /dev/vda >$z/backing_dev
echo 32M >$z/disksize
dd if=/tmp/data of=/dev/rzram0 bs=4096 oflag=direct 2>/dev/null
echo page_indexes=0-1 >$z/writeback
failed0=$(field 1 $z/io_stat)
fmr=/sys/kernel/debug/fail_make_request
# Quietly: a stack trace per injected failure would read as a kernel report.
echo 0 >$fmr/verbose
echo 100 >$fmr/probability
echo 1 >/sys/block/vda/make-it-fail
echo -1 >$fmr/times
check "a written-back page gives an I/O error" sh -c '! dd if=/dev/rzram0 of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null'
check "io_stat counts the failed read" test "$(field 1 $z/io_stat)" -gt "$failed0"
dd if=/dev/rzram0 of=/tmp/back bs=4096 skip=2 count=254 iflag=direct 2>/dev/null
dd if=/tmp/data of=/tmp/expect bs=4096 skip=2 count=254 2>/dev/null
check "the other pages read back exact" cmp -s /tmp/expect /tmp/back
write_fails "writeback to the failing store fails" "Input/output error" $z/writeback page_index=8
head -c 8192 /tmp/new >/tmp/new2
dd if=/tmp/new2 of=/dev/rzram0 bs=4096 count=2 oflag=direct conv=notrunc 2>/dev/null
dd if=/dev/rzram0 of=/tmp/back bs=4096 count=2 iflag=direct 2>/dev/null
check "the failed pages can be written again" cmp -s /tmp/back /tmp/new2
echo 0 >/sys/block/vda/make-it-fail
check_eq "no block left in use" 0 "$(bd 1)"
echo 1 >$z/reset

umount /mnt
rmmod rzram
check "the module unloads" sh -c '! grep -q "^rzram " /proc/modules'
finish
