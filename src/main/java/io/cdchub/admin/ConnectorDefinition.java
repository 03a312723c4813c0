package io.cdchub.admin;

import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A source connector defined through the API, as stored in the config topic (key = name, value = this as JSON).
 *
 * @param name     connector name (also the Debezium engine's name and the key of its offsets)
 * @param config   Debezium's dotted keys, validated and completed ({@link ConnectorConfigs#validate})
 * @param state    what the user asked for: RUNNING, PAUSED, or STOPPED (Connect's stop: no task, offsets may be altered)
 * @param restarts bumped by each restart request, so every instance running the connector sees it
 */
public record ConnectorDefinition(
        @JsonProperty("name") String name,
        @JsonProperty("config") Map<String, String> config,
        @JsonProperty("state") TargetState state,
        @JsonProperty("restarts") long restarts) {

    /** Kafka Connect's target states (its STARTED is RUNNING here, as the API spells it). */
    public enum TargetState { RUNNING, PAUSED, STOPPED }

    public ConnectorDefinition {
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(config));
        state = state == null ? TargetState.RUNNING : state;
    }

    public ConnectorDefinition withConfig(Map<String, String> newConfig) {
        return new ConnectorDefinition(name, newConfig, state, restarts);
    }

    public ConnectorDefinition withState(TargetState newState) {
        return new ConnectorDefinition(name, config, newState, restarts);
    }

    public ConnectorDefinition restarted() {
        return new ConnectorDefinition(name, config, state, restarts + 1);
    }
}
