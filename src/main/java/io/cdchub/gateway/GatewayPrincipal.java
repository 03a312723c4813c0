package io.cdchub.gateway;

import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Who is connected and what they may read, from a verified token.
 *
 * @param subject   the token's {@code sub} (or "anonymous")
 * @param anonymous connected without a token (only with cdc.gateway.allow-anonymous)
 * @param topics    the topic names / aliases the token grants, as patterns ({@code *} = any characters); null: all
 * @param rowValues the row-level rule's values from the claim (the row column must equal one); null: no rule
 * @param expiresAtMs when the token expires ({@code exp}, epoch ms); 0: never (anonymous)
 */
public record GatewayPrincipal(String subject, boolean anonymous, List<Pattern> topics, List<String> rowValues, long expiresAtMs) {

    public GatewayPrincipal(String subject, boolean anonymous, List<Pattern> topics, List<String> rowValues) {
        this(subject, anonymous, topics, rowValues, 0);
    }

    public static GatewayPrincipal anonymousUser() {
        return new GatewayPrincipal("anonymous", true, null, null);
    }

    /** Whether the token grants the topic under its own name or one of its aliases. */
    public boolean mayRead(String topic, Collection<String> aliases) {
        if (topics == null) {
            return true;
        }
        for (Pattern granted : topics) {
            if (granted.matcher(topic).matches()) {
                return true;
            }
            for (String alias : aliases) {
                if (granted.matcher(alias).matches()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A granted topic entry as a pattern: {@code *} matches any characters, everything else literally. */
    static Pattern glob(String entry) {
        return Pattern.compile(java.util.Arrays.stream(entry.split("\\*", -1)).map(Pattern::quote)
                .collect(java.util.stream.Collectors.joining(".*")));
    }
}
