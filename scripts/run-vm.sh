#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a guest shell script in QEMU against a kernel built by build-kernel.sh,
# from a busybox initramfs holding the kernel's modules, extra modules (.ko),
# mke2fs and the C helpers of tests/guest (memhog, iobench). Exits with the guest
# script's exit status.
#
# Usage: run-vm.sh [--kernel <build dir>] [--module <file.ko>]... [--mem 512M]
#                  [--smp 2] [--timeout SECONDS] [--log FILE] [--disk SIZE]...
#                  [--bin FILE]... <guest script> [args...]
#
# Each --disk adds an empty, sparse virtio disk of SIZE (as for truncate(1)),
# seen in the guest as /dev/vda, /dev/vdb, ... in order.
# Each --bin copies a host program into the guest's /usr/bin, with the shared libraries
# ldd(1) lists for it, for this run only (the cached initramfs does not change).
#
# Exit status: the guest script's status; 1 if the guest did not report one
# (boot failure, panic, crash) or on a setup error; 2 on usage errors; 3 if the
# console shows kernel reports (BUG, WARNING, KASAN, lockdep, ...), even when
# the guest script passed; 124 on timeout.
#
# Environment: RZRAM_CACHE (default ~/.cache/rzram), RZRAM_KVM=1 to try KVM
# (default TCG), RZRAM_KERNEL_ARGS (extra kernel command line),
# RZRAM_REPORT_IGNORE (extended regex of console lines not to count as reports).
set -euo pipefail

log() { printf 'run-vm: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() {
	sed -n '/^# Usage:/,/^# *\[--smp/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
RZRAM_CACHE=${RZRAM_CACHE:-$HOME/.cache/rzram}
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}

build=
modules=()
mem=512M
smp=2
timeout=900
logfile=
disks=()
bins=()
while (($#)); do
	case "$1" in
	--kernel) build=${2:?--kernel needs a build dir}; shift 2 ;;
	--module) modules+=("${2:?--module needs a .ko}"); shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--log) logfile=${2:?}; shift 2 ;;
	--disk) disks+=("${2:?--disk needs a size}"); shift 2 ;;
	--bin) bins+=("${2:?--bin needs a program}"); shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) log "unknown option $1"; usage ;;
	*) break ;;
	esac
done
(($#)) || usage
guest_script=$1
shift
[[ -f "$guest_script" ]] || die "no guest script $guest_script"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "bad --timeout $timeout"

if [[ -z "$build" ]]; then
	build=$("$here/build-kernel.sh" base | tail -n1)
fi
build=$(cd "$build" && pwd)
bzimage="$build/arch/x86/boot/bzImage"
[[ -f "$bzimage" ]] || die "no bzImage in $build (run scripts/build-kernel.sh)"
kver=$(cat "$build/include/config/kernel.release")
for m in "${modules[@]}"; do
	[[ -f "$m" && "$m" == *.ko ]] || die "--module $m is not a .ko file"
done
for b in "${bins[@]}"; do
	[[ -f "$b" && -x "$b" ]] || die "--bin $b is not an executable file"
done

mkdir -p "$RZRAM_CACHE/initramfs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rzram-vm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkcpio() { # <dir> <out.cpio.gz>
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2"
}

# --- base initramfs (cached) ---------------------------------------------------

# The guest's C helpers (memhog, iobench), built statically into /bin.
helpers=("$repo"/tests/guest/*.c)
stamp_file="$build/.rzram-build-stamp"
key=$({
	echo "$build $kver"
	if [[ -f "$stamp_file" ]]; then
		cat "$stamp_file"
		stat -c %Y "$stamp_file"
	else
		stat -c %Y "$bzimage"
	fi
	for m in "${modules[@]}"; do sha256sum <"$m"; done
	sha256sum <"${BASH_SOURCE[0]}"
	cat "${helpers[@]}" | sha256sum
} | sha256sum | cut -c1-16)
base="$RZRAM_CACHE/initramfs/base-$key.cpio.gz"

if [[ ! -f "$base" ]]; then
	log "building initramfs for $kver ($base)"
	root="$tmp/root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,guest,lib/modules}
	busybox=$(command -v busybox) || die "busybox not found (install busybox-static)"
	cp "$busybox" "$root/bin/busybox"
	while read -r applet; do
		[[ "${applet##*/}" == busybox ]] && continue
		mkdir -p "$root/$(dirname "$applet")"
		ln -sf /bin/busybox "$root/$applet"
	done < <("$root/bin/busybox" --list-full)

	make -s -C "$build" LLVM=-19 INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 \
		modules_install >&2 || die "modules_install failed"
	if ((${#modules[@]})); then
		mkdir -p "$root/lib/modules/$kver/extra"
		cp "${modules[@]}" "$root/lib/modules/$kver/extra/"
	fi
	depmod -b "$root" "$kver" || die "depmod failed"

	# The real mke2fs (busybox's cannot make ext4), with its libraries.
	mke2fs=$(PATH="/usr/sbin:/sbin:$PATH" command -v mke2fs) || die "mke2fs not found (install e2fsprogs)"
	rm -f "$root/sbin/mke2fs" "$root/sbin/mkfs.ext4"
	cp "$mke2fs" "$root/sbin/mke2fs"
	ln -s mke2fs "$root/sbin/mkfs.ext4"
	[[ -f /etc/mke2fs.conf ]] && cp /etc/mke2fs.conf "$root/etc/"
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$mke2fs" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')

	for src in "${helpers[@]}"; do
		name=$(basename "$src" .c)
		gcc -static -O2 -Wall -Wextra -o "$root/bin/$name" "$src" || die "cannot build $name"
	done

	cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
export HOME=/root TMPDIR=/tmp
cd /
. /guest/args
sh /guest/run.sh "$@"
rc=$?
echo "RZRAM-GUEST-EXIT=$rc"
sync
reboot -f
while :; do sleep 1; done
INIT
	chmod 755 "$root/init"
	mkcpio "$root" "$base.tmp.$$"
	mv "$base.tmp.$$" "$base"
	find "$RZRAM_CACHE/initramfs" -name 'base-*.cpio.gz' -mtime +7 -delete
	rm -rf "$root"
else
	log "using cached initramfs $base"
fi

# --- per-run part: the guest script and its arguments ---------------------------

run="$tmp/run"
mkdir -p "$run/guest"
cp "$guest_script" "$run/guest/run.sh"
if [[ -d "$repo/tests/guest/lib" ]]; then
	cp -r "$repo/tests/guest/lib" "$run/guest/lib"
fi
for b in "${bins[@]}"; do
	mkdir -p "$run/usr/bin"
	cp -L "$b" "$run/usr/bin/"
	while read -r lib; do
		mkdir -p "$run$(dirname "$lib")"
		cp -L "$lib" "$run$lib"
	done < <(ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
done
{
	printf 'set --'
	for a in "$@"; do
		printf " '%s'" "${a//\'/\'\\\'\'}"
	done
	printf '\n'
} >"$run/guest/args"
mkcpio "$run" "$tmp/run.cpio.gz"
cat "$base" "$tmp/run.cpio.gz" >"$tmp/initrd.cpio.gz"

# --- QEMU ------------------------------------------------------------------------

accel=(-accel tcg -cpu max)
if [[ "${RZRAM_KVM:-0}" == 1 ]]; then
	if [[ -r /dev/kvm && -w /dev/kvm ]] &&
		(echo quit | timeout 20 qemu-system-x86_64 -accel kvm -cpu host -M pc -nodefaults \
			-display none -S -monitor stdio) >/dev/null 2>&1; then
		accel=(-accel kvm -cpu host)
	else
		log "KVM is not usable here, falling back to TCG"
	fi
fi

if [[ -z "$logfile" ]]; then
	logfile=$(mktemp "${TMPDIR:-/tmp}/rzram-vm-XXXXXX.log")
fi
: >"$logfile"
log "kernel $kver ($build), ${accel[1]}, -m $mem -smp $smp, timeout ${timeout}s, console log $logfile"

drives=()
for i in "${!disks[@]}"; do
	truncate -s "${disks[$i]}" "$tmp/disk$i.img" || die "bad --disk size ${disks[$i]}"
	drives+=(-drive "file=$tmp/disk$i.img,if=virtio,format=raw,cache=unsafe")
done

cmdline="console=ttyS0 panic=-1 loglevel=7 ${RZRAM_KERNEL_ARGS:-}"
start=$SECONDS
set +e
{
	timeout --foreground -k 10 "$timeout" \
		qemu-system-x86_64 "${accel[@]}" -M pc -m "$mem" -smp "$smp" -nodefaults \
		-display none -serial stdio -no-reboot \
		-kernel "$bzimage" -initrd "$tmp/initrd.cpio.gz" -append "$cmdline" \
		"${drives[@]}" </dev/null 2>&1
	echo $? >"$tmp/qemu-rc"
} | sed -u 's/\r$//' | tee "$logfile"
set -e
qemu_rc=$(cat "$tmp/qemu-rc")
log "QEMU exited ($qemu_rc) after $((SECONDS - start)) s"

if ((qemu_rc == 124 || qemu_rc == 137)); then
	log "ERROR: timeout: the guest did not finish within ${timeout}s (log: $logfile)"
	exit 124
fi

# Kernel reports: only kernel log lines ("[    1.234567] ..."), not guest output.
report_re='BUG:|WARNING:|Oops|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|Kernel panic|general protection fault|Call Trace:|blocked for more than|soft lockup|hard LOCKUP|circular locking dependency|lock held when returning|bad unlock balance|Memory leak'
reports=$(grep -aE "\[ *[0-9]+\.[0-9]+\] .*($report_re)" "$logfile" || true)
if [[ -n "$reports" && -n "${RZRAM_REPORT_IGNORE:-}" ]]; then
	reports=$(grep -Ev "$RZRAM_REPORT_IGNORE" <<<"$reports" || true)
fi

rc_line=$(grep -aoE 'RZRAM-GUEST-EXIT=[0-9]+' "$logfile" | tail -n1 || true)
if [[ -n "$reports" ]]; then
	log "kernel reports found on the console (first ones with context):"
	grep -a -B4 -A20 -m3 -E "\[ *[0-9]+\.[0-9]+\] .*($report_re)" "$logfile" | head -n 90 >&2 || true
fi
if [[ -z "$rc_line" ]]; then
	log "ERROR: the guest did not report an exit status (boot failure, panic or crash?); log: $logfile"
	exit 1
fi
rc=${rc_line#RZRAM-GUEST-EXIT=}
if [[ -n "$reports" ]]; then
	log "FAIL: guest script exited $rc but the kernel reported problems (log: $logfile)"
	exit 3
fi
log "guest script exited $rc"
exit "$rc"
