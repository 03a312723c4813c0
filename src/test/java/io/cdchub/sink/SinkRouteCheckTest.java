package io.cdchub.sink;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.cdchub.testinfra.StartupFailures;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;

/** A user's sink route that names a sink this instance does not run stops start-up, naming the route and the sinks. */
class SinkRouteCheckTest {

    @Test
    void aRouteToAnUnknownSinkFailsStartUp() {
        List<String> args = new ArrayList<>(StartupFailures.VALID_SOURCE);
        args.add("--cdc.source.enabled=false");
        args.add("--cdc.sink.clickhouse.enabled=false");
        args.add("--cdc.sink.elasticsearch.enabled=false");
        String dir = Path.of("src/test/resources/unknown-sink-route").toAbsolutePath().toString();
        StartupFailures.assertStartFailsNaming(args, WebApplicationType.NONE, "cdc.routes.dir", dir,
                "holds route feed-to-nosuch, which writes to sink 'nosuch', but the sinks enabled in this instance are []");
    }
}
