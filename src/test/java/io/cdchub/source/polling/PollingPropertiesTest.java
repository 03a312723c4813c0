package io.cdchub.source.polling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.source.SourceProperties;
import org.junit.jupiter.api.Test;

/** cdc.polling.* is checked as it is bound: a bad value names its property. */
class PollingPropertiesTest {

    private static final SourceProperties.Database DATABASE = new SourceProperties.Database(null, 5432, null, null, null, "prefer");

    private static PollingProperties polling(List<PollingProperties.Table> tables, int batchSize, Duration margin) {
        return new PollingProperties(true, "polling", DATABASE, tables, Duration.ofSeconds(1), batchSize, margin, 1000,
                SourceProperties.OffsetStore.FILE, "offsets", Duration.ofSeconds(30));
    }

    private static PollingProperties.Table table(String name, String watermark) {
        return new PollingProperties.Table(name, watermark, null, null, null, null, null, null);
    }

    @Test
    void aTableIsSchemaDotTableOrTableInPublic() {
        assertThat(table("shop.orders", "updated_at").qualifiedName()).isEqualTo("shop.orders");
        assertThat(table("orders", "updated_at").qualifiedName()).isEqualTo("public.orders");
    }

    @Test
    void badSettingsNameTheirProperty() {
        assertThatThrownBy(() -> polling(List.of(), 10, Duration.ofSeconds(1)))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.polling.tables ");
        assertThatThrownBy(() -> polling(List.of(table("orders\"; drop table x", "updated_at")), 10, Duration.ofSeconds(1)))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.polling.tables[0].table ");
        assertThatThrownBy(() -> polling(List.of(table("orders", null)), 10, Duration.ofSeconds(1)))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.polling.tables[0].watermark-column ");
        assertThatThrownBy(() -> polling(List.of(table("orders", "updated_at"), table("public.orders", "id")), 10, Duration.ofSeconds(1)))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.polling.tables[1].table ")
                .hasMessageContaining("a second time");
        assertThatThrownBy(() -> polling(List.of(table("orders", "updated_at")), 0, Duration.ofSeconds(1)))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.polling.batch-size ");
        assertThatThrownBy(() -> polling(List.of(table("orders", "updated_at")), 10, Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.polling.margin ");
    }

    /** The Helm chart passes the source's database as CDC_SOURCE_DATABASE_* env, its password from the Secret. */
    private static SourceProperties.Database bound(String prefix, java.util.Map<String, Object> environment) {
        var sources = org.springframework.boot.context.properties.source.ConfigurationPropertySources.from(
                new org.springframework.core.env.SystemEnvironmentPropertySource("env", environment));
        return new org.springframework.boot.context.properties.bind.Binder(sources).bindOrCreate(prefix, SourceProperties.Database.class);
    }

    @Test
    void withoutAHostOfItsOwnThePolledDatabaseIsTheSourcesPasswordIncluded() {
        java.util.Map<String, Object> chart = java.util.Map.of("CDC_SOURCE_DATABASE_HOSTNAME", "postgres", "CDC_SOURCE_DATABASE_DBNAME", "shop",
                "CDC_SOURCE_DATABASE_USER", "cdc", "CDC_SOURCE_DATABASE_PASSWORD", "from-the-secret");
        SourceProperties.Database source = bound("cdc.source.database", chart);
        SourceProperties.Database polled = polling(List.of(table("orders", "updated_at")), 10, Duration.ofSeconds(1)).databaseOr(source);
        assertThat(polled).isEqualTo(source);
        assertThat(polled.password()).isEqualTo("from-the-secret");

        // a host of its own: none of the source's settings, the password included (source.extraEnv CDC_POLLING_DATABASE_PASSWORD)
        java.util.Map<String, Object> own = new java.util.HashMap<>(chart);
        own.putAll(java.util.Map.of("CDC_POLLING_DATABASE_HOSTNAME", "replica", "CDC_POLLING_DATABASE_DBNAME", "shop",
                "CDC_POLLING_DATABASE_USER", "reader", "CDC_POLLING_DATABASE_PASSWORD", "the-replicas"));
        SourceProperties.Database replica = bound("cdc.polling.database", own);
        PollingProperties withReplica = new PollingProperties(true, "polling", replica, List.of(table("orders", "updated_at")),
                Duration.ofSeconds(1), 10, Duration.ofSeconds(1), 1000, SourceProperties.OffsetStore.FILE, "offsets", Duration.ofSeconds(30));
        assertThat(withReplica.databaseOr(source).password()).isEqualTo("the-replicas");
        assertThat(withReplica.databaseOr(source).hostname()).isEqualTo("replica");
    }

    @Test
    void offUnlessEnabledAndThenNothingIsChecked() {
        assertThat(new PollingProperties(false, null, DATABASE, null, null, 0, null, -1, null, null, null).tables()).isEmpty();
    }
}
