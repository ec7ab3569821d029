#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack Linux 7.3 from Debian's linux-source-7.3 package, without
# touching the system's apt sources: a private apt configuration is used for the
# download only.
#
# Usage: fetch-kernel.sh <cache dir>
# Prints the path of the unpacked, pristine source tree on stdout.
set -euo pipefail

PIN_VERSION=${RZRAM_KERNEL_PIN:-7.3.4-1~bpo13+1}
PKG=linux-source-7.3
cache=${1:?usage: fetch-kernel.sh <cache dir>}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

log() { printf 'fetch-kernel: %s\n' "$*" >&2; }

# A tree that was unpacked completely before is reused.
for stamp in "$cache"/src-*/.rzram-unpacked; do
	[[ -e "$stamp" ]] || continue
	src=$(dirname "$stamp")/linux-source-7.3
	if [[ -f "$src/Makefile" ]]; then
		log "using cached source $(cat "$stamp")"
		echo "$src"
		exit 0
	fi
done

mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [[ -z "$mirror" ]]; then
	mirror=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/debs"
cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main
SRC
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	  -o "Dir::Etc::SourceParts=/dev/null"
	  -o "Dir::State::Lists=$apt_dir/lists"
	  -o "Dir::Cache=$apt_dir/cache"
	  -o "Dir::State::status=/dev/null"
	  -o "APT::Architecture=amd64"
	  -o "Debug::NoLocking=1"
	  -o "APT::Sandbox::User=root")

newest_deb() {
	local debs=("$cache"/debs/"${PKG}"_*.deb)
	[[ -e "${debs[0]}" ]] && echo "${debs[0]}"
	return 0
}
deb=$(newest_deb)
if [[ -z "$deb" ]]; then
	log "updating private package lists from $mirror"
	apt-get "${apt_opts[@]}" -qq update >&2 || { log "apt-get update failed"; exit 1; }
	versions=$(apt-cache "${apt_opts[@]}" madison "$PKG" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}')
	if [[ -z "$versions" ]]; then
		log "no $PKG package is available from $mirror (trixie-backports, sid); set KSRC=<7.3 tree>"
		exit 1
	fi
	if grep -qxF "$PIN_VERSION" <<<"$versions"; then
		want=$PIN_VERSION
	else
		want=$(sort -V <<<"$versions" | tail -n1)
		log "WARNING: pinned $PKG $PIN_VERSION is gone; falling back to the newest, $want"
	fi
	log "downloading $PKG=$want"
	(cd "$cache/debs" && apt-get "${apt_opts[@]}" -qq download "$PKG=$want" >&2) ||
		{ log "download of $PKG=$want failed"; exit 1; }
	deb=$(newest_deb)
	[[ -n "$deb" ]] || { log "download of $PKG=$want left no package"; exit 1; }
fi

ver=$(dpkg-deb -f "$deb" Version)
dest="$cache/src-$ver"
rm -rf "$dest"
mkdir -p "$dest/pkg"
log "unpacking $deb"
dpkg -x "$deb" "$dest/pkg"
tar -C "$dest" -xf "$dest"/pkg/usr/src/linux-source-7.3.tar.xz
rm -rf "$dest/pkg"
echo "$PKG $ver" >"$dest/.rzram-unpacked"
echo "$dest/linux-source-7.3"
