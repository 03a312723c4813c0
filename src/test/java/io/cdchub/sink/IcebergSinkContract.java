package io.cdchub.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.sink.iceberg.IcebergSink;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.S3Server;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.io.CloseableIterable;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.test.context.ContextConfiguration;

/**
 * The sink contract on Iceberg: {@link IcebergSinkContractIT} with the warehouse on the S3 server (s3proxy) and a JDBC
 * catalog in PostgreSQL, {@link IcebergLocalSinkContractIT} on a local folder with the Hadoop catalog. Each runs in a context
 * of its own (the other sinks off), with a source of its own capturing only its contract tables into topics
 * {@code <prefix>.sinks.<table>}. Rows are read back with Iceberg's generic reader only.
 */
// read by an EnvironmentPostProcessor, before any initializer: the user route of the shared context writes to ClickHouse, off here
@org.springframework.test.context.TestPropertySource(properties = "cdc.routes.dir=")
abstract class IcebergSinkContract extends SinkContractIT {

    static final String BUCKET = "iceberg-contract";

    @org.springframework.beans.factory.annotation.Autowired
    IcebergSink icebergSink;

    /** The contract context's settings: its own source, prefix, dead letters; only the Iceberg sink on. */
    static Map<String, String> contextSettings(String name) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("cdc.topic-prefix", name);
        settings.put("cdc.source.name", "it-" + name);
        settings.put("cdc.source.slot", "it_" + name);
        settings.put("cdc.source.tables", "sinks\\.contract_iceberg_" + name.substring("ice".length()) + "_.*");
        settings.put("cdc.dlq.topic", name + ".dlq");
        settings.put("cdc.dlq.replay-topic", name + ".dlq-replays");
        settings.put("cdc.routes.dir", "");
        settings.put("cdc.sink.clickhouse.enabled", "false");
        settings.put("cdc.sink.elasticsearch.enabled", "false");
        settings.put("cdc.sink.iceberg.enabled", "true");
        settings.put("cdc.sink.iceberg.namespace", "contract");
        settings.put("cdc.sink.iceberg.batch-size", "500");
        settings.put("cdc.sink.iceberg.linger-ms", "100");
        settings.put("cdc.sink.iceberg.commit-interval", "1s");
        String renamed = "contract_iceberg_" + name.substring("ice".length()) + "_renamed";
        settings.put("cdc.topic-rename." + renamed, name + "." + renamed);
        return settings;
    }

    @Override
    String sink() {
        return IcebergSink.NAME;
    }

    /** The context's topic prefix. */
    abstract String prefix();

    @Override
    String routeId() {
        return IcebergSink.ROUTE_ID;
    }

    @Override
    String changeTopic(String table) {
        return prefix() + ".sinks." + table;
    }

    @Override
    String renamedChangeTopic(String table) {
        return prefix() + "." + table;
    }

    @Override
    String deadLetterTopic() {
        return prefix() + ".dlq";
    }

    @Override
    Map<String, Map<String, String>> targetRows(String table, List<String> columns) {
        return rows(icebergSink.catalog(), TableIdentifier.of("contract", table), columns);
    }

    /** A table's current rows through Iceberg's own generic reader (deletes applied): id -> column -> value as text. */
    static Map<String, Map<String, String>> rows(Catalog catalog, TableIdentifier id, List<String> columns) {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        Table table;
        try {
            table = catalog.loadTable(id);
        } catch (NoSuchTableException e) {
            return rows;
        }
        List<String> known = new ArrayList<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
            for (Record record : records) {
                Map<String, String> values = new LinkedHashMap<>();
                for (String column : columns) {
                    Object value = table.schema().findField(column) == null ? null : record.getField(column);
                    values.put(column, value == null ? null : value.toString());
                }
                rows.put(String.valueOf(record.getField("id")), values);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

}
