#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each, one after the other,
# and fails on the first crash, hang or out-of-memory.
#
#   scripts/fuzz.sh SECONDS [TARGET...]    # e.g. scripts/fuzz.sh 60
#
# Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install
# nightly`, `cargo install cargo-fuzz --locked`). The targets are built
# once, with debug assertions (an integer overflow panics) and, by
# default, no sanitizer: they are safe Rust, where AddressSanitizer finds
# little, and without it they build in half the time and run three times
# as many inputs a second. WAYBILL_FUZZ_SANITIZER=address turns it on.
# Each target starts from its seeds in fuzz/corpus/TARGET/,
# which this script never writes: what the fuzzer adds goes to a scratch
# directory, removed afterwards. A crashing input stays in
# fuzz/artifacts/TARGET/; the script prints it in hex with the command
# that replays it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root/fuzz"

die() {
  echo "fuzz.sh: error: $*" >&2
  exit 1
}

seconds=${1:-}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/fuzz.sh SECONDS [TARGET...] (SECONDS a whole number, at least 1)"
shift

command -v cargo-fuzz >/dev/null 2>&1 ||
  die "cargo-fuzz is not installed: cargo install cargo-fuzz --locked"
cargo +nightly --version >/dev/null 2>&1 ||
  die "the nightly toolchain is not installed: rustup toolchain install nightly --profile minimal"

# Debug assertions on: an overflow is a bug the fuzzer should find.
flags=(--debug-assertions --sanitizer "${WAYBILL_FUZZ_SANITIZER:-none}")

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
  [ "${#targets[@]}" -gt 0 ] || die "cargo fuzz list found no targets in fuzz/Cargo.toml"
fi

started=$SECONDS
cargo +nightly fuzz build "${flags[@]}" >&2 ||
  die "building the fuzz targets failed (see cargo's output above)"
echo "fuzz.sh: the fuzz targets are built ($((SECONDS - started)) s)" >&2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/waybill-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

for target in "${targets[@]}"; do
  corpora=("$scratch/$target")
  if [ -d "corpus/$target" ]; then
    corpora+=("corpus/$target")
  else
    echo "fuzz.sh: warning: $target has no seeds; add a few inputs to fuzz/corpus/$target/" >&2
  fi
  mkdir -p "$scratch/$target" "artifacts/$target"
  touch "$scratch/$target.start"
  echo "fuzz.sh: fuzzing $target for $seconds s" >&2
  # The scratch corpus comes first: libFuzzer adds new inputs to the
  # first directory and only reads the others. -timeout: one input that
  # takes 10 s is a hang (a quadratic reader, say), reported as a crash.
  if ! cargo +nightly fuzz run "${flags[@]}" "$target" "${corpora[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >&2; then
    echo "fuzz.sh: $target FAILED. The input(s), in hex:" >&2
    found=false
    while IFS= read -r -d '' artifact; do
      found=true
      echo "---- fuzz/$artifact ($(wc -c <"$artifact") bytes)" >&2
      od -An -tx1 -v "$artifact" | tr -d ' \n' | fold -w 64 >&2
      echo >&2
      echo "replay: (cd fuzz && cargo +nightly fuzz run ${flags[*]} $target $artifact)" >&2
    done < <(find "artifacts/$target" -type f -newer "$scratch/$target.start" -print0)
    [ "$found" = true ] || echo "(no artifact was written; see libFuzzer's output above)" >&2
    exit 1
  fi
  echo "fuzz.sh: $target: no crash in $seconds s ($(find "$scratch/$target" -type f | wc -l) new corpus inputs)" >&2
done
echo "fuzz.sh: ok: ${#targets[@]} targets, $seconds s each" >&2
