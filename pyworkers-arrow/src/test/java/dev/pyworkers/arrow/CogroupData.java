package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Input of the cogrouped suites: the left side is {@link GroupedData}'s (k int64, s utf8, v float64), the right side
 * has a schema of its own, keyed by an int32 column: {@code id} (int32, nulls: a null key is a cogroup too),
 * {@code w} (float64, nulls), {@code tag} (utf8). Both are sorted by their key, nulls first. And the cogrouped oracle
 * ({@code cogrouped_oracle.py}). Stateless.
 */
final class CogroupData {
  static final Schema LEFT = GroupedData.SCHEMA;
  static final Schema RIGHT = new Schema(List.of(Field.nullable("id", new ArrowType.Int(32, true)),
      Field.nullable("w", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
      Field.nullable("tag", ArrowType.Utf8.INSTANCE)));

  private CogroupData() {}

  /** A right batch whose key for row r (counted over all batches from {@code first}) is {@code keys[first + r]}. */
  static VectorSchemaRoot right(BufferAllocator allocator, Integer[] keys, int first, int rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(RIGHT, allocator);
    root.allocateNew();
    IntVector id = (IntVector) root.getVector(0);
    Float8Vector w = (Float8Vector) root.getVector(1);
    VarCharVector tag = (VarCharVector) root.getVector(2);
    for (int r = 0; r < rows; r++) {
      int i = first + r;
      if (keys[i] == null) id.setNull(r);
      else id.setSafe(r, keys[i]);
      if (i % 6 == 1) w.setNull(r);
      else w.setSafe(r, -i / 8.0);
      tag.setSafe(r, ("t" + (i % 11)).getBytes(StandardCharsets.UTF_8));
    }
    root.setRowCount(rows);
    return root;
  }

  /** Right batches of {@code sizes} rows over {@code keys} in order. */
  static List<VectorSchemaRoot> rights(BufferAllocator allocator, Integer[] keys, int... sizes) {
    return ArrowData.cut(keys.length, (first, rows) -> right(allocator, keys, first, rows), sizes);
  }

  /**
   * The left keys of the main data set: 2 null keys, keys 0 to 999 with {@code g % 3} rows each (none for a third
   * of them: their cogroups have an empty left side), then key 5000 with 25,000 rows (longer than a batch of 10,000:
   * cut, and over several input batches) and key 5001 with 4 rows (no right rows).
   */
  static Long[] leftKeys() {
    List<Long> keys = new ArrayList<>();
    for (int i = 0; i < 2; i++) keys.add(null);
    for (long g = 0; g < 1000; g++) {
      for (long r = 0; r < g % 3; r++) keys.add(g);
    }
    for (int i = 0; i < 25_000; i++) keys.add(5000L);
    for (int i = 0; i < 4; i++) keys.add(5001L);
    return keys.toArray(new Long[0]);
  }

  /**
   * The right keys of the main data set: 3 null keys, keys 0 to 999 with 1 or 2 rows each except every fourth (an
   * empty right side, or no cogroup at all where the left has none either), key 5000 with 12,000 rows, and key 6000
   * with 2 rows (no left rows).
   */
  static Integer[] rightKeys() {
    List<Integer> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) keys.add(null);
    for (int g = 0; g < 1000; g++) {
      int rows = g % 4 == 1 ? 0 : 1 + g % 2;
      for (int r = 0; r < rows; r++) keys.add(g);
    }
    for (int i = 0; i < 12_000; i++) keys.add(5000);
    for (int i = 0; i < 2; i++) keys.add(6000);
    return keys.toArray(new Integer[0]);
  }

  /** The number of cogroups of the main data set: keys with a row on either side. */
  static int mainCogroups() {
    java.util.Set<Object> keys = new java.util.HashSet<>();
    for (Long k : leftKeys()) keys.add(k == null ? "null" : k);
    for (Integer k : rightKeys()) keys.add(k == null ? "null" : (long) k);
    return keys.size();
  }

  /**
   * Runs the oracle over both sides and checks that {@code results} hold its rows, in order, and schema, in batches
   * of 1 to 10,000 rows. {@code cogroups} is null (the oracle cogroups by key) or each cogroup's [left, right] row
   * counts.
   */
  static void assertMatchesOracle(Path dir, String kind, String source, String name, boolean keyArg,
      ColumnMatch match, List<List<Integer>> cogroups, Schema resultSchema, List<VectorSchemaRoot> left,
      List<VectorSchemaRoot> right, List<Object> results, BufferAllocator allocator) throws Exception {
    Path leftFile = dir.resolve("left.arrows");
    Path rightFile = dir.resolve("right.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(leftFile, LEFT, left);
    ArrowData.writeStream(rightFile, RIGHT, right);
    ArrowData.writeStream(schemaFile, resultSchema, List.of());
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + Oracles.json(schemaFile.toString())
        + ", \"source\": " + Oracles.json(source) + ", \"name\": " + Oracles.json(name)
        + ", \"left_keys\": [0], \"right_keys\": [0], \"key_argument\": " + keyArg + ", \"by_name\": "
        + (match == ColumnMatch.BY_NAME) + ", \"cogroups\": " + (cogroups == null ? "null" : cogroups.toString())
        + "}";
    Oracles.run(dir, "cogrouped_oracle.py", spec, 120, leftFile, rightFile, outFile);
    long expectedRows = Oracles.assertSameRows(outFile, resultSchema,
        CogroupedMapCodec.DEFAULT_MAX_RECORDS_PER_BATCH, results, allocator);
    assertThat(expectedRows).as("the oracle's rows").isPositive();
  }
}
