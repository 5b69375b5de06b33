#!/bin/sh
# UPDATE: loads the source directory into a new release, validates it
# with `container --validate`, then makes it live by switching the
# `current` symlink in one rename. A release that fails validation is
# thrown away: the old one stays live and this exits non-zero.
#
# The seed's bind and rbldnsd containers did the same with a git pull,
# named-checkzone and `rndc reload`. busybox httpd opens each file per
# request, so there is nothing to reload after the switch.
set -eu
. "$(dirname "$0")/common.sh"

source=$BLOCKLIST_SOURCE
[ -d "$source" ] || fail "the source $source is not a directory; mount one with -v DIR:$source:ro"

mkdir -p "$releases" "$www"
[ -L "$www/lists" ] || ln -s ../current "$www/lists"

name=$(date -u +%Y%m%dT%H%M%SZ)-$$
staging=$releases/.new-$name
trap 'rm -rf "$staging"' EXIT

say "Copying $source into release $name"
mkdir "$staging"
for file in "$source"/*; do
  [ -f "$file" ] || continue
  cp "$file" "$staging/"
done

say "Validating release $name"
if ! BLOCKLIST_VALIDATE_DIR=$staging container --validate; then
  live=$(live_release)
  fail "release $name failed validation and was discarded; ${live:-no release} stays live"
fi

date +%s >"$staging/.updated_at"
echo "$source" >"$staging/.source"
# `waybill serve` passes the push that caused this update (docs/serve.md);
# keep its revision with the release, so the live data says what it is.
if [ -n "${WAYBILL_PUSH_REVISION:-}" ]; then
  echo "$WAYBILL_PUSH_REVISION" >"$staging/.revision"
  say "Release $name is revision $WAYBILL_PUSH_REVISION of ${WAYBILL_PUSH_REPOSITORY:-the pushed repository}"
fi
mv "$staging" "$releases/$name"

say "Switching to release $name"
rm -f "$BLOCKLIST_HOME/current.new"
ln -s "releases/$name" "$BLOCKLIST_HOME/current.new"
mv -T "$BLOCKLIST_HOME/current.new" "$current"
say "Release $name is live ($(live_entries) entries); httpd needs no reload"

# Keep the newest releases for a manual rollback; never the live one.
ls -1 "$releases" | sort -r | awk -v keep="$BLOCKLIST_KEEP" 'NR > keep' |
  while read -r old; do
    [ "$old" = "$name" ] || rm -rf "${releases:?}/$old"
  done
