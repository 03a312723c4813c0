package io.cdchub.sink.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.sink.SinkUnavailableException;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the index templates of {@code cdc.sink.elasticsearch.templates} (one {@code <name>.json} per composable
 * template, e.g. config/elasticsearch/) into Elasticsearch before the sink's first write, so the indices the
 * sink creates get their settings and mappings. Unchanged templates are simply put again.
 */
public class IndexTemplates {

    private static final Logger LOG = LoggerFactory.getLogger(IndexTemplates.class);

    private final RestClient client;
    private final List<Path> files;
    private volatile boolean installed;

    public IndexTemplates(RestClient client, String folder) {
        this.client = client;
        this.files = files(folder);
        this.installed = files.isEmpty();
    }

    private static List<Path> files(String folder) {
        if (folder == null || folder.isBlank()) {
            return List.of();
        }
        Path dir = Path.of(folder);
        if (!Files.isDirectory(dir)) {
            throw new InvalidConfigurationException("cdc.sink.elasticsearch.templates", "must name a folder of index templates, but " + dir.toAbsolutePath() + " is not one");
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new InvalidConfigurationException("cdc.sink.elasticsearch.templates", "cannot be read: " + e.getMessage());
        }
    }

    /** @throws SinkUnavailableException when Elasticsearch cannot take them now (the batch is retried) */
    public void installOnce() {
        if (installed) {
            return;
        }
        synchronized (this) {
            if (installed) {
                return;
            }
            for (Path file : files) {
                String name = file.getFileName().toString().replaceFirst("\\.json$", "");
                try {
                    Request request = new Request("PUT", "/_index_template/" + name);
                    request.setEntity(new NStringEntity(Files.readString(file), ContentType.APPLICATION_JSON));
                    client.performRequest(request);
                    LOG.info("Index template {} put from {}", name, file);
                } catch (IOException e) {
                    throw new SinkUnavailableException("Cannot put index template " + name + " from " + file + ": " + e.getMessage(), e);
                }
            }
            installed = true;
        }
    }
}
