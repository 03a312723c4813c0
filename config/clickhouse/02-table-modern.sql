-- The same table with DDL only newer ClickHouse versions accept (not 18.16):
--   DateTime64(6, 'UTC')                 20.1+  microsecond timestamps (set cdc.sink.clickhouse.timestamp-type
--                                               to DateTime64(6, 'UTC') and the sink creates them itself)
--   ReplacingMergeTree(ver, is_deleted)  23.2+  FINAL and merges drop deleted rows by themselves
--   LowCardinality(String) without a setting 19.x+, CODEC 19.x+, TTL 19.6+, ADD COLUMN IF NOT EXISTS 19.x+
-- Create it before the sink starts; the sink then uses it as it is (and adds new PostgreSQL columns to it,
-- since it has all of the sink's own columns).
CREATE TABLE IF NOT EXISTS cdc.orders (
    `id` Int64,
    `customer_id` Nullable(Int32),
    `status` LowCardinality(Nullable(String)),
    `total` Nullable(Decimal(12, 2)),
    `tags` Array(Nullable(String)),
    `created_at` Nullable(DateTime64(6, 'UTC')),
    `_version` UInt64,
    `_is_deleted` UInt8,
    `_op` LowCardinality(String),
    `_source_ts_ms` UInt64 CODEC(Delta, ZSTD),
    `_synced_at` DateTime('UTC') CODEC(Delta, ZSTD)
) ENGINE = ReplacingMergeTree(`_version`, `_is_deleted`)
ORDER BY (`id`)
-- deleted rows are kept a week (long enough for any replay), then removed for good
TTL `_synced_at` + INTERVAL 7 DAY DELETE WHERE `_is_deleted` = 1
SETTINGS allow_experimental_replacing_merge_with_cleanup = 1;

CREATE OR REPLACE VIEW cdc.orders_current AS
SELECT * FROM cdc.orders FINAL WHERE `_is_deleted` = 0;
