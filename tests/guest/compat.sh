#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rzram-vm: --clients --disk 64M --append kunit.enable=0
#
# rzram in zram's place (zram_names=1), driven by zram's real clients, unchanged: kmod's
# modprobe with the modprobe.d example, the kernel's zram selftests, util-linux's zramctl,
# systemd's zram-generator and zram-tools' zramswap (see scripts/clients.sh). Each is
# checked on its output and on the device's attributes afterwards.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

cat /opt/clients/versions
sys=/sys/block/zram0
ctl=/sys/class/zram-control

loaded() { grep -q "^$1 " /proc/modules; }
# entries <dir>: the names in a directory, sorted.
entries() { for f in "$1"/*; do echo "${f##*/}"; done | sort; }
# busybox sh runs its own applets before PATH; the clients run kmod's, and so does this.
modprobe() { /sbin/modprobe "$@"; }
mkswap() { /sbin/mkswap "$@"; }
swapon() { /sbin/swapon "$@"; }
swapoff() { /sbin/swapoff "$@"; }

# --- names --------------------------------------------------------------------------------

echo "== the C zram holds zram's names"
modprobe zram
check "modprobe zram loads the C zram (no modprobe.d entry yet)" loaded zram
entries $sys >/tmp/zram-attrs
entries $ctl >/tmp/zram-ctl
dmesg -c >/dev/null
if modprobe rzram zram_names=1 2>/tmp/err; then
	fail "rzram zram_names=1 loads beside zram"
else
	cat /tmp/err
	check "loading rzram zram_names=1 beside zram fails with EBUSY" \
		grep -q "Device or resource busy" /tmp/err
fi
dmesg | grep rzram || true
check "the kernel log says why" sh -c "dmesg | grep -q \
	\"rzram: zram_names=1: zram's names are taken (/sys/class/zram-control exists)\""
check "rzram is not loaded" sh -c '! grep -q "^rzram " /proc/modules'
check "zram0 still works" sh -c "echo 8M >$sys/disksize && test \$(cat $sys/disksize) = 8388608"
echo 1 >$sys/reset
modprobe rzram
check "native rzram loads beside zram" test -b /dev/rzram0 -a -d /sys/class/rzram-control
modprobe -r rzram zram
check "both unload" sh -c '! grep -q "^r\{0,1\}zram " /proc/modules'

echo "== modprobe zram loads rzram with the modprobe.d example"
cp /opt/clients/rzram-zram.conf /etc/modprobe.d/
modprobe zram
check "modprobe zram loads rzram" loaded rzram
check "and not the C zram" sh -c '! grep -q "^zram " /proc/modules'
check "/dev/zram0 is rzram's" test -b /dev/zram0 -a ! -e /dev/rzram0
check "the control class is zram-control" test -d $ctl -a ! -e /sys/class/rzram-control
entries $sys >/tmp/rzram-attrs
entries $ctl >/tmp/rzram-ctl
check_eq "zram0 has every attribute of zram's zram0" "" \
	"$(grep -vxF -f /tmp/rzram-attrs /tmp/zram-attrs || true)"
# blk-mq's mq/ (zram is bio-based) and rzram's inline_writeback: see the admin guide.
check_eq "and two more" "inline_writeback mq" \
	"$(grep -vxF -f /tmp/zram-attrs /tmp/rzram-attrs | tr '\n' ' ' | sed 's/ $//')"
check "zram-control has zram's attributes" cmp -s /tmp/zram-ctl /tmp/rzram-ctl
check_eq "hot_add creates zram1" 1 "$(cat $ctl/hot_add)"
check "/dev/zram1 exists" test -b /dev/zram1
echo 1 >$ctl/hot_remove
echo 16M >$sys/disksize
dmesg -c >/dev/null
write_fails "disksize of an initialised device is EBUSY" "Device or resource busy" $sys/disksize 8M
check "the kernel log names the disk zram0" sh -c \
	"dmesg | grep -q 'rzram: zram0: cannot change disksize for initialized device'"
echo 1 >$sys/reset
modprobe -r zram
check "modprobe -r zram unloads rzram" sh -c '! grep -q "^rzram " /proc/modules'
check "and zram's names are gone" test ! -e $ctl -a ! -e /dev/zram0

# --- the kernel's zram selftests ----------------------------------------------------------

echo "== tools/testing/selftests/zram"
# No module loaded: the first test loads one with "modprobe zram num_devices=1" (rzram
# through the modprobe.d example). Their "rmmod zram" fails quietly, since the module is
# rzram: it is unloaded below. zram01 fills ext4 on a 2 MiB device one KiB per dd; on a
# kernel with lockdep (the debug kernel) those 1900 processes take three minutes under the
# emulator, so that kernel runs zram02 alone, unmodified as well.
if [ -e /proc/lockdep ]; then
	(cd /opt/clients/selftests-zram && bash ./zram02.sh) >/tmp/selftests.log 2>&1 || true
	swapdev=zram0
else
	(cd /opt/clients/selftests-zram && bash ./zram.sh) >/tmp/selftests.log 2>&1 || true
	# zram02 finds zram-control and hot-adds its device.
	swapdev=zram1
fi
cat /tmp/selftests.log
check "the selftests print no FAIL line" sh -c '! grep FAIL /tmp/selftests.log'
if [ $swapdev = zram1 ]; then
	check "zram01 (ext4 on zram0, filled, compression ratio) passes" \
		grep -qx 'zram01 : \[PASS\]' /tmp/selftests.log
fi
check "zram02 (swap on $swapdev) passes" grep -qx 'zram02 : \[PASS\]' /tmp/selftests.log
check "zram02 used /dev/$swapdev" grep -qx "done with /dev/$swapdev" /tmp/selftests.log
check "the selftests left no device initialised" sh -c \
	"test ! -e /dev/zram1 && test \$(cat $sys/disksize) = 0"
modprobe -r zram

# --- zramctl ------------------------------------------------------------------------------

echo "== zramctl"
# fill_zram0: 1 MiB of zeros, 1 MiB of random bytes and 2 MiB of text past the swap header,
# then swap on it. The same bytes for both drivers, so that their outputs can be compared
# byte for byte: the random MiB is made once, and the swap header gets a fixed UUID (mkswap
# writes a random one, and the header page's compressed size varied with it).
head -c 1048576 /dev/urandom >/tmp/random.mib
fill_zram0() {
	dd if=/dev/zero of=/dev/zram0 bs=1M seek=1 count=1 2>/dev/null
	dd if=/tmp/random.mib of=/dev/zram0 bs=1M seek=2 count=1 2>/dev/null
	yes "rzram in zram's place" | dd of=/dev/zram0 bs=1M seek=3 count=2 iflag=fullblock 2>/dev/null
	sync
	mkswap -U 6c0e5f0a-2b1d-4e8f-9a3c-5d7b1e2f4a60 /dev/zram0 >/dev/null
	swapon /dev/zram0
}
# The same with the C zram first (the modprobe.d example set aside), for comparison.
mv /etc/modprobe.d/rzram-zram.conf /tmp/
modprobe zram
zramctl --find --size 256M --algorithm zstd >/dev/null
fill_zram0
zramctl >/tmp/zram-zramctl.out
zramctl --output-all --bytes --raw --noheadings >/tmp/zram-zramctl-raw.out
swapoff /dev/zram0
zramctl --reset /dev/zram0
modprobe -r zram
mv /tmp/rzram-zram.conf /etc/modprobe.d/

modprobe zram
check "modprobe zram loads rzram again" loaded rzram
check_eq "zramctl --find --size 256M --algorithm zstd prints the device" /dev/zram0 \
	"$(zramctl --find --size 256M --algorithm zstd)"
check_eq "disksize is 256M" 268435456 "$(cat $sys/disksize)"
check "the algorithm is zstd" grep -q '\[zstd\]' $sys/comp_algorithm
fill_zram0
zramctl | tee /tmp/zramctl.out
zramctl --output-all --bytes | tee /tmp/zramctl-all.out
zramctl --output-all --bytes --raw --noheadings | tee /tmp/zramctl-raw.out
mm=$(cat $sys/mm_stat)
echo "mm_stat: $mm"
# shellcheck disable=SC2086 # the fields of mm_stat
set -- $mm
check_eq "zramctl: NAME ALGORITHM DISKSIZE DATA ... MOUNTPOINT" \
	"/dev/zram0 zstd 256M 4M [SWAP]" \
	"$(awk 'NR == 2 { print $1, $2, $3, $4, $NF }' /tmp/zramctl.out)"
check_eq "zramctl --output-all --bytes: the header" \
	"NAME DISKSIZE DATA COMPR ALGORITHM STREAMS ZERO-PAGES TOTAL MEM-LIMIT MEM-USED MIGRATED MOUNTPOINT" \
	"$(head -n1 /tmp/zramctl-all.out | tr -s ' ' | sed 's/ $//')"
# DATA: the 4 MiB and the swap header's page; ZERO-PAGES: the MiB of zeros.
check_eq "zramctl --output-all --bytes: the values (STREAMS is empty, as with zram)" \
	"/dev/zram0 268435456 4198400 $2 zstd 256 $3 0 $5 $7 [SWAP]" \
	"$(tr -s ' \n' '  ' </tmp/zramctl-all.out | cut -d' ' -f13- | sed 's/ $//')"
check_eq "the raw output agrees" \
	"/dev/zram0 268435456 4198400 $2 zstd  256 $3 0 $5 $7 [SWAP]" "$(cat /tmp/zramctl-raw.out)"
check_eq "mm_stat: 4198400 bytes stored, 256 same-filled pages, 256 huge" \
	"4198400 256 256" "$1 $6 $8"
echo "with the C zram:"
cat /tmp/zram-zramctl.out /tmp/zram-zramctl-raw.out
check_eq "zramctl shows what it shows for the C zram" "$(cat /tmp/zram-zramctl.out)" \
	"$(cat /tmp/zramctl.out)"
check_eq "zramctl --output-all --bytes --raw too, byte for byte" \
	"$(cat /tmp/zram-zramctl-raw.out)" "$(cat /tmp/zramctl-raw.out)"
swapoff /dev/zram0
check "zramctl --reset /dev/zram0 succeeds" zramctl --reset /dev/zram0
# zramctl resets the device, then removes it through hot_remove, as with zram.
check "the device is gone" test ! -e $sys -a ! -e /dev/zram0
check_eq "zramctl lists no device" "" "$(zramctl)"
modprobe -r zram

# --- zram-generator -----------------------------------------------------------------------

echo "== zram-generator"
cat >/etc/systemd/zram-generator.conf <<EOF
[zram0]
zram-size = 96
compression-algorithm = zstd
swap-priority = 77
writeback-device = /dev/vda
EOF
gen=/lib/systemd/system-generators/zram-generator
mkdir -p /tmp/gen
# As systemd runs it at boot: it loads the module and writes the units.
check "zram-generator <dir> succeeds" $gen /tmp/gen
check "it loaded rzram through modprobe zram" loaded rzram
check "/dev/zram0 exists" test -b /dev/zram0
unit=/tmp/gen/dev-zram0.swap
bindings=/tmp/gen/systemd-zram-setup@zram0.service.d/bindings.conf
cat $unit $bindings
check "the swap unit is for /dev/zram0" grep -qx 'What=/dev/zram0' $unit
check "with swap-priority" grep -qx 'Priority=77' $unit
check "the setup waits for the writeback device" grep -qx 'After=dev-vda.device' $bindings
# What systemd-zram-setup@zram0.service runs, then what dev-zram0.swap does.
$gen --setup-device zram0 >/tmp/gen.out 2>&1 || true
cat /tmp/gen.out
check "zram-generator --setup-device zram0 formats it as swap" \
	grep -q '^/dev/zram0 successfully formatted as swap (label "zram0"' /tmp/gen.out
check_eq "zram-size = 96: disksize is 96 MiB" 100663296 "$(cat $sys/disksize)"
check "compression-algorithm = zstd" grep -q '\[zstd\]' $sys/comp_algorithm
check_eq "writeback-device = /dev/vda" /dev/vda "$(cat $sys/backing_dev)"
check "swapon -p 77 (the unit's Priority) works" swapon -p 77 /dev/zram0
check_eq "zram0 is swap with priority 77" "partition 77" \
	"$(awk '$1 == "/dev/zram0" { print $2, $5 }' /proc/swaps)"
# A process larger than its memory cgroup swaps to zram0 and reads its pages back.
out=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
check "swap on zram0 holds and returns data" limited 8 memhog 16
out=$(($(awk '$1 == "pswpout" { print $2 }' /proc/vmstat) - out))
echo "pages swapped out: $out"
check "at least 4 MiB went to zram0 (pswpout)" test "$out" -ge 1024
swapoff /dev/zram0
check "zram-generator --reset-device zram0 succeeds" $gen --reset-device zram0
check_eq "the device is reset" "0 none" "$(cat $sys/disksize) $(cat $sys/backing_dev)"
modprobe -r zram
check "rzram unloads" sh -c '! grep -q "^rzram " /proc/modules'

# --- zramswap -----------------------------------------------------------------------------

echo "== zramswap"
cat >/etc/default/zramswap <<EOF
ALGO=zstd
SIZE=48
PRIORITY=55
EOF
check "zramswap start succeeds" zramswap start
check "it loaded rzram through modprobe zram" loaded rzram
check_eq "zram0 is swap with priority 55" "partition 55" \
	"$(awk '$1 == "/dev/zram0" { print $2, $5 }' /proc/swaps)"
check_eq "SIZE=48: disksize is 48 MiB" 50331648 "$(cat $sys/disksize)"
check "ALGO=zstd" grep -q '\[zstd\]' $sys/comp_algorithm
zramswap status >/tmp/status.out 2>&1 || true
cat /tmp/status.out
check_eq "zramswap status shows it through zramctl" "/dev/zram0 zstd 48M [SWAP]" \
	"$(awk 'NR == 2 { print $1, $2, $3, $NF }' /tmp/status.out)"
check "zramswap stop succeeds" zramswap stop
check "it unloaded rzram through modprobe -r zram" sh -c '! grep -q "^rzram " /proc/modules'
check "zram's names are gone" test ! -e $ctl -a ! -e /dev/zram0

finish
