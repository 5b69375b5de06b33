#!/usr/bin/env bash
# Load benchmark of `waybill serve`, side by side with adnanh/webhook,
# written up in docs/benchmarks.md ("Serving webhooks").
#
#   scripts/bench-serve.sh      # prints a Markdown report on stdout
#
# In one run, on loopback only, bounded in count and time:
#   1. bad-signature requests (a GitHub push whose X-Hub-Signature-256 is
#      wrong) with wrk against `waybill serve` (a github hook) and against
#      webhook (a payload-hmac-sha256 trigger rule on the same header and
#      secret), alternating, BENCH_ROUNDS rounds of BENCH_SECS seconds
#      each, at each wrk connection count of BENCH_CONNS: requests per
#      second and p99 latency;
#   2. RSS growth of `waybill serve` (VmRSS from /proc/PID/status) over
#      exactly 100,000 more bad-signature requests after part 1, and since
#      its start;
#   3. during one waybill round of 1, a real signed push to a hook that
#      selects two labelled containers of an image built as the tests
#      build theirs (FROM scratch: static busybox, the static `container`,
#      a record and a method script); the job must end done, one batch at
#      a time, with UPDATE and VALIDATE done in both and the pushed
#      revision in each container. Without a Docker engine this part is
#      skipped with a message (BENCH_NO_ENGINE=1 skips it on purpose).
#
# Needs: wrk and webhook (Debian packages `wrk`, `webhook`), curl,
# python3, and Docker for part 3. Every process, container and image it
# starts is removed on exit, whether the run succeeds or fails (EXIT
# trap); a watchdog stops a run that takes over 15 minutes.
#
# Environment:
#   BENCH_ROUNDS   rounds per server in part 1 (default 3)
#   BENCH_SECS     seconds per wrk run in part 1 (default 10)
#   BENCH_CONNS    wrk connection counts (default "8 32"; 2 threads)
set -euo pipefail

BENCH_NAME=bench-serve
say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2
  exit 1
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECS:-10}
conn_list=${BENCH_CONNS:-8 32}
run=$(date +%s)-$$
label=io.waybill.bench.run
work=$(mktemp -d)
serve_pid=
hook_pid=
watchdog=
image=
secret=bench-secret-$$

cleanup() {
  local status=$? ids
  [ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null || true
  [ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null || true
  [ -z "$hook_pid" ] || kill "$hook_pid" 2>/dev/null || true
  [ -z "$serve_pid" ] || wait "$serve_pid" 2>/dev/null || true
  [ -z "$hook_pid" ] || wait "$hook_pid" 2>/dev/null || true
  if command -v docker >/dev/null 2>&1; then
    ids=$(docker ps -aq --filter "label=$label=$run" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    [ -z "$image" ] || docker rmi -f "$image" >/dev/null 2>&1 || true
  fi
  if [ "$status" != 0 ]; then
    for log in "$work"/serve.log "$work"/webhook.log; do
      [ -f "$log" ] && { say "end of $log:"; tail -n 5 "$log" >&2; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The watchdog: past 15 minutes, stop the run and let the trap clean up.
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep 900 &
  nap=$!
  wait "$nap"
  printf '%s: error: the run took more than 900 s; stopping it\n' "$BENCH_NAME" >&2
  kill -TERM $$ 2>/dev/null
) &
watchdog=$!

for tool in wrk webhook curl python3; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is needed (Debian: apt-get install wrk webhook curl python3)"
done

say "building the release waybill"
cargo build --manifest-path "$root/Cargo.toml" --release --locked --bin waybill >&2
wb=$root/target/release/waybill

engine=
if [ "${BENCH_NO_ENGINE:-}" != 1 ] && docker info >/dev/null 2>&1; then
  engine=1
else
  say "SKIP part 3 (rolling update under load): no Docker engine answers here"
fi

repo=https://git.example/waybill-bench/shop
revision=$(printf '%040d' "$$" | tr 0 a)

# --- the test image and its two containers (part 3) ---
if [ -n "$engine" ]; then
  say "building the static container binary and the bench image"
  container_bin=$("$root/scripts/build-static.sh")
  busybox=/bin/busybox
  [ -x "$busybox" ] || busybox=/usr/bin/busybox
  [ -x "$busybox" ] || die "a static busybox is needed (Debian's busybox-static)"
  ctx=$work/image
  mkdir -p "$ctx"
  cp "$busybox" "$ctx/busybox"
  cp "$container_bin" "$ctx/container"
  # UPDATE takes two seconds, so the rollout runs under the load.
  cat >"$ctx/method.sh" <<'EOF'
#!/bin/sh
case "$1" in
update) sleep 2; echo "$WAYBILL_PUSH_REVISION" >> /tmp/pushed ;;
validate) test -s /tmp/pushed ;;
esac
EOF
  m() { printf '["/bin/sh","/srv/method.sh","%s"]' "$1"; }
  printf '{"project":"waybill-bench","git_branch":"main","source_url":"%s.git","update_method":%s,"update_timeout":120,"validate_method":%s,"validate_timeout":60}\n' \
    "$repo" "$(m update)" "$(m validate)" >"$ctx/record.json"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/usr/bin", "/sbin", "/usr/sbin", "/etc/waybill/metadata.d", "/var/lib/waybill", "/tmp", "/srv"]
RUN ["/bin/busybox", "--install", "-s"]
ENV PATH=/usr/bin:/bin:/usr/sbin:/sbin
COPY container /usr/bin/container
COPY record.json /tmp/record.json
COPY method.sh /srv/method.sh
RUN ["/usr/bin/container", "record", "/tmp/record.json"]
EOF
  image=waybill-bench-serve:$run
  DOCKER_BUILDKIT=0 docker build --network none --force-rm --quiet -t "$image" \
    --label io.waybill.test=1 --label "$label=$run" "$ctx" >/dev/null
  for i in 1 2; do
    docker run -d --name "wbbench-serve-$run-$i" --label io.waybill.test=1 \
      --label "$label=$run" "$image" sleep 3600 >/dev/null
  done
fi

# --- waybill serve ---
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat >"$work/serve.toml" <<EOF
history = 100
[engines]
hosts = ["unix:///var/run/docker.sock"]

[[hook]]
name = "bench"
forge = "github"
secret_env = "BENCH_SECRET"
labels = { "$label" = "$run" }
match_push = true
batch = 1
validate = true
EOF
BENCH_SECRET=$secret RUST_LOG=${RUST_LOG:-info} \
  "$wb" serve --config "$work/serve.toml" --listen 127.0.0.1:0 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do
  grep -q 'serving on http://' "$work/serve.log" && break
  sleep 0.1
done
serve_addr=$(sed -n 's|^waybill: serving on http://||p' "$work/serve.log" | head -n 1)
[ -n "$serve_addr" ] || die "waybill serve did not start"
rss_start=$(awk '/^VmRSS:/ { print $2 }' "/proc/$serve_pid/status")

# --- webhook, the same rule: HMAC-SHA256 of the body in X-Hub-Signature-256 ---
hook_port=$(port)
cat >"$work/hooks.json" <<EOF
[{
  "id": "bench",
  "execute-command": "/bin/true",
  "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "$secret",
    "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}}
}]
EOF
webhook -hooks "$work/hooks.json" -ip 127.0.0.1 -port "$hook_port" >"$work/webhook.log" 2>&1 &
hook_pid=$!
hook_addr=127.0.0.1:$hook_port
for _ in $(seq 100); do
  curl -s -o /dev/null "http://$hook_addr/" && break
  sleep 0.1
done

# --- the bad-signature request ---
body=$(printf '{"ref":"refs/heads/main","before":"%040d","after":"%s","deleted":false,"repository":{"clone_url":"%s.git","html_url":"%s","full_name":"waybill-bench/shop"}}' 1 "$revision" "$repo" "$repo")
printf '%s' "$body" >"$work/body.json"
cat >"$work/bad.lua" <<EOF
wrk.method = "POST"
wrk.body = [[$body]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "push"
wrk.headers["X-GitHub-Delivery"] = "bench-delivery"
wrk.headers["X-Hub-Signature-256"] = "sha256=$(printf '%064d' 0)"
-- Optional stop after LIMIT responses per thread (the RSS phase).
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
local seen = 0
if limit > 0 then
  function response(status, headers, body)
    seen = seen + 1
    if seen >= limit then wrk.thread:stop() end
  end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.6f %.1f %d\n", summary.requests, summary.duration,
    latency:percentile(99.0), latency.mean,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF
status_of() { curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-GitHub-Event: push' \
  -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" --data-binary @"$work/body.json" "$1"; }
ws=$(status_of "http://$serve_addr/hooks/bench")
hs=$(status_of "http://$hook_addr/hooks/bench")
[ "$ws" = 401 ] || die "waybill serve answered a bad signature with $ws, not 401"
[ "$hs" = 500 ] || say "note: webhook answered a bad signature with $hs (500 expected)"

# wrk_run ADDR SECONDS [CONNS]: one run; prints "requests duration_us p99_us mean_us errors".
wrk_run() {
  timeout $(($2 + 30)) wrk -t2 -c"${3:-32}" -d"${2}s" --timeout 5s -s "$work/bad.lua" "http://$1/hooks/bench" |
    sed -n 's/^RESULT //p'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$serve_pid/status"; }

# --- part 1, with part 3 during waybill's second round ---
job_id=
results=$work/results
: >"$results"
first_conns=${conn_list%% *}
for conns in $conn_list; do
for r in $(seq "$rounds"); do
  push_now=
  [ "$r" = 2 ] && [ "$conns" = "$first_conns" ] && [ -n "$engine" ] && push_now=1
  if [ -n "$push_now" ]; then
    (
      sleep 1
      sig=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).hexdigest())' "$secret" "$work/body.json")
      curl -s -D "$work/push.headers" -o "$work/push.json" -X POST \
        -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
        -H "X-GitHub-Delivery: bench-push-$run" -H "X-Hub-Signature-256: sha256=$sig" \
        --data-binary @"$work/body.json" "http://$serve_addr/hooks/bench"
    ) &
    pusher=$!
  fi
  say "$conns connections, round $r: waybill serve"
  echo "waybill $conns $(wrk_run "$serve_addr" "$secs" "$conns")" >>"$results"
  if [ -n "$push_now" ]; then
    wait "$pusher" || die "the signed push could not be sent"
  fi
  say "$conns connections, round $r: webhook"
  echo "webhook $conns $(wrk_run "$hook_addr" "$secs" "$conns")" >>"$results"
done
done

# --- part 2: RSS over exactly 100,000 requests (50,000 per wrk thread) ---
say "RSS: 100,000 bad-signature requests"
rss_before=$(rss_kib)
# wrk runs for its whole duration even once every thread has stopped,
# so the duration is kept short: 100,000 need 20 s at the 5,000/s target.
rss_line=$(BENCH_LIMIT=50000 wrk_run "$serve_addr" 30 32)
rss_after=$(rss_kib)
rss_requests=$(echo "$rss_line" | awk '{ print $1 }')

# --- part 3: the push's job ---
job_line="skipped: no Docker engine"
if [ -n "$engine" ]; then
  grep -q '^HTTP/1.1 202' "$work/push.headers" || die "the signed push was not accepted: $(cat "$work/push.json")"
  job_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' "$work/push.json")
  for _ in $(seq 600); do
    curl -s "http://$serve_addr/jobs/$job_id" >"$work/job.json"
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["status"] in ("done","failed","interrupted") else 1)' "$work/job.json" && break
    sleep 0.5
  done
  job_line=$(python3 - "$work/job.json" "$revision" <<'EOF'
import json, sys
job = json.load(open(sys.argv[1]))
steps = [(r["container"], r["action"], r["outcome"]) for r in job["results"]]
updates = [s for s in steps if s[1] == "update" and s[2] == "done"]
validates = [s for s in steps if s[1] == "validate" and s[2] == "done"]
ok = job["status"] == "done" and len(updates) == 2 and len(validates) == 2
print(("ok" if ok else "FAILED") + f": job {job['id']} {job['status']}, "
      f"{len(updates)} UPDATE and {len(validates)} VALIDATE done, steps in order: "
      + ", ".join(f"{c} {a}" for c, a, _ in steps))
EOF
)
  for i in 1 2; do
    got=$(docker exec "wbbench-serve-$run-$i" cat /tmp/pushed 2>/dev/null || true)
    [ "$got" = "$revision" ] || job_line="FAILED: container $i has revision [$got], not $revision; $job_line"
  done
fi

# --- report ---
load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$results" "$rss_before" "$rss_after" "$rss_requests" "$job_line" "$load" "$rounds" "$secs" "$rss_start" <<'EOF'
import sys, statistics
path, before, after, rss_requests, job, load, rounds, secs, start = sys.argv[1:]
rows = {}
for line in open(path):
    parts = line.split()
    if len(parts) != 7:
        sys.exit(f"a wrk run gave no result: {line!r}")
    name, conns, requests, duration_us, p99_us, mean_us, errors = parts
    rows.setdefault(int(conns), {"waybill": [], "webhook": []})[name].append(
        (int(requests) / (int(duration_us) / 1e6), float(p99_us) / 1000, int(errors)))
print(f"Bad-signature requests, {rounds} alternating rounds of {secs} s per server and "
      f"connection count, wrk -t2 on loopback; load average at the end: {load}.\n")
print("| connections | server | requests/s per round | median requests/s | p99 (ms) per round | median p99 (ms) | socket errors |")
print("| --- | --- | --- | --- | --- | --- | --- |")
summary = []
for conns in sorted(rows):
    med = {}
    for name in ("waybill", "webhook"):
        r = rows[conns][name]
        med[name] = (statistics.median(x[0] for x in r), statistics.median(x[1] for x in r))
        print(f"| {conns} | {name} | {', '.join(f'{x[0]:,.0f}' for x in r)} | {med[name][0]:,.0f} | "
              f"{', '.join(f'{x[1]:.2f}' for x in r)} | {med[name][1]:.2f} | {sum(x[2] for x in r)} |")
    summary.append(f"- {conns} connections: throughput waybill/webhook {med['waybill'][0] / med['webhook'][0]:.2f}x "
                   f"(target >= 1.0x, and >= 5,000/s); p99 waybill {med['waybill'][1]:.2f} ms vs webhook "
                   f"{med['webhook'][1]:.2f} ms (target: no worse, < 10 ms)")
print()
print("\n".join(summary))
growth = (int(after) - int(before)) / 1024
print(f"- RSS of waybill serve over {int(rss_requests):,} requests after the rounds: {int(before)/1024:.1f} MiB -> "
      f"{int(after)/1024:.1f} MiB, growth {growth:+.1f} MiB (target < 10 MiB); "
      f"since its start (before any request): {int(start)/1024:.1f} MiB -> {int(after)/1024:.1f} MiB, "
      f"{(int(after) - int(start)) / 1024:+.1f} MiB")
print(f"- rolling update during round 2 of waybill: {job}")
EOF
