package io.cdchub.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.cdchub.testinfra.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The one Redis step a consumer makes per poll ({@link WindowStore#add}), on the test Redis: a poll split exactly at
 * max_event, several windows completed by one poll, a poll stored again (a retry, a record read twice) counted once,
 * and a window changed by another writer refused.
 */
class WindowStoreIT {

    private static LettuceConnectionFactory connections;
    private static WindowStore store;

    @BeforeAll
    static void start() {
        RedisServer redis = RedisServer.shared();
        connections = new LettuceConnectionFactory(redis.host(), redis.port());
        connections.afterPropertiesSet();
        connections.start();
        StringRedisTemplate template = new StringRedisTemplate(connections);
        template.afterPropertiesSet();
        store = new WindowStore(template, new AggregationProperties(true, "window-store-it", java.time.Duration.ofSeconds(5),
                java.time.Duration.ofSeconds(1), 1000, java.time.Duration.ofSeconds(30), 20, new AggregationProperties.Retry(500, 30000),
                100000, 604800, 30000));
    }

    @AfterAll
    static void stop() {
        connections.destroy();
    }

    /** Events of partition 0 at offsets from..to-1, keys k0..k(keys-1) in turn, LSN = 100 + offset. */
    private static List<AggregationEvent> events(int from, int to, int keys) {
        List<AggregationEvent> events = new ArrayList<>();
        for (int offset = from; offset < to; offset++) {
            events.add(new AggregationEvent("t", 0, offset, "{\"id\":" + offset % keys + "}", Long.toString(100 + offset), "{\"o\":" + offset + "}"));
        }
        return events;
    }

    @Test
    void aPollIsSplitExactlyAtMaxEventAndStoredAgainCountsNothing() {
        String consumer = "split-" + UUID.randomUUID();
        WindowStore.Stored first = store.add(consumer, null, events(0, 10, 3), 4);

        assertThat(first.completed()).hasSize(2);
        assertThat(store.pending(consumer)).isEqualTo(first.completed());
        for (String windowId : first.completed()) {
            assertThat(store.completedMeta(consumer, windowId)).containsEntry("count", "4");
        }
        // window 1 holds offsets 0-3 (keys 0, 1, 2, 0: the latest of key 0 is offset 3), window 2 offsets 4-7
        assertThat(store.completedEvents(consumer, first.completed().get(0)).stream().map(WindowEvents::fromStored).map(AggregationEvent::offset))
                .containsExactlyInAnyOrder(3L, 1L, 2L);
        assertThat(store.completedEvents(consumer, first.completed().get(1)).stream().map(WindowEvents::fromStored).map(AggregationEvent::offset))
                .containsExactlyInAnyOrder(6L, 7L, 5L);
        Window open = store.open(consumer);
        assertThat(open.count()).isEqualTo(2);
        assertThat(open.windowId()).isEqualTo(first.open().windowId());

        // the same poll again (its reply was lost, or its records were read twice): nothing added, nothing completed
        WindowStore.Stored again = store.add(consumer, first.open(), events(0, 10, 3), 4);
        assertThat(again.completed()).isEmpty();
        assertThat(store.open(consumer).count()).isEqualTo(2);
        assertThat(store.pending(consumer)).hasSize(2);

        // a poll overlapping the last: only the new records count, the open window completes at its 4th
        WindowStore.Stored next = store.add(consumer, again.open(), events(8, 13, 3), 4);
        assertThat(next.completed()).containsExactly(open.windowId());
        assertThat(store.completedMeta(consumer, open.windowId())).containsEntry("count", "4");
        assertThat(store.open(consumer).count()).isEqualTo(1);
    }

    @Test
    void maxEventOneCompletesAWindowPerEvent() {
        String consumer = "one-" + UUID.randomUUID();
        WindowStore.Stored stored = store.add(consumer, null, events(0, 5, 5), 1);
        assertThat(stored.completed()).hasSize(5).doesNotHaveDuplicates();
        assertThat(stored.open()).isNull();
        assertThat(store.open(consumer)).isNull();
        assertThat(store.pending(consumer)).isEqualTo(stored.completed());
    }

    @Test
    void aWindowChangedByAnotherWriterIsRefusedAndTheTimerCompletesWhatIsOpen() {
        String consumer = "conflict-" + UUID.randomUUID();
        WindowStore.Stored mine = store.add(consumer, null, events(0, 2, 5), 10);
        // another instance adds to the window meanwhile
        store.add(consumer, store.open(consumer), events(2, 3, 5), 10);
        assertThat(store.add(consumer, mine.open(), events(3, 4, 5), 10)).as("stale version").isNull();
        assertThat(store.add(consumer, null, events(3, 4, 5), 10)).as("a window is open").isNull();

        Window open = store.open(consumer);
        assertThat(open.count()).isEqualTo(3);
        assertThat(store.complete(mine.open())).as("stale version").isFalse();
        assertThat(store.complete(open)).isTrue();
        assertThat(store.open(consumer)).isNull();
        assertThat(store.pending(consumer)).containsExactly(open.windowId());
        assertThat(store.completedMeta(consumer, open.windowId())).containsEntry("count", "3").containsKey("completed");
    }
}
