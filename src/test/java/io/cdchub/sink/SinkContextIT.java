package io.cdchub.sink;

import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.ElasticsearchServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * The application context every sink test shares: the source captures schema {@code sinks} into topics
 * {@code sit.sinks.<table>}, and both sinks (on real ClickHouse and Elasticsearch servers) read them.
 * Tables are created before the context loads (the source's publication holds the tables that exist then).
 */
@CamelSpringBootTest
@SpringBootTest(properties = {
    "cdc.topic-prefix=sit",
    "cdc.source.name=it-sinks",
    "cdc.source.slot=it_sinks",
    "cdc.source.tables=sinks\\..*",
    "cdc.source.heartbeat.interval=2s",
    "cdc.dlq.topic=sit.dlq",
    "cdc.sink.retry.initial-delay-ms=100",
    "cdc.sink.retry.max-delay-ms=1000",
    "cdc.sink.lag-interval-ms=1000",
    "cdc.sink.topic-refresh-ms=500",
    "cdc.sink.clickhouse.enabled=true",
    "cdc.sink.clickhouse.database=" + SinkContextIT.CLICKHOUSE_DB,
    "cdc.sink.clickhouse.username=" + ClickHouseServer.USER,
    "cdc.sink.clickhouse.password=" + ClickHouseServer.PASSWORD,
    "cdc.sink.clickhouse.batch-size=500",
    "cdc.sink.clickhouse.linger-ms=100",
    "cdc.sink.clickhouse.tables.user_supplied=curated_rows",
    // a user-made table whose name column is too narrow for some rows (DeadLetterReplayIT)
    "cdc.sink.clickhouse.tables.dlq_replay=" + SinkContextIT.NARROW_TABLE,
    "cdc.dlq.replay-topic=sit.dlq-replays",
    "cdc.sink.elasticsearch.enabled=true",
    "cdc.sink.elasticsearch.batch-size=200",
    "cdc.sink.elasticsearch.linger-ms=100",
    "cdc.sink.elasticsearch.templates=config/elasticsearch",
    "cdc.sink.elasticsearch.indices.renamed_for_search=search-renamed",
    // the contract's renamed topics, named like the quick start's cdc.commodity_prices (SinkContractIT)
    "cdc.topic-rename.contract_clickhouse_renamed=sit.contract_clickhouse_renamed",
    "cdc.topic-rename.contract_elasticsearch_renamed=sit.contract_elasticsearch_renamed",
    "cdc.topic-rename.contract_parquet_renamed=sit.contract_parquet_renamed",
    "cdc.topic-rename.contract_delta_renamed=sit.contract_delta_renamed",
    // the Parquet sink on the S3 server, laid out as the README's example (processed-data/raw-kafka-data/...), with its
    // two aggregates (ParquetAggregatesIT); the Delta Lake sink on a local folder (paths: SinkServers)
    "cdc.sink.parquet.enabled=true",
    "cdc.sink.parquet.prefix=raw-kafka-data",
    "cdc.sink.parquet.batch-size=500",
    "cdc.sink.parquet.linger-ms=100",
    "cdc.sink.parquet.roll-interval-ms=100",
    "cdc.sink.parquet.aggregates.klienci-by-country.table=klienci",
    "cdc.sink.parquet.aggregates.klienci-by-country.group-by=country",
    "cdc.sink.parquet.aggregates.klienci-by-country.measures.customers=count",
    "cdc.sink.parquet.aggregates.avg-age-by-position.table=sinks.klienci",
    "cdc.sink.parquet.aggregates.avg-age-by-position.group-by=position",
    "cdc.sink.parquet.aggregates.avg-age-by-position.measures.avg_age=avg(age)",
    "cdc.sink.parquet.aggregates.avg-age-by-position.measures.employees=count",
    "cdc.sink.parquet.aggregates.avg-age-by-position.measures.youngest=min(age)",
    "cdc.sink.parquet.aggregates.avg-age-by-position.measures.oldest=max(age)",
    "cdc.sink.parquet.aggregates.avg-age-by-position.measures.total_salary=sum(salary)",
    "cdc.sink.delta.enabled=true",
    "cdc.sink.delta.batch-size=500",
    "cdc.sink.delta.linger-ms=100",
    // a user's own route into a built-in sink (UserSinkRouteIT), with a transform of its own
    "cdc.routes.dir=src/test/resources/user-sink-routes",
    "cdc.sink.transforms.partner-ops.operation-field=_cdc_operation",
    // transforms (SinkTransformsIT): the README's block for the customers table, as the file the README shows, on both sinks ...
    "spring.config.import=file:config/transforms/customers.yaml",
    // ... and on ClickHouse also one with the rest: filter, rename, drop, metadata, and a derive that fails on one row
    "cdc.sink.clickhouse.transforms=customers,audited",
    "cdc.sink.transforms.audited.tables=sinks\\.transformed",
    "cdc.sink.transforms.audited.filter=.region != \"skip\"",
    "cdc.sink.transforms.audited.derive.name_upper=.name | ascii_upcase",
    "cdc.sink.transforms.audited.derive.region_of=$table + \" in \" + .region",
    "cdc.sink.transforms.audited.rename.name=title",
    "cdc.sink.transforms.audited.drop=secret",
    "cdc.sink.transforms.audited.operation-field=_cdc_operation",
    "cdc.sink.transforms.audited.metadata=_ingestion_timestamp,_source_system,_pipeline_id,_source_lsn,_event_timestamp_ms,_kafka_timestamp",
    "cdc.sink.transforms.audited.pipeline-id=it-pipeline",
    "cdc.sink.transforms.audited.source-system=it-postgres",
})
@ContextConfiguration(initializers = {RealServers.class, SinkContextIT.SinkServers.class})
abstract class SinkContextIT {

    /** A topic's records written again, newest first and then in order: a replay every idempotent sink must absorb. */
    static List<io.cdchub.testinfra.TopicWriter.Out> newestFirstThenInOrder(List<io.cdchub.testinfra.TopicReader.Event> events) {
        List<io.cdchub.testinfra.TopicWriter.Out> replay = new java.util.ArrayList<>();
        for (io.cdchub.testinfra.TopicReader.Event e : events) {
            replay.add(io.cdchub.testinfra.TopicWriter.Out.json(e.key() == null ? null : e.key().toString(),
                    e.value() == null ? null : e.value().toString()));
        }
        List<io.cdchub.testinfra.TopicWriter.Out> twice = new java.util.ArrayList<>(replay);
        java.util.Collections.reverse(twice);
        twice.addAll(replay);
        return twice;
    }

    @org.springframework.beans.factory.annotation.Autowired
    SinkRunners runners;

    static final String DB = RealServers.DATABASE;
    static final String CLICKHOUSE_DB = "sinks_it";
    static final String DLQ = "sit.dlq";
    static final String NARROW_TABLE = "dlq_replay_narrow";

    /**
     * The sinks that run {@link SinkContractIT}: each gets a table per scenario, and a renamed topic. Declared here, before
     * the static block that creates the tables (a subclass's constants are not initialised yet when this class is).
     */
    static final List<String> CONTRACT_SINKS = List.of("clickhouse", "elasticsearch", "iceberg_s3", "iceberg_local", "parquet", "delta");
    static final List<String> CONTRACT_SCENARIOS = List.of("replay", "outage", "refused", "evolving", "renamed");

    /** The source table of a sink's contract scenario. */
    static String table(String sink, String scenario) {
        return "contract_" + sink + "_" + scenario;
    }

    /** The Parquet sink's bucket on the S3 server: the README's example layout. */
    static final String PARQUET_BUCKET = "processed-data";
    /** The Delta Lake sink's local folder (made once per test JVM). */
    static final java.nio.file.Path DELTA_DIR = deltaDir();

    private static java.nio.file.Path deltaDir() {
        try {
            return io.cdchub.testinfra.TempDirs.create("cdc-hub-delta-it-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Points the sinks at the shared test servers. */
    static class SinkServers implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext context) {
            // a server only for a sink this context runs (a context of its own may turn some off, IcebergSinkContractIT)
            var environment = context.getEnvironment();
            if (environment.getProperty("cdc.sink.clickhouse.enabled", Boolean.class, false)) {
                TestPropertyValues.of("cdc.sink.clickhouse.url=" + ClickHouseServer.shared().url()).applyTo(environment);
            }
            if (environment.getProperty("cdc.sink.elasticsearch.enabled", Boolean.class, false)) {
                TestPropertyValues.of("cdc.sink.elasticsearch.url=" + ElasticsearchServer.shared().url()).applyTo(environment);
            }
            if (environment.getProperty("cdc.sink.parquet.enabled", Boolean.class, false)) {
                io.cdchub.testinfra.S3Server s3 = io.cdchub.testinfra.S3Server.shared();
                s3.createBucket(PARQUET_BUCKET);
                TestPropertyValues.of("cdc.sink.parquet.path=s3://" + PARQUET_BUCKET).applyTo(environment);
                TestPropertyValues.of(s3.properties("cdc.sink.parquet")).applyTo(environment);
            }
            if (environment.getProperty("cdc.sink.delta.enabled", Boolean.class, false)) {
                TestPropertyValues.of("cdc.sink.delta.path=" + DELTA_DIR).applyTo(environment);
            }
        }
    }

    static {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(DB);
        pg.execute(DB, "CREATE SCHEMA IF NOT EXISTS sinks");
        pg.execute(DB, io.cdchub.testinfra.TestTables.allTypes("sinks"));
        pg.execute(DB,
                "CREATE TABLE IF NOT EXISTS sinks.items (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.replay (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.outage (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.evolving (id int PRIMARY KEY, name text)",
                "CREATE TABLE IF NOT EXISTS sinks.evolving_search (id int PRIMARY KEY, name text)",
                "CREATE TABLE IF NOT EXISTS sinks.search_outage (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.search_replay (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.search_blocked (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.search_missing (id int PRIMARY KEY, name text NOT NULL, qty int)",
                "CREATE TABLE IF NOT EXISTS sinks.renamed_for_search (id int PRIMARY KEY, name text)",
                "CREATE TABLE IF NOT EXISTS sinks.composite (region text, code int, label text, PRIMARY KEY (region, code))",
                "CREATE TABLE IF NOT EXISTS sinks.user_supplied (id int PRIMARY KEY, name text, ignored_here text)",
                "CREATE TABLE IF NOT EXISTS sinks.dlq_replay (id int PRIMARY KEY, name text NOT NULL)",
                // SinkTransformsIT: the quick start's customers (DemoData) and a table for the other transform parts
                "CREATE TABLE IF NOT EXISTS sinks.customers (customer_id serial PRIMARY KEY, email text NOT NULL UNIQUE,"
                        + " first_name text, last_name text, city text, state text, country text,"
                        + " registration_date timestamptz NOT NULL DEFAULT now(), is_active boolean NOT NULL DEFAULT true,"
                        + " customer_tier text NOT NULL DEFAULT 'standard', lifetime_value numeric(10,2) NOT NULL DEFAULT 0)",
                "CREATE TABLE IF NOT EXISTS sinks.transformed (id int PRIMARY KEY, name text, qty int, secret text, region text)",
                // ParquetAggregatesIT: the user's customers ("klienci") with the two aggregates' columns
                "CREATE TABLE IF NOT EXISTS sinks.klienci (id int PRIMARY KEY, name text, country text, position text, age int,"
                        + " salary numeric(10,2))",
                // ParquetSinkIT, DeltaSinkIT: one column of each type family the file sinks map
                "CREATE TABLE IF NOT EXISTS sinks.lake_types (id bigint PRIMARY KEY, flag boolean, small smallint, price numeric(12,4),"
                        + " big numeric, ratio double precision, born date, seen timestamp, at timestamptz, doc jsonb, tags text[], note text)");
        for (String sink : CONTRACT_SINKS) {
            for (String scenario : CONTRACT_SCENARIOS) {
                pg.execute(DB, "CREATE TABLE IF NOT EXISTS sinks." + table(sink, scenario) + " (id int PRIMARY KEY, name text NOT NULL, qty int)");
            }
        }
        ClickHouseServer ch = ClickHouseServer.shared();
        ch.query("CREATE DATABASE IF NOT EXISTS " + CLICKHOUSE_DB);
        // a table made by the user, used as it is: fewer columns than PostgreSQL, its own names and engine settings
        ch.query("CREATE TABLE IF NOT EXISTS " + CLICKHOUSE_DB + ".curated_rows (id Int32, name Nullable(String), _version UInt64, _is_deleted UInt8)"
                + " ENGINE = ReplacingMergeTree(_version) ORDER BY id");
        ch.query("DROP TABLE IF EXISTS " + CLICKHOUSE_DB + "." + NARROW_TABLE);
        ch.query("CREATE TABLE " + CLICKHOUSE_DB + "." + NARROW_TABLE + " (id Int32, name FixedString(8), _version UInt64, _is_deleted UInt8)"
                + " ENGINE = ReplacingMergeTree(_version) ORDER BY id");
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(DB, statements);
    }

    /** Rows of a PostgreSQL query, each as column -> text (NULL as null), for comparing with the targets. */
    static List<Map<String, String>> pgRows(String select) {
        try (var c = PostgresServer.shared().dataSource(DB).getConnection(); var st = c.createStatement(); var rs = st.executeQuery(select)) {
            List<Map<String, String>> rows = new java.util.ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, String> row = new java.util.LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The offsets a sink's consumer group has committed on a topic's partition 0 (-1 when none), read from the broker:
     * what a restart would resume from.
     */
    static long committedOffset(String groupId, String topic) {
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", io.cdchub.testinfra.KafkaServer.shared().bootstrapServers());
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            var committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get()
                    .get(new org.apache.kafka.common.TopicPartition(topic, 0));
            return committed == null ? -1 : committed.offset();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String topic(String table) {
        return "sit.sinks." + table;
    }
}
