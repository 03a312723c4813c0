#!/usr/bin/env bash
# The fault suite (issue 14, section 4): the whole stack on real servers under a steady load, cdc-hub as `java -jar`
# of the built jar, and faults injected: R1 kill -9 of cdc-hub (20 cycles), R2 each dependency (Kafka, ClickHouse,
# Elasticsearch, Redis, the sync target database) stopped for 60 s, R3 poison records, R4 a fuzz of the admin API and the
# WebSocket protocol. At the end PostgreSQL is compared with Kafka and every target row by row. See bench/README.md
# ("Fault suite"). The short version runs in ./mvnw verify (FaultSuiteIT); both run io.cdchub.fault.FaultSuite.
#
#   bench/fault-suite.sh                                   # the full run (about 35-45 minutes)
#   bench/fault-suite.sh cdc.sink.retry.max-delay-ms=5000  # with a cdc-hub setting changed
#   FAULT_OPTS="-Dfault.kill-cycles=5 -Dfault.outage-seconds=20 -Dfault.rate=500" bench/fault-suite.sh
#
# Parameters (system properties in FAULT_OPTS): fault.rate (1000 changes/s), fault.kill-cycles (20),
# fault.kill-window-min/-max (5/45 s after a launch), fault.outage-seconds (60), fault.dependencies
# (kafka,clickhouse,elasticsearch,redis,target), fault.poison-copies (2), fault.fuzz-per-endpoint (100),
# fault.ws-fuzz-messages (1000), fault.phases (r1,r2,r3,r4), fault.partitions (3), fault.max-event (1000),
# fault.max-time (2 s), fault.heap (768m), fault.recover-timeout-seconds (300), fault.seed (random, printed),
# fault.watchdog-minutes (150).
#
# Builds into its own directory, never into target/: CDCHUB_BUILD_DIR, default /tmp/faultsuite-target.
# Exit status: 0 nothing lost; 1 a change lost, a target unequal, a dead letter from a kill or an outage, a poison record
# not dead-lettered, a 5xx / leak in the fuzz, or the run failed; 3 the watchdog fired. Log:
# <build dir>/fault-suite/fault-suite.log, summary alone <build dir>/fault-suite/fault-suite-summary.txt, cdc-hub's own
# log <build dir>/fault-suite/fault-suite-cdc-hub.log.
set -euo pipefail
cd "$(dirname "$0")/.."

name=fault
build_dir=${CDCHUB_BUILD_DIR:-/tmp/faultsuite-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

bench_stop_servers() {
  for pidfile in "$run_tmp"/cdc-hub-elasticsearch-*/pid "$out"/cdc-hub-work/cdc-hub.pid; do
    [ -f "$pidfile" ] && stop_pid "$(head -1 "$pidfile")" "$(basename "$(dirname "$pidfile")") process"
  done
  for pid in $(pgrep -f -- "--config-file=$run_tmp/cdc-hub-clickhouse-" || true); do
    stop_pid "$pid" ClickHouse
  done
  for pid in $(pgrep -f -- "redis-server .*--dir $run_tmp/cdc-hub-redis-" || true); do
    stop_pid "$pid" Redis
  done
}

bench_prepare
out="$build_dir/fault-suite"
rm -rf "$out"
mkdir -p "$out"
# the jar a user runs: package (tests skipped) into the build dir
echo "[fault] packaging the jar (./mvnw ${mvn_args[*]} package -DskipTests)"
./mvnw "${mvn_args[@]}" package -DskipTests
cp "$(production_jar "$build_dir")" "$run_tmp/cdc-hub.jar"

if [ -z "${CDC_HUB_TEST_ELASTICSEARCH_HOME:-}" ]; then
  if ! compgen -G "$build_dir/elasticsearch/elasticsearch-*/bin/elasticsearch" > /dev/null; then
    echo "[fault] unpacking the test Elasticsearch into $build_dir/elasticsearch"
    ./mvnw "${mvn_args[@]}" dependency:unpack@unpack-test-elasticsearch
  fi
  es_homes=("$build_dir"/elasticsearch/elasticsearch-*/)
  export CDC_HUB_TEST_ELASTICSEARCH_HOME="${es_homes[0]%/}"
fi

cp -r "$build_dir/classes" "$run_tmp/classes"
cp -r "$build_dir/test-classes" "$run_tmp/test-classes"
log="$out/fault-suite.log"
echo "[fault] running io.cdchub.fault.FaultSuite (log: $log)"
set +e
# shellcheck disable=SC2086
"$java_bin" -Djava.io.tmpdir="$run_tmp" -Dfault.out="$out" -Dfault.jar="$run_tmp/cdc-hub.jar" ${FAULT_OPTS:-} \
  -cp "$run_tmp/test-classes:$run_tmp/classes:$(cat "$cp_file")" io.cdchub.fault.FaultSuite "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ ! -f "$out/fault-suite-summary.txt" ]; then
  echo "[fault] FAILED: the suite's JVM ended (exit $status) without printing its summary; see $log" >&2
  [ "$status" != 0 ] || status=1
fi
exit "$status"
