#!/usr/bin/env bash
# Builds the waybill base image, FROM scratch: the static `container` tool
# at /usr/bin/container, static busybox for /bin/sh and friends, and the
# image's own stamped record in /etc/waybill/metadata.d.
#
#   base-image/build.sh [DOCKER BUILD ARGS...]
#
# Prints the image name on stdout; everything else goes to stderr.
# Nothing is pulled: the build runs with --network none.
#
# Environment:
#   WAYBILL_BASE_IMAGE    image to build (default waybill/base:latest)
#   WAYBILL_REPO          git work tree to stamp from (default: this checkout)
#   WAYBILL_EXTRA_LABELS  extra labels, whitespace-separated KEY=VALUE
#   WAYBILL_BIN           a built `waybill` (default: cargo build --release)
#   CONTAINER_BIN         a static `container` (default: scripts/build-static.sh)
#   BUSYBOX_BIN           a static busybox (default: /bin/busybox, installing
#                         Debian's busybox-static with apt-get if missing)
#   SOURCE_DATE_EPOCH     build time to stamp (default: now)
# Any argument is passed on to `docker build`, e.g. --label KEY=VALUE.
set -euo pipefail

WB_SCRIPT=base-image/build.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

wb_help_if_asked "$@"

image=${WAYBILL_BASE_IMAGE:-waybill/base:latest}
repo=${WAYBILL_REPO:-$WB_ROOT}

wb_require_engine
waybill=$(wb_waybill_bin)
container=$(wb_container_bin)
busybox=$(wb_busybox_bin)
busybox_version=$("$busybox" 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')

context=$(mktemp -d "${TMPDIR:-/tmp}/waybill-base.XXXXXX")
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/Dockerfile"
cp -R "$here/rootfs" "$context/rootfs"
cp "$busybox" "$context/busybox"
cp "$container" "$context/container"

stamp_args=(
  --project waybill-base
  --image-name "$(wb_image_repository "$image")"
  --tag "$image"
  --repo "$repo"
  --meta-json "$here/metadata.json"
  --meta "busybox_version=${busybox_version:-unknown}"
)
# FROM scratch: no base stack, the ancestry starts here.
wb_stamp "$waybill" "$context" "" "${stamp_args[@]}"
wb_extra_label_args

wb_note "building $image"
wb_docker_build -t "$image" "${WB_STAMP_LABEL_ARGS[@]}" "${WB_EXTRA_LABEL_ARGS[@]}" "$@" "$context" ||
  wb_die "docker build of $image failed (see the build output above)"
wb_note "built $image ($(docker image inspect --format '{{.Id}}' "$image"))"
echo "$image"
