#!/usr/bin/env bash
# The CSV import benchmark: cdc-hub's csv-to-postgres route (a JVM of its own) against `psql \copy` of the same file
# into the same PostgreSQL, in the same run, rows/s and CPU seconds of each side. See bench/README.md ("CSV import
# benchmark"). Run from anywhere; needs the dependencies in the local Maven repository and Debian's PostgreSQL 15
# binaries (psql beside initdb; CDC_HUB_TEST_PG_BIN overrides the folder).
#
#   bench/csv-import-benchmark.sh                                   # the benchmark as specified (1,000,000 rows, 3 runs)
#   bench/csv-import-benchmark.sh cdc.import.csv.mode=upsert        # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.rows=100000 -Dbench.repetitions=1" bench/csv-import-benchmark.sh
#
# Builds into its own directory (CDCHUB_BUILD_DIR, default /tmp/csvbench-target), never into target/.
#
# Exit status: 0 done; 1 a load failed or a table did not hold every row; 2 cdc-hub or the servers did not start;
# 3 ran longer than 40 minutes. Full log: <build dir>/bench/csv-import-benchmark.log; summary alone:
# <build dir>/bench/csv-import-benchmark-summary.txt; cdc-hub's log: <build dir>/bench/csv-import-benchmark-cdc-hub.log.
set -euo pipefail
cd "$(dirname "$0")/.."

name=csv-import
main_class=io.cdchub.bench.CsvImportBenchmark
build_dir=${CDCHUB_BUILD_DIR:-/tmp/csvbench-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

bench_prepare
bench_run "$@"
