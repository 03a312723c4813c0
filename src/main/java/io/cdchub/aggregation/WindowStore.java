package io.cdchub.aggregation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.camel.spi.OptimisticLockingAggregationRepository.OptimisticLockingException;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.DefaultRedisScript;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

/**
 * Everything aggregation keeps in Redis, each change as one atomic operation (a Lua script or a single command), so
 * any number of instances share it safely. Per consumer, all keys carry the hash tag {@code {<consumer id>}} (one
 * Redis Cluster slot):
 * <ul>
 * <li>{@code <prefix>:consumers} hash: consumer id to its definition (JSON)</li>
 * <li>{@code <prefix>:{id}:window} hash: the open window (id, first event time, count, version), with
 * {@code :events} (key to latest event) and {@code :lsns} (key to its LSN)</li>
 * <li>{@code <prefix>:{id}:offsets} hash: topic/partition to the last offset aggregated: a record read again after a
 * crash or a rebalance is not counted twice; and {@code id:<topic>} to the topic's id, so offsets of a topic that was
 * deleted and made again are dropped ({@link TopicIncarnations})</li>
 * <li>{@code <prefix>:{id}:done:<window>} (and {@code :events}, {@code :lsns}): a completed window until its run ends;
 * {@code <prefix>:{id}:pending} list: completed windows in order</li>
 * <li>{@code <prefix>:{id}:lock}: the run lock (token, with expiry); {@code <prefix>:{id}:runs} list and
 * {@code :runs:detail} hash: the last runs</li>
 * </ul>
 */
@Component
public class WindowStore {

    /** Adds events to the open window or, in mode 'complete', adds and moves it to the completed windows. */
    private static final RedisScript<Long> STORE = new DefaultRedisScript<>("""
            -- KEYS: meta, events, lsns, offsets, doneMeta, doneEvents, doneLsns, pending
            -- ARGV: mode, expectedVersion ('' = new, '*' = write straight to the done keys), windowId, firstEventAt, now, n,
            --       then per event: partitionKey, offset, key, lsn, value
            local mode, expected = ARGV[1], ARGV[2]
            local meta, events, lsns = KEYS[1], KEYS[2], KEYS[3]
            if expected == '*' then meta, events, lsns = KEYS[5], KEYS[6], KEYS[7] end
            local version = redis.call('HGET', meta, 'version')
            if expected == '' or expected == '*' then
              if version and expected == '' then return -1 end
            elseif version ~= expected then
              return -1
            end
            local function newer(a, b)
              if #a ~= #b then return #a > #b end
              return a >= b
            end
            local added, i = 0, 7
            for e = 1, tonumber(ARGV[6]) do
              local pk, off, key, lsn, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
              i = i + 5
              local last = redis.call('HGET', KEYS[4], pk)
              if (not last) or tonumber(off) > tonumber(last) then
                redis.call('HSET', KEYS[4], pk, off)
                added = added + 1
                local current = redis.call('HGET', lsns, key)
                if (not current) or newer(lsn, current) then
                  redis.call('HSET', lsns, key, lsn)
                  redis.call('HSET', events, key, value)
                end
              end
            end
            if not version then
              if added == 0 then return 0 end
              redis.call('HSET', meta, 'id', ARGV[3], 'first', ARGV[4], 'count', 0, 'version', 0)
            end
            local count = redis.call('HINCRBY', meta, 'count', added)
            local v = redis.call('HINCRBY', meta, 'version', 1)
            if mode == 'complete' then
              if count == 0 then
                redis.call('DEL', meta, events, lsns)
                return 0
              end
              redis.call('HSET', meta, 'completed', ARGV[5])
              if expected ~= '*' then
                redis.call('RENAME', KEYS[1], KEYS[5])
                if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[6]) end
                if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], KEYS[7]) end
              end
              redis.call('RPUSH', KEYS[8], ARGV[3])
            end
            return v
            """, Long.class);

    private static final RedisScript<Long> FINISH = new DefaultRedisScript<>("""
            redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
            return redis.call('LREM', KEYS[1], 1, ARGV[1])
            """, Long.class);

    private static final RedisScript<Long> RENEW = new DefaultRedisScript<>("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 0
            """, Long.class);

    private static final RedisScript<Long> UNLOCK = new DefaultRedisScript<>("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """, Long.class);

    private static final RedisScript<Long> RECORD_RUN = new DefaultRedisScript<>("""
            -- KEYS: runs list, details hash; ARGV: windowId, json, keep
            if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
              redis.call('LPUSH', KEYS[1], ARGV[1])
            end
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
            while redis.call('LLEN', KEYS[1]) > tonumber(ARGV[3]) do
              redis.call('HDEL', KEYS[2], redis.call('RPOP', KEYS[1]))
            end
            return 1
            """, Long.class);

    /** Records a topic's id with the consumer's offsets; when another id was there, drops that topic's offsets first. */
    private static final RedisScript<String> INCARNATION = new DefaultRedisScript<>("""
            -- KEYS: offsets; ARGV: topic, id. Returns the id that was replaced, or '' (first time, or unchanged)
            local field = 'id:' .. ARGV[1]
            local stored = redis.call('HGET', KEYS[1], field)
            if stored == ARGV[2] then return '' end
            if stored then
              local prefix = ARGV[1] .. '/'
              for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
                if string.sub(f, 1, #prefix) == prefix then redis.call('HDEL', KEYS[1], f) end
              end
            end
            redis.call('HSET', KEYS[1], field, ARGV[2])
            return stored or ''
            """, String.class);

    private final StringRedisTemplate redis;
    private final String prefix;

    public WindowStore(StringRedisTemplate redis, AggregationProperties properties) {
        this.redis = redis;
        this.prefix = properties.keyPrefix();
    }

    private String key(String consumerId, String suffix) {
        return prefix + ":{" + consumerId + "}:" + suffix;
    }

    private List<String> windowKeys(String consumerId, String windowId) {
        String done = "done:" + windowId;
        return List.of(key(consumerId, "window"), key(consumerId, "window:events"), key(consumerId, "window:lsns"),
                key(consumerId, "offsets"), key(consumerId, done), key(consumerId, done + ":events"),
                key(consumerId, done + ":lsns"), key(consumerId, "pending"));
    }

    /**
     * Writes the window's pending events (skipping records already aggregated, keeping the latest LSN per key) and,
     * with {@code complete}, moves it to the consumer's completed windows; all in one atomic step that fails when
     * another instance changed the window since it was read.
     *
     * @return the window's new version (0 when nothing was stored: every event had been aggregated before)
     * @throws OptimisticLockingException when the window changed meanwhile (Camel's aggregator then tries again)
     */
    public long store(Window window, boolean complete) {
        List<String> args = new ArrayList<>();
        args.add(complete ? "complete" : "add");
        args.add(window.version() == Window.NEW ? (complete ? "*" : "") : String.valueOf(window.version()));
        args.add(window.windowId());
        args.add(String.valueOf(window.firstEventAt()));
        args.add(String.valueOf(System.currentTimeMillis()));
        args.add(String.valueOf(window.pending().size()));
        for (AggregationEvent event : window.pending()) {
            args.add(event.partitionKey());
            args.add(String.valueOf(event.offset()));
            args.add(event.key());
            args.add(event.lsn());
            args.add(WindowEvents.stored(event));
        }
        Long version = redis.execute(STORE, windowKeys(window.consumerId(), window.windowId()), args.toArray());
        if (version == null || version < 0) {
            throw new OptimisticLockingException();
        }
        if (complete) {
            window.markCompleted();
        } else {
            window.stored(version);
        }
        return version;
    }

    /** The open window as stored, without its events; null when there is none. */
    public Window open(String consumerId) {
        Map<Object, Object> meta = redis.opsForHash().entries(key(consumerId, "window"));
        if (meta.isEmpty() || meta.get("version") == null) {
            return null;
        }
        return new Window(consumerId, (String) meta.get("id"), Long.parseLong((String) meta.get("first")),
                Long.parseLong((String) meta.get("version")), Long.parseLong((String) meta.get("count")));
    }

    /** A completed window not yet run (its handle), or null when it is gone (run, or never there). */
    public Window completed(String consumerId, String windowId) {
        Map<Object, Object> meta = redis.opsForHash().entries(key(consumerId, "done:" + windowId));
        if (meta.isEmpty()) {
            return null;
        }
        Window window = new Window(consumerId, windowId, Long.parseLong((String) meta.get("first")),
                Long.parseLong((String) meta.get("version")), Long.parseLong((String) meta.get("count")));
        window.markCompleted();
        return window;
    }

    /** Meta fields of a completed window (first, count, completed). */
    public Map<String, String> completedMeta(String consumerId, String windowId) {
        Map<String, String> out = new LinkedHashMap<>();
        redis.opsForHash().entries(key(consumerId, "done:" + windowId)).forEach((k, v) -> out.put((String) k, (String) v));
        return out;
    }

    /** A completed window's events (latest per key), as stored by {@link WindowEvents#stored}. */
    public List<String> completedEvents(String consumerId, String windowId) {
        return redis.opsForHash().values(key(consumerId, "done:" + windowId + ":events")).stream().map(String.class::cast).toList();
    }

    public List<String> pending(String consumerId) {
        List<String> ids = redis.opsForList().range(key(consumerId, "pending"), 0, -1);
        return ids == null ? List.of() : ids;
    }

    public String pendingHead(String consumerId) {
        return redis.opsForList().index(key(consumerId, "pending"), 0);
    }

    public boolean isPending(String consumerId, String windowId) {
        return redis.opsForList().indexOf(key(consumerId, "pending"), windowId) != null;
    }

    /** Forgets a completed window once its run ended (succeeded, or failed and dead-lettered). */
    public void finish(String consumerId, String windowId) {
        String done = "done:" + windowId;
        redis.execute(FINISH, List.of(key(consumerId, "pending"), key(consumerId, done), key(consumerId, done + ":events"),
                key(consumerId, done + ":lsns")), windowId);
    }

    /**
     * Keeps the topic's id (Kafka's topic UUID) with the consumer's offsets; when another id is kept, the topic was made
     * again: its old offsets are dropped in the same step, so the new topic's records are not skipped.
     *
     * @return the id that was replaced, or an empty string (the first time, or the same topic)
     */
    public String topicIncarnation(String consumerId, String topic, String topicId) {
        return redis.execute(INCARNATION, List.of(key(consumerId, "offsets")), topic, topicId);
    }

    /** Takes the consumer's run lock for a lease; returns its token, or null when another holder has it. */
    public String tryLock(String consumerId, long leaseMs) {
        String token = UUID.randomUUID().toString();
        Boolean taken = redis.opsForValue().setIfAbsent(key(consumerId, "lock"), token, java.time.Duration.ofMillis(leaseMs));
        return Boolean.TRUE.equals(taken) ? token : null;
    }

    public boolean renew(String consumerId, String token, long leaseMs) {
        Long renewed = redis.execute(RENEW, List.of(key(consumerId, "lock")), token, String.valueOf(leaseMs));
        return renewed != null && renewed == 1;
    }

    public void unlock(String consumerId, String token) {
        redis.execute(UNLOCK, List.of(key(consumerId, "lock")), token);
    }

    public boolean locked(String consumerId) {
        return Boolean.TRUE.equals(redis.hasKey(key(consumerId, "lock")));
    }

    public void recordRun(String consumerId, String windowId, String json, int keep) {
        redis.execute(RECORD_RUN, List.of(key(consumerId, "runs"), key(consumerId, "runs:detail")), windowId, json, String.valueOf(keep));
    }

    /** The last runs, newest first, as JSON. */
    public List<String> runs(String consumerId) {
        List<String> ids = redis.opsForList().range(key(consumerId, "runs"), 0, -1);
        if (ids == null || ids.isEmpty()) {
            return List.of();
        }
        List<Object> details = redis.opsForHash().multiGet(key(consumerId, "runs:detail"), new ArrayList<>(ids));
        return details.stream().filter(java.util.Objects::nonNull).map(String.class::cast).toList();
    }

    /** Stores a new consumer definition; false when the id is taken. */
    public boolean define(String consumerId, String json) {
        return Boolean.TRUE.equals(redis.opsForHash().putIfAbsent(prefix + ":consumers", consumerId, json));
    }

    /** Removes a consumer definition; false when there was none. */
    public boolean undefine(String consumerId) {
        Long removed = redis.opsForHash().delete(prefix + ":consumers", consumerId);
        return removed != null && removed > 0;
    }

    public Map<String, String> definitions() {
        Map<String, String> out = new java.util.TreeMap<>();
        redis.opsForHash().entries(prefix + ":consumers").forEach((k, v) -> out.put((String) k, (String) v));
        return out;
    }

    public String definition(String consumerId) {
        Object json = redis.opsForHash().get(prefix + ":consumers", consumerId);
        return json == null ? null : json.toString();
    }

    public boolean ping() {
        String pong = redis.execute((org.springframework.data.redis.core.RedisCallback<String>) c -> c.ping());
        return "PONG".equalsIgnoreCase(pong);
    }
}
