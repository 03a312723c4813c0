package io.cdchub.fault;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * R3: records of every kind a change topic can hold that are not change events a target can apply. Each has a key
 * {@code {"id": -n}} of its own (negative: never a row of the load), so its dead letters can be told apart.
 */
final class Poison {

    /** One poison record written: where, which kind, its key id. */
    record Sent(String topic, String kind, long id) {
    }

    static final List<String> KINDS = List.of("binary", "text", "empty", "json-null", "json-object", "json-array", "json-number",
            "no-source", "refused-value", "huge");

    private Poison() {
    }

    static byte[] value(String kind, String schema, String table, long id) {
        String envelopeStart = "{\"before\":null,\"after\":{\"id\":" + id + ",\"rev\":0,\"label\":\"poison\",\"amount\":";
        String source = ",\"source\":{\"version\":\"3.4.0.Final\",\"connector\":\"postgresql\",\"name\":\"fault\",\"ts_ms\":1,"
                + "\"snapshot\":\"false\",\"db\":\"fault_src\",\"schema\":\"" + schema + "\",\"table\":\"" + table + "\",\"txId\":1,\"lsn\":1}";
        return switch (kind) {
            case "binary" -> new byte[] {0, (byte) 0xff, (byte) 0xfe, 1, 2, '{', (byte) 0xc3};
            case "text" -> "this is not JSON {".getBytes(StandardCharsets.UTF_8);
            case "empty" -> new byte[0];
            case "json-null" -> "null".getBytes(StandardCharsets.UTF_8);
            case "json-object" -> "{\"hello\":\"world\",\"id\":1}".getBytes(StandardCharsets.UTF_8);
            case "json-array" -> "[1,2,{\"op\":\"c\"}]".getBytes(StandardCharsets.UTF_8);
            case "json-number" -> "42".getBytes(StandardCharsets.UTF_8);
            case "no-source" -> (envelopeStart + "1.00},\"op\":\"c\",\"ts_ms\":1}").getBytes(StandardCharsets.UTF_8);
            case "refused-value" -> (envelopeStart + "\"not-a-number\"}" + source + ",\"op\":\"c\",\"ts_ms\":1}").getBytes(StandardCharsets.UTF_8);
            case "huge" -> {
                // just under the broker's default 1 MB record limit: the largest record the topic can hold; not an envelope
                StringBuilder sb = new StringBuilder(990_000).append("{\"blob\":\"");
                while (sb.length() < 989_000) {
                    sb.append("0123456789abcdef");
                }
                yield sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Writes {@code copies} records of every kind into every topic; returns what was sent. */
    static List<Sent> send(String bootstrap, List<String> topics, int partitions, int copies, long firstId) {
        Map<String, Object> settings = Map.of("bootstrap.servers", bootstrap, "acks", "all", "max.request.size", 2 * 1024 * 1024,
                "compression.type", "none");
        List<Sent> sent = new ArrayList<>();
        long id = firstId;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String topic : topics) {
                String[] parts = topic.split("\\.");
                for (int copy = 0; copy < copies; copy++) {
                    for (String kind : KINDS) {
                        long key = -(id++);
                        byte[] keyBytes = ("{\"id\":" + key + "}").getBytes(StandardCharsets.UTF_8);
                        producer.send(new ProducerRecord<>(topic, (int) (-key % partitions), keyBytes,
                                value(kind, parts[1], parts[2], key)));
                        sent.add(new Sent(topic, kind, key));
                    }
                }
            }
            producer.flush();
        }
        return sent;
    }
}
