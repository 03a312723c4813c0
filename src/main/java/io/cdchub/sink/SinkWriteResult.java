package io.cdchub.sink;

import java.util.List;

/**
 * What the target did with a request: how many items it wrote, how many it already had in that or a newer version (a
 * replay), which ones it refused for their content (dead-lettered by the runner), and, when part of the request could
 * not be written now (a read-only index among writable ones), why: the runner then dead-letters the refused items, and
 * retries the batch as it would for an unavailable target.
 *
 * @param written        items written
 * @param alreadyApplied items the target had in that version or a newer one
 * @param refused        items refused for their content
 * @param unavailable    why part of the request cannot be written now; null when everything was written or refused
 */
public record SinkWriteResult(int written, int alreadyApplied, List<Refusal> refused, String unavailable) {

    /** Item {@code index} of the request was refused, for {@code reason}. */
    public record Refusal(int index, String reason) {
    }

    public SinkWriteResult {
        refused = List.copyOf(refused);
    }

    /** Everything written. */
    public static SinkWriteResult allWritten(int written) {
        return new SinkWriteResult(written, 0, List.of(), null);
    }
}
