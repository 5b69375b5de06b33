#!/usr/bin/env bash
# Builds the `container` binary as a fully static x86_64 Linux executable,
# small enough to bake into every image, and prints its path.
#
#   scripts/build-static.sh            # -> target/static/x86_64-unknown-linux-gnu/release/container
#
# It uses its own target directory (target/static, or $WAYBILL_STATIC_TARGET_DIR)
# so it can run while another cargo command holds the main target directory,
# e.g. from inside `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=x86_64-unknown-linux-gnu
target_dir=${WAYBILL_STATIC_TARGET_DIR:-$root/target/static}

# The lean build: no default features, so tokio, bollard, git2 and the
# HTTP stack are neither compiled nor linked. crt-static links glibc
# statically; the binary makes no NSS calls, so that is safe. A plain
# (non-PIE) static executable needs no start-up relocation pass, which
# keeps `container --metadata` close to the cost of a bare exec; see
# docs/benchmarks.md.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
  cargo build --manifest-path "$root/Cargo.toml" --release --locked \
    --no-default-features --bin container --target "$target" \
    --target-dir "$target_dir" >&2

bin=$target_dir/$target/release/container
if command -v file >/dev/null 2>&1; then
  case $(file -L "$bin") in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "build-static: $bin is not statically linked: $(file -L "$bin")" >&2; exit 1 ;;
  esac
fi
echo "$bin"
