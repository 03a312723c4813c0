package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.cdchub.testinfra.ConnectStandalone;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Connect-style API against Kafka Connect 3.9.1 standalone itself: the same sequence of calls (a connector of
 * Debezium's PostgreSQL source through its whole life: plugins, validation, create, status, tasks, topics, pause,
 * restart, stop, offsets read, altered and reset, resume, errors, delete) against both, comparing what a client reads:
 * status codes, field names and JSON types (not values: ids, versions, timestamps and configurations differ).
 * Differences allowed, and why, are listed in {@link #ALLOWED}. Both capture one table of the test PostgreSQL into the
 * test Kafka, each with its own slot and topic prefix.
 */
class ConnectShapeIT {

    private static final String NAME = "shape-test";
    private static final String SCHEMA = "connect_shape";
    private static final PostgresServer PG = PostgresServer.shared();

    /** Extra fields cdc-hub's error bodies carry (cdc-hub's one error shape for every API), beyond Connect's two. */
    private static final Set<String> ERROR_EXTRAS = Set.of("status", "error", "field");
    /** Objects whose keys are data (configurations, source partitions and offsets), compared as objects only. */
    private static final Set<String> MAPS = Set.of("config", "partition", "offset");
    /** Known differences (the start of the difference's text) and why cdc-hub answers otherwise. */
    private static final Map<String, String> ALLOWED = Map.of(
            "stop an unknown connector: status 404, Connect 500",
            "Connect 3.9.1's standalone herder fails with a 500 (\"No connector configured\"); cdc-hub answers 404 as for every "
                    + "other call on an unknown connector, and never 500");

    private static ConfigurableApplicationContext app;
    private static AdminHttp connect;
    private static AdminHttp hub;
    private static final List<String> differences = new ArrayList<>();

    @BeforeAll
    static void start() {
        Map<String, String> settings = RealServers.settings(); // creates the database
        PG.execute(RealServers.DATABASE, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".items (id int PRIMARY KEY, name text)",
                "INSERT INTO " + SCHEMA + ".items VALUES (1, 'before both') ON CONFLICT DO NOTHING");
        connect = new AdminHttp(ConnectStandalone.shared().port());
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.admin.config-topic", "it-shape-configs");
        settings.put("cdc.admin.offset-topic", "it-shape-offsets");
        settings.put("cdc.dlq.topic", "it-shape.dlq");
        app = InProcessApp.start(settings);
        hub = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty(ConnectPortConfiguration.LOCAL_PORT_PROPERTY)));
        Awaitility.await("cdc-hub's connector definitions loaded").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> hub.get("/connectors").status() == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** The connector's configuration on one side: its own slot, publication and topic prefix. */
    private static String config(String side) {
        return """
                {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1", \
                "database.hostname": "%s", "database.port": "%d", "database.user": "%s", "database.password": "password", \
                "database.dbname": "%s", "topic.prefix": "shape_%s", "table.include.list": "%s.items", "plugin.name": "pgoutput", \
                "slot.name": "shape_%s", "publication.name": "shape_%s_pub", "publication.autocreate.mode": "filtered", \
                "snapshot.mode": "initial"}""".formatted(PG.host(), PG.port(), PostgresServer.USER, RealServers.DATABASE, side, SCHEMA,
                side, side);
    }

    private static String topic(String side) {
        return "shape_" + side + "." + SCHEMA + ".items";
    }

    @Test
    void theSameCallsGiveTheSameShapesAsKafkaConnect() {
        same("GET /", http -> http.get("/"));
        same("GET /health", http -> http.get("/health"));
        same("GET /connector-plugins", http -> http.get("/connector-plugins"));
        Reply[] valid = same("validate a good configuration", http -> http.put("/connector-plugins/PostgresConnector/config/validate",
                config(side(http)).replace("{", "{\"name\": \"" + NAME + "\", ")));
        assertThat(valid[1].json().path("error_count").asInt()).as(valid[1].body()).isZero();
        Reply[] invalid = same("validate a bad configuration", http -> http.put("/connector-plugins/PostgresConnector/config/validate",
                config(side(http)).replace("\"initial\"", "\"sometimes\"").replace("{", "{\"name\": \"" + NAME + "\", ")));
        assertThat(invalid[1].json().path("error_count").asInt()).as("cdc-hub reports the problem").isPositive();
        assertThat(invalid[1].json().path("configs").findValues("value").stream()
                .filter(value -> "snapshot.mode".equals(value.path("name").asText())).findFirst().orElseThrow()
                .path("errors").get(0).asText()).contains("sometimes");
        same("validate with another plugin's class", http -> http.put("/connector-plugins/PostgresConnector/config/validate",
                "{\"connector.class\": \"FileStreamSource\"}"));

        same("create", http -> http.post("/connectors", "{\"name\": \"" + NAME + "\", \"config\": " + config(side(http)) + "}"));
        same("create again", http -> http.post("/connectors", "{\"name\": \"" + NAME + "\", \"config\": " + config(side(http)) + "}"));
        awaitBoth("running with its task", http -> {
            JsonNode status = http.get("/connectors/" + NAME + "/status").json();
            return "RUNNING".equals(status.path("connector").path("state").asText())
                    && "RUNNING".equals(status.path("tasks").path(0).path("state").asText());
        });
        same("list", http -> http.get("/connectors"));
        same("list expanded", http -> http.get("/connectors?expand=status&expand=info"));
        same("info", http -> http.get("/connectors/" + NAME));
        same("config", http -> http.get("/connectors/" + NAME + "/config"));
        same("status", http -> http.get("/connectors/" + NAME + "/status"));
        same("tasks", http -> http.get("/connectors/" + NAME + "/tasks"));
        same("task status", http -> http.get("/connectors/" + NAME + "/tasks/0/status"));
        same("unknown task status", http -> http.get("/connectors/" + NAME + "/tasks/7/status"));

        // once the snapshot's row is out, the snapshot's view is fixed: the next insert is streamed
        awaitBoth("the snapshot on the connector's topic", http -> snapshotReads(side(http)) > 0);
        PG.execute(RealServers.DATABASE, "INSERT INTO " + SCHEMA + ".items VALUES (2, 'streamed to both')");
        awaitBoth("the streamed row on the connector's topic", http -> TopicReader.readAll(topic(side(http))).stream()
                .anyMatch(e -> e.key() != null && e.key().path("id").asInt() == 2));
        awaitBoth("the topic tracked", http -> http.get("/connectors/" + NAME + "/topics").json().path(NAME).path("topics").size() > 0);
        same("topics", http -> http.get("/connectors/" + NAME + "/topics"));
        awaitBoth("offsets committed", http -> http.get("/connectors/" + NAME + "/offsets").json().path("offsets").size() > 0);
        Reply[] offsets = same("offsets while running", http -> http.get("/connectors/" + NAME + "/offsets"));

        same("pause", http -> http.put("/connectors/" + NAME + "/pause", null));
        awaitBoth("paused", http -> "PAUSED".equals(http.get("/connectors/" + NAME + "/status").json().path("connector").path("state").asText()));
        same("alter offsets while paused", http -> http.patch("/connectors/" + NAME + "/offsets", offsets[index(http)].body()));
        same("resume", http -> http.put("/connectors/" + NAME + "/resume", null));
        same("restart", http -> http.post("/connectors/" + NAME + "/restart", null));
        same("restart with tasks", http -> http.post("/connectors/" + NAME + "/restart?includeTasks=true", null));
        same("restart a task", http -> http.post("/connectors/" + NAME + "/tasks/0/restart", null));
        awaitBoth("running again", http -> "RUNNING".equals(http.get("/connectors/" + NAME + "/status").json().path("tasks").path(0)
                .path("state").asText()));
        same("reset offsets while running", http -> http.delete("/connectors/" + NAME + "/offsets"));

        same("stop", http -> http.put("/connectors/" + NAME + "/stop", null));
        awaitBoth("stopped, no task", http -> {
            JsonNode status = http.get("/connectors/" + NAME + "/status").json();
            return "STOPPED".equals(status.path("connector").path("state").asText()) && status.path("tasks").isEmpty();
        });
        same("status when stopped", http -> http.get("/connectors/" + NAME + "/status"));
        same("info when stopped", http -> http.get("/connectors/" + NAME));
        same("tasks when stopped", http -> http.get("/connectors/" + NAME + "/tasks"));
        same("task status when stopped", http -> http.get("/connectors/" + NAME + "/tasks/0/status"));
        Reply[] stoppedOffsets = same("offsets when stopped", http -> http.get("/connectors/" + NAME + "/offsets"));
        same("alter offsets without a body", http -> http.patch("/connectors/" + NAME + "/offsets", "{\"offsets\": []}"));
        same("alter offsets", http -> http.patch("/connectors/" + NAME + "/offsets", stoppedOffsets[index(http)].body()));
        // cdc-hub checks what Connect writes blindly: the PostgreSQL connector's one partition and a numeric lsn
        AdminHttp.Reply otherPartition = hub.patch("/connectors/" + NAME + "/offsets",
                "{\"offsets\": [{\"partition\": {\"server\": \"elsewhere\"}, \"offset\": {\"lsn\": 1}}]}");
        assertThat(otherPartition.status()).as(otherPartition.toString()).isEqualTo(400);
        assertThat(otherPartition.json().path("field").asText()).isEqualTo("offsets.partition");
        same("reset offsets", http -> http.delete("/connectors/" + NAME + "/offsets"));
        same("offsets after the reset", http -> http.get("/connectors/" + NAME + "/offsets"));
        assertThat(hub.get("/connectors/" + NAME + "/offsets").json().path("offsets").size()).isZero();

        // a reset connector starts as a new one: a new snapshot of the table
        long[] snapshotReads = {snapshotReads("connect"), snapshotReads("hub")};
        same("resume after the reset", http -> http.put("/connectors/" + NAME + "/resume", null));
        awaitBoth("a new snapshot", http -> snapshotReads(side(http)) > snapshotReads[index(http)]);

        same("unknown connector", http -> http.get("/connectors/no-such"));
        same("unknown connector's status", http -> http.get("/connectors/no-such/status"));
        same("unknown connector's offsets", http -> http.get("/connectors/no-such/offsets"));
        same("stop an unknown connector", http -> http.put("/connectors/no-such/stop", null));
        same("delete", http -> http.delete("/connectors/" + NAME));
        same("deleted", http -> http.get("/connectors/" + NAME));

        differences.removeIf(difference -> ALLOWED.keySet().stream().anyMatch(difference::startsWith));
        assertThat(differences).as("shape differences from Kafka Connect 3.9.1").isEmpty();
    }

    private static long snapshotReads(String side) {
        return TopicReader.readAll(topic(side)).stream().filter(e -> "r".equals(e.op())).count();
    }

    private static String side(AdminHttp http) {
        return http == connect ? "connect" : "hub";
    }

    private static int index(AdminHttp http) {
        return http == connect ? 0 : 1;
    }

    private static void awaitBoth(String what, Predicate<AdminHttp> condition) {
        for (AdminHttp http : List.of(connect, hub)) {
            try {
                Awaitility.await(side(http) + ": " + what).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300))
                        .until(() -> condition.test(http));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(e.getMessage() + (http == connect ? "\nConnect's log:\n" + ConnectStandalone.shared().logTail() : ""), e);
            }
        }
    }

    /** A call of the sequence on both sides; records how the replies differ, and returns them (Connect's first). */
    private static Reply[] same(String call, java.util.function.Function<AdminHttp, AdminHttp.Reply> request) {
        Reply connectReply = new Reply(request.apply(connect));
        Reply hubReply = new Reply(request.apply(hub));
        if (connectReply.status() != hubReply.status()) {
            differences.add(call + ": status " + hubReply.status() + ", Connect " + connectReply.status() + " (cdc-hub: " + hubReply.body()
                    + "; Connect: " + connectReply.body() + ")");
        } else if (connectReply.status() >= 500) {
            differences.add(call + ": both " + connectReply.status());
        } else {
            List<String> found = new ArrayList<>();
            compare("", connectReply.tree(), hubReply.tree(), found);
            found.forEach(difference -> differences.add(call + ": " + difference));
        }
        return new Reply[] {connectReply, hubReply};
    }

    /** A reply with its body parsed, if any. */
    record Reply(int status, String body) {
        Reply(AdminHttp.Reply reply) {
            this(reply.status(), reply.body());
        }

        JsonNode json() {
            return new AdminHttp.Reply(status, body).json();
        }

        JsonNode tree() {
            return body == null || body.isBlank() ? null : json();
        }
    }

    /**
     * Compares two JSON values by shape: the same node types (a null matches any type: Connect's entities have
     * nullable fields), the same fields of objects (but inside {@link #MAPS}, whose keys are data), and the first
     * elements of arrays (an empty array matches any). cdc-hub's errors may carry {@link #ERROR_EXTRAS}.
     */
    static void compare(String path, JsonNode expected, JsonNode actual, List<String> differences) {
        if (expected == null || actual == null) {
            if ((expected == null) != (actual == null)) {
                differences.add((path.isEmpty() ? "body" : path) + ": " + (expected == null ? "Connect has none" : "cdc-hub has none"));
            }
            return;
        }
        if (expected.isNull() || actual.isNull()) {
            return;
        }
        if (type(expected) != type(actual)) {
            differences.add(path + ": " + type(actual) + ", Connect " + type(expected));
            return;
        }
        if (expected.isObject()) {
            String field = path.substring(path.lastIndexOf('.') + 1);
            if (MAPS.contains(field)) {
                return;
            }
            Set<String> expectedFields = fields(expected);
            Set<String> actualFields = fields(actual);
            boolean error = expected.has("error_code");
            for (String name : expectedFields) {
                if (!actualFields.contains(name)) {
                    differences.add(path + "." + name + ": missing");
                } else {
                    compare(path + "." + name, expected.get(name), actual.get(name), differences);
                }
            }
            for (String name : actualFields) {
                if (!expectedFields.contains(name) && !(error && ERROR_EXTRAS.contains(name))) {
                    differences.add(path + "." + name + ": not in Connect's");
                }
            }
        } else if (expected.isArray() && !expected.isEmpty() && !actual.isEmpty()) {
            compare(path + "[]", expected.get(0), actual.get(0), differences);
        }
    }

    private static JsonNodeType type(JsonNode node) {
        return node.getNodeType();
    }

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new java.util.TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            names.add(it.next());
        }
        return names;
    }
}
