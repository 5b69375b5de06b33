#!/usr/bin/env bash
# Builds the `container` binary (or, with `waybill`, the host binary) as a
# fully static x86_64 Linux executable and prints its path.
#
#   scripts/build-static.sh            # -> target/static/x86_64-unknown-linux-gnu/release/container
#   scripts/build-static.sh waybill    # -> target/static/x86_64-unknown-linux-gnu/release/waybill
#
# `container` is small enough to bake into every image. `waybill` static is
# for FROM scratch images of `waybill serve` (examples/compose); it resolves
# no host names there, see docs/operations.md#the-image.
#
# WAYBILL_STATIC_PROFILE picks the cargo profile (default `release`; the
# tests use `static-test`, the release profile without LTO, for speed).
#
# It uses its own target directory (target/static, or $WAYBILL_STATIC_TARGET_DIR)
# so it can run while another cargo command holds the main target directory,
# e.g. from inside `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=x86_64-unknown-linux-gnu
target_dir=${WAYBILL_STATIC_TARGET_DIR:-$root/target/static}

which=${1:-container}
profile=${WAYBILL_STATIC_PROFILE:-release}
case $which in
  # The lean build: no default features, so tokio, bollard, git2 and the
  # HTTP stack are neither compiled nor linked. crt-static links glibc
  # statically; the binary makes no NSS calls, so that is safe.
  container) features=(--no-default-features) ;;
  # The host build, with every default feature. It does make NSS calls
  # (getaddrinfo for a tcp:// engine named by host name, getpwuid through
  # git2): a static glibc cannot load NSS modules where none of the same
  # glibc version exist, so in a FROM scratch image those fail; engines
  # are named by unix socket or IP address there (docs/operations.md).
  waybill) features=() ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "build-static: unknown binary \`$which\`; expected \`container\` or \`waybill\`" >&2
    exit 2
    ;;
esac

# A plain (non-PIE) static executable needs no start-up relocation pass,
# which keeps `container --metadata` close to the cost of a bare exec; see
# docs/benchmarks.md. --target keeps these flags off build scripts and
# proc macros.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
  cargo build --manifest-path "$root/Cargo.toml" --profile "$profile" --locked \
    "${features[@]}" --bin "$which" --target "$target" \
    --target-dir "$target_dir" >&2

bin=$target_dir/$target/$profile/$which
if command -v file >/dev/null 2>&1; then
  case $(file -L "$bin") in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "build-static: $bin is not statically linked: $(file -L "$bin")" >&2; exit 1 ;;
  esac
fi
echo "$bin"
