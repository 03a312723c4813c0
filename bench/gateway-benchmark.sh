#!/usr/bin/env bash
# The gateway benchmark: cdc-hub's real-time gateway (WebSocket /ws/stream) against a plain Camel vertx-websocket
# fan-out of the same Kafka topic, with the same load generator on the same machine. See bench/README.md ("Gateway
# benchmark"). Run from anywhere; needs the dependencies in the local Maven repository (`./mvnw verify` once).
#
#   bench/gateway-benchmark.sh                                   # the benchmark as specified
#   bench/gateway-benchmark.sh cdc.gateway.max-message-size=4096  # with a cdc-hub setting changed
#   BENCH_JAVA_OPTS="-Dbench.connections=2000 -Dbench.servers=gateway" bench/gateway-benchmark.sh
#
# Builds into its own directory, never into target/ (other builds may run in this checkout at the same time):
# CDCHUB_BUILD_DIR, default /tmp/gatewaybench-target, is passed to every Maven call as -Dcdchub.build.dir.
#
# Exit status: 0 done; 1 messages missing on open connections, or a phase failed; 2 cdc-hub or a server did not
# start; 3 ran longer than 15 minutes. Full log: <build dir>/bench/gateway-benchmark.log (servers' own logs next to
# it); summary alone: <build dir>/bench/gateway-benchmark-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

# 10,000 client sockets in the benchmark JVM and as many in the server's: each process needs more than 10,000 files.
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "[bench] open files limit is $(ulimit -n); 10,000 connections need about 11,000 (raise the hard limit, or pass -Dbench.connections=...)" >&2
fi

build_dir=${CDCHUB_BUILD_DIR:-/tmp/gatewaybench-target}
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

java_bin=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_bin="$JAVA_HOME/bin/java"
fi

# A private temp root: a cleanup of /tmp/cdc-hub-* by a concurrent test run cannot pull the broker's or PostgreSQL's
# folder away mid-benchmark, and whatever a halted JVM left behind under it can be stopped here, by pid.
run_tmp=$(mktemp -d /tmp/gateway-bench.XXXXXX)
chmod 755 "$run_tmp" # PostgreSQL runs as 'postgres' under root and must reach its folder
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
  # the server JVMs are started with -Djava.io.tmpdir=<this run's folder> on their command line
  for pid in $(pgrep -f -- "-Djava.io.tmpdir=$run_tmp " || true); do
    stop_pid "$pid" "server JVM"
  done
  rm -rf "$run_tmp"
}
trap cleanup EXIT

# Run from a copy of the compiled classes: another build in this build dir may clean or recompile it meanwhile.
cp -r "$build_dir/classes" "$run_tmp/classes"
cp -r "$build_dir/test-classes" "$run_tmp/test-classes"
for class in classes/io/cdchub/CdcHubApplication.class test-classes/io/cdchub/bench/GatewayBenchmark.class; do
  if [ ! -f "$run_tmp/$class" ]; then
    echo "[bench] $build_dir/$class is missing (another build cleaning $build_dir right now?); run the script again" >&2
    exit 1
  fi
done
classpath=$(cat "$cp_file")

echo "[bench] running io.cdchub.bench.GatewayBenchmark (log: $out/gateway-benchmark.log)"
rm -f "$out/gateway-benchmark-summary.txt"
set +e
# shellcheck disable=SC2086
"$java_bin" -Djava.io.tmpdir="$run_tmp" -Dbench.out="$out" ${BENCH_JAVA_OPTS:-} \
  -cp "$run_tmp/test-classes:$run_tmp/classes:$classpath" \
  io.cdchub.bench.GatewayBenchmark "$@" 2>&1 | tee "$out/gateway-benchmark.log"
status=${PIPESTATUS[0]}
set -e
if [ ! -f "$out/gateway-benchmark-summary.txt" ]; then
  # e.g. the in-process Kafka broker halts the JVM (Runtime.halt) when it loses its log directory
  echo "[bench] FAILED: the benchmark JVM ended (exit $status) without printing its summary; see $out/gateway-benchmark.log" >&2
  [ "$status" != 0 ] || status=1
fi
exit "$status"
