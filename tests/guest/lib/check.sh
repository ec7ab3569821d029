# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the guest scenarios (sourced by busybox sh in the VM).
# Every check prints one `RZRAM-PASS: <what>` or `RZRAM-FAIL: <what>` line; the host counts
# them. A scenario ends with `finish`, which fails the script if any check failed.

failed=0

pass() { echo "RZRAM-PASS: $*"; }
fail() {
	echo "RZRAM-FAIL: $*"
	failed=$((failed + 1))
}

# check <what> <command...>: passes if the command succeeds.
check() {
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# check_eq <what> <expected> <actual>
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}

# write_fails <what> <error text> <file> <value>: the write must fail with that error
# (strerror text, e.g. "Invalid argument").
write_fails() {
	if echo "$4" 2>/tmp/write.err >"$3"; then
		fail "$1 (the write succeeded)"
	elif grep -q "$2" /tmp/write.err; then
		pass "$1"
	else
		fail "$1 (expected '$2', got '$(cat /tmp/write.err)')"
	fi
}

# field <n> <file>: the n-th whitespace-separated field of a stat file.
field() { awk -v n="$1" '{ print $n }' "$2"; }

# flush <dev>: drop the page cache of a block device, so reads reach the driver.
flush() { blockdev --flushbufs "$1"; }

# vmalloc_kb: the vmalloc'ed memory that drivers hold, in kB: the areas in /proc/vmallocinfo,
# but for the percpu allocator's chunks and execmem's cache of module memory, which those
# allocators keep for reuse after the memory in them is freed (VmallocUsed counts them, and
# drifted by megabytes after CPU hotplug and devices came and went, with nothing leaked).
vmalloc_kb() {
	awk '/ vmalloc( |$)/ && $3 !~ /^(pcpu_|execmem_)/ { n += $2 } END { print int(n / 1024) }' \
		/proc/vmallocinfo
}

# mem_snapshot: "MemFree Slab vmalloc" (kB) and nr_zspages, after dropping caches.
mem_snapshot() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# Fold the per-CPU counter deltas, so that nr_zspages is exact.
	echo 1 >/proc/sys/vm/stat_refresh
	awk '/^MemFree:/ { f = $2 } /^Slab:/ { s = $2 } END { printf "%s %s ", f, s }' /proc/meminfo
	printf '%s ' "$(vmalloc_kb)"
	awk '$1 == "nr_zspages" { print $2 }' /proc/vmstat
}

# check_no_leak <before> <after> <MemFree slack in kB>: leak checks on two mem_snapshots.
# zsmalloc pages and vmalloc are exact measures of what rzram allocates; MemFree is a
# catch-all with slack for KASAN's quarantine and the per-CPU free page lists.
check_no_leak() {
	# shellcheck disable=SC2086 # word splitting of the snapshots is wanted
	set -- $1 $2 "$3"
	echo "MemFree $1 -> $5 kB, Slab $2 -> $6 kB, vmalloc $3 -> $7 kB, nr_zspages $4 -> $8"
	check "no zsmalloc pages leaked (nr_zspages back to $4)" test "$8" -le "$4"
	check "no vmalloc leaked (within 2 MiB of the start)" test $(($7 - $3)) -lt 2048
	check "no slab leaked (Slab within 8 MiB of the start)" test $(($6 - $2)) -lt 8192
	check "no memory lost (MemFree within $(($9 / 1024)) MiB of the start)" test $(($1 - $5)) -lt "$9"
}

# limited <MiB> <command...>: runs the command in a memory cgroup limited to MiB, so that it
# swaps while the rest of the guest keeps plenty of free memory.
limited() {
	limit=$1
	shift
	if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
		mkdir -p /sys/fs/cgroup
		mount -t cgroup2 none /sys/fs/cgroup
	fi
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p /sys/fs/cgroup/limited
	echo "${limit}M" >/sys/fs/cgroup/limited/memory.max
	# shellcheck disable=SC2016 # $$ and $@ belong to the inner shell.
	sh -c 'echo $$ >/sys/fs/cgroup/limited/cgroup.procs && exec "$@"' limited "$@"
}

# swapped_out <dev> <kB> <seconds>: waits up to the given seconds until swap on the device
# holds more than the given kB; prints how many kB it holds.
swapped_out() {
	i=0
	while :; do
		used=$(awk -v dev="$1" '$1 == dev { print $4 }' /proc/swaps)
		if [ "${used:-0}" -gt "$2" ] || [ $i -ge "$3" ]; then
			break
		fi
		sleep 1
		i=$((i + 1))
	done
	echo "${used:-0}"
}

finish() {
	echo "checks failed: $failed"
	[ "$failed" -eq 0 ]
}
