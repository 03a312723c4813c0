#!/usr/bin/env bash
# The source benchmark: cdc-hub side by side with Debezium on Kafka Connect (stock and tuned), Debezium's embedded
# engine with a plain producer, and raw pg_recvlogical, each in its own JVM (process), against one Kafka broker in its
# own JVM and the test harness's PostgreSQL. See bench/README.md. Run from anywhere; needs `./mvnw verify` (or
# test-compile) once before, so that the dependencies are in the local Maven repository.
#
#   bench/source-benchmark.sh                                  # the benchmark as specified (about 12 minutes)
#   bench/source-benchmark.sh cdc.source.poll-interval=50ms    # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.rows=20000 -Dbench.repetitions=1 -Dbench.latency.seconds=5" bench/source-benchmark.sh
#
# Builds into its own directory, never into target/ (other builds may run in this checkout at the same time):
# CDCHUB_BUILD_DIR, default /tmp/sourcebench-target, is passed to every Maven call as -Dcdchub.build.dir.
#
# Exit status: 0 done; 1 events missing or a system failed during a phase; 2 a system or the servers did not start;
# 3 ran longer than 25 minutes. Full log: <build dir>/bench/source-benchmark.log (each process's own log next to it,
# source-benchmark-<system>.log); summary alone: <build dir>/bench/source-benchmark-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

name=source
main_class=io.cdchub.bench.SourceBenchmark
build_dir=${CDCHUB_BUILD_DIR:-/tmp/sourcebench-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

# the systems' JVMs and the broker write their pids here; a halted benchmark JVM leaves them running
bench_stop_servers() {
  for pidfile in "$run_tmp"/bench-pids/*.pid; do
    [ -f "$pidfile" ] && stop_pid "$(head -1 "$pidfile")" "$(basename "$pidfile" .pid) process"
  done
}

# Resolves a classpath into a file once (re-resolved when the pom is newer); online once if offline fails (a peer's
# jars, or the dependency plugin, not yet in the local repository).
resolve_classpath() { # pom, file, extra Maven arguments...
  local pom=$1 file=$2
  shift 2
  if [ ! -s "$file" ] || [ "$pom" -nt "$file" ] || [ "$0" -nt "$file" ]; then
    echo "[bench] resolving $(basename "$file" .txt) ($pom)"
    if ! ./mvnw -q -o -f "$pom" "-Dcdchub.build.dir=$build_dir" dependency:build-classpath "-Dmdep.outputFile=$file" "$@"; then
      echo "[bench] offline resolution failed; retrying online" >&2
      ./mvnw -q -f "$pom" "-Dcdchub.build.dir=$build_dir" dependency:build-classpath "-Dmdep.outputFile=$file" "$@"
    fi
  fi
}

bench_prepare
# cdc-hub as a user runs it: its classes and its runtime classpath (also the broker's and the embedded engine's)
resolve_classpath pom.xml "$out/runtime-classpath.txt" -DincludeScope=runtime
# Kafka Connect 3.9.1 standalone with Debezium's PostgreSQL connector 3.4.0.Final, from Maven Central
resolve_classpath bench/peers/pom.xml "$out/connect-classpath.txt"
bench_java_opts=(
  "-Dbench.classes=$run_tmp/classes" "-Dbench.test-classes=$run_tmp/test-classes"
  "-Dbench.runtime-classpath=$out/runtime-classpath.txt" "-Dbench.connect-classpath=$out/connect-classpath.txt"
)
# cdc-hub as its container image runs it (BENCH_HUB_LAUNCH=image, the default): the jar extracted, with the
# class-data-sharing archive the image builds (scripts/create-cds-archive.sh); BENCH_HUB_LAUNCH=classpath runs the
# compiled classes on the runtime classpath, without an archive.
if [ "${BENCH_HUB_LAUNCH:-image}" = image ]; then
  echo "[bench] packaging cdc-hub and creating its class-data-sharing archive, as the image does"
  ./mvnw -q -o "-Dcdchub.build.dir=$build_dir" -Dmaven.test.skip=true package
  app="$run_tmp/app"
  java -Djarmode=tools -jar "$(production_jar "$build_dir")" extract --destination "$app" > /dev/null
  hub_jar=$(ls "$app"/cdc-hub-*.jar)
  scripts/create-cds-archive.sh "$hub_jar" "$app/cdc-hub.jsa"
  bench_java_opts+=("-Dbench.hub-jar=$hub_jar" "-Dbench.hub-cds-archive=$app/cdc-hub.jsa")
fi
bench_run "$@"
