package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.pyworkers.TaskResults;
import java.io.FileOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.assertj.core.api.AbstractThrowableAssert;

/**
 * Test batches of every type of this slice, with nulls (every 7th row, and row 0 of each column at its own phase),
 * and the in-process oracle ({@code oracle.py}): the same functions over the same batches with plain pyarrow or
 * pandas in one Python process, whose result batches the suites compare with the workers'. Stateless.
 */
final class ArrowData {
  static final List<ArrowType> TYPES = List.of(
      new ArrowType.Int(8, true), new ArrowType.Int(16, true), new ArrowType.Int(32, true),
      new ArrowType.Int(64, true), new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
      new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), ArrowType.Bool.INSTANCE, ArrowType.Utf8.INSTANCE,
      ArrowType.Binary.INSTANCE, new ArrowType.Date(DateUnit.DAY), new ArrowType.Timestamp(TimeUnit.MICROSECOND, null),
      new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Berlin"), new ArrowType.Decimal(18, 2, 128));
  static final int INT64 = 3;
  static final int UTF8 = 7;

  private ArrowData() {}

  static Schema schema() {
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < TYPES.size(); i++) fields.add(new Field("c" + i, FieldType.nullable(TYPES.get(i)), null));
    return new Schema(fields);
  }

  /** A batch of {@code rows} rows of every type; {@code seed} varies the values between batches. */
  static VectorSchemaRoot batch(BufferAllocator allocator, int rows, int seed) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema(), allocator);
    root.allocateNew();
    List<FieldVector> v = root.getFieldVectors();
    for (int r = 0; r < rows; r++) {
      long x = (long) seed * 1_000_003L + r;
      for (int c = 0; c < v.size(); c++) {
        if ((r + c) % 7 == 0) {
          nullAt(v.get(c), r);
          continue;
        }
        switch (c) {
          case 0 -> ((TinyIntVector) v.get(c)).setSafe(r, (byte) (x % 100));
          case 1 -> ((SmallIntVector) v.get(c)).setSafe(r, (short) (x % 30_000));
          case 2 -> ((IntVector) v.get(c)).setSafe(r, (int) (x * 31 % 2_000_000_000L));
          case 3 -> ((BigIntVector) v.get(c)).setSafe(r, x * 1_000_000_007L);
          case 4 -> ((Float4Vector) v.get(c)).setSafe(r, x / 8.0f);
          case 5 -> ((Float8Vector) v.get(c)).setSafe(r, x / 3.0);
          case 6 -> ((BitVector) v.get(c)).setSafe(r, (int) (x % 2));
          case 7 -> ((VarCharVector) v.get(c)).setSafe(r, ("s" + x + (r % 3 == 0 ? "é" : "")).getBytes(StandardCharsets.UTF_8));
          case 8 -> ((VarBinaryVector) v.get(c)).setSafe(r, new byte[] {(byte) x, 0, (byte) (x >> 8)});
          case 9 -> ((DateDayVector) v.get(c)).setSafe(r, (int) (x % 40_000));
          case 10 -> ((TimeStampMicroVector) v.get(c)).setSafe(r, 1_700_000_000_000_000L + x * 1_000_001L);
          case 11 -> ((TimeStampMicroTZVector) v.get(c)).setSafe(r, 1_600_000_000_000_000L + x * 999_999L);
          case 12 -> ((DecimalVector) v.get(c)).setSafe(r, BigDecimal.valueOf(x * 7 - 5_000, 2));
          default -> throw new IllegalStateException("column " + c);
        }
      }
    }
    root.setRowCount(rows);
    return root;
  }

  private static void nullAt(FieldVector v, int r) {
    if (v instanceof VarCharVector s) s.setNull(r);
    else if (v instanceof VarBinaryVector b) b.setNull(r);
    else ((org.apache.arrow.vector.BaseFixedWidthVector) v).setNull(r);
  }

  static List<VectorSchemaRoot> batches(BufferAllocator allocator, int... sizes) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) out.add(batch(allocator, sizes[i], i));
    return out;
  }

  /** The batch of rows {@code first} to {@code first + rows - 1} of a data set. */
  interface RowRange {
    VectorSchemaRoot batch(int first, int rows);
  }

  /**
   * Batches of {@code sizes} rows cut in order from a data set of {@code total} rows by {@code range}; the sizes
   * must add up to {@code total}.
   */
  static List<VectorSchemaRoot> cut(int total, RowRange range, int... sizes) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    int first = 0;
    for (int n : sizes) {
      out.add(range.batch(first, n));
      first += n;
    }
    assertThat(first).as("sizes cover the keys").isEqualTo(total);
    return out;
  }

  /** An IPC stream file of {@code batches} (all of {@code schema}). */
  static void writeStream(Path file, Schema schema, List<VectorSchemaRoot> batches) throws IOException {
    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
      WriteChannel ch = new WriteChannel(Channels.newChannel(out));
      MessageSerializer.serialize(ch, schema);
      for (VectorSchemaRoot b : batches) {
        try (ArrowRecordBatch rb = new VectorUnloader(b).getRecordBatch()) {
          MessageSerializer.serialize(ch, rb);
        }
      }
      ch.writeIntLittleEndian(0xFFFFFFFF);
      ch.writeIntLittleEndian(0);
    }
  }

  /**
   * Runs the oracle over {@code input} and checks that {@code results} equal its result batches, one by one, in
   * type and content.
   */
  static void assertMatchesOracle(Path dir, String kind, String source, List<ArrowUdf> udfs, Schema resultSchema,
      List<VectorSchemaRoot> input, List<Object> results, BufferAllocator allocator) throws Exception {
    Path inFile = dir.resolve("in.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    Path outFile = dir.resolve("out.arrows");
    writeStream(inFile, input.isEmpty() ? schema() : input.get(0).getSchema(), input);
    writeStream(schemaFile, resultSchema, List.of());
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + Oracles.json(schemaFile.toString())
        + ", \"source\": " + Oracles.json(source) + ", \"udfs\": [" + Oracles.udfs(udfs) + "]}";
    Oracles.run(dir, "oracle.py", spec, 120, inFile, outFile);
    Oracles.assertSameBatches(outFile, resultSchema, results, allocator);
  }

  /**
   * Reads {@code out} until it throws, closes it and every result it gave, and returns an assertion on what it threw;
   * fails when it ends without throwing.
   */
  static AbstractThrowableAssert<?, ? extends Throwable> assertDrainFails(TaskResults<Object> out) {
    List<Object> got = new ArrayList<>();
    Throwable thrown;
    try {
      thrown = catchThrowable(() -> {
        while (out.hasNext()) got.add(out.next());
      });
    } finally {
      out.close();
      closeAll(got);
    }
    assertThat(thrown).as("the task fails, after " + got.size() + " results").isNotNull();
    return assertThat(thrown);
  }

  /**
   * Waits until the UDF has made {@code started} (it is inside the group or batch it blocks in), cancels {@code ctx},
   * and asserts that the task then ends in a TaskCancelledException naming the reason within 6 s (a kill timeout of 2
   * s and slack); closes the task and every result it gave.
   */
  static void assertCancelEndsTheTask(TaskResults<Object> out, dev.pyworkers.TaskContext ctx,
      java.nio.file.Path started) {
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .until(() -> java.nio.file.Files.exists(started));
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    long cancelled = System.nanoTime();
    ctx.interrupt("test cancel");
    assertDrainFails(out).isInstanceOf(dev.pyworkers.TaskCancelledException.class)
        .hasMessageContaining("test cancel");
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - cancelled)).isLessThan(java.time.Duration.ofSeconds(6));
  }

  static void closeAll(List<?> roots) {
    for (Object r : roots) {
      if (r instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }
}
