#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks that every prefix of the rust/ patch series builds, as a maintainer applying
# it patch by patch (or bisecting through it) would need: for k = 1..N, the first k
# patches are applied to a pristine copy of the kernel's rust/ directory, inside a
# scratch copy of the kernel tree, and the rust/ directory (bindings, helpers and the
# kernel crate) is built with the base kernel's configuration. Stops at the first patch
# that does not apply or build and exits 1; prints one line per patch.
#
# The configuration is made as scripts/build-kernel.sh makes it: tinyconfig, the
# scripts/config/base.config fragment, olddefconfig. The fragment enables
# CONFIG_RUST_KERNEL_DOCTESTS, so the kernel crate's documentation examples are
# compiled at every prefix too.
#
# It builds the rust/ directory up to N times (one incremental build per patch), so it
# takes a while; `make test` does not run it.
#
# Usage: scripts/check-series-build.sh [<pristine kernel tree>]
# Without a tree argument the tree comes from scripts/fetch-kernel.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${RZRAM_CACHE:-$HOME/.cache/rzram}
mkdir -p "$cache"
ksrc=${1:-$(bash "$root/scripts/fetch-kernel.sh" "$cache")}
[[ -f "$ksrc/Makefile" && -d "$ksrc/rust" ]] || { echo "no kernel tree at $ksrc" >&2; exit 2; }
ksrc=$(cd "$ksrc" && pwd)
fragment=$root/scripts/config/base.config

export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}

shopt -s nullglob
patches=("$root"/rust/patches/*.patch)
shopt -u nullglob
((${#patches[@]})) || { echo "no patches in $root/rust/patches" >&2; exit 2; }
mapfile -t patches < <(printf '%s\n' "${patches[@]}" | LC_ALL=C sort)

# The scratch tree: hard links to the pristine tree (nothing outside rust/ is written;
# a plain copy where links are not possible) with a real copy of rust/.
work=$(mktemp -d "$cache/series-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/src
build=$work/build
cp -al "$ksrc" "$src" 2>/dev/null || { rm -rf "$src"; cp -a "$ksrc" "$src"; }
rm -rf "$src/rust"
cp -a "$ksrc/rust" "$src/rust"
# Files outside rust/ that the series patches: real copies too, never links into the
# pristine tree.
while read -r f; do
	[[ -f "$src/$f" && "$f" != rust/* ]] || continue
	rm -f "$src/$f"
	cp -a "$ksrc/$f" "$src/$f"
done < <(sed -n 's|^--- a/||p' "${patches[@]}" | sort -u)

kmake=(make -C "$src" O="$build" LLVM=-19)
mkdir -p "$build"
echo "configuring in $build" >&2
{
	"${kmake[@]}" tinyconfig
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$build" "$build/.config" "$fragment")
	"${kmake[@]}" olddefconfig
} >"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; echo "configuration failed" >&2; exit 1; }
grep -qx 'CONFIG_RUST=y' "$build/.config" || { echo "CONFIG_RUST is not enabled" >&2; exit 1; }
if ! grep -qx 'CONFIG_RUST_KERNEL_DOCTESTS=y' "$build/.config"; then
	echo "CONFIG_RUST_KERNEL_DOCTESTS could not be enabled" >&2
	exit 1
fi

n=${#patches[@]}
k=0
for p in "${patches[@]}"; do
	k=$((k + 1))
	name=$(basename "$p")
	if ! patch -d "$src" -p1 -s -N --no-backup-if-mismatch <"$p" >"$work/patch.log" 2>&1; then
		echo "FAIL $k/$n $name: does not apply"
		cat "$work/patch.log"
		exit 1
	fi
	start=$SECONDS
	# rust/, and the objects of the C files outside it that the patch changes.
	mapfile -t objs < <(sed -n 's|^+++ b/\(.*\)\.c$|\1.o|p' "$p" | grep -v '^rust/' || true)
	if ! "${kmake[@]}" -j"$(nproc)" rust/ "${objs[@]}" >"$work/build.log" 2>&1; then
		echo "FAIL $k/$n $name: rust/ ${objs[*]} does not build"
		grep -E -A12 '^(error|warning)' "$work/build.log" | head -n 60 || tail -n 40 "$work/build.log"
		exit 1
	fi
	warnings=$(grep -cE '^warning' "$work/build.log" || true)
	if ((warnings)); then
		echo "FAIL $k/$n $name: rust/ builds with $warnings warnings"
		grep -E -A12 '^warning' "$work/build.log" | head -n 60
		exit 1
	fi
	echo "ok   $k/$n $name ($((SECONDS - start)) s)"
done
echo "all $n prefixes of the series build"
