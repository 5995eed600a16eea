package dev.pyworkers.internal.runner;

import static dev.pyworkers.testing.Golden.golden;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.RecordFormat;
import dev.pyworkers.TaskContext;
import dev.pyworkers.internal.evaltype.batched.BatchedUdfCodec;
import dev.pyworkers.internal.evaltype.nonudf.NonUdfCodec;
import dev.pyworkers.spi.EvalTypeCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JVM's task header encoder against the golden files written by the Python test harness's own encoder. */
class TaskHeaderGoldenTest {
  static RunnerSpec spec(EvalTypeCodec codec, Map<String, String> conf, String files, Path faulthandler,
      TaskSettings settings) {
    return new RunnerSpec(codec, RunnerSpec.command(codec), Duration.ofSeconds(2), Duration.ZERO, conf, files,
        List.of(Path.of("/tmp")), faulthandler, 65536, settings);
  }

  static byte[] encode(RunnerSpec spec, int partition, String version, TaskContext ctx, List<String> includes,
      TaskHeader.Broadcasts broadcasts) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TaskHeader.write(new DataOutputStream(bytes), partition, version, ctx, spec, includes, broadcasts);
    return bytes.toByteArray();
  }

  @Test
  void sqlBatchedUdfHeader_matchesTheGoldenFile() throws IOException {
    PythonUdf inc = PythonUdf.of(new int[] {0}, PythonFunction.reference("udfs:inc"));
    PythonUdf addThenNeg = PythonUdf.of(new int[] {0, 0},
        PythonFunction.source("def add(a, b):\n    return a + b\n", "add"), PythonFunction.reference("operator:neg"));
    RunnerSpec spec = spec(BatchedUdfCodec.of(List.of(inc, addThenNeg), 1000), Map.of("k", "v"), "/tmp/files",
        Path.of("/tmp/fault"), new TaskSettings(512));
    TaskContext ctx = TaskContext.builder().stageId(3).partitionId(7).attemptNumber(1).taskAttemptId(42).cpus(2)
        .resources(Map.of("gpu", List.of("0", "1"))).localProperties(Map.of("who", "golden")).build();
    byte[] header = encode(spec, 7, "3.11", ctx, List.of("lib"),
        new TaskHeader.Broadcasts(List.of(3L), Map.of(4L, "/tmp/b4.pickle")));
    assertThat(header).isEqualTo(golden("task_header_udf.bin"));
  }

  @Test
  void nonUdfHeader_matchesTheGoldenFile() throws IOException {
    RunnerSpec spec = spec(NonUdfCodec.of(List.of(PythonFunction.reference("pyworkers.jobs:run")), RecordFormat.BYTES,
        RecordFormat.UTF8, 500), Map.of(), "", null, TaskSettings.NONE);
    TaskContext ctx = TaskContext.builder().stageId(0).partitionId(0).taskAttemptId(0).build();
    byte[] header = encode(spec, 0, "", ctx, List.of(), new TaskHeader.Broadcasts(List.of(), Map.of()));
    assertThat(header).isEqualTo(golden("task_header_non_udf.bin"));
  }
}
