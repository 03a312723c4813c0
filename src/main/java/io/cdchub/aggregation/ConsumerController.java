package io.cdchub.aggregation;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.admin.ApiException;
import io.cdchub.connections.ConnectionsProperties;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Consumers API: define, remove, list and inspect threshold-aggregation consumers. Definitions are stored in Redis,
 * so they survive restarts and every instance runs them (within {@code cdc.aggregation.sync-interval}; the instance
 * that answers starts its route at once). When Redis cannot be reached the API answers 503.
 */
@RestController
@RequestMapping(path = "/consumer", produces = MediaType.APPLICATION_JSON_VALUE)
public class ConsumerController {

    private final WindowStore store;
    private final ConsumerRoutes consumers;
    private final ConnectionsProperties connections;
    private final AggregationProperties properties;

    public ConsumerController(WindowStore store, ConsumerRoutes consumers, ConnectionsProperties connections, AggregationProperties properties) {
        this.store = store;
        this.consumers = consumers;
        this.connections = connections;
        this.properties = properties;
    }

    /** 201 started; 400 a field is missing or wrong; 422 the connection does not exist or fit; 409 the id exists. */
    @PostMapping(path = "/start", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> start(@RequestBody JsonNode body) {
        ConsumerDefinition definition = ConsumerDefinition.fromRequest(body, connections, properties);
        String json;
        try {
            json = WindowEvents.JSON.writeValueAsString(definition);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (!redis(() -> store.define(definition.consumerId(), json))) {
            throw ApiException.conflict("consumer " + definition.consumerId() + " exists");
        }
        try {
            consumers.startLocal(definition);
        } catch (RuntimeException e) {
            redis(() -> store.undefine(definition.consumerId()));
            throw new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, null, "consumer could not start: " + e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>(definition.toApi());
        out.put("status", "started");
        out.put("group_id", definition.groupId());
        return ResponseEntity.status(HttpStatus.CREATED).body(out);
    }

    /** 200 stopped (definition removed, on every instance; its Redis state and Kafka group stay); 404 unknown. */
    @PostMapping("/stop")
    public Map<String, Object> stop(@RequestParam("consumer_id") String consumerId) {
        checkId(consumerId);
        if (!redis(() -> store.undefine(consumerId))) {
            throw ApiException.notFound("consumer " + consumerId + " does not exist");
        }
        consumers.stopLocal(consumerId);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("consumer_id", consumerId);
        out.put("status", "stopped");
        return out;
    }

    @GetMapping("/list")
    public Map<String, Object> list() {
        Map<String, String> definitions = redis(store::definitions);
        List<Map<String, Object>> out = new ArrayList<>();
        definitions.forEach((id, json) -> {
            Map<String, Object> item = new LinkedHashMap<>(read(json).toApi());
            item.put("running_here", consumers.running(id) != null);
            out.add(item);
        });
        return Map.of("consumers", out);
    }

    /** The definition, the open window (event count, age), completed windows waiting for their run, the last runs. */
    @GetMapping("/info/{consumer_id}")
    public Map<String, Object> info(@PathVariable("consumer_id") String consumerId) {
        checkId(consumerId);
        String json = redis(() -> store.definition(consumerId));
        if (json == null) {
            throw ApiException.notFound("consumer " + consumerId + " does not exist");
        }
        ConsumerDefinition definition = read(json);
        Map<String, Object> out = new LinkedHashMap<>(definition.toApi());
        out.put("group_id", definition.groupId());
        out.put("running_here", consumers.running(consumerId) != null);
        Window open = redis(() -> store.open(consumerId));
        Map<String, Object> window = new LinkedHashMap<>();
        long now = System.currentTimeMillis();
        window.put("events", open == null ? 0 : open.count());
        window.put("age_seconds", open == null ? 0 : Math.max(0, (now - open.firstEventAt()) / 1000.0));
        window.put("first_event_at", open == null ? null : Instant.ofEpochMilli(open.firstEventAt()).toString());
        window.put("due_in_seconds", open == null ? null : Math.max(0, (open.firstEventAt() + definition.maxTime() * 1000 - now) / 1000.0));
        out.put("window", window);
        out.put("pending_windows", redis(() -> store.pending(consumerId)).size());
        List<Object> runs = new ArrayList<>();
        for (String run : redis(() -> store.runs(consumerId))) {
            try {
                runs.add(WindowEvents.JSON.readTree(run));
            } catch (IOException e) {
                runs.add(run);
            }
        }
        out.put("runs", runs);
        return out;
    }

    private static void checkId(String consumerId) {
        if (!ConsumerDefinition.CONSUMER_ID.matcher(consumerId).matches()) {
            throw ApiException.badRequest("consumer_id", "consumer_id must be 1-64 letters, digits, '_' or '-', starting with a letter or digit");
        }
    }

    private static ConsumerDefinition read(String json) {
        try {
            return WindowEvents.JSON.readValue(json, ConsumerDefinition.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored consumer definition is not valid: " + e.getMessage(), e);
        }
    }

    private static <T> T redis(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (DataAccessException e) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, "Redis is unavailable: " + e.getMostSpecificCause().getMessage());
        }
    }
}
