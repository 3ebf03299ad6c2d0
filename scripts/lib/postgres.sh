# Starts a throwaway PostgreSQL from the installed server binaries; sourced by scripts/test and
# scripts/bench. Sets PG_BIN, PG_PORT, PG_URL (to the `postgres` database) and removes the
# server and its files on exit. PostgreSQL refuses to run as root, so as root it runs as the
# `postgres` system user.

start_throwaway_postgres() {
  PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL server binaries not found; set PG_BIN" >&2
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/mcpd-pg.XXXXXX)
  AS_PG=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_DIR"
    AS_PG=(runuser -u postgres --)
  fi
  trap stop_throwaway_postgres EXIT
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  local extra=${PG_OPTIONS:-}
  for attempt in 1 2 3 4 5; do
    PG_PORT=$((20000 + RANDOM % 30000))
    if "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 30 \
      -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 $extra" \
      start >/dev/null; then
      break
    fi
    if [ "$attempt" = 5 ]; then
      cat "$PG_DIR/postgres.log" >&2
      return 1
    fi
  done
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}

stop_throwaway_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
