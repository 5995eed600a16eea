package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.TestPython;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
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
    List<VectorSchemaRoot> out = new ArrayList<>();
    int first = 0;
    for (int n : sizes) {
      out.add(batch(allocator, keys, first, n));
      first += n;
    }
    assertThat(first).as("sizes cover the keys").isEqualTo(keys.length);
    return out;
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
    Path inFile = dir.resolve("in.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    ArrowData.writeStream(inFile, SCHEMA, input);
    ArrowData.writeStream(schemaFile, resultSchema, List.of());
    StringBuilder keyList = new StringBuilder();
    for (int k : keys) keyList.append(keyList.length() == 0 ? "" : ", ").append(k);
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + json(schemaFile.toString()) + ", \"source\": "
        + json(source) + ", \"name\": " + json(name) + ", \"keys\": [" + keyList + "], \"key_argument\": "
        + keyArg + ", \"by_name\": " + (match == ColumnMatch.BY_NAME) + ", \"groups\": "
        + (groups == null ? "null" : groups.toString()) + "}";
    runOracle(dir, spec, resultSchema, results, allocator);
  }

  /** The aggregate oracle: groups of equal {@code keys}, one row per group of the UDFs' values. */
  static void assertAggMatchesOracle(Path dir, String kind, String source, int[] keys, List<ArrowUdf> udfs,
      Schema resultSchema, List<VectorSchemaRoot> input, List<Object> results, BufferAllocator allocator)
      throws Exception {
    ArrowData.writeStream(dir.resolve("in.arrows"), SCHEMA, input);
    ArrowData.writeStream(dir.resolve("schema.arrows"), resultSchema, List.of());
    StringBuilder keyList = new StringBuilder();
    for (int k : keys) keyList.append(keyList.length() == 0 ? "" : ", ").append(k);
    StringBuilder u = new StringBuilder();
    for (ArrowUdf udf : udfs) {
      StringBuilder offsets = new StringBuilder();
      for (int o : udf.argOffsets()) offsets.append(offsets.length() == 0 ? "" : ", ").append(o);
      u.append(u.length() == 0 ? "" : ", ").append("{\"name\": ").append(json(udf.name()))
          .append(", \"offsets\": [").append(offsets).append("]}");
    }
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + json(dir.resolve("schema.arrows").toString())
        + ", \"source\": " + json(source) + ", \"udfs\": [" + u + "], \"keys\": [" + keyList
        + "], \"key_argument\": false, \"by_name\": true, \"groups\": null}";
    runOracle(dir, spec, resultSchema, results, allocator);
  }

  private static void runOracle(Path dir, String spec, Schema resultSchema, List<Object> results,
      BufferAllocator allocator) throws Exception {
    Path oracle = dir.resolve("grouped_oracle.py");
    if (!Files.exists(oracle)) {
      try (InputStream in = GroupedData.class.getResourceAsStream("grouped_oracle.py")) {
        Files.copy(in, oracle);
      }
    }
    Path inFile = dir.resolve("in.arrows");
    Path outFile = dir.resolve("out.arrows");
    Path specFile = dir.resolve("spec.json");
    Files.writeString(specFile, spec);
    Process p = new ProcessBuilder(TestPython.executable(), oracle.toString(), specFile.toString(),
        inFile.toString(), outFile.toString()).redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("the oracle ends").isTrue();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("oracle exit; output:\n" + log).isZero();
    } finally {
      p.destroyForcibly();
      p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    }
    StringBuilder expected = new StringBuilder();
    long expectedRows = 0;
    try (FileInputStream in = new FileInputStream(outFile.toFile());
        ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        expectedRows += root.getRowCount();
        String tsv = root.contentToTSVString();
        expected.append(tsv, tsv.indexOf('\n') + 1, tsv.length());
      }
    }
    long rows = 0;
    for (Object o : results) {
      VectorSchemaRoot got = (VectorSchemaRoot) o;
      assertThat(got.getSchema()).isEqualTo(resultSchema);
      assertThat(got.getRowCount()).isBetween(1, GroupedMapCodec.DEFAULT_MAX_RECORDS_PER_BATCH);
      rows += got.getRowCount();
    }
    assertThat(rows).as("result rows").isEqualTo(expectedRows);
    assertThat(rows(results)).isEqualTo(expected.toString());
  }

  private static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch == '\n') b.append("\\n");
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
