#!/usr/bin/env bash
# The source benchmark: cdc-hub against raw pg_recvlogical on the test harness's real PostgreSQL and
# Kafka. See bench/README.md. Run from anywhere; needs `./mvnw verify` (or test-compile) once before,
# so that the dependencies are in the local Maven repository.
#
#   bench/source-benchmark.sh                                  # the benchmark as specified
#   bench/source-benchmark.sh cdc.source.poll-interval=50ms    # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.rows=20000" bench/source-benchmark.sh
#
# Exit status: 0 done; 1 events missing or a phase failed; 2 cdc-hub or the servers did not start;
# 3 ran longer than 10 minutes. Full log: target/bench/source-benchmark.log; summary alone:
# target/bench/source-benchmark-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/bench
mkdir -p "$out"
cp_file="$out/test-classpath.txt"

echo "[bench] compiling (./mvnw -q -o test-compile)"
./mvnw -q -o test-compile

if [ ! -s "$cp_file" ] || [ pom.xml -nt "$cp_file" ]; then
  echo "[bench] resolving the test classpath"
  if ! ./mvnw -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"; then
    # offline fails only if maven-dependency-plugin itself was never downloaded; fetch it once
    echo "[bench] offline resolution failed; retrying online for maven-dependency-plugin" >&2
    ./mvnw -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
  fi
fi

java_bin=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_bin="$JAVA_HOME/bin/java"
fi

# The harness's servers keep their data in temp folders (cdc-hub-pg-*, cdc-hub-kafka-*, cdc-hub-data-*).
# Give this run a private temp root, so that a cleanup of /tmp/cdc-hub-* by a concurrent test run cannot
# pull the broker's log directory away mid-benchmark (Kafka then halts the JVM), and so that a server
# left behind by a halted JVM can be stopped here. Only servers under this run's folder are touched.
run_tmp=$(mktemp -d /tmp/source-bench.XXXXXX)
chmod 755 "$run_tmp" # PostgreSQL runs as 'postgres' under root and must reach its folder
cleanup() {
  for pidfile in "$run_tmp"/cdc-hub-pg-*/data/postmaster.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(head -1 "$pidfile")
    echo "[bench] stopping the PostgreSQL (pid $pid) this run left behind" >&2
    kill -QUIT "$pid" 2> /dev/null || true # immediate shutdown
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
  done
  rm -rf "$run_tmp"
}
trap cleanup EXIT

# Run from a copy of the compiled classes: other builds in this checkout may clean or recompile target/
# while the benchmark runs.
cp -r target/classes "$run_tmp/classes"
cp -r target/test-classes "$run_tmp/test-classes"
for class in classes/io/cdchub/CdcHubApplication.class test-classes/io/cdchub/bench/SourceBenchmark.class; do
  if [ ! -f "$run_tmp/$class" ]; then
    echo "[bench] target/$class is missing (another build cleaning target/ right now?); run the script again" >&2
    exit 1
  fi
done
classpath=$(cat "$cp_file")

echo "[bench] running io.cdchub.bench.SourceBenchmark (log: $out/source-benchmark.log)"
rm -f "$out/source-benchmark-summary.txt"
set +e
# shellcheck disable=SC2086
"$java_bin" -Djava.io.tmpdir="$run_tmp" ${BENCH_JAVA_OPTS:-} -cp "$run_tmp/test-classes:$run_tmp/classes:$classpath" \
  io.cdchub.bench.SourceBenchmark "$@" 2>&1 | tee "$out/source-benchmark.log"
status=${PIPESTATUS[0]}
set -e
if [ ! -f "$out/source-benchmark-summary.txt" ]; then
  # e.g. the in-process Kafka broker halts the JVM (Runtime.halt) when it loses its log directory
  echo "[bench] FAILED: the benchmark JVM ended (exit $status) without printing its summary; see $out/source-benchmark.log" >&2
  [ "$status" != 0 ] || status=1
fi
exit "$status"
