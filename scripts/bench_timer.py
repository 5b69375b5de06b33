#!/usr/bin/env python3
"""The interleaved harness of the fleet benchmarks (scripts/bench-fleet.sh,
scripts/bench-actions.sh); see docs/benchmarks.md.

    bench_timer.py ROUNDS NAME CMD [NAME CMD]...

Each CMD is a bash command line, run with stdout and stderr to /dev/null.
One warm-up round, then ROUNDS rounds of every command once, in order, so
drift in the machine's load falls on all of them alike. A failing command
fails the harness.

A NAME that starts with `=` is self-timed: its command prints
`elapsed=SECONDS` as its last line of stdout, and that figure is taken
instead of the wall time of the whole process (scripts/exec_floor.py does
this, so that its own start-up is not counted). The `=` is not part of the
name in the output.

Prints JSON {NAME: {"median": s, "min": s, "runs": N, "max_rss_kib": K}},
where max_rss_kib is the largest peak resident set size of the command's
process over all rounds (from wait4, as GNU time reports it; bash execs a
simple command, so for one that is the program itself).
"""
import json
import os
import statistics
import subprocess
import sys
import time


def once(name, cmd, self_timed):
    started = time.perf_counter_ns()
    proc = subprocess.Popen(
        ["bash", "-c", cmd],
        stdout=subprocess.PIPE if self_timed else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = proc.stdout.read() if self_timed else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = (time.perf_counter_ns() - started) / 1e9
    # wait4 reaped it; tell Popen so it does not try again.
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench-timer: {name} exited {proc.returncode}: {cmd}")
    if self_timed:
        lines = out.decode(errors="replace").strip().splitlines()
        if not lines or not lines[-1].startswith("elapsed="):
            sys.exit(f"bench-timer: {name} printed no elapsed= line: {cmd}")
        elapsed = float(lines[-1].split("=", 1)[1])
    return elapsed, usage.ru_maxrss


def main():
    rounds = int(sys.argv[1])
    raw_names, cmds = sys.argv[2::2], sys.argv[3::2]
    if not raw_names or len(raw_names) != len(cmds):
        sys.exit("usage: bench_timer.py ROUNDS NAME CMD [NAME CMD]...")
    entries = [(n.lstrip("="), n.startswith("="), c) for n, c in zip(raw_names, cmds)]
    times = {n: [] for n, _, _ in entries}
    rss = {n: 0 for n, _, _ in entries}
    for name, self_timed, cmd in entries:  # warm-up
        once(name, cmd, self_timed)
    for r in range(rounds):
        for name, self_timed, cmd in entries:
            elapsed, maxrss = once(name, cmd, self_timed)
            times[name].append(elapsed)
            rss[name] = max(rss[name], maxrss)
        print(f"bench: round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    json.dump(
        {
            n: {
                "median": statistics.median(t),
                "min": min(t),
                "runs": len(t),
                "max_rss_kib": rss[n],
            }
            for n, t in times.items()
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
