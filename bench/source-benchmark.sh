#!/usr/bin/env bash
# The source benchmark: cdc-hub against raw pg_recvlogical on the test harness's real PostgreSQL and
# Kafka. See bench/README.md. Run from anywhere; needs `./mvnw verify` (or test-compile) once before,
# so that the dependencies are in the local Maven repository.
#
#   bench/source-benchmark.sh                                  # the benchmark as specified
#   bench/source-benchmark.sh cdc.source.poll-interval=50ms    # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.rows=20000" bench/source-benchmark.sh
#
# Builds into its own directory, never into target/ (other builds may run in this checkout at the same time):
# CDCHUB_BUILD_DIR, default /tmp/sourcebench-target, is passed to every Maven call as -Dcdchub.build.dir.
#
# Exit status: 0 done; 1 events missing or a phase failed; 2 cdc-hub or the servers did not start;
# 3 ran longer than 10 minutes. Full log: <build dir>/bench/source-benchmark.log; summary alone:
# <build dir>/bench/source-benchmark-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

name=source
main_class=io.cdchub.bench.SourceBenchmark
build_dir=${CDCHUB_BUILD_DIR:-/tmp/sourcebench-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

bench_prepare
bench_run "$@"
