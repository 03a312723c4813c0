{{/*
Names
*/}}
{{- define "cdc-hub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cdc-hub.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cdc-hub.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Names of the per-role and shared objects (role names are short: the suffix never needs truncating below 63) */}}
{{- define "cdc-hub.sourceName" -}}
{{- printf "%s-source" (include "cdc-hub.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}
{{- define "cdc-hub.workersName" -}}
{{- printf "%s-workers" (include "cdc-hub.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}
{{- define "cdc-hub.routesConfigMapName" -}}
{{- printf "%s-routes" (include "cdc-hub.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}
{{- define "cdc-hub.configConfigMapName" -}}
{{- printf "%s-config" (include "cdc-hub.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}
{{- define "cdc-hub.secretName" -}}
{{- if .Values.credentials.existingSecret }}
{{- .Values.credentials.existingSecret }}
{{- else }}
{{- printf "%s-credentials" (include "cdc-hub.fullname" . | trunc 51 | trimSuffix "-") }}
{{- end }}
{{- end }}
{{- define "cdc-hub.dataClaimName" -}}
{{- if .Values.source.persistence.existingClaim }}
{{- .Values.source.persistence.existingClaim }}
{{- else }}
{{- printf "%s-source-data" (include "cdc-hub.fullname" . | trunc 51 | trimSuffix "-") }}
{{- end }}
{{- end }}

{{- define "cdc-hub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cdc-hub.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Labels
*/}}
{{- define "cdc-hub.labels" -}}
helm.sh/chart: {{ include "cdc-hub.chart" . }}
{{ include "cdc-hub.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cdc-hub
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "cdc-hub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cdc-hub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one role: call with (dict "root" $ "role" "source") */}}
{{- define "cdc-hub.roleLabels" -}}
{{ include "cdc-hub.labels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "cdc-hub.roleSelectorLabels" -}}
{{ include "cdc-hub.selectorLabels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{/*
Image reference: registry/repository@digest or registry/repository:tag (tag defaults to appVersion)
*/}}
{{- define "cdc-hub.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repo = printf "%s/%s" .Values.image.registry .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The route files of the routes ConfigMap: name -> content. builtIn=chart: the chart's copies of the built-in
routes minus routes.disabled, then routes.extra (a same-named entry replaces a built-in). builtIn=image:
routes.extra only. Returned as YAML (fromYaml it).
*/}}
{{- define "cdc-hub.routeFiles" -}}
{{- $files := dict }}
{{- $builtIn := list }}
{{- range $path, $_ := .Files.Glob "files/routes/*.camel.yaml" }}
{{- $builtIn = append $builtIn (base $path) }}
{{- end }}
{{- range .Values.routes.disabled }}
{{- if not (has . $builtIn) }}
{{- fail (printf "routes.disabled: %s is not a built-in route file (built-in: %s)" . (join ", " $builtIn)) }}
{{- end }}
{{- end }}
{{- if eq .Values.routes.builtIn "chart" }}
{{- range $path, $_ := .Files.Glob "files/routes/*.camel.yaml" }}
{{- if not (has (base $path) $.Values.routes.disabled) }}
{{- $_ := set $files (base $path) ($.Files.Get $path) }}
{{- end }}
{{- end }}
{{- else }}
{{- if .Values.routes.disabled }}
{{- fail "routes.disabled needs routes.builtIn: chart (with builtIn: image the image's built-in routes are all loaded)" }}
{{- end }}
{{- end }}
{{- range $name, $content := .Values.routes.extra }}
{{- if and (eq $.Values.routes.builtIn "image") (has $name $builtIn) }}
{{- fail (printf "routes.extra.%s has the name of a built-in route: overriding needs routes.builtIn: chart" $name) }}
{{- end }}
{{- $_ := set $files $name $content }}
{{- end }}
{{- toYaml $files }}
{{- end }}

{{/* Whether the chart renders a routes ConfigMap */}}
{{- define "cdc-hub.hasRoutesConfigMap" -}}
{{- if or (eq .Values.routes.builtIn "chart") .Values.routes.extra }}true{{ end }}
{{- end }}

{{/*
The application.yaml of the config ConfigMap: kafka.properties and config, merged (config wins)
*/}}
{{- define "cdc-hub.applicationConfig" -}}
{{- $generated := dict }}
{{- if .Values.kafka.properties }}
{{- $generated = dict "cdc" (dict "kafka" (dict "properties" .Values.kafka.properties)) }}
{{- end }}
{{- $merged := mustMergeOverwrite (dict) $generated (deepCopy .Values.config) }}
{{- if $merged }}
{{- toYaml $merged }}
{{- else }}
{{- "{}" }}
{{- end }}
{{- end }}

{{/*
Checks that need more than one value (values.schema.json checks single values)
*/}}
{{- define "cdc-hub.validate" -}}
{{- if and .Values.source.enabled (gt (int .Values.source.replicas) 1) }}
{{- if not .Values.source.leaderElection.enabled }}
{{- fail "source.replicas > 1 needs source.leaderElection.enabled=true: two active sources on one replication slot would fight over it" }}
{{- end }}
{{- /* the standby must see the leader's offsets: leader election sets the kafka offset store itself */}}
{{- if and .Values.source.persistence.enabled (has "ReadWriteOnce" .Values.source.persistence.accessModes) }}
{{- fail "source.replicas > 1 cannot share a ReadWriteOnce source.persistence claim: turn persistence off (offsets are in Kafka)" }}
{{- end }}
{{- end }}
{{- if and .Values.kafka.sasl.enabled (not .Values.credentials.existingSecret) (not .Values.credentials.kafkaSaslPassword) }}
{{- fail "kafka.sasl.enabled needs a password: credentials.kafkaSaslPassword or credentials.existingSecret" }}
{{- end }}
{{- if and .Values.workers.autoscaling.enabled (lt (int .Values.workers.autoscaling.maxReplicas) (int .Values.workers.autoscaling.minReplicas)) }}
{{- fail "workers.autoscaling.maxReplicas must not be less than workers.autoscaling.minReplicas" }}
{{- end }}
{{- if and .Values.gateway.enabled (not .Values.gateway.jwksUrl) (not .Values.credentials.existingSecret) (not .Values.credentials.gatewayJwtSecret) }}
{{- fail "gateway.enabled needs a way to check client tokens: credentials.gatewayJwtSecret (or credentials.existingSecret holding it) or gateway.jwksUrl" }}
{{- end }}
{{- if and .Values.sinks.iceberg.enabled (not .Values.sinks.iceberg.catalogUri) }}
{{- fail (printf "sinks.iceberg.enabled needs sinks.iceberg.catalogUri: the %s catalog's address" .Values.sinks.iceberg.catalogType) }}
{{- end }}
{{- if and .Values.source.enabled .Values.source.csvImport.enabled }}
{{- if not .Values.source.csvImport.existingClaim }}
{{- fail "source.csvImport.enabled needs source.csvImport.existingClaim: the volume holding the CSV folder" }}
{{- end }}
{{- if gt (int .Values.source.replicas) 1 }}
{{- fail "source.csvImport.enabled needs source.replicas: 1: two pods watching one folder would load a file twice" }}
{{- end }}
{{- end }}
{{- $logical := dig "cdc" "source" "enabled" true .Values.config }}
{{- $polling := dig "cdc" "polling" "enabled" false .Values.config }}
{{- if $polling }}
{{- if not .Values.source.enabled }}
{{- fail "config.cdc.polling.enabled needs source.enabled: the polling source runs in the source pod (the workers never poll)" }}
{{- end }}
{{- if gt (int .Values.source.replicas) 1 }}
{{- fail "config.cdc.polling.enabled needs source.replicas: 1: the polling source has no leader election, two pods would both poll" }}
{{- end }}
{{- else if and .Values.source.enabled (not $logical) }}
{{- fail "config.cdc.source.enabled=false leaves the source pod capturing nothing: set config.cdc.polling.enabled=true (with its tables) or source.enabled=false" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.workers.enabled) }}
{{- fail "ingress.enabled needs workers.enabled: the Ingress routes to the workers (API, gateway)" }}
{{- end }}
{{- end }}

{{/*
A secretKeyRef env entry: (dict "root" $ "name" "ENV_NAME" "key" "keyName" "optional" true)
*/}}
{{- define "cdc-hub.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "cdc-hub.secretName" .root }}
      key: {{ .key }}
      optional: {{ .optional }}
{{- end }}

{{/*
Environment shared by both roles
*/}}
{{- define "cdc-hub.commonEnv" -}}
{{- $root := . -}}
- name: JAVA_TOOL_OPTIONS
  value: {{ .Values.javaToolOptions | quote }}
- name: KUBERNETES_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: CDC_DATA_DIR
  value: /var/lib/cdc-hub
- name: CDC_ROUTES_DIR
  value: /etc/cdc-hub/routes
{{- if eq .Values.routes.builtIn "chart" }}
# the chart ships the built-in routes: load them from the mounted folder only, not also from the jar
- name: CAMEL_MAIN_ROUTES_INCLUDE_PATTERN
  value: "file:/etc/cdc-hub/routes/*.camel.yaml"
{{- end }}
{{- if .Values.routes.reload }}
- name: CDC_ROUTES_RELOAD
  value: "true"
{{- end }}
- name: SPRING_CONFIG_ADDITIONAL_LOCATION
  value: "optional:file:/etc/cdc-hub/config/"
- name: CDC_KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: CDC_TOPIC_PREFIX
  value: {{ .Values.topicPrefix | quote }}
{{- if .Values.kafka.sasl.enabled }}
{{ include "cdc-hub.secretEnv" (dict "root" $root "name" "KAFKA_SASL_PASSWORD" "key" .Values.credentials.keys.kafkaSaslPassword "optional" false) }}
- name: CDC_KAFKA_PROPERTIES_SECURITY_PROTOCOL
  value: {{ .Values.kafka.sasl.securityProtocol | quote }}
- name: CDC_KAFKA_PROPERTIES_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: CDC_KAFKA_PROPERTIES_SASL_JAAS_CONFIG
  {{- $module := ternary "org.apache.kafka.common.security.plain.PlainLoginModule" "org.apache.kafka.common.security.scram.ScramLoginModule" (eq .Values.kafka.sasl.mechanism "PLAIN") }}
  value: {{ printf "%s required username=\"%s\" password=\"$(KAFKA_SASL_PASSWORD)\";" $module .Values.kafka.sasl.username | quote }}
{{- end }}
{{- /* required: the app refuses to start without an admin token (the chart generates one when none is given) */}}
{{ include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_ADMIN_TOKEN" "key" .Values.credentials.keys.adminToken "optional" false) }}
{{- end }}

{{/*
One Deployment. Call with (dict "root" $ "role" "source"|"workers")
*/}}
{{- define "cdc-hub.deployment" -}}
{{- $root := .root }}
{{- $role := .role }}
{{- $values := index $root.Values $role }}
{{- $isSource := eq $role "source" }}
{{- $leader := and $isSource $values.leaderElection.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ ternary (include "cdc-hub.sourceName" $root) (include "cdc-hub.workersName" $root) $isSource }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "cdc-hub.roleLabels" (dict "root" $root "role" $role) | nindent 4 }}
spec:
  {{- if not (and (not $isSource) $values.autoscaling.enabled) }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "cdc-hub.roleSelectorLabels" (dict "root" $root "role" $role) | nindent 6 }}
  strategy:
    {{- if and $isSource (not $leader) }}
    # one active source per slot: stop the old pod before the new one starts
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
    {{- end }}
  template:
    metadata:
      labels:
        {{- include "cdc-hub.roleSelectorLabels" (dict "root" $root "role" $role) | nindent 8 }}
        app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/routes: {{ include (print $root.Template.BasePath "/configmap-routes.yaml") $root | sha256sum }}
        checksum/config: {{ print (include (print $root.Template.BasePath "/configmap-config.yaml") $root) (include (print $root.Template.BasePath "/secret.yaml") $root) | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "cdc-hub.serviceAccountName" $root }}
      # only a leader-electing source talks to the Kubernetes API
      automountServiceAccountToken: {{ $leader }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: cdc-hub
          image: {{ include "cdc-hub.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            - name: connect
              containerPort: 8083
              protocol: TCP
          env:
            {{- include "cdc-hub.commonEnv" $root | nindent 12 }}
            {{- if $isSource }}
            # the logical-replication source, unless config.cdc.source.enabled is false (a database without logical
            # replication, polled by config.cdc.polling): env beats the mounted application.yaml, so it is read here
            - name: CDC_SOURCE_ENABLED
              value: {{ dig "cdc" "source" "enabled" true $root.Values.config | quote }}
            - name: CDC_SOURCE_NAME
              value: {{ $values.name | quote }}
            - name: CDC_SOURCE_DATABASE_HOSTNAME
              value: {{ $root.Values.database.hostname | quote }}
            - name: CDC_SOURCE_DATABASE_PORT
              value: {{ $root.Values.database.port | quote }}
            - name: CDC_SOURCE_DATABASE_DBNAME
              value: {{ $root.Values.database.dbname | quote }}
            - name: CDC_SOURCE_DATABASE_USER
              value: {{ $root.Values.database.user | quote }}
            - name: CDC_SOURCE_DATABASE_SSLMODE
              value: {{ $root.Values.database.sslmode | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_SOURCE_DATABASE_PASSWORD" "key" $root.Values.credentials.keys.databasePassword "optional" false) | nindent 12 }}
            - name: CDC_SOURCE_TABLES
              value: {{ $values.tables | quote }}
            - name: CDC_SOURCE_SLOT
              value: {{ $values.slot | quote }}
            - name: CDC_SOURCE_SNAPSHOT_MODE
              value: {{ $values.snapshotMode | quote }}
            - name: CDC_SOURCE_SIGNAL_TABLE
              value: {{ $values.signalTable | quote }}
            # leader election needs the kafka offset store (a standby continues from the leader's offsets)
            - name: CDC_SOURCE_OFFSET_STORE
              value: {{ ternary "kafka" $values.offsetStore $leader | quote }}
            - name: CDC_SOURCE_OFFSET_TOPIC
              value: {{ $values.offsetTopic | quote }}
            - name: CDC_CLUSTER_LEADER_ELECTION_ENABLED
              value: {{ $leader | quote }}
            {{- if $leader }}
            # the Lease is <lease name>-<slot>; members are the running, ready pods of the source role
            - name: CDC_CLUSTER_LEADER_ELECTION_LEASE_NAME
              value: {{ include "cdc-hub.sourceName" $root | trunc 40 | trimSuffix "-" | quote }}
            {{- $selector := list }}
            {{- range $key, $value := include "cdc-hub.roleSelectorLabels" (dict "root" $root "role" $role) | fromYaml }}
            {{- $selector = append $selector (printf "%s=%s" $key $value) }}
            {{- end }}
            - name: CDC_CLUSTER_LEADER_ELECTION_POD_SELECTOR
              value: {{ join "," $selector | quote }}
            {{- end }}
            {{- with $values.csvImport }}
            {{- if .enabled }}
            # the CSV import runs beside the source, which adds the tables it creates to its publication
            - name: CDC_IMPORT_CSV_DIR
              value: "/var/lib/cdc-hub-import"
            - name: CDC_IMPORT_CSV_SCHEMA
              value: {{ .schema | default "public" | quote }}
            - name: CDC_IMPORT_CSV_TABLE_PREFIX
              value: {{ .tablePrefix | quote }}
            - name: CDC_IMPORT_CSV_MODE
              value: {{ .mode | default "insert" | quote }}
            - name: CDC_IMPORT_CSV_DELIMITER
              value: {{ .delimiter | default "," | quote }}
            - name: CDC_IMPORT_CSV_ENCODING
              value: {{ .encoding | default "UTF-8" | quote }}
            {{- end }}
            {{- end }}
            # sinks run in the workers
            - name: CDC_SINK_CLICKHOUSE_ENABLED
              value: "false"
            - name: CDC_SINK_ELASTICSEARCH_ENABLED
              value: "false"
            - name: CDC_SINK_ICEBERG_ENABLED
              value: "false"
            # the gateway and the aggregation consumers run in the workers
            - name: CDC_GATEWAY_ENABLED
              value: "false"
            - name: CDC_AGGREGATION_ENABLED
              value: "false"
            # connectors defined through the management API run here, with the source (on the Lease holder only
            # when leader election is on), never in the workers
            - name: CDC_ADMIN_RUN_CONNECTORS
              value: "true"
            {{- else }}
            - name: CDC_SOURCE_ENABLED
              value: "false"
            # the polling source (config.cdc.polling) runs in the source pod only: the workers read the same ConfigMap
            - name: CDC_POLLING_ENABLED
              value: "false"
            # the workers take connector definitions (API) and leave running them to the source
            - name: CDC_ADMIN_RUN_CONNECTORS
              value: "false"
            - name: CDC_SINK_CLICKHOUSE_ENABLED
              value: {{ $root.Values.sinks.clickhouse.enabled | quote }}
            {{- if $root.Values.sinks.clickhouse.enabled }}
            - name: CDC_SINK_CLICKHOUSE_URL
              value: {{ $root.Values.sinks.clickhouse.url | quote }}
            - name: CDC_SINK_CLICKHOUSE_DATABASE
              value: {{ $root.Values.sinks.clickhouse.database | quote }}
            - name: CDC_SINK_CLICKHOUSE_USERNAME
              value: {{ $root.Values.sinks.clickhouse.username | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_SINK_CLICKHOUSE_PASSWORD" "key" $root.Values.credentials.keys.clickhousePassword "optional" true) | nindent 12 }}
            {{- end }}
            - name: CDC_SINK_ELASTICSEARCH_ENABLED
              value: {{ $root.Values.sinks.elasticsearch.enabled | quote }}
            {{- if $root.Values.sinks.elasticsearch.enabled }}
            - name: CDC_SINK_ELASTICSEARCH_URL
              value: {{ $root.Values.sinks.elasticsearch.url | quote }}
            - name: CDC_SINK_ELASTICSEARCH_USERNAME
              value: {{ $root.Values.sinks.elasticsearch.username | quote }}
            - name: CDC_SINK_ELASTICSEARCH_INDEX_PREFIX
              value: {{ $root.Values.sinks.elasticsearch.indexPrefix | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_SINK_ELASTICSEARCH_PASSWORD" "key" $root.Values.credentials.keys.elasticsearchPassword "optional" true) | nindent 12 }}
            {{- end }}
            {{- $iceberg := $root.Values.sinks.iceberg }}
            - name: CDC_SINK_ICEBERG_ENABLED
              value: {{ $iceberg.enabled | quote }}
            {{- if $iceberg.enabled }}
            - name: CDC_SINK_ICEBERG_CATALOG_TYPE
              value: {{ $iceberg.catalogType | quote }}
            - name: CDC_SINK_ICEBERG_CATALOG_URI
              value: {{ $iceberg.catalogUri | quote }}
            - name: CDC_SINK_ICEBERG_CATALOG_NAME
              value: {{ $iceberg.catalogName | default "cdc_hub" | quote }}
            - name: CDC_SINK_ICEBERG_CATALOG_USER
              value: {{ $iceberg.catalogUser | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_SINK_ICEBERG_CATALOG_PASSWORD" "key" $root.Values.credentials.keys.icebergCatalogPassword "optional" true) | nindent 12 }}
            - name: CDC_SINK_ICEBERG_WAREHOUSE
              value: {{ $iceberg.warehouse | quote }}
            - name: CDC_SINK_ICEBERG_NAMESPACE
              value: {{ $iceberg.namespace | default "cdc" | quote }}
            - name: CDC_SINK_ICEBERG_COMMIT_INTERVAL
              value: {{ $iceberg.commitInterval | default "10s" | quote }}
            - name: CDC_SINK_ICEBERG_TARGET_FILE_SIZE_BYTES
              value: {{ $iceberg.targetFileSizeBytes | default 134217728 | int64 | quote }}
            - name: CDC_SINK_ICEBERG_S3_ENDPOINT
              value: {{ $iceberg.s3.endpoint | quote }}
            - name: CDC_SINK_ICEBERG_S3_REGION
              value: {{ $iceberg.s3.region | quote }}
            - name: CDC_SINK_ICEBERG_S3_PATH_STYLE_ACCESS
              value: {{ $iceberg.s3.pathStyleAccess | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_SINK_ICEBERG_S3_ACCESS_KEY" "key" $root.Values.credentials.keys.icebergS3AccessKey "optional" true) | nindent 12 }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_SINK_ICEBERG_S3_SECRET_KEY" "key" $root.Values.credentials.keys.icebergS3SecretKey "optional" true) | nindent 12 }}
            - name: CDC_SINK_ICEBERG_MAINTENANCE_ENABLED
              value: {{ $iceberg.maintenance.enabled | quote }}
            - name: CDC_SINK_ICEBERG_MAINTENANCE_INTERVAL
              value: {{ $iceberg.maintenance.interval | default "1h" | quote }}
            {{- end }}
            - name: CDC_GATEWAY_ENABLED
              value: {{ $root.Values.gateway.enabled | quote }}
            {{- if $root.Values.gateway.enabled }}
            - name: CDC_GATEWAY_JWT_JWKS_URL
              value: {{ $root.Values.gateway.jwksUrl | quote }}
            - name: CDC_GATEWAY_JWT_ISSUER
              value: {{ $root.Values.gateway.issuer | quote }}
            - name: CDC_GATEWAY_JWT_AUDIENCE
              value: {{ $root.Values.gateway.audience | quote }}
            - name: CDC_GATEWAY_JWT_TOPICS_CLAIM
              value: {{ $root.Values.gateway.topicsClaim | default "topics" | quote }}
            - name: CDC_GATEWAY_MAX_CONNECTIONS
              value: {{ $root.Values.gateway.maxConnections | default 10000 | int | quote }}
            - name: CDC_GATEWAY_BUFFER
              value: {{ $root.Values.gateway.buffer | default 1000 | int | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_GATEWAY_JWT_SECRET" "key" $root.Values.credentials.keys.gatewayJwtSecret "optional" true) | nindent 12 }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "CDC_GATEWAY_RESUME_KEY" "key" $root.Values.credentials.keys.gatewayResumeKey "optional" true) | nindent 12 }}
            {{- end }}
            {{- if $root.Values.redis.host }}
            - name: SPRING_DATA_REDIS_HOST
              value: {{ $root.Values.redis.host | quote }}
            - name: SPRING_DATA_REDIS_PORT
              value: {{ $root.Values.redis.port | quote }}
            {{- include "cdc-hub.secretEnv" (dict "root" $root "name" "SPRING_DATA_REDIS_PASSWORD" "key" $root.Values.credentials.keys.redisPassword "optional" true) | nindent 12 }}
            {{- end }}
            {{- end }}
            {{- with $root.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /actuator/health/liveness
              port: http
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
            timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
          livenessProbe:
            httpGet:
              path: /actuator/health/liveness
              port: http
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
          readinessProbe:
            httpGet:
              path: /actuator/health/readiness
              port: http
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: data
              mountPath: /var/lib/cdc-hub
            - name: routes
              mountPath: /etc/cdc-hub/routes
              readOnly: true
            - name: config
              mountPath: /etc/cdc-hub/config
              readOnly: true
            {{- if and $isSource $values.csvImport.enabled }}
            - name: csv-import
              mountPath: /var/lib/cdc-hub-import
              {{- with $values.csvImport.subPath }}
              subPath: {{ . | quote }}
              {{- end }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $root.Values.tmpSizeLimit }}
        - name: data
          {{- if and $isSource $values.persistence.enabled }}
          persistentVolumeClaim:
            claimName: {{ include "cdc-hub.dataClaimName" $root }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        - name: routes
          {{- if or (include "cdc-hub.hasRoutesConfigMap" $root) $root.Values.routes.existingConfigMap }}
          projected:
            sources:
              {{- if include "cdc-hub.hasRoutesConfigMap" $root }}
              - configMap:
                  name: {{ include "cdc-hub.routesConfigMapName" $root }}
              {{- end }}
              {{- with $root.Values.routes.existingConfigMap }}
              - configMap:
                  name: {{ . }}
              {{- end }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        - name: config
          configMap:
            name: {{ include "cdc-hub.configConfigMapName" $root }}
        {{- if and $isSource $values.csvImport.enabled }}
        - name: csv-import
          persistentVolumeClaim:
            claimName: {{ $values.csvImport.existingClaim | quote }}
        {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
