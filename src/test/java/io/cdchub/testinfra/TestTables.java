package io.cdchub.testinfra;

/** Tables several test suites share, so the type coverage of source and sinks is the same. */
public final class TestTables {

    private TestTables() {
    }

    /** DDL of {@code <schema>.all_types}: one column per PostgreSQL type family cdc-hub maps (and enum type {@code <schema>.mood}). */
    public static String[] allTypes(String schema) {
        return new String[] {
            "DO $$ BEGIN CREATE TYPE " + schema + ".mood AS ENUM ('sad', 'ok', 'happy'); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
            """
            CREATE TABLE IF NOT EXISTS %s.all_types (
                id int PRIMARY KEY,
                c_smallint smallint, c_integer integer, c_bigint bigint,
                c_numeric numeric(38,12), c_numeric_free numeric, c_real real, c_double double precision, c_money money,
                c_text text, c_varchar varchar(20), c_char char(3), c_boolean boolean,
                c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz, c_interval interval,
                c_uuid uuid, c_json json, c_jsonb jsonb,
                c_int_array int[], c_text_array text[], c_numeric_array numeric(10,2)[],
                c_bytea bytea, c_enum %s.mood, c_null_text text, c_null_int int)""".formatted(schema, schema),
        };
    }
}
