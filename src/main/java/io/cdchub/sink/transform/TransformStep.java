package io.cdchub.sink.transform;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.SinkRunner;

/**
 * A sink route's transforms as its runner's per-record step: applies, in order, those whose {@code tables} match the
 * change's table. A change of a table no transform applies to is handed on as it is, with no tree made and nothing
 * copied; otherwise the row becomes a tree once, goes through the transforms, and is handed on as a new event with the
 * same record, key, operation and LSN ({@link ChangeEvent#withRow}). Runs on several converter threads at once: it
 * holds no per-change state.
 */
final class TransformStep implements SinkRunner.ChangeEventStep {

    private final String routeId;
    private final List<CompiledTransform> transforms;
    /** Which transforms apply, per schema.table: the regexes run once per table, not per change. */
    private final Map<String, List<CompiledTransform>> byTable = new ConcurrentHashMap<>();

    TransformStep(String routeId, List<CompiledTransform> transforms) {
        this.routeId = routeId;
        this.transforms = List.copyOf(transforms);
    }

    @Override
    public ChangeEvent apply(ChangeEvent event) {
        List<CompiledTransform> applying = byTable.get(event.schema() + '.' + event.table());
        if (applying == null) {
            applying = byTable.computeIfAbsent(event.schema() + '.' + event.table(),
                    t -> transforms.stream().filter(transform -> transform.appliesTo(event.schema(), event.table())).toList());
        }
        if (applying.isEmpty()) {
            return event;
        }
        ObjectNode row = event.isDelete() ? event.row() : event.afterWithUnchangedToast();
        long nowMs = System.currentTimeMillis();
        for (CompiledTransform transform : applying) {
            if (!transform.apply(event, row, routeId, nowMs)) {
                return null; // filtered out
            }
        }
        try {
            return event.withRow(ChangeEvent.WRITER.writeValueAsBytes(row));
        } catch (IOException e) {
            throw new RejectedRecordException("The transformed row cannot be written as JSON: " + e.getMessage(), e);
        }
    }
}
