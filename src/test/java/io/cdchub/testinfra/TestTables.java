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

    /** An INSERT of row {@code id} of {@code <schema>.all_types} with a value of every type family (the README's examples). */
    public static String allTypesRow(String schema, int id) {
        return """
                INSERT INTO %s.all_types VALUES (%d,
                    32767, -2147483648, 9223372036854775807,
                    12345678901234567890.123456789012, 3.14159265358979323846264338327950288, 1.5, 2.25, 12.34,
                    'héllo "world"', 'vc', 'ab', true,
                    '2024-02-29', '13:45:30.123456', '13:45:30+02', '2024-02-29 13:45:30.123456', '2024-02-29 13:45:30.123456+02',
                    '1 year 2 mons 3 days 04:05:06.78',
                    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, {"b": null}]}', '{"k": "v", "n": 1.10}',
                    '{1,2,3}', '{"a","b c"}', '{1.10,2.25}',
                    '\\xdeadbeef', 'happy', NULL, NULL)""".formatted(schema, id);
    }
}
