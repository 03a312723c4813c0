package io.cdchub.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import io.cdchub.sink.Sink;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/info}'s {@code capabilities}: what this instance runs, so an operator looking at one pod of a release
 * sees its role without reading its settings (the version and git commit come from Spring Boot's build and git info,
 * written by the build). Sinks are the enabled {@link Sink} beans, so a new sink appears without a change here.
 */
@Component
class CapabilitiesInfoContributor implements InfoContributor {

    private final Environment env;
    private final ObjectProvider<Sink<?>> sinks;

    CapabilitiesInfoContributor(Environment env, ObjectProvider<Sink<?>> sinks) {
        this.env = env;
        this.sinks = sinks;
    }

    @Override
    public void contribute(Info.Builder builder) {
        Map<String, Object> capabilities = new LinkedHashMap<>();
        capabilities.put("source", flag("cdc.source.enabled", true));
        capabilities.put("leaderElection", flag("cdc.cluster.leader-election.enabled", false));
        TreeSet<String> names = new TreeSet<>();
        sinks.orderedStream().forEach(sink -> names.add(sink.name()));
        capabilities.put("sinks", names);
        capabilities.put("gateway", flag("cdc.gateway.enabled", false));
        capabilities.put("aggregation", flag("cdc.aggregation.enabled", true));
        builder.withDetail("capabilities", capabilities);
    }

    private boolean flag(String property, boolean otherwise) {
        return env.getProperty(property, Boolean.class, otherwise);
    }
}
