package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Python errors, crashes, cancellation and bad input: each a clear error, never a hang or a dirty pooled worker. */
@ExtendWith(NoLeaks.class)
class RunnerFailureTest {
  static WorkerRegistry registry() {
    return WorkerRegistry.create(TestPython.config().build());
  }

  static PythonRunner udfRunner(WorkerRegistry registry, String body) {
    return PythonRunner.builder(registry)
        .udf(PythonUdf.of(new int[] {0}, TestPython.source("def f(x):\n" + body, "f"))).build();
  }

  static Iterator<Object[]> rows(long n) {
    return LongStream.range(0, n).mapToObj(i -> new Object[] {i}).iterator();
  }


  @ParameterizedTest
  @ValueSource(strings = {"ValueError('bad value %d' % x)", "SystemExit(3)", "KeyboardInterrupt()"})
  void exceptionInUdf_becomesPythonException_andTheWorkerIsReusedClean(String raised) {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = udfRunner(registry, "    if x == 500:\n        raise " + raised + "\n    return x\n");
        PythonRunner ok = udfRunner(registry, "    return x * 2\n")) {
      TaskResults<Object> out = runner.compute(rows(100_000), 0, TaskContext.of(0));
      int seen = 0;
      try {
        while (out.hasNext()) {
          out.next();
          seen++;
        }
        throw new AssertionError("no exception after " + seen + " results");
      } catch (PythonException e) {
        String type = raised.substring(0, raised.indexOf('('));
        assertThat(e.pythonType()).isEqualTo(type);
        assertThat(e.traceback()).contains("line 3, in f").contains(type);
        assertThat(e.getMessage()).contains("partition 0").contains(type);
        if (type.equals("ValueError")) assertThat(e.pythonMessage()).isEqualTo("bad value 500");
      } finally {
        out.close();
      }
      assertThat(seen).isLessThanOrEqualTo(500);
      WorkerStats afterFailure = registry.factories().iterator().next().stats();
      assertThat(afterFailure.idle()).as("the worker went back to the pool").isEqualTo(1);
      assertThat(afterFailure.killed()).isZero();
      TaskResults<Object> next = ok.compute(rows(3), 1, TaskContext.of(1));
      assertThat(drain(next)).containsExactly(0L, 2L, 4L);
      assertThat(next.metrics().reusedWorker()).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"os._exit(3)", "os.kill(os.getpid(), 9)", "ctypes.string_at(0)"})
  void workerCrash_givesCrashedErrorWithPidExitAndStderr(String crash) {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).faulthandler(true)
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "import os, sys, ctypes\ndef f(x):\n    if x == 10:\n        sys.stderr.write('about to crash\\n')\n"
                    + "        sys.stderr.flush()\n        " + crash + "\n    return x\n", "f")))
            .build()) {
      TaskResults<Object> out = runner.compute(rows(1000), 4, TaskContext.of(4));
      assertThatThrownBy(() -> drain(out))
          .isInstanceOf(WorkerCrashedException.class)
          .hasMessageContaining("Python worker exited unexpectedly (crashed): pid ")
          .hasMessageContaining("while running partition 4")
          .hasMessageContaining(crash.startsWith("os._exit") ? "exited with code 3"
              : crash.startsWith("os.kill") ? "killed by signal 9 (SIGKILL)" : "killed by signal 11 (SIGSEGV)")
          .hasMessageContaining("about to crash");
      if (crash.startsWith("ctypes")) {
        assertThatThrownBy(() -> drain(runner.compute(rows(1000), 4, TaskContext.of(4))))
            .hasMessageContaining("Python traceback (faulthandler)")
            .hasMessageContaining("Fatal Python error");
      }
      assertThat(registry.factories().iterator().next().stats().idle()).isZero();
    }
  }

  @Test
  void interruptedTask_isCancelledWithinTheKillTimeout_andItsWorkerKilled() throws Exception {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).killTimeout(Duration.ofMillis(300))
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "import time\ndef f(x):\n    if x == 5:\n        time.sleep(3600)\n    return x\n", "f")))
            .build()) {
      TaskContext ctx = TaskContext.of(0);
      TaskResults<Object> out = runner.compute(rows(10), 0, ctx);
      CompletableFuture<Throwable> reader = CompletableFuture.supplyAsync(() -> {
        try {
          drain(out);
          return null;
        } catch (Throwable t) {
          return t;
        }
      });
      ctx.interrupt("the test cancelled it");
      Throwable t = reader.get(10, TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(TaskCancelledException.class)
          .hasMessageContaining("interrupted (the test cancelled it)")
          .hasMessageContaining("was killed");
      assertThat(ctx.isCompleted()).isTrue();
      assertThat(registry.factories().iterator().next().stats().killed()).isEqualTo(1);
    }
  }

  @Test
  void resultsClosedEarly_killTheWorker_neverPoolIt() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = udfRunner(registry, "    return x\n")) {
      TaskResults<Object> out = runner.compute(rows(1_000_000), 0, TaskContext.of(0));
      assertThat(out.next()).isEqualTo(0L);
      out.close();
      WorkerStats s = registry.factories().iterator().next().stats();
      assertThat(s.killed()).isEqualTo(1);
      assertThat(s.idle()).isZero();
      assertThatThrownBy(out::next).isInstanceOf(java.util.NoSuchElementException.class);
    }
  }

  @Test
  void taskIdleTimeout_hasItsOwnError() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).taskIdleTimeout(Duration.ofMillis(500))
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "import time\ndef f(x):\n    time.sleep(3600)\n", "f"))).build()) {
      assertThatThrownBy(() -> drain(runner.compute(rows(1), 0, TaskContext.of(0))))
          .isInstanceOf(TaskIdleTimeoutException.class)
          .hasMessageContaining("for 500 ms (task idle timeout)");
    }
  }

  @Test
  void memoryLimit_turnsAHugeAllocationIntoMemoryError() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).memoryLimitMb(400)
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "def f(x):\n    return len(bytearray(2 * 1024 * 1024 * 1024))\n", "f"))).build()) {
      assertThatThrownBy(() -> drain(runner.compute(rows(1), 0, TaskContext.of(0))))
          .isInstanceOf(PythonException.class)
          .hasMessageContaining("MemoryError");
    }
  }

  @Test
  void badFunctions_explainThemselves() {
    try (WorkerRegistry registry = registry()) {
      assertThatThrownBy(() -> run(registry, TestPython.reference("no_such_module_xyz:f")))
          .isInstanceOf(PythonException.class).hasMessageContaining("no_such_module_xyz");
      assertThatThrownBy(() -> run(registry, TestPython.reference("math:pi")))
          .isInstanceOf(PythonException.class).hasMessageContaining("not callable");
      assertThatThrownBy(() -> run(registry, TestPython.source("def f(x):\n    return (x +\n", "f")))
          .isInstanceOf(PythonException.class).hasMessageContaining("SyntaxError").hasMessageContaining("line");
      assertThatThrownBy(() -> run(registry, TestPython.source("def g(x):\n    return x\n", "f")))
          .isInstanceOf(PythonException.class).hasMessageContaining("'f'");
      assertThatThrownBy(() -> run(registry, TestPython.source("def f(x):\n    return x\n", "f")
          .withPythonVersion("2.7")))
          .isInstanceOf(PythonException.class).hasMessageContaining("PythonVersionMismatch").hasMessageContaining("2.7");
    }
  }

  private static List<Object> run(WorkerRegistry registry, PythonFunction f) {
    try (PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, f)).build()) {
      return drain(runner.compute(rows(3), 0, TaskContext.of(0)));
    }
  }

  @Test
  void aWorkerThatLosesABatch_isAProtocolError_neverASilentDrop() {
    WorkerConfig config = TestPython.config().workerModule("fake_lossy_worker").build();
    try (WorkerRegistry registry = WorkerRegistry.create(config);
        PythonRunner runner = PythonRunner.builder(registry).batchSize(10)
            .udf(PythonUdf.of(new int[] {0}, TestPython.source("def f(x):\n    return x\n", "f"))).build()) {
      TaskResults<Object> out = runner.compute(rows(30), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessageContaining("without answering every input batch");
      assertThat(registry.factories().iterator().next().stats().idle()).as("not pooled").isZero();
    }
  }

  @Test
  void badInput_isAClearErrorNamingRowAndType() {
    try (WorkerRegistry registry = registry(); PythonRunner runner = udfRunner(registry, "    return x\n")) {
      List<Object> input = List.of(new Object[] {1L}, new Object[] {new Thread()});
      assertThatThrownBy(() -> drain(runner.compute(input.iterator(), 0, TaskContext.of(0))))
          .isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("row 1 column 0 holds a java.lang.Thread");
      List<Object> notRows = List.of("not a row");
      assertThatThrownBy(() -> drain(runner.compute(notRows.iterator(), 0, TaskContext.of(0))))
          .hasMessageContaining("rows must be Object[]");
    }
  }

  @Test
  void resultOfTheWrongType_namesUdfRowAndValue() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0},
            TestPython.source("def f(x):\n    return 'text' if x == 2 else x\n", "f").withReturnType(ReturnType.LONG)))
            .build()) {
      assertThatThrownBy(() -> drain(runner.compute(rows(5), 0, TaskContext.of(0))))
          .isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("UDF 0 returned a String (text) for row 2 but its return type is LONG");
    }
  }

  @Test
  void runnerSettings_outOfRange_areRejected() {
    try (WorkerRegistry registry = registry()) {
      PythonFunction f = TestPython.source("def f(x):\n    return x\n", "f");
      assertThatThrownBy(() -> PythonRunner.builder(registry).udfs(List.of(List.of(f), List.of(f)),
          List.of(new int[] {0})))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("2 UDFs but 1 argument offset groups");
      assertThatThrownBy(() -> PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, f)).batchSize(0).build())
          .hasMessageContaining("batchSize must be between 1 and 1000000, got 0");
      assertThatThrownBy(() -> PythonRunner.builder(registry).build())
          .hasMessageContaining("SQL_BATCHED_UDF needs 1 to 1000 UDFs, got 0");
      assertThatThrownBy(() -> PythonFunction.reference("nocolon")).hasMessageContaining("'module:function'");
      assertThatThrownBy(() -> PythonUdf.of(new int[] {-1}, f)).hasMessageContaining("offset -1 is negative");
    }
  }
}
