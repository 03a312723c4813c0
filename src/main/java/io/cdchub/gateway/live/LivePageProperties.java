package io.cdchub.gateway.live;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What the live page shows by itself on a gateway with {@code cdc.gateway.allow-anonymous} ({@code cdc.gateway.live.*}):
 * it connects at once and subscribes to {@code topics}, saying so with {@code caption}. On a gateway with tokens the
 * page asks for a token and topics as before, and none of this is served.
 *
 * @param topics  topics or aliases the page subscribes to; empty: every {@code cdc.gateway.aliases} name
 * @param caption the line the page shows above the table; empty: "Showing live changes of" and the topics
 */
@ConfigurationProperties("cdc.gateway.live")
public record LivePageProperties(List<String> topics, String caption) {

    public LivePageProperties {
        topics = topics == null ? List.of() : topics.stream().map(String::trim).filter(t -> !t.isEmpty()).toList();
        caption = caption == null ? "" : caption.trim();
    }
}
