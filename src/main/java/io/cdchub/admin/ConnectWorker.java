package io.cdchub.admin;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.connect.runtime.rest.entities.ServerInfo;

/**
 * What a Kafka Connect worker answers at its root: {@code GET /} (version, commit and the id of the Kafka cluster it
 * works with, which tools read to match a worker to a cluster) and {@code GET /health} (Connect 3.9's readiness).
 * The version and commit are those of the Kafka client library cdc-hub runs, whose Connect API it implements.
 */
public class ConnectWorker {

    private static final Duration CLUSTER_ID_TIMEOUT = Duration.ofSeconds(10);

    private final Admin admin;
    private final ConnectorService connectors;
    /** The cluster's id never changes for a running worker: asked once, as Connect asks at start. */
    private volatile String clusterId;

    public ConnectWorker(Admin admin, ConnectorService connectors) {
        this.admin = admin;
        this.connectors = connectors;
    }

    public record Answer(int status, Object body) {
    }

    /** Connect's ServerInfo with the real cluster id; 503 while Kafka does not answer (Connect would not be up either). */
    public Answer root() {
        try {
            return new Answer(200, new ServerInfo(clusterId()));
        } catch (ExecutionException | TimeoutException e) {
            return new Answer(503, error(503, "Kafka did not tell its cluster id within " + CLUSTER_ID_TIMEOUT.toSeconds() + " s: "
                    + (e.getCause() != null ? e.getCause() : e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(503, error(503, "interrupted"));
        }
    }

    /** Connect's WorkerStatus: healthy once the connector definitions are loaded, "starting" (503) before. */
    public Answer health() {
        Map<String, Object> body = new LinkedHashMap<>();
        if (connectors.ready()) {
            body.put("status", "healthy");
            body.put("message", "Worker has completed startup and is ready to handle requests.");
            return new Answer(200, body);
        }
        body.put("status", "starting");
        body.put("message", "Worker is still starting up. Connector definitions are being read from Kafka.");
        return new Answer(503, body);
    }

    private String clusterId() throws ExecutionException, TimeoutException, InterruptedException {
        String id = clusterId;
        if (id == null) {
            id = admin.describeCluster().clusterId().get(CLUSTER_ID_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            clusterId = id;
        }
        return id;
    }

    /** Connect's error body ({@code error_code}, {@code message}) plus the fields of cdc-hub's {@link ApiError}. */
    static Map<String, Object> error(int status, String message) {
        org.springframework.http.HttpStatus known = org.springframework.http.HttpStatus.resolve(status);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error_code", status);
        body.put("message", message);
        body.put("status", status);
        body.put("error", known != null ? known.getReasonPhrase() : String.valueOf(status));
        return body;
    }
}
