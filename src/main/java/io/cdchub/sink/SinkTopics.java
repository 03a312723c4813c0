package io.cdchub.sink;

import io.cdchub.change.ChangeTopicRule;
import io.cdchub.config.CdcHubProperties;
import org.springframework.stereotype.Component;

/**
 * The topics sink routes read, for their templates' {@code topics} and {@code topicIsPattern} parameters (read as
 * {@code {{bean:sinkTopics.<method>}}}): each built-in sink's ({@code cdc.sink.<sink>.topics} or {@code .topic-pattern},
 * by default every change topic), and {@link #changeTopics()} for a user's own route.
 */
@Component("sinkTopics")
public class SinkTopics {

    private final ChangeTopicRule rule;
    private final SinkSubscription clickhouse;
    private final SinkSubscription elasticsearch;
    private final SinkSubscription iceberg;
    private final SinkSubscription parquet;
    private final SinkSubscription delta;
    private final SinkSubscription changeTopics;

    public SinkTopics(SinkProperties sinks, CdcHubProperties hub) {
        this.rule = ChangeTopicRule.of(hub);
        this.clickhouse = SinkSubscription.of(sinks.clickhouse().topics(), sinks.clickhouse().topicPattern(), rule);
        this.elasticsearch = SinkSubscription.of(sinks.elasticsearch().topics(), sinks.elasticsearch().topicPattern(), rule);
        this.iceberg = SinkSubscription.of(sinks.iceberg().topics(), sinks.iceberg().topicPattern(), rule);
        this.parquet = SinkSubscription.of(sinks.parquet().topics(), sinks.parquet().topicPattern(), rule);
        this.delta = SinkSubscription.of(sinks.delta().topics(), sinks.delta().topicPattern(), rule);
        this.changeTopics = new SinkSubscription(rule.changeTopicsRegex(), true);
    }

    public SinkSubscription clickhouseSubscription() {
        return clickhouse;
    }

    public SinkSubscription elasticsearchSubscription() {
        return elasticsearch;
    }

    public String clickhouse() {
        return clickhouse.topics();
    }

    public boolean clickhouseIsPattern() {
        return clickhouse.isPattern();
    }

    public String elasticsearch() {
        return elasticsearch.topics();
    }

    public boolean elasticsearchIsPattern() {
        return elasticsearch.isPattern();
    }

    public SinkSubscription icebergSubscription() {
        return iceberg;
    }

    public String iceberg() {
        return iceberg.topics();
    }

    public boolean icebergIsPattern() {
        return iceberg.isPattern();
    }

    public String parquet() {
        return parquet.topics();
    }

    public boolean parquetIsPattern() {
        return parquet.isPattern();
    }

    public String delta() {
        return delta.topics();
    }

    public boolean deltaIsPattern() {
        return delta.isPattern();
    }

    /** Every change topic this instance's source writes, renamed ones included, as a regex. */
    public String changeTopics() {
        return changeTopics.topics();
    }

    public ChangeTopicRule rule() {
        return rule;
    }
}
