package io.cdchub.sink;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.sink.search.ElasticsearchSink;
import io.cdchub.testinfra.ElasticsearchServer;

/** The sink contract on a real Elasticsearch: the documents of {@code cdc-<table>}. */
class ElasticsearchSinkContractIT extends SinkContractIT {

    @Override
    String sink() {
        return ElasticsearchSink.NAME;
    }

    @Override
    String routeId() {
        return ElasticsearchSink.ROUTE_ID;
    }

    @Override
    Map<String, Map<String, String>> targetRows(String table, List<String> columns) {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        ElasticsearchServer.shared().documents("cdc-" + table).forEach((id, doc) -> {
            Map<String, String> values = new java.util.LinkedHashMap<>();
            for (String c : columns) {
                JsonNode value = doc.path(c);
                values.put(c, value.isMissingNode() || value.isNull() ? null : value.asText());
            }
            rows.put(id, values);
        });
        return rows;
    }

    @Override
    void stopTarget() {
        ElasticsearchServer.shared().stop();
    }

    @Override
    void startTarget() {
        ElasticsearchServer.shared().start();
    }
}
