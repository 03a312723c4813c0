# syntax=docker/dockerfile:1
# cdc-hub container image: built with the Maven wrapper on a JDK, run on a JRE as a non-root user
# from Spring Boot's layered jar (dependencies first, so a code change rebuilds only the last layer).
#
#   docker build -t cdc-hub .
#   docker build --build-arg ARTIFACT=lakehouse -t cdc-hub:lakehouse .   (with the Iceberg, Parquet and Delta Lake sinks)
#   docker compose up            (the whole stack: docker-compose.yml)
#
# ARTIFACT picks the jar the image runs (README "Production artifacts"): empty (the default) for the production jar
# cdc-hub-<version>.jar, "lakehouse" for cdc-hub-<version>-lakehouse.jar, the same application with the lakehouse sinks'
# libraries (about 78 MiB more).
#
# Configuration comes from environment variables (Spring's relaxed binding, README "Configuration"):
# CDC_KAFKA_BOOTSTRAP_SERVERS, CDC_SOURCE_DATABASE_HOSTNAME, ... Local state (file offset store) lives
# in CDC_DATA_DIR (a volume); extra or overriding route YAML is read from CDC_ROUTES_DIR.

ARG JAVA_VERSION=17

# ---- build ---------------------------------------------------------------------------------------
FROM eclipse-temurin:${JAVA_VERSION}-jdk AS build
ARG ARTIFACT=
WORKDIR /workspace
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/main/ src/main/
# the local Maven repository is a BuildKit cache: later builds download nothing that did not change
RUN --mount=type=cache,target=/root/.m2 \
    chmod +x mvnw \
    && case "${ARTIFACT}" in ""|lakehouse) ;; *) echo "ARTIFACT must be empty or lakehouse, not ${ARTIFACT}" >&2; exit 2 ;; esac \
    && ./mvnw -B -Dmaven.test.skip=true package \
    && if [ -n "${ARTIFACT}" ]; then jar=$(ls target/cdc-hub-*-"${ARTIFACT}".jar); \
       else jar=$(ls target/cdc-hub-*.jar | grep -v -- '-lakehouse\.jar$'); fi \
    && cp "$jar" /workspace/cdc-hub.jar \
    && java -Djarmode=tools -jar /workspace/cdc-hub.jar extract --layers --destination /workspace/extracted

# ---- run -----------------------------------------------------------------------------------------
FROM eclipse-temurin:${JAVA_VERSION}-jre
LABEL org.opencontainers.image.title="cdc-hub" \
      org.opencontainers.image.description="PostgreSQL logical replication to Kafka, fanned out to ClickHouse, Elasticsearch, Redis and WebSocket clients" \
      org.opencontainers.image.licenses="Apache-2.0"

# a fixed, non-root uid/gid (Kubernetes runAsNonRoot needs a numeric USER); the Helm chart uses the same ids
ARG UID=10001
ARG GID=10001
RUN groupadd --system --gid ${GID} cdchub \
    && useradd --system --uid ${UID} --gid ${GID} --home-dir /app --shell /usr/sbin/nologin cdchub \
    && mkdir -p /app /var/lib/cdc-hub /etc/cdc-hub/routes \
    && chown -R ${UID}:${GID} /var/lib/cdc-hub \
    && chmod 0755 /etc/cdc-hub/routes

WORKDIR /app
# one COPY per layer, least often changed first: lib/*.jar, then cdc-hub.jar (its manifest names lib/)
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/spring-boot-loader/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./

# CDC_DATA_DIR (cdc.data-dir): file offset store and other local state; keep it on a volume.
# CDC_ROUTES_DIR (cdc.routes.dir): extra *.camel.yaml routes loaded beside the built-in ones.
# JAVA_TOOL_OPTIONS: heap sized from the container's memory limit, crash fast on OOM (the orchestrator restarts).
ENV CDC_DATA_DIR=/var/lib/cdc-hub \
    CDC_ROUTES_DIR=/etc/cdc-hub/routes \
    JAVA_TOOL_OPTIONS="-XX:InitialRAMPercentage=50 -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC -Djava.security.egd=file:/dev/./urandom" \
    TZ=UTC
VOLUME ["/var/lib/cdc-hub"]

# Class-data sharing: a training run (no server contacted) records the classes a start-up loads into cdc-hub.jsa,
# which every start then maps instead of reading and verifying them from its jars: about half the CPU of a start-up
# (bench/README.md). Same JVM, same options and same jar path as the ENTRYPOINT, or the JVM ignores the archive.
COPY scripts/create-cds-archive.sh /tmp/create-cds-archive.sh
RUN sh /tmp/create-cds-archive.sh /app/cdc-hub.jar /app/cdc-hub.jsa && rm /tmp/create-cds-archive.sh

USER ${UID}:${GID}
# 8080 server.port: admin API, actuator (health, Prometheus), Hawtio, the gateway (WebSocket, SSE) and /live;
# 8083 cdc.admin.connect-port: the Kafka Connect-compatible REST API (-1 turns it off)
EXPOSE 8080 8083
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/cdc-hub.jsa", "-jar", "/app/cdc-hub.jar"]
