# Helpers shared by base-image/build.sh and examples/blocklist/build.sh.
#
# Sourced, not run. It finds the tools an image build needs (a Docker
# engine, the `waybill` stamping binary, the static `container` binary,
# static busybox), builds the ones it can, and turns the environment's
# options into `docker build` arguments. It does not decide what goes
# into an image: each build.sh and its Dockerfile do that.
#
# Every function fails with a message naming what was missing and how to
# provide it, prefixed with the calling script's name ($WB_SCRIPT).

WB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

wb_die() {
  echo "${WB_SCRIPT:-build}: error: $*" >&2
  exit 1
}

wb_note() {
  echo "${WB_SCRIPT:-build}: $*" >&2
}

# Fails unless a Docker engine answers within a deadline.
# Prints the calling script's header comment and exits, when its first
# argument asks for help: `wb_help_if_asked "$@"`.
wb_help_if_asked() {
  case ${1:-} in
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[1]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
  esac
}

wb_require_engine() {
  command -v docker >/dev/null 2>&1 ||
    wb_die "the docker CLI is not installed (Debian: apt-get install docker.io)"
  if ! timeout 30 docker info >/dev/null 2>&1; then
    wb_die "no Docker engine answers \`docker info\` (is dockerd running? is DOCKER_HOST right?)"
  fi
}

# Succeeds when $1 is a statically linked executable.
wb_is_static() {
  local bin=$1
  [ -f "$bin" ] && [ -x "$bin" ] || return 1
  # Captured first, not piped: under pipefail, ldd's exit status 1 for a
  # static binary (or grep -q closing the pipe early) would fail the test.
  local what
  if command -v file >/dev/null 2>&1; then
    what=$(file -L "$bin" 2>&1 || true)
    grep -Eq 'statically linked|static-pie linked' <<<"$what"
  else
    what=$(LC_ALL=C ldd "$bin" 2>&1 || true)
    grep -Eq 'not a dynamic executable|statically linked' <<<"$what"
  fi
}

# The path of the `waybill` binary: $WAYBILL_BIN, else a release build of
# this checkout (built now; cargo makes that quick when it is current).
wb_waybill_bin() {
  if [ -n "${WAYBILL_BIN:-}" ]; then
    [ -x "$WAYBILL_BIN" ] || wb_die "WAYBILL_BIN=$WAYBILL_BIN is not an executable file"
    echo "$WAYBILL_BIN"
    return
  fi
  command -v cargo >/dev/null 2>&1 ||
    wb_die "cargo is not installed; install Rust or set WAYBILL_BIN to a built waybill binary"
  wb_note "building waybill (cargo build --release --bin waybill); set WAYBILL_BIN to skip"
  cargo build --manifest-path "$WB_ROOT/Cargo.toml" --release --locked --bin waybill >&2 ||
    wb_die "building waybill failed (see cargo's output above)"
  local bin=${CARGO_TARGET_DIR:-$WB_ROOT/target}/release/waybill
  # CARGO_TARGET_DIR may be relative to the directory cargo ran in.
  case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
  [ -x "$bin" ] || wb_die "cargo reported success but $bin does not exist"
  echo "$bin"
}

# The path of a static `container` binary: $CONTAINER_BIN, else built now
# by scripts/build-static.sh (its own target dir, so this is safe to run
# while another cargo command holds the main one).
wb_container_bin() {
  local bin
  if [ -n "${CONTAINER_BIN:-}" ]; then
    bin=$CONTAINER_BIN
  else
    wb_note "building the static container binary (scripts/build-static.sh); set CONTAINER_BIN to skip"
    bin=$("$WB_ROOT/scripts/build-static.sh") ||
      wb_die "scripts/build-static.sh failed (see its output above)"
  fi
  [ -x "$bin" ] || wb_die "container binary $bin is not an executable file"
  wb_is_static "$bin" ||
    wb_die "container binary $bin is not statically linked; a FROM scratch image cannot run it"
  echo "$bin"
}

# The path of a static busybox: $BUSYBOX_BIN, else /bin/busybox or
# /usr/bin/busybox, installing Debian's busybox-static when neither is
# static.
wb_busybox_bin() {
  local candidate
  if [ -n "${BUSYBOX_BIN:-}" ]; then
    wb_is_static "$BUSYBOX_BIN" || wb_die "BUSYBOX_BIN=$BUSYBOX_BIN is not a static executable"
    echo "$BUSYBOX_BIN"
    return
  fi
  for candidate in /bin/busybox /usr/bin/busybox; do
    if wb_is_static "$candidate"; then
      echo "$candidate"
      return
    fi
  done
  command -v apt-get >/dev/null 2>&1 ||
    wb_die "no static busybox found and no apt-get to install one; set BUSYBOX_BIN"
  [ "$(id -u)" = 0 ] ||
    wb_die "no static busybox found; run \`apt-get install busybox-static\` as root or set BUSYBOX_BIN"
  wb_note "no static busybox found; installing busybox-static with apt-get"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static; } >&2 ||
    wb_die "apt-get could not install busybox-static; install it or set BUSYBOX_BIN"
  for candidate in /bin/busybox /usr/bin/busybox; do
    if wb_is_static "$candidate"; then
      echo "$candidate"
      return
    fi
  done
  wb_die "busybox-static was installed but no static busybox is at /bin/busybox or /usr/bin/busybox"
}

# Fills the array WB_EXTRA_LABEL_ARGS with one --label=KEY=VALUE per
# whitespace-separated KEY=VALUE in $WAYBILL_EXTRA_LABELS. Values cannot
# hold whitespace this way; pass `--label` arguments to build.sh instead.
wb_extra_label_args() {
  WB_EXTRA_LABEL_ARGS=()
  local item
  for item in ${WAYBILL_EXTRA_LABELS:-}; do
    case $item in
      ?*=*) WB_EXTRA_LABEL_ARGS+=("--label=$item") ;;
      *) wb_die "WAYBILL_EXTRA_LABELS item \`$item\` is not KEY=VALUE" ;;
    esac
  done
}

# Stamps one record and the labels that describe it:
#
#   wb_stamp WAYBILL CONTEXT BASE STAMP_ARGS...
#
# writes the record to CONTEXT/waybill.json with `waybill stamp
# STAMP_ARGS... --output`, then fills the array WB_STAMP_LABEL_ARGS with
# the labels for that same file (`waybill stamp --record`), one docker
# argument each; the `io.waybill.stack` ancestry starts from BASE's stack
# unless BASE is empty. The labels never come from a second reading of
# git or the clock, so they cannot disagree with the filed record.
wb_stamp() {
  local waybill=$1 context=$2 base=$3
  shift 3
  local record=$context/waybill.json
  "$waybill" stamp "$@" --output "$record" ||
    wb_die "\`waybill stamp --output\` failed (see its message above)"
  local label_args=(stamp --record "$record" --format labels)
  [ -z "$base" ] || label_args+=(--from "$base")
  local text
  text=$("$waybill" "${label_args[@]}") ||
    wb_die "\`waybill stamp --record --format labels\` failed (see its message above)"
  [ -n "$text" ] || wb_die "\`waybill stamp --record --format labels\` printed nothing"
  mapfile -t WB_STAMP_LABEL_ARGS <<<"$text"
}

# The repository part of an image reference: the tag is dropped, a
# registry port is kept (`localhost:5000/x:1` -> `localhost:5000/x`).
wb_image_repository() {
  local image=$1
  case ${image##*/} in
    *:*) echo "${image%:*}" ;;
    *) echo "$image" ;;
  esac
}

# Runs the classic builder: no BuildKit (not installed with Docker 20.10's
# Debian packages, and not needed), no network (nothing may be pulled),
# intermediate containers removed even when a step fails. Build output
# goes to stderr so stdout carries only the image name.
wb_docker_build() {
  DOCKER_BUILDKIT=0 docker build --network none --force-rm "$@" >&2
}
