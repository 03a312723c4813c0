#!/usr/bin/env bash
# The lakehouse benchmark: cdc-hub's Kafka -> Iceberg route against a raw Iceberg append of the same rows with the same
# library (Iceberg's generic Parquet writer, one commit, a JVM of its own), same table layout, in the same run.
# See bench/README.md ("Lakehouse benchmark"). Run from anywhere; needs the dependencies in the local Maven repository.
#
#   bench/lakehouse-benchmark.sh                                            # the benchmark as specified
#   bench/lakehouse-benchmark.sh cdc.sink.iceberg.commit-interval=30s       # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.rows=50000 -Dbench.repetitions=1" bench/lakehouse-benchmark.sh
#
# Builds into its own directory (CDCHUB_BUILD_DIR, default /tmp/lakebench-target), never into target/.
#
# Exit status: 0 done; 1 rows missing or different, or a phase failed; 2 cdc-hub or the servers did not start; 3 ran
# longer than 20 minutes. Full log: <build dir>/bench/lakehouse-benchmark.log; summary alone:
# <build dir>/bench/lakehouse-benchmark-summary.txt; the raw JVMs' logs: <build dir>/bench/lakehouse-raw-N.log.
set -euo pipefail
cd "$(dirname "$0")/.."

name=lakehouse
main_class=io.cdchub.bench.LakehouseBenchmark
build_dir=${CDCHUB_BUILD_DIR:-/tmp/lakebench-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

bench_prepare
bench_run "$@"
