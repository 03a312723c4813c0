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

name=sink
main_class=io.cdchub.bench.SinkBenchmark
build_dir=${CDCHUB_BUILD_DIR:-/tmp/sinkbench-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

bench_stop_servers() {
  for pidfile in "$run_tmp"/cdc-hub-elasticsearch-*/pid; do
    [ -f "$pidfile" ] && stop_pid "$(head -1 "$pidfile")" Elasticsearch
  done
  # ClickHouse writes no pid file: its command line names this run's config file
  for pid in $(pgrep -f -- "--config-file=$run_tmp/cdc-hub-clickhouse-" || true); do
    stop_pid "$pid" ClickHouse
  done
}

bench_prepare

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

bench_run "$@"
