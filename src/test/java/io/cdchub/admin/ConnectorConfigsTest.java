package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConnectorConfigsTest {

    /** The issue's config, as the /debezium API receives it. */
    private static Map<String, Object> issueConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("connector_class", "io.debezium.connector.postgresql.PostgresConnector");
        config.put("tasks_max", "1");
        config.put("database_hostname", "localhost");
        config.put("database_port", "5432");
        config.put("database_user", "debezium");
        config.put("database_password", "password");
        config.put("database_dbname", "mydatabase");
        config.put("topic_prefix", "db");
        config.put("schema_include_list", "public");
        config.put("publication_autocreate_mode", "filtered");
        config.put("table_include_list", "public.person12");
        config.put("plugin_name", "pgoutput");
        config.put("snapshot_mode", "initial");
        return config;
    }

    @Test
    void snakeCaseKeysBecomeDebeziumsDottedKeysWithDefaultsOfTheConnectorsOwn() {
        Map<String, String> dotted = ConnectorConfigs.fromSnakeCase(issueConfig());
        Map<String, String> config = ConnectorConfigs.validate("my-postgres-connector", dotted, ConnectorConfigs.Naming.SNAKE);
        assertThat(config).containsEntry("database.hostname", "localhost").containsEntry("database.port", "5432")
                .containsEntry("topic.prefix", "db").containsEntry("table.include.list", "public.person12")
                .containsEntry("publication.autocreate.mode", "filtered").containsEntry("plugin.name", "pgoutput")
                .containsEntry("slot.name", "my_postgres_connector").containsEntry("publication.name", "my_postgres_connector_pub");
        assertThat(ConnectorConfigs.toSnakeCase(config)).containsEntry("database_hostname", "localhost");
    }

    @Test
    void numbersAreTakenAsTheirText() {
        Map<String, Object> config = issueConfig();
        config.put("database_port", 5433);
        assertThat(ConnectorConfigs.validate("c", ConnectorConfigs.fromSnakeCase(config), ConnectorConfigs.Naming.SNAKE))
                .containsEntry("database.port", "5433");
    }

    @Test
    void errorsNameTheFieldInTheCallersSpelling() {
        Map<String, String> dotted = ConnectorConfigs.fromSnakeCase(issueConfig());
        dotted.put("database.port", "0");
        assertThatThrownBy(() -> ConnectorConfigs.validate("c", dotted, ConnectorConfigs.Naming.SNAKE))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("config.database_port"));
        assertThatThrownBy(() -> ConnectorConfigs.validate("c", dotted, ConnectorConfigs.Naming.DOTTED))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("database.port"));
        Map<String, String> debeziumChecks = ConnectorConfigs.fromSnakeCase(issueConfig());
        debeziumChecks.put("heartbeat.interval.ms", "often");
        assertThatThrownBy(() -> ConnectorConfigs.validate("c", debeziumChecks, ConnectorConfigs.Naming.DOTTED))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("heartbeat.interval.ms"));
        Map<String, String> otherName = ConnectorConfigs.fromSnakeCase(issueConfig());
        otherName.put("name", "other");
        assertThatThrownBy(() -> ConnectorConfigs.validate("c", otherName, ConnectorConfigs.Naming.DOTTED))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("name"));
    }

    @Test
    void secretsAreMaskedAndAMaskSentBackKeepsTheStoredValue() {
        Map<String, String> stored = Map.of("database.password", "pw", "database.user", "u");
        assertThat(ConnectorConfigs.masked(stored)).containsEntry("database.password", "********").containsEntry("database.user", "u");
        assertThat(ConnectorConfigs.unmask(Map.of("database.password", "********", "database.user", "u"), stored, ConnectorConfigs.Naming.DOTTED))
                .containsEntry("database.password", "pw").containsEntry("database.user", "u");
        assertThatThrownBy(() -> ConnectorConfigs.unmask(Map.of("database.password", "********", "database.user", "v"), stored,
                ConnectorConfigs.Naming.DOTTED)).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("database.user"));
        assertThat(ConnectorConfigs.unmask(Map.of("database.password", "new", "database.user", "v"), stored, ConnectorConfigs.Naming.DOTTED))
                .containsEntry("database.password", "new");
        for (String key : new String[] {"database.sslpassword", "client.secret", "custom.access.token", "ssl.keystore.key",
                "signal.consumer.sasl.jaas.config", "vault.api.key"}) {
            assertThat(ConnectorConfigs.secret(key)).as(key).isTrue();
        }
        assertThat(ConnectorConfigs.secret("database.hostname")).isFalse();
        assertThat(ConnectorConfigs.secret("message.key.columns")).isFalse();
    }

    @Test
    void defaultSlotIsTheNameAsAnIdentifier() {
        assertThat(ConnectorConfigs.defaultSlot("My.Connector-1")).isEqualTo("my_connector_1");
    }

    @Test
    void problemsListsEveryProblemByKeyWhereValidateStopsAtTheFirst() {
        Map<String, String> dotted = ConnectorConfigs.fromSnakeCase(issueConfig());
        assertThat(ConnectorConfigs.problems("c", dotted)).isEmpty();
        dotted.put("database.port", "abc");
        dotted.put("tasks.max", "2");
        dotted.put("snapshot.mode", "sometimes");
        dotted.put("offset.storage.topic", "mine");
        dotted.put("value.format", "xml");
        dotted.remove("topic.prefix");
        Map<String, java.util.List<String>> problems = ConnectorConfigs.problems("c", dotted);
        assertThat(problems).containsOnlyKeys("database.port", "tasks.max", "snapshot.mode", "offset.storage.topic", "value.format",
                "topic.prefix");
        assertThat(problems.get("topic.prefix")).containsExactly("is required");
        assertThatThrownBy(() -> ConnectorConfigs.validate("c", dotted, ConnectorConfigs.Naming.DOTTED))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("value.format"));
    }
}
