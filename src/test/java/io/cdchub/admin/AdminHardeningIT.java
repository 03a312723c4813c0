package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicWriter;
import org.apache.camel.CamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 14, sections 2 and 3, against real PostgreSQL and Kafka: configuration never becomes code (stored
 * definitions validated on every read, start failures a 400, masked secrets never reused for another server,
 * cdc-hub's own and live topics not deleted by accident) and the admin surface refuses what a browser can be
 * made to send from another site (simple cross-site requests) and bodies beyond cdc.admin.max-request-bytes.
 */
class AdminHardeningIT {

    private static final String DATABASE = "hardening";
    private static final String CONFIG_TOPIC = "it-hardening-configs";
    private static final String DLQ_TOPIC = "it-hardening.dlq";
    private static final PostgresServer PG = PostgresServer.shared();

    private static ConfigurableApplicationContext app;
    private static AdminHttp api;
    private static AdminHttp connect;
    private static String base;
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

    @BeforeAll
    static void start() {
        PG.createDatabase(DATABASE);
        PG.execute(DATABASE, "CREATE TABLE IF NOT EXISTS public.things (id int PRIMARY KEY, name text)");
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.admin.config-topic", CONFIG_TOPIC);
        settings.put("cdc.admin.offset-topic", "it-hardening-offsets");
        settings.put("cdc.dlq.topic", DLQ_TOPIC);
        settings.put("cdc.admin.max-request-bytes", "65536");
        app = InProcessApp.start(settings);
        LOG.start(); // after the start: Spring Boot's logging set-up resets Logback
        ((Logger) LoggerFactory.getLogger(ConnectorService.class)).addAppender(LOG);
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
        api = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
        connect = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty(ConnectPortConfiguration.LOCAL_PORT_PROPERTY)));
        Awaitility.await("connector definitions loaded").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.get("/debezium/list/").status() == 200);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger(ConnectorService.class)).detachAppender(LOG);
        if (app != null) {
            app.close();
        }
    }

    /** A Connect-style config of the test database; extra entries are appended as given. */
    private static String connectConfig(String slot, String prefix, String extra) {
        return """
                {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "database.hostname": "%s", \
                "database.port": "%d", "database.user": "%s", "database.password": "stored-secret", "database.dbname": "%s", \
                "topic.prefix": "%s", "table.include.list": "public.things", "slot.name": "%s"%s}"""
                .formatted(PG.host(), PG.port(), PostgresServer.USER, DATABASE, prefix, slot, extra);
    }

    // ---- 2a: definitions read back from the config topic are validated again

    @Test
    void anInvalidStoredDefinitionIsNeverRunAndShownFailedWithTheReason() {
        // written straight to the config topic, past the API: a value the API refuses, and a name it refuses
        String evil = """
                {"name": "stored-evil", "state": "RUNNING", "restarts": 0, "config": {"connector.class": \
                "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1", "database.hostname": "{{sys:user.name}}", \
                "database.port": "%d", "database.user": "%s", "database.dbname": "%s", "topic.prefix": "evil", "plugin.name": "pgoutput", \
                "slot.name": "stored_evil", "publication.name": "stored_evil_pub"}}""".formatted(PG.port(), PostgresServer.USER, DATABASE);
        String badName = evil.replace("\"stored-evil\"", "\"bad name!\"");
        TopicWriter.write(CONFIG_TOPIC, List.of(TopicWriter.Out.json("stored-evil", evil), TopicWriter.Out.json("bad name!", badName)));

        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/debezium/list/").body().contains("stored-evil"));
        JsonNode list = api.get("/debezium/list/").json();
        assertThat(list.toString()).contains("{\"name\":\"stored-evil\",\"state\":\"FAILED\"}").doesNotContain("bad name!");
        JsonNode info = api.get("/debezium/connector/stored-evil/info/").json();
        assertThat(info.path("state").asText()).isEqualTo("FAILED");
        assertThat(info.path("error").asText()).contains("database.hostname").contains("invalid");
        JsonNode status = connect.get("/connectors/stored-evil/status").json();
        assertThat(status.path("connector").path("state").asText()).isEqualTo("FAILED");
        assertThat(status.path("connector").path("trace").asText()).contains("database.hostname");
        assertThat(app.getBean(CamelContext.class).getRoute(ConnectorRuntime.sourceRouteId("stored-evil"))).as("never run").isNull();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> LOG.list.stream().map(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.contains("bad name!") && m.contains("Skipping")));
        assertThat(LOG.list.stream().map(ILoggingEvent::getFormattedMessage))
                .anyMatch(m -> m.contains("stored-evil") && m.contains("database.hostname"));

        // it can still be deleted
        assertThat(api.delete("/debezium/connector/stored-evil/delete/").status()).isEqualTo(204);
        assertThat(api.get("/debezium/connector/stored-evil/info/").status()).isEqualTo(404);
    }

    // ---- 2b: a start that cannot work is a 400 with the reason, never a 500

    @Test
    void aConfigurationThatCannotStartIsA400WithTheReason() {
        PG.execute(DATABASE, "DO $$ BEGIN CREATE ROLE no_replication LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "GRANT SELECT ON public.things TO no_replication");
        String body = """
                {"name": "no-replication", "config": {"connector_class": "io.debezium.connector.postgresql.PostgresConnector", \
                "database_hostname": "%s", "database_port": "%d", "database_user": "no_replication", "database_password": "x", \
                "database_dbname": "%s", "topic_prefix": "norepl", "table_include_list": "public.things"}}"""
                .formatted(PG.host(), PG.port(), DATABASE);
        AdminHttp.Reply noReplication = api.post("/debezium/start/", body);
        assertThat(noReplication.status()).as(noReplication.toString()).isEqualTo(400);
        assertThat(noReplication.json().path("field").asText()).isEqualTo("config.database_user");
        assertThat(noReplication.json().path("message").asText()).contains("REPLICATION");
        assertThat(api.get("/debezium/connector/no-replication/info/").status()).isEqualTo(404);

        // a value Debezium's engine would refuse when it starts (a key of the engine, not of the connector): found before starting
        String typed = body.replace("no_replication", PostgresServer.USER).replace("\"norepl\"", "\"typed\"")
                .replace("\"no-replication\"", "\"typed-option\"")
                .replace("\"table_include_list\"", "\"record_processing_shutdown_timeout_ms\": \"soon\", \"table_include_list\"");
        AdminHttp.Reply typedOption = api.post("/debezium/start/", typed);
        assertThat(typedOption.status()).as(typedOption.toString()).isEqualTo(400);
        assertThat(typedOption.json().path("field").asText()).isEqualTo("config.record_processing_shutdown_timeout_ms");
        assertThat(typedOption.json().path("message").asText()).contains("soon");
        assertThat(api.get("/debezium/connector/typed-option/info/").status()).isEqualTo(404);
    }

    // ---- 2c: a masked secret is never sent to another server; every secret-like key is masked

    @Test
    void aMaskedPasswordIsRefusedForAnotherServerAndSecretLikeKeysAreMasked() {
        String extra = ", \"signal.consumer.ssl.keystore.key\": \"PRIVATE-KEY\", \"custom.access.token\": \"TOKEN-VALUE\", "
                + "\"signal.consumer.sasl.jaas.config\": \"JAAS-VALUE\", \"notification.client.secret\": \"SECRET-VALUE\"";
        AdminHttp.Reply created = connect.put("/connectors/masked/config", connectConfig("masked", "masked", extra));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        try {
            for (AdminHttp.Reply shown : List.of(connect.get("/connectors/masked/config"), connect.get("/connectors/masked"),
                    connect.get("/connectors/masked/tasks"), connect.get("/connectors?expand=info"), api.get("/debezium/connector/masked/info/"))) {
                assertThat(shown.status()).isEqualTo(200);
                assertThat(shown.body()).contains("********").doesNotContain("stored-secret", "PRIVATE-KEY", "TOKEN-VALUE", "JAAS-VALUE",
                        "SECRET-VALUE");
            }
            String masked = connect.get("/connectors/masked/config").body();

            // the same server: the masks keep the stored values
            AdminHttp.Reply same = connect.put("/connectors/masked/config", masked.replace("\"public.things\"", "\"public\\\\.things\""));
            assertThat(same.status()).as(same.toString()).isEqualTo(200);
            Map<String, String> stored = app.getBean(ConnectorService.class).get("masked").config();
            assertThat(stored).containsEntry("database.password", "stored-secret").containsEntry("custom.access.token", "TOKEN-VALUE")
                    .containsEntry("signal.consumer.ssl.keystore.key", "PRIVATE-KEY");

            // another server, port, database or user with a masked secret: refused, naming the field
            for (String[] change : new String[][] {
                    {"\"database.hostname\":\"" + PG.host() + "\"", "\"database.hostname\":\"elsewhere.example\"", "database.hostname"},
                    {"\"database.port\":\"" + PG.port() + "\"", "\"database.port\":\"5999\"", "database.port"},
                    {"\"database.dbname\":\"" + DATABASE + "\"", "\"database.dbname\":\"otherdb\"", "database.dbname"},
                    {"\"database.user\":\"" + PostgresServer.USER + "\"", "\"database.user\":\"someone\"", "database.user"}}) {
                assertThat(masked).contains(change[0]);
                AdminHttp.Reply moved = connect.put("/connectors/masked/config", masked.replace(change[0], change[1]));
                assertThat(moved.status()).as(moved.toString()).isEqualTo(400);
                assertThat(moved.json().path("field").asText()).isEqualTo(change[2]);
                assertThat(moved.json().path("message").asText()).contains("database.password");
            }
            assertThat(app.getBean(ConnectorService.class).get("masked").config()).containsEntry("database.hostname", PG.host());
        } finally {
            assertThat(connect.delete("/connectors/masked").status()).isEqualTo(204);
        }
    }

    // ---- 2d: cdc-hub's own topics and live change topics are deleted only with force=true

    @Test
    void deletingTheDeadLetterOrALiveChangeTopicNeedsForce() {
        for (String topic : List.of(DLQ_TOPIC, "live.public.things")) {
            AdminHttp.Reply created = api.post("/topic/create", "{\"topic_name\": \"" + topic + "\"}");
            assertThat(created.status()).as(created.toString()).isIn(201, 409);
        }
        AdminHttp.Reply live = connect.put("/connectors/live/config", connectConfig("live", "live", ""));
        assertThat(live.status()).as(live.toString()).isEqualTo(201);
        try {
            AdminHttp.Reply dlq = api.delete("/topic/delete?topic_name=" + DLQ_TOPIC);
            assertThat(dlq.status()).as(dlq.toString()).isEqualTo(409);
            assertThat(dlq.json().path("message").asText()).contains("dead-letter").contains("force=true");
            AdminHttp.Reply change = api.delete("/topic/delete?topic_name=live.public.things");
            assertThat(change.status()).as(change.toString()).isEqualTo(409);
            assertThat(change.json().path("message").asText()).contains("connector live").contains("force=true");
            AdminHttp.Reply configs = api.delete("/topic/delete?topic_name=" + CONFIG_TOPIC);
            assertThat(configs.status()).isEqualTo(409);
            assertThat(configs.json().path("message").asText()).contains("force=true");

            assertThat(api.delete("/topic/delete?topic_name=" + DLQ_TOPIC + "&force=true").status()).isEqualTo(204);
            assertThat(api.delete("/topic/delete?topic_name=live.public.things&force=true").status()).isEqualTo(204);
        } finally {
            assertThat(connect.delete("/connectors/live").status()).isEqualTo(204);
        }
    }

    // ---- 3f: state-changing calls a page of another site can make the browser send are refused

    @Test
    void simpleCrossSiteRequestsAreRefused() throws Exception {
        String create = "{\"topic_name\": \"csrf-topic\"}";
        // a form post: not JSON
        HttpResponse<String> form = send("POST", "/topic/create", "application/x-www-form-urlencoded", "topic_name=csrf-topic", null);
        assertThat(form.statusCode()).as(form.body()).isEqualTo(415);
        HttpResponse<String> text = send("POST", "/topic/create", "text/plain", create, null);
        assertThat(text.statusCode()).as(text.body()).isEqualTo(415);
        HttpResponse<String> noType = send("POST", "/topic/create", null, create, null);
        assertThat(noType.statusCode()).as(noType.body()).isEqualTo(415);
        // a foreign Origin, even with JSON (which a page can only send after a CORS preflight nobody answers)
        HttpResponse<String> foreign = send("POST", "/topic/create", "application/json", create, "https://evil.example");
        assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(403);
        assertThat(foreign.body()).contains("Origin");
        HttpResponse<String> foreignDelete = send("DELETE", "/topic/delete?topic_name=csrf-topic", null, null, "https://evil.example");
        assertThat(foreignDelete.statusCode()).isEqualTo(403);
        HttpResponse<String> foreignJolokia = send("POST", "/actuator/jolokia", "text/plain", "{\"type\":\"version\"}", "https://evil.example");
        assertThat(foreignJolokia.statusCode()).isEqualTo(403);
        assertThat(api.get("/topic/config?topic_name=csrf-topic").status()).as("nothing was created").isEqualTo(404);

        // the same origin, JSON: accepted; a JSON type with a charset too
        HttpResponse<String> same = send("POST", "/topic/create", "application/json; charset=utf-8", create, base);
        assertThat(same.statusCode()).as(same.body()).isEqualTo(201);
        assertThat(send("DELETE", "/topic/delete?topic_name=csrf-topic", null, null, base).statusCode()).isEqualTo(204);
        // reads are not refused for their type
        assertThat(send("GET", "/topic/list", null, null, null).statusCode()).isEqualTo(200);
    }

    // ---- 3j: bodies are bounded

    @Test
    void aBodyBeyondTheLimitIsA413() throws Exception {
        String big = "{\"topic_name\": \"big\", \"pad\": \"" + "x".repeat(70_000) + "\"}";
        HttpResponse<String> tooBig = send("POST", "/topic/create", "application/json", big, null);
        assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(413);
        assertThat(tooBig.body()).contains("cdc.admin.max-request-bytes");
        // without a Content-Length (chunked): counted while read
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(base + "/debezium/start/")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes()))).build();
        HttpResponse<String> chunkedReply = HttpClient.newHttpClient().send(chunked, HttpResponse.BodyHandlers.ofString());
        assertThat(chunkedReply.statusCode()).as(chunkedReply.body()).isEqualTo(413);
        AdminHttp.Reply connectBig = connect.put("/connectors/big/config", big);
        assertThat(connectBig.status()).as(connectBig.toString()).isEqualTo(413);
        // within the limit: answered as before
        assertThat(api.post("/topic/create", "{\"topic_name\": \"small\", \"pad\": 1}").status()).isEqualTo(400);
    }

    private static HttpResponse<String> send(String method, String path, String contentType, String body, String origin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (origin != null) {
            request.header("Origin", origin);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
