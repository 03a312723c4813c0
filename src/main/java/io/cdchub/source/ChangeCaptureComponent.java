package io.cdchub.source;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code cdc-source:<name>} endpoints: Debezium's engine for one capture, handing changes to the route in
 * batches (one exchange per batch Debezium polls), with the settings registered under that name.
 *
 * <p>Camel's debezium-postgres component hands changes over one exchange each, and its consumer has no way to
 * hold Debezium's offsets until Kafka has acknowledged a change (its engine commits whatever it has handed over),
 * which forced a per-change ledger and hand-off queue on top. Debezium's own batch interface
 * ({@code ChangeConsumer.handleBatch} with its {@code RecordCommitter}) does both: this component wraps it, as
 * Debezium Server does. Settings are registered in Java rather than given as URI options, so database passwords
 * never appear in endpoint URIs (logs, JMX, Hawtio), and are passed to Debezium as plain strings.
 */
public class ChangeCaptureComponent extends DefaultComponent {

    public static final String SCHEME = "cdc-source";

    private final Map<String, CaptureSettings> settings = new ConcurrentHashMap<>();

    /** Makes {@code cdc-source:<name>} capture with these settings (replacing earlier ones for a new endpoint). */
    public void register(CaptureSettings capture) {
        settings.put(capture.name(), capture);
    }

    public void unregister(String name) {
        settings.remove(name);
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        CaptureSettings capture = settings.get(remaining);
        if (capture == null) {
            throw new IllegalArgumentException("No capture named '" + remaining + "': cdc-source endpoints are the built-in source"
                    + " (cdc.source.name) and the runtime connectors");
        }
        if (!parameters.isEmpty()) {
            throw new IllegalArgumentException("cdc-source endpoints take no options (settings come from cdc.source.* or the connector's"
                    + " definition), but got " + parameters.keySet());
        }
        return new ChangeCaptureEndpoint(uri, this, capture);
    }
}
