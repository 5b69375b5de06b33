#!/usr/bin/env bash
# Benchmarks for `waybill ls` over real containers and engines, written up
# in docs/benchmarks.md ("Listing a fleet").
#
#   scripts/bench-fleet.sh      # as root; prints a Markdown report on stdout
#
# Measures, in one run, on the same running containers of the example
# image (waybill/blocklist:latest; build it with base-image/build.sh, then
# examples/blocklist/build.sh):
#   1. `waybill ls --json` against the seed's way, a shell loop of
#      `docker exec C container --metadata --json` (target: >= 50x faster
#      on 30 containers);
#   2. `waybill ls --json` against the engine's own floor, `docker ps` and
#      one `docker inspect` of all those containers (target: within 2x);
#   3. `waybill ls --state --json` against the same exec loop and against
#      `xargs -P8 docker exec` (the ratio is reported);
#   1-3 on 30, then on 100 containers of this machine's engine;
#   4. `waybill ls` over 3 testbed engines of 10 containers each
#      (`--hosts-file`, plain tcp) against each of those engines alone and
#      against one testbed engine of 30 (target: the fan-out costs no more
#      than the slowest engine).
# Wall times come from an interleaved harness (scripts/bench_timer.py, like
# scripts/exec_times.py with one warm-up round, since one round of the exec
# loop takes seconds):
# each round runs every command once, so drift in the machine's load falls
# on all of them alike. The report gives the median and the minimum.
#
# Environment:
#   BENCH_ROUNDS         timed rounds per phase (default 7)
#   WAYBILL_BENCH_IMAGE  image to run (default waybill/blocklist:latest)
#   BENCH_PHASES         which of `local` (1-3) and `fanout` (4) to run
#                        (default "local fanout")
# Each phase's raw timings (JSON) also go to stderr as it ends, so a run
# that fails later still leaves them.
#
# Every container is named wbbench-RUN-N and labelled io.waybill.test=1 and
# io.waybill.bench.run=RUN; the testbed is `bfNNNN`. Both are removed on
# exit, whether the run succeeds or fails (scripts/bench-lib.sh, shared
# with scripts/bench-actions.sh). Containers run with --no-healthcheck: the
# image's one-second HEALTHCHECK on 100 containers would be 100 execs a
# second on this 2-core machine, and the benchmark would measure the health
# checks instead of `ls`.
set -euo pipefail

BENCH_NAME=bench-fleet
# shellcheck source=bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
bench_init
phases=${BENCH_PHASES:-local fanout}
bench_preflight
bench_build_waybill

# check_ls COUNT ARGS...: `waybill ls ARGS --json` lists COUNT of this run's
# containers, every one described from its labels, no error row, no engine error.
check_ls() {
  local want=$1
  shift
  "$wb" ls --label "$label" --json "$@" | python3 -c '
import json, sys
want = int(sys.argv[1])
doc = json.load(sys.stdin)
rows = doc["rows"]
bad = [r for r in rows if r["error"] or r["source"] != "labels"]
if len(rows) != want or bad or doc.get("engine_errors"):
    sys.exit(f"bench-fleet: ls gave {len(rows)} rows, {len(bad)} not from the label, "
             f"engine errors {doc.get('engine_errors')}; want {want}")
' "$want"
}

ps_ids="docker ps -q --filter label=$label"
loop="for c in \$($ps_ids); do docker exec \"\$c\" container --metadata --json; done"
xargs8="$ps_ids | xargs -P8 -I{} docker exec {} container --metadata --json"
floor="docker inspect \$($ps_ids)"
ls_json="$wb ls --label $label --json"
ls_state="$wb ls --label $label --state --json"

local_phase() { # COUNT
  say "timing $1 containers on this machine's engine, $rounds rounds"
  check_ls "$1"
  [ "$(bash -c "$loop" | grep -c '"schema_version"' || true)" -ge "$1" ] ||
    die "the exec loop did not print a record for every container"
  bench_time "$rounds" \
    ls-json "$ls_json" floor "$floor" ls-state "$ls_state" \
    exec-loop "$loop" xargs-P8 "$xargs8" >"$work/local-$1.json"
  say "timings, $1 containers: $(cat "$work/local-$1.json")"
}

# The engines' own CPU per listing (utime + stime of the testbed dockerds,
# over 20 listings): on one 2-core machine the three engines of the
# fan-out share the cores that separate hosts would not.
engine_cpu() { bench_engine_cpu 20 "$@"; }
url() { bench_url "$@"; }

local_phases() {
  say "starting 30 containers of $image (run $run)"
  bench_start "" 1 30
  local_phase 30
  say "starting 70 more"
  bench_start "" 31 100
  local_phase 100
  say "removing the 100 containers of this machine's engine"
  docker rm -f $(docker ps -aq --filter "label=$label") >/dev/null
}

fanout_phase() {
  bench_testbed_up a b c d
  bench_hosts_file "$work/three.toml" a b c
  bench_start "$(url a)" 1 10
  bench_start "$(url b)" 11 20
  bench_start "$(url c)" 21 30
  bench_start "$(url d)" 31 60
  check_ls 30 --hosts-file "$work/three.toml"
  check_ls 30 -H "$(url d)"
  # The engines' own floor for the same question: the one API call a
  # listing needs (GET /containers/json, filtered by the run's label), to
  # one engine and to three at once, by curl. If three at once cost the
  # engines as much more than one as the fan-out costs waybill, the bound
  # is the engines sharing this machine's cores, not the client.
  local filter query raw3
  filter=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":[sys.argv[1]]})))' "$label")
  query="containers/json?all=1&filters=$filter"
  raw() { echo "curl -sf -o /dev/null \"http://${1#tcp://}/$query\""; }
  raw3="sh -c '$(raw "$(url a)") & a=\$!; $(raw "$(url b)") & b=\$!; $(raw "$(url c)") & c=\$!; wait \$a && wait \$b && wait \$c'"
  say "timing the fan-out, $rounds rounds"
  bench_time "$rounds" \
    raw-3x10 "$raw3" \
    raw-a-10 "$(raw "$(url a)")" \
    raw-b-10 "$(raw "$(url b)")" \
    raw-c-10 "$(raw "$(url c)")" \
    fanout-3x10 "$wb ls --label $label --hosts-file $work/three.toml" \
    one-a-10 "$wb ls --label $label -H $(url a)" \
    one-b-10 "$wb ls --label $label -H $(url b)" \
    one-c-10 "$wb ls --label $label -H $(url c)" \
    one-d-30 "$wb ls --label $label -H $(url d)" >"$work/fanout.json"
  say "timings, fan-out: $(cat "$work/fanout.json")"
  echo "{\"one-a-10\": $(engine_cpu "$wb ls --label $label -H $(url a)" a)," \
    "\"fanout-3x10\": $(engine_cpu "$wb ls --label $label --hosts-file $work/three.toml" a b c)," \
    "\"one-d-30\": $(engine_cpu "$wb ls --label $label -H $(url d)" d)}" >"$work/engine-cpu.json"
  say "engine CPU per listing: $(cat "$work/engine-cpu.json")"
}

case " $phases " in *" local "*) local_phases ;; esac
case " $phases " in *" fanout "*) fanout_phase ;; esac

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def ms(t): return f"{t['median']*1e3:.0f} ms ({t['min']*1e3:.0f} ms)"
def ratio(a, b): return f"{a['median']/b['median']:.2f}x ({a['min']/b['min']:.2f}x)"
def judge(ok): return "met" if ok else "MISSED"
print("| containers | command | median (min) | ratio, median (min) | target |")
print("| --- | --- | --- | --- | --- |")
import os
for n in (30, 100):
    if not os.path.exists(f"{work}/local-{n}.json"):
        continue
    t = json.load(open(f"{work}/local-{n}.json"))
    ls, st = t["ls-json"], t["ls-state"]
    loop_ratio = t["exec-loop"]["median"] / ls["median"]
    floor_ratio = ls["median"] / t["floor"]["median"]
    print(f"| {n} | `waybill ls --json` | {ms(ls)} | 1 | |")
    print(f"| {n} | `docker ps` + one `docker inspect` (floor) | {ms(t['floor'])} | ls is {ratio(ls, t['floor'])} the floor | "
          f"<= 2x: {judge(floor_ratio <= 2)} |")
    print(f"| {n} | exec loop, `docker exec C container --metadata --json` | {ms(t['exec-loop'])} | ls is {ratio(t['exec-loop'], ls)} faster | "
          + (f">= 50x: {judge(loop_ratio >= 50)} |" if n == 30 else "|"))
    print(f"| {n} | `waybill ls --state --json` | {ms(st)} | loop / ls --state {ratio(t['exec-loop'], st)} | report |")
    print(f"| {n} | `xargs -P8 docker exec` | {ms(t['xargs-P8'])} | xargs / ls --state {ratio(t['xargs-P8'], st)} | report |")
if not os.path.exists(f"{work}/fanout.json"):
    sys.exit(0)
f = json.load(open(f"{work}/fanout.json"))
singles = ["one-a-10", "one-b-10", "one-c-10"]
slowest_med = max(f[s]["median"] for s in singles)
slowest_min = max(f[s]["min"] for s in singles)
fan = f["fanout-3x10"]
print()
print("| engines | command | median (min) | ratio, median (min) | target |")
print("| --- | --- | --- | --- | --- |")
for s in singles:
    print(f"| 1 of 10 | `waybill ls -H tcp://{s[4]}` | {ms(f[s])} | | |")
print(f"| 3 of 10 | `waybill ls --hosts-file` (fan-out) | {ms(fan)} | "
      f"{fan['median']/slowest_med:.2f}x ({fan['min']/slowest_min:.2f}x) the slowest single engine | "
      f"<= 1x slowest: {judge(fan['median'] <= slowest_med)} |")
print(f"| 1 of 30 | `waybill ls -H tcp://d` | {ms(f['one-d-30'])} | fan-out is {ratio(fan, f['one-d-30'])} this | |")
if "raw-3x10" in f:
    raws = ["raw-a-10", "raw-b-10", "raw-c-10"]
    raw_med = max(f[s]["median"] for s in raws)
    raw_min = max(f[s]["min"] for s in raws)
    r3 = f["raw-3x10"]
    print(f"| 1 of 10 | raw `GET /containers/json` by curl, slowest of a, b, c | {ms({'median': raw_med, 'min': raw_min})} | | |")
    print(f"| 3 of 10 | the same three at once (the engines' fan-out floor) | {ms(r3)} | "
          f"{r3['median']/raw_med:.2f}x ({r3['min']/raw_min:.2f}x) the slowest single | "
          f"waybill's fan-out is {ratio(fan, r3)} this floor: <= 1.2x: {judge(fan['median'] <= 1.2 * r3['median'])} |")
cpu = json.load(open(f"{work}/engine-cpu.json"))
print()
print("| listing | engine CPU per run (dockerd user + system) |")
print("| --- | --- |")
print(f"| `waybill ls -H tcp://a`, 1 engine of 10 | {cpu['one-a-10']} ms |")
print(f"| `waybill ls --hosts-file`, 3 engines of 10 | {cpu['fanout-3x10']} ms, summed over the three |")
print(f"| `waybill ls -H tcp://d`, 1 engine of 30 | {cpu['one-d-30']} ms |")
PY
