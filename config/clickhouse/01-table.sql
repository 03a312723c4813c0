-- A table as the cdc-hub sink creates it, for PostgreSQL's
--   CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text,
--                               total numeric(12,2), tags text[], created_at timestamptz);
-- Works on ClickHouse 18.16 and every later version.
-- ReplacingMergeTree keeps, per primary key, the row with the highest _version (the change's PostgreSQL LSN),
-- so replays and duplicates never win over newer changes. Deletes are rows with _is_deleted = 1.
CREATE TABLE IF NOT EXISTS cdc.orders (
    `id` Int64,
    `customer_id` Nullable(Int32),
    `status` Nullable(String),
    `total` Nullable(Decimal(12, 2)),
    `tags` Array(Nullable(String)),
    `created_at` Nullable(DateTime('UTC')),
    `_version` UInt64,
    `_is_deleted` UInt8,
    `_op` String,
    `_source_ts_ms` UInt64,
    `_synced_at` DateTime('UTC')
) ENGINE = ReplacingMergeTree(`_version`) ORDER BY (`id`);

-- The current rows: the latest version of each key, deleted keys left out.
-- (FINAL merges at query time; for large tables query with argMax(..., _version) GROUP BY key instead,
-- or schedule OPTIMIZE TABLE cdc.orders FINAL in quiet hours.)
CREATE VIEW IF NOT EXISTS cdc.orders_current AS
SELECT * FROM cdc.orders FINAL WHERE `_is_deleted` = 0;
