package io.cdchub.sink.search;

import java.net.URI;
import java.util.Arrays;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.sink.SinkDeadLetters;
import io.cdchub.sink.SinkLagMonitor;
import io.cdchub.sink.SinkMetrics;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkSubscription;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.component.es.ElasticsearchComponent;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.http.HttpHost;
import org.apache.http.auth.AuthScope;
import org.apache.http.auth.UsernamePasswordCredentials;
import org.apache.http.impl.client.BasicCredentialsProvider;
import org.elasticsearch.client.RestClient;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Elasticsearch sink's beans, present only with {@code cdc.sink.elasticsearch.enabled=true}: the REST client
 * (http or https, basic auth) that Camel's elasticsearch component uses, and the sink.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.elasticsearch.enabled", havingValue = "true")
public class ElasticsearchSinkConfiguration {

    @Bean(destroyMethod = "close")
    RestClient elasticsearchSinkRestClient(SinkProperties sinks) {
        SinkProperties.Elasticsearch settings = sinks.elasticsearch();
        HttpHost[] hosts = Arrays.stream(settings.url().split(",")).map(String::trim).map(URI::create)
                .map(u -> new HttpHost(u.getHost(), u.getPort() > 0 ? u.getPort() : ("https".equals(u.getScheme()) ? 443 : 80), u.getScheme()))
                .toArray(HttpHost[]::new);
        var builder = RestClient.builder(hosts)
                .setRequestConfigCallback(c -> c.setConnectTimeout(10_000).setSocketTimeout(settings.requestTimeoutMs()));
        if (settings.username() != null && !settings.username().isEmpty()) {
            BasicCredentialsProvider credentials = new BasicCredentialsProvider();
            credentials.setCredentials(AuthScope.ANY, new UsernamePasswordCredentials(settings.username(), settings.password()));
            builder.setHttpClientConfigCallback(http -> http.setDefaultCredentialsProvider(credentials));
        }
        return builder.build();
    }

    @Bean
    ComponentCustomizer elasticsearchSinkClientCustomizer(RestClient elasticsearchSinkRestClient) {
        return ComponentCustomizer.builder(ElasticsearchComponent.class).build(component -> component.setClient(elasticsearchSinkRestClient));
    }

    @Bean(destroyMethod = "close")
    ElasticsearchSink elasticsearchSink(SinkProperties sinks, CdcHubProperties hub, CamelContext camel, SinkDeadLetters deadLetters,
            MeterRegistry registry, SinkLagMonitor lag, RestClient elasticsearchSinkRestClient) {
        SinkProperties.Elasticsearch settings = sinks.elasticsearch();
        SinkMetrics metrics = new SinkMetrics(registry, "elasticsearch");
        SinkSubscription subscription = SinkSubscription.of(settings.topics(), settings.topicPattern(), hub.topicPrefix());
        lag.watch(settings.groupId(), subscription, metrics);
        return new ElasticsearchSink(settings, camel, deadLetters, metrics, subscription, new IndexTemplates(elasticsearchSinkRestClient, settings.templates()));
    }
}
