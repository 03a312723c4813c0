package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestSupport.json;
import static io.cdchub.gateway.GatewayTestSupport.knownTopics;
import static io.cdchub.gateway.GatewayTestSupport.sent;
import static io.cdchub.gateway.GatewayTestSupport.settings;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One client cannot hurt the others (issue 13, section 2): queued bytes are bounded per connection and in total
 * (the lagging client is closed, never the server), one subject cannot take every connection, a stream ends when its
 * token expires or the session is too old, SSE writes of slow clients neither pin the writers nor block without a
 * timeout, and a failing SSE subscribe leaves no connection counted.
 */
class GatewayClientLimitsTest {

    private final List<GatewayHub> hubs = new ArrayList<>();

    @AfterEach
    void closeHubs() {
        hubs.forEach(GatewayHub::close);
    }

    private GatewayHub hub(GatewayProperties settings) {
        GatewayHub hub = GatewayTestSupport.hub(settings, knownTopics(settings));
        hubs.add(hub);
        return hub;
    }

    private static String text(int chars) {
        return "{\"pad\":\"" + "x".repeat(chars - 10) + "\"}";
    }

    @Test
    void aConnectionWithTooManyQueuedBytesIsClosedAsLagging() {
        GatewayHub hub = hub(settings(Map.of("buffer", "1000", "max-queued-bytes", "10000")));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        connection.enqueue(Outlet.Frame.control("{\"n\":0}"));
        sent(outlet, 0); // in flight, never completing
        for (int i = 0; i < 5; i++) {
            connection.enqueue(Outlet.Frame.control(text(3000)));
        }
        outlet.autoComplete = true;
        outlet.completeAll();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> outlet.closedWith != 0);
        assertThat(outlet.closedWith).isEqualTo(ClientConnection.TRY_AGAIN_LATER);
        assertThat(outlet.sent.get(outlet.sent.size() - 1)).contains("lagging");
    }

    @Test
    void overTheTotalOfQueuedBytesTheLaggingClientIsClosedNotTheOthers() {
        GatewayHub hub = hub(settings(Map.of("buffer", "1000", "max-queued-bytes", "15000", "max-total-queued-bytes", "20000")));
        GatewayUnitsTest.HeldOutlet slowOutlet = new GatewayUnitsTest.HeldOutlet();
        GatewayUnitsTest.HeldOutlet fastOutlet = new GatewayUnitsTest.HeldOutlet();
        ClientConnection slow = hub.open(GatewayPrincipal.anonymousUser(), slowOutlet);
        ClientConnection fast = hub.open(GatewayPrincipal.anonymousUser(), fastOutlet);
        slow.enqueue(Outlet.Frame.control("{\"n\":0}"));
        fast.enqueue(Outlet.Frame.control("{\"n\":0}"));
        sent(slowOutlet, 0);
        sent(fastOutlet, 0);
        for (int i = 0; i < 4; i++) {
            slow.enqueue(Outlet.Frame.control(text(3000))); // 12,000: under its own limit
        }
        for (int i = 0; i < 3; i++) {
            fast.enqueue(Outlet.Frame.control(text(3000))); // 9,000 more: 21,000 in all
        }
        slowOutlet.autoComplete = true;
        slowOutlet.completeAll();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> slowOutlet.closedWith != 0);
        assertThat(slowOutlet.closedWith).isEqualTo(ClientConnection.TRY_AGAIN_LATER);
        assertThat(fast.isClosed()).isFalse();
        fastOutlet.autoComplete = true;
        fastOutlet.completeAll();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fastOutlet.sent.size() == 4);
        assertThat(fastOutlet.closedWith).isZero();
    }

    @Test
    void oneSubjectCannotTakeEveryConnection() {
        GatewayProperties settings = settings(Map.of("max-connections-per-subject", "2"));
        GatewayHub hub = hub(settings);
        TokenVerifier verifier = new TokenVerifier(settings);
        GatewayPrincipal alice = verifier.verify(Tokens.hs256(Tokens.claims(List.of("*")).subject("alice").build()));
        GatewayPrincipal bob = verifier.verify(Tokens.hs256(Tokens.claims(List.of("*")).subject("bob").build()));
        ClientConnection first = hub.open(alice, new GatewayUnitsTest.HeldOutlet());
        assertThat(first).isNotNull();
        assertThat(hub.open(alice, new GatewayUnitsTest.HeldOutlet())).isNotNull();
        assertThat(hub.open(alice, new GatewayUnitsTest.HeldOutlet())).as("alice's third").isNull();
        assertThat(hub.open(bob, new GatewayUnitsTest.HeldOutlet())).as("bob's first").isNotNull();
        first.close(1000, "bye");
        assertThat(hub.open(alice, new GatewayUnitsTest.HeldOutlet())).as("alice again, after closing one").isNotNull();
    }

    @Test
    void theStreamEndsWhenTheTokenExpires() {
        GatewayProperties settings = settings(Map.of("jwt.clock-skew", "0s"));
        GatewayHub hub = hub(settings);
        GatewayPrincipal principal = new TokenVerifier(settings).verify(Tokens.hs256(Tokens.claims(List.of("*"))
                .expirationTime(Date.from(Instant.now().plusSeconds(2))).build()));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        outlet.autoComplete = true;
        hub.open(principal, outlet);
        Awaitility.await("closed at exp").atMost(Duration.ofSeconds(30)).until(() -> outlet.closedWith != 0);
        assertThat(outlet.closedWith).isEqualTo(4001);
        assertThat(json(outlet.sent.get(outlet.sent.size() - 1)).path("code").asText()).isEqualTo("token-expired");
    }

    @Test
    void aSessionEndsAfterTheMaximumLifetime() {
        GatewayHub hub = hub(settings(Map.of("max-session", "1s")));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
        outlet.autoComplete = true;
        hub.open(GatewayPrincipal.anonymousUser(), outlet);
        Awaitility.await("closed after max-session").atMost(Duration.ofSeconds(30)).until(() -> outlet.closedWith != 0);
        assertThat(outlet.closedWith).isEqualTo(4002);
    }

    @Test
    void sseWritesOfSlowClientsDoNotHoldUpTheOthers() throws Exception {
        GatewayProperties settings = settings(Map.of());
        GatewayHub hub = hub(settings);
        GatewaySseController controller = new GatewaySseController(hub, new TokenVerifier(settings));
        java.lang.reflect.Field field = GatewaySseController.class.getDeclaredField("writers");
        field.setAccessible(true);
        java.util.concurrent.Executor writers = (java.util.concurrent.Executor) field.get(controller);
        CountDownLatch release = new CountDownLatch(1);
        try {
            // 70 clients whose writes block (their sockets are full)
            for (int i = 0; i < 70; i++) {
                SseEmitter stuck = new SseEmitter(0L) {
                    @Override
                    public void send(SseEventBuilder builder) {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                };
                new SseOutlet(stuck, writers).send(Outlet.Frame.control("{}"), error -> { });
            }
            AtomicBoolean delivered = new AtomicBoolean();
            SseEmitter healthy = new SseEmitter(0L) {
                @Override
                public void send(SseEventBuilder builder) {
                }
            };
            new SseOutlet(healthy, writers).send(Outlet.Frame.control("{}"), error -> delivered.set(error == null));
            Awaitility.await("a healthy client's write").atMost(Duration.ofSeconds(30)).untilTrue(delivered);
        } finally {
            release.countDown();
            controller.close();
        }
    }

    @Test
    void aWriteThatDoesNotCompleteWithinTheSendTimeoutClosesTheClient() {
        GatewayHub hub = hub(settings(Map.of("send-timeout", "1s")));
        GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet(); // a blocking SSE write that never returns
        ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
        connection.enqueue(Outlet.Frame.control("{\"n\":0}"));
        sent(outlet, 0);
        Awaitility.await("closed after the send timeout").atMost(Duration.ofSeconds(30)).until(connection::isClosed);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> outlet.closedWith == ClientConnection.TRY_AGAIN_LATER);
    }

    @Test
    void anSseSubscribeThatFailsUnexpectedlyLeavesNoConnectionCounted() throws Exception {
        GatewayProperties settings = settings(Map.of());
        GatewayHub hub = GatewayTestSupport.hub(settings, new GatewayTopics(settings, GatewayTestSupport.hubProperties(), null) {
            @Override
            public String resolve(String requested) {
                throw new IllegalStateException("boom");
            }
        });
        hubs.add(hub);
        GatewaySseController controller = new GatewaySseController(hub, new TokenVerifier(settings));
        try {
            controller.stream("cdc.public.orders", null, Tokens.granting("*"), null, null, null, Map.of(), new MockHttpServletResponse());
        } catch (RuntimeException expected) {
            // answered as a server error
        } finally {
            controller.close();
        }
        assertThat(hub.connectionCount()).isZero();
    }
}
