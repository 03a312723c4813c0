package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.sink.clickhouse.ClickHouseSink;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.cdchub.testinfra.TopicWriter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.Filter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

/**
 * Issue 17 on real servers: rows a too-narrow ClickHouse column refuses are dead-lettered; a replay while the column is
 * still narrow sends them back to the dead-letter topic once each, with the new reason and a replay count; once the
 * column is widened, a replay filtered by route and reason brings exactly those rows into ClickHouse, and a second one
 * changes nothing. The API is called through the admin security filter (the shared sink context, no new one).
 */
class DeadLetterReplayIT extends SinkContextIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROUTE = ClickHouseSink.ROUTE_ID;
    private static final String REASON = "FixedString";

    @Autowired
    WebApplicationContext web;
    @Autowired
    @Qualifier("springSecurityFilterChain")
    Filter security;
    @Autowired
    MeterRegistry meters;

    MockMvc api;

    @BeforeEach
    void api() {
        api = MockMvcBuilders.webAppContextSetup(web).addFilters(security).build();
    }

    record Reply(int status, JsonNode json) {
    }

    Reply call(MockHttpServletRequestBuilder request, boolean authenticated) throws Exception {
        if (authenticated) {
            request.header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN);
        }
        MvcResult result = api.perform(request).andReturn();
        String body = result.getResponse().getContentAsString(StandardCharsets.UTF_8);
        return new Reply(result.getResponse().getStatus(), body.isEmpty() ? JSON.missingNode() : JSON.readTree(body));
    }

    Reply replay(String body) throws Exception {
        return call(post("/dlq/replay").contentType(MediaType.APPLICATION_JSON).content(body), true);
    }

    static List<Event> narrowLetters() {
        return TopicReader.readAll(DLQ).stream()
                .filter(e -> topic("dlq_replay").equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC)))
                .toList();
    }

    static Map<String, String> narrowRows() {
        Map<String, String> rows = new java.util.TreeMap<>();
        for (Map<String, String> row : ClickHouseSinkIT.chRows("SELECT id, name FROM " + CLICKHOUSE_DB + "." + NARROW_TABLE + " FINAL")) {
            rows.put(row.get("id"), row.get("name").replace("\u0000", ""));
        }
        return rows;
    }

    double replays(String outcome) {
        var counter = meters.find("cdc.dlq.replays").tag("route", ROUTE).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void rowsTooWideForAColumnAreReplayedOnceTheColumnIsWidenedAndASecondReplayChangesNothing() throws Exception {
        sql("INSERT INTO sinks.dlq_replay VALUES (1, 'short'), (2, 'a name too wide'), (3, 'fits'),"
                + " (4, 'another wide name'), (5, 'ok'), (6, 'wide, wide, wide')");
        ClickHouseSinkIT.await("the rows that fit").until(DeadLetterReplayIT::narrowRows,
                rows -> rows.equals(Map.of("1", "short", "3", "fits", "5", "ok")));
        List<Event> letters = ClickHouseSinkIT.await("three dead letters").until(DeadLetterReplayIT::narrowLetters, l -> l.size() == 3);
        assertThat(letters).allSatisfy(l -> assertThat(l.headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains(REASON));

        // admin only
        assertThat(call(get("/dlq"), false).status()).isEqualTo(401);

        // find: listed with their reasons, filtered by route and original topic
        Reply listed = call(get("/dlq").param("route", ROUTE).param("topic", topic("dlq_replay")), true);
        assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
        assertThat(listed.json().path("total").asInt()).isEqualTo(3);
        JsonNode first = listed.json().path("deadLetters").get(0);
        assertThat(first.path("routeId").asText()).isEqualTo(ROUTE);
        assertThat(first.path("originalTopic").asText()).isEqualTo(topic("dlq_replay"));
        assertThat(first.path("exceptionMessage").asText()).contains(REASON);
        assertThat(first.path("failedAt").asText()).isNotBlank();
        assertThat(call(get("/dlq").param("route", ROUTE).param("reason", REASON).param("limit", "2"), true).json().path("deadLetters")).hasSize(2);
        assertThat(call(get("/dlq").param("route", ROUTE).param("reason", REASON).param("offset", "2"), true).json().path("deadLetters")).hasSize(1);
        Reply summary = call(get("/dlq/summary").param("route", ROUTE).param("reason", REASON), true);
        assertThat(summary.json().path("total").asInt()).as(summary.toString()).isEqualTo(3);
        assertThat(summary.json().path("groups").get(0).path("routeId").asText()).isEqualTo(ROUTE);

        String filter = "{\"route\":\"" + ROUTE + "\",\"reason\":\"" + REASON + "\"";
        // dry run: how many would go where, nothing sent
        Reply dry = replay(filter + ",\"dryRun\":true}");
        assertThat(dry.status()).as(dry.toString()).isEqualTo(200);
        assertThat(dry.json().path("selected").asInt()).isEqualTo(3);
        assertThat(dry.json().path("targets").get(0).path("target").asText()).isEqualTo("sink clickhouse");
        assertThat(dry.json().path("targets").get(0).path("count").asInt()).isEqualTo(3);
        assertThat(narrowLetters()).hasSize(3);

        // replayed before the fix: each fails again, once, with its new reason and a replay count
        Reply tooEarly = replay(filter + "}");
        assertThat(tooEarly.status()).as(tooEarly.toString()).isEqualTo(200);
        assertThat(tooEarly.json().path("failedAgain").asInt()).isEqualTo(3);
        List<Event> again = narrowLetters();
        assertThat(again).hasSize(6);
        assertThat(again.subList(3, 6)).allSatisfy(l -> {
            assertThat(l.headers()).containsEntry(DeadLetterEnricher.REPLAY_COUNT, "1").containsEntry(DeadLetterEnricher.ROUTE_ID, ROUTE)
                    .containsEntry(DeadLetterEnricher.ORIGINAL_TOPIC, topic("dlq_replay")).containsKey(DeadLetterEnricher.REPLAY_OF);
            assertThat(l.headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains(REASON);
        });
        assertThat(replays("failed-again")).isEqualTo(3);

        // fix: widen the column
        ClickHouseSinkIT.clickhouse().query("ALTER TABLE " + CLICKHOUSE_DB + "." + NARROW_TABLE + " MODIFY COLUMN name String");

        // replay: the originals were replayed already, their second failures go now, into ClickHouse only
        Reply replayed = replay(filter + "}");
        assertThat(replayed.status()).as(replayed.toString()).isEqualTo(200);
        assertThat(replayed.json().path("replayed").asInt()).isEqualTo(3);
        assertThat(replayed.json().path("alreadyReplayed").asInt()).isEqualTo(3);
        Map<String, String> expected = Map.of("1", "short", "2", "a name too wide", "3", "fits", "4", "another wide name", "5", "ok",
                "6", "wide, wide, wide");
        assertThat(narrowRows()).isEqualTo(expected);
        assertThat(narrowLetters()).hasSize(6);
        assertThat(replays("replayed")).isEqualTo(3);

        // a second identical replay changes nothing; force replays again (the sink is idempotent)
        Reply second = replay(filter + "}");
        assertThat(second.json().path("replayed").asInt()).as(second.toString()).isZero();
        assertThat(second.json().path("alreadyReplayed").asInt()).isEqualTo(6);
        assertThat(narrowRows()).isEqualTo(expected);
        assertThat(narrowLetters()).hasSize(6);
        assertThat(replays("skipped")).isEqualTo(3 + 6);
        Reply listedAfter = call(get("/dlq").param("route", ROUTE).param("reason", REASON), true);
        assertThat(listedAfter.json().path("deadLetters")).allSatisfy(l -> assertThat(l.path("replay").path("outcome").asText()).isNotBlank());

        // the replay records are in Kafka (a compacted topic), so they hold after a restart and on any instance
        assertThat(TopicReader.readAll("sit.dlq-replays")).hasSize(6);
    }

    @Test
    void badRequestsAreRefusedWithTheirReason() throws Exception {
        assertThat(call(get("/dlq").param("from", "yesterday"), true).status()).isEqualTo(400);
        assertThat(call(get("/dlq").param("from", "2026-01-02T00:00:00Z").param("until", "2026-01-01T00:00:00Z"), true).status()).isEqualTo(400);
        assertThat(call(get("/dlq").param("limit", "0"), true).status()).isEqualTo(400);
        Reply unknownField = replay("{\"route\":\"x\",\"dryrun\":true}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.json().path("field").asText()).isEqualTo("dryrun");
        assertThat(replay("{}").status()).as("a replay must choose").isEqualTo(400);
        assertThat(replay("{\"route\":\"x\",\"offsets\":[{\"partition\":0,\"offset\":0}]}").status()).isEqualTo(400);
        Reply missing = replay("{\"offsets\":[{\"partition\":0,\"offset\":999999}]}");
        assertThat(missing.status()).as(missing.toString()).isEqualTo(404);

        // a dead letter of a route that replays do not support (the aggregation): refused, nothing sent
        TopicWriter.write(DLQ, List.of(new TopicWriter.Out("{\"id\":1}".getBytes(StandardCharsets.UTF_8), "{\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8),
                Map.of(DeadLetterEnricher.ROUTE_ID, "kafka-to-aggregation", DeadLetterEnricher.EXCEPTION_CLASS, "java.lang.IllegalStateException",
                        DeadLetterEnricher.EXCEPTION_MESSAGE, "window store down", DeadLetterEnricher.ORIGINAL_TOPIC, "sit.sinks.items"))));
        Reply unsupported = replay("{\"route\":\"kafka-to-aggregation\"}");
        assertThat(unsupported.status()).as(unsupported.toString()).isEqualTo(422);
        assertThat(unsupported.json().path("message").asText()).contains("kafka-to-aggregation");
        Reply dry = replay("{\"route\":\"kafka-to-aggregation\",\"dryRun\":true}");
        assertThat(dry.status()).isEqualTo(200);
        assertThat(dry.json().path("unreplayable").get(0).path("count").asInt()).isEqualTo(1);
    }

    @Test
    void aSourceDeadLetterGoesBackToItsOriginalTopicOnce() throws Exception {
        String original = "sit.replayed-source";
        String event = "{\"before\":null,\"after\":{\"id\":7,\"name\":\"big\"},\"source\":{\"connector\":\"postgresql\",\"schema\":\"sinks\","
                + "\"table\":\"replayed_source\",\"lsn\":77},\"op\":\"c\",\"ts_ms\":1}";
        TopicWriter.write(DLQ, List.of(new TopicWriter.Out("{\"id\":7}".getBytes(StandardCharsets.UTF_8), event.getBytes(StandardCharsets.UTF_8),
                Map.of(DeadLetterEnricher.ROUTE_ID, "postgres-to-kafka",
                        DeadLetterEnricher.EXCEPTION_CLASS, org.apache.kafka.common.errors.RecordTooLargeException.class.getName(),
                        DeadLetterEnricher.EXCEPTION_MESSAGE, "The message is 2000000 bytes when serialized", DeadLetterEnricher.ORIGINAL_TOPIC, original))));
        Event letter = TopicReader.readAll(DLQ).stream().filter(e -> original.equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC))).findFirst().orElseThrow();
        String byOffset = "{\"offsets\":[{\"partition\":" + letter.partition() + ",\"offset\":" + letter.offset() + "}]}";

        Reply dry = replay(byOffset.replace("]}", "],\"dryRun\":true}"));
        assertThat(dry.json().path("targets").get(0).path("target").asText()).as(dry.toString()).isEqualTo("topic " + original);
        Reply replayed = replay(byOffset);
        assertThat(replayed.json().path("replayed").asInt()).as(replayed.toString()).isEqualTo(1);
        List<Event> published = TopicReader.readAll(original);
        assertThat(published).hasSize(1);
        assertThat(published.get(0).value().path("after").path("id").asInt()).isEqualTo(7);
        assertThat(published.get(0).headers()).containsEntry("cdc.op", "c").containsEntry("cdc.schema", "sinks")
                .containsEntry("cdc.table", "replayed_source").containsEntry("cdc.lsn", "77").containsEntry("cdc.format", "cdc-hub");

        assertThat(replay(byOffset).json().path("alreadyReplayed").asInt()).isEqualTo(1);
        assertThat(TopicReader.readAll(original)).hasSize(1);
    }

    @Test
    void theOpenApiDocumentDescribesTheDeadLetterApi() throws Exception {
        Reply doc = call(get("/v3/api-docs"), false);
        assertThat(doc.status()).isEqualTo(200);
        assertThat(doc.json().path("paths").has("/dlq")).isTrue();
        assertThat(doc.json().path("paths").has("/dlq/summary")).isTrue();
        assertThat(doc.json().path("paths").path("/dlq/replay").has("post")).isTrue();
        assertThat(doc.json().path("components").path("schemas").has("DeadLetterReplayRequest")).isTrue();
    }
}
