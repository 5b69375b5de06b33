#!/bin/sh
# MONITOR: one Nagios status line with performance data, and the Nagios
# exit code: 0 OK (httpd serves fresh data), 1 WARNING (the data is older
# than $BLOCKLIST_WARN_AGE seconds), 2 CRITICAL (httpd does not answer, no
# release is live, or the data is older than $BLOCKLIST_CRIT_AGE).
. "$(dirname "$0")/common.sh"

live=$(live_release)
if [ -z "$live" ]; then
  echo "CRITICAL: no release is live"
  exit 2
fi
entries=$(live_entries)
age=$(($(date +%s) - $(live_updated_at)))
perf="| entries=$entries age=${age}s;$BLOCKLIST_WARN_AGE;$BLOCKLIST_CRIT_AGE"

if ! http_check; then
  echo "CRITICAL: httpd does not serve $http_url $perf"
  exit 2
fi
if [ "$age" -gt "$BLOCKLIST_CRIT_AGE" ]; then
  echo "CRITICAL: release $live is ${age}s old $perf"
  exit 2
fi
if [ "$age" -gt "$BLOCKLIST_WARN_AGE" ]; then
  echo "WARNING: release $live is ${age}s old $perf"
  exit 1
fi
echo "OK: serving $entries entries from release $live, updated ${age}s ago $perf"
exit 0
