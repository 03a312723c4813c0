package io.cdchub.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TempDirs;
import io.cdchub.testinfra.TopicWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A quick measurement, not a test (off unless {@code -Dcdc.bench.heap=true}; bench/ has the real benchmark): heap per
 * WebSocket connection of a gateway-only app in this JVM. {@code cdc.bench.heap.connections} (500) clients in one
 * Python {@code websockets} process (a separate process, so only the server's heap is measured here; it offers
 * permessage-deflate as browsers do) each connect with a token and subscribe; used heap after full GCs before and
 * after, divided by the connections. Extra settings for the app: {@code cdc.bench.heap.settings=k=v,k=v}.
 */
@EnabledIfSystemProperty(named = "cdc.bench.heap", matches = "true")
class GatewayHeapPerConnectionIT {

    private static final String TOPIC = "gwheap.ticks";
    private static final String CLIENTS = """
            import asyncio, json, sys
            import websockets
            port, token, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
            async def one(sockets):
                ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/stream?token={token}", max_size=None)
                await ws.send(json.dumps({"action": "subscribe", "topics": [topic]}))
                while json.loads(await ws.recv()).get("type") != "subscribed":
                    pass
                sockets.append(ws)
            async def main():
                sockets = []
                for i in range(0, n, 50):
                    await asyncio.gather(*(one(sockets) for _ in range(min(50, n - i))))
                print("subscribed", len(sockets), flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                for ws in sockets:
                    await ws.close()
            asyncio.run(main())
            """;

    @Test
    void heapPerConnection() throws Exception {
        int connections = Integer.getInteger("cdc.bench.heap.connections", 500);
        TopicWriter.write(TOPIC, List.of(TopicWriter.Out.json("{\"id\":0}", "{\"op\":\"c\",\"after\":{\"id\":0}}")));
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.jwt.secret", Tokens.SECRET);
        settings.put("cdc.gateway.topics", TOPIC);
        // every client uses the same token (one subject): no per-subject limit here
        settings.put("cdc.gateway.max-connections-per-subject", "0");
        String extra = System.getProperty("cdc.bench.heap.settings", "");
        for (String setting : extra.split(",")) {
            if (setting.contains("=")) {
                settings.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
            }
        }
        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            Path script = TempDirs.create("cdc-hub-heap-").resolve("clients.py");
            Files.writeString(script, CLIENTS);
            long idle = usedAfterGc();
            Map<String, long[]> idleClasses = classHistogram();
            Process clients = new ProcessBuilder("/usr/bin/python3", script.toString(), String.valueOf(GatewayTestApps.port(app)),
                    Tokens.hs256(Tokens.claims(List.of(TOPIC)).build()), TOPIC, String.valueOf(connections))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                assertThat(line).isEqualTo("subscribed " + connections);
                long busy = usedAfterGc();
                System.out.printf("GATEWAY HEAP (%s): %d connections, used heap after GC %.1f MB idle -> %.1f MB, %.1f KB per connection%n",
                        extra.isEmpty() ? "defaults" : extra, connections, idle / 1048576.0, busy / 1048576.0, (busy - idle) / 1024.0 / connections);
                printGrowth(idleClasses, classHistogram(), connections);
                clients.getOutputStream().close();
                clients.waitFor();
            } finally {
                clients.destroy();
            }
        }
    }

    /** Class histogram of live objects (a full GC first): class name -> {instances, bytes}. */
    private static Map<String, long[]> classHistogram() throws Exception {
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Map<String, long[]> classes = new java.util.HashMap<>();
        for (String line : text.split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length >= 4 && columns[0].endsWith(":")) {
                classes.put(columns[3], new long[] {Long.parseLong(columns[1]), Long.parseLong(columns[2])});
            }
        }
        return classes;
    }

    /** The classes whose live bytes grew most with the connections, per connection: where the heap goes. */
    private static void printGrowth(Map<String, long[]> before, Map<String, long[]> after, int connections) {
        StringBuilder out = new StringBuilder("GATEWAY HEAP by class (growth per connection, largest first):\n");
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), new long[] {e.getValue()[0] - before.getOrDefault(e.getKey(), new long[2])[0],
                        e.getValue()[1] - before.getOrDefault(e.getKey(), new long[2])[1]}))
                .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                .limit(25)
                .forEach(e -> out.append(String.format("  %8.1f bytes %6.2f instances  %s%n", e.getValue()[1] / (double) connections,
                        e.getValue()[0] / (double) connections, e.getKey())));
        System.out.print(out);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
