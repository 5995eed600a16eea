package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A UDF that starts {@code sleep 1000} in a new session (so it left the worker's process group) does not leave it
 * running once its worker ends, for every way a worker ends: the task done without reuse, recycled, evicted, killed
 * by the task idle timeout, the registry closed (also with a daemon too stuck to stop), the JVM SIGKILLed.
 * {@link NoLeaks} then finds nothing: the sleeper inherits the marker variable, and the check counts every marked
 * process, not only Python ones.
 */
@ExtendWith(NoLeaks.class)
class ProcessLifetimeTest {
  private static final Duration GONE_WITHIN = Duration.ofSeconds(2);
  private static final String SPAWN = "import subprocess\n"
      + "def spawn(x):\n"
      + "    return subprocess.Popen(['sleep', '1000'], start_new_session=True).pid\n";

  private static PythonUdf spawner() {
    return PythonUdf.of(new int[] {0}, TestPython.source(SPAWN, "spawn").withReturnType(ReturnType.LONG));
  }

  private static List<Object> oneRow() {
    return List.of((Object) new Object[] {1L});
  }

  /** Live processes of this test run whose command line is {@code sleep 1000}. */
  static List<Long> sleepers() {
    return NoLeaks.markedProcesses().stream().filter(ProcessLifetimeTest::isSleeper).toList();
  }

  private static boolean isSleeper(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
          .equals("sleep\u00001000\u0000");
    } catch (IOException e) {
      return false; // it ended while we looked
    }
  }

  private static void awaitGone(long pid, String after) {
    await("sleeper pid " + pid + " ends within " + GONE_WITHIN.toMillis() + " ms after " + after)
        .atMost(GONE_WITHIN)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !NoLeaks.markedProcesses().contains(pid));
  }

  static Stream<Arguments> workerEndsAfterItsTask() {
    return Stream.of(
        Arguments.of("simple worker, ended after its task", (UnaryOperator<WorkerConfig.Builder>) b ->
            b.mode(WorkerMode.SIMPLE)),
        Arguments.of("daemon worker without reuse", (UnaryOperator<WorkerConfig.Builder>) b ->
            b.reuseWorkers(false)),
        Arguments.of("daemon worker recycled after 1 task", (UnaryOperator<WorkerConfig.Builder>) b ->
            b.maxTasksPerWorker(1)),
        Arguments.of("daemon worker evicted after 100 ms idle", (UnaryOperator<WorkerConfig.Builder>) b ->
            b.idleTimeout(Duration.ofMillis(100))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("workerEndsAfterItsTask")
  void workerEndingAfterItsTask_takesTheProcessItsUdfStartedAlong(String how, UnaryOperator<WorkerConfig.Builder> c) {
    try (WorkerRegistry registry = WorkerRegistry.create(c.apply(TestPython.config()).build());
        PythonRunner runner = PythonRunner.builder(registry).udf(spawner()).build()) {
      long sleeper = (Long) drain(runner.compute(oneRow().iterator(), 0, TaskContext.of(0))).get(0);
      await("the sleeper's worker ends (" + how + ") and the sleeper with it")
          .atMost(GONE_WITHIN.plusSeconds(1))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !NoLeaks.markedProcesses().contains(sleeper));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.pyworkers.FactoryBehaviourTest#allVariants")
  void pooledOrNot_closingTheRegistry_leavesNoProcessTheUdfStarted(WorkerMode mode, Transport transport) {
    long sleeper;
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(mode).transport(transport).build());
        PythonRunner runner = PythonRunner.builder(registry).udf(spawner()).build()) {
      sleeper = (Long) drain(runner.compute(oneRow().iterator(), 0, TaskContext.of(0))).get(0);
      if (mode == WorkerMode.DAEMON) {
        // The worker waits in the pool, so what its task started still runs, and the leak check sees it. Popen
        // returns once the exec has begun, and /proc/<pid>/environ may still be empty for a moment after that.
        await("the leak check sees the sleeper of the pooled worker").atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(20)).until(() -> NoLeaks.markedProcesses().contains(sleeper));
      }
    }
    awaitGone(sleeper, "the registry closed");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.pyworkers.FactoryBehaviourTest#allVariants")
  void workerKilledByTheTaskIdleTimeout_takesTheProcessItsUdfStartedAlong(WorkerMode mode, Transport transport) {
    PythonUdf stuck = PythonUdf.of(new int[] {0}, TestPython.source(
        "import subprocess, time\ndef f(x):\n    subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
            + "    time.sleep(3600)\n", "f"));
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(mode).transport(transport).build());
        PythonRunner runner = PythonRunner.builder(registry).taskIdleTimeout(Duration.ofMillis(500)).udf(stuck)
            .build()) {
      assertThatThrownBy(() -> drain(runner.compute(oneRow().iterator(), 0, TaskContext.of(0))))
          .isInstanceOf(TaskIdleTimeoutException.class);
      await("the sleeper of the killed worker ends").atMost(GONE_WITHIN).pollInterval(Duration.ofMillis(20))
          .until(() -> sleepers().isEmpty());
    }
  }

  @Test
  void daemonThatDoesNotStopWithinStopTimeout_isKilledWithEveryProcessBelowIt() throws Exception {
    WorkerRegistry registry = WorkerRegistry.create(TestPython.config().stopTimeout(Duration.ofMillis(300)).build());
    long sleeper;
    try (registry; PythonRunner runner = PythonRunner.builder(registry).udf(spawner()).build()) {
      sleeper = (Long) drain(runner.compute(oneRow().iterator(), 0, TaskContext.of(0))).get(0);
      long worker = ProcessHandle.of(sleeper).flatMap(ProcessHandle::parent).orElseThrow().pid();
      long daemon = ProcessHandle.of(worker).flatMap(ProcessHandle::parent).orElseThrow().pid();
      // A stopped daemon cannot act on its closed stdin: the JVM must SIGKILL it and everything below it.
      assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(daemon)).start().waitFor()).isZero();
    }
    awaitGone(sleeper, "the registry closed and SIGKILLed the stopped daemon");
  }

  @Test
  void leakCheck_countsAMarkedProcessThatIsNotPython() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sleep", "1000");
    pb.environment().put(TestPython.MARKER, TestPython.RUN_ID);
    Process sleep = pb.start();
    try {
      await("the leak check sees a marked sleep").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
          .until(() -> NoLeaks.markedProcesses().contains(sleep.pid()));
      assertThat(sleepers()).contains(sleep.pid());
    } finally {
      sleep.destroyForcibly();
      assertThat(sleep.waitFor(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void childJvmKilledWithSigkill_leavesNoProcessThatItsUdfsStarted() throws Exception {
    Process child = TestPython.childJvm(
        ChildJvm.class, TestPython.executable(), TestPython.RUN_ID, TestPython.FAKES.toString()).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(r.readLine()).isEqualTo("READY");
      // One sleeper below the pooled daemon worker, one below the simple worker still inside its task.
      await("both sleepers run").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
          .until(() -> sleepers().size() == 2);
      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
      await("no sleeper runs 2 s after the JVM was SIGKILLed").atMost(GONE_WITHIN).pollInterval(Duration.ofMillis(20))
          .until(() -> sleepers().isEmpty());
    } finally {
      child.destroyForcibly();
    }
  }

  /**
   * Run in a child JVM: a daemon worker that started a sleeper waits in the pool, a simple worker starts one and
   * stays inside its task; prints READY, then waits to be killed.
   */
  public static final class ChildJvm {
    public static void main(String[] args) throws Exception {
      WorkerConfig base = TestPython.config().build();
      WorkerRegistry daemonMode = WorkerRegistry.create(base);
      WorkerRegistry simpleMode = WorkerRegistry.create(base.toBuilder().mode(WorkerMode.SIMPLE).build());
      java.util.Map<String, String> env = java.util.Map.of(TestPython.MARKER, args[1], "PYTHONPATH", args[2]);
      PythonRunner pooled = PythonRunner.builder(daemonMode).udf(PythonUdf.of(new int[] {0},
          PythonFunction.source(SPAWN, "spawn").withEnv(env).withPythonExecutable(args[0])
              .withReturnType(ReturnType.LONG))).build();
      drain(pooled.compute(oneRow().iterator(), 0, TaskContext.of(0)));
      PythonRunner stuck = PythonRunner.builder(simpleMode).udf(PythonUdf.of(new int[] {0}, PythonFunction.source(
          "import subprocess, time\ndef f(x):\n    subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
              + "    time.sleep(3600)\n", "f").withEnv(env).withPythonExecutable(args[0]))).build();
      Thread task = new Thread(() -> drain(stuck.compute(oneRow().iterator(), 1, TaskContext.of(1))), "child-task");
      task.setDaemon(true);
      task.start();
      System.out.println("READY");
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }
}
