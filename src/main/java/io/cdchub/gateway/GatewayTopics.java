package io.cdchub.gateway;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which Kafka topics the gateway serves and what clients may call them. The route reads them as a list or a regex;
 * a client's topic name is an alias ({@code cdc.gateway.aliases}) or a served topic that exists in Kafka.
 */
public class GatewayTopics {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayTopics.class);
    private static final long MIN_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final GatewayProperties settings;
    private final Admin admin;
    private final String endpointTopics;
    private final boolean isPattern;
    private final Pattern served;
    /** a topic the pattern matches but the gateway never serves (the dead-letter topic), or null */
    private final String excluded;
    private volatile Set<String> existing = Set.of();
    private volatile long listedAt = System.nanoTime() - MIN_REFRESH_NANOS;

    public GatewayTopics(GatewayProperties settings, CdcHubProperties hub, Admin admin) {
        this.settings = settings;
        this.admin = admin;
        if (!settings.topics().isEmpty()) {
            endpointTopics = String.join(",", settings.topics());
            isPattern = false;
            served = Pattern.compile(settings.topics().stream().map(Pattern::quote).collect(Collectors.joining("|")));
            excluded = null;
        } else if (settings.topicPattern() != null && !settings.topicPattern().isBlank()) {
            endpointTopics = settings.topicPattern();
            isPattern = true;
            served = Pattern.compile(endpointTopics);
            excluded = null;
        } else {
            // every change topic (<prefix>.<schema>.<table>, or <prefix>.<name> when renamed) and the rename targets.
            // Written without '?', '+' or \\Q (they do not survive an endpoint URI); the dead-letter topic, which the
            // regex also matches, is never served (its records are skipped in dispatch).
            StringBuilder regex = new StringBuilder(escape(hub.topicPrefix())).append("\\..*");
            for (String renamed : hub.topicRename().values()) {
                regex.append('|').append(escape(renamed));
            }
            endpointTopics = regex.toString();
            isPattern = true;
            excluded = hub.dlq().topic();
            served = Pattern.compile(endpointTopics);
        }
    }

    /** The Kafka endpoint's topic path (comma-separated names or a regex). */
    public String endpointTopics() {
        return endpointTopics;
    }

    public boolean isPattern() {
        return isPattern;
    }

    public boolean isServed(String topic) {
        return !topic.equals(excluded) && served.matcher(topic).matches();
    }

    /** A topic name as a regex: '.' is its only character with a meaning there. */
    private static String escape(String topic) {
        return topic.replace(".", "\\.");
    }

    /**
     * The Kafka topic a client means: an alias's topic, or the name itself.
     *
     * @throws ProtocolException unknown-topic when it is neither an alias nor a served topic that exists
     */
    public String resolve(String requested) {
        String topic = settings.aliases().getOrDefault(requested, requested);
        if (!isServed(topic)) {
            throw new ProtocolException("unknown-topic", "'" + requested + "' is neither an alias nor a topic this gateway serves");
        }
        if (!exists(topic)) {
            throw new ProtocolException("unknown-topic", "topic '" + topic + "'" + (topic.equals(requested) ? "" : " (alias '" + requested + "')")
                    + " does not exist in Kafka");
        }
        return topic;
    }

    private boolean exists(String topic) {
        if (existing.contains(topic)) {
            return true;
        }
        // a new topic (first change of a new table) is found with one listing; a flood of unknown names costs one a second
        synchronized (this) {
            if (!existing.contains(topic) && System.nanoTime() - listedAt >= MIN_REFRESH_NANOS) {
                try {
                    existing = Set.copyOf(admin.listTopics().names().get(10, TimeUnit.SECONDS));
                } catch (Exception e) {
                    LOG.warn("Could not list Kafka topics: {}", e.toString());
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    throw new ProtocolException("unavailable", "Kafka is not reachable; try again later");
                } finally {
                    listedAt = System.nanoTime();
                }
            }
            if (existing.contains(topic)) {
                return true;
            }
        }
        // listed less than a second ago (another subscribe): ask for this one name rather than refuse a topic made since
        // then; each client's subscribe rate (cdc.gateway.subscribe-rate) bounds how many such questions it can cause
        try {
            admin.describeTopics(java.util.List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
                return false;
            }
            LOG.warn("Could not describe Kafka topic {}: {}", topic, e.getCause().toString());
            throw new ProtocolException("unavailable", "Kafka is not reachable; try again later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProtocolException("unavailable", "Kafka is not reachable; try again later");
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ProtocolException("unavailable", "Kafka is not reachable; try again later");
        }
        synchronized (this) {
            java.util.Set<String> known = new java.util.HashSet<>(existing);
            known.add(topic);
            existing = Set.copyOf(known);
        }
        return true;
    }

    /** The alias names that point at a topic (for permission checks on either name). */
    public Collection<String> aliasesOf(String topic) {
        return settings.aliases().entrySet().stream().filter(e -> e.getValue().equals(topic)).map(java.util.Map.Entry::getKey).toList();
    }
}
