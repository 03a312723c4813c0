-- Analytics rollup: how many changes per day, table and operation (c = insert, u = update, d = delete,
-- r = snapshot read), kept up to date by one materialized view per sink table. Works on 18.16 and later.
-- Counts are of rows written: a replayed batch counts again (the tables themselves stay exact).
CREATE TABLE IF NOT EXISTS cdc.daily_change_counts (
    `day` Date,
    `table` String,
    `op` String,
    `changes` UInt64
) ENGINE = SummingMergeTree(`changes`) ORDER BY (`day`, `table`, `op`);

-- One of these per table the sink writes (here: orders). The day is PostgreSQL's commit time.
CREATE MATERIALIZED VIEW IF NOT EXISTS cdc.orders_daily_change_counts_mv TO cdc.daily_change_counts AS
SELECT
    toDate(toDateTime(intDiv(`_source_ts_ms`, 1000), 'UTC')) AS `day`,
    'orders' AS `table`,
    `_op` AS `op`,
    count() AS `changes`
FROM cdc.orders
GROUP BY `day`, `op`;

-- Query (sum() because SummingMergeTree merges in the background):
-- SELECT day, table, op, sum(changes) AS changes FROM cdc.daily_change_counts GROUP BY day, table, op ORDER BY day, table, op;
