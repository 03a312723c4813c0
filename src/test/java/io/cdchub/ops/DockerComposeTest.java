package io.cdchub.ops;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * docker-compose.yml cannot be started here (no Docker engine), so this checks it as far as a file can be checked:
 * services, images, health checks, start order, ports, volumes, and that cdc-hub's environment names only
 * properties the app knows, sets every property it requires, and passes the app's own start-up validation.
 */
class DockerComposeTest {

    static final Path COMPOSE = Path.of("docker-compose.yml");
    static final Path DOCKERFILE = Path.of("Dockerfile");
    static final Path README = Path.of("README.md");
    static final Path APPLICATION_YAML = Path.of("src/main/resources/application.yaml");
    static final String APP = "cdc-hub";
    static final List<String> BACKING = List.of("postgres", "kafka", "clickhouse", "elasticsearch", "redis");

    /** Environment variables that configure the JVM or the OS, not a Spring property. */
    static final Set<String> NOT_PROPERTIES = Set.of("JAVA_TOOL_OPTIONS", "JAVA_OPTS", "TZ");

    static Map<String, Object> compose;
    static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(COMPOSE));
        services = (Map<String, Map<String, Object>>) compose.get("services");
    }

    @Test
    void hasTheWholeStack() {
        assertThat(services).containsOnlyKeys("postgres", "kafka", "clickhouse", "elasticsearch", "redis", APP);
        assertThat(image("postgres")).startsWith("postgres:");
        assertThat(image("kafka")).startsWith("apache/kafka:");
        assertThat(image("clickhouse")).startsWith("clickhouse/clickhouse-server:");
        assertThat(image("elasticsearch")).startsWith("docker.elastic.co/elasticsearch/elasticsearch:8.");
        assertThat(image("redis")).startsWith("redis:7");
        assertThat(services.get(APP).get("build")).as("cdc-hub is built from this repository's Dockerfile").isEqualTo(".");
        services.forEach((name, service) -> {
            Object image = service.get("image");
            assertThat(String.valueOf(image).toLowerCase()).as(name + " image").doesNotContain("bitnami");
            if (!service.containsKey("build")) {
                assertThat(String.valueOf(image)).as(name + ": pin a version, not latest").matches(".+:[0-9][^:]*").doesNotEndWith(":latest");
            }
        });
    }

    @Test
    void postgresHasLogicalReplication() {
        String command = String.valueOf(services.get("postgres").get("command"));
        assertThat(command).contains("-c wal_level=logical", "max_replication_slots=", "max_wal_senders=");
        // the demo tables' init script is mounted and exists
        assertThat(bindMounts("postgres")).anySatisfy((source, target) -> {
            assertThat(target).startsWith("/docker-entrypoint-initdb.d/");
            assertThat(Files.isRegularFile(Path.of(source))).isTrue();
        });
    }

    @Test
    void kafkaIsASingleKraftNode() {
        Map<String, String> env = environment("kafka");
        assertThat(env.get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
        assertThat(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).startsWith(env.get("KAFKA_NODE_ID") + "@kafka:");
        assertThat(env).doesNotContainKey("KAFKA_ZOOKEEPER_CONNECT");
        // what cdc-hub is given is what the broker advertises
        String bootstrap = environment(APP).get("CDC_KAFKA_BOOTSTRAP_SERVERS");
        for (String address : bootstrap.split(",")) {
            assertThat(env.get("KAFKA_ADVERTISED_LISTENERS")).contains("//" + address);
        }
    }

    @Test
    void everyServiceHasAHealthCheckAndCdcHubWaitsForTheHealthyOnes() {
        services.forEach((name, service) -> {
            assertThat(service).as(name).containsKey("healthcheck");
            Map<String, Object> healthcheck = map(service.get("healthcheck"));
            assertThat(healthcheck.get("test")).as(name + " healthcheck test").isInstanceOf(List.class);
            List<?> test = (List<?>) healthcheck.get("test");
            assertThat(test).as(name).hasSizeGreaterThan(1);
            assertThat(String.valueOf(test.get(0))).as(name).isIn("CMD", "CMD-SHELL");
            assertThat(healthcheck).as(name).containsKeys("interval", "timeout", "retries");
        });
        Map<String, Object> dependsOn = map(services.get(APP).get("depends_on"));
        assertThat(dependsOn).as("cdc-hub depends_on").isNotNull();
        assertThat(dependsOn.keySet()).containsExactlyInAnyOrderElementsOf(BACKING);
        for (String backing : BACKING) {
            assertThat(((Map<?, ?>) dependsOn.get(backing)).get("condition")).as(backing).isEqualTo("service_healthy");
        }
        // cdc-hub's own check asks the readiness group the app enables
        assertThat(String.valueOf(((Map<?, ?>) services.get(APP).get("healthcheck")).get("test"))).contains("/actuator/health/readiness");
    }

    @Test
    void portsArePublishedOnLoopbackWithoutCollisions() {
        Map<String, Integer> expected = Map.of(APP, 8080, "postgres", 5432, "kafka", 29092, "clickhouse", 8123,
                "elasticsearch", 9200, "redis", 6379);
        Set<String> hostPorts = new TreeSet<>();
        services.forEach((name, service) -> {
            List<?> ports = (List<?>) service.get("ports");
            assertThat(ports).as(name + " ports").isNotEmpty();
            List<Integer> containerPorts = new ArrayList<>();
            for (Object port : ports) {
                assertThat(port).as(name + ": quote port mappings (YAML reads 1:2 as a number)").isInstanceOf(String.class);
                String[] parts = ((String) port).split(":");
                assertThat(parts).as(name + " " + port + ": HOST_IP:HOST_PORT:CONTAINER_PORT").hasSize(3);
                assertThat(parts[0]).as(name + ": local stack, bind to loopback").isEqualTo("127.0.0.1");
                assertThat(hostPorts.add(parts[1])).as("host port " + parts[1] + " published twice").isTrue();
                containerPorts.add(Integer.parseInt(parts[2]));
            }
            assertThat(containerPorts).as(name).contains(expected.get(name));
        });
    }

    @Test
    void dockerfileMatchesTheComposeService() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        assertThat(dockerfile).contains("EXPOSE 8080", "FROM eclipse-temurin:${JAVA_VERSION}-jre", "-Djarmode=tools", "extract --layers --destination");
        // the class-data-sharing archive is trained on the very jar path the ENTRYPOINT runs, or the JVM ignores it
        assertThat(dockerfile).contains("create-cds-archive.sh /app/cdc-hub.jar /app/cdc-hub.jsa",
                "ENTRYPOINT [\"java\", \"-XX:SharedArchiveFile=/app/cdc-hub.jsa\", \"-jar\", \"/app/cdc-hub.jar\"]");
        assertThat(dockerfile).containsPattern("(?m)^USER \\S+");
        assertThat(dockerfile).doesNotContainPattern("(?m)^USER (root|0)\\b");
        assertThat(Pattern.compile("(?m)^FROM ").matcher(dockerfile).results().count()).as("multi-stage").isGreaterThanOrEqualTo(2);
        Matcher dataDir = Pattern.compile("CDC_DATA_DIR=(\\S+)").matcher(dockerfile);
        assertThat(dataDir.find()).isTrue();
        assertThat(dockerfile).contains("VOLUME [\"" + dataDir.group(1) + "\"]");
        assertThat(environment(APP).get("CDC_DATA_DIR")).isEqualTo(dataDir.group(1));
        assertThat(namedVolumes(APP)).containsValue(dataDir.group(1));
        assertThat(dockerfile).contains("CDC_ROUTES_DIR=/etc/cdc-hub/routes");
        assertThat(Files.readString(Path.of(".dockerignore"))).contains("!src/", "!pom.xml", "!mvnw", "!.mvn/");
        // every file copied from the build context gets past .dockerignore (it ignores everything else)
        List<String> allowed = Files.readAllLines(Path.of(".dockerignore")).stream()
                .filter(line -> line.startsWith("!")).map(line -> line.substring(1)).toList();
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+)").matcher(dockerfile);
        while (copy.find()) {
            String source = copy.group(1);
            assertThat(allowed).as("COPY " + source + " from the build context, allowed by .dockerignore")
                    .anyMatch(entry -> source.equals(entry) || source.startsWith(entry.endsWith("/") ? entry : entry + "/")
                            || (source + "/").equals(entry));
        }
    }

    @Test
    void volumesAreDeclaredAndStatefulServicesKeepTheirData() {
        Map<String, Object> declared = map(compose.get("volumes"));
        assertThat(declared).as("top-level volumes").isNotNull();
        Set<String> used = new TreeSet<>();
        for (String name : services.keySet()) {
            used.addAll(namedVolumes(name).keySet());
            bindMounts(name).forEach((source, target) ->
                    assertThat(Path.of(source)).as(name + " mounts " + source + ": it must exist in the repository").exists());
        }
        assertThat(declared.keySet()).as("declared named volumes").containsExactlyInAnyOrderElementsOf(used);
        assertThat(namedVolumes("postgres")).containsValue("/var/lib/postgresql/data");
        assertThat(namedVolumes("kafka")).containsValue(environment("kafka").get("KAFKA_LOG_DIRS"));
        assertThat(namedVolumes("clickhouse")).containsValue("/var/lib/clickhouse");
        assertThat(namedVolumes("elasticsearch")).containsValue("/usr/share/elasticsearch/data");
        assertThat(namedVolumes("redis")).containsValue("/data");
    }

    /** Secrets that reach the network: generated (scripts/compose-env.sh), never a default in the file. */
    static final Set<String> GENERATED_SECRETS = Set.of("CDC_ADMIN_TOKEN", "CDC_GATEWAY_JWT_SECRET");

    @Test
    void secretsComeFromVariablesWithLocalDefaults() {
        Pattern variable = Pattern.compile("\\$\\{[A-Z0-9_]+:-[^}]+}");
        services.forEach((name, service) -> environment(name).forEach((key, value) -> {
            if (key.matches(".*(PASSWORD|SECRET|TOKEN|AUTH).*") && !(name.equals(APP) && GENERATED_SECRETS.contains(key))) {
                assertThat(value).as(name + " " + key + ": a ${VAR:-local-default}, never a literal").matches(variable.pattern());
            }
        }));
        // each secret is the same variable wherever both ends need it
        assertThat(environment(APP).get("CDC_SOURCE_DATABASE_PASSWORD")).isEqualTo(environment("postgres").get("POSTGRES_PASSWORD"));
        assertThat(environment(APP).get("CDC_SINK_CLICKHOUSE_PASSWORD")).isEqualTo(environment("clickhouse").get("CLICKHOUSE_PASSWORD"));
        assertThat(environment(APP).get("SPRING_DATA_REDIS_PASSWORD")).isEqualTo(environment("redis").get("REDIS_PASSWORD"));
    }

    @Test
    void theAdminTokenAndJwtSecretAreGeneratedNeverShipped() throws Exception {
        Map<String, String> env = environment(APP);
        for (String key : GENERATED_SECRETS) {
            assertThat(env.get(key)).as(key + ": required from .env (${VAR:?...}), no default in the file")
                    .matches("\\$\\{[A-Z0-9_]+:\\?[^}]*compose-env\\.sh[^}]*}");
        }
        assertThat(Files.readString(COMPOSE)).doesNotContain("cdc-local-only-admin-token", "cdc-local-only-gateway-secret");
        assertThat(Files.readAllLines(Path.of(".gitignore"))).contains(".env");

        // the script generates both, different each time, and keeps what .env already holds
        Path dir = Files.createTempDirectory("compose-env");
        Path first = dir.resolve("first.env");
        Path second = dir.resolve("second.env");
        for (Path file : List.of(first, second)) {
            Process script = new ProcessBuilder("bash", "scripts/compose-env.sh", file.toString()).redirectErrorStream(true).start();
            assertThat(script.waitFor()).as(new String(script.getInputStream().readAllBytes())).isZero();
        }
        Map<String, String> generated = dotEnv(first);
        assertThat(generated).containsOnlyKeys("CDC_ADMIN_TOKEN", "GATEWAY_JWT_SECRET");
        generated.values().forEach(v -> assertThat(v).hasSizeGreaterThanOrEqualTo(40).matches("[A-Za-z0-9]+"));
        assertThat(dotEnv(second).get("CDC_ADMIN_TOKEN")).isNotEqualTo(generated.get("CDC_ADMIN_TOKEN"));
        Process again = new ProcessBuilder("bash", "scripts/compose-env.sh", first.toString()).redirectErrorStream(true).start();
        assertThat(again.waitFor()).isZero();
        assertThat(dotEnv(first)).isEqualTo(generated);
    }

    @Test
    void theAppRefusesThePublishedSampleSecretsUnlessBoundToLoopback() {
        for (String[] sample : new String[][] {{"cdc.admin.token", "cdc-local-only-admin-token"},
                {"cdc.gateway.jwt.secret", "cdc-local-only-gateway-secret-32-bytes"}}) {
            org.springframework.mock.env.MockEnvironment reachable = new org.springframework.mock.env.MockEnvironment()
                    .withProperty(sample[0], sample[1]);
            assertThatThrownBy(() -> io.cdchub.admin.SampleSecrets.check(reachable))
                    .isInstanceOfSatisfying(io.cdchub.config.InvalidConfigurationException.class,
                            e -> assertThat(e.getMessage()).contains("sample value").contains("compose-env.sh"))
                    .hasMessageContaining("every interface");
            assertThatThrownBy(() -> io.cdchub.admin.SampleSecrets.check(reachable.withProperty("server.address", "0.0.0.0")))
                    .isInstanceOf(io.cdchub.config.InvalidConfigurationException.class);
            io.cdchub.admin.SampleSecrets.check(new org.springframework.mock.env.MockEnvironment().withProperty(sample[0], sample[1])
                    .withProperty("server.address", "127.0.0.1"));
        }
        // the app itself: start-up fails naming the property
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> new org.springframework.boot.builder.SpringApplicationBuilder(
                io.cdchub.CdcHubApplication.class).run("--cdc.source.enabled=false", "--server.port=0", "--cdc.admin.connect-port=-1",
                "--cdc.kafka.bootstrap-servers=127.0.0.1:1", "--cdc.admin.token=cdc-local-only-admin-token").close());
        String description = new io.cdchub.config.InvalidConfigurationFailureAnalyzer().analyze(failure).getDescription();
        assertThat(description).contains("cdc.admin.token").contains("sample value");
    }

    private static Map<String, String> dotEnv(Path file) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return values;
    }

    @Test
    void cdcHubPointsAtTheComposeServices() {
        Map<String, String> env = interpolated(environment(APP));
        assertThat(env.get("CDC_SOURCE_DATABASE_HOSTNAME")).isEqualTo("postgres");
        assertThat(env.get("CDC_SOURCE_DATABASE_DBNAME")).isEqualTo(environment("postgres").get("POSTGRES_DB"));
        assertThat(env.get("CDC_SOURCE_DATABASE_USER")).isEqualTo(environment("postgres").get("POSTGRES_USER"));
        assertThat(URI.create(env.get("CDC_SINK_CLICKHOUSE_URL")).getHost()).isEqualTo("clickhouse");
        assertThat(env.get("CDC_SINK_CLICKHOUSE_DATABASE")).isEqualTo(environment("clickhouse").get("CLICKHOUSE_DB"));
        assertThat(env.get("CDC_SINK_CLICKHOUSE_USERNAME")).isEqualTo(environment("clickhouse").get("CLICKHOUSE_USER"));
        assertThat(URI.create(env.get("CDC_SINK_ELASTICSEARCH_URL")).getHost()).isEqualTo("elasticsearch");
        assertThat(env.get("SPRING_DATA_REDIS_HOST")).isEqualTo("redis");
        assertThat(env.get("CDC_SINK_CLICKHOUSE_ENABLED")).isEqualTo("true");
        assertThat(env.get("CDC_SINK_ELASTICSEARCH_ENABLED")).isEqualTo("true");
        // the index-template folder is mounted where the setting says
        assertThat(bindMounts(APP)).containsValue(env.get("CDC_SINK_ELASTICSEARCH_TEMPLATES"));
    }

    @Test
    void cdcHubSetsEveryRequiredPropertyAndOnlyKnownOnes() throws IOException {
        Map<String, String> env = environment(APP);

        // the "(required)" rows of README's configuration table
        Set<String> required = requiredProperties();
        assertThat(required).as("README's (required) rows").contains("cdc.source.database.hostname", "cdc.source.database.dbname",
                "cdc.source.database.user", "cdc.source.tables", "cdc.source.slot");
        required.add("cdc.kafka.bootstrap-servers"); // has a localhost default, useless in a container
        for (String property : required) {
            assertThat(env).as(property + " must be set as " + envName(property)).containsKey(envName(property));
            assertThat(env.get(envName(property))).as(envName(property)).isNotBlank();
        }

        // every variable binds (Spring's relaxed binding) to a property the app knows
        KnownProperties known = knownProperties();
        List<String> unknown = new ArrayList<>();
        for (String name : env.keySet()) {
            if (!NOT_PROPERTIES.contains(name) && !known.matchesEnv(name)) {
                unknown.add(name);
            }
        }
        assertThat(unknown).as("environment variables of cdc-hub that name no property of the app").isEmpty();
    }

    @Test
    void cdcHubEnvironmentPassesTheAppsStartUpValidation() throws Exception {
        // bind every @ConfigurationProperties of the app from exactly this environment: their constructors run
        // the same checks start-up does (a bad slot, table regex or sink URL fails here)
        MutablePropertySources sources = new MutablePropertySources();
        sources.addFirst(new SystemEnvironmentPropertySource("docker-compose-systemEnvironment", new HashMap<>(interpolated(environment(APP)))));
        Binder binder = new Binder(ConfigurationPropertySources.from(sources));

        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
        List<String> bound = new ArrayList<>();
        for (BeanDefinition candidate : scanner.findCandidateComponents("io.cdchub")) {
            Class<?> type = Class.forName(candidate.getBeanClassName());
            ConfigurationProperties annotation = AnnotatedElementUtils.findMergedAnnotation(type, ConfigurationProperties.class);
            String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
            try {
                assertThat(binder.bindOrCreate(prefix, Bindable.of(type))).isNotNull();
            } catch (RuntimeException e) {
                Throwable cause = e;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                fail("docker-compose's cdc-hub environment fails " + type.getSimpleName() + " (" + prefix + "): " + cause.getMessage(), e);
            }
            bound.add(prefix);
        }
        assertThat(bound).contains("cdc", "cdc.source");
        Object sourceEnabled = binder.bind("cdc.source.enabled", Boolean.class).orElse(true);
        assertThat(sourceEnabled).as("compose runs the source").isEqualTo(true);
    }

    // ---------------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    static String image(String service) {
        return String.valueOf(services.get(service).get("image"));
    }

    static Map<String, String> environment(String service) {
        Object env = services.get(service).get("environment");
        assertThat(env).as(service + ": environment as a mapping").isInstanceOf(Map.class);
        Map<String, String> result = new LinkedHashMap<>();
        ((Map<?, ?>) env).forEach((k, v) -> {
            assertThat(v).as(service + " " + k + ": a string, a number or a boolean").isNotNull();
            result.put(String.valueOf(k), String.valueOf(v));
        });
        return result;
    }

    /** Compose's interpolation as `docker compose up` with no variables set does it: ${VAR:-default} -> default. */
    static Map<String, String> interpolated(Map<String, String> env) {
        Pattern variable = Pattern.compile("\\$\\{([A-Z0-9_]+)(:([-?])([^}]*))?}");
        Map<String, String> result = new LinkedHashMap<>();
        env.forEach((key, value) -> {
            Matcher m = variable.matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                if (m.group(2) == null) {
                    fail(key + ": ${" + m.group(1) + "} has no default; use ${" + m.group(1) + ":-local-default}");
                }
                // ${VAR:?message}: required, as scripts/compose-env.sh generates it
                String replacement = "?".equals(m.group(3)) ? "generated-" + m.group(1).toLowerCase(Locale.ROOT) + "-0123456789abcdef0123456789"
                        : m.group(4);
                m.appendReplacement(out, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(out);
            result.put(key, out.toString().replace("$$", "$"));
        });
        return result;
    }

    /** Named volumes of a service: volume name -> mount path. */
    static Map<String, String> namedVolumes(String service) {
        Map<String, String> result = new LinkedHashMap<>();
        for (String[] mount : mounts(service)) {
            if (!mount[0].startsWith(".") && !mount[0].startsWith("/")) {
                result.put(mount[0], mount[1]);
            }
        }
        return result;
    }

    /** Bind mounts of a service: host path -> mount path. */
    static Map<String, String> bindMounts(String service) {
        Map<String, String> result = new LinkedHashMap<>();
        for (String[] mount : mounts(service)) {
            if (mount[0].startsWith(".") || mount[0].startsWith("/")) {
                result.put(mount[0], mount[1]);
            }
        }
        return result;
    }

    static List<String[]> mounts(String service) {
        List<String[]> result = new ArrayList<>();
        Object volumes = services.get(service).get("volumes");
        if (volumes == null) {
            return result;
        }
        for (Object volume : (List<?>) volumes) {
            String[] parts = String.valueOf(volume).split(":");
            assertThat(parts.length).as(service + " volume " + volume).isBetween(2, 3);
            result.add(new String[] {parts[0], parts[1]});
        }
        return result;
    }

    /** cdc.kafka.bootstrap-servers -> CDC_KAFKA_BOOTSTRAP_SERVERS (the form README and the app's messages use) */
    static String envName(String property) {
        return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * The environment variable names Spring's relaxed binding accepts for a property: dashes dropped
     * (CDC_KAFKA_BOOTSTRAPSERVERS) or turned into underscores (CDC_KAFKA_BOOTSTRAP_SERVERS).
     */
    static List<String> envNames(String property) {
        String upper = property.toUpperCase(Locale.ROOT).replace('.', '_');
        return List.of(upper.replace("-", ""), upper.replace('-', '_'));
    }

    static Set<String> requiredProperties() throws IOException {
        Set<String> required = new TreeSet<>();
        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("| `") && line.contains("(required)")) {
                required.addAll(tableProperties(line));
            }
        }
        return required;
    }

    /** The property names of a README table row: `a.b` / `.c` means a.b and a.c. */
    static List<String> tableProperties(String row) {
        String first = row.split("\\|")[1];
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("`([^`]+)`").matcher(first);
        String base = null;
        while (m.find()) {
            String name = m.group(1).trim();
            if (name.startsWith(".") && base != null) {
                name = base.substring(0, base.lastIndexOf('.')) + name;
            }
            names.add(name);
            base = name;
        }
        return names;
    }

    record KnownProperties(Set<String> exact, Set<String> prefixes) {

        /** Both sets hold environment variable forms (see {@link #envNames}). */
        boolean matchesEnv(String envVar) {
            return exact.contains(envVar) || prefixes.stream().anyMatch(prefix -> envVar.startsWith(prefix + "_"));
        }
    }

    /**
     * What the app knows: application.yaml's keys, README's configuration table, and the Spring configuration
     * metadata on the classpath (the app's own, generated from its @ConfigurationProperties, and Spring Boot's
     * and Camel's, e.g. spring.data.redis.host). Map-valued and `*` properties are prefixes.
     */
    static KnownProperties knownProperties() throws IOException {
        Set<String> exact = new TreeSet<>();
        Set<String> prefixes = new TreeSet<>();

        Map<String, Object> yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(APPLICATION_YAML));
        flatten("", yaml, exact);

        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("| `")) {
                for (String name : tableProperties(line)) {
                    if (name.endsWith(".*")) {
                        prefixes.addAll(envNames(name.substring(0, name.length() - 2)));
                    } else if (name.contains("<")) {
                        prefixes.addAll(envNames(name.substring(0, name.indexOf('<') - 1)));
                    } else {
                        exact.addAll(envNames(name));
                    }
                }
            }
        }

        ObjectMapper json = new ObjectMapper();
        PathMatchingResourcePatternResolver resolver = new PathMatchingResourcePatternResolver();
        for (String pattern : List.of("classpath*:META-INF/spring-configuration-metadata.json",
                "classpath*:META-INF/additional-spring-configuration-metadata.json")) {
            for (Resource resource : resolver.getResources(pattern)) {
                try (InputStream in = resource.getInputStream()) {
                    JsonNode properties = json.readTree(in).path("properties");
                    for (JsonNode property : properties) {
                        String name = property.path("name").asText();
                        String type = property.path("type").asText("");
                        exact.addAll(envNames(name));
                        if (type.startsWith("java.util.Map") || type.startsWith("java.util.Properties")) {
                            prefixes.addAll(envNames(name));
                        }
                    }
                }
            }
        }
        assertThat(exact).as("the app's own metadata must be on the classpath (spring-boot-configuration-processor)")
                .contains("CDC_SOURCE_DATABASE_HOSTNAME", "CDC_SINK_CLICKHOUSE_URL");
        return new KnownProperties(exact, prefixes);
    }

    static void flatten(String prefix, Object value, Set<String> into) {
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> flatten(prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k, v, into));
        } else {
            into.addAll(envNames(prefix));
        }
    }
}
