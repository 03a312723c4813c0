package io.cdchub.source.polling;

import java.time.Instant;
import java.util.Map;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.stereotype.Component;

/**
 * {@code polling}: UP while every polled table's last poll went through (its rows acknowledged by Kafka); DOWN while
 * one fails (database away, query refused), with the reason. Each table's watermark and whether its first load is
 * done are details.
 */
@Component("polling")
@ConditionalOnBean(PollingSource.class)
public class PollingHealthIndicator extends AbstractHealthIndicator {

    private final PollingSource source;

    public PollingHealthIndicator(PollingSource source) {
        super("Polling source check failed");
        this.source = source;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean failing = false;
        for (Map.Entry<String, PolledTable.State> entry : source.states().entrySet()) {
            PolledTable.State state = entry.getValue();
            Map<String, Object> detail = new java.util.LinkedHashMap<>();
            detail.put("watermark", state.watermark());
            detail.put("firstLoadDone", state.loaded());
            detail.put("lastPoll", state.lastPollMillis() == 0 ? null : Instant.ofEpochMilli(state.lastPollMillis()).toString());
            if (state.failure() != null) {
                detail.put("failure", state.failure());
                failing = true;
            }
            builder.withDetail(entry.getKey(), detail);
        }
        if (failing) {
            builder.down();
        } else {
            builder.up();
        }
    }
}
