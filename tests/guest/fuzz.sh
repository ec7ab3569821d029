#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Attribute fuzzing: every writable attribute of an initialised rzram device that holds
# data (rzram0), of an uninitialised one (rzram1) and of the control class
# (/sys/class/rzram-control/) gets empty, blank, negative, overflowing, non-numeric,
# over-long (4095 to 5000 bytes) and random binary values, and values shaped like the
# attributes' own syntax, thousands of writes in all, each in a single write(). Every
# write must either succeed or fail with one of the errors the attributes document
# (EINVAL, ERANGE, E2BIG, EBUSY, ENODEV, EOPNOTSUPP, and the path errors of backing_dev);
# the values that are no number must fail on the attributes that take a number; no
# kernel report may appear; and rzram0's data must read back exact at the end.
#
# What is left out, and why:
# - reset of rzram0 gets only values that must fail (not numbers: a number from 1 to
#   65535 resets the device, its documented effect, and would drop the data checked).
# - hot_remove gets only values that must fail, no plain numbers: a number that is an
#   id removes that device. Random values are at least four bytes long, so that one is
#   all digits with a chance below one in a million.
# - disksize of rzram1 may initialise it (a random value can be a size): it is reset
#   again, and counted.
# Documented effects that change no data are allowed on rzram0 and undone afterwards:
# mem_limit, mem_used_max, idle, compact, recompress (the data stays the same, in another
# form), writeback_limit, writeback_limit_enable, writeback_batch_size and
# inline_writeback. rzram0 has no backing store, so writeback has nothing to do (ENODEV).
#
# The random values come from awk's generator, seeded from /dev/urandom; the seed is
# printed, and "fuzz.sh <seed>" repeats a run. Every rejected write that breaks a rule
# is printed with its value, as an `echo -e` string.
set -eu
# shellcheck source=tests/guest/lib/check.sh
. /guest/lib/check.sh

seed=${1:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "seed $seed"
modprobe rzram num_devices=2
ctl=/sys/class/rzram-control
mkdir -p /tmp/fz/cwd
# backing_dev resolves relative paths from the writer's directory: an empty one.
cd /tmp/fz/cwd

# The data: 1.5 MiB of text, zero and random pages.
awk 'BEGIN { for (i = 0; i < 1024; i++) printf "text page %d of the fuzz test %0999d\n", i, i }' |
	head -c 786432 >/tmp/fz/text
{
	cat /tmp/fz/text
	head -c 262144 /dev/zero
	head -c 524288 /dev/urandom
} >/tmp/fz/data
echo 8M >/sys/block/rzram0/disksize
dd if=/tmp/fz/data of=/dev/rzram0 bs=64k oflag=direct 2>/dev/null

# --- the values, as `echo -e` strings, one per line -------------------------------------
# Class A: values that are no number (or a number out of every range, or a negative one):
# every attribute that takes a number must refuse them.
cat >/tmp/fz/a <<'EOF'
\n
 
 \n
\t\n
\n\n
-1
-1\n
-0x1
-18446744073709551616
18446744073709551616
18446744073709551616\n
99999999999999999999999
99999999999999999999999\n
0xfffffffffffffffffffff
340282366920938463463374607431768211456
abc
abc\n
x
1x
1 2
1\n2
1.5
0x
0xg
--1
+-1
1-
%s%n%x
\00001
1\0000
\0377\0376
EOF
long9=$(head -c 4095 /dev/zero | tr '\0' 9)
longa=$(head -c 4096 /dev/zero | tr '\0' a)
long1=$(head -c 5000 /dev/zero | tr '\0' 1)
printf '%s\n' "$long9" "$longa" "-$long9" "$long1" "${long9}K" >>/tmp/fz/a

# Class B: numbers at the edges, which some attributes take (0 removes mem_limit, 1 turns
# on a boolean, ...).
cat >/tmp/fz/b <<'EOF'
0
0\n
-0
+1
1
1\n
  1  \n
4096
65535
65536
2147483647
2147483648
4294967296
18446744073709551615
0x10
0X10
010
1K
1k
16E
1E
0xE
8M\n
EOF

# Class D: values shaped like the attributes' own syntax.
cat >/tmp/fz/d <<'EOF'
all
all\n
none
none\n
idle
huge
huge_idle
incompressible
type=idle
type=huge threshold=1 max_pages=1
type=huge_idle algo=zstd
threshold=99999999999999999999 type=idle
max_pages=-1 type=huge
priority=4 type=idle
page_index=0
page_index=99999999999999999999
page_indexes=5-2
page_indexes=0-18446744073709551615
page_index=0 page_index=1 page_index=2
algo=zstd
algo=zstd priority=1
algo=zstd priority=9
algo=zstd priority=-1
algo=lz4 priority=3
algo=nonexistent priority=1
priority=1
algo=zstd level=3
algo=zstd level=99999999999
algo=lz4hc level=-7
algo=zstd dict=/nonexistent
algo=deflate deflate.winbits=99
lz4
zstd\n
lzo-rle
842
/dev/rzram0
/dev/rzram1
/dev/null
/tmp
/nonexistent/path
.
EOF

# Class R: random bytes, 4 to 64 bytes long (some 4096), from the seed. Each attribute
# gets its own slice.
awk -v seed="$seed" 'BEGIN {
	srand(seed)
	for (i = 0; i < 400; i++) {
		n = (i % 50 == 49) ? 4096 : 4 + int(rand() * 61)
		s = ""
		for (j = 0; j < n; j++)
			s = s sprintf("\\0%03o", int(rand() * 256))
		print s
	}
}' >/tmp/fz/r

writes=0
broken=0
accepted=0

# put <file> <value>: writes the value (an `echo -e` string) to the attribute in one
# write(); $err is then empty if it succeeded, or the error's text.
put() {
	writes=$((writes + 1))
	# shellcheck disable=SC3037 # busybox echo: -n and -e, one write() of the bytes
	if echo -ne "$2" >"$1" 2>/tmp/fz/err; then
		err=
		accepted=$((accepted + 1))
		return
	fi
	read -r err </tmp/fz/err || err="no message"
	err=${err##*: }
}

# documented <error>: the error is one the attributes document.
documented() {
	case $1 in
	"Invalid argument" | "Numerical result out of range" | "Argument list too long") ;;
	"Device or resource busy" | "No such device" | "Operation not supported") ;;
	# backing_dev opens a path: the errors of a path that is not a free block device.
	"No such file or directory" | "Block device required" | "Not a directory") ;;
	"File name too long" | "Too many levels of symbolic links" | "File exists") ;;
	*) return 1 ;;
	esac
}

# bad <file> <value> <why>: reports a write that broke a rule.
bad() {
	broken=$((broken + 1))
	printf 'RULE BROKEN %s: %s; value (echo -e): %.300s\n' "$1" "$3" "$2"
}

# fuzz <file> <classes> <numeric>: writes every value of the classes (letters among
# a, b, d and r) to the attribute. A numeric attribute must refuse class A.
fuzz() {
	f=$1
	n0=$writes
	a0=$accepted
	: >/tmp/fz/errs
	for class in $(echo "$2" | sed 's/./& /g'); do
		if [ "$class" = r ]; then
			# This attribute's slice of the random values.
			skip=$(((fuzzed * 23) % 360))
			sed -n "$((skip + 1)),$((skip + 40))p" /tmp/fz/r >/tmp/fz/values
		else
			cp /tmp/fz/"$class" /tmp/fz/values
		fi
		while IFS= read -r v; do
			put "$f" "$v"
			if [ -z "$err" ]; then
				if [ "$class" = a ] && [ "$3" = numeric ]; then
					bad "$f" "$v" "a value that is no number was taken"
				fi
				case $f in
				*/rzram1/disksize)
					# It initialised the device: allowed, but undo it.
					echo "rzram1 initialised by: $v"
					echo 1 >/sys/block/rzram1/reset
					;;
				esac
				continue
			fi
			echo "$err" >>/tmp/fz/errs
			case $f:$err in
			# A size whose metadata does not fit in memory (documented for disksize).
			*/disksize:"Cannot allocate memory") ;;
			*) documented "$err" || bad "$f" "$v" "undocumented error '$err'" ;;
			esac
		done </tmp/fz/values
	done
	fuzzed=$((fuzzed + 1))
	echo "$f: $((writes - n0)) writes, $((accepted - a0)) taken," \
		"$(sort /tmp/fz/errs | uniq -c | awk '{ c = $1; $1 = ""; printf "%s%s:%s", s, $0, c; s = "," }')"
}

fuzzed=0
start=$(date +%s)
for dev in rzram0 rzram1; do
	for a in disksize reset comp_algorithm mem_limit mem_used_max compact \
		recomp_algorithm algorithm_params idle recompress backing_dev writeback \
		writeback_limit writeback_limit_enable writeback_batch_size compressed_writeback \
		inline_writeback; do
		f=/sys/block/$dev/$a
		check "$dev/$a exists" test -f "$f"
		case $dev/$a in
		rzram0/reset) fuzz "$f" ar numeric ;;
		*/disksize | */mem_limit | */mem_used_max | */reset | */writeback_limit | \
			*/writeback_batch_size | */writeback_limit_enable | */idle)
			fuzz "$f" abdr numeric ;;
		*) fuzz "$f" abdr any ;;
		esac
	done
done
# The control class: hot_remove (no plain numbers, see above); hot_add is read-only.
fuzz $ctl/hot_remove ar numeric
check "hot_add refuses writes" sh -c "! echo 1 >$ctl/hot_add" 2>/dev/null
check_eq "the control class has hot_add and hot_remove only" "$ctl/hot_add $ctl/hot_remove" \
	"$(echo $ctl/*)"
elapsed=$(($(date +%s) - start))

echo "$writes writes in $elapsed s ($accepted taken), seed $seed"
check "thousands of writes ($writes)" test "$writes" -ge 2000
check_eq "every write succeeded or failed with a documented error, and values that are no number were refused by numeric attributes" \
	0 "$broken"
check_eq "rzram0 is still initialised" 1 "$(cat /sys/block/rzram0/initstate)"
check_eq "rzram0 is 8 MiB" 8388608 "$(cat /sys/block/rzram0/disksize)"
check_eq "rzram1 is still there and uninitialised" 0 "$(cat /sys/block/rzram1/initstate)"

# Undo the documented effects that could fail later writes, then check the data.
echo 0 >/sys/block/rzram0/mem_limit
echo 0 >/sys/block/rzram0/writeback_limit_enable
echo 0 >/sys/block/rzram0/inline_writeback
flush /dev/rzram0
dd if=/dev/rzram0 of=/tmp/fz/back bs=64k count=24 iflag=direct 2>/dev/null
check "rzram0's data reads back exact after the fuzzing" cmp -s /tmp/fz/data /tmp/fz/back
check_eq "no I/O failed on rzram0" "0 0" \
	"$(field 1 /sys/block/rzram0/io_stat) $(field 2 /sys/block/rzram0/io_stat)"
dd if=/tmp/fz/data of=/dev/rzram0 bs=64k seek=32 oflag=direct 2>/dev/null
dd if=/dev/rzram0 of=/tmp/fz/back bs=64k skip=32 count=24 iflag=direct 2>/dev/null
check "rzram0 still takes writes" cmp -s /tmp/fz/data /tmp/fz/back
cd /
echo 1 >/sys/block/rzram0/reset
echo 1 >/sys/block/rzram1/reset
rmmod rzram
check "the module unloads" sh -c '! grep -q "^rzram " /proc/modules'
finish
