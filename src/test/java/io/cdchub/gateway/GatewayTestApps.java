package io.cdchub.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.sun.net.httpserver.HttpServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gateway tests' shared servers, started once per JVM: a JWKS endpoint (JDK HttpServer) publishing the test RSA
 * and EC keys; instance A capturing schema {@code gw} (tables orders, prices; topics gw.gw.orders, gw.gw.prices) with
 * the gateway on (HS256 secret and the JWKS URL, issuer, audience, aliases, a 200-frame buffer); instance B, a
 * second gateway without a source on the same topics, with the row-level rule (claim tenant_id = column tenant_id)
 * and at most 3 connections.
 */
final class GatewayTestApps {

    static final String DB = RealServers.DATABASE;
    static final String ORDERS = "gw.gw.orders";
    static final String PRICES = "gw.gw.prices";
    static final String BULK = "gw.bulk";

    private static ConfigurableApplicationContext a;
    private static ConfigurableApplicationContext b;
    private static HttpServer jwks;

    private GatewayTestApps() {
    }

    private static RuntimeException failed;

    static synchronized ConfigurableApplicationContext a() {
        if (failed != null) {
            throw new IllegalStateException("the gateway test app did not start", failed);
        }
        if (a == null) {
            try {
                a = startA();
            } catch (RuntimeException e) {
                failed = e;
                throw e;
            }
        }
        return a;
    }

    private static ConfigurableApplicationContext startA() {
        ConfigurableApplicationContext a;
        {
            startJwks();
            Map<String, String> settings = RealServers.sourceSettings("gw",
                    "CREATE TABLE gw.orders (id int PRIMARY KEY, status text, tenant_id text, amount numeric(12,2))",
                    "ALTER TABLE gw.orders REPLICA IDENTITY FULL",
                    "CREATE TABLE gw.prices (id int PRIMARY KEY, symbol text, price numeric(12,4))");
            settings.putAll(gateway());
            settings.put("cdc.gateway.buffer", "200");
            settings.put("cdc.gateway.ping-interval", "2s");
            settings.put("cdc.gateway.max-bad-messages", "8");
            settings.put("cdc.gateway.subscribe-rate", "5");
            settings.put("cdc.gateway.send-timeout", "20s");
            a = InProcessApp.start(settings);
            // the change topics exist from their first change on
            PostgresServer.shared().execute(DB, "INSERT INTO gw.orders VALUES (0, 'seed', 'acme', 0)", "INSERT INTO gw.prices VALUES (0, 'SEED', 0)");
            TopicReader.awaitCount(ORDERS, 1);
            TopicReader.awaitCount(PRICES, 1);
            io.cdchub.testinfra.TopicWriter.write(BULK, java.util.List.of(io.cdchub.testinfra.TopicWriter.Out.json("{\"id\":0}", "{\"op\":\"c\",\"after\":{\"id\":0}}")));
        }
        return a;
    }

    static synchronized ConfigurableApplicationContext b() {
        a();
        if (b == null) {
            Map<String, String> settings = RealServers.settings();
            settings.put("cdc.source.enabled", "false");
            settings.put("cdc.topic-prefix", "gw");
            settings.put("cdc.dlq.topic", "gw.dlq");
            settings.putAll(gateway());
            settings.put("cdc.gateway.row-filter.claim", "tenant_id");
            settings.put("cdc.gateway.row-filter.column", "tenant_id");
            settings.put("cdc.gateway.max-connections", "3");
            b = InProcessApp.start(settings);
        }
        return b;
    }

    private static Map<String, String> gateway() {
        return new java.util.LinkedHashMap<>(Map.of(
                "cdc.gateway.enabled", "true",
                "cdc.gateway.jwt.secret", Tokens.SECRET,
                "cdc.gateway.jwt.jwks-url", "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json",
                "cdc.gateway.jwt.issuer", Tokens.ISSUER,
                "cdc.gateway.jwt.audience", Tokens.AUDIENCE,
                "cdc.gateway.aliases.orders", ORDERS,
                "cdc.gateway.aliases.realtime_prices", PRICES,
                "cdc.gateway.topic-refresh-ms", "1000"));
    }

    private static void startJwks() {
        try {
            jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] body = Tokens.PUBLIC_KEYS.toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks.json", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        jwks.start();
    }

    static int port(ConfigurableApplicationContext app) {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    static int portA() {
        return port(a());
    }

    static int portB() {
        return port(b());
    }

    static MeterRegistry meters(ConfigurableApplicationContext app) {
        return app.getBean(MeterRegistry.class);
    }

    static GatewayHub hub(ConfigurableApplicationContext app) {
        return app.getBean(GatewayHub.class);
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(DB, statements);
    }
}
