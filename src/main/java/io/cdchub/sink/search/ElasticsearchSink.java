package io.cdchub.sink.search;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import co.elastic.clients.elasticsearch._types.ErrorCause;
import co.elastic.clients.elasticsearch._types.VersionType;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.util.BinaryData;
import co.elastic.clients.util.ContentType;
import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.Sink;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkRequest;
import io.cdchub.sink.SinkRequestRefusedException;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.SinkWriteResult;
import org.elasticsearch.client.ResponseException;

/**
 * The Elasticsearch {@link Sink}: a batch of change events becomes one bulk request (the Elasticsearch Java client over
 * the sink's REST client): create, update and snapshot events index the whole row, deletes delete. The index is
 * {@code <index-prefix>-<table>} unless named per table; the document id is the primary key ({@link DocumentIds}). The
 * {@link io.cdchub.sink.SinkRunner} does the rest (route template {@code kafka-to-sink}, route {@code kafka-to-elasticsearch}).
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
 * runner retries it with back-off without committing, the sink's metrics record the outage and readiness
 * ({@code elasticsearch}) is DOWN until a write succeeds again.
 */
public class ElasticsearchSink implements Sink<BulkOperation> {

    public static final String NAME = "elasticsearch";
    public static final String ROUTE_ID = "kafka-to-elasticsearch";

    private final SinkProperties.Elasticsearch settings;
    private final ElasticsearchClient client;
    private final IndexTemplates templates;

    public ElasticsearchSink(SinkProperties.Elasticsearch settings, ElasticsearchClient client, IndexTemplates templates) {
        this.settings = settings;
        this.client = client;
        this.templates = templates;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String endpoint() {
        return "elasticsearch:" + settings.url();
    }

    /** One bulk request for the batch (index templates put first, once). */
    @Override
    public List<SinkRequest<BulkOperation>> prepare(List<ChangeEvent> events, Preparation preparation) {
        templates.installOnce();
        return List.of(preparation.request("bulk", events, this::operation));
    }

    /** The event's bulk operation; null when there is nothing to do (a delete in a table without a primary key). */
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
     * Sends the operations. A request refused as a whole for its content (400, 413: malformed, too large) is refused
     * (the runner halves it until the refused item is alone); refused as a whole for any other reason (401/403
     * credentials or rights, 404 a wrong address, 408/429/5xx, no answer) the target is unavailable: the batch is
     * retried, nothing committed.
     */
    @Override
    public SinkWriteResult write(SinkRequest<BulkOperation> request) {
        BulkRequest bulk = new BulkRequest.Builder().timeout(t -> t.time(settings.requestTimeoutMs() + "ms")).operations(request.items()).build();
        BulkResponse answer;
        try {
            answer = client.bulk(bulk);
        } catch (IOException | RuntimeException e) {
            int status = status(e);
            if (!refusesTheContent(status)) {
                throw new SinkUnavailableException("Elasticsearch is unavailable" + (status > 0 ? " (it answered the bulk request with " + status + ")" : "")
                        + ": " + rootMessage(e), e);
            }
            throw new SinkRequestRefusedException("Elasticsearch refused the request (" + status + "): " + e, e);
        }
        List<BulkResponseItem> items = answer.items();
        if (items == null || items.size() != request.size()) {
            throw new SinkUnavailableException("Elasticsearch answered a bulk of " + request.size() + " with " + (items == null ? "nothing" : items.size() + " items"));
        }
        int written = 0;
        int applied = 0;
        List<SinkWriteResult.Refusal> refused = new ArrayList<>();
        String unavailable = null;
        for (int i = 0; i < items.size(); i++) {
            BulkResponseItem item = items.get(i);
            ErrorCause error = item.error();
            if (error == null) {
                written++;
            } else if (item.status() == 409 || (request.events().get(i).isDelete() && item.status() == 404)) {
                // a newer (or the same) version is there already; or there is no index to delete from (a delete never
                // creates one): a document that is not there is deleted already
                applied++;
            } else if (refusesTheDocument(item.status(), error.type())) {
                refused.add(new SinkWriteResult.Refusal(i, "Elasticsearch refused the document (" + item.status() + " " + error.type() + "): "
                        + error.reason()));
            } else if (unavailable == null) {
                unavailable = item.status() + " " + error.type() + " on index " + item.index() + ": " + error.reason();
            }
        }
        return new SinkWriteResult(written, applied, refused, unavailable);
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

}
