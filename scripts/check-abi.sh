#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks that the sysfs attributes the driver declares and the ones the ABI files
# document are the same: the disk attributes of the kernel::disk_attributes! table in
# drivers/block/rzram/sysfs.rs against the What: lines of
# Documentation/ABI/testing/sysfs-block-rzram, and the class attributes of the
# kernel::class_attributes! table in drivers/block/rzram/control.rs against
# Documentation/ABI/testing/sysfs-class-rzram. Where an ABI entry documents a mode
# ("(mode 0644)"), the mode must also match the one in the code.
#
# Prints one line per mismatch and a summary; exits 1 if there is any mismatch, 0
# otherwise, and 2 if a file or an attribute table is missing.
#
# Usage: scripts/check-abi.sh

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sysfs_rs=$root/drivers/block/rzram/sysfs.rs
control_rs=$root/drivers/block/rzram/control.rs
abi_block=$root/Documentation/ABI/testing/sysfs-block-rzram
abi_class=$root/Documentation/ABI/testing/sysfs-class-rzram

for f in "$sysfs_rs" "$control_rs" "$abi_block" "$abi_class"; do
	if [[ ! -f $f ]]; then
		echo "check-abi: missing file: ${f#"$root"/}" >&2
		exit 2
	fi
done

# Prints "name mode" (mode as 0NNN) for each entry of the attribute table opened by the
# macro invocation $1 in the Rust file $2, up to the table's closing "];".
code_attributes() {
	awk -v macro="$1" '
		index($0, macro "!") { inside = 1; next }
		inside && /^[[:space:]]*\];/ { exit }
		inside && match($0, /\(c"[^"]+",[[:space:]]*0o[0-7]+/) {
			entry = substr($0, RSTART, RLENGTH)
			name = entry
			sub(/^\(c"/, "", name)
			sub(/".*/, "", name)
			mode = entry
			sub(/.*0o/, "", mode)
			printf "%s 0%s\n", name, mode
		}
	' "$2"
}

# Prints "name mode" for each "What: <prefix><name>" entry of the ABI file $2, where
# $1 is the prefix; mode is the first "(mode 0NNN)" of the entry's description, or "-"
# if it documents none. An entry for the directory itself (empty name) is skipped.
abi_attributes() {
	awk -v prefix="$1" '
		function flush() {
			if (name != "")
				printf "%s %s\n", name, (mode == "" ? "-" : mode)
			name = ""
			mode = ""
		}
		/^What:/ {
			flush()
			path = $0
			sub(/^What:[[:space:]]*/, "", path)
			sub(/[[:space:]]+$/, "", path)
			if (index(path, prefix) == 1)
				name = substr(path, length(prefix) + 1)
			next
		}
		name != "" && mode == "" && match($0, /\(mode 0[0-7]+\)/) {
			mode = substr($0, RSTART + 6, RLENGTH - 7)
		}
		END { flush() }
	' "$2"
}

mismatches=0
checked=0

# Compares the code's table ($1: "name mode" lines) with an ABI file's entries ($2).
compare() {
	local code=$1 abi=$2 name mode abi_mode
	local -a names
	local -A code_mode=() doc_mode=()

	while read -r name mode; do
		[[ -n $name ]] && code_mode[$name]=$mode
	done <<<"$code"
	while read -r name mode; do
		[[ -n $name ]] && doc_mode[$name]=$mode
	done <<<"$abi"

	mapfile -t names < <(printf '%s\n' "${!code_mode[@]}" | sort)
	for name in "${names[@]}"; do
		checked=$((checked + 1))
		if [[ -z ${doc_mode[$name]+set} ]]; then
			echo "in code, not in the ABI file: $name"
			mismatches=$((mismatches + 1))
			continue
		fi
		abi_mode=${doc_mode[$name]}
		if [[ $abi_mode != - && $abi_mode != "${code_mode[$name]}" ]]; then
			echo "mode of $name: ${code_mode[$name]} in code, $abi_mode in the ABI file"
			mismatches=$((mismatches + 1))
		fi
	done
	mapfile -t names < <(printf '%s\n' "${!doc_mode[@]}" | sort)
	for name in "${names[@]}"; do
		[[ -n $name ]] || continue
		if [[ -z ${code_mode[$name]+set} ]]; then
			echo "in the ABI file, not in code: $name"
			mismatches=$((mismatches + 1))
		fi
	done
}

disk_code=$(code_attributes kernel::disk_attributes "$sysfs_rs")
class_code=$(code_attributes kernel::class_attributes "$control_rs")
if [[ -z $disk_code || -z $class_code ]]; then
	echo "check-abi: no attribute table found in sysfs.rs or control.rs" >&2
	exit 2
fi

compare "$disk_code" "$(abi_attributes '/sys/block/rzram<id>/' "$abi_block")"
compare "$class_code" "$(abi_attributes '/sys/class/rzram-control/' "$abi_class")"

if ((mismatches > 0)); then
	echo "check-abi: $mismatches mismatch(es) in $checked attributes"
	exit 1
fi
echo "check-abi: $checked attributes, code and ABI files agree (names and modes)"
