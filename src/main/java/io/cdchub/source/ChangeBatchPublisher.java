package io.cdchub.source;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.camel.Exchange;
import org.apache.camel.FluentProducerTemplate;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.springframework.stereotype.Component;

/**
 * Publishes a {@link ChangeBatch}'s records to Kafka and returns only when Kafka has acknowledged every one of them
 * (acks=all, idempotent, in capture order per partition), so the capture's offsets may pass the batch. While Kafka
 * is unreachable the producer retries without end and this waits: nothing is dead-lettered for an outage.
 *
 * <p>A record Kafka refuses for its size is dead-lettered with the reason, and so is a change the writer could not
 * turn into an event; any other refusal fails the batch, and the capture restarts from its committed offsets.
 *
 * <p>The records are sent with the Kafka client itself rather than through Camel's kafka producer: a batch needs each
 * record's own outcome (which one was too large), and Camel's producer reports one outcome per exchange. The client
 * is made from {@code camel.component.kafka.*} (see {@link ChangeCaptureEndpoint}), so its settings are the same.
 */
@Component("changeBatchPublisher")
public class ChangeBatchPublisher implements Processor {

    private final ChangeTopics topics;

    public ChangeBatchPublisher(ChangeTopics topics) {
        this.topics = topics;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        ChangeBatch batch = exchange.getIn().getBody(ChangeBatch.class);
        List<ProducerRecord<byte[], byte[]>> records = batch.records();
        int count = records.size();
        if (count > 0) {
            publish(batch.capture(), batch, records, count);
        }
        if (!batch.deadLetters().isEmpty()) {
            deadLetter(exchange, batch.deadLetters());
        }
    }

    private void publish(ChangeCapture endpoint, ChangeBatch batch, List<ProducerRecord<byte[], byte[]>> records, int count)
            throws InterruptedException, ExecutionException {
        Producer<byte[], byte[]> producer = endpoint.producer();
        SourceStatus status = endpoint.status();
        @SuppressWarnings("unchecked")
        Future<RecordMetadata>[] acks = new Future[count];
        status.sending(count);
        try {
            String lastTopic = null;
            for (int i = 0; i < count; i++) {
                ProducerRecord<byte[], byte[]> record = records.get(i);
                if (!record.topic().equals(lastTopic)) {
                    topics.ensureExists(record.topic());
                    status.topicUsed(record.topic());
                    lastTopic = record.topic();
                }
                acks[i] = producer.send(record);
            }
            // the whole batch is in the producer: send it now rather than after linger.ms, and wait for it
            producer.flush();
            for (int i = 0; i < count; i++) {
                try {
                    acks[i].get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (!(cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException)) {
                        throw e;
                    }
                    ProducerRecord<byte[], byte[]> refused = records.get(i);
                    if (refused.value() != null) { // a tombstone refused with its delete goes with it
                        batch.deadLetter(new ChangeBatch.DeadLetter(refused.topic(), refused.key(), refused.value(), cause));
                    }
                }
            }
        } finally {
            status.acknowledged(count);
        }
    }

    /**
     * Writes the batch's dead letters through the dead-letter route (reasons as headers, metrics), waiting for each:
     * a dead letter that cannot be written fails the batch.
     */
    private static void deadLetter(Exchange exchange, List<ChangeBatch.DeadLetter> letters) {
        FluentProducerTemplate template = exchange.getContext().createFluentProducerTemplate();
        try {
            for (ChangeBatch.DeadLetter letter : letters) {
                Exchange result = template.to("direct:dead-letter").withProcessor(dead -> {
                    dead.setProperty(Exchange.EXCEPTION_CAUGHT, letter.cause());
                    dead.setProperty(Exchange.FAILURE_ROUTE_ID, exchange.getFromRouteId());
                    dead.setProperty(Exchange.FAILURE_ENDPOINT, "kafka:" + letter.topic());
                    dead.getIn().setHeader(KafkaConstants.TOPIC, letter.topic());
                    if (letter.key() != null) {
                        dead.getIn().setHeader(KafkaConstants.KEY, letter.key());
                    }
                    dead.getIn().setBody(letter.payload() != null ? letter.payload() : "null".getBytes(StandardCharsets.UTF_8));
                }).send();
                if (result.getException() != null) {
                    throw new IllegalStateException("Could not write a dead letter for " + letter.topic() + ": " + result.getException(),
                            result.getException());
                }
            }
        } finally {
            try {
                template.close();
            } catch (Exception ignored) {
                // nothing held
            }
        }
    }
}
