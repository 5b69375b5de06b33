#!/bin/sh
# START: loads the data, then becomes busybox httpd serving it on
# $BLOCKLIST_PORT. `container --start` runs this as the ENTRYPOINT and
# forwards signals; httpd, exec'd, gets SIGTERM from `docker stop`.
# CMD words are passed on to httpd as extra options.
set -eu
. "$(dirname "$0")/common.sh"

mkdir -p "$releases" "$www"
[ -L "$www/lists" ] || ln -s ../current "$www/lists"

load_sample() {
  say "Loading the built-in sample data from $BLOCKLIST_SAMPLE"
  BLOCKLIST_SOURCE=$BLOCKLIST_SAMPLE container --update ||
    fail "the built-in sample data did not load"
}

if [ -d "$BLOCKLIST_SOURCE" ]; then
  say "Loading $BLOCKLIST_SOURCE"
  if ! container --update; then
    live=$(live_release)
    if [ -n "$live" ]; then
      echo "blocklist: warning: $BLOCKLIST_SOURCE did not load; release $live stays live" >&2
    else
      echo "blocklist: warning: $BLOCKLIST_SOURCE did not load and no release is live" >&2
      load_sample
    fi
  fi
elif [ -n "$(live_release)" ]; then
  say "No source mounted at $BLOCKLIST_SOURCE; release $(live_release) stays live"
else
  say "No source mounted at $BLOCKLIST_SOURCE"
  load_sample
fi

say "Serving $www on port $BLOCKLIST_PORT"
exec httpd -f -p "$BLOCKLIST_PORT" -h "$www" "$@"
