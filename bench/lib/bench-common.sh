# Shared by bench/*-benchmark.sh (sourced, not run). Each script sets `name` (source, sink, gateway), `main_class`
# and `build_dir`, may define `bench_stop_servers` (stops the servers of its own kind that a halted JVM left in
# $run_tmp), then calls bench_prepare, may add JVM options for the benchmark to the array `bench_java_opts`, and calls
# bench_run "$@".
#
# Builds into build_dir (passed to every Maven call as -Dcdchub.build.dir), so a benchmark never cleans or recompiles
# another build's target/. The benchmark JVM runs from a private copy of the classes, with a private temp root: the
# harness's servers keep their data there (cdc-hub-pg-*, cdc-hub-kafka-*, ...), so a cleanup of /tmp/cdc-hub-* by a
# concurrent test run cannot pull a folder away mid-run, and whatever the run leaves behind is stopped by pid.

# The production jar a package build wrote into a build dir (cdc-hub-<version>.jar, not the -lakehouse one beside it)
production_jar() { # build dir
  ls "$1"/cdc-hub-*.jar | grep -v -- '-lakehouse\.jar$'
}

stop_pid() { # pid, what
  kill -0 "$1" 2> /dev/null || return 0
  echo "[bench] stopping the $2 (pid $1) this run left behind" >&2
  kill -KILL "$1" 2> /dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2> /dev/null || break; sleep 0.2; done
}

bench_cleanup() {
  for pidfile in "$run_tmp"/cdc-hub-pg-*/data/postmaster.pid; do
    [ -f "$pidfile" ] && stop_pid "$(head -1 "$pidfile")" PostgreSQL
  done
  if declare -F bench_stop_servers > /dev/null; then
    bench_stop_servers
  fi
  rm -rf "$run_tmp"
}

# Compiles, resolves the test classpath (cp_file), picks java_bin and creates run_tmp (removed at exit).
bench_prepare() {
  mvn_args=(-q -o "-Dcdchub.build.dir=$build_dir")
  out="$build_dir/bench"
  mkdir -p "$out"
  cp_file="$out/test-classpath.txt"
  echo "[bench] compiling (./mvnw ${mvn_args[*]} test-compile)"
  ./mvnw "${mvn_args[@]}" test-compile
  if [ ! -s "$cp_file" ] || [ pom.xml -nt "$cp_file" ]; then
    echo "[bench] resolving the test classpath"
    if ! ./mvnw "${mvn_args[@]}" dependency:build-classpath -DincludeScope=test -Dmdep.outputFile="$cp_file"; then
      # offline fails only if maven-dependency-plugin itself was never downloaded; fetch it once
      echo "[bench] offline resolution failed; retrying online for maven-dependency-plugin" >&2
      ./mvnw -q "-Dcdchub.build.dir=$build_dir" dependency:build-classpath -DincludeScope=test -Dmdep.outputFile="$cp_file"
    fi
  fi
  java_bin=java
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    java_bin="$JAVA_HOME/bin/java"
  fi
  bench_java_opts=()
  run_tmp=$(mktemp -d "/tmp/${name}-bench.XXXXXX")
  chmod 755 "$run_tmp" # PostgreSQL runs as 'postgres' (Elasticsearch as 'nobody') under root: they must reach their folders
  trap bench_cleanup EXIT
}

# Runs main_class with the script's arguments; the exit status is the benchmark's (non-zero also when it printed no
# summary, e.g. the in-process Kafka broker halted the JVM).
bench_run() {
  # a copy of the compiled classes: another build in this build dir may clean or recompile it meanwhile
  cp -r "$build_dir/classes" "$run_tmp/classes"
  cp -r "$build_dir/test-classes" "$run_tmp/test-classes"
  local main_file="test-classes/${main_class//.//}.class"
  for class in classes/io/cdchub/CdcHubApplication.class "$main_file"; do
    if [ ! -f "$run_tmp/$class" ]; then
      echo "[bench] $build_dir/$class is missing (another build cleaning $build_dir right now?); run the script again" >&2
      exit 1
    fi
  done
  local log="$out/$name-benchmark.log" summary="$out/$name-benchmark-summary.txt" status
  echo "[bench] running $main_class (log: $log)"
  rm -f "$summary"
  set +e
  # shellcheck disable=SC2086
  "$java_bin" -Djava.io.tmpdir="$run_tmp" -Dbench.out="$out" "${bench_java_opts[@]}" ${BENCH_JAVA_OPTS:-} \
    -cp "$run_tmp/test-classes:$run_tmp/classes:$(cat "$cp_file")" \
    "$main_class" "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  if [ ! -f "$summary" ]; then
    echo "[bench] FAILED: the benchmark JVM ended (exit $status) without printing its summary; see $log" >&2
    [ "$status" != 0 ] || status=1
  fi
  exit "$status"
}
