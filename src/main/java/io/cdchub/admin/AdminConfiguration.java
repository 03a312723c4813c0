package io.cdchub.admin;

import java.net.InetAddress;
import java.net.UnknownHostException;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.ChangeCaptureComponent;
import io.cdchub.source.SourceProperties;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The management API's machinery: the connector registry shared by both APIs, its store in Kafka, the runtime
 * that turns definitions into routes, and the OpenAPI document's description. Only with the web application:
 * connectors are defined through the API.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class AdminConfiguration {

    @Bean
    ConnectorRuntime connectorRuntime(CamelContext camel, ChangeCaptureComponent component, CdcHubProperties hub, SourceProperties source,
            AdminProperties admin) {
        return new ConnectorRuntime(camel, component, hub, source, admin);
    }

    @Bean
    ConnectorService connectorService(AdminProperties admin, SourceProperties source, ConnectorRuntime runtime, Admin kafkaAdmin,
            CdcHubProperties hub, ObjectProvider<ConnectorPlacement> placement) {
        return new ConnectorService(admin, source, runtime, onRecord -> new ConnectorStore(admin.configTopic(), kafkaAdmin, hub, onRecord),
                new DatabaseCheck(10), workerId(admin), placement.getIfAvailable(() -> () -> true));
    }

    @Bean
    ConnectWorker connectWorker(Admin kafkaAdmin, ConnectorService connectors) {
        return new ConnectWorker(kafkaAdmin, connectors);
    }

    @Bean
    OpenAPI cdcHubOpenApi() {
        return new OpenAPI()
                .info(new Info().title("cdc-hub management API").version("v1").description(
                        "Runtime PostgreSQL source connectors (/debezium, and the Kafka Connect REST API /connectors, /connector-plugins on "
                                + "cdc.admin.connect-port), Kafka topics (/topic) and consumers (/consumer). Errors: "
                                + "{\"status\",\"error\",\"message\",\"field\"}."))
                .components(new Components()
                        .addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("cdc.admin.token"))
                        .addSecuritySchemes("basic", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("basic")
                                .description("cdc.admin.username/password, or any user with the token as password")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"))
                .addSecurityItem(new SecurityRequirement().addList("basic"));
    }

    /** Like a Connect worker's id: host:port. */
    private static String workerId(AdminProperties admin) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + ":" + admin.connectPort();
    }
}
