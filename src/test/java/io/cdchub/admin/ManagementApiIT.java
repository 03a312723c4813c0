package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.embedded.EmbeddedKafkaServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The management API against real PostgreSQL and Kafka: the request bodies verbatim (only host, port,
 * user and database name point at the test PostgreSQL), every endpoint with its success and error codes,
 * connectors that deliver Debezium envelopes, the Connect-style port, definitions shared and surviving restarts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ManagementApiIT {

    /** The database and table; the test PostgreSQL takes any password (trust). */
    static final String DATABASE = "mydatabase";

    private static final PostgresServer PG = PostgresServer.shared();
    private static Map<String, String> settings;
    private static ConfigurableApplicationContext app;
    private static AdminHttp api;
    private static AdminHttp connect;

    @BeforeAll
    static void start() {
        PG.createDatabase(DATABASE);
        PG.execute(DATABASE, "CREATE TABLE IF NOT EXISTS public.person12 (id int PRIMARY KEY, name text, born date)",
                "INSERT INTO public.person12 VALUES (1, 'before the connector', '1990-01-02') ON CONFLICT DO NOTHING");
        settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.admin.config-topic", "it-admin-configs");
        settings.put("cdc.admin.offset-topic", "it-admin-offsets");
        settings.put("cdc.dlq.topic", "it-admin.dlq");
        startApp();
    }

    private static void startApp() {
        app = InProcessApp.start(settings);
        api = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
        connect = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty(ConnectPortConfiguration.LOCAL_PORT_PROPERTY)));
        awaitReady(api);
    }

    private static void awaitReady(AdminHttp http) {
        Awaitility.await("connector definitions loaded").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> http.get("/debezium/list/").status() == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** The body, verbatim but for where the test database is. */
    static String startBody(String name) {
        return """
                {"name": "%s", "config": {"connector_class": "io.debezium.connector.postgresql.PostgresConnector", "tasks_max": "1", \
                "database_hostname": "%s", "database_port": "%d", "database_user": "%s", "database_password": "password", \
                "database_dbname": "%s", "topic_prefix": "db", "schema_include_list": "public", "publication_autocreate_mode": "filtered", \
                "table_include_list": "public.person12", "plugin_name": "pgoutput", "snapshot_mode": "initial"}}"""
                .formatted(name, PG.host(), PG.port(), PostgresServer.USER, DATABASE);
    }

    @Test
    @Order(1)
    void aConnectorStartedThroughTheApiDeliversDebeziumEnvelopesAndStopsWhenDeleted() {
        AdminHttp.Reply started = api.post("/debezium/start/", startBody("my-postgres-connector"));
        assertThat(started.status()).as(started.toString()).isEqualTo(201);
        assertThat(started.json().path("name").asText()).isEqualTo("my-postgres-connector");
        assertThat(started.json().path("state").asText()).isEqualTo("RUNNING");

        // the snapshot, then a live insert, on <topic_prefix>.<schema>.<table>
        // (once the snapshot's first row is out, the snapshot's view is fixed: a later insert is streamed)
        TopicReader.await("db.public.person12", all -> all.stream().anyMatch(e -> "r".equals(e.op()) && e.key().path("id").asInt() == 1));
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (2, 'through the api', '2001-02-03')");
        List<Event> events = TopicReader.await("db.public.person12",
                all -> all.stream().anyMatch(e -> "c".equals(e.op()) && e.after().path("id").asInt() == 2));
        Event snapshot = events.stream().filter(e -> e.key().path("id").asInt() == 1).findFirst().orElseThrow();
        assertThat(snapshot.op()).isEqualTo("r");
        Event insert = events.stream().filter(e -> "c".equals(e.op())).findFirst().orElseThrow();
        assertThat(insert.key().toString()).isEqualTo("{\"id\":2}");
        assertThat(insert.value().path("before").isNull()).isTrue();
        assertThat(insert.after().path("name").asText()).isEqualTo("through the api");
        assertThat(insert.after().path("born").asText()).isEqualTo("2001-02-03");
        assertThat(insert.value().path("source").path("schema").asText()).isEqualTo("public");
        assertThat(insert.value().path("source").path("table").asText()).isEqualTo("person12");
        assertThat(insert.value().path("source").path("db").asText()).isEqualTo(DATABASE);
        assertThat(insert.value().path("source").path("lsn").asLong()).isPositive();
        assertThat(insert.headers()).containsEntry("cdc.op", "c").containsEntry("cdc.table", "person12");

        // delete: the event and its tombstone
        PG.execute(DATABASE, "DELETE FROM public.person12 WHERE id = 2");
        List<Event> afterDelete = TopicReader.await("db.public.person12", all -> all.stream().anyMatch(Event::isTombstone));
        Event delete = afterDelete.stream().filter(e -> "d".equals(e.op())).findFirst().orElseThrow();
        assertThat(delete.before().path("id").asInt()).isEqualTo(2);

        // list and info, the password masked
        AdminHttp.Reply list = api.get("/debezium/list/");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().toString()).contains("{\"name\":\"my-postgres-connector\",\"state\":\"RUNNING\"}");
        AdminHttp.Reply info = api.get("/debezium/connector/my-postgres-connector/info/");
        assertThat(info.status()).isEqualTo(200);
        JsonNode config = info.json().path("config");
        assertThat(config.path("database_password").asText()).isEqualTo("********");
        assertThat(config.path("database_hostname").asText()).isEqualTo(PG.host());
        assertThat(config.path("table_include_list").asText()).isEqualTo("public.person12");
        assertThat(config.path("slot_name").asText()).isEqualTo("my_postgres_connector");
        assertThat(info.json().path("state").asText()).isEqualTo("RUNNING");
        assertThat(info.body()).doesNotContain("\"password\"");

        // the same name again
        AdminHttp.Reply again = api.post("/debezium/start/", startBody("my-postgres-connector"));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().path("message").asText()).contains("already exists");

        // delete: stops capturing
        assertThat(api.delete("/debezium/connector/my-postgres-connector/delete/").status()).isEqualTo(204);
        assertThat(api.get("/debezium/connector/my-postgres-connector/info/").status()).isEqualTo(404);
        assertThat(api.delete("/debezium/connector/my-postgres-connector/delete/").status()).isEqualTo(404);
        assertThat(app.getBean(org.apache.camel.CamelContext.class).getRoute("connector-my-postgres-connector")).isNull();
        int before = TopicReader.readAll("db.public.person12").size();
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (3, 'after the delete', null)");
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> TopicReader.readAll("db.public.person12").size() == before);
        awaitNoOffsetStoreClients();
    }

    @Test
    @Order(2)
    void badConnectorInputIsA400NamingTheField() {
        String good = startBody("bad-input");
        assertField(api.post("/debezium/start/", "not json"), 400, null);
        assertField(api.post("/debezium/start/", "[1]"), 400, null);
        assertField(api.post("/debezium/start/", "{\"config\": {}}"), 400, "name");
        assertField(api.post("/debezium/start/", good.replace("\"bad-input\"", "\"bad name!\"")), 400, "name");
        assertField(api.post("/debezium/start/", good.replace("\"bad-input\"", "42")), 400, "name");
        assertField(api.post("/debezium/start/", "{\"name\": \"x\"}"), 400, "config");
        assertField(api.post("/debezium/start/", "{\"name\": \"x\", \"config\": \"text\"}"), 400, "config");
        assertField(api.post("/debezium/start/", "{\"name\": \"x\", \"config\": {}, \"extra\": 1}"), 400, "extra");
        assertField(api.post("/debezium/start/", good.replace("io.debezium.connector.postgresql.PostgresConnector",
                "io.debezium.connector.mysql.MySqlConnector")), 400, "config.connector_class");
        assertField(api.post("/debezium/start/", good.replace("\"pgoutput\"", "\"decoderbufs\"")), 400, "config.plugin_name");
        assertField(api.post("/debezium/start/", good.replace("\"tasks_max\": \"1\"", "\"tasks_max\": \"2\"")), 400, "config.tasks_max");
        assertField(api.post("/debezium/start/", good.replace("\"" + PG.port() + "\"", "\"abc\"")), 400, "config.database_port");
        assertField(api.post("/debezium/start/", good.replace("\"" + PG.port() + "\"", "\"70000\"")), 400, "config.database_port");
        assertField(api.post("/debezium/start/", good.replace("\"database_hostname\": \"" + PG.host() + "\", ", "")), 400,
                "config.database_hostname");
        assertField(api.post("/debezium/start/", good.replace("\"topic_prefix\": \"db\"", "\"topic_prefix\": \"bad prefix\"")), 400,
                "config.topic_prefix");
        assertField(api.post("/debezium/start/", good.replace("\"initial\"", "\"sometimes\"")), 400, "config.snapshot_mode");
        assertField(api.post("/debezium/start/", good.replace("\"filtered\"", "\"some\"")), 400, "config.publication_autocreate_mode");
        assertField(api.post("/debezium/start/", good.replace("\"public.person12\"", "\"public.(person\"")), 400, "config.table_include_list");
        assertField(api.post("/debezium/start/", good.replace("\"snapshot_mode\"", "\"offset_storage_topic\"")), 400,
                "config.offset_storage_topic");
        assertField(api.post("/debezium/start/", good.replace("\"tasks_max\": \"1\"", "\"tasks_max\": [1]")), 400, "config.tasks_max");
        assertField(api.post("/debezium/start/", good.replace("\"tasks_max\"", "\"Tasks-Max\"")), 400, "config.Tasks-Max");
        assertField(api.post("/debezium/start/", good.replace("\"database_dbname\": \"" + DATABASE + "\"", "\"database_dbname\": \"nope\"")),
                400, "config.database_dbname");
        assertField(api.post("/debezium/start/", good.replace("\"" + PG.port() + "\"", "\"1\"")), 400, "config.database_hostname");
        assertThat(api.get("/debezium/connector/bad-input/info/").status()).isEqualTo(404);
        assertThat(api.get("/debezium/connector/no-such/info/").status()).isEqualTo(404);
        assertThat(api.delete("/debezium/connector/no-such/delete/").status()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void topicsThroughTheAdminClient() {
        String create = "{\"topic_name\": \"my-topic\", \"num_partitions\": 3, \"replication_factor\": 1, \"retention_ms\": 604800000, "
                + "\"retention_bytes\": 1073741824}";
        AdminHttp.Reply created = api.post("/topic/create", create);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("num_partitions").asInt()).isEqualTo(3);
        assertThat(api.post("/topic/create", create).status()).isEqualTo(409);

        AdminHttp.Reply list = api.get("/topic/list");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().toString()).contains("\"my-topic\"").doesNotContain("__consumer_offsets");

        AdminHttp.Reply config = api.get("/topic/config?topic_name=my-topic");
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.json().path("retention_ms").asLong()).isEqualTo(604800000L);
        assertThat(config.json().path("retention_bytes").asLong()).isEqualTo(1073741824L);
        assertThat(config.json().path("replication_factor").asInt()).isEqualTo(1);
        assertThat(config.json().path("config").path("retention.ms").asText()).isEqualTo("604800000");
        assertThat(api.get("/topic/config?topic_name=no-such-topic").status()).isEqualTo(404);
        assertField(api.get("/topic/config?topic_name=bad%20name"), 400, "topic_name");
        assertField(api.get("/topic/config"), 400, "topic_name");

        AdminHttp.Reply updated = api.patch("/topic/update", "{\"topic_name\": \"my-topic\", \"retention_ms\": 259200000, \"retention_bytes\": 536870912}");
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        assertThat(updated.json().path("retention_ms").asLong()).isEqualTo(259200000L);
        assertThat(updated.json().path("retention_bytes").asLong()).isEqualTo(536870912L);
        assertThat(api.get("/topic/config?topic_name=my-topic").json().path("retention_ms").asLong()).isEqualTo(259200000L);
        assertThat(api.patch("/topic/update", "{\"topic_name\": \"no-such-topic\", \"retention_ms\": 1000}").status()).isEqualTo(404);
        assertField(api.patch("/topic/update", "{\"topic_name\": \"my-topic\"}"), 422, "retention_ms");
        assertField(api.patch("/topic/update", "{\"topic_name\": \"my-topic\", \"retention_ms\": \"soon\"}"), 400, "retention_ms");
        assertField(api.patch("/topic/update", "{\"topic_name\": \"my-topic\", \"retention_ms\": -5}"), 400, "retention_ms");
        assertField(api.patch("/topic/update", "{\"retention_ms\": 1000}"), 400, "topic_name");
        assertField(api.patch("/topic/update", "{\"topic_name\": \"my-topic\", \"num_partitions\": 4}"), 400, "num_partitions");

        assertField(api.post("/topic/create", "{\"topic_name\": \"t1\", \"num_partitions\": 0}"), 400, "num_partitions");
        assertField(api.post("/topic/create", "{\"topic_name\": \"t1\", \"num_partitions\": 3.5}"), 400, "num_partitions");
        assertField(api.post("/topic/create", "{\"topic_name\": \"t1\", \"num_partitions\": \"3\"}"), 400, "num_partitions");
        assertField(api.post("/topic/create", "{\"topic_name\": \"t1\", \"replication_factor\": 3}"), 400, "replication_factor");
        assertField(api.post("/topic/create", "{\"topic_name\": \"" + "x".repeat(250) + "\"}"), 400, "topic_name");
        assertField(api.post("/topic/create", "{\"topic_name\": \"a/b\"}"), 400, "topic_name");
        assertField(api.post("/topic/create", "{}"), 400, "topic_name");
        assertField(api.post("/topic/create", "nonsense"), 400, null);

        assertThat(api.delete("/topic/delete?topic_name=my-topic").status()).isEqualTo(204);
        assertThat(api.delete("/topic/delete?topic_name=my-topic").status()).isEqualTo(404);
        assertField(api.delete("/topic/delete"), 400, "topic_name");
        assertField(api.delete("/topic/delete?topic_name=__consumer_offsets"), 400, "topic_name");
        assertThat(api.delete("/topic/delete?topic_name=it-admin-configs").status()).isEqualTo(409);
    }

    @Test
    @Order(4)
    void theConnectStylePortServesAConnectClientFlow() {
        String body = """
                {"name": "connect-person", "config": {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", \
                "tasks.max": "1", "database.hostname": "%s", "database.port": "%d", "database.user": "%s", "database.password": "password", \
                "database.dbname": "%s", "topic.prefix": "cn", "table.include.list": "public.person12", "plugin.name": "pgoutput", \
                "slot.name": "connect_person", "key.converter": "org.apache.kafka.connect.json.JsonConverter"}}"""
                .formatted(PG.host(), PG.port(), PostgresServer.USER, DATABASE);
        AdminHttp.Reply created = connect.post("/connectors", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("type").asText()).isEqualTo("source");
        assertThat(created.json().path("tasks").get(0).path("task").asInt()).isZero();
        assertThat(connect.post("/connectors", body).status()).isEqualTo(409);
        assertThat(connect.post("/connectors", body).json().path("error_code").asInt()).isEqualTo(409);

        JsonNode status = connect.get("/connectors/connect-person/status").json();
        assertThat(status.path("name").asText()).isEqualTo("connect-person");
        assertThat(status.path("connector").path("state").asText()).isEqualTo("RUNNING");
        assertThat(status.path("connector").path("worker_id").asText()).isNotBlank();
        assertThat(status.path("tasks").get(0).path("id").asInt()).isZero();
        assertThat(status.path("tasks").get(0).path("state").asText()).isEqualTo("RUNNING");
        assertThat(status.path("type").asText()).isEqualTo("source");

        assertThat(connect.get("/connectors").json().toString()).contains("\"connect-person\"");
        assertThat(connect.get("/connectors?expand=status").json().path("connect-person").path("status").path("connector")
                .path("state").asText()).isEqualTo("RUNNING");
        assertThat(connect.get("/connectors/connect-person").json().path("config").path("database.password").asText()).isEqualTo("********");
        JsonNode config = connect.get("/connectors/connect-person/config").json();
        assertThat(config.path("name").asText()).isEqualTo("connect-person");
        assertThat(config.path("database.hostname").asText()).isEqualTo(PG.host());
        // the shared registry: the /debezium API sees it too
        assertThat(api.get("/debezium/connector/connect-person/info/").status()).isEqualTo(200);

        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (10, 'connect flow', null)");
        TopicReader.await("cn.public.person12", all -> all.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == 10));

        // pause: 202, PAUSED, nothing captured; resume: what happened while paused arrives
        assertThat(connect.put("/connectors/connect-person/pause", null).status()).isEqualTo(202);
        assertThat(connect.get("/connectors/connect-person/status").json().path("connector").path("state").asText()).isEqualTo("PAUSED");
        assertThat(app.getBean(org.apache.camel.CamelContext.class).getRoute("connector-connect-person")).isNull();
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (11, 'while paused', null)");
        assertThat(connect.put("/connectors/connect-person/resume", null).status()).isEqualTo(202);
        assertThat(connect.get("/connectors/connect-person/status").json().path("connector").path("state").asText()).isEqualTo("RUNNING");
        TopicReader.await("cn.public.person12", all -> all.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == 11));

        // PUT config: the masked password sent back keeps the stored one; 200 for an existing connector
        String newConfig = config.toString().replace("\"table.include.list\":\"public.person12\"", "\"table.include.list\":\"public.person12\",\"heartbeat.interval.ms\":\"1000\"");
        AdminHttp.Reply put = connect.put("/connectors/connect-person/config", newConfig);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(connect.get("/connectors/connect-person/config").json().path("heartbeat.interval.ms").asText()).isEqualTo("1000");
        assertThat(app.getBean(ConnectorService.class).get("connect-person").config().get("database.password")).isEqualTo("password");

        assertThat(connect.post("/connectors/connect-person/restart", null).status()).isEqualTo(204);
        assertThat(connect.post("/connectors/connect-person/restart?includeTasks=true", null).status()).isEqualTo(202);
        assertThat(connect.get("/connectors/connect-person/status").json().path("connector").path("state").asText()).isEqualTo("RUNNING");
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (12, 'after the restart', null)");
        List<Event> events = TopicReader.await("cn.public.person12",
                all -> all.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == 12));
        assertThat(events.stream().filter(e -> "c".equals(e.op()) && e.key().path("id").asInt() == 11)).isNotEmpty();

        // errors in Connect's shape; unknown connectors 404
        AdminHttp.Reply missing = connect.get("/connectors/no-such");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().path("error_code").asInt()).isEqualTo(404);
        assertThat(connect.get("/connectors/no-such/status").status()).isEqualTo(404);
        assertThat(connect.put("/connectors/no-such/pause", null).status()).isEqualTo(404);
        assertThat(connect.put("/connectors/no-such/resume", null).status()).isEqualTo(404);
        assertThat(connect.post("/connectors/no-such/restart", null).status()).isEqualTo(404);
        AdminHttp.Reply invalid = connect.post("/connectors", body.replace("connect-person", "other").replace("\"pgoutput\"", "\"wal2json\""));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().path("field").asText()).isEqualTo("plugin.name");
        AdminHttp.Reply sameSlot = connect.post("/connectors", body.replace("\"connect-person\"", "\"other\""));
        assertThat(sameSlot.status()).as("a second connector on one slot").isEqualTo(409);

        // PUT config of a new name creates it (201); then DELETE
        String created2 = body.substring(body.indexOf("\"config\": ") + 10, body.length() - 1)
                .replace("connect_person", "connect_person_two").replace("\"cn\"", "\"cn2\"");
        assertThat(connect.put("/connectors/connect-two/config", created2).status()).isEqualTo(201);
        assertThat(connect.delete("/connectors/connect-two").status()).isEqualTo(204);

        assertThat(connect.delete("/connectors/connect-person").status()).isEqualTo(204);
        assertThat(connect.get("/connectors/connect-person").status()).isEqualTo(404);
        assertThat(connect.delete("/connectors/connect-person").status()).isEqualTo(404);
        // paused, reconfigured and restarted engines (some stopped while still starting) left no Kafka clients behind
        awaitNoOffsetStoreClients();

        // the Connect API lives on its port only; that port serves nothing else
        assertThat(api.get("/connectors").status()).isEqualTo(404);
        assertThat(connect.get("/debezium/list/").status()).isEqualTo(404);
        assertThat(connect.get("/").json().path("version").asText()).isNotBlank();
    }

    @Test
    @Order(5)
    void theOpenApiDocumentListsTheEndpoints() throws Exception {
        java.net.http.HttpResponse<String> doc = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + "/v3/api-docs")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(doc.statusCode()).as("public, no credentials").isEqualTo(200);
        JsonNode paths = AdminHttp.JSON.readTree(doc.body()).path("paths");
        assertThat(paths.has("/debezium/start/")).isTrue();
        assertThat(paths.has("/debezium/list/")).isTrue();
        assertThat(paths.has("/debezium/connector/{connector_name}/info/")).isTrue();
        assertThat(paths.has("/debezium/connector/{connector_name}/delete/")).isTrue();
        assertThat(paths.has("/topic/create")).isTrue();
        assertThat(paths.has("/topic/update")).isTrue();
        assertThat(paths.has("/connectors")).isTrue();
        assertThat(paths.has("/connectors/{name}/status")).isTrue();
        assertThat(doc.body()).contains("TopicCreateRequest").contains("bearer");
    }

    @Test
    @Order(6)
    void definitionsAreSharedByInstancesAndSurviveARestart() {
        assertThat(api.post("/debezium/start/", startBody("survivor")).status()).isEqualTo(201);
        // (a row written while the connector creates its slot comes in its snapshot; one written after, streamed)
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (20, 'survivor one', null)");
        TopicReader.await("db.public.person12", all -> all.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == 20));
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (22, 'survivor streaming', null)");
        TopicReader.await("db.public.person12", all -> all.stream().anyMatch(e -> "c".equals(e.op()) && e.key().path("id").asInt() == 22));

        // a second instance that only serves definitions sees it, and what it defines reaches the first
        Map<String, String> secondSettings = new java.util.LinkedHashMap<>(settings);
        secondSettings.put("cdc.admin.run-connectors", "false");
        secondSettings.put("cdc.data-dir", settings.get("cdc.data-dir") + "-second");
        try (ConfigurableApplicationContext second = InProcessApp.start(secondSettings)) {
            AdminHttp secondApi = new AdminHttp(Integer.parseInt(second.getEnvironment().getProperty("local.server.port")));
            awaitReady(secondApi);
            assertThat(secondApi.get("/debezium/list/").json().toString()).contains("\"survivor\"");
            assertThat(secondApi.get("/debezium/connector/survivor/info/").json().path("state").asText()).isEqualTo("UNASSIGNED");
            String other = startBody("from-second").replace("\"topic_prefix\": \"db\"", "\"topic_prefix\": \"db2\"");
            assertThat(secondApi.post("/debezium/start/", other).status()).isEqualTo(201);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> "RUNNING".equals(api.get("/debezium/connector/from-second/info/").json().path("state").asText()));
            assertThat(secondApi.delete("/debezium/connector/from-second/delete/").status()).isEqualTo(204);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/debezium/connector/from-second/info/").status() == 404);
        }

        // restart: the definition comes back from the config topic, the connector resumes from its offsets
        long snapshotReads = TopicReader.readAll("db.public.person12").stream().filter(e -> "r".equals(e.op())).count();
        app.close();
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (21, 'while cdc-hub was down', null)");
        startApp();
        assertThat(api.get("/debezium/list/").json().toString()).contains("\"survivor\"");
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> "RUNNING".equals(api.get("/debezium/connector/survivor/info/").json().path("state").asText()));
        List<Event> events = TopicReader.await("db.public.person12",
                all -> all.stream().anyMatch(e -> "c".equals(e.op()) && e.key().path("id").asInt() == 21));
        assertThat(events.stream().filter(e -> "r".equals(e.op())).count()).as("no second snapshot: offsets survived").isEqualTo(snapshotReads);
        assertThat(api.delete("/debezium/connector/survivor/delete/").status()).isEqualTo(204);
    }

    @Test
    @Order(7)
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // a hang guard, not a performance target: without a bound, close() never returns
    void stopsWhileKafkaIsUnreachable() {
        assertThat(api.post("/debezium/start/", startBody("outage")).status()).isEqualTo(201);
        PG.execute(DATABASE, "INSERT INTO public.person12 VALUES (30, 'just before the outage', null)");
        TopicReader.await("db.public.person12", all -> all.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == 30));
        EmbeddedKafkaServer kafka = KafkaServer.shared();
        kafka.stop();
        try {
            // the engine's last commit, its offset store and the admin client all give up on Kafka within their bounds
            long started = System.nanoTime();
            app.close();
            System.out.printf("cdc-hub with a runtime connector stopped in %d ms while Kafka was unreachable%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            awaitNoOffsetStoreClients();
        } finally {
            kafka.start();
        }
        app = InProcessApp.start(settings);
        api = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
        awaitReady(api);
        assertThat(api.delete("/debezium/connector/outage/delete/").status()).isEqualTo(204);
    }

    /** Threads of runtime connectors' offset stores: their Kafka clients (topic it-admin-offsets, client ids cdc-hub-<name>-offsets...) and the store's own threads. */
    private static List<String> offsetStoreClients() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.contains("it-admin-offsets") || name.startsWith("offset-store-") || name.matches(".*\\| cdc-hub-.+-offsets.*")).sorted().toList();
    }

    private static void awaitNoOffsetStoreClients() {
        Awaitility.await("offset stores of stopped connectors closed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(ManagementApiIT::offsetStoreClients, List::isEmpty);
    }

    private static void assertField(AdminHttp.Reply reply, int status, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        JsonNode error = reply.json();
        assertThat(error.path("status").asInt()).isEqualTo(status);
        assertThat(error.path("message").asText()).isNotBlank();
        if (field != null) {
            assertThat(error.path("field").asText()).as(reply.toString()).isEqualTo(field);
        }
    }
}
