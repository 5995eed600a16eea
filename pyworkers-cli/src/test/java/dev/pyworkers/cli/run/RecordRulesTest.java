package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The default record size limit per worker count and heap, and how sizes are written. No processes. */
class RecordRulesTest {
  static final long MIB = 1L << 20;

  @ParameterizedTest(name = "{0} workers, {1} MiB heap: {2} MiB")
  @CsvSource({"1, 512, 16", "2, 512, 16", "5, 512, 16", "6, 490, 15", "8, 512, 12", "16, 512, 7", "100, 512, 1",
      "1024, 512, 1", "2, 64, 4", "2, 4096, 16"})
  void defaultLimit_fitsFourCopiesPerPartitionInTheHeap_atMost16MiB(int workers, long heapMib, long limitMib) {
    long limit = RecordRules.defaultMaxRecordBytes(workers, heapMib * MIB);
    assertThat(limit).isEqualTo(limitMib * MIB);
    if (limitMib > 1) assertThat((workers + 2) * 4L * limit).isLessThanOrEqualTo(heapMib * MIB);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"12|12 bytes", "1024|1.0 KiB (1024 bytes)", "1536|1.5 KiB (1536 bytes)",
      "16777216|16.0 MiB (16777216 bytes)", "4294967296|4.0 GiB (4294967296 bytes)"})
  void describe_writesTheSizeForAMessage(long bytes, String text) {
    assertThat(RecordRules.describe(bytes)).isEqualTo(text);
  }

  @ParameterizedTest
  @CsvSource({"1023", "268435457"})
  void limitOutsideItsRange_isRejected(long bytes) {
    assertThatThrownBy(() -> new RecordRules(bytes, false))
        .hasMessage("maxRecordBytes must be between 1024 and 268435456, got " + bytes);
  }
}
