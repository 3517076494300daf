#!/usr/bin/env bash
# A Redis Cluster of 3 masters and 3 replicas on 127.0.0.1, for tests, benchmarks and CI.
#
#   scripts/redis-cluster.sh start    start it (or leave a healthy one running); prints its nodes
#   scripts/redis-cluster.sh stop     stop every node and remove its data
#   scripts/redis-cluster.sh status   exit 0 when every node answers and the cluster is ok
#   scripts/redis-cluster.sh nodes    print the nodes, host:port separated by commas
#   scripts/redis-cluster.sh start-node PORT
#                                     start one node again (after a kill), with its old cluster
#                                     config, so it rejoins
#
# Ports REDIS_CLUSTER_PORT .. +5 (default 7101..7106); data in REDIS_CLUSTER_DIR (default
# /tmp/trove-redis-cluster). redis-server and redis-cli are installed with apt-get when missing.
set -euo pipefail

first_port="${REDIS_CLUSTER_PORT:-7101}"
dir="${REDIS_CLUSTER_DIR:-/tmp/trove-redis-cluster}"
# How long a master may be silent before its replica takes over.
node_timeout="${REDIS_CLUSTER_NODE_TIMEOUT:-2000}"
host=127.0.0.1
ports=()
for i in 0 1 2 3 4 5; do ports+=("$((first_port + i))"); done

nodes() {
  local out=() p
  for p in "${ports[@]}"; do out+=("$host:$p"); done
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

node_answers() { [ "$(cli "$1" ping 2>/dev/null)" = PONG ]; }

node_ok() { cli "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

# Every node answers, says ok, and knows all 6 nodes with every slot assigned.
healthy() {
  local p info
  for p in "${ports[@]}"; do
    info="$(cli "$p" cluster info 2>/dev/null)" || return 1
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    grep -q '^cluster_known_nodes:6' <<<"$info" || return 1
    grep -q '^cluster_slots_assigned:16384' <<<"$info" || return 1
  done
  # Masters and replicas as created: a cluster after a failover is healthy, just not fresh.
  [ "$(cli "${ports[0]}" cluster nodes 2>/dev/null | grep -c master)" -eq 3 ] || return 1
}

start_node() {
  mkdir -p "$dir/$1"
  redis-server --port "$1" --bind "$host" --daemonize yes \
    --dir "$dir/$1" --pidfile "$dir/$1/redis.pid" --logfile "$dir/$1/redis.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$node_timeout" \
    --save '' --appendonly no --protected-mode no
}

wait_node() {
  for _ in $(seq 1 100); do node_answers "$1" && return; sleep 0.05; done
  echo "redis-server on port $1 did not start; see $dir/$1/redis.log" >&2
  exit 1
}

stop() {
  local p pidfile
  for p in "${ports[@]}"; do
    pidfile="$dir/$p/redis.pid"
    if [ -f "$pidfile" ]; then
      local pid
      pid="$(cat "$pidfile")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}

start() {
  install_redis
  if healthy; then
    nodes
    return
  fi
  # Anything half-started (a node down, a cluster never created) is started over from nothing.
  stop
  local p
  for p in "${ports[@]}"; do
    if node_answers "$p"; then
      echo "port $p already has a Redis that is not part of this cluster; set REDIS_CLUSTER_PORT" >&2
      exit 1
    fi
  done
  for p in "${ports[@]}"; do start_node "$p"; done
  for p in "${ports[@]}"; do wait_node "$p"; done
  local addrs=()
  for p in "${ports[@]}"; do addrs+=("$host:$p"); done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 || {
    cat "$dir/create.log" >&2
    exit 1
  }
  for _ in $(seq 1 200); do healthy && break; sleep 0.1; done
  healthy || { echo "the cluster did not reach cluster_state:ok on every node" >&2; exit 1; }
  # Replicas report ok before their first sync is done; wait for it, so a test that fails a
  # master over right away finds a replica to promote.
  for p in "${ports[@]}"; do
    for _ in $(seq 1 100); do
      cli "$p" info replication | grep -q '^role:master' && break
      cli "$p" info replication | grep -q '^master_link_status:up' && break
      sleep 0.1
    done
  done
  nodes
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) healthy ;;
  nodes) nodes ;;
  start-node)
    start_node "${2:?usage: $0 start-node PORT}"
    wait_node "$2"
    ;;
  *)
    echo "usage: $0 start|stop|status|nodes|start-node PORT" >&2
    exit 2
    ;;
esac
