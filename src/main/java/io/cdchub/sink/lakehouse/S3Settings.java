package io.cdchub.sink.lakehouse;

import java.net.URI;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a lakehouse sink reaches an S3-compatible store ({@code cdc.sink.<sink>.s3.*}), used only when its warehouse or
 * path is an {@code s3://bucket/prefix} location. Every field is optional: without an endpoint the SDK's AWS endpoint
 * for the region is used, without keys the SDK's default credentials chain (environment, profile, instance role).
 *
 * @param endpoint        the store's address, http or https (MinIO, Ceph, s3proxy...); empty for AWS itself
 * @param region          the region the client signs for; S3-compatible stores accept any, {@code us-east-1} by convention
 * @param accessKey       access key id; empty for the SDK's default credentials chain
 * @param secretKey       secret access key (never logged, never in {@link #toString()})
 * @param pathStyleAccess address buckets as {@code endpoint/bucket} rather than {@code bucket.endpoint}: what most
 *                        S3-compatible stores need
 */
public record S3Settings(
        @DefaultValue("") String endpoint,
        @DefaultValue("us-east-1") String region,
        @DefaultValue("") String accessKey,
        @DefaultValue("") String secretKey,
        @DefaultValue("true") boolean pathStyleAccess) {

    public S3Settings {
        endpoint = endpoint == null ? "" : endpoint.trim();
        region = region == null ? "" : region.trim();
        accessKey = accessKey == null ? "" : accessKey;
        secretKey = secretKey == null ? "" : secretKey;
    }

    /** No endpoint, the default region, the default credentials chain. */
    public static S3Settings defaults() {
        return new S3Settings("", "us-east-1", "", "", true);
    }

    /** Checks the settings; {@code prefix} is the property prefix, e.g. {@code cdc.sink.iceberg.s3}. */
    public void validate(String prefix) {
        if (!endpoint.isEmpty()) {
            try {
                URI uri = URI.create(endpoint);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new IllegalArgumentException();
                }
            } catch (RuntimeException e) {
                throw new InvalidConfigurationException(prefix + ".endpoint", "must be an http:// or https:// address, but is '" + endpoint + "'");
            }
        }
        if (region.isEmpty()) {
            throw new InvalidConfigurationException(prefix + ".region", "must be set (S3-compatible stores accept us-east-1)");
        }
        if (accessKey.isEmpty() != secretKey.isEmpty()) {
            throw new InvalidConfigurationException(accessKey.isEmpty() ? prefix + ".access-key" : prefix + ".secret-key",
                    "must be set together with " + (accessKey.isEmpty() ? prefix + ".secret-key" : prefix + ".access-key")
                            + " (or leave both empty for the AWS SDK's default credentials chain)");
        }
    }

    public boolean hasKeys() {
        return !accessKey.isEmpty();
    }

    /** The settings without the secret: safe for logs and messages. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + (endpoint.isEmpty() ? "(AWS)" : endpoint) + ", region=" + region + ", accessKey="
                + (accessKey.isEmpty() ? "(default chain)" : accessKey) + ", secretKey=" + (secretKey.isEmpty() ? "" : "****")
                + ", pathStyleAccess=" + pathStyleAccess + "]";
    }
}
