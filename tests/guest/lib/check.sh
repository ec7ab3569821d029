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

finish() {
	echo "checks failed: $failed"
	[ "$failed" -eq 0 ]
}
