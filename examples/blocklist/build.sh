#!/usr/bin/env bash
# Builds the blocklist example service FROM the waybill base image, with
# its own stamped record: the image's ancestry is base, then blocklist.
#
#   examples/blocklist/build.sh [DOCKER BUILD ARGS...]
#   docker run -d --name blocklist -v "$PWD/examples/blocklist/source:/srv/source:ro" waybill/blocklist
#
# Prints the image name on stdout; everything else goes to stderr.
# Nothing is pulled: the build runs with --network none, FROM a local base.
#
# Environment:
#   WAYBILL_BLOCKLIST_IMAGE  image to build (default waybill/blocklist:latest)
#   WAYBILL_BASE_IMAGE       base to build FROM (default waybill/base:latest;
#                            build it first with base-image/build.sh)
#   WAYBILL_REPO             git work tree to stamp from (default: this checkout)
#   WAYBILL_EXTRA_LABELS     extra labels, whitespace-separated KEY=VALUE
#   WAYBILL_BIN              a built `waybill` (default: cargo build --release)
#   SOURCE_DATE_EPOCH        build time to stamp (default: now)
# Any argument is passed on to `docker build`, e.g. --label KEY=VALUE.
set -euo pipefail

WB_SCRIPT=examples/blocklist/build.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../base-image/lib.sh
. "$here/../../base-image/lib.sh"

wb_help_if_asked "$@"

image=${WAYBILL_BLOCKLIST_IMAGE:-waybill/blocklist:latest}
base=${WAYBILL_BASE_IMAGE:-waybill/base:latest}
repo=${WAYBILL_REPO:-$WB_ROOT}

wb_require_engine
docker image inspect "$base" >/dev/null 2>&1 ||
  wb_die "base image $base does not exist; build it first with base-image/build.sh"
waybill=$(wb_waybill_bin)

context=$(mktemp -d "${TMPDIR:-/tmp}/waybill-blocklist.XXXXXX")
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/Dockerfile"
cp -R "$here/bin" "$context/bin"
cp -R "$here/source" "$context/source"

stamp_args=(
  --project blocklist
  --image-name "$(wb_image_repository "$image")"
  --tag "$image"
  --repo "$repo"
  --start-method /srv/support/bin/start.sh
  --update-method /srv/support/bin/update.sh
  --validate-method /srv/support/bin/validate.sh
  --monitor-method /srv/support/bin/monitor.sh
  --metrics-method /srv/support/bin/metrics.sh
  --update-timeout 120
  --validate-timeout 30
  --monitor-timeout 15
  --metrics-timeout 15
  --validate
  --meta port=8080
  --meta source=/srv/source
  --meta "url=http://127.0.0.1:8080/lists/blocklist.txt"
)
# The labels' ancestry starts with the base's io.waybill.stack label.
wb_stamp "$waybill" "$context" "$base" "${stamp_args[@]}"
wb_extra_label_args

wb_note "building $image FROM $base"
wb_docker_build -t "$image" --build-arg "BASE=$base" \
  "${WB_STAMP_LABEL_ARGS[@]}" "${WB_EXTRA_LABEL_ARGS[@]}" "$@" "$context" ||
  wb_die "docker build of $image failed (see the build output above)"
wb_note "built $image ($(docker image inspect --format '{{.Id}}' "$image"))"
echo "$image"
