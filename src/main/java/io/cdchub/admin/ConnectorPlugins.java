package io.cdchub.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.debezium.connector.postgresql.PostgresConnector;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.runtime.AbstractHerder;
import org.apache.kafka.connect.runtime.ConnectorConfig;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.apache.kafka.connect.runtime.rest.entities.ConfigValueInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigKeyInfo;
import org.apache.kafka.connect.runtime.rest.entities.PluginInfo;
import org.apache.kafka.connect.runtime.isolation.PluginType;

/**
 * What {@code /connector-plugins} tells Connect tools: the one connector cdc-hub runs (Debezium's PostgreSQL source),
 * its configuration definitions and the result of validating a configuration, in Kafka Connect's own entity classes
 * (so field names and types are Connect's by construction). Validation reports cdc-hub's own checks, not Connect's:
 * what cdc-hub would refuse on create is what is reported.
 */
final class ConnectorPlugins {

    static final String POSTGRES_ALIAS = "PostgresConnector";
    private static final String ALIAS_SUFFIX = "Connector";

    /** Connect's "Common" connector settings (name, connector.class, tasks.max, converters), cdc-hub's own, then Debezium's. */
    static final ConfigDef DEFINITIONS = definitions();

    private ConnectorPlugins() {
    }

    private static ConfigDef definitions() {
        ConfigDef all = new ConfigDef();
        ConnectorConfig.configDef().configKeys().values().stream().filter(key -> "Common".equals(key.group)).forEach(all::define);
        all.define(ConnectorConfigs.VALUE_FORMAT, ConfigDef.Type.STRING, "cdc-hub", ConfigDef.ValidString.in("cdc-hub", "debezium"),
                ConfigDef.Importance.MEDIUM, "How change values are written: cdc-hub (exact numbers, ISO text) or debezium (what "
                        + "Debezium's JsonConverter writes with its default settings)", "cdc-hub", 1, ConfigDef.Width.SHORT, "Value format");
        all.define(ConnectorConfigs.SCHEMAS_ENABLE, ConfigDef.Type.BOOLEAN, false, ConfigDef.Importance.LOW,
                "Wrap keys and values in Connect's {\"schema\", \"payload\"} (needs value.format=debezium)", "cdc-hub", 2,
                ConfigDef.Width.SHORT, "Schemas");
        new PostgresConnector().config().configKeys().values().stream().filter(key -> !all.configKeys().containsKey(key.name))
                .forEach(all::define);
        return all;
    }

    /** GET /connector-plugins: Connect's PluginInfo of the PostgreSQL connector. */
    static List<PluginInfo> list() {
        return List.of(new PluginInfo(ConnectorConfigs.POSTGRES_CONNECTOR, PluginType.SOURCE, new PostgresConnector().version()));
    }

    /** Whether a plugin name (a class name or an alias, as Connect accepts) means the PostgreSQL connector. */
    static boolean isPostgres(String plugin) {
        return plugin != null && (plugin.equals(ConnectorConfigs.POSTGRES_CONNECTOR) || normalized(plugin).equals(normalized(POSTGRES_ALIAS)));
    }

    /** Connect's check: a connector.class in the body must name the plugin of the path (class name or alias). */
    static boolean sameType(String included, String plugin) {
        return normalized(included).endsWith(normalized(plugin));
    }

    private static String normalized(String plugin) {
        return plugin.endsWith(ALIAS_SUFFIX) && plugin.length() > ALIAS_SUFFIX.length()
                ? plugin.substring(0, plugin.length() - ALIAS_SUFFIX.length()) : plugin;
    }

    /** GET /connector-plugins/{plugin}/config. */
    static List<ConfigKeyInfo> definitionInfos() {
        return DEFINITIONS.configKeys().values().stream().map(AbstractHerder::convertConfigKey).toList();
    }

    /**
     * Connect's ConfigInfos for a configuration: every definition with the value given (or its default; secrets
     * masked) and the problems cdc-hub found with it; problems of keys without a definition are listed with a null
     * definition, as Connect lists them. Values are shown as given, never parsed: a CLASS value is not loaded.
     */
    static ConfigInfos validation(String connectorClass, Map<String, String> input, Map<String, List<String>> problems) {
        List<ConfigInfo> configs = new ArrayList<>();
        int errors = 0;
        for (ConfigDef.ConfigKey key : DEFINITIONS.configKeys().values()) {
            List<String> messages = problems.getOrDefault(key.name, List.of());
            errors += messages.size();
            String value = input.containsKey(key.name) ? input.get(key.name)
                    : key.hasDefault() && key.defaultValue != null ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
            configs.add(new ConfigInfo(AbstractHerder.convertConfigKey(key), valueInfo(key.name, value, messages)));
        }
        for (Map.Entry<String, List<String>> problem : problems.entrySet()) {
            if (!DEFINITIONS.configKeys().containsKey(problem.getKey())) {
                errors += problem.getValue().size();
                configs.add(new ConfigInfo(null, valueInfo(problem.getKey(), input.get(problem.getKey()), problem.getValue())));
            }
        }
        return new ConfigInfos(connectorClass, errors, DEFINITIONS.groups(), configs);
    }

    private static ConfigValueInfo valueInfo(String key, String value, List<String> messages) {
        String shown = value != null && !value.isEmpty() && ConnectorConfigs.secret(key) ? ConnectorConfigs.MASK : value;
        return new ConfigValueInfo(key, shown, List.of(), List.copyOf(messages), true);
    }
}
