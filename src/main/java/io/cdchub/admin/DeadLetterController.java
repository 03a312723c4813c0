package io.cdchub.admin;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.deadletter.DeadLetterReplayer;
import io.cdchub.deadletter.DeadLetterSelection;
import io.cdchub.deadletter.DeadLetterTopic;
import io.cdchub.sink.SinkUnavailableException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The dead-letter topic: find dead letters and why they failed, count them, replay them (README "Dead letters"). */
@RestController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@RequestMapping("/dlq")
@Tag(name = "dead letters", description = "Browse, count and replay the dead-letter topic (cdc.dlq.topic)")
public class DeadLetterController {

    static final int MAX_LIMIT = 1000;
    private static final Set<String> REPLAY_FIELDS = Set.of("route", "topic", "reason", "from", "until", "offsets", "dryRun", "force");
    private static final Set<String> POSITION_FIELDS = Set.of("partition", "offset");

    private final DeadLetterReplayer replayer;

    public DeadLetterController(DeadLetterReplayer replayer) {
        this.replayer = replayer;
    }

    /** Request body of POST /dlq/replay (documentation; the body is read strictly by {@link JsonFields}). */
    @Schema(name = "DeadLetterReplayRequest", description = "Filters (all must hold) or explicit offsets, not both; at least one")
    public record ReplayRequest(
            @Schema(example = "kafka-to-clickhouse", description = "the route that failed them (cdc.dlq.route-id)") String route,
            @Schema(example = "cdc.public.orders", description = "their original topic") String topic,
            @Schema(example = "FixedString", description = "text in the exception class or message, ignoring case") String reason,
            @Schema(example = "2026-12-04T10:00:00Z", description = "dead-lettered at or after (ISO-8601)") String from,
            @Schema(example = "2026-12-04T12:00:00Z", description = "dead-lettered before (ISO-8601)") String until,
            @Schema(description = "explicit dead letters by partition and offset in the dead-letter topic") List<Position> offsets,
            @JsonProperty("dryRun") @Schema(description = "say how many would go where, send nothing") Boolean dryRun,
            @Schema(description = "replay dead letters replayed before, too") Boolean force) {
        public record Position(@Schema(example = "0") int partition, @Schema(example = "42") long offset) {
        }
    }

    @GetMapping
    @Operation(summary = "List dead letters with why they failed, oldest first (paged)", responses = {
            @ApiResponse(responseCode = "200"), @ApiResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "503", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public DeadLetterReplayer.Page list(
            @Parameter(description = "the route that failed them") @RequestParam(required = false) String route,
            @Parameter(description = "their original topic") @RequestParam(required = false) String topic,
            @Parameter(description = "text in the exception class or message, ignoring case") @RequestParam(required = false) String reason,
            @Parameter(description = "dead-lettered at or after (ISO-8601)") @RequestParam(required = false) String from,
            @Parameter(description = "dead-lettered before (ISO-8601)") @RequestParam(required = false) String until,
            @Parameter(description = "matching dead letters to skip") @RequestParam(defaultValue = "0") int offset,
            @Parameter(description = "most dead letters to return, 1-" + MAX_LIMIT) @RequestParam(defaultValue = "100") int limit) {
        if (offset < 0) {
            throw ApiException.badRequest("offset", "must not be negative, but is " + offset);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.badRequest("limit", "must be between 1 and " + MAX_LIMIT + ", but is " + limit);
        }
        DeadLetterSelection selection = selection(route, topic, reason, from, until, List.of());
        return answer(() -> replayer.list(selection, offset, limit));
    }

    @GetMapping("/summary")
    @Operation(summary = "Count dead letters by route and reason, and how many of them were replayed", responses = {
            @ApiResponse(responseCode = "200"), @ApiResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "503", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public DeadLetterReplayer.Summary summary(
            @RequestParam(required = false) String route, @RequestParam(required = false) String topic,
            @RequestParam(required = false) String reason, @RequestParam(required = false) String from,
            @RequestParam(required = false) String until) {
        DeadLetterSelection selection = selection(route, topic, reason, from, until, List.of());
        return answer(() -> replayer.summary(selection));
    }

    @PostMapping("/replay")
    @Operation(summary = "Send the chosen dead letters back to the route that failed them (a sink: that sink only), or with dryRun say how"
            + " many would go where. Dead letters replayed before are skipped unless force; one that fails again becomes a new dead letter"
            + " with its new reason and cdc.dlq.replay-count.",
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = ReplayRequest.class))),
            responses = {
                @ApiResponse(responseCode = "200"),
                @ApiResponse(responseCode = "400", description = "a bad field, or nothing chosen", content = @Content(schema = @Schema(implementation = ApiError.class))),
                @ApiResponse(responseCode = "404", description = "a named offset holds no dead letter", content = @Content(schema = @Schema(implementation = ApiError.class))),
                @ApiResponse(responseCode = "409", description = "another replay is running", content = @Content(schema = @Schema(implementation = ApiError.class))),
                @ApiResponse(responseCode = "422", description = "some chosen dead letters cannot be replayed (none was)",
                        content = @Content(schema = @Schema(implementation = ApiError.class))),
                @ApiResponse(responseCode = "503", description = "Kafka or a sink cannot take them now (those done are recorded)",
                        content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public DeadLetterReplayer.Result replay(@org.springframework.web.bind.annotation.RequestBody(required = false) JsonNode body) {
        JsonFields fields = JsonFields.of(body, REPLAY_FIELDS);
        List<DeadLetterSelection.Position> offsets = fields.optionalObjects("offsets", POSITION_FIELDS).stream()
                .map(p -> new DeadLetterSelection.Position((int) p.requiredLong("partition", 0, Integer.MAX_VALUE), p.requiredLong("offset", 0, Long.MAX_VALUE)))
                .toList();
        DeadLetterSelection selection = selection(fields.optionalText("route"), fields.optionalText("topic"), fields.optionalText("reason"),
                fields.optionalText("from"), fields.optionalText("until"), offsets);
        if (selection.isEverything()) {
            throw ApiException.badRequest(null, "choose the dead letters to replay: route, topic, reason, from, until or offsets"
                    + " (to replay every dead letter, give a from time before the first)");
        }
        boolean dryRun = fields.flag("dryRun");
        boolean force = fields.flag("force");
        return answer(() -> replayer.replay(selection, dryRun, force));
    }

    private static DeadLetterSelection selection(String route, String topic, String reason, String from, String until,
            List<DeadLetterSelection.Position> offsets) {
        try {
            return new DeadLetterSelection(blankToNull(route), blankToNull(topic), blankToNull(reason), instant("from", from), instant("until", until), offsets);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            int colon = message.indexOf(": ");
            throw ApiException.badRequest(message.substring(0, colon), message.substring(colon + 2));
        }
    }

    private static Instant instant(String field, String text) {
        if (blankToNull(text) == null) {
            return null;
        }
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(field, "must be an ISO-8601 instant such as 2026-12-04T10:00:00Z, but is '" + text + "'");
        }
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    /** The service's refusals as API errors: 404, 409, 422, and 503 when Kafka or a sink cannot answer now. */
    private static <T> T answer(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (DeadLetterTopic.NoSuchDeadLetterException e) {
            throw ApiException.notFound(e.getMessage());
        } catch (DeadLetterReplayer.ReplayRunningException e) {
            throw ApiException.conflict(e.getMessage());
        } catch (DeadLetterReplayer.UnreplayableException e) {
            throw ApiException.unprocessable(null, e.getMessage());
        } catch (SinkUnavailableException | org.apache.kafka.common.errors.TimeoutException e) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, e.getMessage() + " (retry when it is back; what was replayed is recorded)");
        }
    }
}
