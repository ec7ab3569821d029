#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a Linux 7.3 kernel (bzImage + modules) for testing rzram in QEMU.
#
# Usage: build-kernel.sh <base|debug>
#
# The kernel source is $KSRC if set (used as is: the rust/ patch series must
# already be applied to it), else the pristine tree from fetch-kernel.sh, copied
# once to $RZRAM_CACHE/tree-<version>/ with rust/patches/*.patch (or
# $RZRAM_SERIES_DIR/*.patch) applied. The
# build directory is $RZRAM_CACHE/build-<version>-<variant>/ and is reused
# incrementally; if neither the kernel, the config fragments nor the series
# changed, make is skipped altogether.
#
# stdout: exactly one line, the build directory (usable as make -C <dir> M=...).
# Logs go to stderr.
set -euo pipefail

log() { printf 'build-kernel: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

variant=${1:-}
case "$variant" in
base | debug) ;;
*) echo "usage: build-kernel.sh <base|debug>" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
RZRAM_CACHE=${RZRAM_CACHE:-$HOME/.cache/rzram}
mkdir -p "$RZRAM_CACHE"
RZRAM_CACHE=$(cd "$RZRAM_CACHE" && pwd)

export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
LLVM_SUFFIX=-19
jobs=$(nproc)

fragments=("$here/config/base.config")
[[ "$variant" == debug ]] && fragments+=("$here/config/debug.config")
for f in "${fragments[@]}"; do
	[[ -f "$f" ]] || die "missing config fragment $f"
done

sha() { sha256sum | awk '{print $1}'; }

kernel_version() {
	awk -F' *= *' '
		$1 == "VERSION" { v = $2 }
		$1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 }
		$1 == "EXTRAVERSION" { e = $2; print v "." p "." s e; exit }
	' "$1/Makefile"
}

# Files named by the "--- a/x" / "+++ b/x" headers (and git rename/copy
# headers) of the given patches, relative to the tree root (-p1).
patched_files() {
	awk '
		function strip(p) {
			sub(/\t.*$/, "", p)
			if (p == "/dev/null") return ""
			sub(/^[^\/]*\//, "", p)
			return p
		}
		/^\+\+\+ / && prev ~ /^--- / {
			a = strip(substr(prev, 5)); b = strip(substr($0, 5))
			if (a != "") print a
			if (b != "") print b
		}
		/^(rename|copy) (from|to) / { print $3 }
		{ prev = $0 }
	' "$@" | sort -u
}

# --- source tree -------------------------------------------------------------

shopt -s nullglob
series_dir=${RZRAM_SERIES_DIR:-$repo/rust/patches}
patches=("$series_dir"/*.patch)
shopt -u nullglob
if ((${#patches[@]})); then
	mapfile -t patches < <(printf '%s\n' "${patches[@]}" | LC_ALL=C sort)
fi
series_hash=$(cat "${patches[@]}" /dev/null | sha)

if [[ -n "${KSRC:-}" ]]; then
	[[ -f "$KSRC/Makefile" ]] || die "KSRC=$KSRC is not a kernel tree"
	src=$(cd "$KSRC" && pwd)
	kver=$(kernel_version "$src")
	log "using KSRC=$src ($kver) as is: the rust/patches series (${#patches[@]} patches) must already be applied to it"
	series_hash="ksrc:$src"
	build="$RZRAM_CACHE/build-$kver-$variant-ksrc-$(printf '%s' "$src" | sha | cut -c1-8)"
else
	pristine=$("$here/fetch-kernel.sh" "$RZRAM_CACHE")
	[[ -f "$pristine/Makefile" ]] || die "fetch-kernel.sh did not give a kernel tree"
	kver=$(kernel_version "$pristine")
	src="$RZRAM_CACHE/tree-$kver"
	build="$RZRAM_CACHE/build-$kver-$variant"

	# The working tree is shared by both variants: serialize changes to it
	# and hold a shared lock while building from it.
	exec 8>"$RZRAM_CACHE/tree-$kver.lock"
	flock 8
	if [[ ! -f "$src/Makefile" ]]; then
		log "copying pristine $kver tree to $src"
		rm -rf "$src" "$src.tmp"
		cp -a "$pristine" "$src.tmp"
		mv "$src.tmp" "$src"
	fi

	stamp="$src/.rzram-series"
	old_hash=
	[[ -f "$stamp" ]] && old_hash=$(head -n1 "$stamp")
	if [[ "$old_hash" == "$series_hash" ]]; then
		log "rust/ series unchanged (${#patches[@]} patches)"
	else
		log "rust/ series changed: ${#patches[@]} patches, sha256 $series_hash"
		new_files=()
		if ((${#patches[@]})); then
			mapfile -t new_files < <(patched_files "${patches[@]}")
		fi
		old_files=()
		[[ -f "$stamp" ]] && mapfile -t old_files < <(tail -n +2 "$stamp")
		mapfile -t all_files < <(printf '%s\n' "${old_files[@]}" "${new_files[@]}" | sed '/^$/d' | sort -u)
		# Record the files about to be touched before touching them, so an
		# interrupted or failed run is undone by the next one.
		{ echo "incomplete"; printf '%s\n' "${all_files[@]}"; } >"$stamp"
		for f in "${all_files[@]}"; do
			case "$f" in /* | *..*) die "refusing odd path '$f' in patch series" ;; esac
			if [[ -e "$pristine/$f" ]]; then
				mkdir -p "$(dirname "$src/$f")"
				cp "$pristine/$f" "$src/$f"	# new mtime on purpose
			else
				rm -f "$src/$f"
			fi
		done
		((${#all_files[@]})) && log "restored ${#all_files[@]} files from the pristine tree"
		for p in "${patches[@]}"; do
			log "applying $(basename "$p")"
			if ! out=$(patch -d "$src" -p1 --forward --batch --no-backup-if-mismatch \
					--dry-run -i "$p" 2>&1); then
				printf '%s\n' "$out" >&2
				die "patch $p does not apply to Linux $kver"
			fi
			patch -d "$src" -p1 --forward --batch --no-backup-if-mismatch -s -i "$p" >&2 ||
				die "patch $p failed to apply"
		done
		{ echo "$series_hash"; printf '%s\n' "${new_files[@]}" | sed '/^$/d'; } >"$stamp"
	fi
	flock -s 8
fi

# --- configure and build -----------------------------------------------------

mkdir -p "$build"
exec 9>"$build/.rzram-lock"
flock 9

frag_hash=$(cat "${fragments[@]}" | sha)
key="$kver $frag_hash $series_hash"
build_stamp="$build/.rzram-build-stamp"
config_stamp="$build/.rzram-config-stamp"
kmake=(make -C "$src" O="$build" LLVM="$LLVM_SUFFIX")

if [[ -z "${KSRC:-}" && -f "$build/arch/x86/boot/bzImage" && -f "$build_stamp" &&
	"$(cat "$build_stamp")" == "$key" ]]; then
	log "up to date: $build"
	echo "$build"
	exit 0
fi

# Check that every option the fragments ask for made it into .config; later
# fragments override earlier ones.
verify_config() {
	local -A want=()
	local -a order=()
	local line name
	while IFS= read -r line; do
		if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			name=${BASH_REMATCH[1]}
			[[ -v "want[$name]" ]] || order+=("$name")
			want[$name]="$name=${BASH_REMATCH[2]}"
		elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			name=${BASH_REMATCH[1]}
			[[ -v "want[$name]" ]] || order+=("$name")
			want[$name]="# $name is not set"
		fi
	done < <(cat "${fragments[@]}")
	local bad=0 w
	for name in "${order[@]}"; do
		w=${want[$name]}
		if [[ "$w" == "# "* ]]; then
			if grep -q "^$name=" "$build/.config"; then
				log "config: wanted '$w', got '$(grep "^$name=" "$build/.config")'"
				bad=1
			fi
		elif ! grep -qxF "$w" "$build/.config"; then
			log "config: wanted '$w', got '$(grep -E "^(# )?${name}[= ]" "$build/.config" || echo "(absent)")'"
			bad=1
		fi
	done
	return "$bad"
}

if [[ ! -f "$build/.config" || ! -f "$config_stamp" ||
	"$(cat "$config_stamp")" != "$frag_hash $src" ]]; then
	log "configuring $variant kernel in $build"
	rm -f "$config_stamp" "$build_stamp"
	if ! "${kmake[@]}" rustavailable >&2; then
		die "Rust is not available for this kernel (see above); run scripts/deps.sh"
	fi
	"${kmake[@]}" tinyconfig >&2
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$build" "$build/.config" \
		"${fragments[@]}") >&2
	"${kmake[@]}" olddefconfig >&2
	if ! verify_config; then
		die "some requested options were dropped by kconfig (missing dependencies?), see above"
	fi
	echo "$frag_hash $src" >"$config_stamp"
fi

log "building $variant kernel $kver: make -j$jobs bzImage modules (log on stderr)"
start=$SECONDS
"${kmake[@]}" -j"$jobs" bzImage modules >&2 || die "kernel build failed"
log "build done in $((SECONDS - start)) s"
echo "$key" >"$build_stamp"
echo "$build"
