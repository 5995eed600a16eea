package dev.pyworkers.arrow;


import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Input of the window suites and their oracle ({@code window_oracle.py}). Rows sorted by the partition key {@code
 * k} (int64, nulls first), with {@code s} (utf8, nulls), {@code v} (float64, nulls) and the caller's frame bounds
 * {@code lo}, {@code hi} (int32): rows in blocks of 4 of their partition share the frame of their block, as a RANGE
 * frame over an ordering column with ties does, and every seventh row has an empty frame. Stateless.
 */
final class WindowData {
  static final Schema SCHEMA = new Schema(List.of(Field.nullable("k", new ArrowType.Int(64, true)),
      Field.nullable("s", ArrowType.Utf8.INSTANCE),
      Field.nullable("v", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
      Field.nullable("lo", new ArrowType.Int(32, true)), Field.nullable("hi", new ArrowType.Int(32, true))));

  private WindowData() {}

  /**
   * The keys of the main data set: 3 null keys, 300 partitions of 1 to 3 rows, one partition of 9,000 rows (it
   * spans input batches and is cut), one of 1 row, one of 5.
   */
  static Long[] keys() {
    List<Long> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) keys.add(null);
    for (long g = 0; g < 300; g++) {
      for (long r = 0; r <= g % 3; r++) keys.add(g);
    }
    for (int i = 0; i < 9000; i++) keys.add(5000L);
    keys.add(5001L);
    for (int i = 0; i < 5; i++) keys.add(5002L);
    return keys.toArray(new Long[0]);
  }

  /** Batches of {@code sizes} rows over {@code keys} in order, partitions the runs of equal keys. */
  static List<VectorSchemaRoot> batches(BufferAllocator allocator, Long[] keys, int... sizes) {
    int[] index = new int[keys.length]; // row index in its partition
    int[] rows = new int[keys.length]; // its partition's row count
    for (int start = 0; start < keys.length; ) {
      int end = start + 1;
      while (end < keys.length && java.util.Objects.equals(keys[end], keys[start])) end++;
      for (int i = start; i < end; i++) {
        index[i] = i - start;
        rows[i] = end - start;
      }
      start = end;
    }
    return ArrowData.cut(keys.length, (first, n) -> batch(allocator, keys, index, rows, first, n), sizes);
  }

  private static VectorSchemaRoot batch(BufferAllocator allocator, Long[] keys, int[] index, int[] rows, int first,
      int n) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    root.allocateNew();
    BigIntVector k = (BigIntVector) root.getVector(0);
    VarCharVector s = (VarCharVector) root.getVector(1);
    Float8Vector v = (Float8Vector) root.getVector(2);
    IntVector lo = (IntVector) root.getVector(3);
    IntVector hi = (IntVector) root.getVector(4);
    for (int r = 0; r < n; r++) {
      int i = first + r;
      if (keys[i] == null) k.setNull(r);
      else k.setSafe(r, keys[i]);
      if (i % 5 == 0) s.setNull(r);
      else s.setSafe(r, ("s" + "x".repeat(i % 4) + i + (i % 3 == 0 ? "é" : "")).getBytes(StandardCharsets.UTF_8));
      if (i % 7 == 3) v.setNull(r);
      else v.setSafe(r, i / 4.0);
      int block = index[i] / 4 * 4;
      if (index[i] % 7 == 6) {
        lo.setSafe(r, index[i]);
        hi.setSafe(r, index[i]);
      } else {
        lo.setSafe(r, block);
        hi.setSafe(r, Math.min(rows[i], block + 4));
      }
    }
    root.setRowCount(n);
    return root;
  }

  /** A UDF's frame as the oracle's spec has it. */
  static String frameJson(WindowFrame f) {
    return switch (f.kind()) {
      case UNBOUNDED -> "[\"unbounded\"]";
      case ROWS -> "[\"rows\", " + (f.start().isPresent() ? f.start().getAsInt() : "null") + ", "
          + (f.end().isPresent() ? f.end().getAsInt() : "null") + "]";
      case BOUNDS -> "[\"bounds\", " + f.lowerColumn() + ", " + f.upperColumn() + "]";
    };
  }

  /**
   * Runs the oracle over {@code input} (partitions the runs of equal key column 0, or {@code groups} row counts)
   * and checks that {@code results} hold its rows, in order, in batches of at most the codec's maximum.
   */
  static void assertMatchesOracle(Path dir, String kind, String source, WindowAggCodec codec, List<Integer> groups,
      List<VectorSchemaRoot> input, List<Object> results, BufferAllocator allocator) throws Exception {
    Path inFile = dir.resolve("in.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(inFile, SCHEMA, input);
    ArrowData.writeStream(schemaFile, codec.resultSchema(), List.of());
    StringBuilder u = new StringBuilder();
    for (int i = 0; i < codec.udfs().size(); i++) {
      u.append(i == 0 ? "" : ", ")
          .append(Oracles.udf(codec.udfs().get(i), ", \"frame\": " + frameJson(codec.frames().get(i))));
    }
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + Oracles.json(schemaFile.toString())
        + ", \"source\": " + Oracles.json(source) + ", \"udfs\": [" + u + "], \"keys\": [0], \"groups\": "
        + (groups == null ? "null" : groups.toString()) + "}";
    Oracles.run(dir, "window_oracle.py", spec, 300, inFile, outFile);
    Oracles.assertSameRows(outFile, codec.resultSchema(), codec.maxRecordsPerBatch(), results, allocator);
  }
}
