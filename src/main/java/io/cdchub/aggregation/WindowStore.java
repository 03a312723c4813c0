package io.cdchub.aggregation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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

    /**
     * Adds a poll's events to the open window, completing it (and the windows opened after it) each time its count reaches
     * max_event: a poll is split exactly at the window's remaining room, in the events' order.
     */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> STORE = new DefaultRedisScript<>("""
            -- KEYS: meta, events, lsns, offsets, pending, then per window slot: doneMeta, doneEvents, doneLsns
            -- ARGV: expectedId, expectedVersion ('' = no open window), maxEvents, now, slots, then the slots' window ids (the
            --       first is the open window's), n, then per event: partitionKey, offset, key, lsn, value
            -- Returns {version, id} of the window left open ('' when none) followed by the ids of the windows completed, or
            -- {'-1'} when the open window is not the expected one (another instance or the timer changed it)
            local meta, events, lsns, offsets, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
            local version = redis.call('HGET', meta, 'version')
            if ARGV[2] == '' then
              if version then return {'-1'} end
            elseif version ~= ARGV[2] or redis.call('HGET', meta, 'id') ~= ARGV[1] then
              return {'-1'}
            end
            local function newer(a, b)
              if #a ~= #b then return #a > #b end
              return a >= b
            end
            local max, now, slots = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
            local open, count, slot, changed = version and true or false, 0, 1, false
            if open then count = tonumber(redis.call('HGET', meta, 'count')) end
            local completed = {}
            -- the last offset per partition, read once and written once per call (a poll holds long runs of a partition)
            local lastOffsets, moved = {}, {}
            local i = 7 + slots
            for e = 1, tonumber(ARGV[6 + slots]) do
              local pk, off, key, lsn, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
              i = i + 5
              local last = lastOffsets[pk]
              if last == nil then
                last = tonumber(redis.call('HGET', offsets, pk)) or -1
                lastOffsets[pk] = last
              end
              off = tonumber(off)
              if off > last then
                moved[pk] = true
                lastOffsets[pk] = off
                if not open then
                  redis.call('HSET', meta, 'id', ARGV[5 + slot], 'first', now, 'count', 0, 'version', 0)
                  open, count = true, 0
                end
                changed = true
                local current = redis.call('HGET', lsns, key)
                if (not current) or newer(lsn, current) then
                  redis.call('HSET', lsns, key, lsn)
                  redis.call('HSET', events, key, value)
                end
                count = count + 1
                if count >= max then
                  local done = 5 + 3 * (slot - 1)
                  redis.call('HSET', meta, 'count', count, 'completed', now)
                  redis.call('HINCRBY', meta, 'version', 1)
                  redis.call('RENAME', meta, KEYS[done + 1])
                  if redis.call('EXISTS', events) == 1 then redis.call('RENAME', events, KEYS[done + 2]) end
                  if redis.call('EXISTS', lsns) == 1 then redis.call('RENAME', lsns, KEYS[done + 3]) end
                  redis.call('RPUSH', pending, ARGV[5 + slot])
                  completed[#completed + 1] = ARGV[5 + slot]
                  slot, open, changed = slot + 1, false, false
                end
              end
            end
            for pk in pairs(moved) do
              redis.call('HSET', offsets, pk, string.format('%d', lastOffsets[pk]))
            end
            local result = {'', ''}
            if open then
              local v = version
              if changed then
                redis.call('HSET', meta, 'count', count)
                v = redis.call('HINCRBY', meta, 'version', 1)
              end
              result = {tostring(v), ARGV[5 + slot]}
            end
            for _, id in ipairs(completed) do result[#result + 1] = id end
            return result
            """, List.class);

    /** Completes the open window (the timer: max_time passed) when it is still the one read. */
    private static final RedisScript<Long> COMPLETE = new DefaultRedisScript<>("""
            -- KEYS: meta, events, lsns, doneMeta, doneEvents, doneLsns, pending; ARGV: id, version, now
            if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] then return 0 end
            if tonumber(redis.call('HGET', KEYS[1], 'count')) == 0 then
              redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
              return 0
            end
            redis.call('HSET', KEYS[1], 'completed', ARGV[3])
            redis.call('HINCRBY', KEYS[1], 'version', 1)
            redis.call('RENAME', KEYS[1], KEYS[4])
            if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[5]) end
            if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], KEYS[6]) end
            redis.call('RPUSH', KEYS[7], ARGV[1])
            return 1
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

    /**
     * Adds a poll's events (in their order) to the consumer's open window, in one atomic step: records already aggregated
     * are skipped by their offset, the latest LSN of a key wins, and each time the window's count reaches
     * {@code maxEvents} it is completed and a new one opened for the events after it.
     *
     * @param open the open window as last seen (its id and version; null when none was open), from {@link #open} or
     *             from the previous call's {@link Stored#open()}
     * @return what is open now and what was completed, or null when the open window is not {@code open} any more (it was
     *         completed by the timer or changed by another instance): read it again and retry
     */
    public Stored add(String consumerId, Window open, List<AggregationEvent> events, int maxEvents) {
        int slots = 2 + (events.size() - 1) / maxEvents;
        List<String> keys = new ArrayList<>(5 + 3 * slots);
        keys.add(key(consumerId, "window"));
        keys.add(key(consumerId, "window:events"));
        keys.add(key(consumerId, "window:lsns"));
        keys.add(key(consumerId, "offsets"));
        keys.add(key(consumerId, "pending"));
        List<String> args = new ArrayList<>(7 + slots + 5 * events.size());
        args.add(open == null ? "" : open.windowId());
        args.add(open == null ? "" : String.valueOf(open.version()));
        args.add(String.valueOf(maxEvents));
        args.add(String.valueOf(System.currentTimeMillis()));
        args.add(String.valueOf(slots));
        for (int slot = 0; slot < slots; slot++) {
            String windowId = slot == 0 && open != null ? open.windowId() : UUID.randomUUID().toString();
            keys.add(key(consumerId, "done:" + windowId));
            keys.add(key(consumerId, "done:" + windowId + ":events"));
            keys.add(key(consumerId, "done:" + windowId + ":lsns"));
            args.add(windowId);
        }
        args.add(String.valueOf(events.size()));
        String partitionKey = null;
        AggregationEvent previous = null;
        for (AggregationEvent event : events) {
            if (previous == null || previous.partition() != event.partition() || !previous.topic().equals(event.topic())) {
                partitionKey = event.partitionKey();
            }
            previous = event;
            args.add(partitionKey);
            args.add(String.valueOf(event.offset()));
            args.add(event.key());
            args.add(event.lsn());
            args.add(WindowEvents.stored(event));
        }
        List<?> result = redis.execute(STORE, keys, args.toArray());
        if (result == null || result.isEmpty() || "-1".equals(result.get(0))) {
            return null;
        }
        String version = (String) result.get(0);
        Window now = version.isEmpty() ? null : new Window(consumerId, (String) result.get(1), 0, Long.parseLong(version), 0);
        List<String> completed = new ArrayList<>(result.size() - 2);
        for (int i = 2; i < result.size(); i++) {
            completed.add((String) result.get(i));
        }
        return new Stored(now, completed);
    }

    /**
     * What {@link #add} left: the open window (id and version only; null when none is open) and the ids of the windows it
     * completed, oldest first.
     */
    public record Stored(Window open, List<String> completed) {
    }

    /**
     * Completes the open window (max_time passed since its first event), unless it changed since it was read.
     *
     * @return whether it was completed (and is now the newest of the consumer's completed windows)
     */
    public boolean complete(Window open) {
        String consumerId = open.consumerId();
        String done = "done:" + open.windowId();
        Long completed = redis.execute(COMPLETE, List.of(key(consumerId, "window"), key(consumerId, "window:events"),
                        key(consumerId, "window:lsns"), key(consumerId, done), key(consumerId, done + ":events"),
                        key(consumerId, done + ":lsns"), key(consumerId, "pending")),
                open.windowId(), String.valueOf(open.version()), String.valueOf(System.currentTimeMillis()));
        return completed != null && completed == 1;
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
