#!/usr/bin/env bash
# The sink benchmark: cdc-hub's Kafka -> ClickHouse and Kafka -> Elasticsearch routes against raw bulk writes of the
# same rows with the same batch sizes, on the test harness's real servers. See bench/README.md ("Sink benchmark").
# Run from anywhere; needs the dependencies in the local Maven repository (`./mvnw verify` once, or test-compile plus
# the Elasticsearch zip, which this script unpacks itself).
#
#   bench/sink-benchmark.sh                                          # the benchmark as specified
#   bench/sink-benchmark.sh cdc.sink.clickhouse.batch-size=20000     # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.rows=50000 -Dbench.sinks=clickhouse" bench/sink-benchmark.sh
#
# Builds into its own directory, never into target/ (other builds may run in this checkout at the same time):
# CDCHUB_BUILD_DIR, default /tmp/sinkbench-target, is passed to every Maven call as -Dcdchub.build.dir.
#
# Exit status: 0 done; 1 rows/documents missing or different, or a phase failed; 2 cdc-hub or the servers did not
# start; 3 ran longer than 10 minutes. Full log: <build dir>/bench/sink-benchmark.log; summary alone:
# <build dir>/bench/sink-benchmark-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${CDCHUB_BUILD_DIR:-/tmp/sinkbench-target}
mvn_args=(-q -o "-Dcdchub.build.dir=$build_dir")
out="$build_dir/bench"
mkdir -p "$out"
cp_file="$out/test-classpath.txt"

echo "[bench] compiling (./mvnw ${mvn_args[*]} test-compile)"
./mvnw "${mvn_args[@]}" test-compile

if [ ! -s "$cp_file" ] || [ pom.xml -nt "$cp_file" ]; then
  echo "[bench] resolving the test classpath"
  if ! ./mvnw "${mvn_args[@]}" dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"; then
    # offline fails only if maven-dependency-plugin itself was never downloaded; fetch it once
    echo "[bench] offline resolution failed; retrying online for maven-dependency-plugin" >&2
    ./mvnw -q "-Dcdchub.build.dir=$build_dir" dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
  fi
fi

# Elasticsearch: the packaged server the integration tests use, unpacked by the pom's pre-integration-test execution.
# Run that execution alone, into this build dir (it skips the unpacking when its marker says it is done).
if [ -z "${CDC_HUB_TEST_ELASTICSEARCH_HOME:-}" ]; then
  if ! compgen -G "$build_dir/elasticsearch/elasticsearch-*/bin/elasticsearch" > /dev/null; then
    echo "[bench] unpacking the test Elasticsearch into $build_dir/elasticsearch"
    ./mvnw "${mvn_args[@]}" dependency:unpack@unpack-test-elasticsearch \
      || ./mvnw -q "-Dcdchub.build.dir=$build_dir" dependency:unpack@unpack-test-elasticsearch
  fi
  es_homes=("$build_dir"/elasticsearch/elasticsearch-*/)
  export CDC_HUB_TEST_ELASTICSEARCH_HOME="${es_homes[0]%/}"
fi

java_bin=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_bin="$JAVA_HOME/bin/java"
fi

# The harness's servers keep their data in temp folders (cdc-hub-pg-*, cdc-hub-kafka-*, cdc-hub-clickhouse-*,
# cdc-hub-elasticsearch-*, cdc-hub-data-*). Give this run a private temp root, so that a cleanup of /tmp/cdc-hub-*
# by a concurrent test run cannot pull a server's folder away mid-benchmark, and so that a server left behind by a
# halted JVM can be stopped here. Only servers under this run's folder are touched, by their pid.
run_tmp=$(mktemp -d /tmp/sink-bench.XXXXXX)
chmod 755 "$run_tmp" # PostgreSQL runs as 'postgres' and Elasticsearch as 'nobody' under root: they must reach their folders
stop_pid() { # pid, what
  kill -0 "$1" 2> /dev/null || return 0
  echo "[bench] stopping the $2 (pid $1) this run left behind" >&2
  kill -KILL "$1" 2> /dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2> /dev/null || break; sleep 0.2; done
}
cleanup() {
  for pidfile in "$run_tmp"/cdc-hub-pg-*/data/postmaster.pid; do
    [ -f "$pidfile" ] && stop_pid "$(head -1 "$pidfile")" PostgreSQL
  done
  for pidfile in "$run_tmp"/cdc-hub-elasticsearch-*/pid; do
    [ -f "$pidfile" ] && stop_pid "$(head -1 "$pidfile")" Elasticsearch
  done
  # ClickHouse writes no pid file: its command line names this run's config file
  for pid in $(pgrep -f -- "--config-file=$run_tmp/cdc-hub-clickhouse-" || true); do
    stop_pid "$pid" ClickHouse
  done
  rm -rf "$run_tmp"
}
trap cleanup EXIT

# Run from a copy of the compiled classes: another build in this build dir may clean or recompile it meanwhile.
cp -r "$build_dir/classes" "$run_tmp/classes"
cp -r "$build_dir/test-classes" "$run_tmp/test-classes"
for class in classes/io/cdchub/CdcHubApplication.class test-classes/io/cdchub/bench/SinkBenchmark.class; do
  if [ ! -f "$run_tmp/$class" ]; then
    echo "[bench] $build_dir/$class is missing (another build cleaning $build_dir right now?); run the script again" >&2
    exit 1
  fi
done
classpath=$(cat "$cp_file")

echo "[bench] running io.cdchub.bench.SinkBenchmark (log: $out/sink-benchmark.log)"
rm -f "$out/sink-benchmark-summary.txt"
set +e
# shellcheck disable=SC2086
"$java_bin" -Djava.io.tmpdir="$run_tmp" -Dbench.out="$out" ${BENCH_JAVA_OPTS:-} \
  -cp "$run_tmp/test-classes:$run_tmp/classes:$classpath" \
  io.cdchub.bench.SinkBenchmark "$@" 2>&1 | tee "$out/sink-benchmark.log"
status=${PIPESTATUS[0]}
set -e
if [ ! -f "$out/sink-benchmark-summary.txt" ]; then
  # e.g. the in-process Kafka broker halts the JVM (Runtime.halt) when it loses its log directory
  echo "[bench] FAILED: the benchmark JVM ended (exit $status) without printing its summary; see $out/sink-benchmark.log" >&2
  [ "$status" != 0 ] || status=1
fi
exit "$status"
