package dev.linuximage.operator.health;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The recorded status fixtures are what the operator writes today (else re-record, and review the diff). */
class StatusFixturesTest {

    @Test
    void recordedFixturesAreTheOperatorsOutput() throws Exception {
        if (Boolean.getBoolean("linuximage.record-fixtures")) {
            StatusFixtures.record();
        }
        assertThat(StatusFixtures.recorded())
                .as("src/test/resources/status-fixtures differs from StatusAggregator's output; re-record with "
                        + "-Dlinuximage.record-fixtures=true and review the diff")
                .isEqualTo(new java.util.TreeMap<>(StatusFixtures.compute()));
    }
}
