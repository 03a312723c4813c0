package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import io.cdchub.change.ChangeEvent;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;

/**
 * Drives a sink as the runner does, without a route: records as the Kafka consumer hands them over, prepared and written
 * request by request. For tests of a sink's own guarantees (replays, restarts, concurrent instances).
 */
public final class SinkDriver {

    private static final DefaultCamelContext CAMEL = new DefaultCamelContext();

    private SinkDriver() {
    }

    /** Prepares and writes the events as one batch; no event may be refused. Returns the items written. */
    public static <I> int write(Sink<I> sink, List<ChangeEvent> events) {
        List<String> refused = new ArrayList<>();
        Sink.Preparation preparation = new Sink.Preparation() {
            @Override
            public <T> SinkRequest<T> request(String target, List<ChangeEvent> batch, Function<ChangeEvent, T> convert) {
                return new SinkRequest<>(target, batch, batch.stream().map(convert).toList());
            }

            @Override
            public void refuse(ChangeEvent event, RejectedRecordException reason) {
                refused.add(reason.getMessage());
            }
        };
        int written = 0;
        for (SinkRequest<I> request : sink.prepare(events, preparation)) {
            written += sink.write(request).written();
        }
        assertThat(refused).isEmpty();
        return written;
    }

    /**
     * A consumed record's change event.
     *
     * @param group the consumer group of the sink route that read it (the Iceberg sink keeps offsets by group); null: none
     */
    public static ChangeEvent record(String topic, int partition, long offset, String group, String key, String value) {
        Exchange record = new DefaultExchange(CAMEL);
        if (group != null) {
            record.getExchangeExtension().setFromEndpoint(CAMEL.getEndpoint("kafka:" + topic + "?groupId=" + group, KafkaEndpoint.class));
        }
        record.getMessage().setBody(value.getBytes(StandardCharsets.UTF_8));
        record.getMessage().setHeader(KafkaConstants.KEY, key.getBytes(StandardCharsets.UTF_8));
        record.getMessage().setHeader(KafkaConstants.TOPIC, topic);
        record.getMessage().setHeader(KafkaConstants.PARTITION, partition);
        record.getMessage().setHeader(KafkaConstants.OFFSET, offset);
        return ChangeEvent.parse(record);
    }

    /** A Debezium change event's JSON value from PostgreSQL {@code schema.table} at {@code lsn}, committed at ts_ms 1709207130000. */
    public static String change(String schema, String table, String op, String before, String after, long lsn) {
        return "{\"before\":" + before + ",\"after\":" + after + ",\"source\":{\"connector\":\"postgresql\",\"schema\":\"" + schema
                + "\",\"table\":\"" + table + "\",\"lsn\":" + lsn + ",\"ts_ms\":1709207130000},\"op\":\"" + op + "\",\"ts_ms\":1709207130001}";
    }
}
