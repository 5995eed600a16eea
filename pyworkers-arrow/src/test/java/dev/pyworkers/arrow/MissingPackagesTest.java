package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker whose Python has neither pyarrow nor pandas (a fresh virtual environment) fails the Arrow task with the
 * install hint, and serves the next task.
 */
@ExtendWith(NoLeaks.class)
class MissingPackagesTest {
  @TempDir static Path venv;
  static String bare;

  @BeforeAll
  static void makeABareVirtualEnvironment() throws Exception {
    Process p = new ProcessBuilder(TestPython.executable(), "-m", "venv", "--without-pip", venv.toString())
        .redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("venv is made").isTrue();
      assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).isZero();
    } finally {
      p.destroyForcibly();
    }
    bare = venv.resolve("bin/python").toString();
  }

  @Test
  void workerWithoutPyarrow_failsTheTaskWithTheInstallHint_andServesTheNextTask() {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.DAEMON).build());
        PythonRunner arrow = PythonRunner.builder(registry).pythonExecutable(bare)
            .evalType(ScalarArrowCodec.pandas(allocator, List.of(ArrowUdf.of(
                TestPython.source("def f(s):\n    return s\n", "f"), new ArrowType.Int(64, true), 0))))
            .build();
        PythonRunner rows = PythonRunner.builder(registry).pythonExecutable(bare)
            .udf(PythonUdf.of(new int[] {0}, TestPython.source("def g(x):\n    return x * 2\n", "g"))).build()) {
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 2, 3);
      TaskResults<Object> out = arrow.compute(input.iterator(), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOfSatisfying(PythonException.class, e -> {
        assertThat(e.pythonType()).isEqualTo("HandlerUnavailable");
        assertThat(e.pythonMessage()).contains("eval type 200").contains("needs module 'pyarrow'")
            .contains("pip install pyarrow");
      });
      out.close();
      ArrowData.closeAll(input);
      TaskResults<Object> next = rows.compute(List.<Object>of((Object) new Object[] {21}).iterator(), 1,
          TaskContext.of(1));
      assertThat(drain(next)).containsExactly(42L);
      assertThat(next.metrics().reusedWorker()).isTrue();
    }
  }
}
