#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Attribute reads against init, reset and hot_add/hot_remove, time-bounded.
#
# Readers show every attribute of every rzram disk and of the control class, in a loop,
# while rzram0 is initialised (with a recompression algorithm, so recomp_algorithm has
# something to show) and reset hundreds of times, and another device is hot-added,
# initialised and hot-removed over and over. A show that takes the meta reference and then
# the control lock deadlocks against a reset that holds the control lock while it drains the
# references. Lockdep reports that inversion on the debug kernel at the first cycle. The hang
# itself needs a reader to take its reference in the short window between reset's lock and
# its retirement: with that code restored and the window widened by a 20 ms sleep before
# the retirement, the first cycle hung (a reader in Device::algorithms() under a GateRef,
# reset in Gate::retire), and the watchdog failed the scenario with the blocked tasks; with
# the fix and the same sleep, it passed in 15 s. The watchdog below makes a hang a failure
# within a bounded time, not a stuck test run.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

rounds=${1:-300}
passes=${2:-5}
limit=${3:-300}

modprobe rzram num_devices=2
ctl=/sys/class/rzram-control
rm -f /tmp/stop /tmp/race.*

# reader <n> <glob>: shows every readable attribute the glob names, until /tmp/stop exists;
# records its passes in /tmp/race.passes.<n> as it goes.
reader() {
	n=0
	while [ ! -e /tmp/stop ]; do
		# shellcheck disable=SC2086 # the glob is expanded here, on purpose
		for f in $2; do
			[ -f "$f" ] || continue
			# The shell's own read, not cat: no fork, so shows come fast enough to meet
			# a reset in the act. A hot-removed device's files vanish under the reader
			# (ENOENT or ENODEV); write-only files give EACCES. Only a hang matters here.
			{ read -r _ <"$f"; } 2>/dev/null || true
		done
		n=$((n + 1))
		echo "$n" >"/tmp/race.passes.$1"
	done
	echo "reader $1 passes $n" >"/tmp/race.reader.$1"
}

# cycler: initialises and resets rzram0 until /tmp/stop exists, with a secondary algorithm
# and a memory limit configured in between, so that every show has something to read;
# records its rounds in /tmp/race.rounds as it goes.
cycler() {
	n=0
	while [ ! -e /tmp/stop ]; do
		echo lz4 >/sys/block/rzram0/comp_algorithm
		echo "algo=zstd priority=1" >/sys/block/rzram0/recomp_algorithm
		echo 8M >/sys/block/rzram0/mem_limit
		echo 4M >/sys/block/rzram0/disksize
		echo 1 >/sys/block/rzram0/reset
		n=$((n + 1))
		echo "$n" >/tmp/race.rounds
		# A mutex is not fair: without a pause the readers starve on the control lock.
		usleep 2000
	done
	echo "cycles $n" >/tmp/race.cycler
}

# hotplugger: hot-adds a device, initialises and hot-removes it until /tmp/stop exists.
hotplugger() {
	n=0
	while [ ! -e /tmp/stop ]; do
		id=$(cat $ctl/hot_add)
		echo "algo=zstd" >/sys/block/rzram"$id"/recomp_algorithm
		echo 4M >/sys/block/rzram"$id"/disksize
		echo "$id" >$ctl/hot_remove
		n=$((n + 1))
	done
	echo "hotplug $n" >/tmp/race.hotplug
}

# rzram1 stays initialised, with data, all along.
echo 4M >/sys/block/rzram1/disksize
dd if=/dev/urandom of=/dev/rzram1 bs=64k count=16 oflag=direct 2>/dev/null

# Two readers on the device being reset, one on every device and the control class.
reader 1 "/sys/block/rzram0/*" &
reader 2 "/sys/block/rzram0/*" &
reader 3 "/sys/block/rzram*/* $ctl/*" &
hotplugger &
cycler &

# slowest: the fewest passes any reader has made so far.
slowest() {
	m=
	for r in 1 2 3; do
		p=$(cat /tmp/race.passes.$r 2>/dev/null || echo 0)
		if [ -z "$m" ] || [ "$p" -lt "$m" ]; then m=$p; fi
	done
	echo "$m"
}

# Run until rzram0 went through $rounds init/reset cycles and every reader through $passes
# passes over all attributes; the watchdog fails the scenario if that takes $limit seconds
# (a deadlock stops the cycler and the readers for good).
start=$(date +%s)
while [ "$(cat /tmp/race.rounds 2>/dev/null || echo 0)" -lt "$rounds" ] ||
	[ "$(slowest)" -lt "$passes" ]; do
	if [ $(($(date +%s) - start)) -ge "$limit" ]; then
		fail "$rounds init/reset cycles and $passes reader passes within ${limit} s (hung?" \
			"rounds $(cat /tmp/race.rounds 2>/dev/null), slowest reader $(slowest))"
		echo w >/proc/sysrq-trigger 2>/dev/null || true
		finish || exit 1
	fi
	sleep 1
done
elapsed=$(($(date +%s) - start))
touch /tmp/stop

# Everyone gets the same bound to stop.
stop=$(date +%s)
while [ "$(cat /tmp/race.reader.* /tmp/race.hotplug /tmp/race.cycler 2>/dev/null | wc -l)" -lt 5 ]; do
	if [ $(($(date +%s) - stop)) -ge "$limit" ]; then
		fail "readers, cycler and hot_add/hot_remove stopped within ${limit} s (hung)"
		echo w >/proc/sysrq-trigger 2>/dev/null || true
		finish || exit 1
	fi
	sleep 1
done
wait
cat /tmp/race.*
pass "$rounds init/reset cycles and $passes passes of each reader finished in ${elapsed} s"
check "devices were hot-added and removed meanwhile" grep -q '^hotplug [1-9]' /tmp/race.hotplug
check "every reader made passes" sh -c '! grep -q "passes 0$" /tmp/race.reader.*'
check_eq "rzram0 ends uninitialised" 0 "$(cat /sys/block/rzram0/initstate)"
check_eq "rzram1 is still initialised" 1 "$(cat /sys/block/rzram1/initstate)"
check_eq "no failed I/O on rzram1" "0 0" \
	"$(field 1 /sys/block/rzram1/io_stat) $(field 2 /sys/block/rzram1/io_stat)"
rmmod rzram
check "the module unloads" sh -c '! grep -q "^rzram " /proc/modules'
finish
