#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Profile (not a test): which guest functions 4 KiB reads and writes run, zram and rzram.

Under QEMU's TCG the time a request takes is set less by the instructions it executes than
by how many translated blocks it passes through, and how many of those QEMU has to look up
(returns, indirect calls and jumps to another page are looked up, not chained). This tool
counts the blocks: it boots the guest with chaining off (`-d nochain`), runs
tests/guest/bench/tbtrace.sh, and switches QEMU's execution log on (HMP `log exec,nochain`)
for each of its windows: N writes, then N reads, on zram0 and then on rzram0. Each logged
line is one executed block; the tool names its guest address with System.map and the module
symbols the guest prints, and reports blocks per request for each function and for each
group of functions.

Usage: tb-profile.py --kernel KDIR --module KO [--requests N] [--out DIR] [--keep]

The traces take about 1.5 MB per request and window; they are deleted once counted unless
--keep is given. The report is printed and written to DIR/tb-profile.txt.
"""

import argparse
import bisect
import collections
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

TOP = pathlib.Path(__file__).resolve().parent.parent
# The groups of functions the report adds up: a name belongs to a group if it starts with
# one of the group's prefixes, is one of its names, or ends with its module (in brackets).
GROUPS = [
    ("blk-mq and its request accounting",
     ("blk_mq_", "__blk_mq_", "blk_account_", "blk_add_timer", "blk_update_request",
      "blk_queue_exit", "sbitmap", "__sbitmap", "update_io_ticks", "_find_next_zero_bit"),
     ()),
    ("bio path (submit, account, end)",
     ("submit_bio", "__submit_bio", "bio_endio", "bdev_start_io_acct", "bdev_end_io_acct",
      "blk_try_enter_queue"),
     ()),
    ("clock reads", (), ("ktime_get", "ktime_get_with_offset")),
    ("rust helpers (out-of-line C wrappers)", ("rust_helper_",), ()),
    ("rzram module", (), ("[rzram]",)),
    ("zram module", (), ("[zram]",)),
]


def hmp(sock_path, command):
    """Sends one human monitor command and waits for the prompt after it."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(sock_path)
        sock.settimeout(5)
        buf = b""
        while b"(qemu)" not in buf:
            buf += sock.recv(65536)
        sock.sendall(command.encode() + b"\n")
        buf = b""
        while b"(qemu)" not in buf:
            buf += sock.recv(65536)


def run_vm(args, out, sock_path):
    """Runs the guest script, switching the log on and off at its markers."""
    console = out / "console.log"
    if console.exists():
        console.unlink()
    env = dict(os.environ)
    env["RZRAM_QEMU_ARGS"] = (f"-monitor unix:{sock_path},server,nowait -d nochain "
                              f"-D {out / 'qemu.log'}")
    vm = subprocess.Popen(
        ["bash", str(TOP / "scripts/run-vm.sh"), "--kernel", args.kernel, "--module",
         args.module, "--bin", "/usr/bin/dd", "--mem", "512M", "--append", "kunit.enable=0",
         "--timeout", "3600", "--log", str(console), "tests/guest/bench/tbtrace.sh",
         str(args.requests)],
        cwd=TOP, env=env, stdout=subprocess.DEVNULL)
    seen = 0
    windows = []
    while vm.poll() is None:
        time.sleep(0.1)
        if not console.exists():
            continue
        marks = [line.split() for line in console.read_text(errors="replace").splitlines()
                 if line.startswith("TBTRACE ")]
        for mark in marks[seen:]:
            if mark[1] == "start":
                hmp(sock_path, f"logfile {out / (mark[2] + '.trace')}")
                hmp(sock_path, "log exec,nochain")
                windows.append(mark[2])
            elif mark[1] == "end":
                hmp(sock_path, "log nochain")
        seen = len(marks)
    if vm.returncode != 0:
        sys.exit(f"tb-profile: the VM failed ({vm.returncode}); see {console}")
    return console, windows


def symbols(kdir, console):
    """Returns the sorted start addresses and names of the kernel's and modules' functions."""
    syms = []
    with open(pathlib.Path(kdir) / "System.map") as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if kind in "tTwW":
                syms.append((int(addr, 16), name))
    for line in console.read_text(errors="replace").splitlines():
        if line.startswith("TBSYM "):
            fields = line.split()
            if len(fields) >= 5 and fields[2] in "tT":
                syms.append((int(fields[1], 16), f"{fields[3]} {fields[4]}"))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def count(trace, addrs, names):
    """Counts the executed blocks of a trace by function."""
    by_pc = collections.Counter()
    with open(trace, "rb") as f:
        for line in f:
            # "Trace 0: 0x7f... [cs_base/pc/flags/cflags] ..."
            start = line.find(b"/")
            if start >= 0:
                by_pc[line[start + 1:start + 17]] += 1
    by_fn = collections.Counter()
    for pc, n in by_pc.items():
        i = bisect.bisect_right(addrs, int(pc, 16)) - 1
        by_fn[names[i] if i >= 0 else "?"] += n
    return by_fn


def group_of(name):
    for title, prefixes, names in GROUPS:
        if (any(name.startswith(p) for p in prefixes) or name in names
                or any(name.endswith(" " + n) for n in names if n.startswith("["))):
            return title
    return None


def report(counts, requests):
    lines = [f"translated blocks executed per 4 KiB O_DIRECT request, lz4, {requests} requests"
             " per window (tests/guest/bench/tbtrace.sh); a block is a straight run of guest"
             " code, and the functions shown are those whose count differs by 1 or more"]
    for op in ("write", "read"):
        z = counts.get(f"{op}-zram", collections.Counter())
        r = counts.get(f"{op}-rzram", collections.Counter())
        lines.append("")
        lines.append(f"{op}s: per group of functions (zram, rzram)")
        totals = {title: [0, 0] for title, _, _ in GROUPS}
        for side, blocks in enumerate((z, r)):
            for k, v in blocks.items():
                title = group_of(k)
                if title:
                    totals[title][side] += v
        for title, (zs, rs) in totals.items():
            lines.append(f"  {title:42s} {zs / requests:8.1f} {rs / requests:8.1f}")
        # The functions each driver's path runs and the other's does not (at least once per
        # request): the window's background (timer ticks, idle) cancels out.
        zo = sum(v for k, v in z.items() if r.get(k, 0) == 0 and v >= requests) / requests
        ro = sum(v for k, v in r.items() if z.get(k, 0) == 0 and v >= requests) / requests
        lines.append(f"  {'functions only one of them runs':42s} {zo:8.1f} {ro:8.1f}")
        lines.append(f"{op}s: functions, blocks per request (zram, rzram, difference)")
        rows = []
        for k in set(z) | set(r):
            zv, rv = z.get(k, 0) / requests, r.get(k, 0) / requests
            if abs(rv - zv) >= 1 and (group_of(k) or min(zv, rv) == 0):
                rows.append((rv - zv, zv, rv, k))
        rows.sort(key=lambda row: -abs(row[0]))
        for diff, zv, rv, k in rows[:40]:
            lines.append(f"  {zv:8.1f} {rv:8.1f} {diff:+8.1f}  {k[:100]}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", required=True, help="the kernel build directory")
    parser.add_argument("--module", required=True, help="rzram.ko")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--out", default=None, help="where the report goes")
    parser.add_argument("--keep", action="store_true", help="keep the traces")
    args = parser.parse_args()
    out = pathlib.Path(args.out or tempfile.mkdtemp(prefix="tb-profile."))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        console, windows = run_vm(args, out, os.path.join(tmp, "monitor.sock"))
    addrs, names = symbols(args.kernel, console)
    counts = {}
    for name in windows:
        trace = out / f"{name}.trace"
        counts[name] = count(trace, addrs, names)
        if not args.keep:
            trace.unlink()
    text = report(counts, args.requests)
    (out / "tb-profile.txt").write_text(text)
    sys.stdout.write(text)
    print(f"tb-profile: report {out / 'tb-profile.txt'}", file=sys.stderr)


if __name__ == "__main__":
    main()
