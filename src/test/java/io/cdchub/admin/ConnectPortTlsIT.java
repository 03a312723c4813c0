package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TempDirs;
import org.apache.catalina.connector.Connector;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Connect-style port carries the admin credentials: it follows the main server's {@code server.address} and
 * {@code server.ssl.*} (a key store generated for the test, never committed) instead of listening in plaintext on
 * every interface.
 */
class ConnectPortTlsIT {

    private static final String STORE_PASSWORD = "test-only-store-password";

    @Test
    void theConnectPortListensWhereAndHowTheMainPortDoes() throws Exception {
        Path keyStore = TempDirs.create("cdc-hub-tls-").resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "cdc-hub", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", STORE_PASSWORD)
                .redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();

        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("server.address", "127.0.0.1");
        settings.put("server.ssl.key-store", keyStore.toString());
        settings.put("server.ssl.key-store-type", "PKCS12");
        settings.put("server.ssl.key-store-password", STORE_PASSWORD);
        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            int connectPort = Integer.parseInt(app.getEnvironment().getProperty(ConnectPortConfiguration.LOCAL_PORT_PROPERTY));
            Connector connector = Arrays.stream(((TomcatWebServer) ((ServletWebServerApplicationContext) app).getWebServer()).getTomcat()
                    .getService().findConnectors()).filter(c -> c.getLocalPort() == connectPort).findFirst().orElseThrow();
            assertThat(connector.getProperty("address")).as("server.address").isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(connector.getSecure()).isTrue();
            assertThat(connector.getScheme()).isEqualTo("https");

            KeyStore trusted = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                trusted.load(in, STORE_PASSWORD.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            HttpClient https = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> overTls = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + connectPort + "/connectors"))
                    .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(overTls.statusCode()).as("over TLS, asking for credentials").isEqualTo(401);

            Throwable plaintext = catchThrowable(() -> {
                HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connectPort
                        + "/connectors")).timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertThat(plain.statusCode()).as("plaintext is refused").isEqualTo(400);
            });
            if (plaintext != null) {
                assertThat(plaintext).isInstanceOf(java.io.IOException.class);
            }
        }
    }
}
