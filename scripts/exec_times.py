#!/usr/bin/env python3
"""Times whole-program executions, interleaved, and prints JSON.

    exec_times.py [--rounds N] NAME -- CMD ARGS... [NAME -- CMD ARGS...]...

Each round spawns every command once (posix_spawn, stdout to /dev/null)
and waits for it, so a change in the machine's load during the run falls
on all commands alike. Prints {NAME: {"median": s, "min": s, "runs": N}}.
Used by scripts/bench.sh; see docs/benchmarks.md.
"""
import json
import os
import statistics
import sys
import time


def split(argv):
    """NAME -- CMD... groups: a new group starts at a word followed by `--`."""
    rounds = 1500
    if argv[:1] == ["--rounds"]:
        rounds, argv = int(argv[1]), argv[2:]
    starts = [i for i in range(len(argv) - 1) if argv[i + 1] == "--"]
    if not starts or starts[0] != 0:
        sys.exit("usage: exec_times.py [--rounds N] NAME -- CMD ARGS... [NAME -- CMD ARGS...]...")
    commands = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(argv)
        commands[argv[start]] = argv[start + 2 : end]
    return rounds, commands


def run_once(cmd):
    started = time.perf_counter_ns()
    pid = os.posix_spawn(
        cmd[0], cmd, os.environ,
        file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)],
    )
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter_ns() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"exec_times: {' '.join(cmd)} failed")
    return elapsed


def main():
    rounds, commands = split(sys.argv[1:])
    times = {name: [] for name in commands}
    for _ in range(max(rounds // 20, 10)):  # warm-up
        for cmd in commands.values():
            run_once(cmd)
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(run_once(cmd))
    json.dump(
        {
            name: {
                "median": statistics.median(t) / 1e9,
                "min": min(t) / 1e9,
                "runs": len(t),
            }
            for name, t in times.items()
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
