package io.cdchub.sink;

/**
 * What the sink beans share: the topics their route's Kafka endpoint reads, their metrics, and the pipeline that
 * overlaps writing one batch with converting the next.
 */
public abstract class SinkBean {

    protected final SinkMetrics metrics;
    protected final SinkPipeline pipeline;
    private final SinkSubscription subscription;

    protected SinkBean(String sink, SinkMetrics metrics, SinkSubscription subscription, int batchSize) {
        this.metrics = metrics;
        this.subscription = subscription;
        this.pipeline = new SinkPipeline(sink, metrics, batchSize);
    }

    /** The Kafka endpoint's topic path (the route reads it as {@code {{bean:<sink bean>.topics}}}). */
    public String topics() {
        return subscription.topics();
    }

    public boolean topicIsPattern() {
        return subscription.isPattern();
    }

    public SinkMetrics metrics() {
        return metrics;
    }

    /** Stops the converter and writer threads (batches they had not finished are not committed and are read again after a restart). */
    public void close() throws InterruptedException {
        pipeline.close();
    }
}
