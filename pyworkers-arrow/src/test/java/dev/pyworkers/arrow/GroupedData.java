package dev.pyworkers.arrow;


import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Input of the grouped suites, sorted by key column {@code k} (int64, nulls first: a null key is a group too), with
 * {@code s} (utf8, nulls) and {@code v} (float64, nulls), and the grouped oracle ({@code grouped_oracle.py}).
 * Stateless.
 */
final class GroupedData {
  static final Schema SCHEMA = new Schema(List.of(Field.nullable("k", new ArrowType.Int(64, true)),
      Field.nullable("s", ArrowType.Utf8.INSTANCE),
      Field.nullable("v", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));

  private GroupedData() {}

  /** One batch whose key for row r (counted over all batches from {@code first}) is {@code keys[first + r]}. */
  static VectorSchemaRoot batch(BufferAllocator allocator, Long[] keys, int first, int rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    root.allocateNew();
    BigIntVector k = (BigIntVector) root.getVector(0);
    VarCharVector s = (VarCharVector) root.getVector(1);
    Float8Vector v = (Float8Vector) root.getVector(2);
    for (int r = 0; r < rows; r++) {
      int i = first + r;
      if (keys[i] == null) k.setNull(r);
      else k.setSafe(r, keys[i]);
      if (i % 5 == 0) s.setNull(r);
      else s.setSafe(r, ("s" + i + (i % 3 == 0 ? "é" : "")).getBytes(StandardCharsets.UTF_8));
      if (i % 7 == 3) v.setNull(r);
      else v.setSafe(r, i / 4.0);
    }
    root.setRowCount(rows);
    return root;
  }

  /** Batches of {@code sizes} rows over {@code keys} in order. */
  static List<VectorSchemaRoot> batches(BufferAllocator allocator, Long[] keys, int... sizes) {
    return ArrowData.cut(keys.length, (first, rows) -> batch(allocator, keys, first, rows), sizes);
  }

  /**
   * The keys of the main data set: 3 null keys, 1,000 groups of 1 to 3 rows, then one group of 25,000 rows (longer
   * than the 10,000 of a batch: it is cut, and spans three input batches), then a last group of 4 rows.
   */
  static Long[] keys() {
    List<Long> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) keys.add(null);
    for (long g = 0; g < 1000; g++) {
      for (long r = 0; r <= g % 3; r++) keys.add(g);
    }
    for (int i = 0; i < 25_000; i++) keys.add(5000L);
    for (int i = 0; i < 4; i++) keys.add(5001L);
    return keys.toArray(new Long[0]);
  }

  /** Rows of the result batches as TSV, without headers, one line per row. */
  static String rows(List<?> batches) {
    StringBuilder b = new StringBuilder();
    for (Object o : batches) {
      String tsv = ((VectorSchemaRoot) o).contentToTSVString();
      b.append(tsv, tsv.indexOf('\n') + 1, tsv.length());
    }
    return b.toString();
  }

  /** Runs the oracle over {@code input} and checks that {@code results} hold its rows, in order, and schema. */
  static void assertMatchesOracle(Path dir, String kind, String source, String name, int[] keys, boolean keyArg,
      ColumnMatch match, List<Integer> groups, Schema resultSchema, List<VectorSchemaRoot> input,
      List<Object> results, BufferAllocator allocator) throws Exception {
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + Oracles.json(dir.resolve("schema.arrows").toString())
        + ", \"source\": " + Oracles.json(source) + ", \"name\": " + Oracles.json(name) + ", \"keys\": ["
        + Oracles.list(keys) + "], \"key_argument\": " + keyArg + ", \"by_name\": " + (match == ColumnMatch.BY_NAME)
        + ", \"groups\": " + (groups == null ? "null" : groups.toString()) + "}";
    runOracle(dir, spec, resultSchema, input, results, allocator);
  }

  /** The aggregate oracle: groups of equal {@code keys}, one row per group of the UDFs' values. */
  static void assertAggMatchesOracle(Path dir, String kind, String source, int[] keys, List<ArrowUdf> udfs,
      Schema resultSchema, List<VectorSchemaRoot> input, List<Object> results, BufferAllocator allocator)
      throws Exception {
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + Oracles.json(dir.resolve("schema.arrows").toString())
        + ", \"source\": " + Oracles.json(source) + ", \"udfs\": [" + Oracles.udfs(udfs) + "], \"keys\": ["
        + Oracles.list(keys) + "], \"key_argument\": false, \"by_name\": true, \"groups\": null}";
    runOracle(dir, spec, resultSchema, input, results, allocator);
  }

  private static void runOracle(Path dir, String spec, Schema resultSchema, List<VectorSchemaRoot> input,
      List<Object> results, BufferAllocator allocator) throws Exception {
    Path inFile = dir.resolve("in.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(inFile, SCHEMA, input);
    ArrowData.writeStream(dir.resolve("schema.arrows"), resultSchema, List.of());
    Oracles.run(dir, "grouped_oracle.py", spec, 120, inFile, outFile);
    Oracles.assertSameRows(outFile, resultSchema, GroupedMapCodec.DEFAULT_MAX_RECORDS_PER_BATCH, results,
        allocator);
  }
}
