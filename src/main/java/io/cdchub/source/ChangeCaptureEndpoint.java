package io.cdchub.source;

import java.util.Properties;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * One capture: its settings, the JSON converters of the debezium form, and the Kafka producer its route publishes
 * with (made from {@code camel.component.kafka.*}, so it has every client setting the kafka component has: brokers,
 * security, acks, idempotence, batching).
 */
public class ChangeCaptureEndpoint extends DefaultEndpoint implements ChangeCapture {

    private final CaptureSettings settings;
    private final JsonConverter keyConverter;
    private final JsonConverter valueConverter;
    private volatile org.apache.kafka.clients.producer.Producer<byte[], byte[]> producer;

    ChangeCaptureEndpoint(String uri, ChangeCaptureComponent component, CaptureSettings settings) {
        super(uri, component);
        this.settings = settings;
        this.keyConverter = settings.jsonConverter(true);
        this.valueConverter = settings.jsonConverter(false);
    }

    @Override
    public CaptureSettings settings() {
        return settings;
    }

    @Override
    public JsonConverter keyConverter() {
        return keyConverter;
    }

    @Override
    public JsonConverter valueConverter() {
        return valueConverter;
    }

    /** The producer of the running engine; a new one after each engine (re)start. */
    @Override
    public org.apache.kafka.clients.producer.Producer<byte[], byte[]> producer() {
        org.apache.kafka.clients.producer.Producer<byte[], byte[]> current = producer;
        if (current == null) {
            throw new IllegalStateException("The capture " + settings.name() + " is not running");
        }
        return current;
    }

    void openProducer() {
        producer = openProducer(getCamelContext(), "cdc-hub-source-" + settings.name());
    }

    /**
     * A producer with every client setting of Camel's kafka component ({@code camel.component.kafka.*}: brokers,
     * security, acks, idempotence, batching), as every source publishes with.
     */
    @SuppressWarnings("unchecked")
    public static org.apache.kafka.clients.producer.Producer<byte[], byte[]> openProducer(org.apache.camel.CamelContext camel, String clientId) {
        KafkaComponent kafka = camel.getComponent("kafka", KafkaComponent.class);
        KafkaConfiguration configuration = kafka.getConfiguration().copy();
        KafkaClientFactory factory = kafka.getKafkaClientFactory();
        Properties props = configuration.createProducerProperties();
        String brokers = factory.getBrokers(configuration);
        if (brokers != null) {
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        }
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return factory.getProducer(props);
    }

    /** Closes the producer within the client factory's bound: unsent records are safe to drop, offsets never passed them. */
    void closeProducer() {
        org.apache.kafka.clients.producer.Producer<byte[], byte[]> current = producer;
        producer = null;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("cdc-source endpoints are consumers only");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        ChangeCaptureConsumer consumer = new ChangeCaptureConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }
}
