package io.cdchub.sink.search;

import java.util.ArrayList;
import java.util.List;

import co.elastic.clients.elasticsearch._types.ErrorCause;
import co.elastic.clients.elasticsearch._types.VersionType;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.util.BinaryData;
import co.elastic.clients.util.ContentType;
import io.cdchub.sink.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.SinkBean;
import io.cdchub.sink.SinkBatch;
import io.cdchub.sink.SinkDeadLetters;
import io.cdchub.sink.SinkMetrics;
import io.cdchub.sink.SinkPipeline;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkSubscription;
import io.cdchub.sink.SinkUnavailableException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.elasticsearch.client.ResponseException;

/**
 * Writes a batch of change records to Elasticsearch as one bulk request (through the
 * {@code elasticsearch-bulk} route, Camel's elasticsearch component): create, update and snapshot events index
 * the whole row, deletes delete. The index is {@code <index-prefix>-<table>} unless named per table; the
 * document id is the primary key ({@link DocumentIds}).
 *
 * <p><b>Idempotent by LSN.</b> Every operation carries {@code version = source.lsn} with
 * {@code version_type=external}: Elasticsearch applies it only when it is higher than the document's version,
 * so a replay or a late duplicate never overwrites newer data. The conflicts this gives are counted as
 * already applied. (Snapshot events share the snapshot's LSN, but each key is read once per snapshot and every
 * later change of it has a higher LSN.) A deleted document's version is remembered for {@code index.gc_deletes}
 * (60 s by default; the example template raises it): an event older than a delete replayed after that would
 * bring the document back.
 *
 * <p><b>Failures.</b> Only a document Elasticsearch refuses for its own content (400: mapping errors, bad values) is
 * dead-lettered, alone. An outage is never a dead letter: items refused because of the index (read-only block,
 * missing or closed index, rights), for load (429) or server errors, and a bulk request refused as a whole for
 * anything but its content (401, 403, 404, ...), make the batch fail as a whole, like an unreachable cluster: the
 * route retries it with back-off without committing, the sink's metrics record the outage and readiness
 * ({@code elasticsearch}) is DOWN until a write succeeds again.
 */
public class ElasticsearchSink extends SinkBean {

    public static final String ROUTE_ID = "kafka-to-elasticsearch";
    static final String ENDPOINT = "direct:elasticsearch-bulk";

    private final SinkProperties.Elasticsearch settings;
    private final ProducerTemplate producer;
    private final SinkDeadLetters deadLetters;
    private final IndexTemplates templates;

    public ElasticsearchSink(SinkProperties.Elasticsearch settings, CamelContext camel, SinkDeadLetters deadLetters, SinkMetrics metrics,
            SinkSubscription subscription, IndexTemplates templates) {
        super("elasticsearch", metrics, subscription, settings.batchSize());
        this.settings = settings;
        this.producer = camel.createProducerTemplate();
        this.deadLetters = deadLetters;
        this.templates = templates;
    }

    private record Pending(ChangeEvent event, BulkOperation operation) {
    }

    /**
     * Writes the batch (a list of consumed record exchanges): converted here, sent as one bulk request by the
     * sink's writer thread while the next batch is converted ({@link SinkPipeline}); the body is left as it is for
     * the commit step.
     */
    public void write(Exchange batch) {
        pipeline.write(batch, this::prepare, this::bulk);
    }

    private List<Pending> prepare(List<?> records) {
        templates.installOnce();
        List<Pending> pending = pipeline.convert(records, record -> {
            ChangeEvent event = SinkBatch.changeEvent(record, metrics, this::deadLetter);
            if (event == null) {
                return null;
            }
            try {
                BulkOperation operation = operation(event);
                return operation == null ? null : new Pending(event, operation);
            } catch (RejectedRecordException e) {
                deadLetter(event.record(), e);
                return null;
            }
        });
        pending.removeIf(java.util.Objects::isNull);
        return pending;
    }

    private BulkOperation operation(ChangeEvent event) {
        String index = settings.indexFor(event.schema(), event.table());
        if (!SinkProperties.INDEX_NAME.matcher(index).matches()) {
            throw new RejectedRecordException("Index name '" + index + "' is not valid in Elasticsearch: name an index for "
                    + event.schema() + "." + event.table() + " with cdc.sink.elasticsearch.indices");
        }
        if (event.keyJson() == null) {
            // no primary key, no identity: such a table is kept as a log of its rows
            Object document = event.isDelete() ? null : rawDocument(event);
            return event.isDelete() ? null : BulkOperation.of(op -> op.index(i -> i.index(index).document(document)));
        }
        String id = DocumentIds.of(event.keyJson());
        long version = event.lsn();
        if (event.isDelete()) {
            return BulkOperation.of(op -> op.delete(d -> d.index(index).id(id).version(version).versionType(VersionType.External)));
        }
        Object document = rawDocument(event);
        return BulkOperation.of(op -> op.index(i -> i.index(index).id(id).version(version).versionType(VersionType.External).document(document)));
    }

    /**
     * The document as it goes into the bulk request. A row with nothing to take from the old row is the record's
     * own {@code after} bytes, passed through as they are (exact numbers, no re-serialisation); otherwise
     * {@link ChangeEvent#afterWithUnchangedToast}.
     */
    private static Object rawDocument(ChangeEvent event) {
        byte[] json = event.afterJson();
        if (!event.hasBefore() && json != null && oneLine(json)) {
            return BinaryData.of(json, ContentType.APPLICATION_JSON);
        }
        return event.afterWithUnchangedToast();
    }

    /** A bulk request is newline-delimited: JSON with line breaks between its tokens is written again instead. */
    private static boolean oneLine(byte[] json) {
        for (byte b : json) {
            if (b == '\n' || b == '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * Sends the operations. A request refused as a whole for its content (400, 413: malformed, too large) is halved
     * until the refused item is alone; refused as a whole for any other reason (401/403 credentials or rights, 404 a
     * wrong address, 408/429/5xx, no answer) the target is unavailable: the batch is retried, nothing committed.
     */
    private void bulk(List<Pending> pending) {
        if (pending.isEmpty()) {
            return;
        }
        BulkRequest.Builder request = new BulkRequest.Builder().timeout(t -> t.time(settings.requestTimeoutMs() + "ms"));
        request.operations(pending.stream().map(Pending::operation).toList());
        Exchange answer = producer.send(ENDPOINT, exchange -> exchange.getMessage().setBody(request));
        if (answer.getException() != null) {
            int status = status(answer.getException());
            if (!refusesTheContent(status)) {
                throw new SinkUnavailableException("Elasticsearch is unavailable" + (status > 0 ? " (it answered the bulk request with " + status + ")" : "")
                        + ": " + rootMessage(answer.getException()), answer.getException());
            }
            if (pending.size() == 1) {
                deadLetter(pending.get(0).event().record(), new RejectedRecordException("Elasticsearch refused the request (" + status + "): "
                        + answer.getException().getCause(), answer.getException()));
                return;
            }
            int half = pending.size() / 2;
            bulk(pending.subList(0, half));
            bulk(pending.subList(half, pending.size()));
            return;
        }
        List<?> items = answer.getMessage().getBody(List.class);
        if (items == null || items.size() != pending.size()) {
            throw new SinkUnavailableException("Elasticsearch answered a bulk of " + pending.size() + " with " + (items == null ? "nothing" : items.size() + " items"));
        }
        int written = 0;
        int applied = 0;
        String unavailable = null;
        for (int i = 0; i < items.size(); i++) {
            BulkResponseItem item = (BulkResponseItem) items.get(i);
            Pending p = pending.get(i);
            ErrorCause error = item.error();
            if (error == null) {
                written++;
            } else if (item.status() == 409 || (p.event().isDelete() && item.status() == 404)) {
                // a newer (or the same) version is there already; or there is no index to delete from (a delete never
                // creates one): a document that is not there is deleted already
                applied++;
            } else if (refusesTheDocument(item.status(), error.type())) {
                deadLetter(p.event().record(), new RejectedRecordException("Elasticsearch refused the document (" + item.status() + " " + error.type() + "): "
                        + error.reason()));
            } else if (unavailable == null) {
                unavailable = item.status() + " " + error.type() + " on index " + item.index() + ": " + error.reason();
            }
        }
        metrics.written(written);
        metrics.alreadyApplied(applied);
        if (unavailable != null) {
            throw new SinkUnavailableException("Elasticsearch cannot take part of the batch now (" + unavailable
                    + "); retrying the batch, nothing is committed or dead-lettered meanwhile");
        }
    }

    /** Error types of an item that are about the index, not the document: a block (read-only), a missing or closed index. */
    private static final java.util.Set<String> INDEX_UNAVAILABLE = java.util.Set.of("cluster_block_exception", "index_not_found_exception",
            "index_closed_exception", "no_shard_available_action_exception", "unavailable_shards_exception", "security_exception");

    /** Whether a whole bulk request was refused for what it carries (400 malformed, 413 too large), not for the target's state. */
    public static boolean refusesTheContent(int status) {
        return status == 400 || status == 413;
    }

    /**
     * Whether an item was refused for its document (400: mapping or parsing errors, a bad value), and so is dead-lettered;
     * everything else (401/403 rights or a read-only block, 404 a missing index, 429, 5xx, a closed index) is the index
     * being unavailable.
     */
    public static boolean refusesTheDocument(int status, String errorType) {
        return status == 400 && !INDEX_UNAVAILABLE.contains(errorType);
    }

    static int status(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ResponseException response) {
                return response.getResponse().getStatusLine().getStatusCode();
            }
            if (t instanceof co.elastic.clients.elasticsearch._types.ElasticsearchException es) {
                return es.status();
            }
            if (t instanceof co.elastic.clients.transport.TransportException transport && transport.statusCode() > 0) {
                return transport.statusCode();
            }
        }
        return -1;
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }

    private void deadLetter(Exchange record, RuntimeException reason) {
        deadLetters.send(record, reason, ROUTE_ID, "elasticsearch:" + settings.url(), metrics);
    }
}
