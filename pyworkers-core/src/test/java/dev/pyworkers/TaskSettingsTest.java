package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-task settings travel in the task header (docs/protocol.md 5.1), not in the worker environment: tasks that
 * differ only in cpus or memory limit share one factory, one daemon and one pooled worker, and each sees its own.
 */
@ExtendWith(NoLeaks.class)
class TaskSettingsTest {
  private static final long MiB = 1024 * 1024;
  private static final PythonFunction DESCRIBE = TestPython.source(
      "import os, resource\n"
          + "def f(x):\n"
          + "    soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
          + "    names = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS')\n"
          + "    threads = [os.environ.get(v) for v in names]\n"
          + "    return [os.getpid(), soft, hard] + threads\n", "f");

  @SuppressWarnings("unchecked")
  private static List<Object> describe(PythonRunner runner, int partition, int cpus) {
    TaskContext ctx = TaskContext.builder().partitionId(partition).cpus(cpus).build();
    List<Object> out = drain(runner.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), partition, ctx));
    assertThat(out).hasSize(1);
    return (List<Object>) out.get(0);
  }

  @Test
  void tasksWithOtherCpusAndMemoryLimits_shareOneDaemonAndOnePooledWorker_andEachSeesItsOwn() {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.DAEMON).build());
        PythonRunner small = PythonRunner.builder(registry).memoryLimitMb(3000)
            .udf(PythonUdf.of(new int[] {0}, DESCRIBE)).build();
        PythonRunner large = PythonRunner.builder(registry).memoryLimitMb(5000)
            .udf(PythonUdf.of(new int[] {0}, DESCRIBE)).build();
        PythonRunner unlimited = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, DESCRIBE)).build()) {
      List<Object> a = describe(small, 0, 2);
      List<Object> b = describe(large, 1, 3);
      List<Object> c = describe(unlimited, 2, 1);
      List<Object> d = describe(small, 3, 4);
      Object hard = a.get(2);
      assertThat(a).containsExactly(a.get(0), 3000 * MiB, hard, "2", "2", "2");
      assertThat(b).containsExactly(a.get(0), 5000 * MiB, hard, "3", "3", "3");
      assertThat(c).containsExactly(a.get(0), hard, hard, "1", "1", "1");
      assertThat(d).containsExactly(a.get(0), 3000 * MiB, hard, "4", "4", "4");
      assertThat(registry.factories()).hasSize(1);
      WorkerStats stats = registry.factories().iterator().next().stats();
      assertThat(stats.forked()).isEqualTo(1);
      assertThat(stats.reused()).isEqualTo(3);
      assertThat(stats.daemonRestarts()).isZero();
    }
  }

  @Test
  void aTaskOverItsMemoryLimit_failsWithMemoryError_andTheNextTaskOnTheSameWorkerHasNoLimit() {
    PythonFunction huge = TestPython.source(
        "import os\ndef f(x):\n    return len(bytearray(2 * 1024 * 1024 * 1024))\n", "f");
    // an anonymous mapping counts against RLIMIT_AS but touches no memory
    PythonFunction map = TestPython.source(
        "import mmap, os\ndef f(x):\n    m = mmap.mmap(-1, 1024 * 1024 * 1024)\n    m.close()\n"
            + "    return os.getpid()\n", "f");
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.DAEMON).build());
        PythonRunner limited = PythonRunner.builder(registry).memoryLimitMb(400)
            .udf(PythonUdf.of(new int[] {0}, huge)).build();
        PythonRunner free = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, map)).build()) {
      TaskResults<Object> failed = limited.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 0,
          TaskContext.of(0));
      assertThatThrownBy(() -> drain(failed)).isInstanceOf(PythonException.class).hasMessageContaining("MemoryError");
      List<Object> pid = drain(free.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 1,
          TaskContext.of(1)));
      assertThat(registry.factories()).hasSize(1);
      WorkerStats stats = registry.factories().iterator().next().stats();
      assertThat(stats.forked()).isEqualTo(1);
      assertThat(stats.reused()).isEqualTo(1);
      assertThat(pid).hasSize(1);
    }
  }
}
