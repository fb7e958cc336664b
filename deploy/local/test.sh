#!/usr/bin/env bash
# The one test command (`npm test`): brings up PostgreSQL and Kafka if needed, then runs lint,
# typecheck and the unit, integration and end-to-end tiers. Ends with `N passed, N failed`.
# A Kafka broker this script started is stopped again at the end; one that was already up is left alone.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export KAFKAJS_NO_PARTITIONER_WARNING=1
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/incubator_test}"
export TEST_KAFKA_BROKERS="${TEST_KAFKA_BROKERS:-127.0.0.1:9092}"
REPORT_DIR="$(mktemp -d)"
passed=0
failed=0
started_kafka=0

finish() {
  if [[ $started_kafka == 1 ]]; then bash deploy/local/kafka.sh stop >/dev/null 2>&1 || true; fi
  started_kafka=0
  rm -rf "$REPORT_DIR"
}
trap finish EXIT

check() { # name, command...: a whole-tool check counts as one test
  local name="$1"
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "--- $name FAILED"
    failed=$((failed + 1))
  fi
}

bash deploy/local/postgres.sh --fresh-test || exit 1
if ! bash deploy/local/kafka.sh status >/dev/null 2>&1; then
  bash deploy/local/kafka.sh start || exit 1
  started_kafka=1
fi

check "lint (eslint, type-checked)" npx eslint -c .eslint.config.mjs --max-warnings 0 services libs deploy
check "format (prettier)" npx prettier --check services libs deploy
check "typecheck (tsc)" npx tsc -p tsconfig.json --noEmit

for tier in unit int e2e; do
  echo "=== jest: $tier"
  workers=2
  [[ $tier != unit ]] && workers=1
  npx jest --selectProjects "$tier" --maxWorkers="$workers" --json --outputFile="$REPORT_DIR/$tier.json" \
    --passWithNoTests --forceExit
  if [[ -f "$REPORT_DIR/$tier.json" ]]; then
    read -r p f e < <(node -e '
      const r = require(process.argv[1]);
      console.log(r.numPassedTests, r.numFailedTests, r.numRuntimeErrorTestSuites);' "$REPORT_DIR/$tier.json")
    passed=$((passed + p))
    failed=$((failed + f + e))
  else
    echo "--- jest $tier produced no report"
    failed=$((failed + 1))
  fi
done

# The money path under faults, reduced for CI (the full count: npm run test:faults -- --trials 200).
# Its own private broker and PostgreSQL server; one trial per fault type.
check "fault trials (5, reduced; docs/reliability.md)" \
  node -r @swc-node/register deploy/local/system/faults.ts --trials "${FAULT_TRIALS:-5}" --payouts 3

finish # stop what we started first, so the summary is the last line of the output
echo
echo "elapsed: $SECONDS s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
