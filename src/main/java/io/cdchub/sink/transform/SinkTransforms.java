package io.cdchub.sink.transform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.sink.SinkRunner;
import io.cdchub.sink.clickhouse.ClickHouseTables;
import net.thisptr.jackson.jq.JsonQuery;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The declared sink transforms ({@code cdc.sink.transforms.<name>}, README "Transforms"), compiled once at start-up:
 * a transform that does not compile, names an unknown metadata field or a column the sinks keep for themselves, and a
 * sink naming a transform that is not declared, stop start-up with the property, where it was set (file and line) and
 * why. A sink route says which transforms it applies: the built-in ones through {@code cdc.sink.<sink>.transforms}, a
 * user's own through the {@code kafka-to-sink} template's {@code transforms} parameter (checked when the route is added,
 * by SinkRouteCheck). Its runner gets them as its per-record step ({@link #step}).
 */
@Component("sinkTransforms")
public class SinkTransforms {

    /** Exchange property set by the {@code kafka-to-sink} template: the route's transforms, comma-separated. */
    public static final String ROUTE_TRANSFORMS = "cdc.sink.transforms";

    private static final String PREFIX = "cdc.sink.transforms.";
    /** Columns the sinks write themselves: a transform writing one would be overwritten without a word. */
    private static final Set<String> SINK_COLUMNS = Set.of(ClickHouseTables.VERSION, ClickHouseTables.IS_DELETED, ClickHouseTables.OP,
            ClickHouseTables.SOURCE_TS_MS, ClickHouseTables.SYNCED_AT);

    private final Environment environment;
    private final Map<String, CompiledTransform> compiled = new LinkedHashMap<>();
    private final TransformSettings settings;

    public SinkTransforms(Environment environment) {
        this.environment = environment;
        this.settings = Binder.get(environment).bindOrCreate("cdc.sink", Bindable.of(TransformSettings.class));
        settings.transforms().forEach((name, transform) -> compiled.put(name, compile(name, transform)));
        requireDeclared("cdc.sink.clickhouse.transforms", settings.clickhouse().transforms());
        requireDeclared("cdc.sink.elasticsearch.transforms", settings.elasticsearch().transforms());
        requireDeclared("cdc.sink.iceberg.transforms", settings.iceberg().transforms());
        requireDeclared("cdc.sink.parquet.transforms", settings.parquet().transforms());
        requireDeclared("cdc.sink.delta.transforms", settings.delta().transforms());
    }

    /** The built-in ClickHouse route's transforms, comma-separated (its {@code transforms} parameter). */
    public String clickhouse() {
        return String.join(",", settings.clickhouse().transforms());
    }

    /** The built-in Iceberg route's transforms, comma-separated (its {@code transforms} parameter). */
    public String iceberg() {
        return String.join(",", settings.iceberg().transforms());
    }

    /** The built-in Elasticsearch route's transforms, comma-separated (its {@code transforms} parameter). */
    public String elasticsearch() {
        return String.join(",", settings.elasticsearch().transforms());
    }

    /** The built-in Parquet route's transforms, comma-separated (its {@code transforms} parameter). */
    public String parquet() {
        return String.join(",", settings.parquet().transforms());
    }

    /** The built-in Delta Lake route's transforms, comma-separated (its {@code transforms} parameter). */
    public String delta() {
        return String.join(",", settings.delta().transforms());
    }

    /**
     * The step a route's runner applies for its {@code transforms} parameter: {@link SinkRunner.ChangeEventStep#NONE}
     * when it names none.
     */
    public SinkRunner.ChangeEventStep step(String routeId, String names) {
        List<String> list = names(names);
        if (list.isEmpty()) {
            return SinkRunner.ChangeEventStep.NONE;
        }
        checkRoute(routeId, names);
        return new TransformStep(routeId, list.stream().map(compiled::get).toList());
    }

    /**
     * Refuses a route whose {@code transforms} parameter names a transform that is not declared.
     *
     * @throws InvalidConfigurationException naming the route and the transform
     */
    public void checkRoute(String routeId, String names) {
        for (String name : names(names)) {
            if (!compiled.containsKey(name)) {
                throw new InvalidConfigurationException("cdc.routes.dir", "holds route " + routeId + ", whose parameter transforms names '" + name
                        + "', which is not declared under cdc.sink.transforms (declared: " + compiled.keySet() + ")");
            }
        }
    }

    private static List<String> names(String names) {
        List<String> list = new ArrayList<>();
        if (names != null) {
            for (String name : names.split(",")) {
                if (!name.isBlank()) {
                    list.add(name.trim());
                }
            }
        }
        return list;
    }

    private void requireDeclared(String property, List<String> names) {
        for (String name : names) {
            if (!compiled.containsKey(name)) {
                throw invalid(property, "names transform '" + name + "', which is not declared under cdc.sink.transforms (declared: "
                        + compiled.keySet() + ")");
            }
        }
    }

    private CompiledTransform compile(String name, TransformSettings.Transform transform) {
        String at = PREFIX + name + ".";
        Pattern tables;
        try {
            tables = Pattern.compile(transform.tables());
        } catch (PatternSyntaxException e) {
            throw invalid(at + "tables", "is not a valid regex over schema.table: " + e.getDescription());
        }
        JsonQuery filter = transform.filter() == null ? null : expression(at + "filter", transform.filter());
        List<CompiledTransform.Derived> derive = new ArrayList<>();
        transform.derive().forEach((field, expression) -> {
            requireField(at + "derive." + field, field);
            derive.add(new CompiledTransform.Derived(field, expression, expression(at + "derive." + field, expression)));
        });
        transform.rename().forEach((from, to) -> requireField(at + "rename." + from, to));
        Set<String> drop = new LinkedHashSet<>(transform.drop());
        if (transform.operationField() != null) {
            requireField(at + "operation-field", transform.operationField());
        }
        List<TransformMetadata> metadata = new ArrayList<>();
        for (int i = 0; i < transform.metadata().size(); i++) {
            TransformMetadata field = TransformMetadata.named(transform.metadata().get(i));
            if (field == null) {
                throw invalid(at + "metadata[" + i + "]", "is '" + transform.metadata().get(i) + "', which is no metadata field; they are "
                        + TransformMetadata.fields());
            }
            requireField(at + "metadata[" + i + "]", field.field);
            metadata.add(field);
        }
        if (derive.isEmpty() && filter == null && transform.rename().isEmpty() && drop.isEmpty() && transform.operationField() == null
                && metadata.isEmpty()) {
            throw invalid(PREFIX + name, "declares nothing to do: give it derive, rename, drop, operation-field, metadata or filter");
        }
        return new CompiledTransform(name, tables, filter, derive, transform.rename(), drop, transform.operationField(), metadata,
                transform.pipelineId(), transform.sourceSystem());
    }

    private JsonQuery expression(String property, String expression) {
        try {
            return JqExpressions.compile(expression);
        } catch (JqExpressions.InvalidExpressionException e) {
            throw invalid(property, e.getMessage());
        }
    }

    private void requireField(String property, String field) {
        if (field == null || field.isBlank()) {
            throw invalid(property, "must name a field");
        }
        if (SINK_COLUMNS.contains(field)) {
            throw invalid(property, "names " + field + ", a column the sinks write themselves " + new java.util.TreeSet<>(SINK_COLUMNS)
                    + ": choose another name");
        }
    }

    /** The problem, with where the property was set (Spring's origin: file and line) when it is known. */
    private InvalidConfigurationException invalid(String property, String problem) {
        String origin = origin(property);
        return new InvalidConfigurationException(property, (origin == null ? "" : "(set in " + origin + ") ") + problem);
    }

    private String origin(String property) {
        ConfigurationPropertyName name = ConfigurationPropertyName.adapt(property, '.');
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            ConfigurationProperty found = source.getConfigurationProperty(name);
            if (found != null && found.getOrigin() != null) {
                return found.getOrigin().toString();
            }
        }
        return null;
    }
}
