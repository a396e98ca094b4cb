#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the test suite: `scripts/postgres.sh start|stop|restart|url`.
# Installs Debian's postgresql when it is missing. Data lives in $OPENBOARD_PG_DIR (fsync off: tests only).
set -euo pipefail
PORT="${OPENBOARD_PG_PORT:-54329}"
DATA="${OPENBOARD_PG_DIR:-/tmp/openboard-test-postgres}"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/postgres"

bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install() {
  if [ -z "$(bindir)" ]; then
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
}

# PostgreSQL refuses to run as root: use the postgres account (created by the package).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  install
  local bin; bin="$(bindir)"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
    as_owner "$bin/initdb" -D "$DATA" -U postgres -A trust --no-sync >/dev/null
  fi
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    return 0
  fi
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
}

stop() {
  local bin; bin="$(bindir)"
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start; echo "$URL" ;;
  stop) stop ;;
  restart) stop; start; echo "$URL" ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|restart|url" >&2; exit 2 ;;
esac
