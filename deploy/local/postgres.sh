#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 and that the run and test databases exist.
#   postgres.sh               ensure server + databases `incubator` and `incubator_test`
#   postgres.sh --fresh-test  same, but drop and recreate `incubator_test` first (npm test does)
set -euo pipefail
FRESH_TEST=0
[[ "${1:-}" == "--fresh-test" ]] && FRESH_TEST=1

HOST="${PGHOST:-127.0.0.1}"
PORT="${PGPORT:-5432}"
USER_NAME="${PGUSER:-postgres}"
DATABASES=("${POSTGRES_DATABASE:-incubator}" "${POSTGRES_TEST_DATABASE:-incubator_test}")

log() { echo "[postgres] $*" >&2; }

if ! pg_isready -q -h "$HOST" -p "$PORT"; then
  if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    log "not running; starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$HOST" -p "$PORT" && break; sleep 1; done
  if ! pg_isready -q -h "$HOST" -p "$PORT"; then
    log "PostgreSQL does not answer on $HOST:$PORT."
    log "Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
    exit 1
  fi
fi

if [[ $FRESH_TEST == 1 ]]; then
  # Every test run starts from an empty database: no state left over from earlier runs or code.
  psql -h "$HOST" -p "$PORT" -U "$USER_NAME" -d postgres -qc "DROP DATABASE IF EXISTS \"${DATABASES[1]}\" WITH (FORCE)"
fi

for db in "${DATABASES[@]}"; do
  exists="$(psql -h "$HOST" -p "$PORT" -U "$USER_NAME" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")"
  if [[ "$exists" != "1" ]]; then
    log "creating database $db"
    psql -h "$HOST" -p "$PORT" -U "$USER_NAME" -d postgres -qc "CREATE DATABASE \"$db\""
  fi
done
log "ready on $HOST:$PORT (${DATABASES[*]})"
