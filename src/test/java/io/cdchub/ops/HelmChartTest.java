package io.cdchub.ops;

import java.util.ArrayList;

import com.fasterxml.jackson.databind.ObjectMapper;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart: lint, render for the default and several non-default value sets with helm-java (Helm's own
 * code, no binary), validate every rendered manifest strictly against fabric8's Kubernetes model, and check the
 * facts the chart promises (roles, env, credentials, probes, securityContext, routes, checksums).
 */
class HelmChartTest {

    static final Path CHART = Path.of("helm/cdc-hub");
    static final Path APP_ROUTES = Path.of("src/main/resources/routes");
    static final String RELEASE = "demo";
    static final String NAMESPACE = "cdc";
    static final String FULLNAME = "demo-cdc-hub";
    /** the oldest Kubernetes the chart supports (Chart.yaml kubeVersion); Helm would otherwise assume 1.20 */
    static final String KUBE_VERSION = "1.25.0";

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------------------------------------
    // lint, schema, model strictness
    // ---------------------------------------------------------------------------------------------

    @Test
    void lintsCleanly() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void schemaRejectsWrongTypesUnknownKeysAndBadEnums() {
        assertThatThrownBy(() -> render(Map.of("workers", Map.of("replicas", "two"))))
                .hasMessageContaining("workers").hasMessageContaining("replicas");
        assertThatThrownBy(() -> render(Map.of("workers", Map.of("replica", 3))))
                .hasMessageContaining("replica");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("offsetStore", "memory"))))
                .hasMessageContaining("offsetStore");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("slot", "Bad-Slot"))))
                .hasMessageContaining("slot");
        assertThatThrownBy(() -> render(Map.of("routes", Map.of("extra", Map.of("not-a-route.yaml", "- route: {}")))))
                .hasMessageContaining("not-a-route.yaml");
        assertThatThrownBy(() -> render(Map.of("database", Map.of("hostname", ""))))
                .hasMessageContaining("hostname");
    }

    @Test
    void templatesRefuseUnsafeCombinations() {
        // two sources on one slot without an election
        assertThatThrownBy(() -> render(Map.of("source", Map.of("replicas", 2, "offsetStore", "kafka"))))
                .hasMessageContaining("leaderElection");
        // (a standby that could not see the leader's offsets cannot happen: leader election sets the kafka offset store)
        // overriding a built-in route while the image's copies are also loaded would duplicate its route id
        assertThatThrownBy(() -> render(Map.of("routes", Map.of("builtIn", "image",
                "extra", Map.of("postgres-to-kafka.camel.yaml", "- route: {id: x}")))))
                .hasMessageContaining("builtIn: chart");
        assertThatThrownBy(() -> render(Map.of("routes", Map.of("disabled", List.of("no-such.camel.yaml")))))
                .hasMessageContaining("not a built-in route file");
        assertThatThrownBy(() -> render(Map.of("kafka", Map.of("sasl", Map.of("enabled", true)))))
                .hasMessageContaining("kafkaSaslPassword");
    }

    @Test
    void strictModelRejectsUnknownFieldsAndWrongTypes() {
        String deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          %s
                """;
        assertThat(KubernetesManifests.parse(deployment.formatted("env: [{name: A, value: \"1\"}]"))).hasSize(1);
        assertThatThrownBy(() -> KubernetesManifests.parse(deployment.formatted("livenesProbe: {httpGet: {path: /, port: 80}}")))
                .hasMessageContaining("livenesProbe");
        assertThatThrownBy(() -> KubernetesManifests.parse(deployment.formatted("env: [{name: A, value: 1}]")))
                .hasMessageContaining("Kubernetes model");
        assertThatThrownBy(() -> KubernetesManifests.parse(deployment.formatted("securityContext: {runAsNonRoot: \"yes\"}")))
                .hasMessageContaining("Kubernetes model");
        assertThatThrownBy(() -> KubernetesManifests.parse(deployment.formatted("ports: [{containerPort: http}]")))
                .hasMessageContaining("Kubernetes model");
        assertThatThrownBy(() -> KubernetesManifests.parse("apiVersion: batch/v1\nkind: Job\nmetadata: {name: p}\n"))
                .hasMessageContaining("not a kind");
    }

    @Test
    void chartRoutesAreTheApplicationsRoutes() throws IOException {
        assertThat(routeFiles(CHART.resolve("files/routes")))
                .as("helm/cdc-hub/files/routes must be a copy of src/main/resources/routes: cp src/main/resources/routes/*.camel.yaml helm/cdc-hub/files/routes/")
                .isEqualTo(routeFiles(APP_ROUTES));
    }

    // ---------------------------------------------------------------------------------------------
    // default values
    // ---------------------------------------------------------------------------------------------

    @Test
    void defaultValues() throws IOException {
        Rendered r = render(Map.of());

        assertThat(r.kinds()).containsExactlyInAnyOrder("ConfigMap", "ConfigMap", "Secret", "ServiceAccount", "Service", "Service",
                "Deployment", "Deployment", "PodDisruptionBudget");

        Deployment source = r.get(Deployment.class, FULLNAME + "-source");
        Deployment workers = r.get(Deployment.class, FULLNAME + "-workers");
        assertThat(source.getSpec().getReplicas()).isEqualTo(1);
        assertThat(source.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(workers.getSpec().getReplicas()).isEqualTo(2);
        assertThat(workers.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(List.of(source, workers)).allSatisfy(d -> assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("ghcr.io/cdc-hub/cdc-hub:" + chartAppVersion()));

        // one image, two roles
        Map<String, EnvVar> sourceEnv = env(source);
        assertThat(value(sourceEnv, "CDC_SOURCE_ENABLED")).isEqualTo("true");
        assertThat(value(sourceEnv, "CDC_SINK_CLICKHOUSE_ENABLED")).isEqualTo("false");
        assertThat(value(sourceEnv, "CDC_SINK_ELASTICSEARCH_ENABLED")).isEqualTo("false");
        assertThat(value(sourceEnv, "CDC_CLUSTER_LEADER_ELECTION_ENABLED")).isEqualTo("false");
        assertThat(value(sourceEnv, "CDC_SOURCE_DATABASE_HOSTNAME")).isEqualTo("postgres");
        assertThat(value(sourceEnv, "CDC_SOURCE_SLOT")).isEqualTo("cdc_hub");
        assertThat(value(sourceEnv, "CDC_SOURCE_TABLES")).isEqualTo("public\\..*");
        assertThat(value(sourceEnv, "CDC_KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka:9092");
        Map<String, EnvVar> workersEnv = env(workers);
        assertThat(value(workersEnv, "CDC_SOURCE_ENABLED")).isEqualTo("false");
        assertThat(workersEnv).doesNotContainKeys("CDC_SOURCE_DATABASE_PASSWORD", "CDC_SOURCE_SLOT", "CDC_CLUSTER_LEADER_ELECTION_ENABLED");
        assertThat(value(workersEnv, "CDC_KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka:9092");

        // credentials only through secretKeyRef, from the rendered Secret
        assertSecretRef(sourceEnv, "CDC_SOURCE_DATABASE_PASSWORD", FULLNAME + "-credentials", "database-password", false);
        // the app refuses to start without an admin token: required, and generated when none is given
        assertSecretRef(sourceEnv, "CDC_ADMIN_TOKEN", FULLNAME + "-credentials", "admin-token", false);
        assertSecretRef(workersEnv, "CDC_ADMIN_TOKEN", FULLNAME + "-credentials", "admin-token", false);
        Secret secret = r.get(Secret.class, FULLNAME + "-credentials");
        assertThat(secret.getData()).containsOnlyKeys("database-password", "admin-token");
        assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("admin-token")))).hasSize(40);

        // runtime connectors (management API) run with the source, never in the workers; aggregation in the workers
        assertThat(value(sourceEnv, "CDC_ADMIN_RUN_CONNECTORS")).isEqualTo("true");
        assertThat(value(workersEnv, "CDC_ADMIN_RUN_CONNECTORS")).isEqualTo("false");
        assertThat(value(sourceEnv, "CDC_AGGREGATION_ENABLED")).isEqualTo("false");
        assertThat(r.get(Service.class, FULLNAME).getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
                .containsExactly("http:8080", "connect:8083");
        assertThat(List.of(source, workers)).allSatisfy(d -> assertThat(env(d).values())
                .noneMatch(e -> e.getName().contains("PASSWORD") && e.getValue() != null && !e.getValue().isEmpty()));

        // probes on the actuator groups, restrictive security context, writable /tmp and data dir only
        for (Deployment d : List.of(source, workers)) {
            assertRestrictedPod(d);
        }
        assertThat(source.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(volume(source, "data").getEmptyDir()).isNotNull();

        // routes: the chart's copies of the built-in routes, loaded only from the mounted folder
        ConfigMap routes = r.get(ConfigMap.class, FULLNAME + "-routes");
        assertThat(routes.getData()).isEqualTo(routeFiles(APP_ROUTES));
        assertThat(value(sourceEnv, "CDC_ROUTES_DIR")).isEqualTo("/etc/cdc-hub/routes");
        assertThat(value(sourceEnv, "CAMEL_MAIN_ROUTES_INCLUDE_PATTERN")).isEqualTo("file:/etc/cdc-hub/routes/*.camel.yaml");
        assertThat(volume(source, "routes").getProjected().getSources())
                .extracting(s -> s.getConfigMap().getName()).containsExactly(FULLNAME + "-routes");

        // services select one role each; the PDB covers the workers (a single source gets none)
        assertThat(r.get(Service.class, FULLNAME).getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "workers");
        assertThat(r.get(Service.class, FULLNAME + "-source").getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "source");
        PodDisruptionBudget pdb = r.get(PodDisruptionBudget.class, FULLNAME + "-workers");
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(workers.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------
    // non-default value sets
    // ---------------------------------------------------------------------------------------------

    /**
     * The {@code helm test} hook. {@code helm template} (helm-java's too) leaves hooks out, so the hook is rendered from a
     * copy of the chart whose test template has its hook annotations removed, and checked like the other objects.
     */
    @Test
    void helmTestHookChecksBothRolesReadiness() throws IOException {
        Path template = CHART.resolve("templates/tests/test-readiness.yaml");
        assertThat(Files.readString(template)).contains("helm.sh/hook: test");
        Path chart = tmp.resolve("chart");
        try (java.util.stream.Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path copy = chart.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy);
                }
            }
        }
        Path copied = chart.resolve("templates/tests/test-readiness.yaml");
        Files.writeString(copied, Files.readString(copied).lines().filter(l -> !l.contains("helm.sh/hook"))
                .collect(java.util.stream.Collectors.joining("\n")));
        String manifests = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION).call();
        io.fabric8.kubernetes.api.model.Pod test = new Rendered(manifests, KubernetesManifests.parse(manifests))
                .get(io.fabric8.kubernetes.api.model.Pod.class, FULLNAME + "-test-readiness");
        assertThat(String.join(" ", test.getSpec().getContainers().get(0).getCommand()))
                .contains("http://" + FULLNAME + ":8080/actuator/health/readiness", "http://" + FULLNAME + "-source:8080/actuator/health/readiness");
        assertThat(test.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(test.getSpec().getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(test.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    }

    @Test
    void grafanaDashboardAndAlertsOnlyWhenAsked() throws IOException {
        assertThat(render(Map.of()).kinds()).doesNotContain("PrometheusRule").containsOnlyOnce("PodDisruptionBudget");
        Rendered r = render(Map.of("metrics", Map.of(
                "serviceMonitor", Map.of("enabled", false),
                "grafanaDashboard", Map.of("enabled", true, "folder", "CDC"),
                "prometheusRule", Map.of("enabled", true, "labels", Map.of("release", "prometheus"), "slotLagBytes", 5368709120L,
                        "for", "5m"))));

        ConfigMap dashboard = r.get(ConfigMap.class, FULLNAME + "-dashboard");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getMetadata().getAnnotations()).containsEntry("grafana_folder", "CDC");
        JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("cdc-hub.json"));
        assertThat(json.path("uid").asText()).isEqualTo("cdc-hub");
        List<String> titles = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        json.path("panels").forEach(p -> {
            titles.add(p.path("title").asText());
            p.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        });
        assertThat(titles).contains("Aggregation (Redis windows)", "Gateway (WebSocket / SSE)", "Debezium (snapshot and streaming)",
                "Gateway commit-to-client latency p50 / p95 / p99");
        // one dashboard: the chart ships config/grafana's (MonitoringConfigTest checks its metrics)
        assertThat(dashboard.getData().get("cdc-hub.json").strip())
                .isEqualTo(Files.readString(Path.of("config/grafana/cdc-hub-dashboard.json")).strip());
        // latencies as quantiles of histograms, never means
        assertThat(exprs).anyMatch(e -> e.startsWith("histogram_quantile(0.99") && e.contains("cdc_gateway_latency_seconds_bucket"))
                .anyMatch(e -> e.startsWith("histogram_quantile(0.99") && e.contains("cdc_sink_batch_duration_seconds_bucket"))
                .noneMatch(e -> e.contains("_sum") || e.contains("_count"));

        io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule rule =
                r.get(io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class, FULLNAME);
        assertThat(rule.getMetadata().getLabels()).containsEntry("release", "prometheus");
        Map<String, String> alerts = new java.util.TreeMap<>();
        rule.getSpec().getGroups().get(0).getRules().forEach(a -> alerts.put(a.getAlert(), a.getExpr().getStrVal()));
        assertThat(alerts).containsOnlyKeys("CdcHubSourceDown", "CdcHubSlotLagHigh", "CdcHubSinkLagHigh", "CdcHubDeadLetters");
        assertThat(alerts.get("CdcHubSlotLagHigh")).isEqualTo("max by (slot) (cdc_source_slot_lag_bytes{namespace=\"cdc\"}) > 5368709120");
        assertThat(alerts.get("CdcHubSourceDown")).contains("debezium_streaming_connected{namespace=\"cdc\"}");
        assertThat(rule.getSpec().getGroups().get(0).getRules().get(0).getFor()).isEqualTo("5m");
    }

    @Test
    void existingSecretIngressServiceMonitorAutoscalingAndSinks() {
        Rendered r = render(Map.of(
                "credentials", Map.of("existingSecret", "shop-cdc-credentials"),
                "kafka", Map.of("bootstrapServers", "kafka-1:9093,kafka-2:9093",
                        "sasl", Map.of("enabled", true, "mechanism", "SCRAM-SHA-256", "username", "cdc"),
                        "properties", Map.of("ssl.endpoint.identification.algorithm", "https")),
                "ingress", Map.of("enabled", true, "hosts", List.of(Map.of("host", "cdc.example.org")),
                        "tls", List.of(Map.of("secretName", "cdc-tls", "hosts", List.of("cdc.example.org")))),
                "metrics", Map.of("serviceMonitor", Map.of("enabled", true, "labels", Map.of("release", "prometheus"))),
                "workers", Map.of("autoscaling", Map.of("enabled", true, "minReplicas", 3, "maxReplicas", 9,
                        "targetMemoryUtilizationPercentage", 80)),
                "sinks", Map.of("clickhouse", Map.of("enabled", true, "url", "https://ch.example.org:8443", "database", "analytics"),
                        "elasticsearch", Map.of("enabled", true, "url", "https://es.example.org:9200", "username", "cdc")),
                "redis", Map.of("host", "redis-master", "port", 6380)));

        assertThat(r.all(Secret.class)).isEmpty();
        Deployment source = r.get(Deployment.class, FULLNAME + "-source");
        Deployment workers = r.get(Deployment.class, FULLNAME + "-workers");
        Map<String, EnvVar> sourceEnv = env(source);
        Map<String, EnvVar> workersEnv = env(workers);
        assertSecretRef(sourceEnv, "CDC_SOURCE_DATABASE_PASSWORD", "shop-cdc-credentials", "database-password", false);
        assertSecretRef(sourceEnv, "KAFKA_SASL_PASSWORD", "shop-cdc-credentials", "kafka-sasl-password", false);
        assertSecretRef(workersEnv, "KAFKA_SASL_PASSWORD", "shop-cdc-credentials", "kafka-sasl-password", false);
        assertSecretRef(workersEnv, "CDC_SINK_CLICKHOUSE_PASSWORD", "shop-cdc-credentials", "clickhouse-password", true);
        assertSecretRef(workersEnv, "CDC_SINK_ELASTICSEARCH_PASSWORD", "shop-cdc-credentials", "elasticsearch-password", true);
        assertSecretRef(workersEnv, "SPRING_DATA_REDIS_PASSWORD", "shop-cdc-credentials", "redis-password", true);
        assertThat(value(workersEnv, "CDC_KAFKA_PROPERTIES_SASL_JAAS_CONFIG")).isEqualTo(
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"cdc\" password=\"$(KAFKA_SASL_PASSWORD)\";");
        assertThat(names(workersEnv)).as("the password variable must come before the JAAS line that refers to it")
                .containsSubsequence("KAFKA_SASL_PASSWORD", "CDC_KAFKA_PROPERTIES_SASL_JAAS_CONFIG");
        assertThat(value(workersEnv, "CDC_KAFKA_PROPERTIES_SECURITY_PROTOCOL")).isEqualTo("SASL_SSL");
        assertThat(value(workersEnv, "CDC_KAFKA_PROPERTIES_SASL_MECHANISM")).isEqualTo("SCRAM-SHA-256");
        assertThat(value(workersEnv, "CDC_SINK_CLICKHOUSE_ENABLED")).isEqualTo("true");
        assertThat(value(workersEnv, "CDC_SINK_CLICKHOUSE_URL")).isEqualTo("https://ch.example.org:8443");
        assertThat(value(workersEnv, "CDC_SINK_CLICKHOUSE_DATABASE")).isEqualTo("analytics");
        assertThat(value(workersEnv, "CDC_SINK_ELASTICSEARCH_URL")).isEqualTo("https://es.example.org:9200");
        assertThat(value(workersEnv, "SPRING_DATA_REDIS_HOST")).isEqualTo("redis-master");
        assertThat(value(workersEnv, "SPRING_DATA_REDIS_PORT")).isEqualTo("6380");
        assertThat(value(sourceEnv, "CDC_SINK_CLICKHOUSE_ENABLED")).as("sinks stay off in the source").isEqualTo("false");
        assertThat(sourceEnv).doesNotContainKeys("CDC_SINK_CLICKHOUSE_URL", "SPRING_DATA_REDIS_HOST");

        // extra Kafka client settings go through the config ConfigMap, not env
        ConfigMap config = r.get(ConfigMap.class, FULLNAME + "-config");
        assertThat(config.getData().get("application.yaml")).contains("ssl.endpoint.identification.algorithm: https");

        // HPA owns the replica count
        assertThat(workers.getSpec().getReplicas()).isNull();
        HorizontalPodAutoscaler hpa = r.get(HorizontalPodAutoscaler.class, FULLNAME + "-workers");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(workers.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(9);
        assertThat(hpa.getSpec().getMetrics()).extracting(m -> m.getResource().getName()).containsExactly("cpu", "memory");

        // WebSocket-friendly ingress to the workers
        Ingress ingress = r.get(Ingress.class, FULLNAME);
        assertThat(ingress.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/proxy-read-timeout", "3600")
                .containsEntry("nginx.ingress.kubernetes.io/proxy-send-timeout", "3600");
        assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
        assertThat(ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getName()).isEqualTo(FULLNAME);
        assertThat(ingress.getSpec().getTls().get(0).getSecretName()).isEqualTo("cdc-tls");

        // both roles scraped at /actuator/prometheus
        ServiceMonitor monitor = r.get(ServiceMonitor.class, FULLNAME);
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPath()).isEqualTo("/actuator/prometheus");
            assertThat(e.getPort()).isEqualTo("http");
        });
        for (Service service : r.all(Service.class)) {
            assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(monitor.getSpec().getSelector().getMatchLabels());
            assertThat(service.getSpec().getPorts()).extracting(p -> p.getName()).contains("http");
        }
    }

    @Test
    void theIngressRoutesTheGatewayOnlyUnlessTheAdminSurfaceIsAsked() throws IOException {
        Ingress gatewayOnly = render(Map.of("ingress", Map.of("enabled", true))).get(Ingress.class, FULLNAME);
        assertThat(gatewayOnly.getSpec().getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getHost()).isEqualTo("cdc-hub.example.com");
            assertThat(rule.getHttp().getPaths()).extracting(p -> p.getPath()).containsExactly("/ws", "/sse", "/live");
            assertThat(rule.getHttp().getPaths()).allSatisfy(p -> assertThat(p.getPathType()).isEqualTo("Prefix"));
        });

        Ingress withAdmin = render(Map.of("ingress", Map.of("enabled", true, "exposeAdmin", true,
                "tls", List.of(Map.of("secretName", "cdc-tls", "hosts", List.of("cdc-hub.example.com"))))))
                .get(Ingress.class, FULLNAME);
        assertThat(withAdmin.getSpec().getRules().get(0).getHttp().getPaths()).extracting(p -> p.getPath())
                .contains("/ws", "/debezium", "/topic", "/consumer", "/actuator", "/hawtio", "/jolokia", "/v3/api-docs")
                .doesNotContain("/");
        // the chart's admin paths are the app's (but /connectors and /connector-plugins, served on the Connect port only,
        // which the Ingress never routes)
        assertThat(withAdmin.getSpec().getRules().get(0).getHttp().getPaths()).extracting(p -> p.getPath())
                .containsAll(io.cdchub.admin.AdminSecurityConfiguration.ADMIN_PATHS.stream().map(p -> p.replace("/**", ""))
                        .filter(p -> !p.equals("/connectors") && !p.equals("/connector-plugins")).toList());

        // "/" (or any path into the admin surface) as a gateway path: refused
        assertThatThrownBy(() -> render(Map.of("ingress", Map.of("enabled", true, "gatewayPaths", List.of("/")))))
                .hasMessageContaining("gatewayPaths");
        assertThatThrownBy(() -> render(Map.of("ingress", Map.of("enabled", true, "gatewayPaths", List.of("/ws", "/actuator/health")))))
                .hasMessageContaining("exposeAdmin");
        // the hosts' own path lists are gone (they routed "/")
        assertThatThrownBy(() -> render(Map.of("ingress", Map.of("enabled", true, "hosts", List.of(Map.of("host", "h",
                "paths", List.of(Map.of("path", "/", "pathType", "Prefix"))))))))
                .hasMessageContaining("paths");

        // NOTES and values say TLS is needed for the admin surface
        String notes = Files.readString(CHART.resolve("templates/NOTES.txt"));
        assertThat(notes).contains("ingress.exposeAdmin").contains("needs TLS");
        String values = Files.readString(CHART.resolve("values.yaml"));
        assertThat(values).contains("exposeAdmin: false").contains("only with TLS");
    }

    @Test
    void leaderElectionWithHotStandby() {
        Rendered r = render(Map.of("source", Map.of("replicas", 2, "offsetStore", "kafka", "offsetTopic", "shop-cdc-offsets",
                "leaderElection", Map.of("enabled", true))));

        Deployment source = r.get(Deployment.class, FULLNAME + "-source");
        assertThat(source.getSpec().getReplicas()).isEqualTo(2);
        assertThat(source.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        PodSpec pod = source.getSpec().getTemplate().getSpec();
        assertThat(pod.getAutomountServiceAccountToken()).isTrue();
        Map<String, EnvVar> sourceEnv = env(source);
        assertThat(value(sourceEnv, "CDC_CLUSTER_LEADER_ELECTION_ENABLED")).isEqualTo("true");
        assertThat(value(sourceEnv, "CDC_SOURCE_OFFSET_STORE")).isEqualTo("kafka");
        assertThat(value(sourceEnv, "CDC_SOURCE_OFFSET_TOPIC")).isEqualTo("shop-cdc-offsets");
        assertThat(value(sourceEnv, "CDC_CLUSTER_LEADER_ELECTION_LEASE_NAME")).isEqualTo(FULLNAME + "-source");
        assertThat(value(sourceEnv, "CDC_CLUSTER_LEADER_ELECTION_POD_SELECTOR").split(","))
                .contains("app.kubernetes.io/component=source")
                .allSatisfy(label -> assertThat(source.getSpec().getSelector().getMatchLabels())
                        .containsEntry(label.substring(0, label.indexOf('=')), label.substring(label.indexOf('=') + 1)));
        assertThat(sourceEnv.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(sourceEnv.get("KUBERNETES_NAMESPACE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
        assertThat(env(r.get(Deployment.class, FULLNAME + "-workers")).get("CDC_SOURCE_ENABLED").getValue()).isEqualTo("false");
        assertThat(r.get(Deployment.class, FULLNAME + "-workers").getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();

        Role role = r.get(Role.class, FULLNAME + "-source-leader-election");
        assertThat(role.getRules()).anySatisfy(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(rule.getResources()).containsExactly("leases");
            assertThat(rule.getVerbs()).contains("get", "create", "update");
        });
        RoleBinding binding = r.get(RoleBinding.class, FULLNAME + "-source-leader-election");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo(pod.getServiceAccountName());
            assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
        });
        PodDisruptionBudget pdb = r.get(PodDisruptionBudget.class, FULLNAME + "-source");
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    }

    @Test
    void leaderElectionSetsTheKafkaOffsetStore() {
        // offsetStore left at its default (file): leader election needs the standby to see the leader's offsets
        Rendered r = render(Map.of("source", Map.of("replicas", 2, "leaderElection", Map.of("enabled", true))));
        Map<String, EnvVar> sourceEnv = env(r.get(Deployment.class, FULLNAME + "-source"));
        assertThat(value(sourceEnv, "CDC_SOURCE_OFFSET_STORE")).isEqualTo("kafka");
        assertThat(value(sourceEnv, "CDC_CLUSTER_LEADER_ELECTION_ENABLED")).isEqualTo("true");
        // without leader election the chosen store is kept, and nothing about the election is set
        Map<String, EnvVar> single = env(render(Map.of()).get(Deployment.class, FULLNAME + "-source"));
        assertThat(value(single, "CDC_SOURCE_OFFSET_STORE")).isEqualTo("file");
        assertThat(single).doesNotContainKeys("CDC_CLUSTER_LEADER_ELECTION_LEASE_NAME", "CDC_CLUSTER_LEADER_ELECTION_POD_SELECTOR");
    }

    @Test
    void userRoutesOverridesAndExistingConfigMap() throws IOException {
        String override = "- route:\n    id: postgres-to-kafka\n    from: {uri: \"timer:x\", steps: [{log: overridden}]}\n";
        String extra = "- route:\n    id: orders-audit\n    from: {uri: \"kafka:cdc.public.orders\", steps: [{log: \"${body}\"}]}\n";
        // a fixed admin token: a generated one differs at every render, and so does the config checksum
        Map<String, Object> token = Map.of("adminToken", "a-fixed-admin-token-for-this-test");
        Rendered base = render(Map.of("credentials", token));
        Rendered r = render(Map.of("credentials", token, "routes", Map.of(
                "extra", Map.of("postgres-to-kafka.camel.yaml", override, "orders-audit.camel.yaml", extra),
                "disabled", List.of("kafka-to-elasticsearch.camel.yaml"),
                "existingConfigMap", "team-routes",
                "reload", true)));

        Map<String, String> expected = new TreeMap<>(routeFiles(APP_ROUTES));
        expected.remove("kafka-to-elasticsearch.camel.yaml");
        expected.put("postgres-to-kafka.camel.yaml", override.stripTrailing());
        expected.put("orders-audit.camel.yaml", extra.stripTrailing());
        assertThat(r.get(ConfigMap.class, FULLNAME + "-routes").getData()).isEqualTo(expected);

        Deployment source = r.get(Deployment.class, FULLNAME + "-source");
        assertThat(volume(source, "routes").getProjected().getSources()).extracting(s -> s.getConfigMap().getName())
                .containsExactly(FULLNAME + "-routes", "team-routes");
        assertThat(value(env(source), "CDC_ROUTES_RELOAD")).isEqualTo("true");
        // changed routes roll the pods, unchanged config does not change its checksum
        assertThat(annotation(source, "checksum/routes")).matches("[0-9a-f]{64}")
                .isNotEqualTo(annotation(base.get(Deployment.class, FULLNAME + "-source"), "checksum/routes"));
        assertThat(annotation(source, "checksum/config"))
                .isEqualTo(annotation(base.get(Deployment.class, FULLNAME + "-source"), "checksum/config"));

        // builtIn=image: the jar's routes are loaded, the ConfigMap holds only the extra ones
        Rendered image = render(Map.of("routes", Map.of("builtIn", "image", "extra", Map.of("orders-audit.camel.yaml", extra))));
        Deployment imageSource = image.get(Deployment.class, FULLNAME + "-source");
        assertThat(image.get(ConfigMap.class, FULLNAME + "-routes").getData()).containsOnlyKeys("orders-audit.camel.yaml");
        assertThat(env(imageSource)).doesNotContainKey("CAMEL_MAIN_ROUTES_INCLUDE_PATTERN");
        assertThat(value(env(imageSource), "CDC_ROUTES_DIR")).isEqualTo("/etc/cdc-hub/routes");

        // builtIn=image, nothing extra: an empty folder, no ConfigMap
        Rendered plain = render(Map.of("routes", Map.of("builtIn", "image")));
        assertThat(plain.all(ConfigMap.class)).extracting(c -> c.getMetadata().getName()).containsExactly(FULLNAME + "-config");
        assertThat(volume(plain.get(Deployment.class, FULLNAME + "-source"), "routes").getEmptyDir()).isNotNull();
    }

    @Test
    void persistentOffsetsConfigAndRenderedSecret() {
        Rendered r = render(Map.of(
                "source", Map.of("persistence", Map.of("enabled", true, "size", "2Gi", "storageClass", "fast")),
                "credentials", Map.of("databasePassword", "s3cret", "adminToken", "t0ken"),
                "config", Map.of("cdc", Map.of("topics", Map.of("partitions", 6))),
                "workers", Map.of("enabled", false),
                "image", Map.of("digest", "sha256:" + "a".repeat(64))));

        PersistentVolumeClaim claim = r.get(PersistentVolumeClaim.class, FULLNAME + "-source-data");
        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("2Gi");
        assertThat(claim.getSpec().getStorageClassName()).isEqualTo("fast");
        Deployment source = r.get(Deployment.class, FULLNAME + "-source");
        assertThat(volume(source, "data").getPersistentVolumeClaim().getClaimName()).isEqualTo(claim.getMetadata().getName());
        assertThat(source.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("ghcr.io/cdc-hub/cdc-hub@sha256:" + "a".repeat(64));
        assertThat(r.all(Deployment.class)).hasSize(1);
        assertThat(r.all(PodDisruptionBudget.class)).isEmpty();

        Secret secret = r.get(Secret.class, FULLNAME + "-credentials");
        assertThat(secret.getData()).containsOnlyKeys("database-password", "admin-token");
        assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("database-password")), StandardCharsets.UTF_8))
                .isEqualTo("s3cret");
        assertThat(r.get(ConfigMap.class, FULLNAME + "-config").getData().get("application.yaml")).contains("partitions: 6");
        assertThat(annotation(source, "checksum/config"))
                .isNotEqualTo(annotation(render(Map.of()).get(Deployment.class, FULLNAME + "-source"), "checksum/config"));
    }

    /** The Iceberg sink (issue 12): settings as env in the workers, S3 keys and the catalog password only from the Secret. */
    @Test
    void icebergSinkInTheWorkersWithItsCredentialsFromTheSecret() {
        Rendered r = render(Map.of(
                "credentials", Map.of("icebergCatalogPassword", "catalog-pw", "icebergS3AccessKey", "AKIAEXAMPLE", "icebergS3SecretKey", "wJalrXUtnFEMI-example"),
                "sinks", Map.of("iceberg", Map.of("enabled", true, "catalogType", "jdbc",
                        "catalogUri", "jdbc:postgresql://catalog-db:5432/iceberg", "catalogUser", "iceberg",
                        "warehouse", "s3://lake/cdc", "namespace", "shop", "commitInterval", "30s",
                        "s3", Map.of("endpoint", "http://minio:9000", "region", "eu-central-1", "pathStyleAccess", true),
                        "maintenance", Map.of("enabled", true, "interval", "6h")))));
        Map<String, EnvVar> workersEnv = env(r.get(Deployment.class, FULLNAME + "-workers"));
        Map<String, EnvVar> sourceEnv = env(r.get(Deployment.class, FULLNAME + "-source"));
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_ENABLED")).isEqualTo("true");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_CATALOG_TYPE")).isEqualTo("jdbc");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_CATALOG_URI")).isEqualTo("jdbc:postgresql://catalog-db:5432/iceberg");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_CATALOG_USER")).isEqualTo("iceberg");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_WAREHOUSE")).isEqualTo("s3://lake/cdc");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_NAMESPACE")).isEqualTo("shop");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_COMMIT_INTERVAL")).isEqualTo("30s");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_TARGET_FILE_SIZE_BYTES")).isEqualTo("134217728");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_S3_ENDPOINT")).isEqualTo("http://minio:9000");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_S3_REGION")).isEqualTo("eu-central-1");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_S3_PATH_STYLE_ACCESS")).isEqualTo("true");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_MAINTENANCE_ENABLED")).isEqualTo("true");
        assertThat(value(workersEnv, "CDC_SINK_ICEBERG_MAINTENANCE_INTERVAL")).isEqualTo("6h");
        assertSecretRef(workersEnv, "CDC_SINK_ICEBERG_CATALOG_PASSWORD", FULLNAME + "-credentials", "iceberg-catalog-password", true);
        assertSecretRef(workersEnv, "CDC_SINK_ICEBERG_S3_ACCESS_KEY", FULLNAME + "-credentials", "iceberg-s3-access-key", true);
        assertSecretRef(workersEnv, "CDC_SINK_ICEBERG_S3_SECRET_KEY", FULLNAME + "-credentials", "iceberg-s3-secret-key", true);
        Secret secret = r.get(Secret.class, FULLNAME + "-credentials");
        assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("iceberg-s3-secret-key")), StandardCharsets.UTF_8))
                .isEqualTo("wJalrXUtnFEMI-example");
        assertThat(secret.getData()).containsKeys("iceberg-catalog-password", "iceberg-s3-access-key");
        // the keys never appear in plain config or env
        assertThat(r.yaml()).doesNotContain("wJalrXUtnFEMI-example", "AKIAEXAMPLE", "catalog-pw");
        assertThat(value(sourceEnv, "CDC_SINK_ICEBERG_ENABLED")).as("sinks stay off in the source").isEqualTo("false");
        assertThat(sourceEnv).doesNotContainKeys("CDC_SINK_ICEBERG_WAREHOUSE", "CDC_SINK_ICEBERG_S3_SECRET_KEY");

        // off by default; no Iceberg keys in the Secret unless given
        Rendered defaults = render(Map.of());
        assertThat(value(env(defaults.get(Deployment.class, FULLNAME + "-workers")), "CDC_SINK_ICEBERG_ENABLED")).isEqualTo("false");
        assertThat(env(defaults.get(Deployment.class, FULLNAME + "-workers"))).doesNotContainKey("CDC_SINK_ICEBERG_S3_SECRET_KEY");
        assertThat(defaults.get(Secret.class, FULLNAME + "-credentials").getData()).doesNotContainKeys("iceberg-s3-secret-key");
        // a catalog is needed; the Hadoop catalog (a local warehouse) and a warehouse off S3 are refused by the schema
        assertThatThrownBy(() -> render(Map.of("sinks", Map.of("iceberg", Map.of("enabled", true)))))
                .hasMessageContaining("sinks.iceberg.catalogUri");
        assertThatThrownBy(() -> render(Map.of("sinks", Map.of("iceberg", Map.of("catalogType", "hadoop")))))
                .hasMessageContaining("catalogType");
        assertThatThrownBy(() -> render(Map.of("sinks", Map.of("iceberg", Map.of("warehouse", "/data/lake")))))
                .hasMessageContaining("warehouse");
    }

    /** The CSV import (issue 15): beside the source, on a claim of its own, never in the workers; one replica only. */
    @Test
    void csvImportBesideTheSourceOnItsClaim() {
        Rendered r = render(Map.of("source", Map.of("csvImport", Map.of("enabled", true, "existingClaim", "incoming-csv", "subPath", "drop",
                "schema", "staging", "tablePrefix", "csv_", "mode", "upsert", "delimiter", ";", "encoding", "windows-1250"))));
        Deployment source = r.get(Deployment.class, FULLNAME + "-source");
        Map<String, EnvVar> sourceEnv = env(source);
        assertThat(value(sourceEnv, "CDC_IMPORT_CSV_DIR")).isEqualTo("/var/lib/cdc-hub-import");
        assertThat(value(sourceEnv, "CDC_IMPORT_CSV_SCHEMA")).isEqualTo("staging");
        assertThat(value(sourceEnv, "CDC_IMPORT_CSV_TABLE_PREFIX")).isEqualTo("csv_");
        assertThat(value(sourceEnv, "CDC_IMPORT_CSV_MODE")).isEqualTo("upsert");
        assertThat(value(sourceEnv, "CDC_IMPORT_CSV_DELIMITER")).isEqualTo(";");
        assertThat(value(sourceEnv, "CDC_IMPORT_CSV_ENCODING")).isEqualTo("windows-1250");
        var pod = source.getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("csv-import");
            assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("incoming-csv");
        });
        assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/var/lib/cdc-hub-import");
            assertThat(m.getSubPath()).isEqualTo("drop");
            assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        });
        Deployment workers = r.get(Deployment.class, FULLNAME + "-workers");
        assertThat(env(workers)).doesNotContainKey("CDC_IMPORT_CSV_DIR");
        assertThat(workers.getSpec().getTemplate().getSpec().getVolumes()).noneMatch(v -> v.getName().equals("csv-import"));

        // off by default
        assertThat(env(render(Map.of()).get(Deployment.class, FULLNAME + "-source"))).doesNotContainKey("CDC_IMPORT_CSV_DIR");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("csvImport", Map.of("enabled", true)))))
                .hasMessageContaining("source.csvImport.existingClaim");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("replicas", 2, "leaderElection", Map.of("enabled", true),
                "csvImport", Map.of("enabled", true, "existingClaim", "incoming-csv"))))).hasMessageContaining("source.replicas: 1");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("csvImport", Map.of("mode", "merge"))))).hasMessageContaining("mode");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("csvImport", Map.of("schema", "Bad-Schema"))))).hasMessageContaining("schema");
    }

    /**
     * The polling source through {@code config:} (README "Helm chart": polling source): its settings in the ConfigMap, run
     * by the source pod only, its password the chart's database password (cdc.polling.database unset: it uses
     * cdc.source.database.*), and the logical source off through the same {@code config:} block.
     */
    @Test
    void pollingSourceThroughConfigRunsInTheSourcePodOnly() {
        Map<String, Object> polling = Map.of("enabled", true, "poll-interval", "2s",
                "tables", List.of(Map.of("table", "shop.orders", "watermark-column", "updated_at", "soft-delete-column", "deleted")));
        Rendered r = render(Map.of("config", Map.of("cdc", Map.of("source", Map.of("enabled", false), "polling", polling))));

        String application = r.get(ConfigMap.class, FULLNAME + "-config").getData().get("application.yaml");
        @SuppressWarnings("unchecked")
        Map<String, Object> cdc = (Map<String, Object>) new Yaml().<Map<String, Object>>load(application).get("cdc");
        assertThat(cdc.get("polling")).isEqualTo(polling);
        assertThat(application).doesNotContain("password");

        Map<String, EnvVar> sourceEnv = env(r.get(Deployment.class, FULLNAME + "-source"));
        // env beats the mounted application.yaml: the source pod's CDC_SOURCE_ENABLED follows config.cdc.source.enabled
        assertThat(value(sourceEnv, "CDC_SOURCE_ENABLED")).isEqualTo("false");
        assertThat(sourceEnv).doesNotContainKey("CDC_POLLING_ENABLED");
        assertThat(value(sourceEnv, "CDC_SOURCE_DATABASE_HOSTNAME")).isEqualTo("postgres");
        assertSecretRef(sourceEnv, "CDC_SOURCE_DATABASE_PASSWORD", FULLNAME + "-credentials", "database-password", false);
        // the workers read the same ConfigMap: they must not poll too (duplicates, and no database settings there)
        assertThat(value(env(r.get(Deployment.class, FULLNAME + "-workers")), "CDC_POLLING_ENABLED")).isEqualTo("false");
        assertThat(value(env(render(Map.of()).get(Deployment.class, FULLNAME + "-workers")), "CDC_POLLING_ENABLED")).isEqualTo("false");

        // the polling source has no leader election: one source pod, and a source pod at all
        assertThatThrownBy(() -> render(Map.of("source", Map.of("replicas", 2, "leaderElection", Map.of("enabled", true)),
                "config", Map.of("cdc", Map.of("polling", polling))))).hasMessageContaining("source.replicas: 1");
        assertThatThrownBy(() -> render(Map.of("source", Map.of("enabled", false),
                "config", Map.of("cdc", Map.of("polling", polling))))).hasMessageContaining("source.enabled");
        // a source pod with neither source captures nothing
        assertThatThrownBy(() -> render(Map.of("config", Map.of("cdc", Map.of("source", Map.of("enabled", false))))))
                .hasMessageContaining("config.cdc.polling.enabled");
    }

    /** The real-time gateway (issue 4): on in the workers with its JWT secret from the Secret, off in the source. */
    @Test
    void gatewayInTheWorkersWithItsSecret() {
        Rendered r = render(Map.of(
                "credentials", Map.of("gatewayJwtSecret", "a-local-test-secret-of-32-bytes-or-more"),
                "gateway", Map.of("enabled", true, "issuer", "https://id.example.org", "audience", "cdc-hub", "maxConnections", 20000)));
        Map<String, EnvVar> workersEnv = env(r.get(Deployment.class, FULLNAME + "-workers"));
        Map<String, EnvVar> sourceEnv = env(r.get(Deployment.class, FULLNAME + "-source"));
        assertThat(value(workersEnv, "CDC_GATEWAY_ENABLED")).isEqualTo("true");
        assertThat(value(workersEnv, "CDC_GATEWAY_JWT_ISSUER")).isEqualTo("https://id.example.org");
        assertThat(value(workersEnv, "CDC_GATEWAY_JWT_AUDIENCE")).isEqualTo("cdc-hub");
        assertThat(value(workersEnv, "CDC_GATEWAY_MAX_CONNECTIONS")).isEqualTo("20000");
        assertSecretRef(workersEnv, "CDC_GATEWAY_JWT_SECRET", FULLNAME + "-credentials", "gateway-jwt-secret", true);
        assertThat(r.get(Secret.class, FULLNAME + "-credentials").getData()).containsKey("gateway-jwt-secret");
        // every replica signs and checks resume positions with the same key, generated when none is given
        assertSecretRef(workersEnv, "CDC_GATEWAY_RESUME_KEY", FULLNAME + "-credentials", "gateway-resume-key", true);
        assertThat(r.get(Secret.class, FULLNAME + "-credentials").getData().get("gateway-resume-key")).isNotBlank();
        assertThat(value(sourceEnv, "CDC_GATEWAY_ENABLED")).as("the gateway stays off in the source").isEqualTo("false");
        assertThat(sourceEnv).doesNotContainKey("CDC_GATEWAY_JWT_SECRET");

        assertThat(value(env(render(Map.of()).get(Deployment.class, FULLNAME + "-workers")), "CDC_GATEWAY_ENABLED")).isEqualTo("false");
        assertThatThrownBy(() -> render(Map.of("gateway", Map.of("enabled", true))))
                .hasMessageContaining("gateway.enabled needs a way to check client tokens");
        render(Map.of("gateway", Map.of("enabled", true, "jwksUrl", "https://id.example.org/jwks.json")));
    }

    // ---------------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------------

    /** Renders the chart with these values (merged over values.yaml) and parses every manifest strictly. */
    Rendered render(Map<String, Object> values) {
        try {
            Path file = Files.createTempFile(tmp, "values", ".yaml");
            DumperOptions options = new DumperOptions();
            options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
            Files.writeString(file, new Yaml(options).dump(values));
            String manifests = new Helm(CHART).template()
                    .withName(RELEASE)
                    .withNamespace(NAMESPACE)
                    .withKubeVersion(KUBE_VERSION)
                    .withValuesFile(file)
                    .call();
            return new Rendered(manifests, KubernetesManifests.parse(manifests));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    record Rendered(String yaml, List<HasMetadata> objects) {

        List<String> kinds() {
            return objects.stream().map(HasMetadata::getKind).toList();
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T get(Class<T> type, String name) {
            return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in " + objects.stream()
                            .map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList()));
        }
    }

    static Map<String, String> routeFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            Map<String, String> routes = new TreeMap<>();
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                // a ConfigMap entry rendered with |- has no final newline
                routes.put(file.getFileName().toString(), Files.readString(file).stripTrailing());
            }
            return routes;
        }
    }

    static String chartAppVersion() throws IOException {
        return Files.readAllLines(CHART.resolve("Chart.yaml")).stream().filter(l -> l.startsWith("appVersion:"))
                .map(l -> l.substring("appVersion:".length()).trim().replace("\"", "")).findFirst().orElseThrow();
    }

    static Container container(Deployment deployment) {
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
        return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    static Map<String, EnvVar> env(Deployment deployment) {
        List<EnvVar> env = container(deployment).getEnv();
        Map<String, EnvVar> byName = env.stream().collect(Collectors.toMap(EnvVar::getName, e -> e, (a, b) -> {
            throw new AssertionError(deployment.getMetadata().getName() + ": environment variable " + a.getName() + " is set twice");
        }, java.util.LinkedHashMap::new));
        return byName;
    }

    static List<String> names(Map<String, EnvVar> env) {
        return List.copyOf(env.keySet());
    }

    static String value(Map<String, EnvVar> env, String name) {
        assertThat(env).containsKey(name);
        return env.get(name).getValue();
    }

    static void assertSecretRef(Map<String, EnvVar> env, String name, String secret, String key, boolean optional) {
        assertThat(env).containsKey(name);
        EnvVar var = env.get(name);
        assertThat(var.getValue()).as(name + " must not have a literal value").isNull();
        assertThat(var.getValueFrom().getSecretKeyRef()).as(name).satisfies(ref -> {
            assertThat(ref.getName()).isEqualTo(secret);
            assertThat(ref.getKey()).isEqualTo(key);
            assertThat(ref.getOptional()).isEqualTo(optional);
        });
    }

    static Volume volume(Deployment deployment, String name) {
        return deployment.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(deployment.getMetadata().getName() + " has no volume " + name));
    }

    static String annotation(Deployment deployment, String name) {
        return Optional.ofNullable(deployment.getSpec().getTemplate().getMetadata().getAnnotations()).map(a -> a.get(name))
                .orElseThrow(() -> new AssertionError(deployment.getMetadata().getName() + " has no pod annotation " + name));
    }

    static void assertRestrictedPod(Deployment deployment) {
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        Container c = container(deployment);
        assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        assertThat(List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe()))
                .allSatisfy(p -> assertThat(p.getHttpGet().getPort().getStrVal()).isEqualTo("http"));
        assertThat(c.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort()).containsExactly("http:8080", "connect:8083");
        assertThat(c.getResources().getLimits()).containsKey("memory");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");

        // read-only root: every writable path is a volume
        Map<String, String> mounts = c.getVolumeMounts().stream().collect(Collectors.toMap(m -> m.getMountPath(), m -> m.getName()));
        assertThat(mounts).containsEntry("/tmp", "tmp").containsEntry("/var/lib/cdc-hub", "data").containsEntry("/etc/cdc-hub/routes", "routes");
        assertThat(volume(deployment, "tmp").getEmptyDir()).isNotNull();
        assertThat(value(env(deployment), "CDC_DATA_DIR")).isEqualTo("/var/lib/cdc-hub");
        assertThat(value(env(deployment), "JAVA_TOOL_OPTIONS")).contains("MaxRAMPercentage");

        Map<String, String> annotations = deployment.getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations.get("checksum/routes")).matches("[0-9a-f]{64}");
        assertThat(annotations.get("checksum/config")).matches("[0-9a-f]{64}");
        assertThat(deployment.getSpec().getSelector().getMatchLabels())
                .isEqualTo(Map.of("app.kubernetes.io/name", "cdc-hub", "app.kubernetes.io/instance", RELEASE,
                        "app.kubernetes.io/component", deployment.getMetadata().getName().endsWith("-source") ? "source" : "workers"));
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
    }
}
