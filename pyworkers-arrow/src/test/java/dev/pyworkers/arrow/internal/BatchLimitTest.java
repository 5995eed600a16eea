package dev.pyworkers.arrow.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Rows per slice: the record limit, or fewer by the batch's average row size, never below one row. */
class BatchLimitTest {
  @Test
  void rowsPerSlice_isTheRecordLimit_orWhatFitsTheByteLimit_atLeastOne() {
    try (BufferAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(Field.nullable("x",
            new ArrowType.Int(64, true)))), allocator)) {
      BigIntVector v = (BigIntVector) root.getVector(0);
      v.allocateNew(1000);
      for (int i = 0; i < 1000; i++) v.set(i, i);
      root.setRowCount(1000);
      long perRow = (v.getBufferSize() + 999L) / 1000; // 8 bytes of value and a bit of validity, rounded up
      assertThat(new BatchLimit(10_000, 64L << 20).rowsPerSlice(root)).isEqualTo(10_000);
      assertThat(new BatchLimit(100, 64L << 20).rowsPerSlice(root)).isEqualTo(100);
      assertThat(new BatchLimit(10_000, 800).rowsPerSlice(root)).isEqualTo((int) (800 / perRow));
      assertThat(new BatchLimit(10_000, 1).rowsPerSlice(root)).isEqualTo(1);
    }
    assertThatThrownBy(() -> new BatchLimit(0, 1)).hasMessage("maxRecordsPerBatch must be >= 1, got 0");
    assertThatThrownBy(() -> new BatchLimit(1, 0)).hasMessage("maxBytesPerBatch must be >= 1, got 0");
  }
}
