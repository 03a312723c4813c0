package io.cdchub.cluster;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Leader election of the source ({@code cdc.cluster.leader-election.*}): at most one instance per replication
 * slot runs the source route; the others wait as hot standbys. Off by default, and then nothing here talks
 * to Kubernetes.
 *
 * @param enabled       elect the active source through a Kubernetes Lease (Camel's Kubernetes cluster service)
 * @param leaseName     prefix of the Lease; the Lease is {@code <lease-name>-<cdc.source.slot>}, one per slot
 * @param namespace     Kubernetes namespace of the Lease and the pods; empty: the pod's own (service account)
 * @param podName       this pod's name, the Lease holder identity; empty: {@code POD_NAME}, then the host name
 * @param podSelector   labels of the source pods, {@code key=value,...}: the members of the election are the
 *                      running and ready pods that carry them; empty lists every pod of the namespace
 * @param leaseDuration how long a new leader waits before starting the source, so a leader that lost the
 *                      Lease has stopped its own first
 * @param renewDeadline the leader stops its source when it could not confirm its Lease for this long
 * @param retryPeriod   how often the Lease and the members are checked
 * @param masterUrl     Kubernetes API address; empty: in-cluster configuration or ~/.kube/config
 */
@ConfigurationProperties("cdc.cluster.leader-election")
public record LeaderElectionProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("cdc-hub") String leaseName,
        String namespace,
        String podName,
        String podSelector,
        @DefaultValue("15s") Duration leaseDuration,
        @DefaultValue("10s") Duration renewDeadline,
        @DefaultValue("2s") Duration retryPeriod,
        String masterUrl) {

    /** Camel's cluster service spreads its checks up to 1.2 times the retry period. */
    static final double JITTER_FACTOR = 1.2;

    private static final Pattern LEASE_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z0-9./_-]{1,316})=([a-zA-Z0-9._-]{0,63})");

    public LeaderElectionProperties {
        if (enabled) {
            if (leaseName == null || !LEASE_NAME.matcher(leaseName).matches()) {
                throw new InvalidConfigurationException("cdc.cluster.leader-election.lease-name",
                        "must be 1-40 lower-case letters, digits or '-' (a Kubernetes name prefix), but is '" + leaseName + "'");
            }
            labels(podSelector);
            if (retryPeriod.toMillis() < 100) {
                throw new InvalidConfigurationException("cdc.cluster.leader-election.retry-period", "must be at least 100ms, but is " + retryPeriod);
            }
            if (renewDeadline.toMillis() <= retryPeriod.toMillis() * JITTER_FACTOR) {
                throw new InvalidConfigurationException("cdc.cluster.leader-election.renew-deadline",
                        "must be longer than 1.2 x retry-period (" + retryPeriod + "), but is " + renewDeadline);
            }
            if (leaseDuration.compareTo(renewDeadline) <= 0) {
                throw new InvalidConfigurationException("cdc.cluster.leader-election.lease-duration",
                        "must be longer than renew-deadline (" + renewDeadline + "), but is " + leaseDuration);
            }
        }
    }

    /** The pod selector as labels; empty when none is set. */
    public Map<String, String> podLabels() {
        return labels(podSelector);
    }

    private static Map<String, String> labels(String selector) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (selector == null || selector.isBlank()) {
            return labels;
        }
        for (String part : selector.split(",")) {
            var m = LABEL.matcher(part.trim());
            if (!m.matches()) {
                throw new InvalidConfigurationException("cdc.cluster.leader-election.pod-selector",
                        "must be comma-separated key=value labels, but has '" + part.trim() + "'");
            }
            labels.put(m.group(1), m.group(2));
        }
        return labels;
    }
}
