#!/bin/sh
# METRICS: the service's state in Prometheus text exposition format 0.0.4.
set -eu
. "$(dirname "$0")/common.sh"

# A label value with backslash, double quote and newline escaped.
label_value() {
  printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'
}

echo "# HELP blocklist_entries Addresses and networks in each list of the live release."
echo "# TYPE blocklist_entries gauge"
if [ -n "$(live_release)" ]; then
  for file in "$current"/*.txt; do
    [ -f "$file" ] || continue
    counts=$(check_files "$file" 2>/dev/null) || continue
    entries=${counts##* }
    printf 'blocklist_entries{list="%s"} %d\n' "$(label_value "$(basename "$file")")" "${entries:-0}"
  done
fi

echo "# HELP blocklist_last_update_timestamp_seconds When the live release was loaded, in seconds since the epoch (0: none is live)."
echo "# TYPE blocklist_last_update_timestamp_seconds gauge"
echo "blocklist_last_update_timestamp_seconds $(live_updated_at)"

echo "# HELP blocklist_releases Releases kept on disk, the live one included."
echo "# TYPE blocklist_releases gauge"
echo "blocklist_releases $(ls -1 "$releases" 2>/dev/null | wc -l)"

echo "# HELP blocklist_http_up Whether httpd serves the live release as it is on disk."
echo "# TYPE blocklist_http_up gauge"
if http_check; then
  echo "blocklist_http_up 1"
else
  echo "blocklist_http_up 0"
fi
