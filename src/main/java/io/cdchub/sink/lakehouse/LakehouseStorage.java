package io.cdchub.sink.lakehouse;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;

/**
 * Where a lakehouse sink keeps its files, shared by every lakehouse sink (Iceberg's warehouse, the Parquet and Delta
 * sinks' paths): a local folder or an {@code s3://bucket/prefix} location on an S3-compatible store, checked at start-up
 * so that a bad value names its property. {@link LakehouseFileIO} opens an Iceberg {@code FileIO} on it, through which
 * every lakehouse sink writes its files.
 *
 * <p>Locations are kept as URIs without a trailing slash: {@code file:/abs/folder} or {@code s3://bucket/prefix}.
 * A relative local path is taken from the working directory, as the rest of cdc-hub's paths ({@code cdc.data-dir}).
 */
public final class LakehouseStorage {

    /** An S3 bucket name as S3 accepts it (DNS-compatible; no dots, so path-style and virtual-host style both work). */
    static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

    private final String property;
    private final String location;
    private final S3Settings s3;

    private LakehouseStorage(String property, String location, S3Settings s3) {
        this.property = property;
        this.location = location;
        this.s3 = s3;
    }

    /**
     * Checks and normalises a location.
     *
     * @param property the property holding it, e.g. {@code cdc.sink.iceberg.warehouse} (its sibling {@code s3.*}
     *                 properties are named from it in messages)
     * @param value    a local path ({@code ./data/lakehouse}, {@code /var/lib/lake}, {@code file:/...}) or {@code s3://bucket/prefix}
     * @param s3       how to reach the store when {@code value} is on S3 (checked only then)
     * @throws InvalidConfigurationException naming the property that is wrong
     */
    public static LakehouseStorage of(String property, String value, S3Settings s3) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationException(property, "must be set: a local folder or s3://bucket/prefix");
        }
        String trimmed = value.trim();
        if (trimmed.startsWith("s3://") || trimmed.startsWith("s3a://")) {
            URI uri;
            try {
                uri = URI.create(trimmed);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigurationException(property, "is not a valid s3:// location: '" + trimmed + "'");
            }
            String bucket = uri.getHost();
            if (bucket == null || !BUCKET.matcher(bucket).matches()) {
                throw new InvalidConfigurationException(property, "must name a bucket of 3-63 lower-case letters, digits or '-'"
                        + " (s3://bucket/prefix), but is '" + trimmed + "'");
            }
            if (uri.getQuery() != null || uri.getFragment() != null) {
                throw new InvalidConfigurationException(property, "must be s3://bucket/prefix without '?' or '#', but is '" + trimmed + "'");
            }
            S3Settings settings = s3 == null ? S3Settings.defaults() : s3;
            settings.validate(siblingPrefix(property) + ".s3");
            String prefix = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "").replaceAll("//+", "/");
            return new LakehouseStorage(property, "s3://" + bucket + prefix, settings);
        }
        if (trimmed.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*") && !trimmed.startsWith("file:")) {
            throw new InvalidConfigurationException(property, "must be a local folder or s3://bucket/prefix, but is '" + trimmed + "'");
        }
        Path path;
        try {
            path = trimmed.startsWith("file:") ? Path.of(URI.create(trimmed.startsWith("file://") ? trimmed : "file://" + trimmed.substring(5)))
                    : Path.of(trimmed);
        } catch (RuntimeException e) {
            throw new InvalidConfigurationException(property, "is not a usable local path: '" + trimmed + "'");
        }
        String absolute = path.toAbsolutePath().normalize().toString();
        return new LakehouseStorage(property, "file:" + (absolute.length() > 1 ? absolute.replaceAll("/+$", "") : absolute), null);
    }

    /** {@code cdc.sink.iceberg} for {@code cdc.sink.iceberg.warehouse}. */
    private static String siblingPrefix(String property) {
        int dot = property.lastIndexOf('.');
        return dot < 0 ? property : property.substring(0, dot);
    }

    /** The property this location was read from, for messages. */
    public String property() {
        return property;
    }

    public boolean isS3() {
        return s3 != null;
    }

    /** The location, {@code file:/abs/folder} or {@code s3://bucket/prefix}, without a trailing slash. */
    public String location() {
        return location;
    }

    /** The local folder; only for a local location. */
    public Path localPath() {
        if (isS3()) {
            throw new IllegalStateException(property + " is on S3, not a local folder");
        }
        return Path.of(location.substring("file:".length()));
    }

    /** The S3 settings; null for a local location. */
    public S3Settings s3() {
        return s3;
    }

    /** The S3 bucket; only for an S3 location. */
    public String bucket() {
        return URI.create(location).getHost();
    }

    /** A location under this one: {@code resolve("db", "table")} is {@code <location>/db/table}. */
    public String resolve(String... parts) {
        StringBuilder out = new StringBuilder(location);
        for (String part : parts) {
            out.append('/').append(part);
        }
        return out.toString();
    }

    /**
     * The Iceberg properties that make its {@code FileIO} (and a catalog's) reach this storage: for S3, S3FileIO's
     * endpoint, region, path style and keys. Holds the secret key: hand it to Iceberg, never log it.
     */
    public Map<String, String> icebergProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        if (!isS3()) {
            properties.put("io-impl", "org.apache.iceberg.hadoop.HadoopFileIO");
            return properties;
        }
        properties.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
        if (!s3.endpoint().isEmpty()) {
            properties.put("s3.endpoint", s3.endpoint());
        }
        properties.put("client.region", s3.region());
        properties.put("s3.path-style-access", String.valueOf(s3.pathStyleAccess()));
        if (s3.hasKeys()) {
            properties.put("s3.access-key-id", s3.accessKey());
            properties.put("s3.secret-access-key", s3.secretKey());
        }
        // Iceberg's "apache" client is the SDK's apache5-client (pom.xml); said here so that no other is looked for
        properties.put("http-client.type", "apache");
        return properties;
    }

    /** Where the files go, for logs: never with credentials. */
    @Override
    public String toString() {
        return isS3() ? location + " (" + s3 + ")" : location;
    }
}
