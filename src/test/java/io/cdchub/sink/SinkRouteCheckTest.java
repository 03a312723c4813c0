package io.cdchub.sink;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.cdchub.testinfra.StartupFailures;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;

/**
 * A user's sink route that names a sink this instance does not run, or a transform that is not declared, stops start-up
 * naming the route; so does a transform that does not compile.
 */
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

    @Test
    void aRouteNamingAnUndeclaredTransformFailsStartUp() {
        List<String> args = new ArrayList<>(StartupFailures.VALID_SOURCE);
        args.add("--cdc.source.enabled=false");
        args.add("--cdc.sink.transforms.declared.operation-field=_cdc_operation");
        String dir = Path.of("src/test/resources/unknown-transform-route").toAbsolutePath().toString();
        StartupFailures.assertStartFailsNaming(args, WebApplicationType.NONE, "cdc.routes.dir", dir,
                "holds route feed-with-nosuch-transform, whose parameter transforms names 'nosuch', which is not declared under"
                        + " cdc.sink.transforms (declared: [declared])");
    }

    @Test
    void aTransformThatDoesNotCompileFailsStartUpNamingWhereItWasSet() {
        List<String> args = new ArrayList<>(StartupFailures.VALID_SOURCE);
        args.add("--cdc.source.enabled=false");
        StartupFailures.assertStartFailsNaming(args, WebApplicationType.NONE, "cdc.sink.transforms.t.derive.full_name", ".first_name +",
                "(set in \"cdc.sink.transforms.t.derive.full_name\" from property source \"commandLineArgs\") does not compile as jq");
    }
}
