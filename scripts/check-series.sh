#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks the rust/ patch series the way a maintainer would before taking it:
# - every patch applies, in order, to a pristine copy of the kernel's rust/ directory;
# - every patch carries a Signed-off-by;
# - the kernel's own scripts/checkpatch.pl has nothing to say about any patch, except
#   the warnings listed, each with its reason, in rust/patches/checkpatch-justified;
# - every file the series adds is formatted with the kernel's rustfmt configuration.
# Prints the justified warnings with their reasons and one line per problem; exits 1 on
# any problem.
#
# Usage: scripts/check-series.sh [<pristine kernel tree>]
# Without an argument the tree comes from scripts/fetch-kernel.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ksrc=${1:-$(bash "$root/scripts/fetch-kernel.sh" "${RZRAM_CACHE:-$HOME/.cache/rzram}")}
[[ -f "$ksrc/scripts/checkpatch.pl" ]] || { echo "no kernel tree at $ksrc" >&2; exit 2; }
series=$root/rust/patches
justified=$series/checkpatch-justified
export PATH="$HOME/.cargo/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shopt -s nullglob
patches=("$series"/*.patch)
((${#patches[@]})) || { echo "no patches in $series" >&2; exit 2; }
# The kernel's rust/ (for rustfmt, which follows `mod` declarations) and every other file the
# series touches.
cp -a "$ksrc/rust" "$work/rust"
while read -r f; do
	[[ -f "$ksrc/$f" && ! -e "$work/$f" ]] || continue
	mkdir -p "$work/$(dirname "$f")"
	cp -a "$ksrc/$f" "$work/$f"
done < <(sed -n 's|^--- a/||p' "${patches[@]}" | sort -u)

problems=0
problem() {
	problems=$((problems + 1))
	echo "PROBLEM: $*"
}

# justified <patch> <TYPE>: the reason given for this warning, if any.
justified() {
	awk -v p="$1" -v t="$2" '
		/^#/ || NF < 3 { next }
		$2 == t && index(p, $1) == 1 { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }
	' "$justified"
}

for p in "${patches[@]}"; do
	name=$(basename "$p")
	if ! patch -d "$work" -p1 -s -N --no-backup-if-mismatch <"$p" >"$work/patch.log" 2>&1; then
		problem "$name does not apply on top of the patches before it: $(head -n 3 "$work/patch.log")"
		continue
	fi
	grep -q '^Signed-off-by: .\+ <.\+>$' "$p" || problem "$name has no Signed-off-by"
	while IFS= read -r line; do
		# --terse lines: <file>:<line>: <LEVEL>:<TYPE>: <message>
		type=$(sed -n 's/^[^:]*:[0-9]*: \(WARNING\|ERROR\|CHECK\):\([A-Z_]*\):.*/\2/p' <<<"$line")
		[[ -n "$type" ]] || continue
		reason=$(justified "$name" "$type")
		if [[ -n "$reason" ]]; then
			echo "justified: $name: ${line#*: } -- $reason"
		else
			problem "checkpatch: $name: ${line#*: }"
		fi
	done < <(perl "$ksrc/scripts/checkpatch.pl" --no-tree --terse --show-types --strict "$p" 2>&1 || true)
done

# Files the series adds: formatted as the kernel formats its Rust code.
mapfile -t added < <(awk '/^--- \/dev\/null/ { getline; sub(/^\+\+\+ b\//, ""); print }' "${patches[@]}" |
	grep '\.rs$' | sort -u)
for f in "${added[@]}"; do
	[[ -f "$work/$f" ]] || continue
	rustfmt --check --edition 2021 --config-path "$ksrc/.rustfmt.toml" "$work/$f" >/dev/null 2>&1 ||
		problem "rustfmt: $f is not formatted"
done

echo "${#patches[@]} patches checked, $problems problems"
((problems == 0))
