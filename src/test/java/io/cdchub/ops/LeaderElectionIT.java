package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two source instances (child JVMs) on one replication slot, electing their leader on a Lease in fabric8's
 * Kubernetes mock server (CRUD mode; no cluster runs here): only the leader captures, the other waits as hot
 * standby; when the leader stops (SIGTERM, then its pod goes away as Kubernetes would remove it), the standby
 * takes over from the leader's offsets in Kafka and every committed row arrives. Duplicates may only be
 * at-least-once replays: the same change (same LSN) published again.
 */
class LeaderElectionIT {

    private static final String NAMESPACE = "cdc-it";
    private static final String SELECTOR_KEY = "app.kubernetes.io/component";
    private static final String SELECTOR_VALUE = "it-leader-source";
    private static final int ROWS = 2000;
    private static final int LEADERLESS_ROWS = 500;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static KubernetesMockServer kubernetes;
    private static KubernetesClient client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startKubernetesApi() {
        kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        client = kubernetes.createClient();
    }

    @AfterAll
    static void stopKubernetesApi() {
        if (client != null) {
            client.close();
        }
        if (kubernetes != null) {
            kubernetes.destroy();
        }
    }

    @Test
    void oneSourceCapturesAndTheStandbyTakesOverWithoutLoss() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("leader", "CREATE TABLE leader.events (id int PRIMARY KEY, payload text)");
        String topic = "leader.leader.events";
        settings.put("cdc.source.offset-store", "kafka");
        settings.put("cdc.source.offset-topic", "leader-offsets");
        settings.put("cdc.source.offset-flush-interval", "500ms");
        settings.put("cdc.cluster.leader-election.enabled", "true");
        settings.put("cdc.cluster.leader-election.master-url", kubernetes.url("/").replace("localhost", "127.0.0.1"));
        settings.put("cdc.cluster.leader-election.namespace", NAMESPACE);
        settings.put("cdc.cluster.leader-election.pod-selector", SELECTOR_KEY + "=" + SELECTOR_VALUE);
        settings.put("cdc.cluster.leader-election.lease-duration", "4s");
        settings.put("cdc.cluster.leader-election.renew-deadline", "3s");
        settings.put("cdc.cluster.leader-election.retry-period", "500ms");
        settings.put("cdc.health.timeout", "2s");

        Map<String, AppProcess> apps = new LinkedHashMap<>();
        Map<String, String> urls = new HashMap<>();
        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> pg.insertRowsOneByOne(RealServers.DATABASE, "leader.events", ROWS, written), "leader-writer");
        try {
            for (String pod : List.of("source-a", "source-b")) {
                createReadyPod(pod);
                int port = freePort();
                Map<String, String> own = new LinkedHashMap<>(settings);
                own.put("cdc.cluster.leader-election.pod-name", pod);
                own.put("server.port", String.valueOf(port));
                // AppProcess appends to its log: start from an empty one, the log checks below read this run only
                java.nio.file.Files.deleteIfExists(java.nio.file.Path.of("target", "it-logs", "leader-election-" + pod + ".log"));
                urls.put(pod, "http://127.0.0.1:" + port);
                apps.put(pod, AppProcess.start("leader-election-" + pod, own));
            }

            // one leader, one standby; only the leader's source route runs
            String leader = Awaitility.await("a leader holds the Lease and runs the source").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> leaderByHealth(urls), l -> l != null);
            String standby = leader.equals("source-a") ? "source-b" : "source-a";
            assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(leader);
            assertThat(role(urls.get(standby))).isEqualTo("standby");
            // both run the same routes (publisher, dead letters, helper routes) except the source route: the leader one more
            assertThat(runningRoutes(urls.get(leader))).isEqualTo(runningRoutes(urls.get(standby)) + 1);

            pg.execute(RealServers.DATABASE, "INSERT INTO leader.events VALUES (0, 'first')");
            TopicReader.awaitCount(topic, 1);
            writer.start();
            TopicReader.await(topic, events -> events.size() >= ROWS / 3);
            // the standby still only waits
            assertThat(role(urls.get(standby))).isEqualTo("standby");
            assertThat(apps.get(standby).log()).doesNotContain("Starting PostgresConnectorTask");

            // the leader stops (a rolling update, a node drain); Kubernetes then removes its pod
            long stoppedAt = System.nanoTime();
            assertThat(apps.get(leader).terminate(90)).isNotEqualTo(-1);
            client.pods().inNamespace(NAMESPACE).withName(leader).delete();
            // changes committed while no source runs wait in the slot
            writer.join();
            pg.execute(RealServers.DATABASE, "INSERT INTO leader.events SELECT g, 'while leaderless ' || g FROM generate_series("
                    + (ROWS + 1) + ", " + (ROWS + LEADERLESS_ROWS) + ") g");

            Awaitility.await("the standby takes over").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> "leader".equals(role(urls.get(standby))));
            long takeOverMs = Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis();
            assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(standby);
            assertThat(lease().getSpec().getLeaseTransitions()).isGreaterThanOrEqualTo(1);

            assertThat(written.get()).isEqualTo(ROWS);
            int total = ROWS + LEADERLESS_ROWS;
            List<Event> events = TopicReader.await(topic, all -> TopicReader.rowIds(all).size() == total + 1);
            assertThat(TopicReader.rowIds(events)).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(0, total).boxed().toList());

            // duplicates only as replays: every copy of a change carries the change's own LSN
            Map<Integer, Set<Long>> lsnsById = new TreeMap<>();
            Map<Integer, Integer> copies = new TreeMap<>();
            for (Event e : events) {
                if (!e.isTombstone()) {
                    int id = e.after().get("id").asInt();
                    lsnsById.computeIfAbsent(id, k -> new java.util.HashSet<>()).add(e.lsn());
                    copies.merge(id, 1, Integer::sum);
                }
            }
            assertThat(lsnsById.values()).allSatisfy(lsns -> assertThat(lsns).hasSize(1));
            long duplicates = copies.values().stream().mapToInt(c -> c - 1).sum();
            System.out.printf("LEADER-ELECTION leader=%s standby=%s takeOverMs=%d events=%d rows=%d duplicates=%d%n",
                    leader, standby, takeOverMs, events.size(), total + 1, duplicates);
            assertThat(apps.get(standby).terminate(90)).isNotEqualTo(-1);
        } finally {
            if (writer.isAlive()) {
                writer.join();
            }
            for (AppProcess app : apps.values()) {
                app.close();
            }
        }
    }

    /** A pod as the cluster would show it: running and ready, with the source role's label. */
    private static void createReadyPod(String name) {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).addToLabels(SELECTOR_KEY, SELECTOR_VALUE).endMetadata()
                .withNewSpec().addNewContainer().withName("cdc-hub").withImage("cdc-hub:it").endContainer().endSpec()
                .withNewStatus().withPhase("Running")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewContainerStatus().withName("cdc-hub").withReady(true).withNewState().withNewRunning().endRunning().endState().endContainerStatus()
                .endStatus()
                .build();
        client.pods().inNamespace(NAMESPACE).resource(pod).create();
    }

    private static Lease lease() {
        return client.leases().inNamespace(NAMESPACE).withName("cdc-hub-it-leader").get();
    }

    /** The pod whose replicationSlot health says it leads; null while none does. */
    private String leaderByHealth(Map<String, String> urls) {
        List<String> leaders = urls.entrySet().stream().filter(e -> "leader".equals(role(e.getValue()))).map(Map.Entry::getKey).toList();
        assertThat(leaders).as("at most one leader").hasSizeLessThanOrEqualTo(1);
        return leaders.isEmpty() ? null : leaders.get(0);
    }

    private String role(String base) {
        JsonNode health = health(base);
        return health == null ? null : health.path("components").path("replicationSlot").path("details").path("role").asText(null);
    }

    private String prometheus(String base) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Camel's gauge of started routes. */
    private int runningRoutes(String base) throws Exception {
        return prometheus(base).lines().filter(l -> l.startsWith("camel_routes_running_routes{"))
                .mapToInt(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }

    private JsonNode health(String base) {
        try {
            // components and details show only to an admin
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health"))
                    .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (java.io.IOException e) {
            return null; // not listening yet, or gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
