package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigDecimal;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** A connector config (POST /debezium/start/, POST /connectors) is read strictly; a bad value is a 400, never a 500. */
class JsonFieldsTest {

    private static JsonFields body(String json) throws Exception {
        return JsonFields.of(new ObjectMapper().readTree(json), Set.of("config"));
    }

    @Test
    void aNumberTooLargeForADoubleIsABadRequestNamingTheField() throws Exception {
        // found by the fault suite's fuzz: Jackson reads 1E+400 as an infinite double, which has no decimal value
        Throwable failure = catchThrowable(() -> body("{\"config\":{\"database.port\":1E+400}}").requiredObject("config"));
        assertThat(failure).isInstanceOf(ApiException.class).hasMessage("must be a finite number");
        assertThat(((ApiException) failure).field()).isEqualTo("config.database.port");
        assertThat(((ApiException) failure).status().value()).isEqualTo(400);
    }

    @Test
    void numbersAreKeptExactly() throws Exception {
        assertThat(body("{\"config\":{\"a\":5432,\"b\":0.1}}").requiredObject("config"))
                .containsEntry("a", java.math.BigInteger.valueOf(5432)).containsEntry("b", new BigDecimal("0.1"));
    }
}
