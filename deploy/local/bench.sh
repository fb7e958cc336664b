#!/usr/bin/env bash
# `npm run bench`: every benchmark in turn on real PostgreSQL and Kafka (started if needed).
# Results print to the terminal; docs/benchmarks.md records them with the machine and date.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export KAFKAJS_NO_PARTITIONER_WARNING=1
started_kafka=0
trap '[[ $started_kafka == 1 ]] && bash deploy/local/kafka.sh stop' EXIT
bash deploy/local/postgres.sh
if ! bash deploy/local/kafka.sh status >/dev/null 2>&1; then
  bash deploy/local/kafka.sh start
  started_kafka=1
fi
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, node $(node --version), $(date -u +%F)"
npm run --silent bench:event-store
npm run --silent bench:relay
npm run --silent bench:api
