#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build Debian packages for a real machine: the patched 7.3 kernel and rzram.ko.
#
# Usage: [KDIR=<kernel build dir>] deb.sh [<output dir>]   (default: $RZRAM_DEB_OUT, else ./deb)
#
# Without KDIR, the kernel is the base kernel of build-kernel.sh (built if needed). With
# KDIR, it is that O= build directory of your own 7.3 tree with rust/patches applied,
# configured and built with LLVM=-19 (see README.md, "Installing on a real machine").
#
#   linux-image-<kver>_<kver>+rzram<version>_amd64.deb
#       the kernel (by default the base kernel: scripts/config/base.config, rust/patches
#       applied), made by the kernel's own bindeb-pkg target in its build directory;
#   rzram-modules-<kver>_<version>_amd64.deb
#       rzram.ko in /lib/modules/<kver>/updates/ (depmod'ed by its postinst and postrm),
#       (and again by a file trigger whenever the kernel package's modules change),
#       the admin guide and ABI files in /usr/share/doc/rzram-modules-<kver>/, and the
#       modprobe.d examples of modprobe.d/ (if the tree has any) in its examples/.
#
# <version> is the VERSION file's, else `git describe --tags` of a v<version> tag, else
# 0~git<commits>.<hash> (+dirty with uncommitted changes).
#
# bindeb-pkg reuses the build: it runs in the same O= directory with the same LLVM
# settings, so its "make all" finds nothing to do. Two of its side effects are avoided on
# purpose: the package version is given (KDEB_PKGVERSION), so mkdebian does not bump the
# build number in .version; and that version has no Debian revision (no "-"), so
# debian/rules passes no KBUILD_BUILD_VERSION, which would change the UTS version and
# relink vmlinux and bzImage under the tests. What it leaves in the build directory is a
# debian/ directory and usr/include (make headers), which no cache stamp covers.
# The linux-headers package is not built (it has no Rust support, so it could not build
# rzram anyway), and linux-libc-dev, which bindeb-pkg always makes, is not kept: it would
# replace the distribution's own.
#
# stdout: the paths of the two packages, image first. Logs go to stderr.
set -euo pipefail

log() { printf 'deb: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-${RZRAM_DEB_OUT:-$repo/deb}}
mkdir -p "$out"
out=$(cd "$out" && pwd)

export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
# The same toolchain as build-kernel.sh; exported too, so that the makes debian/rules
# runs see it whatever dpkg-buildpackage does with MAKEFLAGS.
export LLVM=-19
maintainer_name="rzram developers"
maintainer_email="rzram@localhost"

for tool in dpkg-buildpackage dh_testdir dpkg-deb depmod; do
	PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null ||
		die "$tool not found (run scripts/deps.sh)"
done

# --- versions --------------------------------------------------------------------

version() {
	local v
	if [[ -f "$repo/VERSION" ]]; then
		v=$(head -n1 "$repo/VERSION")
	elif v=$(git -C "$repo" describe --tags --match 'v[0-9]*' 2>/dev/null); then
		# v1.2 or v1.2-5-gabc1234 -> 1.2 or 1.2+git5.abc1234
		v=${v#v}
		if [[ "$v" =~ ^(.*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
			v="${BASH_REMATCH[1]}+git${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
		fi
	else
		v="0~git$(git -C "$repo" rev-list --count HEAD).$(git -C "$repo" rev-parse --short=7 HEAD)"
	fi
	if [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
		v+="+dirty"
	fi
	[[ "$v" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "'$v' is not a Debian version without revision"
	printf '%s\n' "$v"
}
rzver=$(version)

if [[ -n "${KDIR:-}" ]]; then
	kdir=$(cd "$KDIR" && pwd)
	[[ -f "$kdir/include/config/kernel.release" && -f "$kdir/arch/x86/boot/bzImage" ]] ||
		die "KDIR=$KDIR is not a built kernel build directory (no kernel.release or bzImage)"
else
	kdir=$(bash "$here/build-kernel.sh" base)
fi
ko=$(bash "$here/build-module.sh" "$kdir")
kver=$(cat "$kdir/include/config/kernel.release")
kpkg="linux-image-$kver"
# No "-" in it: see above (a revision would relink the kernel).
kpkgver="${kver//-/+}+rzram$rzver"
[[ "$kpkgver" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "kernel release '$kver' makes no Debian version"
log "rzram $rzver, kernel $kver ($kdir)"

# --- the kernel, through bindeb-pkg ------------------------------------------------

# -d: the kernel is already built, by LLVM; the Build-Depends mkdebian writes are those of
# a gcc build from scratch (a gcc cross compiler, libdw-dev), which this one does not use.
# Serialize with build-kernel.sh, which holds this lock while it builds.
if [[ -f "$kdir/.rzram-lock" ]]; then
	exec 9>"$kdir/.rzram-lock"
	flock 9
fi
before=$(sha256sum <"$kdir/arch/x86/boot/bzImage")
parent=$(dirname "$kdir")	# dpkg-buildpackage writes its products next to the build dir
rm -f "$parent"/*_"$kpkgver"_*.{deb,buildinfo,changes}
start=$SECONDS
log "make bindeb-pkg in $kdir (log on stderr)"
make -C "$kdir" LLVM="$LLVM" -j"$(nproc)" \
	KDEB_PKGVERSION="$kpkgver" KDEB_CHANGELOG_DIST=unstable \
	DEBFULLNAME="$maintainer_name" DEBEMAIL="$maintainer_email" \
	DPKG_FLAGS="-d -Ppkg.linux-upstream.nokernelheaders" \
	bindeb-pkg >&2 || die "make bindeb-pkg failed"
after=$(sha256sum <"$kdir/arch/x86/boot/bzImage")
[[ "$before" == "$after" ]] || die "bindeb-pkg rebuilt bzImage in $kdir: the tests' kernel changed"
image_deb="$out/${kpkg}_${kpkgver}_amd64.deb"
mv "$parent/${kpkg}_${kpkgver}_amd64.deb" "$image_deb"
rm -f "$parent"/*_"$kpkgver"_*.{deb,buildinfo,changes}
[[ ! -f "$kdir/.rzram-lock" ]] || flock -u 9
log "$(basename "$image_deb") in $((SECONDS - start)) s"

# --- rzram-modules-<kver>, staged and built with dpkg-deb ---------------------------

mpkg="rzram-modules-$kver"
stage=$(mktemp -d "${TMPDIR:-/tmp}/rzram-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root="$stage/$mpkg"
doc="$root/usr/share/doc/$mpkg"
install -d "$root/DEBIAN" "$root/lib/modules/$kver/updates" "$doc/ABI"
install -m 644 "$ko" "$root/lib/modules/$kver/updates/rzram.ko"
# What modules_install's INSTALL_MOD_STRIP=1 does; a no-op without CONFIG_DEBUG_INFO.
llvm-strip"$LLVM" --strip-debug "$root/lib/modules/$kver/updates/rzram.ko"
install -m 644 "$repo/Documentation/admin-guide/blockdev/rzram.rst" "$doc/"
install -m 644 "$repo"/Documentation/ABI/testing/sysfs-*-rzram "$doc/ABI/"
shopt -s nullglob
examples=("$repo"/modprobe.d/*.conf)
shopt -u nullglob
if ((${#examples[@]})); then
	install -d "$doc/examples"
	install -m 644 "${examples[@]}" "$doc/examples/"
fi
cat >"$doc/copyright" <<EOF
rzram, a compressed RAM block device for Linux, written in Rust.

Copyright: $maintainer_name <$maintainer_email>
License: GPL-2.0 (SPDX-License-Identifier: GPL-2.0)

On Debian systems, the complete text of the GNU General Public License version 2
can be found in /usr/share/common-licenses/GPL-2.
EOF

# The maintainer scripts honour DPKG_ROOT (set by dpkg --root with
# --force-script-chrootless), so depmod then works on that root, not on /.
for script in postinst postrm; do
	case $script in
	postinst) when="configure|triggered" ;;
	postrm) when="remove|purge|abort-install|abort-upgrade" ;;
	esac
	cat >"$root/DEBIAN/$script" <<EOF
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# $mpkg $script: rebuild the module index of Linux $kver, so that
# "modprobe rzram" finds (or no longer finds) /lib/modules/$kver/updates/rzram.ko.
set -e
case "\$1" in
$when)
	if [ -e "\${DPKG_ROOT:-}/lib/modules/$kver/modules.order" ]; then
		if [ -n "\${DPKG_ROOT:-}" ]; then
			depmod -b "\$DPKG_ROOT" $kver
		else
			depmod $kver
		fi
	fi
	;;
esac
exit 0
EOF
	chmod 755 "$root/DEBIAN/$script"
done

# The kernel package ships its own modules.dep, without rzram: when it is reinstalled or
# upgraded alone, this file trigger runs the postinst ("triggered") to index rzram again.
echo "interest-noawait /lib/modules/$kver/kernel" >"$root/DEBIAN/triggers"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $mpkg
Version: $rzver
Architecture: amd64
Maintainer: $maintainer_name <$maintainer_email>
Installed-Size: $installed_size
Depends: $kpkg (= $kpkgver), kmod
Section: kernel
Priority: optional
Description: rzram, a compressed RAM block device in Rust, for Linux $kver
 rzram keeps the pages written to each /dev/rzram<N> compressed in memory, like
 zram, and is configured through the same sysfs attributes. This package holds
 rzram.ko for the kernel of $kpkg (Linux $kver with rzram's rust/ patch series),
 installed in /lib/modules/$kver/updates, and its documentation.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
modules_deb="$out/${mpkg}_${rzver}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$modules_deb" >&2
log "$(basename "$modules_deb")"

printf '%s\n' "$image_deb" "$modules_deb"
