package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.Test;

class ConnectorPluginsTest {

    @Test
    void thePostgresConnectorIsListedAsConnectListsPlugins() {
        JsonNode plugins = AdminHttp.JSON.valueToTree(ConnectorPlugins.list());
        assertThat(plugins).hasSize(1);
        assertThat(plugins.get(0).path("class").asText()).isEqualTo(ConnectorConfigs.POSTGRES_CONNECTOR);
        assertThat(plugins.get(0).path("type").asText()).isEqualTo("source");
        assertThat(plugins.get(0).path("version").asText()).startsWith("3.4");
        assertThat(ConnectorPlugins.isPostgres("PostgresConnector")).isTrue();
        assertThat(ConnectorPlugins.isPostgres("Postgres")).isTrue();
        assertThat(ConnectorPlugins.isPostgres(ConnectorConfigs.POSTGRES_CONNECTOR)).isTrue();
        assertThat(ConnectorPlugins.isPostgres("MySqlConnector")).isFalse();
        assertThat(ConnectorPlugins.sameType(ConnectorConfigs.POSTGRES_CONNECTOR, "PostgresConnector")).isTrue();
        assertThat(ConnectorPlugins.sameType("FileStreamSource", "PostgresConnector")).isFalse();
    }

    @Test
    void validationIsConnectsConfigInfosWithCdcHubsProblemsAndSecretsMasked() {
        Map<String, String> input = Map.of("connector.class", "PostgresConnector", "database.password", "secret", "snapshot.mode",
                "sometimes", "my.api.token", "t");
        ConfigInfos infos = ConnectorPlugins.validation("PostgresConnector", input, Map.of("snapshot.mode", List.of("must be one of ..."),
                "my.api.token", List.of("unknown"), "config", List.of("bad key")));
        JsonNode json = AdminHttp.JSON.valueToTree(infos);
        assertThat(json.path("name").asText()).isEqualTo("PostgresConnector");
        assertThat(json.path("error_count").asInt()).isEqualTo(3);
        assertThat(json.path("groups").toString()).contains("Common", "cdc-hub");
        JsonNode snapshot = entry(json, "snapshot.mode");
        assertThat(snapshot.path("definition").path("type").asText()).isEqualTo("STRING");
        assertThat(snapshot.path("value").path("errors").get(0).asText()).isEqualTo("must be one of ...");
        assertThat(snapshot.path("value").path("value").asText()).isEqualTo("sometimes");
        assertThat(entry(json, "database.password").path("value").path("value").asText()).isEqualTo(ConnectorConfigs.MASK);
        JsonNode undefined = entry(json, "my.api.token");
        assertThat(undefined.path("definition").isNull()).isTrue();
        assertThat(undefined.path("value").path("value").asText()).isEqualTo(ConnectorConfigs.MASK);
        assertThat(entry(json, "tasks.max").path("definition").path("group").asText()).isEqualTo("Common");
        assertThat(AdminHttp.JSON.valueToTree(ConnectorPlugins.definitionInfos()).get(0).has("default_value")).isTrue();
    }

    private static JsonNode entry(JsonNode infos, String key) {
        for (JsonNode config : infos.path("configs")) {
            if (key.equals(config.path("value").path("name").asText())) {
                return config;
            }
        }
        throw new AssertionError("no entry " + key + " in " + infos);
    }
}
