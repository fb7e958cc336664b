#!/usr/bin/env bash
# The one start command (`npm start`): PostgreSQL check, Kafka (if not up), the NEAR emulator with
# a funded treasury, every service (each runs its migrations at start); prints the URLs.
# Ctrl-C stops everything this script started, and nothing else.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export KAFKAJS_NO_PARTITIONER_WARNING=1
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/incubator}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
export NEAR_EMULATOR_PORT="${NEAR_EMULATOR_PORT:-3030}"
export NEAR_RPC_URL="${NEAR_RPC_URL:-http://127.0.0.1:$NEAR_EMULATOR_PORT}"
export AUTH_JWT_SECRET="${AUTH_JWT_SECRET:-local-development-secret-change-me-0123456789}"
# Founder tokens' Ed25519 key: created on first start, shared with `npm run token:mint -- --founder`.
export FOUNDER_SIGNING_KEY_FILE="${FOUNDER_SIGNING_KEY_FILE:-$ROOT/.run/founder-signing-key.pem}"
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"
# Treasury: the emulator funds it and writes its key (near-cli JSON, mode 0600) on first start;
# near-settlement signs payouts with that key (one signer lane). Only the path is exported.
export NEAR_TREASURY_ACCOUNT_ID="${NEAR_TREASURY_ACCOUNT_ID:-treasury.test.near}"
export NEAR_TREASURY_SECRET_KEY_FILE="${NEAR_TREASURY_SECRET_KEY_FILE:-$RUN_DIR/treasury-key.json}"

# service:port — keep in step with services/*/src/config.ts and docker-compose.yml
SERVICES=(applications:3001 grants:3002 milestones:3003 disbursements:3004 near-settlement:3005 gateway:3000)
export APPLICATIONS_URL=http://127.0.0.1:3001 GRANTS_URL=http://127.0.0.1:3002 MILESTONES_URL=http://127.0.0.1:3003
export DISBURSEMENTS_URL=http://127.0.0.1:3004 SETTLEMENT_URL=http://127.0.0.1:3005

pids=()
started_kafka=0
stopping=0

stop_all() {
  [[ $stopping == 1 ]] && return
  stopping=1
  echo
  echo "[start] stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $started_kafka == 1 ]]; then bash deploy/local/kafka.sh stop || true; fi
  echo "[start] stopped"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

bash deploy/local/postgres.sh
if ! bash deploy/local/kafka.sh status >/dev/null 2>&1; then
  bash deploy/local/kafka.sh start
  started_kafka=1
fi

launch() { # name, log file, command...
  local name="$1" log="$2"
  shift 2
  "$@" > >(sed -u "s/^/[$name] /" | tee -a "$log") 2>&1 &
  pids+=($!)
}

if [[ -f libs/testing/src/near-emulator/main.ts ]]; then
  launch near-emulator "$RUN_DIR/near-emulator.log" \
    node -r @swc-node/register libs/testing/src/near-emulator/main.ts
  for _ in $(seq 1 120); do [[ -s "$NEAR_TREASURY_SECRET_KEY_FILE" ]] && break; sleep 0.5; done
fi

for entry in "${SERVICES[@]}"; do
  name="${entry%%:*}"
  port="${entry##*:}"
  PORT="$port" launch "$name" "$RUN_DIR/$name.log" node -r @swc-node/register "services/$name/src/main.ts"
done

for entry in "${SERVICES[@]}"; do
  name="${entry%%:*}"
  port="${entry##*:}"
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 ||
    { echo "[start] $name did not become ready; see $RUN_DIR/$name.log" >&2; exit 1; }
done

cat <<MSG

  Incubator backend is up.
    API (gateway):     http://127.0.0.1:3000/v1
    API docs:          http://127.0.0.1:3000/docs
    NEAR RPC emulator: $NEAR_RPC_URL
    Kafka:             $KAFKA_BROKERS
    PostgreSQL:        $DATABASE_URL
  Logs in .run/; Ctrl-C stops everything started here.

MSG
wait
