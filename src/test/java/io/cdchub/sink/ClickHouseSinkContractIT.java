package io.cdchub.sink;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.sink.clickhouse.ClickHouseSink;
import io.cdchub.testinfra.ClickHouseServer;

/** The sink contract on a real ClickHouse: rows of {@code <table>_current}. */
class ClickHouseSinkContractIT extends SinkContractIT {

    @Override
    String sink() {
        return ClickHouseSink.NAME;
    }

    @Override
    String routeId() {
        return ClickHouseSink.ROUTE_ID;
    }

    @Override
    Map<String, Map<String, String>> targetRows(String table, List<String> columns) {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        for (Map<String, String> row : ClickHouseSinkIT.chRows("SELECT id, " + String.join(", ", columns) + " FROM " + CLICKHOUSE_DB + "." + table + "_current")) {
            Map<String, String> values = new java.util.LinkedHashMap<>();
            columns.forEach(c -> values.put(c, row.get(c)));
            rows.put(row.get("id"), values);
        }
        return rows;
    }

    @Override
    void stopTarget() {
        ClickHouseServer.shared().stop();
    }

    @Override
    void startTarget() {
        ClickHouseServer.shared().start();
    }
}
