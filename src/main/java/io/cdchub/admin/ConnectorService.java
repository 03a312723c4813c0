package io.cdchub.admin;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.cdchub.admin.ConnectorDefinition.TargetState;
import io.cdchub.source.SourceProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpStatus;

/**
 * The one connector registry behind both APIs ({@code /debezium} and the Connect-style {@code /connectors}).
 * Definitions live in the config topic ({@link ConnectorStore}); every change read from it (this instance's or
 * another's) is reconciled here, one at a time: an instance with {@code cdc.admin.run-connectors=true} starts,
 * restarts, pauses and removes its connectors' routes ({@link ConnectorRuntime}) to match.
 */
public class ConnectorService implements SmartLifecycle {

    /** Connector states, named as Kafka Connect names them. */
    public enum State { RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED }

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorService.class);
    private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(60);

    private final AdminProperties properties;
    private final SourceProperties builtInSource;
    private final ConnectorRuntime runtime;
    private final ConnectorStore store;
    private final DatabaseCheck databaseCheck;
    private final String workerId;
    private final ConnectorPlacement placement;
    private final ConnectorOffsetStore offsetStore = new ConnectorOffsetStore();
    private final Map<String, ConnectorDefinition> definitions = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    /** Definitions read from the config topic that fail validation: listed as FAILED with the reason, never run. */
    private final Map<String, String> invalid = new ConcurrentHashMap<>();
    /** Reconciliations run one at a time, in the order definitions were read. */
    private final ExecutorService reconciler = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cdc-hub-connectors");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean ready;
    private volatile boolean running;
    private Thread starter;

    public ConnectorService(AdminProperties properties, SourceProperties builtInSource, ConnectorRuntime runtime,
            java.util.function.Function<java.util.function.BiConsumer<String, ConnectorDefinition>, ConnectorStore> storeFactory,
            DatabaseCheck databaseCheck, String workerId, ConnectorPlacement placement) {
        this.properties = properties;
        this.builtInSource = builtInSource;
        this.runtime = runtime;
        this.databaseCheck = databaseCheck;
        this.workerId = workerId;
        this.placement = placement;
        this.store = storeFactory.apply(this::onRecord);
    }

    // ---- lifecycle: definitions are read in the background, so a Kafka outage does not stop the app from starting

    @Override
    public void start() {
        running = true;
        starter = new Thread(() -> {
            try {
                store.start();
                ready = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.error("Connector definitions could not be loaded from {}; the connector API answers 503", properties.configTopic(), e);
            }
        }, "cdc-hub-connector-store");
        starter.setDaemon(true);
        runtime.whenCamelStarted(starter::start);
    }

    @Override
    public void stop() {
        running = false;
        ready = false;
        if (starter != null) {
            starter.interrupt();
        }
        store.stop();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> definitions.keySet().forEach(runtime::stop), reconciler);
        try {
            stopped.get(APPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("Runtime connectors did not all stop cleanly: {}", e.toString());
        }
        reconciler.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stopped before Camel and the web server, so connectors stop first (definitions are read once Camel runs). */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 2000;
    }

    public boolean ready() {
        return ready;
    }

    public String workerId() {
        return workerId;
    }

    // ---- reads

    public List<String> names() {
        requireReady();
        return definitions.keySet().stream().sorted().toList();
    }

    public Optional<ConnectorDefinition> find(String name) {
        requireReady();
        return Optional.ofNullable(definitions.get(name));
    }

    public ConnectorDefinition get(String name) {
        return find(name).orElseThrow(() -> ApiException.notFound("connector " + name + " not found"));
    }

    public State state(String name) {
        ConnectorDefinition definition = get(name);
        if (invalid.containsKey(name)) {
            return State.FAILED;
        }
        if (definition.state() == TargetState.STOPPED) {
            return State.STOPPED;
        }
        if (!runsHere()) {
            return definition.state() == TargetState.PAUSED ? State.PAUSED : State.UNASSIGNED;
        }
        if (failures.containsKey(name) || runtime.failed(name)) {
            return State.FAILED;
        }
        if (definition.state() == TargetState.PAUSED) {
            return State.PAUSED;
        }
        return runtime.running(name) != null ? State.RUNNING : State.UNASSIGNED;
    }

    /** Why the connector failed, or null. */
    public String failure(String name) {
        String refused = invalid.get(name);
        if (refused != null) {
            return refused;
        }
        String failure = failures.get(name);
        if (failure == null && runtime.failed(name)) {
            failure = runtime.failure(name);
        }
        return failure;
    }

    // ---- writes: one at a time in this instance (between instances the config topic's order decides: last write wins)

    /** Creates a running connector; the configuration is validated and the database checked first. */
    public ConnectorDefinition create(String name, Map<String, String> config, ConnectorConfigs.Naming naming) {
        return create(name, config, naming, TargetState.RUNNING);
    }

    /** Creates a connector in the given state (Connect's {@code initial_state}). */
    public synchronized ConnectorDefinition create(String name, Map<String, String> config, ConnectorConfigs.Naming naming,
            TargetState initialState) {
        requireReady();
        requireUsableName(name, naming);
        if (definitions.containsKey(name)) {
            throw ApiException.conflict("connector " + name + " already exists");
        }
        Map<String, String> valid = ConnectorConfigs.validate(name, config, naming);
        requireOwnSlot(name, valid, naming);
        databaseCheck.check(valid, naming);
        // after the database accepted it: building the engine's configuration binds the values (see ConnectorRuntime)
        requireStartable(name, valid, naming);
        ConnectorDefinition definition = new ConnectorDefinition(name, valid, initialState, 0);
        apply(definition);
        return definitions.get(name);
    }

    /** Connect's PUT config: creates or replaces. */
    public synchronized ConnectorDefinition putConfig(String name, Map<String, String> config, ConnectorConfigs.Naming naming) {
        requireReady();
        requireUsableName(name, naming);
        ConnectorDefinition existing = definitions.get(name);
        Map<String, String> incoming = existing == null ? config : ConnectorConfigs.unmask(config, existing.config(), naming);
        Map<String, String> valid = ConnectorConfigs.validate(name, incoming, naming);
        requireOwnSlot(name, valid, naming);
        databaseCheck.check(valid, naming);
        // after the database accepted it: building the engine's configuration binds the values (see ConnectorRuntime)
        requireStartable(name, valid, naming);
        ConnectorDefinition definition = existing == null ? new ConnectorDefinition(name, valid, TargetState.RUNNING, 0) : existing.withConfig(valid);
        apply(definition);
        return definitions.get(name);
    }

    public synchronized void delete(String name) {
        get(name);
        store.delete(name);
        awaitReconciled();
        io.cdchub.source.SourceStatus.forEngine(name).clearActiveTopics();
    }

    /** Connect's active topics: those the connector has written to in this instance since it was created or last reset. */
    public List<String> activeTopics(String name) {
        get(name);
        return io.cdchub.source.SourceStatus.forEngine(name).activeTopics();
    }

    public void resetActiveTopics(String name) {
        get(name);
        io.cdchub.source.SourceStatus.forEngine(name).clearActiveTopics();
    }

    public synchronized void pause(String name) {
        apply(get(name).withState(TargetState.PAUSED));
    }

    public synchronized void resume(String name) {
        apply(get(name).withState(TargetState.RUNNING));
    }

    /** Connect's stop: the engine is shut down (its last offsets committed) and stays down; offsets may then be changed. */
    public synchronized void stop(String name) {
        apply(get(name).withState(TargetState.STOPPED));
    }

    /** The connector's committed source offsets by partition (Connect's GET offsets: at any state). */
    public Map<Map<String, Object>, Map<String, Object>> offsets(String name) {
        ConnectorDefinition definition = get(name);
        return offsetStore.read(name, runtime.capture(definition).engine());
    }

    /**
     * Connect's PATCH offsets ({@code offsets}: partition to offset, a null offset resets its partition) and DELETE
     * offsets ({@code offsets == null}: every partition). Only while STOPPED (400 otherwise, Connect's answer), and
     * only once this instance's engine has really stopped (409 while it is still stopping).
     *
     * @return how many partitions were written
     */
    public synchronized int modifyOffsets(String name, Map<Map<String, ?>, Map<String, ?>> offsets) {
        ConnectorDefinition definition = get(name);
        if (definition.state() != TargetState.STOPPED) {
            throw ApiException.badRequest(null, "Connectors must be in the STOPPED state before their offsets can be modified. This can be "
                    + "done for the specified connector by issuing a 'PUT' request to the '/connectors/" + name + "/stop' endpoint");
        }
        if (runtime.running(name) != null) {
            throw ApiException.conflict("connector " + name + " is still stopping (its engine commits its last offsets); retry shortly");
        }
        if (offsets != null) {
            ConnectorOffsetStore.requirePostgresOffsets(offsets, definition.config().get("topic.prefix"));
        }
        return offsetStore.write(name, runtime.capture(definition).engine(), offsets);
    }

    public synchronized void restart(String name) {
        apply(get(name).restarted());
    }

    private void apply(ConnectorDefinition definition) {
        store.put(definition);
        awaitReconciled();
    }

    /** Waits until what was read so far has been reconciled (the store read our write back before this is called). */
    private void awaitReconciled() {
        try {
            CompletableFuture.runAsync(() -> { }, reconciler).get(APPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Connector change not applied within {} s; it is applied in the background", APPLY_TIMEOUT.toSeconds());
        }
    }

    // ---- reconciliation

    /**
     * Every definition read from the config topic is validated again, as the API validates a new one: the topic may
     * have been written past the API (or by an older version). A key that is not a usable name is skipped; a definition
     * whose configuration fails is kept (so it is listed, shown FAILED with the reason, and can be deleted) but never run.
     */
    private void onRecord(String name, ConnectorDefinition definition) {
        try {
            ConnectorConfigs.requireName("name", name);
        } catch (ApiException e) {
            LOG.error("Skipping connector definition with key '{}' read from {}: the name {}", name, properties.configTopic(), e.getMessage());
            return;
        }
        if (definition == null) {
            definitions.remove(name);
            invalid.remove(name);
        } else if (definition.name() == null || !definition.name().equals(name)) {
            LOG.error("Skipping connector definition keyed {} but named {}", name, definition.name());
            return;
        } else {
            ConnectorDefinition checked = definition;
            try {
                Map<String, String> valid = ConnectorConfigs.validate(name, definition.config(), ConnectorConfigs.Naming.DOTTED);
                checked = definition.withConfig(valid);
                invalid.remove(name);
            } catch (ApiException e) {
                String reason = "the stored definition (" + properties.configTopic() + ") is invalid: "
                        + (e.field() == null ? "" : e.field() + " ") + e.getMessage() + "; it is not run: replace or delete it";
                LOG.error("Connector definition {} read from {} is invalid, not running it: {}{}", name, properties.configTopic(),
                        e.field() == null ? "" : e.field() + " ", e.getMessage());
                invalid.put(name, reason);
            }
            definitions.put(name, checked);
        }
        reconciler.execute(() -> reconcile(name));
    }

    private void reconcile(String name) {
        ConnectorDefinition desired = definitions.get(name);
        ConnectorDefinition current = runtime.running(name);
        if (desired == null || !runsHere() || desired.state() != TargetState.RUNNING || invalid.containsKey(name)) {
            runtime.stop(name);
            failures.remove(name);
            return;
        }
        if (current != null && current.equals(desired) && !runtime.failed(name)) {
            return;
        }
        runtime.stop(name);
        try {
            runtime.start(desired, () -> reconciler.execute(() -> restartAfterFailure(name)));
            failures.remove(name);
        } catch (Exception e) {
            LOG.error("Runtime connector {} could not start", name, e);
            failures.put(name, e.toString());
        }
    }

    private boolean runsHere() {
        return properties.runConnectors() && placement.runHere();
    }

    /** The {@link ConnectorPlacement}'s answer changed: start or stop every connector to match. */
    public void placementChanged() {
        definitions.keySet().forEach(name -> reconciler.execute(() -> reconcile(name)));
    }

    /** Publishing failed: restart from the committed offsets after the back-off, as the built-in source does. */
    private void restartAfterFailure(String name) {
        LOG.error("Publishing a change of connector {} failed ({}); restarting it in {} ms from its last committed offsets", name,
                runtime.failure(name), builtInSource.restartBackoff().toMillis());
        runtime.stop(name);
        try {
            TimeUnit.MILLISECONDS.sleep(builtInSource.restartBackoff().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (running) {
            reconcile(name);
        }
    }

    // ---- checks

    private void requireReady() {
        if (!ready) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null,
                    "connector definitions are not loaded yet from Kafka topic " + properties.configTopic() + "; retry shortly");
        }
    }

    private void requireUsableName(String name, ConnectorConfigs.Naming naming) {
        ConnectorConfigs.requireName("name", name);
        if (builtInSource.enabled() && name.equals(builtInSource.name())) {
            throw ApiException.conflict("connector name " + name + " is the built-in source's (cdc.source.name)");
        }
    }

    /**
     * Builds the engine's properties as a start would ({@link ConnectorRuntime#capture}, no side effects) and checks
     * them with the definitions of Debezium's engine and connector, so a value the engine would refuse when it starts
     * (in the background, where the caller would never see it) is a 400 naming the field.
     */
    private void requireStartable(String name, Map<String, String> config, ConnectorConfigs.Naming naming) {
        for (String[] problem : startProblems(name, config)) {
            String key = problem[0];
            throw ApiException.badRequest(config.containsKey(key) ? naming.field(key) : null,
                    (config.containsKey(key) ? "" : key + " ") + "cannot take the value '" + problem[1] + "': " + problem[2]);
        }
    }

    /** What the engine and the connector would refuse when started: {key, value, problem} each. */
    private java.util.List<String[]> startProblems(String name, Map<String, String> config) {
        java.util.Properties engine = runtime.capture(new ConnectorDefinition(name, config, TargetState.RUNNING, 0)).engine();
        java.util.List<String[]> problems = new java.util.ArrayList<>();
        io.debezium.config.Configuration.from(engine).validate(io.debezium.embedded.async.AsyncEngineConfig.ALL_FIELDS,
                (field, value, problem) -> problems.add(new String[] {field.name(), String.valueOf(value), problem}));
        Map<String, String> strings = new java.util.HashMap<>();
        engine.forEach((key, value) -> strings.put((String) key, (String) value));
        for (org.apache.kafka.common.config.ConfigValue value : new io.debezium.connector.postgresql.PostgresConnector().validate(strings).configValues()) {
            if (!value.errorMessages().isEmpty()) {
                problems.add(new String[] {value.name(), String.valueOf(value.value()), value.errorMessages().get(0)});
            }
        }
        return problems;
    }

    /**
     * Connect's {@code config/validate}: every problem of a configuration by key, from the checks a create runs (cdc-hub's
     * own, the replication slot's owner, the database, then what the engine and Debezium would refuse), without storing
     * anything. The later checks need a configuration the earlier ones accept, so they run only then.
     */
    public Map<String, java.util.List<String>> validationProblems(Map<String, String> input) {
        requireReady();
        Map<String, java.util.List<String>> problems = new java.util.LinkedHashMap<>();
        String name = input.getOrDefault("name", "");
        try {
            requireUsableName(name, ConnectorConfigs.Naming.DOTTED);
        } catch (ApiException e) {
            problems.computeIfAbsent("name", k -> new java.util.ArrayList<>()).add(e.getMessage());
            name = "connector";
        }
        ConnectorConfigs.problems(name, input).forEach((key, messages) -> problems.computeIfAbsent(key, k -> new java.util.ArrayList<>()).addAll(messages));
        if (!problems.isEmpty()) {
            return problems;
        }
        Map<String, String> valid = ConnectorConfigs.validate(name, input, ConnectorConfigs.Naming.DOTTED);
        try {
            requireOwnSlot(name, valid, ConnectorConfigs.Naming.DOTTED);
            databaseCheck.check(valid, ConnectorConfigs.Naming.DOTTED);
        } catch (ApiException e) {
            problems.computeIfAbsent(e.field() == null ? "slot.name" : e.field(), k -> new java.util.ArrayList<>()).add(e.getMessage());
            return problems;
        }
        for (String[] problem : startProblems(name, valid)) {
            problems.computeIfAbsent(problem[0], k -> new java.util.ArrayList<>()).add(problem[2]);
        }
        return problems;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /** No two connectors (nor the built-in source) may read one replication slot: PostgreSQL lets only one reader in. */
    private void requireOwnSlot(String name, Map<String, String> config, ConnectorConfigs.Naming naming) {
        String slot = config.get("slot.name");
        String host = config.get("database.hostname") + ":" + config.get("database.port") + "/" + config.get("database.dbname");
        for (ConnectorDefinition other : new TreeMap<>(definitions).values()) {
            Map<String, String> c = other.config();
            if (!other.name().equals(name) && slot.equals(c.get("slot.name"))
                    && host.equals(c.get("database.hostname") + ":" + c.get("database.port") + "/" + c.get("database.dbname"))) {
                throw ApiException.conflict("replication slot " + slot + " is already used by connector " + other.name()
                        + "; set " + naming.field("slot.name").replace("config.", "") + " to another slot");
            }
        }
        if (builtInSource.enabled() && slot.equals(builtInSource.slot())) {
            throw ApiException.conflict("replication slot " + slot + " is the built-in source's (cdc.source.slot)");
        }
    }
}
