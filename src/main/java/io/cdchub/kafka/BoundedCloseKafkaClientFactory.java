package io.cdchub.kafka;

import java.time.Duration;
import java.util.Properties;

import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Camel's Kafka producer closes its client with no time limit. cdc-hub's producers retry without end
 * while Kafka is away (so no change is ever dropped), which would make a shutdown during an outage
 * hang forever. Unsent records are safe to abandon: the source offsets never passed them.
 */
public class BoundedCloseKafkaClientFactory extends DefaultKafkaClientFactory {

    private final Duration closeTimeout;

    public BoundedCloseKafkaClientFactory(Duration closeTimeout) {
        this.closeTimeout = closeTimeout;
    }

    @Override
    public Producer getProducer(Properties kafkaProps) {
        return new KafkaProducer<>(kafkaProps) {
            @Override
            public void close() {
                close(closeTimeout);
            }
        };
    }
}
