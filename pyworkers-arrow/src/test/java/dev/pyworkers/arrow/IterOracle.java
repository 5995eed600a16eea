package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.TestPython;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Runs {@code iter_oracle.py}, the same iterator function over the same batches in one plain Python process, and
 * checks that the workers' result batches equal its batches one by one, in schema, row count and content.
 * Stateless.
 */
final class IterOracle {
  private IterOracle() {}

  static void assertMatches(Path dir, String kind, String source, String name, int[] offsets, Schema resultSchema,
      List<VectorSchemaRoot> input, List<Object> results, BufferAllocator allocator) throws Exception {
    Path oracle = dir.resolve("iter_oracle.py");
    try (InputStream in = IterOracle.class.getResourceAsStream("iter_oracle.py")) {
      Files.copy(in, oracle);
    }
    Path inFile = dir.resolve("in.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(inFile, input.isEmpty() ? ArrowData.schema() : input.get(0).getSchema(), input);
    ArrowData.writeStream(schemaFile, resultSchema, List.of());
    StringBuilder o = new StringBuilder();
    for (int x : offsets) o.append(o.length() == 0 ? "" : ", ").append(x);
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + json(schemaFile.toString()) + ", \"source\": "
        + json(source) + ", \"name\": " + json(name) + ", \"offsets\": [" + o + "]}";
    Path specFile = dir.resolve("spec.json");
    Files.writeString(specFile, spec);
    Process p = new ProcessBuilder(TestPython.executable(), oracle.toString(), specFile.toString(),
        inFile.toString(), outFile.toString()).redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the oracle ends").isTrue();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("oracle exit; output:\n" + log).isZero();
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    try (FileInputStream in = new FileInputStream(outFile.toFile());
        ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
      VectorSchemaRoot expected = reader.getVectorSchemaRoot();
      int i = 0;
      while (reader.loadNextBatch()) {
        assertThat(i).as("the worker gave fewer batches than the oracle").isLessThan(results.size());
        VectorSchemaRoot got = (VectorSchemaRoot) results.get(i);
        assertThat(got.getSchema()).isEqualTo(resultSchema);
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
