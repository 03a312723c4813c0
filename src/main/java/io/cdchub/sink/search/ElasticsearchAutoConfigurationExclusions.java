package io.cdchub.sink.search;

import org.springframework.boot.actuate.autoconfigure.elasticsearch.ElasticsearchRestHealthContributorAutoConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchClientAutoConfiguration;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * Camel's elasticsearch component brings the Elasticsearch client jars, and with them Spring Boot would make a
 * client of its own for 127.0.0.1:9200 (spring.elasticsearch.*), a sniffer polling it and a health indicator
 * reporting DOWN whenever no Elasticsearch runs there, even with the sink off. cdc-hub reaches Elasticsearch only
 * through {@code cdc.sink.elasticsearch.*} ({@link ElasticsearchSinkConfiguration}), so those are left out.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration(exclude = {
    ElasticsearchRestClientAutoConfiguration.class,
    ElasticsearchClientAutoConfiguration.class,
    ElasticsearchRestHealthContributorAutoConfiguration.class,
})
public class ElasticsearchAutoConfigurationExclusions {
}
