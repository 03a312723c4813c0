package io.cdchub.cluster;

import java.util.Locale;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.source.SourceProperties;
import org.apache.camel.component.kubernetes.KubernetesConfiguration;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.kubernetes.cluster.LeaseResourceType;
import io.cdchub.admin.ConnectorPlacement;
import io.cdchub.admin.ConnectorService;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.springframework.beans.factory.ObjectProvider;
import org.apache.camel.spi.RoutePolicyFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Leader election of the source on a Kubernetes Lease, through Camel's cluster service: the route
 * {@code postgres-to-kafka} gets a {@link ClusteredRoutePolicy}, so it starts only on the instance holding the
 * Lease of its replication slot and stops when that instance loses it; the other instances are hot standbys
 * (context running, the Debezium engine and its producer not). A leader stepping down stops the route, whose
 * engine finishes the batch in hand (published and acknowledged before its offsets are committed).
 *
 * <p>Camel's Kubernetes leader election counts as members the running and ready pods matching
 * {@code pod-selector}; a leader stays leader while its pod is one of them. So the source pods' readiness
 * decides who may lead (see {@code ReplicationSlotHealthIndicator} for what a standby reports).
 */
@Configuration(proxyBeanMethods = false)
public class LeaderElectionConfiguration {

    /** The route the Lease guards: the built-in source (routes/postgres-to-kafka.camel.yaml). */
    static final String SOURCE_ROUTE_ID = "postgres-to-kafka";

    private static final Logger LOG = LoggerFactory.getLogger(LeaderElectionConfiguration.class);

    /** Without election (the default, or the source off), this instance alone decides to run the source. */
    @Bean
    @ConditionalOnExpression("!(${cdc.cluster.leader-election.enabled:false} and ${cdc.source.enabled:true})")
    SourceLeadership singleSourceLeadership() {
        return SourceLeadership.single();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnExpression("${cdc.cluster.leader-election.enabled:false} and ${cdc.source.enabled:true}")
    static class Elected {

        @Bean
        SourceLeadership sourceLeadership(LeaderElectionProperties election, SourceProperties source) {
            if (source.offsetStore() != SourceProperties.OffsetStore.KAFKA) {
                throw new InvalidConfigurationException("cdc.source.offset-store",
                        "must be kafka when cdc.cluster.leader-election.enabled=true (a standby that takes over must continue from"
                                + " the leader's offsets), but is " + source.offsetStore().name().toLowerCase(Locale.ROOT));
            }
            return SourceLeadership.elected(source.slot());
        }

        /** Picked up by Camel from the registry and started with the context. */
        @Bean
        KubernetesClusterService sourceClusterService(LeaderElectionProperties election) {
            // The client settings go in through a KubernetesConfiguration: the service's own masterUrl/namespace
            // setters do not reach the client of the view the route policy opens.
            KubernetesConfiguration client = new KubernetesConfiguration();
            if (hasText(election.masterUrl())) {
                client.setMasterUrl(election.masterUrl());
            }
            if (hasText(election.namespace())) {
                client.setNamespace(election.namespace());
            }
            KubernetesClusterService service = new KubernetesClusterService(client);
            service.setId("cdc-hub-source-election");
            service.setLeaseResourceType(LeaseResourceType.Lease);
            service.setKubernetesResourceName(election.leaseName());
            if (hasText(election.namespace())) {
                service.setKubernetesResourcesNamespace(election.namespace()); // the Lease's and the pods'
            }
            String podName = hasText(election.podName()) ? election.podName() : System.getenv("POD_NAME");
            if (hasText(podName)) {
                service.setPodName(podName); // otherwise Camel takes HOSTNAME, then the host name (a pod's name in Kubernetes)
            }
            service.setClusterLabels(election.podLabels());
            service.setLeaseDurationMillis(election.leaseDuration().toMillis());
            service.setRenewDeadlineMillis(election.renewDeadline().toMillis());
            service.setRetryPeriodMillis(election.retryPeriod().toMillis());
            service.setJitterFactor(LeaderElectionProperties.JITTER_FACTOR);
            return service;
        }

        /** The source route starts only while this instance leads its slot's group. */
        @Bean
        RoutePolicyFactory sourceLeaderElectionPolicy(KubernetesClusterService sourceClusterService, SourceLeadership leadership,
                LeaderElectionProperties election) {
            LOG.info("Leader election on: the source route {} runs only while this instance holds the Lease {}-{} (pod {})",
                    SOURCE_ROUTE_ID, election.leaseName(), leadership.group().replace('_', '-'),
                    sourceClusterService.getPodName() == null ? "from HOSTNAME" : sourceClusterService.getPodName());
            return (camelContext, routeId, route) -> {
                if (!SOURCE_ROUTE_ID.equals(routeId)) {
                    return null;
                }
                try {
                    ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(sourceClusterService, leadership.group());
                    policy.setCamelContext(camelContext);
                    leadership.attach(policy);
                    return policy;
                } catch (Exception e) {
                    throw new IllegalStateException("Could not create the leader-election policy of route " + routeId, e);
                }
            };
        }

        /**
         * Runtime connectors (management API) follow the source: they run only on the instance holding the Lease, and
         * move to the standby with it, so no two instances ever read one connector's slot.
         */
        @Bean
        ConnectorPlacement leaderOnlyConnectorPlacement(KubernetesClusterService sourceClusterService, SourceLeadership leadership,
                ObjectProvider<ConnectorService> connectors) throws Exception {
            CamelClusterView view = sourceClusterService.getView(leadership.group());
            view.addEventListener((CamelClusterEventListener.Leadership) (changed, leader) ->
                    connectors.ifAvailable(ConnectorService::placementChanged));
            return () -> view.getLocalMember().isLeader();
        }

        private static boolean hasText(String s) {
            return s != null && !s.isBlank();
        }
    }
}
