#!/usr/bin/env bash
# A throwaway redis-server on 127.0.0.1 and a free port, for the gateway's shared-learning tests.
#   eval "$(bash .ci/redis.sh start)"   installs redis-server if missing, starts it (no persistence), exports
#                                       DIAL_TEST_REDIS (host:port) and DIAL_TEST_REDIS_DIR
#   bash .ci/redis.sh stop "$DIAL_TEST_REDIS_DIR"
set -euo pipefail
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
start)
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  dir=$(mktemp -d /tmp/dial-redis.XXXXXX)
  port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then break; fi
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping | grep -q PONG || { echo "redis-server did not answer on port $port" >&2; exit 1; }
  echo "export DIAL_TEST_REDIS='127.0.0.1:$port'"
  echo "export DIAL_TEST_REDIS_DIR='$dir'"
  ;;
stop)
  dir=${2:?usage: redis.sh stop DIR}
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: redis.sh start | stop DIR" >&2
  exit 2
  ;;
esac
