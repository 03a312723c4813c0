package io.cdchub.source;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

import io.debezium.engine.ChangeEvent;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The body of a capture route's exchange: one batch of changes as Debezium's engine handed it over (or as the polling
 * source read them), the capture they belong to, and, once {@link ChangeEventWriter} has run, the Kafka records to
 * publish and the changes to dead-letter. The engine marks the batch's changes processed (so its offsets may pass
 * them) only when the exchange completes without error, which {@link ChangeBatchPublisher} allows only after Kafka
 * has acknowledged every record.
 */
public final class ChangeBatch {

    private final ChangeCapture capture;
    private final List<SourceRecord> changes;
    private final List<ProducerRecord<byte[], byte[]>> records;
    private List<DeadLetter> deadLetters;

    /** The batch Debezium's engine handed over, read in place. */
    static ChangeBatch ofEngine(List<ChangeEvent<SourceRecord, SourceRecord>> engineChanges, ChangeCapture capture) {
        return new ChangeBatch(new AbstractList<SourceRecord>() {
            @Override
            public SourceRecord get(int index) {
                return engineChanges.get(index).value();
            }

            @Override
            public int size() {
                return engineChanges.size();
            }
        }, capture);
    }

    private ChangeBatch(List<SourceRecord> changes, ChangeCapture capture) {
        this.capture = capture;
        this.changes = changes;
        this.records = new ArrayList<>(changes.size() + 8);
    }

    /** A batch of changes in Debezium's shape that did not come from Debezium's engine (the polling source's rows). */
    public static ChangeBatch of(List<SourceRecord> changes, ChangeCapture capture) {
        return new ChangeBatch(changes, capture);
    }

    /** The capture the changes belong to: how they are written and where they are published. */
    public ChangeCapture capture() {
        return capture;
    }

    /** Debezium's records in capture order (heartbeats included). */
    public int size() {
        return changes.size();
    }

    public SourceRecord change(int index) {
        return changes.get(index);
    }

    /** The Kafka records to publish, in capture order. */
    public List<ProducerRecord<byte[], byte[]>> records() {
        return records;
    }

    void add(ProducerRecord<byte[], byte[]> record) {
        records.add(record);
    }

    /** Changes that cannot be published, with why; empty almost always. */
    public List<DeadLetter> deadLetters() {
        return deadLetters == null ? List.of() : deadLetters;
    }

    void deadLetter(DeadLetter letter) {
        if (deadLetters == null) {
            deadLetters = new ArrayList<>(2);
        }
        deadLetters.add(letter);
    }

    /**
     * A change that goes to the dead-letter topic instead of its own.
     *
     * @param topic   the topic it was meant for
     * @param key     its key (JSON), or null
     * @param payload the event, or a description of the change when it could not be written
     * @param cause   why
     */
    public record DeadLetter(String topic, byte[] key, byte[] payload, Throwable cause) {
    }

    @Override
    public String toString() {
        return "ChangeBatch[" + changes.size() + " changes, " + records.size() + " records"
                + (deadLetters == null ? "" : ", " + deadLetters.size() + " dead letters") + "]";
    }
}
