#!/usr/bin/env bash
# The fleet page of `waybill serve` against the JSON of the same fleet,
# written up in docs/benchmarks.md ("The fleet page").
#
#   scripts/bench-page.sh      # prints a Markdown table on stdout
#
# Builds benches/fleet_page.rs with the release profile and runs it: a
# generated fleet of 500 containers (no engine needed) rendered as the
# `GET /` page and serialised to JSON, interleaved in one process. It
# exits non-zero when the page costs over 3x the JSON or weighs 300 KB
# or more. Starts no server, container or network traffic; the build and
# the run are each bounded by `timeout`.
#
# Environment:
#   BENCH_BUILD_SECS   time allowed for the release build (default 1800)
#   BENCH_RUN_SECS     time allowed for the run (default 300)
set -euo pipefail

BENCH_NAME=bench-page
say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say "building benches/fleet_page.rs (release profile)"
timeout "${BENCH_BUILD_SECS:-1800}" cargo bench --locked --bench fleet_page --no-run >&2
say "running"
printf '### The fleet page, %s\n\n' "$(date -u +%Y-%m-%d)"
printf 'Machine: %s, %s cores; rustc %s\n\n' "$(uname -m)" "$(nproc)" "$(rustc --version | cut -d' ' -f2)"
timeout "${BENCH_RUN_SECS:-300}" cargo bench --locked --bench fleet_page
