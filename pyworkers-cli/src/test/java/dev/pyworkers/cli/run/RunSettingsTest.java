package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The automatic partition size: a sixteenth of a worker's share in 64 KiB..2 MiB, but 4 per worker for small IN. */
class RunSettingsTest {
  static RunSettings settings(int workers, long partitionBytes) {
    Path p = Path.of("x");
    return new RunSettings(p, "f", p, p, InputFormat.JSONL, workers, 0, partitionBytes, "python3", false,
        Duration.ZERO, Duration.ZERO, new RecordRules(RecordRules.DEFAULT_MAX_RECORD_BYTES, false));
  }

  @Test
  void automaticSize_keepsLargeInputsAsBefore_andCutsSmallOnesIntoFourPartitionsPerWorker() {
    assertThat(settings(2, 0).partitionBytesFor(71_789_449)).as("the main job's input").isEqualTo(2L << 20);
    assertThat(settings(2, 0).partitionBytesFor(8L << 20)).isEqualTo(256L << 10);
    assertThat(settings(4, 0).partitionBytesFor(1L << 20)).isEqualTo(64L << 10);
    assertThat(settings(4, 0).partitionBytesFor(10_890)).isEqualTo(10_890 / 16);
    assertThat(settings(4, 0).partitionBytesFor(36)).as("down to one record each").isEqualTo(2);
    assertThat(settings(8, 0).partitionBytesFor(5)).isEqualTo(1);
    assertThat(settings(4, 0).partitionBytesFor(0)).as("size unknown, e.g. a pipe").isEqualTo(64L << 10);
    assertThat(settings(4, 2048).partitionBytesFor(10_890)).as("given: honoured").isEqualTo(2048);
  }

  @Test
  void givenSize_overTheLimit_isRejected() {
    assertThatThrownBy(() -> settings(1, RunSettings.MAX_PARTITION_BYTES + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 0 (automatic) and 67108864");
  }
}
