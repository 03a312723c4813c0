package io.cdchub.sink.search;

import java.net.URI;
import java.util.Arrays;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.SinkProperties;
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
 * (http or https, basic auth) and the sink, which writes through the Elasticsearch Java client over it.
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
    ElasticsearchSink elasticsearchSink(SinkProperties sinks, RestClient elasticsearchSinkRestClient) {
        SinkProperties.Elasticsearch settings = sinks.elasticsearch();
        // exact numbers out, as they came in (a copy: the JSON-P mapper configures the mapper it is given)
        ElasticsearchClient client = new ElasticsearchClient(new RestClientTransport(elasticsearchSinkRestClient, new JacksonJsonpMapper(ChangeEvent.JSON.copy())));
        return new ElasticsearchSink(settings, client, new IndexTemplates(elasticsearchSinkRestClient, settings.templates()));
    }
}
