# Shell shared by the fleet benchmarks, scripts/bench-fleet.sh and
# scripts/bench-actions.sh: sourced, not run. Set BENCH_NAME (the prefix of
# messages) before sourcing; then call bench_init.
#
# After bench_init:
#   root     the repository            run      this run's id
#   label    io.waybill.bench.run=RUN  testbed  the testbed id (bfNNNN)
#   work     a scratch directory       image    the image to run
#   rounds   timed rounds per phase    wb       the release waybill (after
#                                                bench_build_waybill)
# and an EXIT trap removes every container labelled with this run's label
# (on this machine's engine and on the testbed), the testbed if
# bench_testbed_up made one, and the scratch directory, whether the run
# succeeds or fails; INT and TERM exit 130 through the same trap.
#
# Containers are named wbbench-RUN-N, labelled io.waybill.test=1 and
# io.waybill.bench.run=RUN, and run with --no-healthcheck: the image's
# one-second HEALTHCHECK on 100 containers would be 100 execs a second on
# this 2-core machine, and the benchmark would measure the health checks.
# shellcheck shell=bash

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2
  exit 1
}

bench_init() {
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  rounds=${BENCH_ROUNDS:-7}
  image=${WAYBILL_BENCH_IMAGE:-waybill/blocklist:latest}
  run=$(date +%s)-$$
  label=io.waybill.bench.run=$run
  testbed=bf$(printf '%04d' $(($$ % 10000)))
  testbed_up=
  watchdog=
  work=$(mktemp -d)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local status=$? ids log
  [ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null || true
  ids=$(docker ps -aq --filter "label=$label" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  if [ -n "$testbed_up" ]; then
    # A failed run shows the end of each engine's log before `down` removes it.
    if [ "$status" != 0 ]; then
      for log in /run/waybill-testbed/"$testbed"/*/dockerd.log; do
        [ -f "$log" ] && { say "$log:"; tail -n 5 "$log" >&2; }
      done
    fi
    # `down` removes each node's containers with its engine.
    "$root/scripts/testbed.sh" down "$testbed" >&2 || say "testbed down $testbed failed"
  fi
  rm -rf "$work"
}

# bench_watchdog SECONDS: past SECONDS, stop the run (its children first,
# so that the shell is not left waiting on one) and let the EXIT trap
# clean up.
bench_watchdog() {
  local limit=$1 main=$$
  (
    # Its sleep goes with it when the EXIT trap stops it early.
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep "$limit" &
    nap=$!
    wait "$nap"
    printf '%s: error: the run took more than %s s; stopping it\n' "$BENCH_NAME" "$limit" >&2
    kill -TERM "$main" 2>/dev/null
    pkill -TERM -P "$main" 2>/dev/null
  ) &
  watchdog=$!
}

# Root for the testbed, python3 for the harness, and the image.
bench_preflight() {
  [ "$(id -u)" = 0 ] || die "run as root: the testbed needs network namespaces"
  command -v python3 >/dev/null 2>&1 || die "python3 is needed for the timing harness"
  docker image inspect "$image" >/dev/null 2>&1 ||
    die "image $image does not exist; build it with base-image/build.sh, then examples/blocklist/build.sh"
}

bench_build_waybill() {
  say "building the release waybill"
  cargo build --manifest-path "$root/Cargo.toml" --release --locked --bin waybill >&2
  wb=$root/target/release/waybill
}

# bench_time ROUNDS NAME CMD [NAME CMD]...: the interleaved harness
# (scripts/bench_timer.py); JSON on stdout.
bench_time() {
  python3 "$root/scripts/bench_timer.py" "$@"
}

# bench_start HOST FROM TO: containers wbbench-RUN-FROM..TO of the image
# on the engine DOCKER_HOST names (empty: this machine's), waiting until
# each runs.
bench_start() {
  local host=$1 from=$2 to=$3 i
  for i in $(seq "$from" "$to"); do
    DOCKER_HOST=$host docker run -d --name "wbbench-$run-$i" \
      --label io.waybill.test=1 --label "$label" --no-healthcheck \
      -v "$root/examples/blocklist/source:/srv/source:ro" "$image" >/dev/null
  done
  local want=$((to - from + 1)) deadline=$((SECONDS + 120)) n
  while :; do
    n=0
    for i in $(seq "$from" "$to"); do
      [ "$(DOCKER_HOST=$host docker inspect -f '{{.State.Running}}' "wbbench-$run-$i")" = true ] && n=$((n + 1))
    done
    [ "$n" = "$want" ] && break
    [ $SECONDS -lt $deadline ] || die "only $n of $want containers run on ${host:-the local engine} after 120 s"
    sleep 1
  done
}

# bench_testbed_up NODE...: the testbed with these nodes, the image loaded
# into each; its description in $work/testbed.
bench_testbed_up() {
  say "bringing testbed $testbed up (nodes $*)"
  testbed_up=1
  WAYBILL_TESTBED_OWNER=$$ "$root/scripts/testbed.sh" up "$testbed" "$@" >"$work/testbed"
  "$root/scripts/testbed.sh" load "$testbed" "$image" >&2
}

# bench_url NODE: the node's plain tcp URL.
bench_url() { awk -v n="$1" '$1 == n { print $4 }' "$work/testbed"; }

# bench_hosts_file FILE NODE...: a hosts file naming these nodes over plain tcp.
bench_hosts_file() {
  local file=$1 n
  shift
  for n in "$@"; do
    printf '[[engine]]\nname = "%s"\nhost = "%s"\n\n' "$n" "$(bench_url "$n")"
  done >"$file"
}

# bench_engine_ticks NODE...: CPU ticks (user + system) the testbed
# dockerds of these nodes have used so far.
bench_engine_ticks() {
  local t=0 n pid
  for n in "$@"; do
    pid=$(cat "/run/waybill-testbed/$testbed/$n/docker.pid")
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$t"
}

# bench_engine_cpu TIMES COMMAND NODE...: milliseconds of engine CPU per
# run of COMMAND, over TIMES runs.
bench_engine_cpu() {
  local times=$1 cmd=$2 before after k
  shift 2
  before=$(bench_engine_ticks "$@")
  for k in $(seq "$times"); do bash -c "$cmd" >/dev/null 2>&1; done
  after=$(bench_engine_ticks "$@")
  echo $(((after - before) * 1000 / $(getconf CLK_TCK) / times))
}
