#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage zram's real clients for the guest: a directory tree that run-vm.sh --clients lays
# over the guest's root filesystem. The binaries are Debian 12's own, copied with their
# libraries; nothing in them is changed.
#
#   /bin/bash, /bin/kmod (modprobe, insmod, rmmod, lsmod), /sbin/{mkswap,swapon,swapoff}:
#                                          the machine's (bash, kmod, util-linux)
#   /sbin/zramctl                          util-linux (the machine's, Debian 12: 2.38.1)
#   /lib/systemd/system-generators/zram-generator, /lib/systemd/systemd-makefs
#                                          systemd-zram-generator 1.1.2, and systemd's
#                                          helper that it runs (the machine's systemd)
#   /usr/sbin/zramswap                     zram-tools 0.3.3.1
#   /opt/clients/selftests-zram/           tools/testing/selftests/zram of the 7.3 tree
#   /opt/clients/rzram-zram.conf           the modprobe.d example of this repository
#   /opt/clients/versions                  the versions above, as the guest reports them
#
# The two packages the machine does not have are downloaded once (apt-get download, pinned
# versions) into <cache>/clients/debs.
#
# Usage: clients.sh <cache dir>
# Prints the staged directory on stdout.
set -euo pipefail

ZRAM_GENERATOR=systemd-zram-generator=1.1.2-2+b2
ZRAM_TOOLS=zram-tools=0.3.3.1-1.1

cache=${1:?usage: clients.sh <cache dir>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
log() { printf 'clients: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

debs="$cache/clients/debs"
mkdir -p "$debs"
have_deb() { compgen -G "$debs/${1%%=*}_*.deb" >/dev/null; }
for pkg in "$ZRAM_GENERATOR" "$ZRAM_TOOLS"; do
	have_deb "$pkg" && continue
	log "downloading $pkg"
	if ! (cd "$debs" && apt-get -qq download "$pkg" 2>/dev/null); then
		# A fresh machine may have no package lists yet.
		[[ $(id -u) -eq 0 ]] || die "cannot download $pkg (run as root, or apt-get update)"
		apt-get -qq update >&2
		(cd "$debs" && apt-get -qq download "$pkg") >&2 || die "cannot download $pkg"
	fi
done

ksrc=$(bash "$here/fetch-kernel.sh" "$cache")
selftests="$ksrc/tools/testing/selftests/zram"
[[ -f "$selftests/zram.sh" ]] || die "no zram selftests in $ksrc"

# The staged tree is rebuilt when any of its inputs changes.
tools=(/usr/bin/bash /usr/bin/kmod /sbin/mkswap /sbin/swapon /sbin/swapoff /sbin/zramctl
	/lib/systemd/systemd-makefs)
for t in "${tools[@]}"; do
	[[ -x "$t" ]] || die "$t not found (scripts/deps.sh installs it)"
done
key=$({
	sha256sum "${BASH_SOURCE[0]}" "$repo/modprobe.d/rzram-zram.conf" "$debs"/*.deb \
		"$selftests"/*
	for t in "${tools[@]}"; do sha256sum <"$t"; done
} | sha256sum | cut -c1-16)
out="$cache/clients/root-$key"
if [[ -d "$out" ]]; then
	echo "$out"
	exit 0
fi

log "staging the clients in $out"
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"/{bin,sbin,usr/sbin,lib/systemd/system-generators,opt/clients} \
	"$tmp"/etc/{modprobe.d,default,systemd}
trap 'rm -rf "$tmp"' EXIT

# copy_bin <file> <dest in the tree>: a binary and the libraries it loads.
copy_bin() {
	local lib
	cp -L "$1" "$tmp$2"
	while read -r lib; do
		[[ -e "$tmp$lib" ]] && continue
		mkdir -p "$tmp$(dirname "$lib")"
		cp -L "$lib" "$tmp$lib"
	done < <(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
}

copy_bin /usr/bin/bash /bin/bash
copy_bin /usr/bin/kmod /bin/kmod
for cmd in modprobe insmod rmmod lsmod modinfo; do
	ln -sf /bin/kmod "$tmp/sbin/$cmd"
done
for cmd in mkswap swapon swapoff; do
	copy_bin "/sbin/$cmd" "/sbin/$cmd"
done
copy_bin /sbin/zramctl /sbin/zramctl
copy_bin /lib/systemd/systemd-makefs /lib/systemd/systemd-makefs

unpacked="$tmp/unpacked"
for deb in "$debs"/*.deb; do
	dpkg-deb -x "$deb" "$unpacked"
done
copy_bin "$unpacked/lib/systemd/system-generators/zram-generator" \
	/lib/systemd/system-generators/zram-generator
cp "$unpacked/usr/sbin/zramswap" "$tmp/usr/sbin/zramswap"
rm -rf "$unpacked"

mkdir -p "$tmp/opt/clients/selftests-zram"
cp "$selftests"/* "$tmp/opt/clients/selftests-zram/"
cp "$repo/modprobe.d/rzram-zram.conf" "$tmp/opt/clients/"

{
	echo "util-linux $(dpkg-query -W -f='${Version}' util-linux)"
	echo "kmod $(dpkg-query -W -f='${Version}' kmod)"
	echo "bash $(dpkg-query -W -f='${Version}' bash)"
	echo "systemd $(dpkg-query -W -f='${Version}' systemd)"
	for deb in "$debs"/*.deb; do
		echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
	done
	echo "selftests $(basename "$(dirname "$ksrc")")"
} >"$tmp/opt/clients/versions"

mv "$tmp" "$out"
trap - EXIT
find "$cache/clients" -maxdepth 1 -name 'root-*' ! -name "root-$key" -exec rm -rf {} +
echo "$out"
