package io.cdchub.kafka;

import java.time.Duration;
import java.util.HashMap;

import io.cdchub.config.CdcHubProperties;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.kafka.clients.admin.Admin;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** One place for how cdc-hub reaches Kafka: Camel's kafka component and the admin client share it. */
@Configuration(proxyBeanMethods = false)
public class KafkaClientConfiguration {

    @Bean
    ComponentCustomizer kafkaConnectionCustomizer(CdcHubProperties properties) {
        // Last, after the starter's customizer has applied camel.component.kafka.*
        return ComponentCustomizer.builder(KafkaComponent.class).withOrder(org.springframework.core.Ordered.LOWEST_PRECEDENCE).build(component -> {
            component.getConfiguration().setBrokers(properties.kafka().bootstrapServers());
            var additional = new HashMap<String, Object>(component.getConfiguration().getAdditionalProperties());
            additional.putAll(properties.kafka().properties());
            component.getConfiguration().setAdditionalProperties(additional);
            component.setKafkaClientFactory(new BoundedCloseKafkaClientFactory(Duration.ofSeconds(10)));
        });
    }

    @Bean(destroyMethod = "close")
    Admin kafkaAdmin(CdcHubProperties properties) {
        var settings = properties.kafka().clientSettings();
        settings.putIfAbsent("client.id", "cdc-hub-admin");
        return new BoundedCloseAdmin(settings, Duration.ofSeconds(5));
    }
}
