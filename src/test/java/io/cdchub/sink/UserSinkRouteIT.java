package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicWriter;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A route of the user's own in cdc.routes.dir (src/test/resources/user-sink-routes) feeds a topic the built-in sinks do
 * not read into the built-in ClickHouse sink, through the kafka-to-sink template: rows arrive (with the route's own
 * transform applied), a refused record is dead-lettered under the user's route id, and the built-in route runs beside it.
 */
class UserSinkRouteIT extends SinkContextIT {

    static final String FEED = "sit-partner-feed";

    @Autowired
    org.apache.camel.CamelContext camel;

    @Test
    void aUserRouteFeedsChosenTopicsIntoABuiltInSink() {
        assertThat(camel.getRoute("partner-feed-to-clickhouse")).isNotNull();
        assertThat(camel.getRoute("kafka-to-clickhouse")).isNotNull();

        TopicWriter.write(FEED, List.of(
                TopicWriter.Out.json("{\"id\":1}", SinkContractIT.envelope("partner_feed", 1, "\"first\"", "1")),
                TopicWriter.Out.json("{\"id\":2}", "{not json"),
                TopicWriter.Out.json("{\"id\":3}", SinkContractIT.envelope("partner_feed", 3, "\"third\"", "3"))));

        ClickHouseSinkIT.await("the feed's rows").until(() -> ClickHouseSinkIT.chRows("SELECT id, name FROM " + CLICKHOUSE_DB + ".partner_feed_current ORDER BY id"),
                rows -> rows.equals(List.of(Map.of("id", "1", "name", "first"), Map.of("id", "3", "name", "third"))));
        assertThat(ClickHouseSinkIT.chRows("SELECT _cdc_operation FROM " + CLICKHOUSE_DB + ".partner_feed_current"))
                .as("the route's transforms parameter").extracting(r -> r.get("_cdc_operation")).containsExactly("INSERT", "INSERT");
        var letters = ClickHouseSinkIT.await("the dead letter").until(() -> TopicReader.readAll(DLQ).stream()
                .filter(e -> FEED.equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC))).toList(), l -> !l.isEmpty());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).headers()).containsEntry(DeadLetterEnricher.ROUTE_ID, "partner-feed-to-clickhouse");
        ClickHouseSinkIT.await("the feed committed").until(() -> committedOffset("cdc-hub-partner-feed", FEED) == 3);
    }

    /**
     * A route file reloaded with other transforms (cdc.routes.reload removes the route and adds the edited one under the
     * same id) runs with the new ones: the route's runner is made afresh, not kept from the removed route.
     */
    @Test
    void aReloadedUserRouteRunsWithItsNewTransforms() throws Exception {
        String topic = "sit-reloaded-feed";
        String routeId = "reloaded-feed-to-clickhouse";
        addFeedRoute(routeId, topic, "partner-ops");
        TopicWriter.write(topic, List.of(TopicWriter.Out.json("{\"id\":1}", SinkContractIT.envelope("reloaded_feed", 1, "\"first\"", "1"))));
        ClickHouseSinkIT.await("the first row, transformed").until(() -> ClickHouseSinkIT.chRows(
                "SELECT id, _cdc_operation FROM " + CLICKHOUSE_DB + ".reloaded_feed_current ORDER BY id"),
                rows -> rows.equals(List.of(Map.of("id", "1", "_cdc_operation", "INSERT"))));

        // what a reload does: the old route is removed, the edited one (now without transforms) added under the same id
        camel.getRouteController().stopRoute(routeId);
        camel.removeRoute(routeId);
        addFeedRoute(routeId, topic, "");
        TopicWriter.write(topic, List.of(TopicWriter.Out.json("{\"id\":2}", SinkContractIT.envelope("reloaded_feed", 2, "\"second\"", "2"))));

        ClickHouseSinkIT.await("the second row").until(() -> ClickHouseSinkIT.chRows(
                "SELECT id FROM " + CLICKHOUSE_DB + ".reloaded_feed_current ORDER BY id"), rows -> rows.size() == 2);
        assertThat(ClickHouseSinkIT.chRows("SELECT _cdc_operation FROM " + CLICKHOUSE_DB + ".reloaded_feed_current WHERE id = 2"))
                .as("the reloaded route's transforms (none)").extracting(r -> r.get("_cdc_operation")).doesNotContain("INSERT");
        camel.getRouteController().stopRoute(routeId);
        camel.removeRoute(routeId);
    }

    private void addFeedRoute(String routeId, String topic, String transforms) throws Exception {
        TemplatedRouteBuilder.builder(camel, "kafka-to-sink").routeId(routeId).prefixId("reloaded-feed-")
                .parameter("sink", "clickhouse").parameter("topics", topic).parameter("groupId", "cdc-hub-reloaded-feed")
                .parameter("batchSize", "100").parameter("lingerMs", "100").parameter("transforms", transforms)
                .add();
    }
}
