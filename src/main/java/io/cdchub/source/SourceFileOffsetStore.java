package io.cdchub.source;

import java.util.Map;

import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.storage.OffsetBackingStore;

/** Offsets in a local file (cdc.source.offset-store=file), written only past changes Kafka acknowledged. */
public class SourceFileOffsetStore extends SourceOffsetStore {

    @Override
    protected OffsetBackingStore createDelegate(Map<String, String> workerConfig) {
        return KafkaConnectUtil.fileOffsetBackingStore();
    }
}
