package dev.pyworkers.arrow;


import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
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
    Path inFile = dir.resolve("in.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(inFile, input.isEmpty() ? ArrowData.schema() : input.get(0).getSchema(), input);
    ArrowData.writeStream(schemaFile, resultSchema, List.of());
    String spec = "{\"kind\": \"" + kind + "\", \"schema\": " + Oracles.json(schemaFile.toString())
        + ", \"source\": " + Oracles.json(source) + ", \"name\": " + Oracles.json(name) + ", \"offsets\": ["
        + Oracles.list(offsets) + "]}";
    Oracles.run(dir, "iter_oracle.py", spec, 120, inFile, outFile);
    Oracles.assertSameBatches(outFile, resultSchema, results, allocator);
  }
}
