package dev.pyworkers.spark.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

class PendingRowsTest {
  @Test
  void oneWriterAndOneReaderSeeEveryRowOnceInOrderAcrossChunks() throws Exception {
    int n = PendingRows.CHUNK * 300 + 7;
    PendingRows rows = new PendingRows();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < n; i++) rows.add(new GenericInternalRow(new Object[] {(long) i}));
      } catch (Throwable t) {
        failed.set(t);
      }
    });
    writer.start();
    int next = 0;
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (next < n && System.nanoTime() < deadline) {
      InternalRow r = rows.poll();
      if (r == null) continue;
      assertThat(r.getLong(0)).isEqualTo(next);
      next++;
    }
    writer.join(10_000);
    assertThat(failed.get()).isNull();
    assertThat(next).isEqualTo(n);
    assertThat(rows.poll()).as("nothing more after the last row").isNull();
  }

  @Test
  void aKeptRowStaysWhenTheRowItCameFromIsReused() {
    UnsafeProjection project = UnsafeProjection.create(new DataType[] {DataTypes.LongType, DataTypes.StringType});
    UnsafeRow first = project.apply(new GenericInternalRow(new Object[] {1L, UTF8String.fromString("one")}));
    InternalRow kept = PendingRows.keep(first);
    UnsafeRow reused = project.apply(new GenericInternalRow(new Object[] {2L, UTF8String.fromString("two!")}));
    assertThat(reused).isSameAs(first); // the projection writes every row into one buffer
    assertThat(kept.getLong(0)).isEqualTo(1L);
    assertThat(kept.getUTF8String(1).toString()).isEqualTo("one");
    // any other row is copied by Spark's own copy
    InternalRow generic = PendingRows.keep(new GenericInternalRow(new Object[] {3L, null}));
    assertThat(generic.getLong(0)).isEqualTo(3L);
    assertThat(generic.isNullAt(1)).isTrue();
  }
}
