package io.cdchub.source;

import java.util.Map;

import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.storage.OffsetBackingStore;

/** Offsets in a compacted Kafka topic (cdc.source.offset-store=kafka), written only past acknowledged changes. */
public class AckGatedKafkaOffsetStore extends AckGatedOffsetStore {

    @Override
    protected OffsetBackingStore createDelegate(Map<String, String> workerConfig) {
        return KafkaConnectUtil.kafkaOffsetBackingStore(workerConfig);
    }
}
