package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.CaptureSettings;
import io.cdchub.source.ChangeCaptureComponent;
import io.cdchub.source.SourceProperties;
import io.cdchub.source.ValueFormat;
import org.junit.jupiter.api.Test;

/** A runtime connector's configuration reaches Debezium as the plain strings that were stored. */
class ConnectorRuntimeTest {

    private final ConnectorRuntime runtime = runtime();

    private static ConnectorRuntime runtime() {
        SourceProperties source = mock(SourceProperties.class);
        when(source.pollInterval()).thenReturn(Duration.ofMillis(5));
        when(source.tombstones()).thenReturn(true);
        when(source.offsetFlushInterval()).thenReturn(Duration.ofSeconds(1));
        when(source.offsetCommitTimeout()).thenReturn(Duration.ofSeconds(30));
        when(source.maxEventBytes()).thenReturn(1_000_000);
        when(source.restartBackoff()).thenReturn(Duration.ofSeconds(5));
        AdminProperties admin = mock(AdminProperties.class);
        when(admin.offsetTopic()).thenReturn("cdc-hub-connector-offsets");
        CdcHubProperties hub = new CdcHubProperties("cdc", Path.of("data"), Map.of(), new CdcHubProperties.Kafka("127.0.0.1:9092", Map.of()),
                new CdcHubProperties.Topics(true, -1, (short) -1, Map.of()), new CdcHubProperties.DeadLetter("cdc.dlq", "cdc-hub-dlq-replays"));
        return new ConnectorRuntime(null, new ChangeCaptureComponent(), hub, source, admin);
    }

    private static ConnectorDefinition definition(Map<String, String> config) {
        return new ConnectorDefinition("shop", config, ConnectorDefinition.TargetState.RUNNING, 0);
    }

    @Test
    void placeholdersAndBeanReferencesStayText() {
        // Camel's property binding (used before) instantiated #class: values and resolved {{sys:}} / {{env:}} placeholders
        CaptureSettings capture = runtime.capture(definition(Map.of(
                "database.hostname", "db", "database.user", "{{sys:user.name}}", "database.password", "{{env:PATH}}",
                "topic.prefix", "shop", "snapshot.select.statement.overrides", "#class:java.lang.StringBuilder('x')")));
        Properties engine = capture.engine();

        assertThat(engine.getProperty("database.user")).isEqualTo("{{sys:user.name}}");
        assertThat(engine.getProperty("database.password")).isEqualTo("{{env:PATH}}");
        assertThat(engine.getProperty("snapshot.select.statement.overrides")).isEqualTo("#class:java.lang.StringBuilder('x')");
    }

    @Test
    void cdcHubSettingsWinAndTheValueFormIsTheConnectors() {
        CaptureSettings cdcHubForm = runtime.capture(definition(Map.of("database.hostname", "db", "topic.prefix", "shop")));
        assertThat(cdcHubForm.format()).isEqualTo(ValueFormat.CDC_HUB);
        assertThat(cdcHubForm.engine().getProperty("decimal.handling.mode")).isEqualTo("precise");
        assertThat(cdcHubForm.engine().getProperty("converters")).isEqualTo("exactnumeric");
        assertThat(cdcHubForm.engine().getProperty("offset.storage")).isEqualTo("io.cdchub.source.SourceKafkaOffsetStore");
        assertThat(cdcHubForm.engine().getProperty("name")).isEqualTo("shop");

        CaptureSettings debeziumForm = runtime.capture(definition(Map.of("database.hostname", "db", "topic.prefix", "shop",
                "value.format", "debezium", "value.converter.schemas.enable", "true", "decimal.handling.mode", "string")));
        assertThat(debeziumForm.format()).isEqualTo(ValueFormat.DEBEZIUM);
        assertThat(debeziumForm.schemasEnable()).isTrue();
        assertThat(debeziumForm.engine().getProperty("decimal.handling.mode")).isEqualTo("string");
        assertThat(debeziumForm.engine().getProperty("converters")).isNull();
        assertThat(debeziumForm.engine().getProperty("value.format")).isNull();
    }
}
