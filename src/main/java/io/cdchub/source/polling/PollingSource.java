package io.cdchub.source.polling;

import java.math.BigDecimal;
import java.nio.charset.Charset;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.source.CaptureSettings;
import io.cdchub.source.ChangeBatch;
import io.cdchub.source.ChangeCapture;
import io.cdchub.source.ChangeCaptureEndpoint;
import io.cdchub.source.ChangeTopicNames;
import io.cdchub.source.PostgresSourceConnectorConfiguration;
import io.cdchub.source.SourceProperties;
import io.cdchub.source.SourceStatus;
import io.cdchub.source.ValueFormat;
import io.debezium.config.CommonConnectorConfig;
import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.converters.custom.CustomConverterServiceProvider;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.TableSchema;
import io.debezium.relational.TableSchemaBuilder;
import io.debezium.relational.Tables;
import io.debezium.relational.mapping.ColumnMappers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.connect.json.JsonConverter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The polling source (README "Polling source"): for each table of {@code cdc.polling.tables}, a route made from the
 * template {@code postgres-polling-to-kafka} polls it on a timer. Each poll is one query ({@link PolledTable}), its rows
 * become Debezium records of exactly the logical source's shape (Debezium's own schema builder and value converters
 * over the table as Debezium reads it), and they go through the logical source's writer and publisher as one batch.
 * Once Kafka has acknowledged the batch, the table's watermark moves and is stored ({@link PollingOffsets}).
 *
 * <p>Tables and columns named in the configuration are checked against the database at start-up: a missing one, a
 * watermark of a type that cannot be one, or a table without a primary key stops start-up naming the property.
 */
@Component("pollingSource")
@ConditionalOnProperty(name = "cdc.polling.enabled", havingValue = "true")
public class PollingSource implements ChangeCapture, CamelContextConfiguration, DisposableBean {

    public static final String TEMPLATE = "postgres-polling-to-kafka";
    /** Exchange property: the table's pass reached its end, the loop of the route stops until the next tick. */
    public static final String CAUGHT_UP = "cdcPollingCaughtUp";
    private static final String POLL = "cdcPoll";
    private static final Logger LOG = LoggerFactory.getLogger(PollingSource.class);

    private final PollingProperties polling;
    private final CamelContext camel;
    private final CaptureSettings settings;
    private final JsonConverter keyConverter;
    private final JsonConverter valueConverter;
    private final PolledSourceBlock sourceBlock;
    private final PollingOffsets offsets;
    private final Map<String, PolledTable> tables = new LinkedHashMap<>();
    private final Map<String, PostgresConnection> connections = new LinkedHashMap<>();
    private final Map<String, Counter> rowsPolled = new LinkedHashMap<>();
    private final int queryTimeoutSeconds;
    private volatile Producer<byte[], byte[]> producer;

    public PollingSource(PollingProperties polling, SourceProperties source, CdcHubProperties hub, ChangeTopicNames topics, CamelContext camel,
            MeterRegistry registry) throws Exception {
        this.polling = polling;
        this.camel = camel;
        this.queryTimeoutSeconds = (int) Math.max(1, polling.queryTimeout().toSeconds());
        this.settings = new CaptureSettings(polling.name(), new Properties(), topics, source.valueFormat(), source.schemasEnable(),
                source.tombstones(), source.maxEventBytes(), null, source.restartBackoff());
        this.keyConverter = settings.jsonConverter(true);
        this.valueConverter = settings.jsonConverter(false);
        SourceProperties.Database database = polling.databaseOr(source.database());
        if (database.hostname() == null || database.hostname().isBlank() || database.dbname() == null || database.user() == null) {
            throw new InvalidConfigurationException("cdc.polling.database.hostname",
                    "must be set, with cdc.polling.database.dbname and .user (or cdc.source.database.*, which the polling source uses when it is not set)");
        }
        this.sourceBlock = new PolledSourceBlock(hub.topicPrefix(), database.dbname(),
                source.valueFormat() == ValueFormat.DEBEZIUM && source.tombstones());
        Configuration debezium = debeziumConfiguration(polling, source, hub, database);
        PostgresConnectorConfig config = new PostgresConnectorConfig(debezium);
        try {
            for (PollingProperties.Table table : polling.tables()) {
                open(table, config, debezium, database);
            }
        } catch (RuntimeException | SQLException e) {
            closeConnections();
            throw e;
        }
        this.offsets = new PollingOffsets(polling, source, hub);
        for (PolledTable table : tables.values()) {
            offsets.restore(table);
            LOG.info("Polling {} by {} ({}), every {} ms, {} rows a poll, margin {}; {}", table.name(), table.config.watermarkColumn(),
                    table.kind == PolledTable.WatermarkKind.TIME ? "timestamp" : "key", table.pollInterval.toMillis(), table.batchSize,
                    table.kind == PolledTable.WatermarkKind.TIME ? Duration.ofNanos(table.margin.longValue() * 1000) : table.margin.toPlainString(),
                    table.high() == null ? "first load" : "from watermark " + table.high().text());
            rowsPolled.put(table.name(), Counter.builder("cdc.polling.rows").tag("source", polling.name()).tag("table", table.name())
                    .description("Rows the polling source read from the table (rows read again in the margin included)").register(registry));
            Gauge.builder("cdc.polling.watermark.lag.seconds", table, PolledTable::watermarkLagSeconds).tag("source", polling.name())
                    .tag("table", table.name()).baseUnit("seconds")
                    .description("Now minus the highest timestamp watermark published (NaN for key watermarks and before the first row)")
                    .register(registry);
        }
        Gauge.builder("cdc.source.publish.in.flight", status(), SourceStatus::inFlight).tag("source", polling.name())
                .description("Records handed to the Kafka producer and not yet acknowledged").register(registry);
    }

    /** Debezium's connector settings for the polled database: the logical source's value form, so events match byte for byte. */
    private static Configuration debeziumConfiguration(PollingProperties polling, SourceProperties source, CdcHubProperties hub,
            SourceProperties.Database database) {
        Configuration.Builder builder = Configuration.create()
                .with("name", polling.name())
                .with("topic.prefix", hub.topicPrefix())
                .with("database.hostname", database.hostname())
                .with("database.port", database.port())
                .with("database.dbname", database.dbname())
                .with("database.user", database.user())
                .with("database.sslmode", database.sslmode());
        if (database.password() != null && !database.password().isEmpty()) {
            builder.with("database.password", database.password());
        }
        PostgresSourceConnectorConfiguration.valueFormSettings(source.valueFormat(), source.tombstones()).forEach(builder::with);
        return builder.build();
    }

    /** Reads the table as Debezium does, checks what the configuration names, and makes its schema and queries. */
    private void open(PollingProperties.Table config, PostgresConnectorConfig debeziumConfig, Configuration debezium,
            SourceProperties.Database database) throws SQLException {
        Charset charset;
        PostgresConnection connection;
        try {
            try (PostgresConnection probe = new PostgresConnection(debeziumConfig.getJdbcConfig(), "cdc-hub-polling")) {
                charset = probe.getDatabaseCharset();
            }
            connection = new PostgresConnection(debeziumConfig.getJdbcConfig(),
                    typeRegistry -> PostgresValueConverter.of(debeziumConfig, charset, typeRegistry), "cdc-hub-polling");
        } catch (RuntimeException e) {
            throw new InvalidConfigurationException(polling.database().hostname() == null ? "cdc.source.database.hostname" : "cdc.polling.database.hostname",
                    "names a PostgreSQL the polling source cannot reach (" + database + "): " + rootMessage(e));
        }
        connections.put(config.qualifiedName(), connection);
        connection.setAutoCommit(true);
        Tables read = new Tables();
        connection.readSchema(read, null, config.schema(), id -> config.schema().equals(id.schema()) && config.name().equals(id.table()), null, true);
        String tableProperty = polling.property(config, "table");
        Table table = read.tableIds().stream().findFirst().map(read::forTable).orElseThrow(() -> new InvalidConfigurationException(tableProperty,
                "names " + config.qualifiedName() + ", which database " + database.dbname() + " does not have (or user " + database.user()
                + " cannot see); names are matched exactly, as in the catalog"));
        if (table.primaryKeyColumnNames().isEmpty()) {
            throw new InvalidConfigurationException(tableProperty, "names " + config.qualifiedName()
                    + ", which has no primary key: the polling source keys events by it and pages through the table by watermark and key");
        }
        Column watermark = column(table, config.watermarkColumn(), polling.property(config, "watermark-column"));
        String watermarkType = PolledTable.watermarkSqlType(watermark);
        if (watermarkType == null) {
            throw new InvalidConfigurationException(polling.property(config, "watermark-column"), "names column " + watermark.name() + " of type "
                    + watermark.typeName() + ": a watermark must be timestamptz, timestamp, date, smallint, integer, bigint or numeric");
        }
        if (config.softDeleteColumn() != null) {
            column(table, config.softDeleteColumn(), polling.property(config, "soft-delete-column"));
        }
        if (config.createdColumn() != null) {
            Column created = column(table, config.createdColumn(), polling.property(config, "created-column"));
            if (!created.typeName().equalsIgnoreCase(watermark.typeName())) {
                throw new InvalidConfigurationException(polling.property(config, "created-column"), "names column " + created.name() + " of type "
                        + created.typeName() + ", but the watermark " + watermark.name() + " is " + watermark.typeName()
                        + ": the two are compared to tell inserts from updates");
            }
        }
        PostgresValueConverter valueConverter = PostgresValueConverter.of(debeziumConfig, charset, connection.getTypeRegistry());
        TableSchemaBuilder builder = new TableSchemaBuilder(valueConverter, connection.getDefaultValueConverter(), debeziumConfig.schemaNameAdjuster(),
                new CustomConverterServiceProvider().createService(debezium, null), debeziumConfig.getSourceInfoStructMaker().schema(),
                debeziumConfig.getFieldNamer(), false);
        TableSchema schema = builder.create(debeziumConfig.getTopicNamingStrategy(CommonConnectorConfig.TOPIC_NAMING_STRATEGY), table,
                debeziumConfig.getColumnFilter(), ColumnMappers.create(debeziumConfig), debeziumConfig.getKeyMapper());
        PolledTable.WatermarkKind kind = PolledTable.kindOf(watermark);
        BigDecimal margin = kind == PolledTable.WatermarkKind.TIME
                ? BigDecimal.valueOf((config.margin() != null ? config.margin() : polling.margin()).toNanos() / 1000)
                : BigDecimal.valueOf(config.keyMargin() != null ? config.keyMargin() : polling.keyMargin());
        PolledTable polled = new PolledTable(config, table, schema, kind, watermarkType, connection,
                config.batchSize() != null ? config.batchSize() : polling.batchSize(),
                config.pollInterval() != null ? config.pollInterval() : polling.pollInterval(), margin);
        try {
            polled.check(connection.connection());
        } catch (SQLException e) {
            throw new InvalidConfigurationException(tableProperty, "cannot be polled: " + e.getMessage());
        }
        tables.put(config.qualifiedName(), polled);
    }

    private static Column column(Table table, String name, String property) {
        Column column = table.columnWithName(name);
        if (column == null) {
            throw new InvalidConfigurationException(property, "names column " + name + ", which " + table.id().schema() + "." + table.id().table()
                    + " does not have (columns: "
                    + table.columns().stream().map(Column::name).collect(Collectors.joining(", ")) + ")");
        }
        return column;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    @Override
    public void beforeApplicationStart(CamelContext context) {
        // the routes are made from the template once it is loaded: afterApplicationStart
    }

    /** One route per table from the template, once Camel has started (its templates are loaded by then). */
    @Override
    public void afterApplicationStart(CamelContext context) {
        try {
            startRoutes();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start the polling routes: " + e.getMessage(), e);
        }
    }

    private void startRoutes() throws Exception {
        for (PolledTable table : tables.values()) {
            String id = "poll-" + table.name().replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(java.util.Locale.ROOT);
            if (camel.getRoute(id) != null) {
                continue;
            }
            TemplatedRouteBuilder.builder(camel, TEMPLATE)
                    .routeId(id)
                    .prefixId(id + "-")
                    .parameter("table", table.name())
                    .parameter("period", String.valueOf(table.pollInterval.toMillis()))
                    .add();
            LOG.info("Polling route {} started for {}", id, table.name());
        }
    }

    /**
     * Polls the table once: the exchange's body becomes the batch of its changed rows, for the writer and publisher.
     * Sets {@link #CAUGHT_UP} when the table's pass has reached its end, so the route waits for the next tick.
     */
    public void poll(Exchange exchange, String tableName) {
        PolledTable table = tables.get(tableName);
        PostgresConnection connection = connections.get(tableName);
        PolledTable.Poll poll;
        try {
            poll = table.poll(connection, sourceBlock, queryTimeoutSeconds);
        } catch (SQLException | RuntimeException e) {
            // the database is away or refused the query: nothing moved; this tick ends, the next one tries again on a
            // new connection. Logged once per outage (health 'polling' is DOWN meanwhile), not on every tick.
            if (table.failed(e)) {
                LOG.warn("Polling {} failed: {}. Trying again every {} ms; nothing is skipped", tableName, e.getMessage(),
                        table.pollInterval.toMillis());
            }
            closeQuietly(connection);
            exchange.setRouteStop(true);
            return;
        }
        rowsPolled.get(tableName).increment(poll.read());
        exchange.setProperty(POLL, poll);
        exchange.setProperty(CAUGHT_UP, poll.endOfPass());
        exchange.getIn().setBody(ChangeBatch.of(poll.records(), this));
    }

    /** Kafka has acknowledged the poll's batch: the table moves past its rows, and its watermark is stored. */
    public void acknowledged(Exchange exchange, String tableName) throws Exception {
        PolledTable table = tables.get(tableName);
        table.acknowledged(exchange.getProperty(POLL, PolledTable.Poll.class));
        offsets.store(table);
    }

    /** The polled tables, by {@code schema.table}: read by health. */
    public Map<String, PolledTable.State> states() {
        Map<String, PolledTable.State> states = new LinkedHashMap<>();
        tables.forEach((name, table) -> states.put(name, table.state()));
        return states;
    }

    @Override
    public CaptureSettings settings() {
        return settings;
    }

    @Override
    public JsonConverter keyConverter() {
        return keyConverter;
    }

    @Override
    public JsonConverter valueConverter() {
        return valueConverter;
    }

    @Override
    public Producer<byte[], byte[]> producer() {
        Producer<byte[], byte[]> current = producer;
        if (current == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = ChangeCaptureEndpoint.openProducer(camel, "cdc-hub-polling-" + polling.name());
                }
                current = producer;
            }
        }
        return current;
    }

    @Override
    public void destroy() {
        Producer<byte[], byte[]> current = producer;
        producer = null;
        if (current != null) {
            current.close(Duration.ofSeconds(5));
        }
        if (offsets != null) {
            offsets.close();
        }
        closeConnections();
    }

    private void closeConnections() {
        List<PostgresConnection> open = new ArrayList<>(connections.values());
        connections.clear();
        open.forEach(PollingSource::closeQuietly);
    }

    /** Closes the JDBC connection; Debezium's connection opens a new one at its next use. */
    private static void closeQuietly(PostgresConnection connection) {
        try {
            connection.close();
        } catch (Exception e) {
            LOG.debug("Closing a polling connection failed: {}", e.toString());
        }
    }
}
