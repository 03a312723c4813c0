#!/usr/bin/env bash
# The production artifact's footprint (issue 16, section 1): for each jar given, its size and nested jar count, the CPU
# and wall time of a start-up up to a refreshed application context (spring.context.exit=onRefresh, placeholder
# settings, no server contacted: the same run scripts/create-cds-archive.sh trains on), and the time to "ready" and the
# resident memory at idle of an instance that needs no server (the admin surface: source, sinks and gateway off).
# Runs the jars alternately, REPS times each, so a load that changes during the run touches both alike; read CPU
# seconds, not wall time, on a shared machine.
#
#   bench/artifact-footprint.sh before.jar target/cdc-hub-0.1.0-SNAPSHOT.jar
#   REPS=5 bench/artifact-footprint.sh target/cdc-hub-0.1.0-SNAPSHOT.jar
set -euo pipefail
reps=${REPS:-3}
[ $# -ge 1 ] || { echo "usage: $0 JAR..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# CPU seconds (user + system) of a command, from bash's own accounting of its children
cpu_of() { # command...
  local TIMEFORMAT='%U %S' times
  times=$( { time "$@" > "$work/run.log" 2>&1; } 2>&1 ) || true
  echo "$times" | awk '{printf "%.2f", $1 + $2}'
}

to_refresh() { # jar
  java -Dspring.context.exit=onRefresh -jar "$1" --spring.config.location=classpath:/application.yaml \
    --cdc.data-dir="$work/data" --cdc.admin.token=footprint-run-only-not-a-secret-0123 \
    --cdc.kafka.bootstrap-servers=127.0.0.1:9 --cdc.source.database.hostname=127.0.0.1 --cdc.source.database.port=9 \
    --cdc.source.database.dbname=footprint --cdc.source.database.user=footprint --cdc.source.tables='public\..*' \
    --cdc.source.slot=footprint --cdc.source.name=footprint --server.port=0
}

idle() { # jar -> "seconds-to-ready rss-MB"
  local port pid started ready rss
  port=$(free_port)
  started=$(date +%s.%N)
  java -jar "$1" --server.port="$port" --cdc.data-dir="$work/data-idle" \
    --cdc.admin.token=footprint-run-only-not-a-secret-0123 --cdc.kafka.bootstrap-servers=127.0.0.1:9 \
    --cdc.source.enabled=false > "$work/idle.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/actuator/health/liveness"; then break; fi
    kill -0 "$pid" 2> /dev/null || { echo "failed: $(grep -m1 -A3 Description "$work/idle.log" | tr "\n" " ")" >&2; echo "- -"; return; }
    sleep 0.2
  done
  ready=$(echo "$(date +%s.%N) - $started" | bc)
  sleep 20 # idle: let start-up's garbage and threads settle
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2> /dev/null || true
  printf '%.1f %s\n' "$ready" "$rss"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for jar in "$@"; do
  printf '%s: %s MiB, %s nested jars\n' "$jar" "$(( $(stat -c %s "$jar") / 1048576 ))" \
    "$(unzip -l "$jar" | grep -c 'BOOT-INF/lib/.*\.jar$')"
done
for rep in $(seq 1 "$reps"); do
  for jar in "$@"; do
    cpu=$(cpu_of to_refresh "$jar")
    grep -q "APPLICATION FAILED TO START" "$work/run.log" && { echo "$jar: start-up failed"; tail -20 "$work/run.log"; exit 1; }
    read -r ready rss <<< "$(idle "$jar")"
    echo "rep $rep $jar: start-up to refreshed context ${cpu} CPU s; idle instance ready in ${ready} s, RSS ${rss} MB"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
