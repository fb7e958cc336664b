#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) from the Maven Central jars, for machines without Docker.
#   kafka.sh start   resolve jars (cached), format storage once, start in background, wait until it answers
#   kafka.sh stop    SIGTERM, wait for exit (SIGKILL after 60 s)
#   kafka.sh status  exit 0 when the broker answers
# Running `start` while the broker is up does nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_VERSION="4.1.1" # same as docker-compose.yml and deploy/local/kafka/pom.xml
HOST="127.0.0.1"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
STATE_DIR="${KAFKA_STATE_DIR:-$ROOT/.kafka}"
LIB_DIR="${KAFKA_LIB_CACHE:-$HOME/.cache/incubator/kafka-$KAFKA_VERSION/lib}"
PID_FILE="$STATE_DIR/broker.pid"
LOG_FILE="$STATE_DIR/broker.out"
LOG4J="-Dlog4j2.configurationFile=$ROOT/deploy/local/kafka/log4j2.properties"

log() { echo "[kafka] $*" >&2; }

answers() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && node "$ROOT/deploy/local/kafka-ready.js" "$HOST:$PORT" >/dev/null 2>&1; }

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

resolve_jars() {
  if [[ -f "$LIB_DIR/.complete" ]]; then return; fi
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $LIB_DIR"
  mkdir -p "$LIB_DIR"
  mvn -B -q -f "$ROOT/deploy/local/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$LIB_DIR" -DincludeScope=runtime
  touch "$LIB_DIR/.complete"
}

write_config() {
  mkdir -p "$STATE_DIR/data"
  cat >"$STATE_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE_DIR/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
PROPS
}

start() {
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    wait_ready
    return
  fi
  if answers; then
    log "a broker already answers on $HOST:$PORT; not starting another"
    return
  fi
  command -v java >/dev/null || { log "java not found: install a JDK 17+"; exit 1; }
  resolve_jars
  write_config
  if [[ ! -f "$STATE_DIR/data/meta.properties" ]]; then
    local cid
    cid="$(java -cp "$LIB_DIR/*" $LOG4J kafka.tools.StorageTool random-uuid)"
    java -cp "$LIB_DIR/*" $LOG4J kafka.tools.StorageTool format -t "$cid" \
      -c "$STATE_DIR/server.properties" --ignore-formatted >/dev/null
  fi
  log "starting broker on $HOST:$PORT"
  # setsid: the broker must not die with the shell that started it, nor get its Ctrl-C. The
  # process writes its own pid and then execs java, so the pid file names the broker whether or
  # not setsid had to fork (it does under job control), and never a short-lived parent.
  rm -f "$PID_FILE"
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true $LOG4J \
    -Dkafka.logs.dir="$STATE_DIR/logs" -cp "$LIB_DIR/*" kafka.Kafka "$STATE_DIR/server.properties" \
    >"$LOG_FILE" 2>&1 </dev/null &
  wait_ready
}

# Alive = the pid in the file exists. Its command line is not checked here: between fork and
# exec it does not yet say kafka.Kafka, and a loaded machine used to see that as "exited".
broker_alive() {
  local pid
  [[ -s "$PID_FILE" ]] || return 2
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null
}

wait_ready() {
  local deadline=$((SECONDS + 120))
  until answers; do
    local alive=0
    broker_alive || alive=$?
    if ((alive == 2 && SECONDS > deadline - 110)); then
      log "the broker process never wrote its pid"
      exit 1
    fi
    if ((alive == 1)); then
      log "broker exited; last log lines:"
      tail -n 30 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if ((SECONDS > deadline)); then
      log "broker did not answer within 120 s"
      exit 1
    fi
    sleep 0.5
  done
  log "ready on $HOST:$PORT"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$PID_FILE"
    return
  fi
  log "stopping (pid $pid)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      log "did not stop in 60 s; killing"
      kill -KILL "$pid" || true
    fi
    sleep 0.3
  done
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo "up"; else echo "down"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
