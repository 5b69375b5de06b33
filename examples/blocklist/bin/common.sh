# Shared by the blocklist service's action scripts; sourced, not run.
#
# The layout, all under $BLOCKLIST_HOME (default /srv/blocklist):
#   releases/<name>/   one directory per loaded copy of the source data,
#                      with .updated_at (epoch seconds), .source and,
#                      when `waybill serve` pushed it, .revision
#   current            symlink to the live release, switched atomically
#   www/               httpd's document root; www/lists -> ../current
# The source is a directory of *.txt lists, mounted read-only at
# $BLOCKLIST_SOURCE (default /srv/source). The image ships a sample one at
# /usr/share/blocklist/sample.
#
# POSIX sh plus busybox applets only: no bash, no GNU options.

BLOCKLIST_HOME=${BLOCKLIST_HOME:-/srv/blocklist}
BLOCKLIST_SOURCE=${BLOCKLIST_SOURCE:-/srv/source}
BLOCKLIST_SAMPLE=${BLOCKLIST_SAMPLE:-/usr/share/blocklist/sample}
BLOCKLIST_PORT=${BLOCKLIST_PORT:-8080}
# MONITOR: data older than this many seconds is WARNING, older than the
# second CRITICAL. The seed rebuilt and redeployed nightly, so a day is
# already suspicious.
BLOCKLIST_WARN_AGE=${BLOCKLIST_WARN_AGE:-86400}
BLOCKLIST_CRIT_AGE=${BLOCKLIST_CRIT_AGE:-604800}
# How many releases to keep on disk, the live one included.
BLOCKLIST_KEEP=${BLOCKLIST_KEEP:-3}

releases=$BLOCKLIST_HOME/releases
current=$BLOCKLIST_HOME/current
www=$BLOCKLIST_HOME/www

say() {
  echo ">> $*"
}

fail() {
  echo "blocklist: error: $*" >&2
  exit 1
}

# The live release's directory name; nothing when none is live.
live_release() {
  if [ -L "$current" ]; then
    basename "$(readlink "$current")"
  fi
}

# Checks list files: every line that is not blank or a comment (`#` to
# the end of the line) must be one IPv4 address or one IPv4 network in
# CIDR form. Prints each bad line to stderr as NAME:LINE: (NAME without
# its directory) and fails when there is one. On success prints one
# `PATH ENTRIES` line per file.
check_files() {
  awk '
    function octet(s) { return s ~ /^[0-9]+$/ && length(s) <= 3 && s + 0 <= 255 }
    function ipv4(s,   part, i) {
      if (split(s, part, ".") != 4) return 0
      for (i = 1; i <= 4; i++) if (!octet(part[i])) return 0
      return 1
    }
    function entry(s,   half, n) {
      n = split(s, half, "/")
      if (n == 1) return ipv4(half[1])
      return n == 2 && ipv4(half[1]) && half[2] ~ /^[0-9]+$/ && length(half[2]) <= 2 && half[2] + 0 <= 32
    }
    FNR == 1 {
      files[++nfiles] = FILENAME
      entries[FILENAME] = 0
      name = FILENAME
      sub(/.*\//, "", name)
    }
    {
      line = $0
      sub(/#.*/, "", line)
      gsub(/^[ \t\r]+|[ \t\r]+$/, "", line)
      if (line == "") next
      if (entry(line)) { entries[FILENAME]++; next }
      printf "%s:%d: not an IPv4 address or CIDR network: %s\n", name, FNR, line > "/dev/stderr"
      bad++
    }
    END {
      if (bad) { printf "%d bad line(s)\n", bad > "/dev/stderr"; exit 1 }
      for (i = 1; i <= nfiles; i++) printf "%s %d\n", files[i], entries[files[i]]
    }
  ' "$@"
}

# Checks every *.txt list in directory $1 (see check_files); there must
# be at least one. On success prints the total number of entries.
check_lists() {
  set -- "$1"/*.txt
  if [ ! -f "$1" ]; then
    echo "${1%/\*.txt}: no *.txt list files" >&2
    return 1
  fi
  counts=$(check_files "$@") || return 1
  echo "$counts" | awk '{ total += $NF } END { print total + 0 }'
}

# Number of entries in the live release's lists (0 when none is live).
live_entries() {
  [ -d "$current/" ] || { echo 0; return; }
  check_lists "$current" 2>/dev/null || echo 0
}

# Epoch seconds the live release was made (0 when none is live).
live_updated_at() {
  cat "$current/.updated_at" 2>/dev/null || echo 0
}

# Succeeds when httpd serves the live release's first list exactly as it
# is on disk. Sets http_url to the URL it fetched.
http_check() {
  set -- "$current"/*.txt
  http_url=http://127.0.0.1:$BLOCKLIST_PORT/lists/$(basename "$1")
  [ -f "$1" ] || return 1
  # Not `wget -T`: it segfaults in the static busybox 1.35 of Debian 12.
  timeout 5 wget -q -O - "$http_url" 2>/dev/null | cmp -s - "$1"
}
