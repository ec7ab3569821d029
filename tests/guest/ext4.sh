#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ext4 on rzram: files written, checksummed, and verified across umount/mount.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

dev=/dev/rzram0
modprobe rzram
echo 128M >/sys/block/rzram0/disksize
check "mkfs.ext4 succeeds" mkfs.ext4 -q $dev
mkdir -p /mnt
mount -t ext4 $dev /mnt
dd if=/dev/urandom of=/mnt/random bs=1M count=16 2>/dev/null
yes 'a line of text that compresses well' | head -c 16777216 >/mnt/text
dd if=/dev/zero of=/mnt/zeros bs=1M count=8 2>/dev/null
mkdir /mnt/dir
i=0
while [ $i -lt 200 ]; do
	echo "file $i $(date +%s%N)" >/mnt/dir/f$i
	i=$((i + 1))
done
(cd /mnt && find . -type f | sort | xargs md5sum) >/tmp/sums
umount /mnt
flush $dev
mount -t ext4 $dev /mnt
check "every file checksum matches after umount and mount" sh -c 'cd /mnt && md5sum -c -s /tmp/sums'
rm /mnt/random
umount /mnt
check "fsck finds a clean filesystem" sh -c "command -v e2fsck >/dev/null || exit 0; e2fsck -fn $dev >/dev/null"
echo "mm_stat: $(cat /sys/block/rzram0/mm_stat)"
finish
