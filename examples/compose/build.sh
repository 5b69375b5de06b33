#!/usr/bin/env bash
# Builds the three images docker-compose.yml runs, nothing pulled: the
# waybill base, the blocklist service FROM it (their own build.sh
# scripts), and `waybill serve` FROM scratch with the static `waybill`.
#
#   examples/compose/build.sh
#
# Prints the three image names on stdout (base, blocklist, serve), one a
# line; everything else goes to stderr.
#
# Environment (as base-image/build.sh and examples/blocklist/build.sh,
# which it runs, read them):
#   WAYBILL_SERVE_IMAGE      image to build (default waybill/serve:latest)
#   WAYBILL_BLOCKLIST_IMAGE  default waybill/blocklist:latest
#   WAYBILL_BASE_IMAGE       default waybill/base:latest
#   WAYBILL_STATIC_BIN       a static `waybill` (default: scripts/build-static.sh waybill)
#   WAYBILL_BIN              the `waybill` that stamps (default: the static one)
#   CONTAINER_BIN, BUSYBOX_BIN, WAYBILL_REPO, WAYBILL_EXTRA_LABELS,
#   SOURCE_DATE_EPOCH        see docs/building-images.md
# Any argument is passed on to the `docker build` of the serve image.
set -euo pipefail

WB_SCRIPT=examples/compose/build.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../base-image/lib.sh
. "$here/../../base-image/lib.sh"

wb_help_if_asked "$@"

serve=${WAYBILL_SERVE_IMAGE:-waybill/serve:latest}
wb_require_engine

if [ -n "${WAYBILL_STATIC_BIN:-}" ]; then
  waybill=$WAYBILL_STATIC_BIN
else
  wb_note "building the static waybill binary (scripts/build-static.sh waybill); set WAYBILL_STATIC_BIN to skip"
  waybill=$("$WB_ROOT/scripts/build-static.sh" waybill) ||
    wb_die "scripts/build-static.sh waybill failed (see its output above)"
fi
[ -x "$waybill" ] || wb_die "waybill binary $waybill is not an executable file"
wb_is_static "$waybill" ||
  wb_die "waybill binary $waybill is not statically linked; a FROM scratch image cannot run it"
busybox=$(wb_busybox_bin)

# The static binary stamps as well as the dynamic one, and saves a build.
export WAYBILL_BIN=${WAYBILL_BIN:-$waybill}
base=$("$WB_ROOT/base-image/build.sh") || wb_die "base-image/build.sh failed (see above)"
blocklist=$(WAYBILL_BASE_IMAGE=$base "$WB_ROOT/examples/blocklist/build.sh") ||
  wb_die "examples/blocklist/build.sh failed (see above)"

context=$(mktemp -d "${TMPDIR:-/tmp}/waybill-serve-image.XXXXXX")
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/Dockerfile"
cp "$waybill" "$context/waybill"
cp "$busybox" "$context/busybox"
wb_extra_label_args

wb_note "building $serve FROM scratch"
wb_docker_build -t "$serve" "${WB_EXTRA_LABEL_ARGS[@]}" "$@" "$context" ||
  wb_die "docker build of $serve failed (see the build output above)"
wb_note "built $serve ($(docker image inspect --format '{{.Size}}' "$serve") bytes)"
printf '%s\n' "$base" "$blocklist" "$serve"
