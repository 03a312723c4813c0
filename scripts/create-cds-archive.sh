#!/usr/bin/env sh
# Creates a class-data-sharing archive for cdc-hub (JDK 17 dynamic AppCDS): the JVM maps the classes a start-up loads
# from the archive instead of finding, reading and verifying them in 370 jars, which halves the CPU a start-up costs
# (bench/README.md). Used by the Dockerfile and the source benchmark.
#
#   scripts/create-cds-archive.sh <extracted cdc-hub jar> <archive>
#
# The jar must be the one `java -Djarmode=tools -jar cdc-hub.jar extract` writes (classes in plain jars: the nested
# jars of the fat jar cannot be archived), run later with `java -XX:SharedArchiveFile=<archive> -jar <that jar>`,
# by the same JVM, from the same path. A JVM that cannot use the archive says so and starts without it.
#
# The training run creates the application context and exits before anything starts (spring.context.exit=onRefresh):
# no server is contacted, so placeholder connection settings do. Nothing it writes is kept but the archive.
set -eu
jar=$1
archive=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
java -XX:ArchiveClassesAtExit="$archive" -Dspring.context.exit=onRefresh -Xlog:cds=off -Xlog:cds+dynamic=info \
  -jar "$jar" \
  --spring.config.location=classpath:/application.yaml \
  --cdc.data-dir="$work/data" \
  --cdc.admin.token=cds-training-run-only-not-a-secret \
  --cdc.kafka.bootstrap-servers=127.0.0.1:9 \
  --cdc.source.database.hostname=127.0.0.1 --cdc.source.database.port=9 \
  --cdc.source.database.dbname=training --cdc.source.database.user=training \
  --cdc.source.tables='public\..*' --cdc.source.slot=cds_training --cdc.source.name=cds-training \
  > "$work/training.log" 2>&1 || true
if [ ! -s "$archive" ]; then
  echo "create-cds-archive: no archive written; the training run's log follows" >&2
  cat "$work/training.log" >&2
  exit 1
fi
if grep -q "APPLICATION FAILED TO START" "$work/training.log"; then
  # a partial archive still helps, but a failed context means the placeholders no longer satisfy the configuration
  echo "create-cds-archive: the training context failed (archive kept, but partial); its log follows" >&2
  cat "$work/training.log" >&2
  exit 1
fi
echo "create-cds-archive: $(du -h "$archive" | cut -f1) archive written to $archive"
