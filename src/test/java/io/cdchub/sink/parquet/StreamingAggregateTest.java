package io.cdchub.sink.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.sink.lakehouse.LakeColumn;
import org.junit.jupiter.api.Test;

/** The aggregate's arithmetic under moves, deletes of the minimum and replays, without a store. */
class StreamingAggregateTest {

    private final StreamingAggregate byPosition = new StreamingAggregate("by-position",
            new ParquetSettings.Aggregate("staff", List.of("position"), new java.util.LinkedHashMap<>(Map.of("n", "count"))),
            List.of(LakeColumn.of("position", LakeColumn.Kind.STRING)), List.of());

    private static StreamingAggregate ages() {
        Map<String, String> measures = new java.util.LinkedHashMap<>();
        measures.put("n", "count");
        measures.put("avg_age", "avg(age)");
        measures.put("youngest", "min(age)");
        measures.put("oldest", "max(age)");
        measures.put("ages", "count(age)");
        LakeColumn age = LakeColumn.of("age", LakeColumn.Kind.INT);
        return new StreamingAggregate("ages", new ParquetSettings.Aggregate("staff", List.of("position"), measures),
                List.of(LakeColumn.of("position", LakeColumn.Kind.STRING)), Arrays.asList(null, age, age, age, age));
    }

    private static StreamingAggregate.Input upsert(String key, long lsn, String position, Integer age, long offset) {
        BigDecimal value = age == null ? null : BigDecimal.valueOf(age);
        return new StreamingAggregate.Input(key, lsn, false, Arrays.asList(position), new BigDecimal[] {null, value, value, value, value}, "t/0", offset);
    }

    private static StreamingAggregate.Input delete(String key, long lsn, long offset) {
        return new StreamingAggregate.Input(key, lsn, true, null, null, "t/0", offset);
    }

    private static String rows(StreamingAggregate aggregate) {
        StringBuilder out = new StringBuilder();
        for (Object[] row : aggregate.rows()) {
            out.append(Arrays.toString(row)).append(';');
        }
        return out.toString();
    }

    @Test
    void aRowMovingToAnotherGroupMovesItsCountAndItsValues() {
        StreamingAggregate a = ages();
        a.apply(upsert("1", 10, "dev", 30, 0));
        a.apply(upsert("2", 11, "dev", 40, 1));
        a.apply(upsert("3", 12, "qa", 50, 2));
        a.apply(upsert("2", 13, "qa", 41, 3)); // moves and changes its age
        assertThat(rows(a)).isEqualTo("[dev, 1, 30, 30, 30, 1];[qa, 2, 45.5, 41, 50, 2];");
    }

    @Test
    void deletingTheMinimumFindsTheNextOneAndAnEmptyGroupDisappears() {
        StreamingAggregate a = ages();
        a.apply(upsert("1", 10, "dev", 30, 0));
        a.apply(upsert("2", 11, "dev", 30, 1)); // the same minimum twice
        a.apply(upsert("3", 12, "dev", 50, 2));
        a.apply(upsert("4", 13, "qa", 20, 3));
        a.apply(delete("1", 14, 4));
        assertThat(rows(a)).isEqualTo("[dev, 2, 40, 30, 50, 2];[qa, 1, 20, 20, 20, 1];");
        a.apply(delete("2", 15, 5));
        a.apply(delete("4", 16, 6));
        assertThat(rows(a)).isEqualTo("[dev, 1, 50, 50, 50, 1];");
    }

    @Test
    void nullsCountAsRowsButNotAsValues() {
        StreamingAggregate a = ages();
        a.apply(upsert("1", 10, null, null, 0));
        a.apply(upsert("2", 11, null, 20, 1));
        assertThat(rows(a)).isEqualTo("[null, 2, 20, 20, 20, 1];");
    }

    @Test
    void anOlderChangeOfAKeyAndAnAppliedOffsetChangeNothing() {
        StreamingAggregate a = ages();
        a.apply(upsert("1", 10, "dev", 30, 0));
        a.apply(delete("1", 12, 1));
        assertThat(a.apply(upsert("1", 10, "dev", 30, 2))).as("replayed at a new offset, older than the delete").isFalse();
        assertThat(a.apply(upsert("9", 20, "dev", 30, 1))).as("at an offset already applied").isFalse();
        assertThat(rows(a)).isEmpty();
        assertThat(a.apply(upsert("1", 13, "qa", 31, 3))).isTrue();
        assertThat(rows(a)).isEqualTo("[qa, 1, 31, 31, 31, 1];");
    }

    @Test
    void measuresAreCheckedAtStartUp() {
        assertThat(ParquetSettings.measure("p", "x", "AVG( age )")).isEqualTo(new ParquetSettings.Measure("x", ParquetSettings.Function.AVG, "age"));
        assertThat(ParquetSettings.measure("p", "x", "count(*)").column()).isNull();
        assertThatThrownBy(() -> ParquetSettings.measure("p", "x", "median(age)")).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("p.measures.x");
        assertThatThrownBy(() -> ParquetSettings.measure("p", "x", "sum")).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("needs a column");
        assertThat(byPosition.rows()).isEmpty();
    }
}
