package io.cdchub.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.cdchub.source.ValueFormat;
import io.debezium.connector.postgresql.PostgresConnector;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;

/**
 * Validation and key mapping of connector configurations. The {@code /debezium} API takes snake_case keys
 * ({@code database_hostname}); the Connect-style API and storage use Debezium's dotted keys
 * ({@code database.hostname}). Every check names the field at fault, in the caller's spelling.
 */
public final class ConnectorConfigs {

    public static final String POSTGRES_CONNECTOR = "io.debezium.connector.postgresql.PostgresConnector";
    /** Shown instead of secrets; sent back in a PUT it means "keep the stored value". */
    public static final String MASK = "********";

    /** Connector names become route ids, engine names and offset keys: keep them plain. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Pattern TOPIC_PREFIX = Pattern.compile("[a-zA-Z0-9._-]{1,200}");
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Pattern PUBLICATION = Pattern.compile("[A-Za-z0-9_]{1,63}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]_-]{1,253}");
    private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,199}");
    private static final int MAX_VALUE_LENGTH = 65536;
    /** Where a connector's secrets go: a masked secret is kept only while these stay as stored. */
    static final List<String> CONNECTION_KEYS = List.of("database.hostname", "database.port", "database.dbname", "database.user");

    private static final Set<String> SNAPSHOT_MODES = Set.of("initial", "initial_only", "no_data", "never", "when_needed", "always",
            "recovery", "configuration_based");
    private static final Set<String> AUTOCREATE_MODES = Set.of("filtered", "all_tables", "disabled", "no_tables");
    private static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    private static final List<String> REGEX_LISTS = List.of("schema.include.list", "schema.exclude.list", "table.include.list",
            "table.exclude.list", "column.include.list", "column.exclude.list");
    /** Keys cdc-hub sets itself: how offsets are kept and how values are rendered are part of its guarantees. */
    private static final List<String> MANAGED_PREFIXES = List.of("offset.storage", "offset.flush", "transforms", "predicates",
            "converters", "decimal.handling.mode", "binary.handling.mode", "time.precision.mode", "tombstones.on.delete",
            "internal.");
    /** Connect worker settings that scripts send along; accepted and kept, but cdc-hub always writes JSON without schemas. */
    private static final List<String> IGNORED_PREFIXES = List.of("key.converter", "value.converter", "header.converter", "errors.");

    private static final ConfigDef DEBEZIUM = new PostgresConnector().config();

    /** cdc-hub's key for a connector's value form: cdc-hub (default) or debezium, as cdc.source.value-format. */
    public static final String VALUE_FORMAT = "value.format";
    /** Connect's spelling of the schema wrapper, honoured with the debezium form. */
    public static final String SCHEMAS_ENABLE = "value.converter.schemas.enable";
    /** Debezium's value-form keys: managed by cdc-hub in the cdc-hub form, the user's (Debezium's defaults) in the debezium form. */
    private static final List<String> VALUE_FORM_KEYS = List.of("decimal.handling.mode", "binary.handling.mode", "time.precision.mode",
            "tombstones.on.delete");

    private ConnectorConfigs() {
    }

    /** How the caller spells keys, for error fields. */
    public enum Naming {
        /** the /debezium API: {@code config.database_hostname} */
        SNAKE,
        /** the Connect-style API: {@code database.hostname} */
        DOTTED;

        String field(String dottedKey) {
            return this == SNAKE ? "config." + dottedKey.replace('.', '_') : dottedKey;
        }
    }

    /** snake_case keys to Debezium's dotted keys ({@code database_hostname} -> {@code database.hostname}); values to strings. */
    public static Map<String, String> fromSnakeCase(Map<String, Object> config) {
        Map<String, String> dotted = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : config.entrySet()) {
            String key = e.getKey();
            if (key == null || !key.matches("[a-z][a-z0-9_]{0,199}")) {
                throw ApiException.badRequest("config." + key, "keys are snake_case: lower-case letters, digits and '_'");
            }
            dotted.put(key.replace('_', '.'), scalar("config." + key, e.getValue()));
        }
        return dotted;
    }

    /** Connect's JSON config values (strings, but numbers and booleans are taken as their text). */
    public static Map<String, String> fromJson(Map<String, Object> config) {
        Map<String, String> dotted = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : config.entrySet()) {
            dotted.put(e.getKey(), scalar(e.getKey(), e.getValue()));
        }
        return dotted;
    }

    private static String scalar(String field, Object value) {
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value);
        }
        throw ApiException.badRequest(field, value == null ? "must not be null" : "must be a string, number or boolean");
    }

    public static void requireName(String field, String name) {
        if (name == null || name.isBlank()) {
            throw ApiException.badRequest(field, "is required");
        }
        if (!NAME.matcher(name).matches()) {
            throw ApiException.badRequest(field, "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /**
     * Checks a dotted configuration and completes it with cdc-hub's defaults (pgoutput, a slot and publication of the
     * connector's own). The result is what is stored and run.
     *
     * @throws ApiException 400 naming the field and the reason
     */
    public static Map<String, String> validate(String name, Map<String, String> input, Naming naming) {
        return check(name, input, naming, Problems.THROWING);
    }

    /**
     * Every problem of a dotted configuration, by key (Connect's {@code config/validate} reports them all at once);
     * empty when {@link #validate} would accept it. The checks are {@link #validate}'s, in its order.
     */
    public static Map<String, List<String>> problems(String name, Map<String, String> input) {
        Problems problems = new Problems();
        check(name, input, Naming.DOTTED, problems);
        return problems.byKey;
    }

    /**
     * Where the checks report: {@link #THROWING} throws the first problem as a 400 (so the checks stop there, as an API
     * call needs), a collecting instance keeps every problem and the checks go on with what can still be checked.
     */
    static class Problems {
        static final Problems THROWING = new Problems();
        final Map<String, List<String>> byKey = new LinkedHashMap<>();

        /** @param key the dotted key at fault, or null when the key itself is missing */
        void add(Naming naming, String key, String message) {
            if (this == THROWING) {
                throw ApiException.badRequest(key == null ? "config" : naming.field(key), message);
            }
            byKey.computeIfAbsent(key == null ? "config" : key, k -> new java.util.ArrayList<>()).add(message);
        }
    }

    private static Map<String, String> check(String name, Map<String, String> input, Naming naming, Problems problems) {
        ValueFormat format = ValueFormat.CDC_HUB;
        try {
            format = valueFormat(input, naming);
        } catch (ApiException e) {
            if (problems == Problems.THROWING) {
                throw e;
            }
            problems.add(naming, e.field(), e.getMessage()); // collecting: the naming is DOTTED, so the field is the key
        }
        Map<String, String> config = new TreeMap<>();
        entries:
        for (Map.Entry<String, String> e : input.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key == null || !KEY.matcher(key).matches()) {
                problems.add(naming, key, "is not a valid configuration key");
                continue;
            }
            if (value == null) {
                problems.add(naming, key, "must not be null");
                continue;
            }
            if (value.length() > MAX_VALUE_LENGTH || value.indexOf('\0') >= 0) {
                problems.add(naming, key, "is too long or contains NUL characters");
                continue;
            }
            for (String managed : MANAGED_PREFIXES) {
                if (key.startsWith(managed) && !(format == ValueFormat.DEBEZIUM && VALUE_FORM_KEYS.contains(key))) {
                    problems.add(naming, key, "is set by cdc-hub (offsets are kept behind Kafka's acknowledgements"
                            + " and values are rendered exactly); remove it");
                    continue entries;
                }
            }
            config.put(key, secret(key) ? value : value.strip()); // a password may begin or end with a space
        }

        String configuredName = config.remove("name");
        if (configuredName != null && !configuredName.equals(name)) {
            problems.add(naming, "name", "must equal the connector's name '" + name + "'");
        }

        String connectorClass = config.get("connector.class");
        if (connectorClass == null || connectorClass.isEmpty()) {
            problems.add(naming, "connector.class", "is required: " + POSTGRES_CONNECTOR);
        } else if (!connectorClass.equals(POSTGRES_CONNECTOR) && !connectorClass.equals("PostgresConnector")) {
            problems.add(naming, "connector.class", "must be " + POSTGRES_CONNECTOR + " (the only connector cdc-hub runs)");
        }
        config.put("connector.class", POSTGRES_CONNECTOR);

        String tasks = config.get("tasks.max");
        if (tasks != null && !tasks.equals("1")) {
            problems.add(naming, "tasks.max", "must be 1: the PostgreSQL connector reads its slot with one task");
        }
        config.put("tasks.max", "1");

        String host = required(config, "database.hostname", naming, problems);
        if (host != null && !HOST.matcher(host).matches()) {
            problems.add(naming, "database.hostname", "must be a host name or IP address");
        }
        String port = config.getOrDefault("database.port", "5432");
        try {
            int portNumber = Integer.parseInt(port);
            if (portNumber < 1 || portNumber > 65535) {
                problems.add(naming, "database.port", "must be 1-65535, but is " + portNumber);
            } else {
                config.put("database.port", String.valueOf(portNumber));
            }
        } catch (NumberFormatException e) {
            problems.add(naming, "database.port", "must be a number, but is '" + port + "'");
        }
        required(config, "database.user", naming, problems);
        required(config, "database.dbname", naming, problems);

        String prefix = required(config, "topic.prefix", naming, problems);
        if (prefix != null && (!TOPIC_PREFIX.matcher(prefix).matches() || prefix.equals(".") || prefix.equals(".."))) {
            problems.add(naming, "topic.prefix", "must be 1-200 letters, digits, '.', '_' or '-' (topics are <prefix>.<schema>.<table>)");
        }

        String plugin = config.get("plugin.name");
        if (plugin != null && !plugin.equals("pgoutput")) {
            problems.add(naming, "plugin.name", "must be pgoutput (PostgreSQL's built-in logical decoding plugin)");
        }
        config.put("plugin.name", "pgoutput");

        String slot = config.get("slot.name");
        if (slot == null) {
            slot = defaultSlot(name);
            config.put("slot.name", slot);
        } else if (!SLOT.matcher(slot).matches()) {
            problems.add(naming, "slot.name", "must be 1-63 lower-case letters, digits or '_'");
        }
        String publication = config.get("publication.name");
        if (publication == null) {
            config.put("publication.name", slot + "_pub");
        } else if (!PUBLICATION.matcher(publication).matches()) {
            problems.add(naming, "publication.name", "must be 1-63 letters, digits or '_'");
        }
        oneOf(config, "publication.autocreate.mode", AUTOCREATE_MODES, naming, problems);
        oneOf(config, "snapshot.mode", SNAPSHOT_MODES, naming, problems);
        oneOf(config, "database.sslmode", SSL_MODES, naming, problems);
        for (String key : REGEX_LISTS) {
            String list = config.get(key);
            if (list != null) {
                for (String regex : list.split(",")) {
                    try {
                        Pattern.compile(regex.strip());
                    } catch (PatternSyntaxException e) {
                        problems.add(naming, key, "holds an invalid regular expression '" + regex.strip() + "': " + e.getDescription());
                        break;
                    }
                }
            }
        }

        // Everything else is Debezium's: its own definitions check types and allowed values.
        Map<String, String> forDebezium = new TreeMap<>(config);
        forDebezium.put("name", name);
        if (!forDebezium.containsKey("database.password")) {
            forDebezium.put("database.password", "unused");
        }
        for (ConfigValue value : DEBEZIUM.validate(forDebezium)) {
            if (!value.errorMessages().isEmpty() && config.containsKey(value.name()) && !problems.byKey.containsKey(value.name())) {
                problems.add(naming, value.name(), value.errorMessages().get(0));
            }
        }
        return config;
    }

    /** The connector's value form ({@value #VALUE_FORMAT}); 400 for an unknown one. */
    public static ValueFormat valueFormat(Map<String, String> config, Naming naming) {
        String value = config.getOrDefault(VALUE_FORMAT, ValueFormat.CDC_HUB.label()).strip();
        ValueFormat format;
        if (value.equals(ValueFormat.CDC_HUB.label())) {
            format = ValueFormat.CDC_HUB;
        } else if (value.equals(ValueFormat.DEBEZIUM.label())) {
            format = ValueFormat.DEBEZIUM;
        } else {
            throw ApiException.badRequest(naming.field(VALUE_FORMAT), "must be cdc-hub or debezium, but is '" + value + "'");
        }
        String schemas = config.getOrDefault(SCHEMAS_ENABLE, "false").strip();
        if (!schemas.equals("true") && !schemas.equals("false")) {
            throw ApiException.badRequest(naming.field(SCHEMAS_ENABLE), "must be true or false, but is '" + schemas + "'");
        }
        if (schemas.equals("true") && format != ValueFormat.DEBEZIUM) {
            throw ApiException.badRequest(naming.field(SCHEMAS_ENABLE), "needs " + VALUE_FORMAT + "=debezium: Connect's schemas describe"
                    + " Debezium's value forms, not cdc-hub's exact numbers and ISO text");
        }
        return format;
    }

    /** Whether the connector's keys and values carry Connect's schema wrapper ({@value #SCHEMAS_ENABLE}). */
    public static boolean schemasEnable(Map<String, String> config) {
        return Boolean.parseBoolean(config.getOrDefault(SCHEMAS_ENABLE, "false").strip());
    }

    /** Keys that are accepted but not applied (Connect converter settings). */
    public static boolean ignored(String key) {
        return IGNORED_PREFIXES.stream().anyMatch(key::startsWith);
    }

    /**
     * Secret-like keys, masked wherever a configuration is shown: {@code *password*}, {@code *secret*}, {@code *token*},
     * {@code *.key} (PEM keys such as {@code ssl.keystore.key}, API keys) and {@code *sasl.jaas.config}.
     */
    public static boolean secret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("token") || k.endsWith(".key")
                || k.endsWith("jaas.config") || k.contains("api.key");
    }

    /** The configuration with secrets replaced by {@link #MASK}. */
    public static Map<String, String> masked(Map<String, String> config) {
        Map<String, String> masked = new TreeMap<>(config);
        masked.replaceAll((key, value) -> secret(key) && !value.isEmpty() ? MASK : value);
        return masked;
    }

    /**
     * A new configuration whose masked secrets mean "keep what is stored". A stored secret is only ever sent to the
     * server it was given for: a mask together with another {@link #CONNECTION_KEYS host, port, database or user} is
     * refused (400 naming the changed field), so nobody who can read the masked configuration can redirect the
     * password to a server of theirs.
     */
    public static Map<String, String> unmask(Map<String, String> incoming, Map<String, String> stored, Naming naming) {
        List<String> reused = incoming.entrySet().stream()
                .filter(e -> MASK.equals(e.getValue()) && secret(e.getKey()) && stored.containsKey(e.getKey()))
                .map(Map.Entry::getKey).sorted().toList();
        if (!reused.isEmpty()) {
            for (String key : CONNECTION_KEYS) {
                String before = stored.get(key);
                String after = incoming.get(key);
                if (after != null && !after.strip().equals(before == null ? "" : before)
                        && !(key.equals("database.port") && before == null && after.strip().equals("5432"))) {
                    throw ApiException.badRequest(naming.field(key), "changed while " + String.join(", ", reused.stream()
                            .map(naming::field).toList()) + " is sent masked (" + MASK + "): a stored secret is kept only for the "
                            + "same server, port, database and user; send the secret again in clear to use it elsewhere");
                }
            }
        }
        Map<String, String> result = new LinkedHashMap<>(incoming);
        result.replaceAll((key, value) -> MASK.equals(value) && secret(key) && stored.containsKey(key) ? stored.get(key) : value);
        return result;
    }

    public static Map<String, String> toSnakeCase(Map<String, String> dotted) {
        Map<String, String> snake = new TreeMap<>();
        dotted.forEach((key, value) -> snake.put(key.replace('.', '_'), value));
        return snake;
    }

    /** The slot of a connector that names none: its name in PostgreSQL's identifier alphabet (one slot per connector). */
    static String defaultSlot(String name) {
        String slot = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return slot.length() > 63 ? slot.substring(0, 63) : slot;
    }

    private static String required(Map<String, String> config, String key, Naming naming, Problems problems) {
        String value = config.get(key);
        if (value == null || value.isEmpty()) {
            problems.add(naming, key, "is required");
            return null;
        }
        return value;
    }

    private static void oneOf(Map<String, String> config, String key, Set<String> allowed, Naming naming, Problems problems) {
        String value = config.get(key);
        if (value != null && !allowed.contains(value.toLowerCase(Locale.ROOT))) {
            problems.add(naming, key, "must be one of " + new java.util.TreeSet<>(allowed) + ", but is '" + value + "'");
        }
    }
}
