#!/usr/bin/env bash
# A throwaway PostgreSQL on 127.0.0.1 and a free port, for the gateway's store tests.
#   eval "$(bash .ci/postgres.sh start)"   installs PostgreSQL if missing, starts a cluster, exports
#                                          DIAL_TEST_POSTGRES (connection string) and DIAL_TEST_PGDATA
#   bash .ci/postgres.sh stop "$DIAL_TEST_PGDATA"
# As root the cluster runs as the 'postgres' user the package creates (PostgreSQL refuses to run as root).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi; }

case "${1:-}" in
start)
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then apt_install postgresql; fi
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  dir=$(mktemp -d /tmp/dial-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(free_port)
  as_owner "'$bin/initdb' -D '$dir/data' -U dial --auth=trust -E UTF8" >&2
  as_owner "'$bin/pg_ctl' -D '$dir/data' -o \"-h 127.0.0.1 -p $port -k '$dir'\" -l '$dir/server.log' -w start" >&2
  as_owner "'$bin/createdb' -h 127.0.0.1 -p $port -U dial dial_test" >&2
  echo "export DIAL_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=dial;Database=dial_test'"
  echo "export DIAL_TEST_PGDATA='$dir'"
  ;;
stop)
  dir=${2:?usage: postgres.sh stop DIR}
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >&2 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres.sh start | stop DIR" >&2
  exit 2
  ;;
esac
