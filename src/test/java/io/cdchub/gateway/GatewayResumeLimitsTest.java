package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestSupport.json;
import static io.cdchub.gateway.GatewayTestSupport.knownTopics;
import static io.cdchub.gateway.GatewayTestSupport.record;
import static io.cdchub.gateway.GatewayTestSupport.sent;
import static io.cdchub.gateway.GatewayTestSupport.settings;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Resume positions cannot be forged or abused (issue 13, section 2): they are signed with the server's key, carry
 * only partitions of the topics subscribed, are bounded in size and age, and a client's catch-ups are limited and can
 * neither pin the catch-up pool nor wait forever on a client that does not read.
 */
class GatewayResumeLimitsTest {

    private static final String KEY = "resume-key-for-the-tests-0123456789abcdef";
    private static final String ORDERS = "cdc.public.orders";
    private static final String PRICES = "cdc.commodity_prices";

    private final List<GatewayHub> hubs = new ArrayList<>();

    @AfterEach
    void closeHubs() {
        hubs.forEach(GatewayHub::close);
    }

    private GatewayHub hub(Map<String, String> overrides) {
        GatewayProperties settings = settings(overrides);
        GatewayHub hub = GatewayTestSupport.hub(settings, knownTopics(settings));
        hubs.add(hub);
        return hub;
    }

    private static String subscribe(List<String> topics, String resume) {
        var message = WsClient.JSON.createObjectNode().put("action", "subscribe");
        message.set("topics", WsClient.JSON.valueToTree(topics));
        if (resume != null) {
            message.put("resume", resume);
        }
        return message.toString();
    }

    /** A position the hub issued: a client subscribed to the topics gets one change of each partition given. */
    private static String issuedPosition(GatewayHub hub, List<TopicPartition> partitions) {
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        outlet.autoComplete = true;
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        connection.handle(subscribe(partitions.stream().map(TopicPartition::topic).distinct().toList(), null));
        sent(outlet, 0);
        for (TopicPartition partition : partitions) {
            GatewayRecord record = GatewayRecord.parse(partition.topic(), partition.partition(), 5, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
                    "{\"op\":\"c\",\"after\":{\"id\":1}}".getBytes(StandardCharsets.UTF_8), 0);
            if (connection.offerLive(List.of(record))) {
                connection.pump();
            }
        }
        String last = sent(outlet, partitions.size());
        connection.close(1000, "done");
        return json(last).path("position").asText();
    }

    private static JsonNode answerTo(GatewayHub hub, String message) {
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        outlet.autoComplete = true;
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        connection.handle(message);
        return json(sent(outlet, 0));
    }

    @Test
    void aForgedOrForeignPositionIsRefused() {
        GatewayHub hub = hub(Map.of("resume-key", KEY));
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString("v1;0;".getBytes(StandardCharsets.UTF_8));
        JsonNode answer = answerTo(hub, subscribe(List.of(ORDERS), forged));
        assertThat(answer.path("code").asText()).as("a forged position replaying all retention: %s", answer).isEqualTo("invalid-resume");

        // signed by another instance with another key (or a generated one)
        String foreign = issuedPosition(hub(Map.of()), List.of(new TopicPartition(ORDERS, 0)));
        assertThat(answerTo(hub, subscribe(List.of(ORDERS), foreign)).path("code").asText()).isEqualTo("invalid-resume");
        // the same key on another instance: accepted
        String sameKey = issuedPosition(hub(Map.of("resume-key", KEY)), List.of(new TopicPartition(ORDERS, 0)));
        assertThat(answerTo(hub, subscribe(List.of(ORDERS), sameKey)).path("type").asText()).isEqualTo("subscribed");
    }

    @Test
    void aResumeTakesOnlyPartitionsOfTheTopicsItSubscribes() {
        GatewayHub hub = hub(Map.of("resume-key", KEY));
        String position = issuedPosition(hub, List.of(new TopicPartition(ORDERS, 0), new TopicPartition(PRICES, 0)));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        outlet.autoComplete = true;
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        connection.handle(subscribe(List.of(ORDERS), position));
        assertThat(json(sent(outlet, 0)).path("type").asText()).isEqualTo("subscribed");
        assertThat(connection.nextOffset(new TopicPartition(ORDERS, 0))).isEqualTo(6L);
        assertThat(connection.nextOffset(new TopicPartition(PRICES, 0))).as("not subscribed: not taken").isNull();
    }

    @Test
    void aPositionWithTooManyPartitionsIsRefused() {
        GatewayHub hub = hub(Map.of("resume-key", KEY, "resume-max-partitions", "2"));
        String position = issuedPosition(hub, List.of(new TopicPartition(ORDERS, 0), new TopicPartition(ORDERS, 1), new TopicPartition(ORDERS, 2)));
        assertThat(answerTo(hub, subscribe(List.of(ORDERS), position)).path("code").asText()).isEqualTo("invalid-resume");
    }

    @Test
    void aResumeCannotGoFurtherBackThanTheMaxAge() {
        GatewayHub hub = hub(Map.of("resume-key", KEY, "resume-max-age", "1s"));
        long issued = System.currentTimeMillis();
        String position = issuedPosition(hub, List.of(new TopicPartition(ORDERS, 0)));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > issued + 2000);
        JsonNode answer = answerTo(hub, subscribe(List.of(ORDERS), position));
        assertThat(answer.path("code").asText()).as("%s", answer).isEqualTo("resume-expired");
    }

    @Test
    void concurrentCatchUpsOfOneClientAreLimited() {
        GatewayHub hub = hub(Map.of("resume-key", KEY, "max-catch-ups", "1"));
        String position = issuedPosition(hub, List.of(new TopicPartition(ORDERS, 0), new TopicPartition(PRICES, 0)));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        outlet.autoComplete = true;
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        // Kafka is unreachable here: the first catch-up is still running when the second resume comes
        connection.handle(subscribe(List.of(ORDERS), position));
        connection.handle(subscribe(List.of(PRICES), position));
        assertThat(json(sent(outlet, 0)).path("type").asText()).isEqualTo("subscribed");
        JsonNode second = json(sent(outlet, 1));
        assertThat(second.path("code").asText()).as("%s", second).isEqualTo("too-many-catch-ups");
    }

    @Test
    void theCatchUpPoolQueueIsBounded() {
        GatewayHub hub = hub(Map.of("resume-key", KEY, "catch-up-threads", "1", "catch-up-queue", "1"));
        String position = issuedPosition(hub, List.of(new TopicPartition(ORDERS, 0)));
        List<GatewayUnitsTest.HeldOutlet> outlets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
            outlet.autoComplete = true;
            outlets.add(outlet);
            hub.open(GatewayPrincipal.anonymousUser(), outlet).handle(subscribe(List.of(ORDERS), position));
        }
        // one catch-up runs (Kafka is unreachable: it waits), one waits in the queue, the third is refused at once
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> outlets.get(2).closedWith == ClientConnection.TRY_AGAIN_LATER);
        assertThat(outlets.get(2).sent).anySatisfy(frame -> assertThat(json(frame).path("code").asText()).isEqualTo("resume-failed"));
        assertThat(outlets.get(0).closedWith).as("the running catch-up's client is not refused").isZero();
    }

    @Test
    void aCatchUpDoesNotWaitForeverOnAClientThatDoesNotRead() throws Exception {
        GatewayHub hub = hub(Map.of("buffer", "4", "send-timeout", "1s"));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet(); // writes never complete
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        connection.handle(subscribe(List.of(ORDERS), null));
        sent(outlet, 0); // the subscribed frame, in flight for ever
        connection.enqueue(Outlet.Frame.control("{\"n\":1}"));
        connection.enqueue(Outlet.Frame.control("{\"n\":2}"));
        ExecutorService catchUpThread = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Void> offered = CompletableFuture.runAsync(() -> {
                try {
                    connection.offerCatchUp(record(ORDERS, 1, "{\"op\":\"c\",\"after\":{\"id\":1}}"));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, catchUpThread);
            Awaitility.await("the catch-up gives up on the client").atMost(Duration.ofSeconds(30)).until(offered::isDone);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(connection::isClosed);
        } finally {
            catchUpThread.shutdownNow();
        }
    }
}
