package io.cdchub.change;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import io.cdchub.sink.RejectedRecordException;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The streamed envelope parse: the same results as reading the envelope whole, and the raw bytes of {@code after}. */
class ChangeEventParseTest {

    private static Exchange record(String value, String key) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setBody(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        if (key != null) {
            exchange.getMessage().setHeader(KafkaConstants.KEY, key.getBytes(StandardCharsets.UTF_8));
        }
        return exchange;
    }

    @Test
    void readsWhatASinkNeedsAndKeepsAfterAsItCame() {
        String after = "{\"id\":1,\"amount\":12.30,\"big\":123456789012345678901234567890.000001,\"t\":\"a\\\"b\"}";
        String value = "{\"before\":null,\"after\":" + after + ",\"source\":{\"version\":\"x\",\"ts_ms\":5,\"schema\":\"s\",\"table\":\"t\","
                + "\"seq\":[1,{\"a\":2}],\"lsn\":99},\"transaction\":null,\"op\":\"c\",\"ts_ms\":7}";
        ChangeEvent event = ChangeEvent.parse(record(value, "{\"id\":1}"));
        assertThat(event.schema()).isEqualTo("s");
        assertThat(event.table()).isEqualTo("t");
        assertThat(event.op()).isEqualTo("c");
        assertThat(event.lsn()).isEqualTo(99);
        assertThat(event.sourceTsMs()).isEqualTo(5);
        assertThat(event.before()).isNull();
        assertThat(event.after().get("amount").decimalValue().toPlainString()).isEqualTo("12.30");
        assertThat(event.after().get("big").decimalValue().toPlainString()).isEqualTo("123456789012345678901234567890.000001");
        assertThat(new String(event.afterJson(), StandardCharsets.UTF_8)).isEqualTo(after);
        assertThat(event.key().get("id").asInt()).isEqualTo(1);
    }

    @Test
    void streamsAfterUnlessAFieldRepeats() throws Exception {
        String source = ",\"source\":{\"schema\":\"s\",\"table\":\"t\",\"lsn\":1},\"op\":\"u\"}";
        ChangeEvent event = ChangeEvent.parse(record("{\"before\":{\"id\":1,\"v\":0},\"after\":{\"id\":1,\"v\":2}" + source, "{\"id\":1}"));
        assertThat(event.rowFields()).containsExactly("id", "v");
        assertThat(event.hasBefore()).isTrue();
        try (var parser = event.afterParser()) {
            assertThat((Object) ChangeEvent.JSON.readTree(parser)).isEqualTo(event.after());
        }
        ChangeEvent repeated = ChangeEvent.parse(record("{\"after\":{\"id\":1,\"v\":2,\"v\":3}" + source, "{\"id\":1}"));
        assertThat(repeated.afterParser()).as("a tree decides which value counts").isNull();
        assertThat(repeated.after().get("v").asInt()).isEqualTo(3);
        assertThat(repeated.rowFields()).containsExactly("id", "v");
        assertThatThrownBy(() -> ChangeEvent.parse(record("{\"before\":7,\"after\":{}" + source, null)))
                .isInstanceOf(RejectedRecordException.class).hasMessage("'before' is not a JSON object");
    }

    @Test
    void envelopeTimeWhenSourceHasNone() {
        ChangeEvent event = ChangeEvent.parse(record("{\"op\":\"d\",\"ts_ms\":7,\"source\":{\"schema\":\"s\",\"table\":\"t\",\"lsn\":\"12\"},\"after\":null}", "{\"id\":1}"));
        assertThat(event.sourceTsMs()).isEqualTo(7);
        assertThat(event.lsn()).isEqualTo(12);
        assertThat(event.after()).isNull();
        assertThat(event.afterJson()).isNull();
        assertThat(ChangeEvent.parse(record(null, null))).isNull();
    }

    @Test
    void rejectsAsBefore() {
        assertThatThrownBy(() -> ChangeEvent.parse(record("{\"op\":\"c\",\"after\":{\"a\":1", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageStartingWith("Not JSON");
        assertThatThrownBy(() -> ChangeEvent.parse(record("[1,2", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageStartingWith("Not JSON");
        assertThatThrownBy(() -> ChangeEvent.parse(record("[1,2]", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageStartingWith("Not a change event");
        assertThatThrownBy(() -> ChangeEvent.parse(record("", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageStartingWith("Not a change event");
        assertThatThrownBy(() -> ChangeEvent.parse(record("{\"op\":\"x\"}", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessage("Not a row change: op is \"x\"");
        assertThatThrownBy(() -> ChangeEvent.parse(record("{\"op\":\"c\",\"source\":\"s\",\"after\":{}}", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("source.schema/source.table");
        assertThatThrownBy(() -> ChangeEvent.parse(record("{\"op\":\"c\",\"source\":{\"schema\":\"s\",\"table\":\"t\"},\"after\":{}}", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("without source.lsn");
        assertThatThrownBy(() -> ChangeEvent.parse(record("{\"op\":\"c\",\"source\":{\"schema\":\"s\",\"table\":\"t\",\"lsn\":1},\"after\":[1]}", null)))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("'after' is not a JSON object");
    }

    @Test
    void aPolledRowIsVersionedByTheTimeItWasRead() {
        // the polling source has no WAL position: its events carry lsn null and the read time in source.ts_us
        String value = "{\"before\":null,\"after\":{\"id\":1},\"source\":{\"connector\":\"cdc-hub-polling\",\"ts_ms\":1700000000123,"
                + "\"ts_us\":1700000000123456,\"schema\":\"s\",\"table\":\"t\",\"txId\":77,\"lsn\":null},\"op\":\"c\",\"ts_ms\":1}";
        assertThat(ChangeEvent.parse(record(value, "{\"id\":1}")).lsn()).isEqualTo(1700000000123456L);
        assertThat(ChangeEvent.read("{\"id\":1}".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), 0).lsn())
                .isEqualTo(1700000000123456L);
        // any other connector still needs its LSN
        assertThatThrownBy(() -> ChangeEvent.parse(record(value.replace("cdc-hub-polling", "postgresql"), "{\"id\":1}")))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("without source.lsn");
    }

    @Test
    void unchangedToastValuesComeFromBeforeWhenTheTableSendsIt() {
        String source = ",\"source\":{\"schema\":\"s\",\"table\":\"t\",\"lsn\":9},\"op\":\"u\"}";
        String placeholder = "\"" + ChangeEvent.UNAVAILABLE_VALUE + "\"";
        String after = "{\"id\":1,\"doc\":" + placeholder + ",\"tags\":[" + placeholder + "],\"note\":\"new\"}";
        ChangeEvent full = ChangeEvent.parse(record("{\"before\":{\"id\":1,\"doc\":\"old doc\",\"tags\":[\"a\",\"b\"],\"note\":\"old\"},"
                + "\"after\":" + after + source, "{\"id\":1}"));
        assertThat(full.afterWithUnchangedToast().toString()).isEqualTo("{\"id\":1,\"doc\":\"old doc\",\"tags\":[\"a\",\"b\"],\"note\":\"new\"}");

        ChangeEvent keyOnly = ChangeEvent.parse(record("{\"before\":null,\"after\":" + after + source, "{\"id\":1}"));
        assertThat(keyOnly.afterWithUnchangedToast().toString()).as("no old row: the placeholders stay").isEqualTo(after);
        assertThat(ChangeEvent.isUnchangedToast(keyOnly.after().get("tags"))).isTrue();
        assertThat(ChangeEvent.isPlaceholder(keyOnly.after().get("tags"))).isFalse();
        assertThat(ChangeEvent.isPlaceholder(keyOnly.after().get("note"))).isFalse();
    }
}
