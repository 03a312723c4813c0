package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestSupport.json;
import static io.cdchub.gateway.GatewayTestSupport.knownTopics;
import static io.cdchub.gateway.GatewayTestSupport.sent;
import static io.cdchub.gateway.GatewayTestSupport.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * Tokens and rows (issue 13, section 2): the row-level claim is taken as it is written, a row moved to another tenant
 * does not show the new tenant the old tenant's image, a 401 does not tell what issuer is expected, and the
 * anonymous quick start listens on the loopback interface only and refuses foreign origins.
 */
class GatewayAccessRulesTest {

    private static final Map<String, String> ROW_RULE = Map.of("row-filter.claim", "tenant_id", "row-filter.column", "tenant_id");

    @Test
    void aStringClaimIsOneValueNotWhitespaceSeparatedWords() {
        GatewayPrincipal principal = new TokenVerifier(settings(ROW_RULE))
                .verify(Tokens.granting(List.of("*"), Map.of("tenant_id", "acme globex")));
        assertThat(principal.rowValues()).containsExactly("acme globex");
    }

    @Test
    void aRowMovedToAnotherTenantDoesNotShowTheOldImage() {
        GatewayProperties settings = settings(ROW_RULE);
        GatewayHub hub = GatewayTestSupport.hub(settings, knownTopics(settings));
        try {
            TokenVerifier verifier = new TokenVerifier(settings);
            GatewayUnitsTest.HeldOutlet globexOutlet = new GatewayUnitsTest.HeldOutlet();
            globexOutlet.autoComplete = true;
            GatewayUnitsTest.HeldOutlet acmeOutlet = new GatewayUnitsTest.HeldOutlet();
            acmeOutlet.autoComplete = true;
            ClientConnection globex = hub.open(verifier.verify(Tokens.granting(List.of("*"), Map.of("tenant_id", "globex"))), globexOutlet);
            ClientConnection acme = hub.open(verifier.verify(Tokens.granting(List.of("*"), Map.of("tenant_id", "acme"))), acmeOutlet);
            for (ClientConnection c : List.of(globex, acme)) {
                c.handle("{\"action\":\"subscribe\",\"topics\":[\"cdc.public.orders\"]}");
            }
            sent(globexOutlet, 0);
            sent(acmeOutlet, 0);
            GatewayRecord moved = GatewayRecord.parse("cdc.public.orders", 0, 7, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
                    ("{\"op\":\"u\",\"before\":{\"id\":1,\"tenant_id\":\"acme\",\"note\":\"acme-secret\"},"
                            + "\"after\":{\"id\":1,\"tenant_id\":\"globex\",\"note\":\"moved\"},\"source\":{\"ts_ms\":1}}").getBytes(StandardCharsets.UTF_8), 0);
            hub.fanOut(List.of(moved), java.util.Set.of(globex, acme));
            JsonNode toGlobex = json(sent(globexOutlet, 1));
            assertThat(toGlobex.path("value").path("after").path("tenant_id").asText()).isEqualTo("globex");
            assertThat(toGlobex.toString()).doesNotContain("acme-secret");
            assertThat(toGlobex.path("value").path("before").isNull()).isTrue();
            acme.handle("{\"action\":\"ping\"}");
            assertThat(json(sent(acmeOutlet, 1)).path("type").asText()).as("the row left acme: no after image for it").isEqualTo("pong");
        } finally {
            hub.close();
        }
    }

    @Test
    void anUnknownTopicAndAForbiddenOneGetTheSameAnswer() {
        GatewayProperties settings = settings(Map.of());
        GatewayHub hub = GatewayTestSupport.hub(settings, new GatewayTopics(settings, GatewayTestSupport.hubProperties(), null) {
            @Override
            public String resolve(String requested) {
                if (requested.equals("cdc.public.missing")) {
                    throw new ProtocolException("unknown-topic", "topic 'cdc.public.missing' does not exist in Kafka");
                }
                return requested;
            }
        });
        try {
            GatewayUnitsTest.HeldOutlet outlet = new GatewayUnitsTest.HeldOutlet();
            outlet.autoComplete = true;
            ClientConnection connection = hub.open(new TokenVerifier(settings).verify(Tokens.granting("cdc.public.orders")), outlet);
            connection.handle("{\"action\":\"subscribe\",\"topics\":[\"cdc.public.missing\"]}");
            connection.handle("{\"action\":\"subscribe\",\"topics\":[\"cdc.public.secret\"]}");
            JsonNode unknown = json(sent(outlet, 0));
            JsonNode forbidden = json(sent(outlet, 1));
            assertThat(unknown.path("code").asText()).as("%s", unknown).isEqualTo("forbidden-or-unknown");
            assertThat(forbidden.path("code").asText()).as("%s", forbidden).isEqualTo("forbidden-or-unknown");
            assertThat(unknown.path("message").asText().replace("missing", "X")).isEqualTo(forbidden.path("message").asText().replace("secret", "X"));
        } finally {
            hub.close();
        }
    }

    @Test
    void aRefusedTokenIsNotToldWhatIssuerOrAudienceIsExpected() {
        TokenVerifier verifier = new TokenVerifier(settings(Map.of()));
        Throwable wrongIssuer = catchThrowable(() -> verifier.verify(Tokens.hs256(Tokens.claims(List.of("*")).issuer("https://evil.test").build())));
        assertThat(wrongIssuer).isInstanceOf(TokenVerifier.AuthenticationException.class);
        assertThat(wrongIssuer.getMessage()).doesNotContain(Tokens.ISSUER);
        Throwable wrongAudience = catchThrowable(() -> verifier.verify(Tokens.hs256(Tokens.claims(List.of("*")).audience("other").build())));
        assertThat(wrongAudience.getMessage()).doesNotContain(Tokens.AUDIENCE);
    }

    @Test
    void theAnonymousQuickStartListensOnLoopbackOnly() {
        Map<String, String> anonymous = new HashMap<>(Map.of("allow-anonymous", "true", "jwt.secret", ""));
        TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory();
        new GatewayConfiguration().gatewayTomcatConnections(settings(anonymous)).customize(factory);
        assertThat(factory.getAddress()).isNotNull();
        assertThat(factory.getAddress().isLoopbackAddress()).isTrue();

        TomcatServletWebServerFactory withTokens = new TomcatServletWebServerFactory();
        new GatewayConfiguration().gatewayTomcatConnections(settings(Map.of())).customize(withTokens);
        assertThat(withTokens.getAddress()).as("with tokens: server.address as configured").isNull();
    }

    @Test
    void theAnonymousGatewayRefusesForeignOrigins() throws Exception {
        GatewayProperties settings = settings(Map.of("allow-anonymous", "true", "jwt.secret", ""));
        GatewayHub hub = GatewayTestSupport.hub(settings, knownTopics(settings));
        try {
            GatewayHandshakeInterceptor interceptor = new GatewayHandshakeInterceptor(new TokenVerifier(settings), hub);
            assertThat(handshake(interceptor, "http://evil.example")).as("a foreign page").isEqualTo(403);
            assertThat(handshake(interceptor, "http://localhost:8080")).as("the gateway's own pages").isEqualTo(200);
            assertThat(handshake(interceptor, null)).as("no Origin: not a browser").isEqualTo(200);

            GatewayProperties allowing = settings(Map.of("allow-anonymous", "true", "jwt.secret", "", "allowed-origins", "http://app.example"));
            GatewayHub listedHub = GatewayTestSupport.hub(allowing, knownTopics(allowing));
            try {
                GatewayHandshakeInterceptor listed = new GatewayHandshakeInterceptor(new TokenVerifier(allowing), listedHub);
                assertThat(handshake(listed, "http://app.example")).isEqualTo(200);
                assertThat(handshake(listed, "http://evil.example")).isEqualTo(403);
            } finally {
                listedHub.close();
            }
        } finally {
            hub.close();
        }
    }

    private static int handshake(GatewayHandshakeInterceptor interceptor, String origin) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/ws/stream");
        request.setServerName("localhost");
        request.setServerPort(8080);
        request.addHeader("Host", "localhost:8080");
        if (origin != null) {
            request.addHeader("Origin", origin);
        }
        MockHttpServletResponse response = new MockHttpServletResponse();
        boolean upgrade = interceptor.beforeHandshake(new ServletServerHttpRequest(request), new ServletServerHttpResponse(response), null,
                new HashMap<>());
        return upgrade ? 200 : response.getStatus();
    }
}
