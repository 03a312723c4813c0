package io.cdchub.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the three change topics from their start for the whole run, on a thread of its own, and records every change
 * event as its {@link Changes#code}; tombstones and records that are not change events of the load (the poison of R3)
 * are counted apart. Knows when a watched change (a marker) has arrived, and whether it has read to the end.
 */
final class KafkaTail implements AutoCloseable {

    private static final JsonFactory JSON = new JsonFactory();

    private final String bootstrap;
    private final List<String> topics;
    private final Changes.Log seen = new Changes.Log();
    private final Set<Long> watched = ConcurrentHashMap.newKeySet();
    private final Map<Long, Long> arrived = new ConcurrentHashMap<>();
    private final AtomicLong tombstones = new AtomicLong();
    private final AtomicLong others = new AtomicLong();
    private final AtomicLong snapshotReads = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean atEnd;
    private volatile long records;
    private final Thread thread;

    KafkaTail(String bootstrap, List<String> topics) {
        this.bootstrap = bootstrap;
        this.topics = topics;
        thread = new Thread(this::run, "fault-kafka-tail");
        thread.setDaemon(true);
        thread.start();
    }

    void watch(long[] codes) {
        for (long code : codes) {
            watched.add(code);
        }
    }

    boolean arrived(long code) {
        return arrived.containsKey(code);
    }

    /** True once the tail has read up to the end offsets it last asked for, after {@code sinceNanos}. */
    boolean atEnd() {
        return atEnd;
    }

    Changes.Log seen() {
        return seen;
    }

    long tombstones() {
        return tombstones.get();
    }

    long others() {
        return others.get();
    }

    long snapshotReads() {
        return snapshotReads.get();
    }

    long records() {
        return records;
    }

    private void run() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("enable.auto.commit", "false");
        settings.put("max.partition.fetch.bytes", 4 * 1024 * 1024);
        settings.put("fetch.max.bytes", 16 * 1024 * 1024);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic, Duration.ofSeconds(60)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long lastEndCheck = 0;
            Map<TopicPartition, Long> end = Map.of();
            while (running) {
                try {
                    var polled = consumer.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<byte[], byte[]> r : polled) {
                        record(r);
                    }
                    if (polled.isEmpty() && System.nanoTime() - lastEndCheck > 500_000_000L) {
                        end = consumer.endOffsets(partitions, Duration.ofSeconds(5));
                        lastEndCheck = System.nanoTime();
                        boolean done = true;
                        for (TopicPartition p : partitions) {
                            done &= consumer.position(p, Duration.ofSeconds(5)) >= end.get(p);
                        }
                        atEnd = done;
                    } else if (!polled.isEmpty()) {
                        atEnd = false;
                    }
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    atEnd = false; // Kafka away (R2): keep trying
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                System.err.println("[fault] Kafka tail failed: " + e);
                e.printStackTrace();
            }
        }
    }

    private void record(ConsumerRecord<byte[], byte[]> r) {
        records++;
        if (r.value() == null) {
            tombstones.incrementAndGet();
            return;
        }
        int table = topics.indexOf(r.topic());
        long code;
        try {
            code = parse(table, r.value());
        } catch (Exception e) {
            code = -1;
        }
        if (code < 0) {
            others.incrementAndGet();
            return;
        }
        if (Changes.op(code) == Changes.READ) {
            snapshotReads.incrementAndGet();
            return;
        }
        seen.add(code);
        if (watched.contains(code)) {
            arrived.putIfAbsent(code, System.nanoTime());
        }
    }

    /** The code of a change event of the load: op, and after.id/after.rev (before.id for a delete); -1 otherwise. */
    private static long parse(int table, byte[] value) throws java.io.IOException {
        String op = null;
        long id = -1;
        int rev = -1;
        long beforeId = -1;
        try (JsonParser p = JSON.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return -1;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken token = p.nextToken();
                if (("after".equals(field) || "before".equals(field)) && token == JsonToken.START_OBJECT) {
                    long rowId = -1;
                    int rowRev = -1;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String column = p.currentName();
                        JsonToken v = p.nextToken();
                        if ("id".equals(column) && v == JsonToken.VALUE_NUMBER_INT) {
                            rowId = p.getLongValue();
                        } else if ("rev".equals(column) && v == JsonToken.VALUE_NUMBER_INT) {
                            rowRev = p.getIntValue();
                        } else {
                            p.skipChildren();
                        }
                    }
                    if ("after".equals(field)) {
                        id = rowId;
                        rev = rowRev;
                    } else {
                        beforeId = rowId;
                    }
                } else if ("op".equals(field) && token == JsonToken.VALUE_STRING) {
                    op = p.getText();
                } else {
                    p.skipChildren();
                }
            }
        }
        if (op == null || table < 0) {
            return -1;
        }
        int o = Changes.op(op);
        if (o == Changes.DELETE) {
            return beforeId < 0 ? -1 : Changes.code(table, o, beforeId, 0);
        }
        if (o < 0 || id < 0 || rev < 0) {
            return -1;
        }
        return Changes.code(table, o, id, rev);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
