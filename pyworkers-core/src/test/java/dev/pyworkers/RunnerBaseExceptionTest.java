package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The library path of what user code raises beyond {@code Exception}: a UDF or a NON_UDF function that raises
 * {@code KeyboardInterrupt}, {@code SystemExit} or {@code GeneratorExit} on one row gives a {@link PythonException}
 * for that task, with the rows before it delivered, and the same worker, back in the pool, runs the next task.
 */
@ExtendWith(NoLeaks.class)
class RunnerBaseExceptionTest {
  static Iterator<Object[]> rows(long n) {
    return LongStream.range(0, n).mapToObj(i -> new Object[] {i}).iterator();
  }

  @ParameterizedTest
  @ValueSource(strings = {"KeyboardInterrupt('row 700')", "SystemExit(3)", "SystemExit('row 700')",
      "GeneratorExit('row 700')"})
  void udfRaisingABaseException_isAPythonException_andTheWorkerServesTheNextTask(String raised) {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner failing = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, TestPython.source(
            "def f(x):\n    if x == 700:\n        raise " + raised + "\n    return x\n", "f"))).build();
        PythonRunner ok = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, TestPython.source(
            "import os\ndef f(x):\n    return os.getpid()\n", "f"))).build()) {
      List<Object> seen = new ArrayList<>();
      PythonException e = failure(failing.compute(rows(10_000), 0, TaskContext.of(0)), seen);
      assertRaised(e, raised, "line 3, in f");
      assertThat(seen).as("rows before the failing one").allSatisfy(v -> assertThat((Long) v).isLessThan(700));
      assertReused(registry, ok);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"KeyboardInterrupt('row 700')", "SystemExit(3)", "GeneratorExit('row 700')"})
  void nonUdfRaisingABaseException_isAPythonException_andTheWorkerServesTheNextTask(String raised) {
    PythonFunction gen = TestPython.source("def run(index, it):\n    for x in it:\n        if x == 'r700':\n"
        + "            raise " + raised + "\n        yield x\n", "run");
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner failing = PythonRunner.builder(registry).nonUdf(gen)
            .inputFormat(RecordFormat.UTF8).outputFormat(RecordFormat.UTF8).build();
        PythonRunner ok = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, TestPython.source(
            "import os\ndef f(x):\n    return os.getpid()\n", "f"))).build()) {
      Iterator<Object> in = IntStream.range(0, 10_000).mapToObj(i -> (Object) ("r" + i)).iterator();
      List<Object> seen = new ArrayList<>();
      PythonException e = failure(failing.compute(in, 0, TaskContext.of(0)), seen);
      assertRaised(e, raised, "line 4, in run");
      assertThat(seen).as("records before the failing one").allSatisfy(v -> assertThat(
          Integer.parseInt(((String) v).substring(1))).isLessThan(700));
      assertReused(registry, ok);
    }
  }

  private static PythonException failure(TaskResults<Object> out, List<Object> seen) {
    try (out) {
      while (out.hasNext()) seen.add(out.next());
    } catch (PythonException e) {
      return e;
    }
    throw new AssertionError("no PythonException after " + seen.size() + " results");
  }

  private static void assertRaised(PythonException e, String raised, String where) {
    String type = raised.substring(0, raised.indexOf('('));
    assertThat(e.pythonType()).isEqualTo(type);
    assertThat(e.pythonMessage()).isEqualTo(raised.contains("'") ? "row 700" : "3");
    assertThat(e.traceback()).contains(where).contains(type);
    assertThat(e.getMessage()).contains("partition 0").contains(type);
  }

  /** The failed task's worker went back to the pool unharmed and runs the next task. */
  private static void assertReused(WorkerRegistry registry, PythonRunner ok) {
    WorkerStats stats = registry.factories().iterator().next().stats();
    assertThat(stats.idle()).as("the worker went back to the pool").isEqualTo(1);
    assertThat(stats.killed()).isZero();
    TaskResults<Object> next = ok.compute(rows(3), 2, TaskContext.of(2));
    assertThat(drain(next)).hasSize(3);
    assertThat(next.metrics().reusedWorker()).isTrue();
  }
}
