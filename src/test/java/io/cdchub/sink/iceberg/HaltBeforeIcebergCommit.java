package io.cdchub.sink.iceberg;

import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.core.env.Environment;

/**
 * For {@link IcebergCrashIT}'s child JVM only (named by {@code spring.main.sources}; deliberately no stereotype, so no test
 * context scans it): once the file named by {@value #TRIGGER} exists, the next Iceberg commit halts the JVM after its data
 * and delete files are written and before its {@code RowDelta} is committed, like a power cut (no shutdown hook runs).
 */
public class HaltBeforeIcebergCommit {

    public static final String TRIGGER = "cdc.test.iceberg-halt-trigger";
    public static final int HALTED = 97;

    public HaltBeforeIcebergCommit(IcebergSink sink, Environment environment) {
        Path trigger = Path.of(environment.getRequiredProperty(TRIGGER));
        sink.onFilesWritten(table -> {
            if (Files.exists(trigger)) {
                System.out.println("HaltBeforeIcebergCommit: files of " + table + " written, halting before the commit");
                System.out.flush();
                Runtime.getRuntime().halt(HALTED);
            }
        });
    }
}
