package io.cdchub.sink.transform;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The transforms declared under {@code cdc.sink.transforms.<name>} and the built-in sinks' choice of them
 * ({@code cdc.sink.clickhouse.transforms}, {@code cdc.sink.elasticsearch.transforms}); bound from {@code cdc.sink} by
 * {@link SinkTransforms}, which compiles and checks them at start-up.
 *
 * @param transforms    the declared transforms by name; a sink route applies those it names, in its order
 * @param clickhouse    which transforms the built-in ClickHouse route applies
 * @param elasticsearch which transforms the built-in Elasticsearch route applies
 * @param iceberg       which transforms the built-in Iceberg route applies
 * @param parquet       which transforms the built-in Parquet route applies
 * @param delta         which transforms the built-in Delta Lake route applies
 */
public record TransformSettings(
        Map<String, Transform> transforms,
        @DefaultValue Uses clickhouse,
        @DefaultValue Uses elasticsearch,
        @DefaultValue Uses iceberg,
        @DefaultValue Uses parquet,
        @DefaultValue Uses delta) {

    public TransformSettings {
        transforms = transforms == null ? Map.of() : new LinkedHashMap<>(transforms);
    }

    /** @param transforms names of declared transforms, applied in this order */
    public record Uses(List<String> transforms) {
        public Uses {
            transforms = transforms == null ? List.of() : List.copyOf(transforms);
        }
    }

    /**
     * One transform. Applied to a change in this order: {@code filter}, {@code derive}, {@code rename}, {@code drop},
     * then {@code operation-field} and {@code metadata} (README "Transforms").
     *
     * @param tables         a regex over {@code schema.table}: the tables the transform applies to (default: all)
     * @param derive         field -> jq expression, in order; each sees the row with the fields derived before it
     * @param rename         column -> new name
     * @param drop           columns left out
     * @param operationField a field that gets the operation's name: INSERT, UPDATE, DELETE or READ (for c, u, d, r)
     * @param metadata       pipeline metadata fields to add, by their names ({@link TransformMetadata})
     * @param pipelineId     the value of {@code _pipeline_id} (default: the route's id)
     * @param sourceSystem   the value of {@code _source_system}
     * @param filter         a jq expression: only rows for which it is true (not false or null) are written
     */
    public record Transform(
            @DefaultValue(".*") String tables,
            Map<String, String> derive,
            Map<String, String> rename,
            List<String> drop,
            String operationField,
            List<String> metadata,
            String pipelineId,
            @DefaultValue("postgresql") String sourceSystem,
            String filter) {

        public Transform {
            derive = derive == null ? Map.of() : new LinkedHashMap<>(derive);
            rename = rename == null ? Map.of() : new LinkedHashMap<>(rename);
            drop = drop == null ? List.of() : List.copyOf(drop);
            metadata = metadata == null ? List.of() : List.copyOf(metadata);
        }
    }
}
