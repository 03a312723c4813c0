package io.cdchub.gateway;

import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.cdchub.config.InvalidConfigurationException;

/**
 * Checks a client's JWT at the handshake with Nimbus JOSE + JWT: the signature (HS256 with the shared secret, or
 * RS/PS/ES from the JWKS URL, whichever the token's {@code alg} asks for and is configured), {@code exp} (required),
 * {@code nbf}, {@code iss} and {@code aud} when configured; then reads the granted topics and the row-level value.
 */
public class TokenVerifier {

    private static final Set<JWSAlgorithm> JWKS_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    private final GatewayProperties settings;
    private final DefaultJWTProcessor<SecurityContext> processor;

    public TokenVerifier(GatewayProperties settings) {
        this.settings = settings;
        GatewayProperties.Jwt jwt = settings.jwt();
        processor = new DefaultJWTProcessor<>();
        JWSKeySelector<SecurityContext> hmac = jwt.hasSecret()
                ? new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(jwt.secret().getBytes(StandardCharsets.UTF_8)))
                : null;
        JWSKeySelector<SecurityContext> jwks = null;
        if (jwt.hasJwksUrl()) {
            try {
                jwks = new JWSVerificationKeySelector<>(JWKS_ALGORITHMS, JWKSourceBuilder.create(URI.create(jwt.jwksUrl().trim()).toURL()).retrying(true).build());
            } catch (MalformedURLException e) {
                throw new InvalidConfigurationException("cdc.gateway.jwt.jwks-url", "is not a URL: " + e.getMessage());
            }
        }
        JWSKeySelector<SecurityContext> hmacKeys = hmac;
        JWSKeySelector<SecurityContext> jwksKeys = jwks;
        // each token is checked with the key kind its alg names; an alg nobody configured finds no key and fails
        processor.setJWSKeySelector((header, context) -> {
            JWSKeySelector<SecurityContext> selector = JWSAlgorithm.Family.HMAC_SHA.contains(header.getAlgorithm()) ? hmacKeys : jwksKeys;
            return selector == null ? List.of() : selector.selectJWSKeys(header, context);
        });
        Set<String> required = new HashSet<>(Set.of("exp"));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (!jwt.issuer().isBlank()) {
            exact.issuer(jwt.issuer());
            required.add("iss");
        }
        Set<String> audience = null;
        if (!jwt.audience().isBlank()) {
            audience = new HashSet<>(Set.of(jwt.audience())); // Nimbus asks contains(null), which Set.of refuses
            required.add("aud");
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience, exact.build(), required, null);
        claims.setMaxClockSkew((int) jwt.clockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * The principal for a handshake's token.
     *
     * @param token the bearer token, or null when the client sent none
     * @throws AuthenticationException when the token is missing (and anonymous access is off) or not acceptable
     */
    public GatewayPrincipal verify(String token) {
        if (token == null || token.isBlank()) {
            if (settings.allowAnonymous()) {
                return anonymous();
            }
            throw new AuthenticationException("a token is required: ?token=<JWT> or Authorization: Bearer <JWT>");
        }
        if (settings.allowAnonymous() && !settings.jwt().hasSecret() && !settings.jwt().hasJwksUrl()) {
            // nothing to check a token with: it is ignored, as if none had been sent
            return anonymous();
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token.trim(), null);
        } catch (ParseException e) {
            throw new AuthenticationException("the token is not a JWT");
        } catch (BadJOSEException e) {
            throw new AuthenticationException(refusal(e));
        } catch (JOSEException e) {
            throw new AuthenticationException("the token could not be checked");
        }
        List<Pattern> topics = new ArrayList<>();
        for (String granted : strings(claims.getClaim(settings.jwt().topicsClaim()))) {
            topics.add(GatewayPrincipal.glob(granted));
        }
        List<String> rowValues = null;
        if (settings.rowFilter().enabled()) {
            rowValues = values(claims.getClaim(settings.rowFilter().claim()));
            if (rowValues.isEmpty()) {
                throw new AuthenticationException("the token has no '" + settings.rowFilter().claim() + "' claim, which the row-level rule needs");
            }
        }
        String subject = claims.getSubject() == null ? "unnamed" : claims.getSubject();
        long expiresAt = claims.getExpirationTime() == null ? 0 : claims.getExpirationTime().getTime();
        return new GatewayPrincipal(subject, false, List.copyOf(topics), rowValues, expiresAt);
    }

    /**
     * Why a token was refused, without what the gateway expects (issuer, audience, keys): Nimbus's messages name the
     * expected issuer, which a 401 must not tell whoever asks.
     */
    private static String refusal(BadJOSEException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.startsWith("Expired JWT")) {
            return "the token was refused: it has expired";
        }
        if (message.startsWith("JWT before use time")) {
            return "the token was refused: it is not valid yet (nbf)";
        }
        if (message.startsWith("JWT missing required claims")) {
            return "the token was refused: it lacks a required claim (exp, or iss/aud when the gateway checks them)";
        }
        if (e instanceof com.nimbusds.jwt.proc.BadJWTException) {
            return "the token was refused: its issuer or audience is not accepted";
        }
        return "the token was refused: its signature is not valid, or it was not signed with a key or algorithm the gateway accepts";
    }

    /** The row-level claim's values: an array's members, or a string or number as one value (never split on spaces). */
    private static List<String> values(Object claim) {
        if (claim instanceof Collection<?>) {
            return strings(claim);
        }
        return claim == null || claim.toString().isBlank() ? List.of() : List.of(claim.toString());
    }

    /** Without a token there is no claim value: under a row-level rule an anonymous client gets no rows. */
    private GatewayPrincipal anonymous() {
        return settings.rowFilter().enabled() ? new GatewayPrincipal("anonymous", true, null, List.of()) : GatewayPrincipal.anonymousUser();
    }

    /** A claim as strings: an array's members, a string's space-separated words (OAuth scope), a number's text. */
    private static List<String> strings(Object claim) {
        List<String> values = new ArrayList<>();
        if (claim instanceof Collection<?> many) {
            for (Object one : many) {
                if (one != null) {
                    values.add(one.toString());
                }
            }
        } else if (claim instanceof String text) {
            for (String word : text.trim().split("\\s+")) {
                if (!word.isEmpty()) {
                    values.add(word);
                }
            }
        } else if (claim != null) {
            values.add(claim.toString());
        }
        return values;
    }

    /** A handshake without an acceptable token: answered with HTTP 401 before any upgrade. */
    public static class AuthenticationException extends RuntimeException {
        public AuthenticationException(String message) {
            super(message, null, false, false);
        }
    }
}
