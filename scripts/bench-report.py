#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the console logs of a benchmark run (scripts/bench.sh) into a report and a plot.

Reads the BENCH-* lines that tests/guest/bench/fio.sh prints, and the tables of
tests/guest/bench/swap.sh and memory.sh, and writes:
  report.txt      the tables: per fio case the medians of both drivers, the median of the
                  per-round ratios rzram/zram with its spread, p99 latencies and memory; the
                  swap and fixed-memory results; each goal of the benchmark with its status
  fio-table.md    the fio table in Markdown
  fio-rounds.csv  every round of every case, for other tools
  ratios.svg      the per-case ratios with their min-max spread, a line at 1.0
The report is printed too. Python's standard library only.

Usage: bench-report.py --out DIR [--fio LOG] [--swap LOG] [--memory LOG] [--title TEXT]
(DIR/run.txt, when there, heads the report.)
"""

import argparse
import html
import os
import re
import statistics
import sys

FIO_RE = re.compile(
    r"^BENCH-FIO (\S+) (\d+) (zram|rzram) ([0-9.]+) (IOPS|MiB/s) ([0-9.]+)$")
MEM_RE = re.compile(r"^BENCH-MEM (\S+) (zram|rzram) (\d+) (\d+) (\d+)$")
SWAP_RE = re.compile(
    r"^(\d+)\s+(zram|rzram)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9.]+)$")
MEMORY_RE = re.compile(
    r"^(\S+)\s+(.+?)\s+(\d+) \[(\d+)-(\d+)\]\s+(\d+) \[(\d+)-(\d+)\]\s+([0-9.]+)$")
KERNEL_RE = re.compile(r"^\[ *\d+\.\d+\]")
SPDX = "# SPDX-License-Identifier: GPL-2.0"

RW_NAMES = {"randread": "rand read", "randwrite": "rand write",
            "randrw": "rand rw 70/30", "read": "seq read", "write": "seq write"}
DATA_NAMES = {"c0": "0 %", "c50": "50 %", "c75": "75 %", "zero": "zeros"}
ENGINE_NAMES = {"psync1": "psync 1 job", "psync2": "psync 2 jobs",
                "uring32": "io_uring qd32"}


def lines(path):
    """The console lines of a log, without carriage returns."""
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\r\n") for line in f]


def guest_output(path):
    """What the guest script printed: the console without kernel and QEMU lines."""
    out = []
    for line in lines(path):
        if KERNEL_RE.match(line) or line.startswith("RZRAM-GUEST-EXIT") or not line.strip():
            continue
        out.append(line)
    return out


def label(case, aio_note):
    """A readable name for a case id such as randread:4k:c50:psync1:lz4."""
    rw, bs, data, engine, algo = case.split(":")
    eng = ENGINE_NAMES.get(engine, engine)
    if engine == "uring32" and aio_note:
        eng = "posixaio qd32"
    return f"{bs.upper().replace('K', ' KiB')} {RW_NAMES.get(rw, rw)}, {DATA_NAMES.get(data, data)}," \
        f" {eng}, {algo}"


def goal(case):
    """The performance goal for a case: (minimum ratio rzram/zram, text)."""
    rw, _bs, data, _engine, _algo = case.split(":")
    if data == "zero":
        return 1.10, ">= 1.10 (same-filled)"
    if rw in ("randwrite", "read", "write"):
        return 1.10, ">= 1.10"
    if rw == "randread":
        return 1.00, ">= 1.00"
    return 1.00, ">= 1.00 (none stated)"


def spread(values):
    return statistics.median(values), min(values), max(values)


def fio_results(path):
    """Per case, in order: rounds {n: {drv: (tput, unit, p99)}} and memory {drv: (...)}."""
    cases = {}
    info = []
    aio_note = False
    for line in lines(path):
        if line.startswith("BENCH-INFO ") or line.startswith("BENCH-DONE "):
            info.append(line.split(" ", 1)[1])
        if line.startswith("BENCH-NOTE "):
            info.append(line.split(" ", 1)[1])
            aio_note = aio_note or "posixaio" in line
        m = FIO_RE.match(line)
        if m:
            case, rnd, drv = m.group(1), int(m.group(2)), m.group(3)
            c = cases.setdefault(case, {"rounds": {}, "mem": {}})
            c["rounds"].setdefault(rnd, {})[drv] = (
                float(m.group(4)), m.group(5), float(m.group(6)))
        m = MEM_RE.match(line)
        if m:
            c = cases.setdefault(m.group(1), {"rounds": {}, "mem": {}})
            c["mem"][m.group(2)] = tuple(int(x) for x in m.group(3, 4, 5))
    rows = []
    for case, c in cases.items():
        pairs = [r for _, r in sorted(c["rounds"].items()) if "zram" in r and "rzram" in r]
        if not pairs or any(p["zram"][0] <= 0 for p in pairs):
            continue
        ratios = [p["rzram"][0] / p["zram"][0] for p in pairs]
        rows.append({
            "case": case,
            "label": label(case, aio_note),
            "unit": pairs[0]["zram"][1],
            "rounds": pairs,
            "zram": statistics.median(p["zram"][0] for p in pairs),
            "rzram": statistics.median(p["rzram"][0] for p in pairs),
            "ratio": spread(ratios),
            "p99": (statistics.median(p["zram"][2] for p in pairs),
                    statistics.median(p["rzram"][2] for p in pairs)),
            "mem": c["mem"],
            "goal": goal(case),
        })
    return rows, info


def swap_results(path):
    """Per round: zram ms, rzram ms, and the context switches per page swapped out."""
    rounds = {}
    for line in guest_output(path):
        m = SWAP_RE.match(line.strip())
        if m:
            rounds.setdefault(int(m.group(1)), {})[m.group(2)] = (
                int(m.group(3)), int(m.group(4)), float(m.group(6)))
    return [r for _, r in sorted(rounds.items()) if "zram" in r and "rzram" in r]


def memory_results(path):
    rows = []
    for line in guest_output(path):
        m = MEMORY_RE.match(line.strip())
        if m:
            rows.append({"size": m.group(1), "algos": m.group(2), "zram": int(m.group(3)),
                         "rzram": int(m.group(6)), "ratio": float(m.group(9))})
    return rows


def fmt_spread(s):
    return f"{s[0]:.2f} [{s[1]:.2f}-{s[2]:.2f}]"


def fio_table(rows):
    out = []
    head = (f"{'case':<46} {'zram':>9} {'rzram':>9} {'unit':<5}  {'rzram/zram [min-max]':<20}"
            f" {'p99 us zram/rzram':>18} {'mem rzram/zram':>14}  goal")
    out.append(head)
    out.append("-" * len(head))
    for r in rows:
        mz, mr = r["mem"].get("zram"), r["mem"].get("rzram")
        mem = f"{mr[2] / mz[2]:.2f}" if mz and mr and mz[2] else "-"
        met = "met" if r["ratio"][0] >= r["goal"][0] else \
            f"missed by {r['goal'][0] - r['ratio'][0]:.2f}"
        p99 = f"{r['p99'][0]:.0f}/{r['p99'][1]:.0f}"
        zfmt = "{:9.0f}" if r["unit"] == "IOPS" else "{:9.1f}"
        out.append(f"{r['label']:<46} {zfmt.format(r['zram'])} {zfmt.format(r['rzram'])}"
                   f" {r['unit']:<5}  {fmt_spread(r['ratio']):<20} {p99:>18} {mem:>14}"
                   f"  {r['goal'][1]}: {met}")
    return out


def fio_markdown(rows):
    """The fio table in Markdown, for the README."""
    out = ["| case | zram | rzram | rzram/zram median [min-max] | p99 us zram/rzram | goal |",
           "|---|---:|---:|---|---:|---|"]
    for r in rows:
        unit = "IOPS" if r["unit"] == "IOPS" else "MiB/s"
        z = f"{r['zram']:.0f}" if unit == "IOPS" else f"{r['zram']:.1f}"
        rz = f"{r['rzram']:.0f}" if unit == "IOPS" else f"{r['rzram']:.1f}"
        met = "met" if r["ratio"][0] >= r["goal"][0] else \
            f"missed by {r['goal'][0] - r['ratio'][0]:.2f}"
        out.append(f"| {r['label']} | {z} {unit} | {rz} {unit} | {fmt_spread(r['ratio'])} |"
                   f" {r['p99'][0]:.0f}/{r['p99'][1]:.0f} | {r['goal'][1]}: {met} |")
    return out


def goals(rows, swap, memory):
    """The goals of the benchmark with their status in this run."""
    out = []

    def status(name, picked, ok, worst):
        if not picked:
            out.append(f"- {name}: not measured in this run")
            return
        out.append(f"- {name}: {'met' if ok else 'missed'} ({worst})")

    def ratio_goal(name, pred, minimum):
        picked = [r for r in rows if pred(r["case"].split(":"))]
        worst = min(picked, key=lambda r: r["ratio"][0]) if picked else None
        ok = bool(picked) and all(r["ratio"][0] >= minimum for r in picked)
        text = ""
        if worst:
            text = f"lowest median {worst['ratio'][0]:.2f} on {worst['label']}; " \
                f"{sum(r['ratio'][0] >= minimum for r in picked)}/{len(picked)} cases >= {minimum:.2f}"
        status(name, picked, ok, text)

    ratio_goal("4 KiB random writes >= 1.10x at 0/50/75 %",
               lambda c: c[0] == "randwrite" and c[1] == "4k" and c[2] != "zero", 1.10)
    ratio_goal("4 KiB random reads >= 1.00x",
               lambda c: c[0] == "randread" and c[1] == "4k" and c[2] != "zero", 1.00)
    ratio_goal("64 KiB sequential >= 1.10x both ways",
               lambda c: c[0] in ("read", "write") and c[2] != "zero", 1.10)
    ratio_goal("same-filled (zero) pages >= 1.10x", lambda c: c[2] == "zero", 1.10)
    worse = [r for r in rows if r["p99"][1] > r["p99"][0]]
    if rows:
        w = max(rows, key=lambda r: r["p99"][1] / max(r["p99"][0], 1e-9))
        status("p99 latency no worse than zram's", rows, not worse,
               f"rzram's p99 no worse in {len(rows) - len(worse)}/{len(rows)} cases; worst rzram/zram "
               f"{w['p99'][1] / max(w['p99'][0], 1e-9):.2f} on {w['label']}")
    else:
        status("p99 latency no worse than zram's", rows, False, "")
    pool = [(r, r["mem"]["rzram"][2] / r["mem"]["zram"][2]) for r in rows
            if "zram" in r["mem"] and "rzram" in r["mem"] and r["mem"]["zram"][2]]
    if pool:
        worst = max(pool, key=lambda p: p[1])
        status("pool memory per stored page <= zram's", pool, worst[1] <= 1.0,
               f"mem_used_total rzram/zram after the fill: at most {worst[1]:.3f}")
    else:
        status("pool memory per stored page <= zram's", pool, False, "")
    if swap:
        tr = spread([s["rzram"][0] / s["zram"][0] for s in swap])
        dz = statistics.median(s["zram"][2] for s in swap)
        dr = statistics.median(s["rzram"][2] for s in swap)
        status("swap time <= zram's", swap, tr[0] <= 1.0,
               f"time rzram/zram {fmt_spread(tr)}")
        status("swap context switches per page out within 0.1 of zram's", swap,
               dr - dz <= 0.1, f"zram {dz:.3f}, rzram {dr:.3f}")
    else:
        status("swap time <= zram's", swap, False, "")
    if memory:
        worst = max(memory, key=lambda m: m["ratio"])
        status("fixed memory of an initialised device <= zram's", memory, worst["ratio"] <= 1.0,
               f"worst rzram/zram {worst['ratio']:.2f} at {worst['size']} with {worst['algos']}")
    else:
        status("fixed memory of an initialised device <= zram's", memory, False, "")
    return out


def subtitle(info, run):
    """The plot's second line: when, on what, how many rounds."""
    fields = {}
    for i in info:
        if i.startswith("fio "):
            words = i.split()
            fields = dict(zip(words[::2], words[1::2]))
    date = ""
    if run and run[0].startswith("date: "):
        date = run[0][len("date: "):].split(",")[0] + ", "
    if not fields:
        return date.rstrip(", ")
    return (f"{date}Linux {fields.get('kernel', '?')}, {fields.get('cpus', '?')} vCPUs, "
            f"QEMU TCG on a shared host, {fields.get('rounds', '?')} interleaved rounds of "
            f"{fields.get('runtime', '?')} per case, {fields.get('fio', 'fio')}")


def svg_plot(rows, swap, title, subtitle):
    """Horizontal dot plot: per case the median ratio and its min-max whisker."""
    items = [(r["label"], r["ratio"], r["goal"][0]) for r in rows]
    if swap:
        items.append(("swap, memhog in a 48 MiB cgroup (zram/rzram time)",
                      spread([s["zram"][0] / s["rzram"][0] for s in swap]), 1.0))
    left, right, top, row_h = 390, 40, 78, 22
    width = 1000
    plot_w = width - left - right
    height = top + row_h * max(len(items), 1) + 70
    hi = max([1.5] + [it[1][2] for it in items]) * 1.05
    lo = 0.0

    def x(v):
        return left + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    e = html.escape
    out = [f'<!-- {SPDX[2:]}: written by scripts/bench-report.py -->',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
           f'font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" '
           f'font-weight="bold">{e(title)}</text>',
           f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#444">{e(subtitle)}</text>',
           f'<text x="{width / 2}" y="56" text-anchor="middle" fill="#444">right of the 1.0 line: '
           f'rzram faster; dot: median of the per-round ratios, whisker: min-max</text>']
    bottom = top + row_h * len(items)
    step = 0.25 if hi <= 2.5 else 0.5
    t = 0.0
    while t <= hi + 1e-9:
        out.append(f'<line x1="{x(t):.1f}" y1="{top - 6}" x2="{x(t):.1f}" y2="{bottom}" '
                   f'stroke="#e4e4e4"/>')
        out.append(f'<text x="{x(t):.1f}" y="{bottom + 16}" text-anchor="middle" '
                   f'fill="#444">{t:.2f}</text>')
        t += step
    out.append(f'<text x="{left + plot_w / 2}" y="{bottom + 34}" text-anchor="middle">'
               'throughput ratio rzram / zram (interleaved rounds, same VM)</text>')
    for i, (name, (med, mn, mx), want) in enumerate(items):
        y = top + row_h * i + row_h / 2
        if i % 2:
            out.append(f'<rect x="0" y="{y - row_h / 2}" width="{width}" height="{row_h}" '
                       f'fill="#f6f6f6"/>')
        color = "#1a9641" if med >= want else ("#fdae61" if med >= 1.0 else "#d7191c")
        out.append(f'<text x="{left - 10}" y="{y + 4}" text-anchor="end">{e(name)}</text>')
        out.append(f'<line x1="{x(want):.1f}" y1="{y - 7}" x2="{x(want):.1f}" y2="{y + 7}" '
                   f'stroke="#888" stroke-dasharray="2,2"/>')
        out.append(f'<line x1="{x(mn):.1f}" y1="{y}" x2="{x(mx):.1f}" y2="{y}" '
                   f'stroke="{color}" stroke-width="2"/>')
        for v in (mn, mx):
            out.append(f'<line x1="{x(v):.1f}" y1="{y - 5}" x2="{x(v):.1f}" y2="{y + 5}" '
                       f'stroke="{color}" stroke-width="2"/>')
        out.append(f'<circle cx="{x(med):.1f}" cy="{y}" r="5" fill="{color}"/>')
        out.append(f'<text x="{min(x(mx) + 8, width - 4):.1f}" y="{y + 4}" '
                   f'fill="#333" font-size="11">{med:.2f}</text>')
    out.append(f'<line x1="{x(1.0):.1f}" y1="{top - 10}" x2="{x(1.0):.1f}" y2="{bottom}" '
               f'stroke="black" stroke-width="1.5"/>')
    ly = bottom + 54
    legend = [("#1a9641", "goal met"), ("#fdae61", "faster than zram, goal missed"),
              ("#d7191c", "slower than zram")]
    lx = left
    for color, text in legend:
        out.append(f'<circle cx="{lx}" cy="{ly - 4}" r="5" fill="{color}"/>')
        out.append(f'<text x="{lx + 10}" y="{ly}">{e(text)}</text>')
        lx += 30 + 7 * len(text)
    out.append(f'<line x1="{lx}" y1="{ly - 10}" x2="{lx}" y2="{ly + 2}" stroke="#888" '
               f'stroke-dasharray="2,2"/>')
    out.append(f'<text x="{lx + 8}" y="{ly}">the goal of the case</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def icount_table(path):
    """Instructions per request from tests/guest/bench/icount.sh: the median over the rounds
    of each figure for each driver, and rzram's excess over zram."""
    per = {}
    order = []
    for line in guest_output(path):
        if not line.startswith("ICOUNT "):
            continue
        fields = dict(f.split("=", 1) for f in line.split()[1:])
        drv = fields.pop("drv")
        fields.pop("round")
        for name, value in fields.items():
            if name not in order:
                order.append(name)
            per.setdefault(name, {}).setdefault(drv, []).append(float(value))
    out = [f"  {'request':<11} {'zram':>8} {'rzram':>8} {'excess':>8} {'ratio':>6}  (rounds)"]
    for name in order:
        z = per[name].get("zram", [])
        r = per[name].get("rzram", [])
        if not z or not r:
            continue
        mz, mr = statistics.median(z), statistics.median(r)
        out.append(f"  {name:<11} {mz:>8g} {mr:>8g} {mr - mz:>+8g} {mr / mz:>6.2f}"
                   f"  ({len(r)}, spread {min(r):g}-{max(r):g})")
    return out


def stage_lines(path):
    """The lines of the KUnit suite rzram_bench, without the kernel's prefixes."""
    out = []
    for line in lines(path):
        i = line.find("rzram_bench: ")
        if i >= 0:
            out.append("  " + line[i + len("rzram_bench: "):])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--out", required=True, help="directory for the report and the plot")
    ap.add_argument("--fio", help="console log of tests/guest/bench/fio.sh")
    ap.add_argument("--swap", help="console log of tests/guest/bench/swap.sh")
    ap.add_argument("--memory", help="console log of tests/guest/bench/memory.sh")
    ap.add_argument("--icount", help="console log of tests/guest/bench/icount.sh")
    ap.add_argument("--stages", help="console log of the KUnit suite rzram_bench")
    ap.add_argument("--title", default="rzram against zram", help="the plot's title")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rows, info = fio_results(args.fio)
    swap = swap_results(args.swap)
    memory = memory_results(args.memory)
    report = []
    run = os.path.join(args.out, "run.txt")
    if os.path.exists(run):
        report.extend(lines(run))
    if args.fio:
        report.append("fio: " + "; ".join(info))
        report.append("throughput: the median over the rounds; ratio: the median of the"
                      " per-round ratios rzram/zram [min-max]; p99: the completion latency,"
                      " median over the rounds; mem: mem_used_total after the fill")
        report.extend(fio_table(rows))
        report.append("")
    if args.swap:
        report.append("swap (tests/guest/bench/swap.sh):")
        report.extend("  " + line for line in guest_output(args.swap))
        report.append("")
    if args.memory:
        report.append("fixed memory (tests/guest/bench/memory.sh):")
        report.extend("  " + line for line in guest_output(args.memory))
        report.append("")
    if args.icount:
        report.append("instructions per 4 KiB O_DIRECT request, lz4 (tests/guest/bench/icount.sh,"
                      " QEMU -icount: 1 guest ns = 1 instruction; median over the rounds):")
        report.extend(icount_table(args.icount))
        report.append("")
    if args.stages:
        report.append("instructions per page for each stage, driver and kernel floor (KUnit"
                      " rzram_bench, tests/kunit/bench.rs, under -icount):")
        report.extend(stage_lines(args.stages))
        report.append("")
    report.append("performance goals (ratios against the C zram in the same VM run):")
    report.extend(goals(rows, swap, memory))
    text = "\n".join(report) + "\n"
    with open(os.path.join(args.out, "report.txt"), "w", encoding="utf-8") as f:
        f.write(f"{SPDX} (written by scripts/bench-report.py)\n{text}")
    sys.stdout.write(text)

    if rows:
        with open(os.path.join(args.out, "fio-table.md"), "w", encoding="utf-8") as f:
            f.write(f"<!-- {SPDX[2:]}: written by scripts/bench-report.py -->\n")
            f.write("\n".join(fio_markdown(rows)) + "\n")
    with open(os.path.join(args.out, "fio-rounds.csv"), "w", encoding="utf-8") as f:
        f.write(f"{SPDX} (written by scripts/bench-report.py)\n")
        f.write("case,round,driver,throughput,unit,p99_us\n")
        for r in rows:
            for n, p in enumerate(r["rounds"], 1):
                for drv in ("zram", "rzram"):
                    f.write(f"{r['case']},{n},{drv},{p[drv][0]},{p[drv][1]},{p[drv][2]}\n")
    if rows or swap:
        sub = subtitle(info, lines(run))
        with open(os.path.join(args.out, "ratios.svg"), "w", encoding="utf-8") as f:
            f.write(svg_plot(rows, swap, args.title, sub))


if __name__ == "__main__":
    main()
