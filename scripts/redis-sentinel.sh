#!/usr/bin/env bash
# A Redis master, one replica and three sentinels on 127.0.0.1, for tests, drills and CI.
#
#   scripts/redis-sentinel.sh start    start them (or leave a healthy set running); prints the sentinels
#   scripts/redis-sentinel.sh stop     stop every process and remove its data
#   scripts/redis-sentinel.sh status   exit 0 when the master, its replica and 3 sentinels agree
#   scripts/redis-sentinel.sh sentinels
#                                      print the sentinels, host:port separated by commas
#   scripts/redis-sentinel.sh master   print the master's host:port, as the sentinels name it
#   scripts/redis-sentinel.sh start-node PORT
#                                      start a data node again (after a kill) as a replica of the
#                                      current master
#
# Ports REDIS_SENTINEL_PORT .. +4 (default 7201 master, 7202 replica, 7203-7205 sentinels); data in
# REDIS_SENTINEL_DIR (default /tmp/trove-redis-sentinel). The master's name is REDIS_SENTINEL_NAME
# (default trove). redis-server and redis-cli are installed with apt-get when missing.
set -euo pipefail

first_port="${REDIS_SENTINEL_PORT:-7201}"
dir="${REDIS_SENTINEL_DIR:-/tmp/trove-redis-sentinel}"
name="${REDIS_SENTINEL_NAME:-trove}"
# How long a master may be silent before the sentinels agree it is down and fail it over.
down_after="${REDIS_SENTINEL_DOWN_AFTER:-1000}"
host=127.0.0.1
master_port="$first_port"
replica_port="$((first_port + 1))"
data_ports=("$master_port" "$replica_port")
sentinel_ports=("$((first_port + 2))" "$((first_port + 3))" "$((first_port + 4))")

sentinels() {
  local out=() p
  for p in "${sentinel_ports[@]}"; do out+=("$host:$p"); done
  (IFS=,; echo "${out[*]}")
}

install_redis() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return
  echo "redis-server or redis-cli not found: installing redis-server and redis-tools" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq redis-server redis-tools >/dev/null
}

cli() { redis-cli -h "$host" -p "$1" "${@:2}"; }

answers() { [ "$(cli "$1" ping 2>/dev/null)" = PONG ]; }

# The master as the first sentinel that answers names it, host:port.
master() {
  local p reply
  for p in "${sentinel_ports[@]}"; do
    reply="$(cli "$p" sentinel get-master-addr-by-name "$name" 2>/dev/null | paste -sd: -)" || continue
    [ -n "$reply" ] && { echo "$reply"; return; }
  done
  return 1
}

# Every process answers, the sentinels know the master, 1 replica and each other, and the replica
# is in sync.
healthy() {
  local p info addr mport
  for p in "${data_ports[@]}" "${sentinel_ports[@]}"; do answers "$p" || return 1; done
  for p in "${sentinel_ports[@]}"; do
    info="$(cli "$p" sentinel master "$name" 2>/dev/null | paste -sd' ' -)" || return 1
    grep -q 'num-slaves 1 ' <<<"$info" || return 1
    grep -q 'num-other-sentinels 2 ' <<<"$info" || return 1
    grep -q 'flags master ' <<<"$info" || return 1
  done
  addr="$(master)" || return 1
  mport="${addr##*:}"
  for p in "${data_ports[@]}"; do
    [ "$p" = "$mport" ] && continue
    cli "$p" info replication | grep -q '^master_link_status:up' || return 1
  done
}

start_data() {
  local port="$1"
  shift
  mkdir -p "$dir/$port"
  redis-server --port "$port" --bind "$host" --daemonize yes \
    --dir "$dir/$port" --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" \
    --save '' --appendonly no --protected-mode no "$@"
}

start_sentinel() {
  local port="$1"
  mkdir -p "$dir/$port"
  # Sentinels rewrite their config file as they learn; each has its own.
  cat >"$dir/$port/sentinel.conf" <<EOF
port $port
bind $host
daemonize yes
protected-mode no
dir $dir/$port
pidfile $dir/$port/redis.pid
logfile $dir/$port/redis.log
sentinel monitor $name $host $master_port 2
sentinel down-after-milliseconds $name $down_after
sentinel failover-timeout $name 10000
sentinel parallel-syncs $name 1
EOF
  redis-server "$dir/$port/sentinel.conf" --sentinel
}

wait_port() {
  for _ in $(seq 1 100); do answers "$1" && return; sleep 0.05; done
  echo "redis on port $1 did not start; see $dir/$1/redis.log" >&2
  exit 1
}

stop_port() {
  local pidfile="$dir/$1/redis.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  local p
  for p in "${sentinel_ports[@]}" "${data_ports[@]}"; do stop_port "$p"; done
  rm -rf "$dir"
}

start() {
  install_redis
  if healthy; then
    sentinels
    return
  fi
  stop
  local p
  for p in "${data_ports[@]}" "${sentinel_ports[@]}"; do
    if answers "$p"; then
      echo "port $p already has a Redis that is not part of this set; set REDIS_SENTINEL_PORT" >&2
      exit 1
    fi
  done
  start_data "$master_port"
  wait_port "$master_port"
  start_data "$replica_port" --replicaof "$host" "$master_port"
  wait_port "$replica_port"
  for p in "${sentinel_ports[@]}"; do start_sentinel "$p"; done
  for p in "${sentinel_ports[@]}"; do wait_port "$p"; done
  # Sentinels find the replica and each other through the master, within a few seconds.
  for _ in $(seq 1 300); do healthy && break; sleep 0.1; done
  healthy || { echo "the sentinels did not agree on the master and its replica; see $dir/*/redis.log" >&2; exit 1; }
  sentinels
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) healthy ;;
  sentinels) sentinels ;;
  master) master ;;
  start-node)
    port="${2:?usage: $0 start-node PORT}"
    addr="$(master)"
    start_data "$port" --replicaof "${addr%:*}" "${addr##*:}"
    wait_port "$port"
    ;;
  *)
    echo "usage: $0 start|stop|status|sentinels|master|start-node PORT" >&2
    exit 2
    ;;
esac
