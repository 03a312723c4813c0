package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The share of a commit's time spent waiting for acknowledgements: the rest is kept for writing the offsets. */
class AckGatedOffsetStoreTest {

    @Test
    void waitsForAcknowledgementsForMostOfTheCommitTimeout() {
        assertThat(AckGatedOffsetStore.ackWait(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(25));
        assertThat(AckGatedOffsetStore.ackWait(Duration.ofSeconds(8))).isEqualTo(Duration.ofSeconds(6));
        assertThat(AckGatedOffsetStore.ackWait(Duration.ofSeconds(1))).isEqualTo(Duration.ofMillis(750));
    }
}
