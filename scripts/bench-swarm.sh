#!/usr/bin/env bash
# Benchmark of a rolling VALIDATE over a Swarm service (issue 11, section
# 6), written up in docs/benchmarks.md ("Rolling over a Swarm service").
#
#   sudo scripts/bench-swarm.sh      # prints a Markdown report on stdout
#
# A real three-node Swarm of the testbed (scripts/testbed.sh: one manager,
# two workers, each its own dockerd in its own network namespace), the
# example image (waybill/blocklist:latest; build it with
# base-image/build.sh, then examples/blocklist/build.sh) loaded on every
# node, and one service of BENCH_TASKS (default 12) replicas spread over
# the three nodes. In one run, interleaved, the same VALIDATE in every
# task, each way:
#   waybill-by-task   `waybill validate --service S --by task --batch 1`:
#                     one task at a time, stopping at the first failure:
#                     the same work in the same order as the loop, so the
#                     comparable mode (the ratio that is reported first);
#   waybill-by-node   `waybill validate --service S --batch 1`: the default
#                     rolling form, one node at a time, its tasks at once;
#   waybill-all       `waybill validate --service S`: every task at once
#                     (within the per-engine cap);
#   shell-loop        the shell way: `docker service ps` on the manager for
#                     each running task's node and container, `docker node
#                     inspect` once per node for its address, then
#                     `docker -H tcp://ADDR:2375 exec C container
#                     --validate` per task, in order, stopping at the first
#                     failure.
# waybill reaches the nodes through the hosts file's `[swarm] node_host`
# template (`tcp://{addr}:2375`), the same plain tcp the loop uses.
#
# Wall times come from the interleaved harness scripts/bench_timer.py (one
# warm-up round, then each command once per round); the report gives the
# median and the minimum.
#
# Environment:
#   BENCH_ROUNDS          timed rounds (default 5)
#   BENCH_TASKS           replicas of the service (default 12)
#   BENCH_MAX_SECONDS     stop the run past this (default 1200)
#   WAYBILL_BENCH_IMAGE   image to run (default waybill/blocklist:latest)
#
# The testbed is `bfNNNN`; the service lives in it and goes with it. Both
# are removed on exit, whether the run succeeds, fails or is stopped
# (scripts/bench-lib.sh).
set -euo pipefail

BENCH_NAME=bench-swarm
# shellcheck source=bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
export BENCH_ROUNDS=${BENCH_ROUNDS:-5}
bench_init
tasks=${BENCH_TASKS:-12}
[[ $tasks =~ ^[0-9]+$ ]] && [ "$tasks" -ge 3 ] && [ "$tasks" -le 60 ] ||
  die "BENCH_TASKS: $tasks is not a count from 3 to 60"
bench_watchdog "${BENCH_MAX_SECONDS:-1200}"

bench_preflight
bench_build_waybill
"$wb" validate --help | grep -q -- --service || die "$wb has no validate --service"

bench_testbed_up a b c
say "forming the Swarm"
"$root/scripts/testbed.sh" swarm "$testbed" >&2
mgr=$(bench_url a)
service=wbbench-$run
say "creating $service, $tasks tasks"
docker -H "$mgr" service create --detach --no-resolve-image --name "$service" \
  --replicas "$tasks" --placement-pref spread=node.id --no-healthcheck \
  --label io.waybill.test=1 --label "$label" \
  --container-label io.waybill.test=1 --container-label "$label" \
  --mount "type=bind,src=$root/examples/blocklist/source,dst=/srv/source,readonly" \
  "$image" >/dev/null
deadline=$((SECONDS + 300))
while :; do
  n=$(docker -H "$mgr" service ps "$service" --filter desired-state=running \
    --format '{{.CurrentState}}' | grep -c '^Running' || true)
  [ "$n" = "$tasks" ] && break
  [ $SECONDS -lt $deadline ] || die "only $n of $tasks tasks of $service run after 300 s"
  sleep 2
done
placement=$(docker -H "$mgr" service ps "$service" --filter desired-state=running \
  --format '{{.Node}}' | sort | uniq -c | awk '{ printf "%s%s: %s", sep, $2, $1; sep = ", " }')
say "tasks per node: $placement"

printf '[[engine]]\nname = "mgr"\nhost = "%s"\n\n[swarm]\nnode_host = "tcp://{addr}:2375"\n' \
  "$mgr" >"$work/hosts.toml"
validate="$wb validate --service $service --hosts-file $work/hosts.toml"

# The loop as a script of its own, so the harness times one bash process.
cat >"$work/loop.sh" <<LOOP
set -e
declare -A addr
docker -H $mgr service ps $service --no-trunc --filter desired-state=running \\
    --format '{{.Node}} {{.Name}}.{{.ID}}' >$work/ps.txt
while read -r node c; do
  [ -n "\${addr[\$node]:-}" ] ||
    addr[\$node]=\$(docker -H $mgr node inspect -f '{{.Status.Addr}}' "\$node")
  docker -H "tcp://\${addr[\$node]}:2375" exec "\$c" container --validate >/dev/null
done <$work/ps.txt
LOOP

# check COUNT ARGS...: `waybill validate ARGS --json` validated COUNT tasks,
# every one done, with no engine error.
check() {
  local want=$1
  shift
  $validate --json "$@" | python3 -c '
import json, sys
want = int(sys.argv[1])
doc = json.load(sys.stdin)
results = [r for r in doc["results"] if r["action"] == "validate"]
bad = [(r["container"], r["outcome"], r.get("reason")) for r in results if r["outcome"] != "done"]
errors = doc.get("engine_errors")
if len(results) != want or bad or errors:
    sys.exit(f"bench-swarm: validate gave {len(results)} results, not done: {bad}, "
             f"engine errors {errors}; want {want}")
' "$want"
}
check "$tasks" --by task --batch 1
check "$tasks" --batch 1
check "$tasks"
bash "$work/loop.sh" || die "the shell loop failed"
[ "$(wc -l <"$work/ps.txt")" = "$tasks" ] || die "docker service ps does not list $tasks tasks"

say "timing $tasks tasks on three nodes, $rounds rounds"
bench_time "$rounds" \
  waybill-by-task "$validate --by task --batch 1" \
  waybill-by-node "$validate --batch 1" \
  waybill-all "$validate" \
  shell-loop "bash $work/loop.sh" >"$work/swarm.json"
say "timings: $(cat "$work/swarm.json")"

python3 - "$work/swarm.json" "$tasks" "$placement" <<'PY'
import json, sys
t, tasks, placement = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
def ms(x): return f"{x['median']*1e3:.0f} ms ({x['min']*1e3:.0f} ms)"
def ratio(a, b): return f"{a['median']/b['median']:.2f}x ({a['min']/b['min']:.2f}x)"
loop = t["shell-loop"]
print(f"{tasks} tasks on three nodes ({placement}), median (min) of the rounds:")
print()
print("| command | median (min) | shell loop / this, median (min) |")
print("| --- | --- | --- |")
rows = [
    ("waybill-by-task", "`waybill validate --service S --by task --batch 1` (comparable: one task at a time)"),
    ("waybill-by-node", "`waybill validate --service S --batch 1` (rolling, one node at a time)"),
    ("waybill-all", "`waybill validate --service S` (all tasks at once)"),
]
for key, what in rows:
    print(f"| {what} | {ms(t[key])} | {ratio(loop, t[key])} |")
print(f"| shell loop: `docker service ps`, then `docker -H NODE exec` per task | {ms(loop)} | 1 |")
print()
print("| command | peak RSS |")
print("| --- | --- |")
print(f"| `waybill validate --service S --by task --batch 1` | {t['waybill-by-task']['max_rss_kib']} KiB |")
PY
