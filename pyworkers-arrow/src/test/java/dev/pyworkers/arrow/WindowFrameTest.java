package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.TestPython;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.OptionalInt;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;

/**
 * {@link WindowFrame}'s values, their checks and their bytes (docs/protocol.md section 7.7), and the checks of
 * {@link WindowAggCodec.Builder}. Starts no process.
 */
class WindowFrameTest {
  static byte[] bytes(WindowFrame f) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    f.write(new DataOutputStream(b));
    return b.toByteArray();
  }

  @Test
  void eachKind_writesItsKindAndItsTwoInts_andUnboundedEndsAreTheExtremeInts() throws IOException {
    assertThat(java.util.HexFormat.of().formatHex(bytes(WindowFrame.unbounded()))).isEqualTo("00000000");
    assertThat(java.util.HexFormat.of().formatHex(bytes(WindowFrame.rows(-2, 0))))
        .isEqualTo("00000001fffffffe00000000");
    assertThat(java.util.HexFormat.of().formatHex(bytes(WindowFrame.rowsUnboundedPreceding(0))))
        .isEqualTo("000000018000000000000000");
    assertThat(java.util.HexFormat.of().formatHex(bytes(WindowFrame.rowsUnboundedFollowing(1))))
        .isEqualTo("00000001000000017fffffff");
    assertThat(java.util.HexFormat.of().formatHex(bytes(WindowFrame.bounds(3, 4))))
        .isEqualTo("000000020000000300000004");
  }

  @Test
  void accessors_sayWhatTheFrameIs() {
    WindowFrame running = WindowFrame.rowsUnboundedPreceding(0);
    assertThat(running.kind()).isEqualTo(WindowFrame.Kind.ROWS);
    assertThat(running.start()).isEqualTo(OptionalInt.empty());
    assertThat(running.end()).isEqualTo(OptionalInt.of(0));
    assertThat(running).isEqualTo(WindowFrame.rowsUnboundedPreceding(0)).hasToString(
        "WindowFrame[rows unbounded preceding to 0]");
    WindowFrame bounds = WindowFrame.bounds(3, 4);
    assertThat(new int[] {bounds.lowerColumn(), bounds.upperColumn()}).containsExactly(3, 4);
    assertThat(bounds.start()).isEmpty();
    assertThat(WindowFrame.unbounded().lowerColumn()).isEqualTo(-1);
  }

  @Test
  void framesThatCannotBe_failNamingWhy() {
    assertThatThrownBy(() -> WindowFrame.rows(1, -1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a ROWS frame from 1 to -1 ends before it starts; give start <= end (offsets from the current"
            + " row, negative before it)");
    assertThatThrownBy(() -> WindowFrame.rows(Integer.MAX_VALUE, Integer.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lies wholly beyond the partition");
    assertThatThrownBy(() -> WindowFrame.rowsUnboundedPreceding(Integer.MIN_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WindowFrame.bounds(-1, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window bound columns -1 and 2 must be >= 0: they are column indices of the input batches");
  }

  @Test
  void aCodecWithoutUdfs_orWithNoRowsPerBatch_isRefused() {
    try (BufferAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> WindowAggCodec.builder(allocator).arrow())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("SQL_WINDOW_AGG_ARROW_UDF runs 1 to 1000 UDFs, got 0; add them with udf(ArrowUdf,"
              + " WindowFrame)");
      assertThatThrownBy(() -> WindowAggCodec.builder(allocator).maxRecordsPerBatch(0))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("maxRecordsPerBatch must be >= 1, got 0");
      WindowAggCodec codec = WindowAggCodec.builder(allocator)
          .udf(ArrowUdf.of(TestPython.source("def f(v):\n    return 1\n", "f"), new ArrowType.Int(64, true), 0),
              WindowFrame.bounds(1, 2)).pandas();
      assertThat(codec.evalType().code()).isEqualTo(203);
      assertThat(codec.frames()).containsExactly(WindowFrame.bounds(1, 2));
      assertThat(codec.resultSchema().getFields().get(0).getName()).isEqualTo("_0");
    }
  }
}
