package io.cdchub.gateway;

import java.util.Collection;
import java.util.Properties;
import java.util.regex.Pattern;

import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The kafka-to-gateway route's Kafka client (its endpoint's {@code kafkaClientFactory}, so no other route is affected):
 * a consumer that adds {@link GatewayHub#startLive} to the rebalance listener Camel subscribes with. Camel 4.17 offers
 * no per-endpoint rebalance listener (its {@code subscribeAdapter} is one registry bean for every Kafka consumer of the
 * context, and {@code seekTo}/{@code resumeStrategy} cannot seek to a time), hence the subclass.
 */
final class GatewayKafkaClientFactory extends DefaultKafkaClientFactory {

    private final GatewayHub hub;

    GatewayKafkaClientFactory(GatewayHub hub) {
        this.hub = hub;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Consumer getConsumer(Properties kafkaProps) {
        return new KafkaConsumer(kafkaProps) {
            @Override
            public void subscribe(Collection topics, ConsumerRebalanceListener listener) {
                super.subscribe(topics, new Positioning(this, listener));
            }

            @Override
            public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
                super.subscribe(pattern, new Positioning(this, listener));
            }
        };
    }

    /** Camel's listener first, then the gateway positions the newly assigned partitions. */
    private final class Positioning implements ConsumerRebalanceListener {

        private final Consumer<?, ?> consumer;
        private final ConsumerRebalanceListener camel;

        Positioning(Consumer<?, ?> consumer, ConsumerRebalanceListener camel) {
            this.consumer = consumer;
            this.camel = camel;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            camel.onPartitionsAssigned(partitions);
            hub.startLive(consumer, partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            camel.onPartitionsRevoked(partitions);
            hub.unassigned(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            camel.onPartitionsLost(partitions);
            hub.unassigned(partitions);
        }
    }
}
