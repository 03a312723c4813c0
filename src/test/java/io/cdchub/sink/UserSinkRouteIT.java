package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicWriter;
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
}
