#!/bin/sh
# VALIDATE: checks the blocklist data, and for the live release also that
# httpd serves it. Runs as the image's HEALTHCHECK and from UPDATE.
#
# BLOCKLIST_VALIDATE_DIR=DIR checks a candidate release instead of the
# live one (UPDATE does this before switching to it); httpd is not asked,
# since it does not serve the candidate yet.
set -eu
. "$(dirname "$0")/common.sh"

if [ -n "${BLOCKLIST_VALIDATE_DIR:-}" ]; then
  say "Checking the lists in $BLOCKLIST_VALIDATE_DIR"
  entries=$(check_lists "$BLOCKLIST_VALIDATE_DIR") || fail "the lists in $BLOCKLIST_VALIDATE_DIR are not valid"
  say "$entries entries, all valid"
  exit 0
fi

live=$(live_release)
[ -n "$live" ] || fail "no release is live yet ($current does not exist)"
say "Checking the lists in release $live"
entries=$(check_lists "$current") || fail "the live release $live is not valid"
say "$entries entries, all valid"
say "Checking that httpd serves them"
http_check || fail "httpd on port $BLOCKLIST_PORT does not serve $http_url as it is on disk"
say "$http_url is served"
