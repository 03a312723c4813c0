package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.connect.runtime.standalone.StandaloneConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rule that keeps offsets behind Kafka: nothing is committed past a change that is still in flight or failed. */
class PublishLedgerTest {

    private final CamelContext camel = new DefaultCamelContext();

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    @Test
    void offsetsWaitForEveryRegisteredChangeUpToTheMark() throws Exception {
        PublishLedger ledger = PublishLedger.forEngine("ledger-wait");
        Exchange first = registered(ledger);
        Exchange second = registered(ledger);
        long mark = ledger.lastRegistered();
        Exchange later = registered(ledger);

        assertThat(ledger.awaitPublished(mark, Duration.ofMillis(20))).contains("2 changes not yet acknowledged");

        complete(ledger, second);
        assertThat(ledger.awaitPublished(mark, Duration.ofMillis(20))).as("first still in flight").isNotNull();

        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return ledger.awaitPublished(mark, Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        complete(ledger, first);
        assertThat(waiting.get()).as("settled up to the mark; a later change does not hold it back").isNull();
        assertThat(ledger.inFlight()).isEqualTo(1);
        complete(ledger, later);
        assertThat(ledger.inFlight()).isZero();
    }

    @Test
    void aFailedChangeBlocksOffsetsUntilResetAndTriggersRecoveryOnce() throws Exception {
        PublishLedger ledger = PublishLedger.forEngine("ledger-fail");
        AtomicInteger recoveries = new AtomicInteger();
        ledger.onFailure(recoveries::incrementAndGet);
        Exchange failing = registered(ledger);
        Exchange other = registered(ledger);

        failing.setException(new IllegalStateException("broker said no"));
        finish(failing);
        other.setException(new IllegalStateException("again"));
        finish(other);

        assertThat(ledger.failed()).isTrue();
        assertThat(recoveries).hasValue(1);
        assertThat(ledger.awaitPublished(ledger.lastRegistered(), Duration.ofSeconds(1))).contains("publishing failed").contains("broker said no");

        ledger.reset();
        assertThat(ledger.awaitPublished(ledger.lastRegistered(), Duration.ofMillis(10))).isNull();
    }

    @Test
    void offsetStoreRefusesToWriteWhileChangesAreUnacknowledged() throws Exception {
        PublishLedger ledger = PublishLedger.forEngine("ledger-store");
        AckGatedOffsetStore store = new AckGatedOffsetStore() {
            @Override
            protected org.apache.kafka.connect.storage.OffsetBackingStore createDelegate(Map<String, String> workerConfig) {
                return io.debezium.embedded.KafkaConnectUtil.memoryOffsetBackingStore();
            }
        };
        store.configure(new StandaloneConfig(Map.of("name", "ledger-store", "bootstrap.servers", "unused:1",
                "key.converter", "org.apache.kafka.connect.json.JsonConverter", "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                "offset.storage.file.filename", "unused", "offset.flush.timeout.ms", "100")));
        store.start();
        Exchange inFlight = registered(ledger);
        AtomicInteger errors = new AtomicInteger();

        var refused = store.set(Map.of(java.nio.ByteBuffer.wrap(new byte[] {1}), java.nio.ByteBuffer.wrap(new byte[] {2})),
                (error, result) -> errors.incrementAndGet());

        assertThat(((CompletableFuture<Void>) refused).isCompletedExceptionally()).isTrue();
        assertThat(errors).hasValue(1);
        assertThat(store.get(java.util.List.of(java.nio.ByteBuffer.wrap(new byte[] {1}))).get().get(java.nio.ByteBuffer.wrap(new byte[] {1}))).isNull();

        complete(ledger, inFlight);
        store.set(Map.of(java.nio.ByteBuffer.wrap(new byte[] {1}), java.nio.ByteBuffer.wrap(new byte[] {2})), (error, result) -> { }).get();
        assertThat(store.get(java.util.List.of(java.nio.ByteBuffer.wrap(new byte[] {1}))).get().get(java.nio.ByteBuffer.wrap(new byte[] {1})))
                .isEqualTo(java.nio.ByteBuffer.wrap(new byte[] {2}));
        store.stop();
    }

    private Exchange registered(PublishLedger ledger) {
        Exchange exchange = new DefaultExchange(camel);
        ledger.register(exchange);
        ledger.settleOnCompletion(exchange);
        return exchange;
    }

    private static void complete(PublishLedger ledger, Exchange exchange) {
        finish(exchange);
    }

    /** What Camel does when an exchange's unit of work ends: run its on-completion callbacks. */
    private static void finish(Exchange exchange) {
        org.apache.camel.support.UnitOfWorkHelper.doneSynchronizations(exchange, exchange.getExchangeExtension().handoverCompletions());
    }
}
