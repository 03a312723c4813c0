package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring files in config/: the JMX-exporter rules are valid YAML whose patterns compile as Java regexes
 * (the exporter's own syntax) and match Camel's route and context MBeans; the Grafana dashboard is valid JSON
 * and every expression in it names only metrics cdc-hub exports at /actuator/prometheus.
 */
class MonitoringConfigTest {

    /**
     * What /actuator/prometheus exports (names as Prometheus shows them). Camel's and the source's were read from
     * a running source (LeaderElectionIT/HealthAndMetricsIT); the sinks' follow SinkMetrics' meters; cdc_dlq_records_total
     * appears with the first dead letter; cdc_gateway_* are the gateway's (GatewayMetrics, on the gateway branch).
     */
    static final Set<String> EXPORTED = Set.of(
            // Camel (camel-micrometer)
            "camel_exchanges_total", "camel_exchanges_failed_total", "camel_exchanges_succeeded_total",
            "camel_exchanges_failures_handled_total", "camel_exchanges_external_redeliveries_total",
            "camel_route_policy_seconds_count", "camel_route_policy_seconds_sum", "camel_route_policy_seconds_max",
            "camel_route_policy_seconds_bucket",
            "camel_routes_running_routes", "camel_routes_added_routes", "camel_routes_reloaded_routes",
            // source and dead letters
            "cdc_source_slot_lag_bytes", "cdc_source_publish_in_flight", "cdc_dlq_records_total",
            // sinks
            "cdc_sink_records_written_total", "cdc_sink_records_skipped_total", "cdc_sink_batches_total", "cdc_sink_failures_total",
            "cdc_sink_dead_letters_total", "cdc_sink_batch_duration_seconds_count", "cdc_sink_batch_duration_seconds_sum",
            "cdc_sink_batch_duration_seconds_max", "cdc_sink_batch_duration_seconds_bucket", "cdc_sink_lag",
            // Debezium's MBeans (io.cdchub.ops.DebeziumMetrics)
            "debezium_streaming_events_seen", "debezium_streaming_ms_behind_source", "debezium_streaming_connected",
            "debezium_streaming_queue_remaining_capacity", "debezium_snapshot_running", "debezium_snapshot_tables_remaining",
            "debezium_snapshot_rows_scanned",
            // aggregation
            "cdc_aggregation_events_total", "cdc_aggregation_runs_total", "cdc_aggregation_run_retries_total",
            "cdc_aggregation_windows_completed_total", "cdc_aggregation_dead_letters_total",
            // gateway
            "cdc_gateway_connections", "cdc_gateway_subscriptions", "cdc_gateway_messages_sent_total",
            "cdc_gateway_messages_dropped_total", "cdc_gateway_connections_refused_total",
            "cdc_gateway_connections_closed_lagging_total", "cdc_gateway_latency_seconds_count", "cdc_gateway_latency_seconds_sum",
            "cdc_gateway_latency_seconds_max", "cdc_gateway_latency_seconds_bucket",
            // JVM (Spring Boot)
            "jvm_memory_used_bytes", "process_cpu_usage");

    private static final Pattern PROMETHEUS_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    /** A metric selector in PromQL: a name right before its label matchers. */
    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{");

    @Test
    @SuppressWarnings("unchecked")
    void jmxExporterRulesCompileAndMatchCamelMBeans() throws Exception {
        Map<String, Object> config;
        try (Reader reader = Files.newBufferedReader(Path.of("config/prometheus/jmx-exporter.yaml"))) {
            config = new Yaml().load(reader);
        }
        for (String name : (List<String>) config.get("includeObjectNames")) {
            assertThat(new ObjectName(name).isPattern()).as(name).isTrue();
        }
        List<Map<String, Object>> rules = (List<Map<String, Object>>) config.get("rules");
        assertThat(rules).isNotEmpty();
        List<Pattern> patterns = new ArrayList<>();
        for (Map<String, Object> rule : rules) {
            Pattern pattern = Pattern.compile((String) rule.get("pattern"));
            patterns.add(pattern);
            String name = (String) rule.get("name");
            assertThat(name).as("rule %s", rule.get("pattern")).matches(PROMETHEUS_NAME).startsWith("cdc_hub_camel_");
            assertThat(rule.get("type")).isIn("COUNTER", "GAUGE");
            assertThat(rule.get("help")).isNotNull();
            // every $n of the labels is a group of the pattern
            int groups = pattern.matcher("").groupCount();
            for (Object label : ((Map<String, Object>) rule.get("labels")).values()) {
                Matcher ref = Pattern.compile("\\$(\\d+)").matcher(label.toString());
                while (ref.find()) {
                    assertThat(Integer.parseInt(ref.group(1))).isLessThanOrEqualTo(groups);
                }
            }
        }
        // the exporter's form of an MBean attribute: domain<key=value, ...><>Attribute, keys in the name's order
        for (String attribute : List.of("ExchangesTotal", "ExchangesFailed", "FailuresHandled", "Redeliveries", "ExchangesInflight",
                "TotalProcessingTime", "MeanProcessingTime", "MaxProcessingTime", "LastProcessingTime")) {
            String bean = "org.apache.camel<context=cdc-hub, type=routes, name=\"postgres-to-kafka\"><>" + attribute;
            assertThat(patterns).as(bean).anySatisfy(p -> assertThat(p.matcher(bean).matches()).isTrue());
        }
        for (String attribute : List.of("ExchangesTotal", "ExchangesFailed", "ExchangesInflight", "StartedRoutes")) {
            String bean = "org.apache.camel<context=cdc-hub, type=context, name=\"cdc-hub\"><>" + attribute;
            assertThat(patterns).as(bean).anySatisfy(p -> assertThat(p.matcher(bean).matches()).isTrue());
        }
        // a route's group is its id, the context's its name
        Matcher m = patterns.get(0).matcher("org.apache.camel<context=cdc-hub, type=routes, name=\"kafka-publisher\"><>ExchangesTotal");
        assertThat(m.matches()).isTrue();
        assertThat(m.group(1)).isEqualTo("cdc-hub");
        assertThat(m.group(2)).isEqualTo("kafka-publisher");
    }

    @Test
    void grafanaDashboardUsesOnlyExportedMetrics() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("config/grafana/cdc-hub-dashboard.json").toFile());
        assertThat(dashboard.path("title").asText()).isEqualTo("cdc-hub");
        Set<String> used = new TreeSet<>();
        int panels = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            panels++;
            assertThat(panel.path("targets").size()).as(panel.path("title").asText()).isPositive();
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                Matcher selector = SELECTOR.matcher(expr);
                int found = 0;
                while (selector.find()) {
                    used.add(selector.group(1));
                    found++;
                }
                assertThat(found).as("metrics in %s", expr).isPositive();
            }
        }
        assertThat(panels).isGreaterThanOrEqualTo(10);
        assertThat(used).allSatisfy(name -> assertThat(EXPORTED).as("exported metrics").contains(name));
        // the list: per-route exchanges, failures and time; slot lag; sink lag; dead letters; gateway connections
        assertThat(used).contains("camel_exchanges_total", "camel_exchanges_failed_total", "camel_route_policy_seconds_bucket",
                "cdc_aggregation_events_total", "debezium_streaming_ms_behind_source",
                "cdc_source_slot_lag_bytes", "cdc_source_publish_in_flight", "cdc_sink_lag", "cdc_dlq_records_total",
                "cdc_gateway_connections");
        // latencies as quantiles of histograms, never means (issue 16)
        assertThat(used).noneMatch(name -> name.endsWith("_sum") || name.endsWith("_count"));
        // the variable the selectors use
        assertThat(dashboard.path("templating").path("list").findValuesAsText("name")).contains("instance", "datasource");
    }
}
