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

# bench.connections client sockets in the benchmark JVM and as many in the server's: each process needs more files than
# that. The soft limit is raised as far as the hard limit allows (root in a container may not raise the hard one).
wanted_connections=$(sed -n 's/.*-Dbench\.connections=\([0-9]*\).*/\1/p' <<< "${BENCH_JAVA_OPTS:-}")
wanted_connections=${wanted_connections:-10000}
wanted_files=$((wanted_connections + 10000))
ulimit -n "$((wanted_files > 65536 ? wanted_files : 65536))" 2> /dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$wanted_files" ]; then
  echo "[bench] open files limit is $(ulimit -n) (hard $(ulimit -Hn)); $wanted_connections connections need about $wanted_files (raise the hard limit, or pass -Dbench.connections=...)" >&2
fi

name=gateway
main_class=io.cdchub.bench.GatewayBenchmark
build_dir=${CDCHUB_BUILD_DIR:-/tmp/gatewaybench-target}
# shellcheck source=lib/bench-common.sh
. bench/lib/bench-common.sh

bench_stop_servers() {
  # the server JVMs are started with -Djava.io.tmpdir=<this run's folder> on their command line
  for pid in $(pgrep -f -- "-Djava.io.tmpdir=$run_tmp " || true); do
    stop_pid "$pid" "server JVM"
  done
}

bench_prepare
bench_run "$@"
