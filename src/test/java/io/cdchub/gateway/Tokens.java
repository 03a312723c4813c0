package io.cdchub.gateway;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** Test tokens, signed with Nimbus: HS256 with the test secret, RS256/ES256 with keys a test JWKS endpoint publishes. */
final class Tokens {

    static final String SECRET = "gateway-test-secret-of-at-least-32-bytes!";
    static final String ISSUER = "https://issuer.test";
    static final String AUDIENCE = "cdc-hub";
    static final RSAKey RSA = generate(() -> new RSAKeyGenerator(2048).keyID("rsa-1").generate());
    static final ECKey EC = generate(() -> new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate());
    static final JWKSet PUBLIC_KEYS = new JWKSet(List.of(RSA.toPublicJWK(), EC.toPublicJWK()));

    private Tokens() {
    }

    interface KeyMaker<T> {
        T make() throws JOSEException;
    }

    private static <T> T generate(KeyMaker<T> maker) {
        try {
            return maker.make();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A valid claims builder: issuer, audience, an hour to live, the given topics claim. */
    static JWTClaimsSet.Builder claims(Object topics) {
        return new JWTClaimsSet.Builder().subject("test-client").issuer(ISSUER).audience(AUDIENCE)
                .expirationTime(Date.from(Instant.now().plusSeconds(3600))).claim("topics", topics);
    }

    static String hs256(JWTClaimsSet claims) {
        return sign(new JWSHeader(JWSAlgorithm.HS256), claims, generate(() -> new MACSigner(SECRET)));
    }

    static String hs256(String secret, JWTClaimsSet claims) {
        return sign(new JWSHeader(JWSAlgorithm.HS256), claims, generate(() -> new MACSigner(secret)));
    }

    static String rs256(JWTClaimsSet claims) {
        return sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(RSA.getKeyID()).build(), claims, generate(() -> new RSASSASigner(RSA)));
    }

    static String es256(JWTClaimsSet claims) {
        return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(EC.getKeyID()).build(), claims, generate(() -> new ECDSASigner(EC)));
    }

    /** HS256 token granting the topics (names, aliases or patterns) with extra claims. */
    static String granting(List<String> topics, Map<String, Object> extra) {
        JWTClaimsSet.Builder claims = claims(topics);
        extra.forEach(claims::claim);
        return hs256(claims.build());
    }

    static String granting(String... topics) {
        return granting(List.of(topics), Map.of());
    }

    private static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }
}
