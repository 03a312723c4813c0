package io.cdchub.source.snapshot;

import io.debezium.config.CommonConnectorConfig;
import io.debezium.pipeline.notification.Notification;
import io.debezium.pipeline.notification.channels.NotificationChannel;

/**
 * Debezium's notifications of incremental snapshots (started, each chunk, each table scanned, completed) into
 * {@link ReSnapshotProgress}, for the re-snapshot status API and metrics. Found by Debezium through
 * {@code META-INF/services}; every cdc-hub capture enables it ({@value #NAME} in {@code notification.enabled.channels}).
 */
public class ReSnapshotNotificationChannel implements NotificationChannel {

    public static final String NAME = "cdc-hub";

    private String logicalName;

    @Override
    public void init(CommonConnectorConfig config) {
        logicalName = config.getLogicalName();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void send(Notification notification) {
        ReSnapshotProgress.notified(logicalName, notification);
    }

    @Override
    public void close() {
        // nothing held
    }
}
