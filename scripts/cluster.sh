#!/usr/bin/env bash
# The production topology of compose.yaml, on loopback, without containers:
# one database server (`portal db serve`, standing in for MongoDB), a NATS
# server, two `portal serve` replicas with the same settings, and nginx in
# front (deploy/nginx-portal.conf.template, the file compose.yaml uses).
#
#   ./scripts/cluster.sh up        start everything, print the proxy's address
#   ./scripts/cluster.sh status    what runs where (key=value lines)
#   ./scripts/cluster.sh down      stop everything
#   ./scripts/cluster.sh stop|kill|start a|b   one replica: SIGTERM and wait,
#                                  SIGKILL, or start it again on its port
#
# Needs nats-server and nginx (Debian: apt-get install nats-server nginx).
# CLUSTER_DIR holds the state, data and logs (logs/<name>.log); default
# $TMPDIR/portal-cluster. PORTAL_BIN is the portal binary (default: go build
# the repository's); PORTAL_DB_BIN, if set, runs the database server instead
# (replicas of an older version on today's `portal db serve`). Every other PORTAL_* setting in the environment (sign-in
# providers, SMTP, PORTAL_RATE_LIMIT...) reaches both replicas unchanged.
# Everything listens on 127.0.0.1 only: the database server has no
# authentication.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-${TMPDIR:-/tmp}/portal-cluster}"
state="$dir/state"

die() { echo "cluster: $*" >&2; exit 1; }
get() { sed -n "s/^$1=//p" "$state" 2>/dev/null | tail -1; }
# running PID: the process exists and is not a zombie (an exited process
# stays one until whoever inherited it reaps it, which may take a while).
running() {
  [ -r "/proc/$1/stat" ] || return 1
  local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ]
}
alive() { [ -f "$dir/pids/$1" ] && running "$(cat "$dir/pids/$1")"; }

# freeport picks a loopback port nothing answers on, below the range the
# kernel hands out to outgoing connections and to port-0 listeners (which
# could take a port chosen here before its server binds it).
freeport() {
  local p low=32768
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 11000 ] || die "no port range below the ephemeral ports ($low)"
  for _ in $(seq 50); do
    p=$(( 10000 + RANDOM % (low - 10000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

# waitfor NAME CMD...: retry CMD for up to 60 s while NAME runs.
waitfor() {
  local name=$1; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    alive "$name" || { tail -n 20 "$dir/logs/$name.log" >&2; die "$name exited"; }
    sleep 0.1
  done
  tail -n 20 "$dir/logs/$name.log" >&2
  die "$name not ready after 60 s"
}

ready() { curl -fsS -o /dev/null "$1/readyz"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# launch NAME CMD...: start CMD in the background, its output in logs/NAME.log.
launch() {
  local name=$1; shift
  setsid "$@" >>"$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$dir/pids/$name"
}

start_replica() {
  local r=$1 port
  port=$(get "replica_${r}_port")
  [ -n "$port" ] || die "no replica $r; run up first"
  alive "portal-$r" && die "portal-$r already runs"
  launch "portal-$r" env \
    MONGODB_URI="$(get db_uri)" PORTAL_NATS_URL="$(get nats_url)" \
    PORTAL_SESSION_KEY_FILE="$dir/session_key" PORTAL_BASE_URL="$(get proxy_url)" \
    PORTAL_ADDR="127.0.0.1:$port" PORTAL_DATA_DIR="$dir/data-$r" PORTAL_INSTANCE="portal-$r" \
    PORTAL_TRUSTED_PROXIES=127.0.0.1 \
    "$(get portal_bin)" serve
  waitfor "portal-$r" ready "http://127.0.0.1:$port"
}

# stop NAME SIGNAL: signal the process and wait until it is gone.
stop() {
  local name=$1 sig=$2 pid
  alive "$name" || { rm -f "$dir/pids/$name"; return 0; }
  pid=$(cat "$dir/pids/$name")
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 400); do running "$pid" || break; sleep 0.05; done
  running "$pid" && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pids/$name"
}

up() {
  command -v nats-server >/dev/null || die "nats-server is missing (apt-get install nats-server)"
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || die "nginx is missing (apt-get install nginx)"
  local nginx_bin; nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  [ -f "$state" ] && alive db && die "a cluster already runs in $dir (./scripts/cluster.sh down first)"
  # A start that fails half-way stops what it started.
  trap 'down' EXIT
  mkdir -p "$dir/pids" "$dir/logs" "$dir/nginx/temp"
  : >"$state"
  local bin="${PORTAL_BIN:-}"
  if [ -z "$bin" ]; then
    bin="$dir/portal"
    (cd "$root" && go build -o "$bin" .)
  fi
  echo "portal_bin=$bin" >>"$state"
  [ -f "$dir/session_key" ] || (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$dir/session_key")

  local db_port nats_port proxy_port
  db_port=$(freeport)
  launch db "${PORTAL_DB_BIN:-$bin}" db serve --listen "127.0.0.1:$db_port" --data "$dir/data-db"
  waitfor db grep -q '^mongodb://' "$dir/logs/db.log"
  echo "db_uri=$(grep -m1 '^mongodb://' "$dir/logs/db.log")" >>"$state"

  nats_port=$(freeport)
  launch nats nats-server -a 127.0.0.1 -p "$nats_port" --name portal-nats
  waitfor nats listening "$nats_port"
  echo "nats_url=nats://127.0.0.1:$nats_port" >>"$state"

  proxy_port=$(freeport)
  echo "proxy_url=http://127.0.0.1:$proxy_port" >>"$state"
  for r in a b; do
    echo "replica_${r}_port=$(freeport)" >>"$state"
  done
  for r in a b; do
    start_replica "$r"
    echo "replica_${r}_url=http://127.0.0.1:$(get "replica_${r}_port")" >>"$state"
  done

  sed -e "s|\${PORTAL_UPSTREAM_A}|127.0.0.1:$(get replica_a_port)|" \
      -e "s|\${PORTAL_UPSTREAM_B}|127.0.0.1:$(get replica_b_port)|" \
      -e "s|\${PORTAL_PROXY_LISTEN}|127.0.0.1:$proxy_port|" \
      "$root/deploy/nginx-portal.conf.template" >"$dir/nginx/portal.conf"
  local t="$dir/nginx/temp" user=""
  # As root, nginx would run its workers as nobody, who cannot enter a
  # private temporary directory.
  [ "$(id -u)" = 0 ] && user="user root;"
  cat >"$dir/nginx/nginx.conf" <<CONF
daemon off;
$user
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/logs/nginx.log warn;
events { worker_connections 1024; }
http {
    access_log $dir/logs/nginx-access.log;
    client_body_temp_path $t/body;
    proxy_temp_path $t/proxy;
    fastcgi_temp_path $t/fastcgi;
    uwsgi_temp_path $t/uwsgi;
    scgi_temp_path $t/scgi;
    include $dir/nginx/portal.conf;
}
CONF
  launch nginx "$nginx_bin" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/logs/nginx.log"
  waitfor nginx ready "http://127.0.0.1:$proxy_port"
  echo "dir=$dir" >>"$state"
  trap - EXIT
  get proxy_url
}

down() {
  [ -d "$dir/pids" ] || return 0
  # The proxy first, so no request reaches a replica that is stopping.
  for name in nginx portal-a portal-b nats db; do stop "$name" TERM; done
}

status() {
  [ -f "$state" ] || die "no cluster in $dir"
  cat "$state"
  for name in db nats portal-a portal-b nginx; do
    if alive "$name"; then echo "$name=running pid $(cat "$dir/pids/$name")"; else echo "$name=stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop|kill|start)
    [[ "${2:-}" =~ ^[ab]$ ]] || die "usage: $0 $1 a|b"
    case $1 in
      stop) stop "portal-$2" TERM ;;
      kill) stop "portal-$2" KILL ;;
      start) start_replica "$2" ;;
    esac ;;
  *) die "usage: $0 up|down|status|stop a|b|kill a|b|start a|b" ;;
esac
