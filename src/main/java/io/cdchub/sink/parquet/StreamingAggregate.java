package io.cdchub.sink.parquet;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.sink.lakehouse.LakeColumn;
import io.cdchub.sink.parquet.ParquetSettings.Function;
import io.cdchub.sink.parquet.ParquetSettings.Measure;

/**
 * One streaming group-by aggregate over the current rows of a source table, kept right under inserts, updates and
 * deletes. Debezium's {@code before} is only the key unless the table has REPLICA IDENTITY FULL, so the aggregate keeps
 * per primary key the row's group and measure inputs itself: an update subtracts the key's old contribution from its old
 * group and adds the new one (a row moving to another group moves its count), a delete subtracts it.
 *
 * <p><b>Replays.</b> A change is applied only when its LSN is above the one last applied for its key (so a change
 * replayed at a new offset, older than what is there, changes nothing; a deleted key keeps its LSN for this), and only when
 * its Kafka offset is above the last applied one of its partition (a batch written again after a crash). Both are part
 * of the persisted {@link #snapshot}, written with the aggregate's file after each batch.
 *
 * <p><b>Memory.</b> Per key (deleted ones included): the key's JSON, its LSN, its group values and measure inputs.
 * Per group: the row count, per measure the non-null count and an exact sum, and for each min/max measure a multiset of
 * its values (value -> how many rows have it), so a delete of the minimum finds the next one without re-reading rows.
 * So memory grows with the table's keys, not with its changes. Not thread-safe: the sink calls it under its own lock.
 */
final class StreamingAggregate {

    /** One change as the aggregate sees it, extracted in the sink's parallel convert stage. */
    record Input(String key, long lsn, boolean delete, List<Object> group, BigDecimal[] values, String partition, long offset) {
    }

    /** What the aggregate remembers of one primary key: null group for a deleted key. */
    record KeyState(long lsn, List<Object> group, BigDecimal[] values) {
    }

    /** The running aggregates of one group. */
    private static final class Group {
        long rows;
        final long[] nonNull;
        final BigDecimal[] sums;
        final List<TreeMap<BigDecimal, Integer>> multisets;

        Group(int measures, boolean[] needsMultiset) {
            nonNull = new long[measures];
            sums = new BigDecimal[measures];
            java.util.Arrays.fill(sums, BigDecimal.ZERO);
            multisets = new ArrayList<>(measures);
            for (int i = 0; i < measures; i++) {
                multisets.add(needsMultiset[i] ? new TreeMap<>() : null);
            }
        }
    }

    final String name;
    final ParquetSettings.Aggregate definition;
    final List<Measure> measures;
    /** The group-by columns and each measure's input column (null for count), typed once from the source table. */
    final List<LakeColumn> groupColumns;
    final List<LakeColumn> measureColumns;
    private final boolean[] needsMultiset;
    final Map<String, KeyState> keys = new HashMap<>();
    private final Map<List<Object>, Group> groups = new HashMap<>();
    final Map<String, Long> offsets = new HashMap<>();

    StreamingAggregate(String name, ParquetSettings.Aggregate definition, List<LakeColumn> groupColumns, List<LakeColumn> measureColumns) {
        this.name = name;
        this.definition = definition;
        this.measures = definition.parsedMeasures();
        this.groupColumns = List.copyOf(groupColumns);
        this.measureColumns = java.util.Collections.unmodifiableList(new ArrayList<>(measureColumns));
        this.needsMultiset = new boolean[measures.size()];
        for (int i = 0; i < measures.size(); i++) {
            needsMultiset[i] = measures.get(i).function() == Function.MIN || measures.get(i).function() == Function.MAX;
        }
    }

    /** Applies one change; false when it was skipped (already applied, or older than what the key has). */
    boolean apply(Input input) {
        Long applied = offsets.get(input.partition());
        if (input.offset() >= 0 && applied != null && input.offset() <= applied) {
            return false;
        }
        if (input.offset() >= 0) {
            offsets.put(input.partition(), input.offset());
        }
        KeyState old = keys.get(input.key());
        if (old != null && input.lsn() <= old.lsn()) {
            return false;
        }
        if (old != null && old.group() != null) {
            remove(old);
        }
        if (input.delete()) {
            keys.put(input.key(), new KeyState(input.lsn(), null, null));
        } else {
            KeyState now = new KeyState(input.lsn(), input.group(), input.values());
            keys.put(input.key(), now);
            add(now);
        }
        return true;
    }

    /** Restores a key from a persisted snapshot. */
    void restore(String key, KeyState state) {
        keys.put(key, state);
        if (state.group() != null) {
            add(state);
        }
    }

    private void add(KeyState state) {
        Group group = groups.computeIfAbsent(state.group(), g -> new Group(measures.size(), needsMultiset));
        group.rows++;
        for (int i = 0; i < measures.size(); i++) {
            BigDecimal value = state.values()[i];
            if (value == null) {
                continue;
            }
            group.nonNull[i]++;
            group.sums[i] = group.sums[i].add(value);
            if (needsMultiset[i]) {
                group.multisets.get(i).merge(value, 1, Integer::sum);
            }
        }
    }

    private void remove(KeyState state) {
        Group group = groups.get(state.group());
        group.rows--;
        for (int i = 0; i < measures.size(); i++) {
            BigDecimal value = state.values()[i];
            if (value == null) {
                continue;
            }
            group.nonNull[i]--;
            group.sums[i] = group.sums[i].subtract(value);
            if (needsMultiset[i]) {
                group.multisets.get(i).computeIfPresent(value, (v, n) -> n == 1 ? null : n - 1);
            }
        }
        if (group.rows == 0) {
            groups.remove(state.group());
        }
    }

    /**
     * The aggregate's rows, ordered by the group values: group values then one value per measure (count: Long; sum:
     * BigDecimal; avg: BigDecimal to 16 significant digits; min/max: BigDecimal; null when the group has no non-null
     * value for it), as the SQL aggregates would give them.
     */
    List<Object[]> rows() {
        List<Map.Entry<List<Object>, Group>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort(Map.Entry.comparingByKey(GROUP_ORDER));
        List<Object[]> rows = new ArrayList<>(sorted.size());
        for (Map.Entry<List<Object>, Group> entry : sorted) {
            Group group = entry.getValue();
            Object[] row = new Object[groupColumns.size() + measures.size()];
            for (int i = 0; i < groupColumns.size(); i++) {
                row[i] = entry.getKey().get(i);
            }
            for (int i = 0; i < measures.size(); i++) {
                Measure measure = measures.get(i);
                boolean none = group.nonNull[i] == 0;
                row[groupColumns.size() + i] = switch (measure.function()) {
                    case COUNT -> measure.column() == null ? group.rows : group.nonNull[i];
                    case SUM -> none ? null : group.sums[i];
                    case AVG -> none ? null : group.sums[i].divide(BigDecimal.valueOf(group.nonNull[i]), MathContext.DECIMAL64);
                    case MIN -> none ? null : group.multisets.get(i).firstKey();
                    case MAX -> none ? null : group.multisets.get(i).lastKey();
                };
            }
            rows.add(row);
        }
        return rows;
    }

    /** Nulls first, then by the values' natural order (all group values of a column have one Java type). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static final Comparator<List<Object>> GROUP_ORDER = (a, b) -> {
        for (int i = 0; i < a.size(); i++) {
            Object x = a.get(i);
            Object y = b.get(i);
            if (x == null || y == null) {
                if (x != y) {
                    return x == null ? -1 : 1;
                }
                continue;
            }
            int c = x instanceof Comparable cx && x.getClass() == y.getClass() ? cx.compareTo(y) : x.toString().compareTo(y.toString());
            if (c != 0) {
                return c;
            }
        }
        return 0;
    };

    int groupCount() {
        return groups.size();
    }
}
