#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages of `make deb`, installed: test.sh unpacks linux-image-<kver> and
# rzram-modules-<kver> into a root tree, runs the module package's postinst (depmod) on it,
# and boots the kernel image of the package with that tree as the guest's modules (and
# nothing from the build directory). Here kmod's modprobe must find rzram.ko in updates/
# through the modules.dep that depmod wrote, load it, and the device must keep data.
#
# Arguments (from test.sh): <kernel version> <UTS version of the packaged image>
# <rzram package version>.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

kver=$1
uts=$2
pkgver=$3
doc=/usr/share/doc/rzram-modules-$kver

# kmod's tools (copied in by test.sh as /usr/bin/kmod), not busybox's applets, which
# busybox's sh runs before anything in PATH: hence functions, and links that give kmod
# the name of the tool.
mkdir -p /tmp/kmod
for tool in modprobe modinfo lsmod; do
	ln -s /usr/bin/kmod /tmp/kmod/$tool
done
modprobe() { /tmp/kmod/modprobe "$@"; }
modinfo() { /tmp/kmod/modinfo "$@"; }
lsmod() { /tmp/kmod/lsmod; }

# last_insmod <modprobe --show-depends output>: its last line (the module itself), and
# "other" if any earlier line loads something that is not a module of the kernel package.
last_insmod() {
	printf '%s\n' "$1" | sed 's/ *$//' | awk -v k="/lib/modules/$kver/kernel/" '
		{ last = $0 }
		NR > 1 && (prev !~ /^insmod / || index(prev, k) != 8) { other = 1 }
		{ prev = $0 }
		END { print last (other ? " (and other)" : "") }'
}

check_eq "the guest runs the packaged kernel: uname -r" "$kver" "$(uname -r)"
check_eq "the guest runs the packaged kernel image: uname -v is the image's" "$uts" "$(uname -v)"
check_eq "modprobe is kmod's" "kmod version" "$(modprobe --version | head -n1 | cut -d' ' -f1,2)"
check "rzram.ko is where the package put it, and in no other place" \
	test "$(find /lib/modules -name 'rzram.ko*')" = "/lib/modules/$kver/updates/rzram.ko"
check_eq "modules.dep (from the postinst's depmod) lists rzram.ko in updates/" \
	"updates/rzram.ko" "$(sed -n 's/^\(updates\/rzram\.ko\):.*/\1/p' "/lib/modules/$kver/modules.dep")"
deps=$(modprobe --show-depends rzram 2>&1) || true
echo "$deps"
check_eq "modprobe resolves rzram to the package's file, after modules of the kernel package" \
	"insmod /lib/modules/$kver/updates/rzram.ko" "$(last_insmod "$deps")"
check_eq "modinfo: rzram.ko's vermagic is the running kernel's" "$kver" \
	"$(modinfo -F vermagic rzram | awk '{ print $1 }')"
check "the documentation is installed" \
	test -s "$doc/rzram.rst" -a -s "$doc/ABI/sysfs-block-rzram" -a -s "$doc/ABI/sysfs-class-rzram"
echo "rzram-modules-$kver $pkgver: $(cd "$doc" && find . -type f | sort | tr '\n' ' ')"

check "rzram is not loaded before modprobe" test ! -e /sys/module/rzram
check "modprobe rzram num_devices=2" modprobe rzram num_devices=2
check_eq "the module is loaded (lsmod)" rzram "$(lsmod | awk '$1 == "rzram" { print $1 }')"
check "num_devices=2 gave rzram0 and rzram1" test -b /dev/rzram0 -a -b /dev/rzram1

# A device, written and read back after the page cache is dropped.
sys=/sys/block/rzram0
echo zstd >$sys/comp_algorithm
echo 16M >$sys/disksize
check_eq "disksize reads back" 16777216 "$(cat $sys/disksize)"
dd if=/dev/urandom of=/tmp/data bs=1M count=4 2>/dev/null
yes 'rzram from a Debian package, 0123456789' | head -c 4194304 >>/tmp/data
dd if=/tmp/data of=/dev/rzram0 bs=1M oflag=direct 2>/dev/null
flush /dev/rzram0
dd if=/dev/rzram0 of=/tmp/back bs=1M count=8 iflag=direct 2>/dev/null
check "8 MiB written to rzram0 read back the same" cmp -s /tmp/data /tmp/back
check_eq "mm_stat: orig_data_size is the 8 MiB written" 8388608 "$(field 1 $sys/mm_stat)"
compr=$(field 2 $sys/mm_stat)
check "mm_stat: the text compressed (compr_data_size $compr, under 4.5 MiB)" \
	test "$compr" -gt 0 -a "$compr" -lt 4718592
echo 1 >$sys/reset
check "modprobe -r rzram" modprobe -r rzram
check "rzram is unloaded" test ! -e /sys/module/rzram

# The zram-compatible modprobe.d example, when the package has one.
if [ -f "$doc/examples/rzram-zram.conf" ]; then
	mkdir -p /etc/modprobe.d
	cp "$doc/examples/rzram-zram.conf" /etc/modprobe.d/
	check_eq "with the package's modprobe.d example, modprobe zram means rzram zram_names=1" \
		"insmod /lib/modules/$kver/updates/rzram.ko zram_names=1" \
		"$(last_insmod "$(modprobe --show-depends zram)")"
	rm /etc/modprobe.d/rzram-zram.conf
else
	echo "no modprobe.d example in this package"
fi
finish
