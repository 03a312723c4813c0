package io.cdchub.aggregation;

/** What a consumer's pipeline does with a completed window. */
public enum JobType {
    /** Apply the window's net row changes to a JDBC connection (upserts and deletes, one transaction). */
    SYNC,
    /** POST a JSON summary of the window to an http(s) connection. */
    WEBHOOK;

    public String apiName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
