package io.cdchub.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.Test;

/**
 * The production jar keeps only the fabric8 models the leader election and its client load (core, coordination, and the
 * apps, batch, certificates, extensions and autoscaling groups the client loads when built or listing: pom, exclusions on camel-kubernetes); the tests' class path has more (the chart's API groups, the mock server). This runs the leader
 * election's code path in a class loader that hides what the production jar does not ship, against fabric8's mock API
 * server (there is no Kubernetes here), so a class the election loads at run time but the jar lacks fails this test.
 */
class LeaderElectionLinkageTest {

    /** In the tests' class path only: the chart's API groups (test scope), the mock server, the OpenShift monitoring model. */
    private static final List<String> TEST_ONLY = List.of(
            "io.fabric8.kubernetes.api.model.networking.", "io.fabric8.kubernetes.api.model.policy.", "io.fabric8.kubernetes.api.model.rbac.",
            "io.fabric8.openshift.", "io.fabric8.kubernetes.client.server.mock.", "io.fabric8.mockwebserver.");
    private static final List<String> TEST_ONLY_JARS = List.of(
            "/kubernetes-model-networking-", "/kubernetes-model-policy-", "/kubernetes-model-rbac-", "/openshift-model-",
            "/kubernetes-server-mock-", "/mockwebserver-");
    /** Defined by the production view itself (not its parent), so that what they load is resolved through it. */
    private static final List<String> OWN = List.of("io.fabric8.", "org.apache.camel.component.kubernetes.", "io.cdchub.cluster.");

    @Test
    void theLeaderElectionTakesItsLeaseWithOnlyTheProductionJarsFabric8Classes() throws Exception {
        KubernetesMockServer kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (KubernetesClient client = kubernetes.createClient()) {
            Pod pod = new PodBuilder().withNewMetadata().withName(LeaderElectionLinkageScenario.POD)
                    .withNamespace(LeaderElectionLinkageScenario.NAMESPACE).addToLabels("app", "cdc-hub-source").endMetadata()
                    .withNewSpec().addNewContainer().withName("cdc-hub").withImage("cdc-hub:linkage").endContainer().endSpec()
                    .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True").endCondition()
                    .addNewContainerStatus().withName("cdc-hub").withReady(true).withNewState().withNewRunning().endRunning().endState()
                    .endContainerStatus().endStatus()
                    .build();
            client.pods().inNamespace(LeaderElectionLinkageScenario.NAMESPACE).resource(pod).create();

            ProductionView production = new ProductionView(getClass().getClassLoader());
            assertThatThrownBy(() -> production.loadClass("io.fabric8.kubernetes.api.model.networking.v1.Ingress"))
                    .as("the view hides what the production jar leaves out").isInstanceOf(ClassNotFoundException.class);
            Thread.currentThread().setContextClassLoader(production);
            @SuppressWarnings("unchecked")
            Function<String, String> scenario = (Function<String, String>) production.loadClass(LeaderElectionLinkageScenario.class.getName())
                    .getDeclaredConstructor().newInstance();
            String lease = scenario.apply(kubernetes.url("/").replace("localhost", "127.0.0.1"));

            assertThat(lease).contains("\"kind\":\"Lease\"").contains("\"holderIdentity\":\"" + LeaderElectionLinkageScenario.POD + "\"");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
            kubernetes.destroy();
        }
    }

    /** Child-first for fabric8, Camel's Kubernetes component and cdc-hub's cluster package; hides {@link #TEST_ONLY}. */
    private static final class ProductionView extends ClassLoader {

        ProductionView(ClassLoader tests) {
            super(tests);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (TEST_ONLY.stream().anyMatch(name::startsWith)) {
                throw new ClassNotFoundException(name + " is not in the production jar");
            }
            if (OWN.stream().noneMatch(name::startsWith)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        loaded = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return loaded;
            }
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            List<URL> visible = Collections.list(getParent().getResources(name)).stream()
                    .filter(url -> TEST_ONLY_JARS.stream().noneMatch(url.toString()::contains)).toList();
            return Collections.enumeration(visible);
        }

        @Override
        public URL getResource(String name) {
            Enumeration<URL> all;
            try {
                all = getResources(name);
            } catch (IOException e) {
                return null;
            }
            return all.hasMoreElements() ? all.nextElement() : null;
        }
    }
}
