package io.cdchub.csvimport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import io.cdchub.csvimport.ColumnTypes.SqlType;
import org.junit.jupiter.api.Test;

class ColumnTypesTest {

    private static List<SqlType> infer(String... rows) {
        ColumnTypes types = new ColumnTypes(rows[0].split(",", -1).length);
        for (String row : rows) {
            types.add(Arrays.asList(row.split(",", -1)));
        }
        return types.types();
    }

    @Test
    void eachFamilyIsRecognised() {
        assertThat(infer("1,2.5,true,2024-01-31,2024-01-31 10:15:00,2024-01-31T10:15:00.123+01:00,abc"))
                .containsExactly(SqlType.INTEGER, SqlType.NUMERIC, SqlType.BOOLEAN, SqlType.DATE, SqlType.TIMESTAMP, SqlType.TIMESTAMPTZ,
                        SqlType.TEXT);
    }

    @Test
    void aColumnGetsTheNarrowestTypeAllItsValuesFit() {
        assertThat(infer("1,1,2024-01-01,no", "3000000000,1.5,2024-01-01 08:00,yes", "-7,-2e3,2024-02-29,N"))
                .containsExactly(SqlType.BIGINT, SqlType.NUMERIC, SqlType.TIMESTAMP, SqlType.BOOLEAN);
        assertThat(infer("99999999999999999999", "1")).containsExactly(SqlType.NUMERIC);
        assertThat(infer("2024-01-01 10:00", "2024-01-01 10:00Z")).containsExactly(SqlType.TIMESTAMPTZ);
    }

    @Test
    void mixedOrMalformedValuesAreText() {
        assertThat(infer("1,true,2024-02-30,1,12:00", "x,1,2024-01-01,1.5.1,13:00"))
                .containsExactly(SqlType.TEXT, SqlType.TEXT, SqlType.TEXT, SqlType.TEXT, SqlType.TEXT);
        // a comma decimal is not PostgreSQL's numeric form
        assertThat(ColumnTypes.fits("1,5") & SqlType.NUMERIC.bit()).isZero();
        assertThat(infer("2024-01-01 25:00")).containsExactly(SqlType.TEXT);
    }

    @Test
    void zeroAndOneAreIntegersAndEmptyValuesSayNothing() {
        assertThat(infer("0,,", "1,5,")).containsExactly(SqlType.INTEGER, SqlType.INTEGER, SqlType.TEXT);
    }
}
