#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): fio on zram0 against rzram0, both modules loaded in one VM, the
# devices interleaved (zram, rzram, zram, rzram, ...) over a number of rounds per case, so that
# both meet the same drift of the emulator and of the host.
#
# A case is <rw>:<bs>:<data>:<engine>:<algorithm>, for example randread:4k:c50:psync1:lz4:
#   rw        randread, randwrite, randrw (70 % reads) or read, write (sequential)
#   bs        the block size, for example 4k or 64k
#   data      c0, c50, c75 (fio --buffer_compress_percentage) or zero (--zero_buffers)
#   engine    psync1, psync2 (psync, 1 or 2 jobs) or uring32 (io_uring at iodepth 32; the
#             posixaio engine at the same depth when the kernel has no io_uring)
#   algorithm the comp_algorithm of both devices
# Each case resets both devices, sets the algorithm and disksize, fills the region with the
# case's data (so reads find it, and writes overwrite), then runs the rounds: direct I/O,
# time-based, after a short ramp. Per round and device one line is printed:
#   BENCH-FIO <case> <round> <driver> <throughput> <unit> <p99 completion latency, us>
# (IOPS for blocks under 64 KiB, MiB/s from 64 KiB; reads and writes added up; p99 the
# larger of the two directions) and, per case and device after the fill:
#   BENCH-MEM <case> <driver> <orig_data_size> <compr_data_size> <mem_used_total>
# scripts/bench-report.py turns these lines into a table and a plot. The ratios compare the
# two drivers under the same emulator; absolute numbers under TCG mean nothing.
#
# Usage (in the VM): fio.sh [--rounds N] [--runtime S] [--ramp S] [--size MiB]
#                           [--matrix default|full] [--cases "case case ..."] [--list]
# --list prints the cases, one a line, and runs nothing (it works outside the VM too).
set -eu

rounds=5
runtime=2
ramp=1
size=64
matrix=default
cases=
list=0
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--ramp) ramp=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--matrix) matrix=$2; shift 2 ;;
	--cases) cases=$2; shift 2 ;;
	--list) list=1; shift ;;
	*) echo "fio.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

# The default matrix covers each dimension at least once around one base (lz4, 50 %, psync
# with one job): every workload; the data classes on 4 KiB random reads and writes; two jobs,
# io_uring and zstd on 4 KiB random reads and writes.
default_cases() {
	for rw in randread:4k randwrite:4k randrw:4k read:64k write:64k; do
		echo "$rw:c50:psync1:lz4"
	done
	for data in c0 c75 zero; do
		echo "randread:4k:$data:psync1:lz4"
		echo "randwrite:4k:$data:psync1:lz4"
	done
	for variant in c50:psync2:lz4 c50:uring32:lz4 c50:psync1:zstd; do
		echo "randread:4k:$variant"
		echo "randwrite:4k:$variant"
	done
}

# The full matrix: every workload, data class, engine and algorithm.
full_cases() {
	for algo in lz4 zstd; do
		for engine in psync1 psync2 uring32; do
			for data in c0 c50 c75 zero; do
				for rw in randread:4k randwrite:4k randrw:4k read:64k write:64k; do
					echo "$rw:$data:$engine:$algo"
				done
			done
		done
	done
}

if [ -z "$cases" ]; then
	case "$matrix" in
	default) cases=$(default_cases) ;;
	full) cases=$(full_cases) ;;
	*) echo "fio.sh: unknown matrix $matrix" >&2; exit 2 ;;
	esac
fi

if [ "$list" = 1 ]; then
	for c in $cases; do
		echo "$c"
	done
	exit 0
fi

command -v fio >/dev/null || { echo "fio.sh: no fio in the guest" >&2; exit 1; }
modprobe zram
modprobe rzram

# io_uring needs CONFIG_IO_URING; without it, posixaio keeps the depth (with threads).
if [ -e /proc/sys/kernel/io_uring_disabled ]; then
	aio=io_uring
else
	aio=posixaio
	echo "BENCH-NOTE io_uring is not in this kernel (CONFIG_IO_URING);" \
		"uring32 runs posixaio at iodepth 32"
fi

ncases=$(echo "$cases" | wc -w)
echo "BENCH-INFO fio $(fio --version) kernel $(uname -r) cpus $(nproc) rounds $rounds" \
	"runtime ${runtime}s ramp ${ramp}s size ${size}MiB cases $ncases matrix $matrix"

# fio's JSON output -> "throughput p99_us": sums iops (or bw_bytes as MiB/s) over the read
# and write sections, and takes the larger clat p99.
parse() {
	awk -v mib="$2" '
	/^      "(read|write|trim|sync)" : \{/ {
		sec = $1
		gsub(/"/, "", sec)
		next
	}
	sec != "read" && sec != "write" { next }
	/"clat_ns" : \{/ { inclat = 1; next }
	/"(lat_ns|slat_ns)" : \{/ { inclat = 0; next }
	{ line = $0; gsub(/[ ",]/, "", line); split(line, kv, ":") }
	kv[1] == "iops" { iops += kv[2] }
	kv[1] == "bw_bytes" { bw += kv[2] }
	inclat && kv[1] == "99.000000" && kv[2] / 1000 > p99 { p99 = kv[2] / 1000 }
	END {
		if (mib)
			printf "%.1f MiB/s %.1f\n", bw / 1048576, p99
		else
			printf "%.0f IOPS %.1f\n", iops, p99
	}' "$1"
}

# mm_stat: orig_data_size compr_data_size mem_used_total
mem() { awk '{ print $1, $2, $3 }' "/sys/block/${1}0/mm_stat"; }

# fio_run <driver> <rw> <bs> <data options> <engine options> [time options]
# sh has no local variables: the function's own are prefixed with run_, so that the fill
# before a case does not overwrite the case's rw, bs and engine options.
fio_run() {
	run_dev=/dev/${1}0
	run_rw=$2
	run_bs=$3
	run_data=$4
	run_engine=$5
	shift 5
	run_mix=
	[ "$run_rw" = randrw ] && run_mix=--rwmixread=70
	# shellcheck disable=SC2086 # option lists, split on purpose
	fio --name=bench --filename="$run_dev" --direct=1 --thread --rw="$run_rw" --bs="$run_bs" \
		--size="${size}M" $run_mix $run_data $run_engine --group_reporting \
		--output-format=json --output=/tmp/fio.json "$@" >/tmp/fio.err 2>&1 || {
		cat /tmp/fio.err /tmp/fio.json >&2
		echo "fio.sh: fio failed on $run_dev" >&2
		exit 1
	}
}

n=0
start=$(awk '{ printf "%d\n", $1 }' /proc/uptime)
for c in $cases; do
	n=$((n + 1))
	IFS=:
	# shellcheck disable=SC2086 # the case fields, split at the colons on purpose
	set -- $c
	IFS=' 	
'
	if [ $# -ne 5 ]; then
		echo "fio.sh: bad case $c" >&2
		exit 2
	fi
	rw=$1 bs=$2 data=$3 engine=$4 algo=$5
	case "$data" in
	c[0-9]*) dataopt="--buffer_compress_percentage=${data#c}" ;;
	zero) dataopt=--zero_buffers ;;
	*) echo "fio.sh: bad data $data in $c" >&2; exit 2 ;;
	esac
	case "$engine" in
	psync1) engopt="--ioengine=psync --numjobs=1" ;;
	psync2) engopt="--ioengine=psync --numjobs=2" ;;
	uring32) engopt="--ioengine=$aio --iodepth=32 --numjobs=1" ;;
	*) echo "fio.sh: bad engine $engine in $c" >&2; exit 2 ;;
	esac
	bskb=$(echo "$bs" | tr -d kK)
	mib=0
	[ "$bskb" -ge 64 ] && mib=1

	for drv in zram rzram; do
		sys=/sys/block/${drv}0
		echo 1 >"$sys/reset"
		echo "$algo" >"$sys/comp_algorithm"
		echo "${size}M" >"$sys/disksize"
		fio_run "$drv" write 64k "$dataopt" "--ioengine=psync --numjobs=1"
		echo "BENCH-MEM $c $drv $(mem "$drv")"
	done
	now=$(awk '{ printf "%d\n", $1 }' /proc/uptime)
	echo "BENCH-CASE $n/$ncases $c (after $((now - start)) s)"
	for round in $(seq "$rounds"); do
		for drv in zram rzram; do
			fio_run "$drv" "$rw" "$bs" "$dataopt" "$engopt" --time_based \
				--runtime="$runtime" --ramp_time="$ramp"
			# What fio ran, as its report says: the case's workload and block size.
			if ! grep -q "\"rw\" : \"$rw\"" /tmp/fio.json ||
				! grep -q "\"bs\" : \"$bs\"" /tmp/fio.json; then
				echo "fio.sh: case $c did not run --rw=$rw --bs=$bs" >&2
				exit 1
			fi
			echo "BENCH-FIO $c $round $drv $(parse /tmp/fio.json "$mib")"
		done
	done
done
for drv in zram rzram; do
	echo 1 >"/sys/block/${drv}0/reset"
done
now=$(awk '{ printf "%d\n", $1 }' /proc/uptime)
echo "BENCH-DONE $ncases cases in $((now - start)) s"
