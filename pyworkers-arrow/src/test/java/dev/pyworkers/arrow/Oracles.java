package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.TestPython;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What every oracle of the Arrow suites shares: running an oracle script of the test resources (the same function
 * over the same input in one plain Python process) on a JSON spec and Arrow stream files, reading its output
 * stream, and comparing the workers' results with it, batch by batch or row by row. Stateless.
 */
final class Oracles {
  private Oracles() {}

  /**
   * Copies the resource {@code script} into {@code dir}, writes {@code spec} to {@code dir/spec.json} and runs the
   * script with the spec file and {@code files} as arguments; fails unless it exits 0 within {@code timeoutSeconds},
   * with its output.
   */
  static void run(Path dir, String script, String spec, long timeoutSeconds, Path... files) throws Exception {
    Path oracle = dir.resolve(script);
    try (InputStream in = Oracles.class.getResourceAsStream(script)) {
      Files.copy(in, oracle, StandardCopyOption.REPLACE_EXISTING);
    }
    Path specFile = dir.resolve("spec.json");
    Files.writeString(specFile, spec);
    List<String> command = new ArrayList<>(List.of(TestPython.executable(), oracle.toString(), specFile.toString()));
    for (Path f : files) command.add(f.toString());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(timeoutSeconds, TimeUnit.SECONDS)).as("the oracle ends").isTrue();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("oracle exit; output:\n" + log).isZero();
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The rows of the stream {@code file}, as TSV without headers, one line per row. */
  static String rows(Path file, BufferAllocator allocator) throws Exception {
    return read(file, allocator).tsv();
  }

  /** A stream file's rows as TSV without headers, and how many there are. */
  private record Rows(String tsv, long count) {}

  private static Rows read(Path file, BufferAllocator allocator) throws Exception {
    StringBuilder tsv = new StringBuilder();
    long count = 0;
    try (FileInputStream in = new FileInputStream(file.toFile());
        ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        count += root.getRowCount();
        String batch = root.contentToTSVString();
        tsv.append(batch, batch.indexOf('\n') + 1, batch.length());
      }
    }
    return new Rows(tsv.toString(), count);
  }

  /**
   * Checks that {@code results} hold the rows of the stream {@code file}, in order, in batches of {@code schema} of
   * 1 to {@code maxRows} rows; returns the file's row count.
   */
  static long assertSameRows(Path file, Schema schema, int maxRows, List<Object> results, BufferAllocator allocator)
      throws Exception {
    Rows expected = read(file, allocator);
    long rows = 0;
    for (Object o : results) {
      VectorSchemaRoot got = (VectorSchemaRoot) o;
      assertThat(got.getSchema()).isEqualTo(schema);
      assertThat(got.getRowCount()).isBetween(1, maxRows);
      rows += got.getRowCount();
    }
    assertThat(rows).as("result rows").isEqualTo(expected.count());
    assertThat(GroupedData.rows(results)).isEqualTo(expected.tsv());
    return expected.count();
  }

  /** Checks that {@code results} equal the batches of the stream {@code file} one by one, in type and content. */
  static void assertSameBatches(Path file, Schema schema, List<Object> results, BufferAllocator allocator)
      throws Exception {
    try (FileInputStream in = new FileInputStream(file.toFile());
        ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
      VectorSchemaRoot expected = reader.getVectorSchemaRoot();
      int i = 0;
      while (reader.loadNextBatch()) {
        assertThat(i).as("the worker gave fewer batches than the oracle").isLessThan(results.size());
        VectorSchemaRoot got = (VectorSchemaRoot) results.get(i);
        assertThat(got.getSchema()).isEqualTo(schema);
        assertThat(got.getRowCount()).as("rows of batch " + i).isEqualTo(expected.getRowCount());
        if (!got.equals(expected)) {
          assertThat(got.contentToTSVString()).as("batch " + i).isEqualTo(expected.contentToTSVString());
          throw new AssertionError("batch " + i + " differs from the oracle's, though it prints the same");
        }
        i++;
      }
      assertThat(i).as("batches").isEqualTo(results.size());
    }
  }

  /** {@code values} as the inside of a JSON list: {@code 1, 2, 3}. */
  static String list(int... values) {
    StringBuilder b = new StringBuilder();
    for (int v : values) b.append(b.length() == 0 ? "" : ", ").append(v);
    return b.toString();
  }

  /** A UDF as the oracles' specs have it: {@code {"name": ..., "offsets": [...]}}, then {@code more} fields. */
  static String udf(ArrowUdf udf, String more) {
    return "{\"name\": " + json(udf.name()) + ", \"offsets\": [" + list(udf.argOffsets()) + "]" + more + "}";
  }

  /** {@code udfs} as the oracles' specs have them, the inside of a JSON list. */
  static String udfs(List<ArrowUdf> udfs) {
    StringBuilder b = new StringBuilder();
    for (ArrowUdf u : udfs) b.append(b.length() == 0 ? "" : ", ").append(udf(u, ""));
    return b.toString();
  }

  /** {@code s} as a JSON string. */
  static String json(String s) {
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
