package io.cdchub.cluster;

import java.time.Duration;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.impl.DefaultCamelContext;
import org.awaitility.Awaitility;

/**
 * What the production leader election runs, from the cluster service LeaderElectionConfiguration makes to the Lease it
 * holds: loaded by {@link LeaderElectionLinkageTest} through a class loader that sees only the fabric8 jars the
 * production jar ships, so every class this path loads must be among them. Given the API server's URL, returns the
 * Lease as fabric8 serialises it.
 */
public class LeaderElectionLinkageScenario implements Function<String, String> {

    static final String NAMESPACE = "linkage";
    static final String POD = "source-0";

    @Override
    public String apply(String masterUrl) {
        LeaderElectionProperties election = new LeaderElectionProperties(true, "cdc-hub-linkage", NAMESPACE, POD, "app=cdc-hub-source",
                Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofMillis(500), masterUrl);
        KubernetesClusterService service = new LeaderElectionConfiguration.Elected().sourceClusterService(election);
        try (DefaultCamelContext camel = new DefaultCamelContext();
                KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(masterUrl)
                        .withNamespace(NAMESPACE).build()).build()) {
            // what Camel's leadership loop does first, here where a missing class is thrown, not swallowed by its executor
            client.pods().inNamespace(NAMESPACE).withLabel("app", "cdc-hub-source").list();
            camel.addService(service);
            camel.start();
            CamelClusterView view = service.getView("linkage_slot");
            Awaitility.await("the only ready pod takes the Lease").atMost(Duration.ofSeconds(30))
                    .until(() -> view.getLocalMember().isLeader());
            Lease lease = client.leases().inNamespace(NAMESPACE).withName("cdc-hub-linkage-linkage-slot").get();
            return Serialization.asJson(lease);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
