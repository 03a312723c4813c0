package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestApps.ORDERS;
import static io.cdchub.gateway.GatewayTestApps.PRICES;
import static io.cdchub.gateway.GatewayTestApps.portA;
import static io.cdchub.gateway.GatewayTestApps.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import org.junit.jupiter.api.Test;

/**
 * Tokens at the handshake: missing, expired, not yet valid, wrong signature, wrong audience or issuer, not a JWT are
 * refused with HTTP 401 before the upgrade; RS256 and ES256 tokens are checked against the keys of a JWKS endpoint;
 * the topics claim as an array or a space-separated scope string, with wildcards; a forbidden topic is an error frame.
 */
class GatewayAuthIT {

    private static final AtomicInteger IDS = new AtomicInteger(2000);

    @Test
    void badTokensAreRefusedWith401BeforeTheUpgrade() {
        int port = portA();
        assertThat(WsClient.refusedStatus(port, null)).as("no token").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, "not-a-jwt")).as("not a JWT").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.hs256(Tokens.claims(List.of(ORDERS))
                .expirationTime(Date.from(Instant.now().minusSeconds(600))).build()))).as("expired").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.hs256(Tokens.claims(List.of(ORDERS))
                .notBeforeTime(Date.from(Instant.now().plusSeconds(600))).build()))).as("not yet valid").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.hs256("another-secret-that-is-at-least-32-bytes-long",
                Tokens.claims(List.of(ORDERS)).build()))).as("wrong signature").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.hs256(Tokens.claims(List.of(ORDERS)).audience("someone-else").build())))
                .as("wrong audience").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.hs256(Tokens.claims(List.of(ORDERS)).issuer("https://evil.test").build())))
                .as("wrong issuer").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.hs256(new JWTClaimsSet.Builder().subject("x").issuer(Tokens.ISSUER)
                .audience(Tokens.AUDIENCE).claim("topics", List.of(ORDERS)).build()))).as("no exp").isEqualTo(401);
        assertThat(WsClient.refusedStatus(port, Tokens.granting(ORDERS))).as("a good token").isEqualTo(101);
    }

    @Test
    void the401SaysWhyInTheApiErrorShape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + portA() + "/ws/stream?token=not-a-jwt")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(401);
        JsonNode body = WsClient.JSON.readTree(response.body());
        assertThat(body.path("status").asInt()).isEqualTo(401);
        assertThat(body.path("message").asText()).contains("not a JWT");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    }

    @Test
    void the401DoesNotNameTheExpectedIssuer() throws Exception {
        String token = Tokens.hs256(Tokens.claims(List.of(ORDERS)).issuer("https://evil.test").build());
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + portA() + "/ws/stream?token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).doesNotContain(Tokens.ISSUER).doesNotContain(Tokens.AUDIENCE);
    }

    @Test
    void aTokenInTheSubprotocolHeaderKeepsItOutOfTheUrl() throws Exception {
        try (WsClient client = WsClient.connectWithSubprotocol(portA(), Tokens.granting(ORDERS))) {
            assertThat(client.socket.getSubprotocol()).isEqualTo("cdc-hub");
            client.subscribe("orders");
            assertThat(client.next("subscribed")).isNotNull();
            int id = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 1)");
            assertThat(client.change(id).path("value").path("op").asText()).isEqualTo("c");
        }
    }

    @Test
    void anUnknownTopicAndAForbiddenOneGetTheSameAnswer() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            client.subscribe("gw.gw.no_such_table");
            JsonNode unknown = client.next("error");
            client.subscribe(GatewayTestApps.BULK);
            JsonNode forbidden = client.next("error");
            assertThat(unknown.path("code").asText()).isEqualTo("forbidden-or-unknown");
            assertThat(forbidden.path("code").asText()).isEqualTo("forbidden-or-unknown");
            assertThat(unknown.path("message").asText().replace("gw.gw.no_such_table", "X"))
                    .isEqualTo(forbidden.path("message").asText().replace(GatewayTestApps.BULK, "X"));
        }
    }

    @Test
    void rs256AndEs256TokensAreCheckedWithTheJwksKeys() throws Exception {
        for (String token : List.of(Tokens.rs256(Tokens.claims(List.of(ORDERS)).build()), Tokens.es256(Tokens.claims(List.of(ORDERS)).build()))) {
            try (WsClient client = WsClient.connect(portA(), token)) {
                client.subscribe("orders");
                assertThat(client.next("subscribed")).isNotNull();
                int id = IDS.incrementAndGet();
                sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 1)");
                assertThat(client.change(id).path("value").path("op").asText()).isEqualTo("c");
            }
        }
        // signed by a key the JWKS does not publish
        com.nimbusds.jose.jwk.RSAKey stranger = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("rsa-1").generate();
        com.nimbusds.jwt.SignedJWT forged = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256).keyID("rsa-1").build(),
                Tokens.claims(List.of(ORDERS)).build());
        forged.sign(new com.nimbusds.jose.crypto.RSASSASigner(stranger));
        assertThat(WsClient.refusedStatus(portA(), forged.serialize())).isEqualTo(401);
    }

    @Test
    void theTopicsClaimGrantsNamesAliasesAndWildcards() throws Exception {
        // a space-separated scope string, an alias and a wildcard
        String token = Tokens.hs256(Tokens.claims("realtime_prices gw.gw.ord*").build());
        try (WsClient client = WsClient.connect(portA(), token)) {
            client.subscribe(PRICES, "orders");
            assertThat(client.next("subscribed").path("kafkaTopics").path("orders").asText()).isEqualTo(ORDERS);
            client.subscribe(GatewayTestApps.BULK);
            JsonNode forbidden = client.next("error");
            assertThat(forbidden.path("code").asText()).isEqualTo("forbidden-or-unknown");
        }
        // no topics claim: nothing may be read
        try (WsClient client = WsClient.connect(portA(), Tokens.hs256(Tokens.claims(null).build()))) {
            client.subscribe("orders");
            assertThat(client.next("error").path("code").asText()).isEqualTo("forbidden-or-unknown");
        }
    }
}
