#!/usr/bin/env bash
# Benchmarks for running an action across a fleet, `waybill validate`,
# over real containers and engines, written up in docs/benchmarks.md
# ("Running actions across a fleet").
#
#   sudo scripts/bench-actions.sh      # prints a Markdown report on stdout
#
# Measures, in one run, on the same running containers of the example
# image (waybill/blocklist:latest; build it with base-image/build.sh, then
# examples/blocklist/build.sh), 30 and then 100 of them on this machine's
# engine:
#   1. `waybill validate` of every container of the run against the seed's
#      way, a sequential loop of `docker exec C container --validate`
#      (target: >= 3x faster);
#   2. against `xargs -P8 docker exec C container --validate` (target:
#      >= 1.5x faster);
#   3. against the engine's own exec floor: the raw exec API calls (create,
#      start attached, inspect) for every container and nothing else, by
#      scripts/exec_floor.py at each concurrency of BENCH_FLOOR_CONCURRENCY,
#      the best of them counting (target: within 1.2x);
#   4. the peak RSS of `waybill` over those runs (wait4, as GNU time
#      reports it);
# then, on 3 testbed engines of 10 containers each (`--hosts-file`, plain
# tcp),
#   5. `waybill validate` over the three against each engine alone, and
#      against one testbed engine of 30 (target: the total approaches the
#      slowest engine, not the sum of the three); then the same with
#      `--per-engine 1`, one exec at a time per engine, which these two
#      cores can absorb.
# `waybill validate` selects the run's containers with `--label`: this is
# `--all` restricted to the benchmark's containers, so that other
# containers on a shared engine are neither touched nor timed.
#
# Wall times come from the interleaved harness scripts/bench_timer.py: one
# warm-up round, then every command once per round, so drift in the
# machine's load falls on all of them alike. The report gives the median
# and the minimum. Each phase's raw timings (JSON) also go to stderr as it
# ends, so a run that fails later still leaves them.
#
# Environment:
#   BENCH_ROUNDS              timed rounds per phase (default 5)
#   BENCH_COUNTS              container counts of the local phase (default
#                             "30 100"; at most 100)
#   BENCH_FLOOR_CONCURRENCY   concurrencies the floor is measured at
#                             (default "2 4 8 16 32")
#   BENCH_PER_ENGINE          also time `waybill validate --per-engine N
#                             --parallel N` for each N given (default none)
#   BENCH_PHASES              which of `local` (1-4) and `fanout` (5) to run
#                             (default "local fanout")
#   BENCH_MAX_SECONDS         stop the run past this (default 1800)
#   WAYBILL_BENCH_IMAGE       image to run (default waybill/blocklist:latest)
#
# Every container is named wbbench-RUN-N and labelled io.waybill.test=1 and
# io.waybill.bench.run=RUN; the testbed is `bfNNNN`. Both are removed on
# exit, whether the run succeeds, fails or is stopped (scripts/bench-lib.sh,
# shared with scripts/bench-fleet.sh). Containers run with --no-healthcheck.
set -euo pipefail

BENCH_NAME=bench-actions
# shellcheck source=bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
export BENCH_ROUNDS=${BENCH_ROUNDS:-5}
bench_init
phases=${BENCH_PHASES:-local fanout}
counts=${BENCH_COUNTS:-30 100}
levels=${BENCH_FLOOR_CONCURRENCY:-2 4 8 16 32}
per_engine=${BENCH_PER_ENGINE:-}
bench_watchdog "${BENCH_MAX_SECONDS:-1800}"

for n in $counts; do
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 100 ] ||
    die "BENCH_COUNTS: $n is not a count from 1 to 100"
done
for k in $levels $per_engine; do
  [[ $k =~ ^[0-9]+$ ]] && [ "$k" -ge 1 ] && [ "$k" -le 64 ] ||
    die "BENCH_FLOOR_CONCURRENCY, BENCH_PER_ENGINE: $k is not a concurrency from 1 to 64"
done

bench_preflight
bench_build_waybill
"$wb" validate --help >/dev/null 2>&1 || die "$wb has no validate command"

# check_validate COUNT ARGS...: `waybill validate ARGS --json` validates
# COUNT of this run's containers, every one done, with no engine error.
check_validate() {
  local want=$1
  shift
  "$wb" validate --label "$label" --json "$@" | python3 -c '
import json, sys
want = int(sys.argv[1])
doc = json.load(sys.stdin)
results = [r for r in doc["results"] if r["action"] == "validate"]
bad = [(r["container"], r["outcome"], r.get("reason")) for r in results if r["outcome"] != "done"]
if len(results) != want or bad or doc.get("engine_errors"):
    errors = doc.get("engine_errors")
    sys.exit(f"bench-actions: validate gave {len(results)} results, not done: {bad}, "
             f"engine errors {errors}; want {want}")
' "$want"
}

ps_ids="docker ps -q --filter label=$label"
validate="$wb validate --label $label"
loop="for c in \$($ps_ids); do docker exec \"\$c\" container --validate || exit 1; done"
xargs8="$ps_ids | xargs -P8 -I{} docker exec {} container --validate"
floor() { # CONCURRENCY [HOST]: the floor command
  echo "python3 $root/scripts/exec_floor.py --concurrency $1 ${2:+--host $2} \$($ps_ids) -- container --validate"
}

local_phase() { # COUNT
  say "timing $1 containers on this machine's engine, $rounds rounds"
  check_validate "$1"
  bash -c "$loop" >/dev/null 2>&1 || die "the exec loop failed"
  [ "$(bash -c "$ps_ids" | wc -l)" = "$1" ] || die "docker ps does not list $1 containers"
  local args=(waybill "$validate") k
  for k in $per_engine; do
    args+=("waybill-pe$k" "$validate --per-engine $k --parallel $k")
  done
  for k in $levels; do
    args+=("=floor-c$k" "$(floor "$k")")
  done
  args+=(exec-loop "$loop" xargs-P8 "$xargs8")
  bench_time "$rounds" "${args[@]}" >"$work/local-$1.json"
  say "timings, $1 containers: $(cat "$work/local-$1.json")"
}

local_phases() {
  local have=0 n
  for n in $counts; do
    if [ "$n" -gt "$have" ]; then
      say "starting containers $((have + 1))-$n of $image (run $run)"
      bench_start "" $((have + 1)) "$n"
      have=$n
    fi
    local_phase "$n"
  done
  say "removing the containers of this machine's engine"
  docker rm -f $(docker ps -aq --filter "label=$label") >/dev/null
}

fanout_phase() {
  bench_testbed_up a b c d
  bench_hosts_file "$work/three.toml" a b c
  bench_start "$(bench_url a)" 1 10
  bench_start "$(bench_url b)" 11 20
  bench_start "$(bench_url c)" 21 30
  bench_start "$(bench_url d)" 31 60
  check_validate 30 --hosts-file "$work/three.toml"
  check_validate 30 -H "$(bench_url d)"
  say "timing the fan-out, $rounds rounds"
  bench_time "$rounds" \
    fanout-3x10 "$validate --hosts-file $work/three.toml" \
    one-a-10 "$validate -H $(bench_url a)" \
    one-b-10 "$validate -H $(bench_url b)" \
    one-c-10 "$validate -H $(bench_url c)" \
    one-d-30 "$validate -H $(bench_url d)" \
    fanout-3x10-pe1 "$validate --per-engine 1 --hosts-file $work/three.toml" \
    one-a-10-pe1 "$validate --per-engine 1 -H $(bench_url a)" \
    one-b-10-pe1 "$validate --per-engine 1 -H $(bench_url b)" \
    one-c-10-pe1 "$validate --per-engine 1 -H $(bench_url c)" >"$work/fanout.json"
  say "timings, fan-out: $(cat "$work/fanout.json")"
  echo "{\"one-a-10\": $(bench_engine_cpu 5 "$validate -H $(bench_url a)" a)," \
    "\"fanout-3x10\": $(bench_engine_cpu 5 "$validate --hosts-file $work/three.toml" a b c)," \
    "\"one-d-30\": $(bench_engine_cpu 5 "$validate -H $(bench_url d)" d)}" >"$work/engine-cpu.json"
  say "engine CPU per run: $(cat "$work/engine-cpu.json")"
}

case " $phases " in *" local "*) local_phases ;; esac
case " $phases " in *" fanout "*) fanout_phase ;; esac

python3 - "$work" "$counts" <<'PY'
import json, os, sys
work, counts = sys.argv[1], [int(n) for n in sys.argv[2].split()]
def ms(t): return f"{t['median']*1e3:.0f} ms ({t['min']*1e3:.0f} ms)"
def ratio(a, b): return f"{a['median']/b['median']:.2f}x ({a['min']/b['min']:.2f}x)"
def judge(ok): return "met" if ok else "MISSED"
def mib(kib): return f"{kib / 1024:.1f} MiB"
rss = {}
locals_ = [n for n in counts if os.path.exists(f"{work}/local-{n}.json")]
if locals_:
    print("| containers | command | median (min) | ratio, median (min) | target |")
    print("| --- | --- | --- | --- | --- |")
for n in locals_:
    t = json.load(open(f"{work}/local-{n}.json"))
    wb = t["waybill"]
    rss[f"{n} containers, this machine's engine"] = wb["max_rss_kib"]
    floors = {k: v for k, v in t.items() if k.startswith("floor-c")}
    best = min(floors, key=lambda k: floors[k]["median"])
    loop, xargs = t["exec-loop"], t["xargs-P8"]
    print(f"| {n} | `waybill validate` | {ms(wb)} | 1 | |")
    for k in sorted((k for k in t if k.startswith("waybill-pe")), key=lambda k: int(k[len("waybill-pe"):])):
        pe = k[len("waybill-pe"):]
        print(f"| {n} | `waybill validate --per-engine {pe} --parallel {pe}` | {ms(t[k])} | "
              f"{ratio(t[k], wb)} the default | |")
    print(f"| {n} | exec loop, `docker exec C container --validate` | {ms(loop)} | "
          f"waybill is {ratio(loop, wb)} faster | >= 3x: {judge(loop['median'] / wb['median'] >= 3)} |")
    print(f"| {n} | `xargs -P8 docker exec` | {ms(xargs)} | "
          f"waybill is {ratio(xargs, wb)} faster | >= 1.5x: {judge(xargs['median'] / wb['median'] >= 1.5)} |")
    for k in sorted(floors, key=lambda k: int(k[len("floor-c"):])):
        mark = " (best)" if k == best else ""
        target = (f"<= 1.2x: {judge(wb['median'] / floors[k]['median'] <= 1.2)}" if k == best else "")
        print(f"| {n} | raw exec API floor, {k[len('floor-c'):]} at a time{mark} | {ms(floors[k])} | "
              f"waybill is {ratio(wb, floors[k])} this | {target} |")
if os.path.exists(f"{work}/fanout.json"):
    f = json.load(open(f"{work}/fanout.json"))
    rss["3 engines of 10 (fan-out)"] = f["fanout-3x10"]["max_rss_kib"]
    print()
    print("| engines | command | median (min) | ratio, median (min) | target |")
    print("| --- | --- | --- | --- | --- |")
    for suffix, flag in (("", ""), ("-pe1", " --per-engine 1")):
        singles = [f"one-{e}-10{suffix}" for e in "abc"]
        fan = f[f"fanout-3x10{suffix}"]
        slowest = max(f[s]["median"] for s in singles)
        slowest_min = max(f[s]["min"] for s in singles)
        total = sum(f[s]["median"] for s in singles)
        total_min = sum(f[s]["min"] for s in singles)
        for s in singles:
            print(f"| 1 of 10 | `waybill validate{flag} -H tcp://{s[4]}` | {ms(f[s])} | | |")
        print(f"| 3 of 10 | `waybill validate{flag} --hosts-file` (fan-out) | {ms(fan)} | "
              f"{fan['median']/slowest:.2f}x ({fan['min']/slowest_min:.2f}x) the slowest engine, "
              f"{fan['median']/total:.2f}x ({fan['min']/total_min:.2f}x) the sum | "
              f"nearer the slowest than the sum: {judge(fan['median'] - slowest < total - fan['median'])} |")
        if not suffix:
            print(f"| 1 of 30 | `waybill validate -H tcp://d` | {ms(f['one-d-30'])} | "
                  f"fan-out is {ratio(fan, f['one-d-30'])} this | |")
    cpu = json.load(open(f"{work}/engine-cpu.json"))
    print()
    print("| run | engine CPU per run (dockerd user + system) |")
    print("| --- | --- |")
    print(f"| `waybill validate -H tcp://a`, 1 engine of 10 | {cpu['one-a-10']} ms |")
    print(f"| `waybill validate --hosts-file`, 3 engines of 10 | {cpu['fanout-3x10']} ms, summed over the three |")
    print(f"| `waybill validate -H tcp://d`, 1 engine of 30 | {cpu['one-d-30']} ms |")
if rss:
    print()
    print("| `waybill validate` over | peak RSS (largest of all rounds) |")
    print("| --- | --- |")
    for what, kib in rss.items():
        print(f"| {what} | {kib} KiB ({mib(kib)}) |")
PY
