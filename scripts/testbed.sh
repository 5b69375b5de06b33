#!/usr/bin/env bash
# The multi-host testbed: several Docker engines on this one machine, each
# in a network namespace of its own, joined by a private bridge. Tests
# (tests/testbed/mod.rs) and benchmarks (scripts/bench-*.sh) share it.
#
#   scripts/testbed.sh up ID NODE...   start a testbed; prints its description
#   scripts/testbed.sh down ID         remove everything testbed ID made
#   scripts/testbed.sh sweep [--all]   remove testbeds whose owner process is gone
#                                      (a killed test run), or all of them
#   scripts/testbed.sh describe ID     print the description again
#   scripts/testbed.sh load ID IMAGE…  copy images from the main engine to every node
#   scripts/testbed.sh swarm ID        make the first node a Swarm manager, the rest workers
#   scripts/testbed.sh stop-node ID NODE / start-node ID NODE
#                                      stop or restart one node's engine
#
# ID is 1-6 characters [a-z0-9]. NODE is NAME or NAME:OPT,OPT… with NAME
# 1-3 characters [a-z0-9] and OPT one of
#   tls       the engine listens on tcp :2376 with --tlsverify only; a CA,
#             server and client certificates are made by this script
#   ssh       an sshd on :2222 in the namespace reaches this node's engine
#             (`ssh://root@ADDR:2222`), with a key made by this script
#   engine26  Debian 13's docker.io 26.1 instead of this machine's engine
#             (downloaded once into $WAYBILL_TESTBED_CACHE)
#
# Every node gets a namespace `wbt-ID-NAME` with no default route (a Swarm
# worker then fails its image pull at once and uses the loaded image), an
# address on the bridge `wbt-ID`, and a dockerd with its own config file,
# data-root, exec-root, pidfile, unix socket and containerd namespace,
# listening on tcp://ADDR:2375 (or :2376 with TLS). Nothing of the main
# engine is touched except one ACCEPT rule in the DOCKER-USER chain, which
# `down` removes. The description printed by `up` and `describe` is one line
# per node: NAME ADDR UNIX_SOCKET TCP_URL TLS_DIR|- SSH_URL|- VERSION.
# TLS_DIR holds ca.pem, cert.pem and key.pem for clients (DOCKER_CERT_PATH).
# ssh clients need $RUN_ROOT/ID/bin first on PATH: its `ssh` wrapper names
# the testbed's client config (user, key, no host-key prompts). It has no
# Port line: a client must pass the address's :2222 to ssh itself (`-p`), as
# the docker CLI and waybill do.
#
# The owner of a testbed is the process that ran `up` (its parent pid), or
# $WAYBILL_TESTBED_OWNER: `sweep` leaves testbeds whose owner still lives.
#
# Root is required (namespaces, bridges, iptables, dockerd).
set -euo pipefail

RUN_ROOT=${WAYBILL_TESTBED_RUN:-/run/waybill-testbed}
DATA_ROOT=${WAYBILL_TESTBED_DATA:-/var/lib/waybill-testbed}
CACHE=${WAYBILL_TESTBED_CACHE:-/var/cache/waybill-testbed}
ENGINE_DEADLINE=${WAYBILL_TESTBED_DEADLINE:-90}

die() {
  printf 'testbed: error: %s\n' "$*" >&2
  exit 1
}
say() {
  printf 'testbed: %s\n' "$*" >&2
}

check_id() {
  [[ $1 =~ ^[a-z0-9]{1,6}$ ]] || die "testbed id \`$1\` must be 1-6 characters [a-z0-9]"
}

# A /24 in 10.201.0.0/16 that no interface uses yet.
free_subnet() {
  local used k
  used=$(ip -4 -o addr show | awk '{print $4}')
  for k in $(seq 1 250); do
    grep -q "^10\.201\.$k\." <<<"$used" || {
      echo "10.201.$k"
      return
    }
  done
  die "no free /24 left in 10.201.0.0/16"
}

storage_driver() {
  timeout 30 docker info --format '{{.Driver}}' 2>/dev/null || echo overlay2
}

# The Debian archive this machine's own apt sources use (not the security
# archive), so the testbed fetches from wherever this machine may.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '/^[[:space:]]*#/ {next}
      {for (i = 1; i <= NF; i++) if ($i ~ /^https?:\/\// && $i !~ /security/) {print $i; exit}}')
  [ -n "$uri" ] || die "no Debian archive in this machine's apt sources"
  echo "$uri"
}

# Debian 13's docker.io 26.1 and its containerd, unpacked once into $CACHE.
engine26_dir() {
  local dir=$CACHE/docker-26
  if [ ! -x "$dir/root/usr/sbin/dockerd" ]; then
    say "fetching Debian 13's docker.io 26.1 into $dir"
    local apt=$dir/apt
    rm -rf "$dir" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources" "$dir/root"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$(debian_mirror)" >"$apt/sources/trixie.sources"
    local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt/sources"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
    apt-get "${opts[@]}" -qq update >&2 || die "apt-get update for trixie failed"
    (cd "$apt/cache" && apt-get "${opts[@]}" -qq download docker.io containerd >&2) ||
      die "downloading docker.io and containerd from trixie failed"
    local deb
    for deb in "$apt"/cache/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
    # This machine's runc stays in use: Debian 13's needs a newer glibc.
    rm -f "$dir/root/usr/sbin/runc" "$dir/root/usr/bin/runc"
    rm -rf "$apt"
  fi
  echo "$dir/root"
}

node_field() { # ID NAME FIELD
  cat "$RUN_ROOT/$1/$2/$3"
}

wait_engine() { # SOCKET LOG
  local deadline=$((SECONDS + ENGINE_DEADLINE))
  until timeout 10 docker -H "unix://$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$2" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

make_certs() { # DIR ADDR
  local dir=$1 addr=$2
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=waybill testbed CA" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$addr" -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$addr" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=waybill testbed client" -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile client.ext -out cert.pem 2>/dev/null
    rm -f ./*.csr ./*.ext ./*.srl
    chmod 600 ./*key.pem
  )
}

# Starts the node's engine without waiting for it to answer.
launch_engine() { # ID NAME
  local id=$1 name=$2 run=$RUN_ROOT/$1/$2
  local ns version_path="" log=$run/dockerd.log
  ns=$(node_field "$id" "$name" ns)
  if [ -f "$run/engine26" ]; then
    version_path="$(engine26_dir)/usr/sbin:$(engine26_dir)/usr/bin:"
  fi
  # `ip netns exec` would remount /sys, and dockerd then fails with
  # "Devices cgroup isn't mounted"; nsenter only changes the network.
  nohup nsenter --net="/run/netns/$ns" unshare --uts \
    env PATH="$version_path$PATH" sh -c 'hostname "$1"; exec dockerd --config-file "$2"' \
    sh "$ns" "$run/daemon.json" >"$log" 2>&1 </dev/null &
}

await_engine() { # ID NAME
  local run=$RUN_ROOT/$1/$2
  wait_engine "$run/docker.sock" "$run/dockerd.log" ||
    die "the engine of node $2 did not answer within ${ENGINE_DEADLINE}s (log above: $run/dockerd.log)"
}

start_engine() { # ID NAME
  launch_engine "$1" "$2"
  await_engine "$1" "$2"
}

stop_engine() { # ID NAME
  local run=$RUN_ROOT/$1/$2 pid
  [ -f "$run/docker.pid" ] || return 0
  pid=$(cat "$run/docker.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
}

# Removes the node's containers while its engine still answers, so that
# stopping it does not wait on them.
remove_containers() { # ID NAME
  local sock=$RUN_ROOT/$1/$2/docker.sock ids
  [ -S "$sock" ] || return 0
  ids=$(timeout 20 docker -H "unix://$sock" ps -aq 2>/dev/null) || return 0
  [ -z "$ids" ] || timeout 60 docker -H "unix://$sock" rm -f -v $ids >/dev/null 2>&1 || true
}

# Whatever still runs from the node's directories once its engine is gone:
# its own containerd and shims, when the engine started one, or a
# container process the engine could not stop.
kill_leftovers() { # ID NAME
  local run=$RUN_ROOT/$1/$2 pid
  for pid in $(grep -l -F -- "$run/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  # With a system containerd (/run/containerd), the engine used it under
  # its own namespace: remove that namespace's leftovers there.
  local ns=wbt-$1-$2 task
  [ -S /run/containerd/containerd.sock ] && command -v ctr >/dev/null 2>&1 || return 0
  timeout 5 ctr namespaces ls -q >/dev/null 2>&1 || return 0
  for task in $(timeout 10 ctr -n "$ns" tasks ls -q 2>/dev/null); do
    timeout 10 ctr -n "$ns" tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
    timeout 10 ctr -n "$ns" tasks rm -f "$task" >/dev/null 2>&1 || true
  done
  for task in $(timeout 10 ctr -n "$ns" containers ls -q 2>/dev/null); do
    timeout 10 ctr -n "$ns" containers rm "$task" >/dev/null 2>&1 || true
  done
}

add_node() { # ID NAME OPTS ADDR BRIDGE_ADDR DRIVER INDEX
  local id=$1 name=$2 opts=$3 addr=$4 gateway=$5 driver=$6 index=$7
  local ns=wbt-$id-$name run=$RUN_ROOT/$id/$name data=$DATA_ROOT/$id/$name
  local veth=wbt$id$name
  mkdir -p "$run" "$data"
  echo "$ns" >"$run/ns"
  echo "$addr" >"$run/addr"
  ip netns add "$ns"
  echo "$veth" >"$run/veth"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "wbt-$id" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  # No default route, on purpose (see the header).

  local tls=false ssh=false port=2375
  case ",$opts," in *,tls,*) tls=true port=2376 ;; esac
  case ",$opts," in *,ssh,*) ssh=true ;; esac
  case ",$opts," in *,engine26,*) touch "$run/engine26" ;; esac
  local tls_json="" key_json=""
  # Engine 20.10 takes its engine ID from a trust key, by default the
  # machine's /etc/docker/key.json: every node would share the main
  # engine's ID and not look like a host of its own. Later engines keep the
  # ID in their data-root and refuse this (removed) setting.
  [ -f "$run/engine26" ] || key_json="\"deprecated-key-path\": \"$run/key.json\","
  if [ "$tls" = true ]; then
    make_certs "$run/tls" "$addr"
    tls_json=$(printf '"tls": true, "tlsverify": true, "tlscacert": "%s", "tlscert": "%s", "tlskey": "%s",' \
      "$run/tls/ca.pem" "$run/tls/server-cert.pem" "$run/tls/server-key.pem")
  fi
  cat >"$run/daemon.json" <<EOF
{
  "data-root": "$data/docker",
  "exec-root": "$run/exec",
  "pidfile": "$run/docker.pid",
  "hosts": ["unix://$run/docker.sock", "tcp://$addr:$port"],
  $tls_json
  $key_json
  "storage-driver": "$driver",
  "bip": "172.30.$index.1/24",
  "containerd-namespace": "$ns",
  "containerd-plugins-namespace": "$ns-plugins",
  "shutdown-timeout": 3,
  "log-driver": "json-file",
  "log-opts": {"max-size": "1m", "max-file": "1"},
  "labels": ["io.waybill.testbed=$id", "io.waybill.testbed.node=$name"]
}
EOF
  launch_engine "$id" "$name"

  if [ "$ssh" = true ]; then
    mkdir -p "$run/ssh"
    ssh-keygen -q -t ed25519 -N '' -f "$run/ssh/host_key" >/dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$run/ssh/id_ed25519" >/dev/null
    cp "$run/ssh/id_ed25519.pub" "$run/ssh/authorized_keys"
    chmod 600 "$run/ssh/authorized_keys"
    # `docker system dial-stdio` on the far side reaches its default
    # socket; the namespaces share one file system, so DOCKER_HOST points
    # it at this node's engine instead of the main one.
    cat >"$run/ssh/sshd_config" <<EOF
Port 2222
ListenAddress $addr
HostKey $run/ssh/host_key
PidFile $run/ssh/sshd.pid
AuthorizedKeysFile $run/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=unix://$run/docker.sock
EOF
    mkdir -p /run/sshd
    nsenter --net="/run/netns/$ns" /usr/sbin/sshd -f "$run/ssh/sshd_config" -E "$run/ssh/sshd.log"
    # ssh reads its user config from the passwd entry's home, not $HOME:
    # clients reach the node through the wrapper $RUN_ROOT/ID/bin/ssh,
    # which names this testbed's own config file. No `Port 2222` in it:
    # clients must take the port from the address (tests prove they do).
    printf 'Host %s\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' \
      "$addr" "$run/ssh/id_ed25519" >>"$RUN_ROOT/$id/ssh_config"
    mkdir -p "$RUN_ROOT/$id/bin"
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$RUN_ROOT/$id/ssh_config" >"$RUN_ROOT/$id/bin/ssh"
    chmod +x "$RUN_ROOT/$id/bin/ssh"
  fi
}

describe() { # ID
  local id=$1 run=$RUN_ROOT/$1 name addr tcp tls ssh version
  [ -d "$run" ] || die "no testbed \`$id\` (nothing in $run)"
  for name in $(cat "$run/nodes"); do
    addr=$(node_field "$id" "$name" addr)
    if [ -d "$run/$name/tls" ]; then
      tcp=tcp://$addr:2376 tls=$run/$name/tls
    else
      tcp=tcp://$addr:2375 tls=-
    fi
    ssh=-
    [ -d "$run/$name/ssh" ] && ssh=ssh://root@$addr:2222
    version=$(timeout 10 docker -H "unix://$run/$name/docker.sock" version --format '{{.Server.Version}}' 2>/dev/null || echo down)
    echo "$name $addr unix://$run/$name/docker.sock $tcp $tls $ssh $version"
  done
}

up() { # ID NODE...
  local id=$1
  shift
  check_id "$id"
  [ "$(id -u)" = 0 ] || die "the testbed needs root (network namespaces, bridges, iptables)"
  [ $# -ge 1 ] || die "name at least one node"
  [ ! -e "$RUN_ROOT/$id" ] || die "testbed \`$id\` exists already; \`$0 down $id\` first"
  local subnet driver
  driver=$(storage_driver)
  # Two testbeds coming up at once would pick the same free subnet: hold a
  # lock from the choice until the bridge has its address. Closed before
  # any engine starts, so no daemon inherits it.
  mkdir -p "$RUN_ROOT"
  exec 9>"$RUN_ROOT/.lock"
  flock -w 120 9 || die "another testbed held $RUN_ROOT/.lock for 120 s"
  subnet=$(free_subnet)
  mkdir -p "$RUN_ROOT/$id" "$DATA_ROOT/$id"
  echo "$subnet" >"$RUN_ROOT/$id/subnet"
  echo "${WAYBILL_TESTBED_OWNER:-$PPID}" >"$RUN_ROOT/$id/owner"
  : >"$RUN_ROOT/$id/nodes"
  # From here on a failure tears down what was made.
  trap 'say "start-up failed; tearing down"; down "$id" >&2 || true' ERR
  ip link add "wbt-$id" type bridge
  ip addr add "$subnet.1/24" dev "wbt-$id"
  ip link set "wbt-$id" up
  touch "$RUN_ROOT/$id/bridge"
  exec 9>&-
  iptables -I DOCKER-USER -i "wbt-$id" -o "wbt-$id" -j ACCEPT
  touch "$RUN_ROOT/$id/iptables"
  local spec name opts index=1
  for spec in "$@"; do
    name=${spec%%:*}
    opts=${spec#"$name"}
    opts=${opts#:}
    [[ $name =~ ^[a-z0-9]{1,3}$ ]] || die "node name \`$name\` must be 1-3 characters [a-z0-9]"
    echo "$name" >>"$RUN_ROOT/$id/nodes"
    add_node "$id" "$name" "$opts" "$subnet.$((10 + index))" "$subnet.1" "$driver" "$index"
    index=$((index + 1))
  done
  for name in $(cat "$RUN_ROOT/$id/nodes"); do
    await_engine "$id" "$name"
  done
  trap - ERR
  describe "$id"
}

down() { # ID
  local id=$1 run=$RUN_ROOT/$1 name ns pid
  check_id "$id"
  [ -d "$run" ] || return 0
  for name in $(cat "$run/nodes" 2>/dev/null); do
    if [ -f "$run/$name/ssh/sshd.pid" ]; then
      pid=$(cat "$run/$name/ssh/sshd.pid" 2>/dev/null || true)
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    fi
    remove_containers "$id" "$name"
    stop_engine "$id" "$name"
    kill_leftovers "$id" "$name"
  done
  for name in $(cat "$run/nodes" 2>/dev/null); do
    ns=wbt-$id-$name
    ip link del "wbt$id$name" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ -f "$run/iptables" ]; then
    while iptables -D DOCKER-USER -i "wbt-$id" -o "wbt-$id" -j ACCEPT 2>/dev/null; do :; done
  fi
  ip link del "wbt-$id" 2>/dev/null || true
  # Mounts the engines left under their data roots (overlay layers, shm).
  if [ -d "$DATA_ROOT/$id" ]; then
    local mnt
    for mnt in $(awk -v root="$DATA_ROOT/$id/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r); do
      umount -l "$mnt" 2>/dev/null || true
    done
    rm -rf "${DATA_ROOT:?}/$id"
  fi
  for mnt in $(awk -v root="$run/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf "${RUN_ROOT:?}/$id"
}

sweep() { # [--all]
  local dir owner
  # Under up's lock: a testbed coming up has its directory a moment before
  # its owner file, and must not be taken for an orphan then.
  mkdir -p "$RUN_ROOT"
  exec 9>"$RUN_ROOT/.lock"
  flock -w 300 9 || die "another testbed held $RUN_ROOT/.lock for 300 s"
  for dir in "$RUN_ROOT"/*/; do
    [ -d "$dir" ] || continue
    owner=$(cat "$dir/owner" 2>/dev/null || true)
    if [ "${1:-}" != --all ] && [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
      continue
    fi
    say "removing testbed $(basename "$dir")"
    down "$(basename "$dir")"
  done
  # Namespaces whose state directory is gone.
  local ns id
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^wbt-/ {print $1}'); do
    id=${ns#wbt-}
    id=${id%%-*}
    [ -d "$RUN_ROOT/$id" ] || ip netns del "$ns" 2>/dev/null || true
  done
}

load() { # ID IMAGE...
  local id=$1 name
  shift
  check_id "$id"
  for name in $(cat "$RUN_ROOT/$id/nodes"); do
    docker save "$@" | docker -H "unix://$RUN_ROOT/$id/$name/docker.sock" load -q >/dev/null ||
      die "loading $* into node $name failed"
  done
}

swarm() { # ID
  local id=$1 run=$RUN_ROOT/$1 manager name token addr
  check_id "$id"
  manager=$(head -n 1 "$run/nodes")
  addr=$(node_field "$id" "$manager" addr)
  docker -H "unix://$run/$manager/docker.sock" swarm init --advertise-addr "$addr" >/dev/null
  token=$(docker -H "unix://$run/$manager/docker.sock" swarm join-token -q worker)
  for name in $(tail -n +2 "$run/nodes"); do
    # A join can time out once while the bridge's forwarding settles:
    # leave and join again.
    local tries=0
    until timeout 60 docker -H "unix://$run/$name/docker.sock" swarm join --token "$token" "$addr:2377" >/dev/null 2>&1; do
      tries=$((tries + 1))
      [ "$tries" -lt 3 ] || die "node $name could not join the swarm"
      docker -H "unix://$run/$name/docker.sock" swarm leave --force >/dev/null 2>&1 || true
      sleep 1
    done
  done
}

case ${1:-} in
up)
  shift
  [ $# -ge 1 ] || die "usage: $0 up ID NODE..."
  up "$@"
  ;;
down)
  [ $# -eq 2 ] || die "usage: $0 down ID"
  down "$2"
  ;;
sweep) sweep "${2:-}" ;;
describe)
  [ $# -eq 2 ] || die "usage: $0 describe ID"
  describe "$2"
  ;;
load)
  [ $# -ge 3 ] || die "usage: $0 load ID IMAGE..."
  shift
  load "$@"
  ;;
swarm)
  [ $# -eq 2 ] || die "usage: $0 swarm ID"
  swarm "$2"
  ;;
stop-node)
  [ $# -eq 3 ] || die "usage: $0 stop-node ID NODE"
  stop_engine "$2" "$3"
  ;;
start-node)
  [ $# -eq 3 ] || die "usage: $0 start-node ID NODE"
  start_engine "$2" "$3"
  ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 64
  ;;
esac
