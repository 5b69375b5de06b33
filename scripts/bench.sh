#!/usr/bin/env bash
# Benchmarks for the `container` binary, written up in docs/benchmarks.md.
#
#   scripts/bench.sh            # prints a Markdown report on stdout
#
# Measures, in one run on this machine:
#   1. the stripped static size of `container` (target: <= 1.6 MiB);
#   2. `container --metadata --json` on a 10-deep and a 100-deep stack,
#      against exec of a static hello-world built the same way
#      (target: 10-deep <= 1.5x hello-world);
#   3. peak RSS of those runs (target: <= 4 MiB).
# Wall times come from an interleaved harness (scripts/exec_times.py):
# each round runs every command once, so drift in the machine's load hits
# all of them alike. Needs python3 and GNU time (installed with apt-get if
# missing); valgrind, when present, adds repeatable instruction counts.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "bench: installing $2" >&2
  apt-get update -qq >&2 && apt-get install -y -qq "$2" >&2
}
[ -x /usr/bin/time ] || need /usr/bin/time time

bin=$("$root/scripts/build-static.sh")

# A static hello-world built with the same flags, as the floor for exec.
cat >"$work/hello.rs" <<'RS'
fn main() { println!("hello"); }
RS
rustc --edition 2021 -C opt-level=s -C relocation-model=static -C panic=abort -C strip=symbols -C lto \
  -C target-feature=+crt-static --target x86_64-unknown-linux-gnu \
  -o "$work/hello" "$work/hello.rs"

# Stacks of N records, each a full seed-style record with every method.
make_stack() {
  local dir=$1 depth=$2
  mkdir -p "$dir"
  for i in $(seq 1 "$depth"); do
    printf '{"schema_version":1,"project":"layer%d","image_name":"example/layer%d","image_tag_names":["registry.example/layer%d:latest","registry.example/layer%d:1.0.%d"],"build_time":"2026-11-22 03:00:00","build_time_stamp":1795316400,"gitref":"e1b0a445744fec5e584919711cafd8f4cebdee0e","git_branch":"main","git_dirty":false,"ci":true,"ci_system":"jenkins","build_cause":"TIMERTRIGGER","build_tag":"jenkins-layer%d-55","start_method":"/srv/bin/start.sh","update_method":["/srv/bin/update.sh","--fast"],"validate_method":"/srv/bin/validate.sh","update_timeout":300,"validate":true,"user_metadata":{"team":"ops","layer":%d}}\n' \
      "$i" "$i" "$i" "$i" "$i" "$i" "$i" >"$dir/$(printf '%04d' "$i")-layer$i.json"
  done
}
make_stack "$work/d10" 10
make_stack "$work/d100" 100

size=$(stat -c %s "$bin")
hello_size=$(stat -c %s "$work/hello")

python3 "$root/scripts/exec_times.py" --rounds "${BENCH_ROUNDS:-1500}" >"$work/times.json" \
  hello -- "$work/hello" \
  metadata-10 -- "$bin" --meta-dir "$work/d10" --metadata --json \
  metadata-100 -- "$bin" --meta-dir "$work/d100" --metadata --json \
  examine-10 -- "$bin" --meta-dir "$work/d10" --state-dir "$work/state" --examine

rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

# Instructions retired, from callgrind: repeatable whatever else the
# machine is doing, unlike wall time. Optional: needs valgrind.
instructions() {
  command -v valgrind >/dev/null 2>&1 || { echo 0; return; }
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*refs: *//p' | tr -d ,
}

python3 - "$work/times.json" "$size" "$hello_size" \
  "$(rss "$work/hello")" \
  "$(rss "$bin" --meta-dir "$work/d10" --metadata --json)" \
  "$(rss "$bin" --meta-dir "$work/d100" --metadata --json)" \
  "$(rss "$bin" --meta-dir "$work/d10" --state-dir "$work/state" --examine)" \
  "$(instructions "$work/hello")" \
  "$(instructions "$bin" --meta-dir "$work/d10" --metadata --json)" \
  "$(instructions "$bin" --meta-dir "$work/d100" --metadata --json)" <<'PY'
import json, sys
times = json.load(open(sys.argv[1]))
size, hello_size = int(sys.argv[2]), int(sys.argv[3])
rss = dict(zip(["hello", "metadata-10", "metadata-100", "examine-10"], map(int, sys.argv[4:8])))
mib = lambda b: b / 1024 / 1024
hello = times["hello"]["median"]
hello_min = times["hello"]["min"]
print("| measure | result | target |")
print("| --- | --- | --- |")
print(f"| `container` stripped static size | {size} bytes ({mib(size):.2f} MiB) | <= 1.6 MiB {'OK' if mib(size) <= 1.6 else 'MISSED'} |")
print(f"| static hello-world size (same flags) | {hello_size} bytes ({mib(hello_size):.2f} MiB) | reference |")
for name in ["hello", "metadata-10", "metadata-100", "examine-10"]:
    t = times[name]
    ratio = t["median"] / hello
    target = ""
    if name == "metadata-10":
        target = f"<= 1.5x hello {'OK' if ratio <= 1.5 else 'MISSED'}"
    elif name == "hello":
        target = "reference"
    print(f"| `{name}` wall time, median (min) | {t['median']*1e3:.3f} ms ({t['min']*1e3:.3f} ms), {ratio:.2f}x ({t['min']/hello_min:.2f}x) hello | {target} |")
ins = dict(zip(["hello", "metadata-10", "metadata-100"], map(int, sys.argv[8:11])))
if ins["hello"]:
    for name, n in ins.items():
        print(f"| `{name}` instructions (callgrind) | {n:,} ({n / ins['hello']:.2f}x hello) | {'reference' if name == 'hello' else 'context'} |")
for name, kib in rss.items():
    print(f"| `{name}` peak RSS | {kib} KiB ({kib/1024:.2f} MiB) | {'reference' if name == 'hello' else ('<= 4 MiB OK' if kib <= 4096 else '<= 4 MiB MISSED')} |")
PY
