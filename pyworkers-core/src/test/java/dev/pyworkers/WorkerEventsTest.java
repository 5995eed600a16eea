package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.events.DaemonStarted;
import dev.pyworkers.events.DaemonStopped;
import dev.pyworkers.events.TaskFailed;
import dev.pyworkers.events.TaskFinished;
import dev.pyworkers.events.TaskStarted;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.events.WorkerEventListener;
import dev.pyworkers.events.WorkerReleased;
import dev.pyworkers.events.WorkerReused;
import dev.pyworkers.events.WorkerStarted;
import dev.pyworkers.testing.EventLog;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The registry's {@link WorkerEventListener}: every pool, daemon and task event, with its reason and counts, paired
 * as its contract says, on the thread it names; and a listener that throws changes nothing.
 */
@ExtendWith(NoLeaks.class)
class WorkerEventsTest {
  private static final PythonFunction INC = TestPython.source(
      "import os\n"
          + "def f(x):\n"
          + "    if x == -1:\n"
          + "        raise ValueError('minus one')\n"
          + "    if x == -2:\n"
          + "        os._exit(3)\n"
          + "    return x + 1\n", "f");

  private static Iterator<Object> rows(long... values) {
    List<Object> rows = new ArrayList<>();
    for (long v : values) rows.add(new Object[] {v});
    return rows.iterator();
  }

  private static long[] range(int n) {
    return IntStream.range(0, n).asLongStream().toArray();
  }

  @Test
  void aDaemonRun_reportsEachTaskWithItsWorker_andTheCloseEndsEveryPair() {
    EventLog log = new EventLog();
    long daemonPid;
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.DAEMON).build(), log);
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      assertThat(drain(runner.compute(rows(range(100)), 0, TaskContext.of(0)))).hasSize(100);
      assertThat(drain(runner.compute(rows(range(50)), 1, TaskContext.of(1)))).hasSize(50);
      assertThatThrownBy(() -> drain(runner.compute(rows(1, 2, -1, 4), 2, TaskContext.of(2))))
          .isInstanceOf(PythonException.class);
      assertThatThrownBy(() -> drain(runner.compute(rows(1, -2, 3), 3, TaskContext.of(3))))
          .isInstanceOf(WorkerCrashedException.class);
      daemonPid = log.of(DaemonStarted.class).get(0).pid();
      assertThat(log.pairingProblems(false)).as(log.toString()).isEmpty();
    }
    assertThat(log.pairingProblems(true)).as(log.toString()).isEmpty();

    List<Object> ev = log.events();
    // task 1: started, then its worker forked (the daemon's start first), then finished
    assertThat(ev.get(0)).isInstanceOfSatisfying(TaskStarted.class, t -> {
      assertThat(t.taskId()).isEqualTo(1);
      assertThat(t.partition()).isZero();
      assertThat(t.evalType()).isEqualTo(EvalType.SQL_BATCHED_UDF);
      assertThat(t.environment().executable()).isEqualTo(TestPython.executable());
    });
    assertThat(ev.get(1)).isInstanceOfSatisfying(DaemonStarted.class, d -> {
      assertThat(d.isRestart()).isFalse();
      assertThat(d.pythonVersion()).startsWith("3.");
      assertThat(d.startTime()).isPositive();
    });
    WorkerStarted started = (WorkerStarted) ev.get(2);
    assertThat(started.forked()).isTrue();
    assertThat(started.daemonPid()).isEqualTo(daemonPid);
    assertThat(started.taskId()).isEqualTo(1);
    assertThat(ev.get(3)).isInstanceOfSatisfying(WorkerReleased.class, r -> {
      assertThat(r.pid()).isEqualTo(started.pid());
      assertThat(r.tasksServed()).isEqualTo(1);
      assertThat(r.idleWorkers()).isEqualTo(1);
    });
    TaskFinished first = (TaskFinished) ev.get(4);
    assertThat(first.taskId()).isEqualTo(1);
    assertThat(first.metrics().recordsIn()).isEqualTo(100);
    assertThat(first.metrics().recordsOut()).isEqualTo(100);
    assertThat(first.metrics().workerPid()).isEqualTo(started.pid());
    assertThat(first.metrics().reusedWorker()).isFalse();
    assertThat(first.metrics().bytesToPython()).isPositive();
    assertThat(first.metrics().bytesFromPython()).isPositive();
    assertThat(first.elapsed()).isPositive();

    // task 2 reuses the worker; task 3's Python exception keeps it; task 4's crash kills it
    WorkerReused reused = log.of(WorkerReused.class).get(0);
    assertThat(reused.pid()).isEqualTo(started.pid());
    assertThat(reused.task()).isEqualTo(2);
    assertThat(reused.taskId()).isEqualTo(2);
    TaskFinished second = log.of(TaskFinished.class).get(1);
    assertThat(second.metrics().reusedWorker()).isTrue();
    assertThat(second.metrics().recordsIn()).isEqualTo(50);
    assertThat(second.metrics().bytesFromPython()).isLessThan(first.metrics().bytesFromPython());

    List<TaskFailed> failed = log.of(TaskFailed.class);
    assertThat(failed).hasSize(2);
    assertThat(failed.get(0).taskId()).isEqualTo(3);
    assertThat(failed.get(0).error()).isInstanceOf(PythonException.class);
    assertThat(failed.get(0).workerPid()).isEqualTo(started.pid());
    assertThat(failed.get(0).bytesToPython()).isPositive();
    assertThat(failed.get(1).taskId()).isEqualTo(4);
    assertThat(failed.get(1).error()).isInstanceOf(WorkerCrashedException.class);
    assertThat(log.of(WorkerReused.class)).extracting(WorkerReused::taskId).containsExactly(2L, 3L, 4L);

    List<WorkerEnded> ended = log.of(WorkerEnded.class);
    assertThat(ended).hasSize(1);
    assertThat(ended.get(0).pid()).isEqualTo(started.pid());
    assertThat(ended.get(0).reason()).isEqualTo(WorkerEnded.Reason.KILLED);
    assertThat(ended.get(0).detail()).contains("its output failed");
    assertThat(ended.get(0).tasksServed()).isEqualTo(4);
    DaemonStopped stopped = log.of(DaemonStopped.class).get(0);
    assertThat(stopped.pid()).isEqualTo(daemonPid);
    assertThat(stopped.reason()).isEqualTo(DaemonStopped.Reason.CLOSED);
    assertThat(ev.get(ev.size() - 1)).isSameAs(stopped);
  }

  @Test
  void bytesEachWay_countWhatCrossedTheSocket() {
    EventLog log = new EventLog();
    PythonFunction echo = TestPython.source("def run(i, it):\n    for r in it:\n        yield r + b'!'\n", "run");
    List<Object> input = new ArrayList<>();
    long payload = 0;
    for (int i = 0; i < 1000; i++) {
      byte[] b = ("record " + i).getBytes(StandardCharsets.UTF_8);
      input.add(b);
      payload += 4 + b.length;
    }
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build(), log);
        PythonRunner runner = PythonRunner.builder(registry).nonUdf(echo)
            .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES).build()) {
      assertThat(drain(runner.compute(input.iterator(), 0, TaskContext.of(0)))).hasSize(1000);
    }
    TaskMetrics m = log.of(TaskFinished.class).get(0).metrics();
    // each record is one length-prefixed frame each way (plus one byte of '!' back); around them only the header
    // (with the pickled function) goes in, and only timing and the end-of-stream exchange come back
    assertThat(m.bytesToPython()).isBetween(payload, payload + 64 * 1024);
    assertThat(m.bytesFromPython()).isBetween(payload + 1000, payload + 1000 + 256);
  }

  @Test
  void poolEvents_nameEachReasonAWorkerEnds() {
    EventLog log = new EventLog();
    WorkerConfig config = TestPython.config().mode(WorkerMode.DAEMON).idlePoolSize(1).maxTasksPerWorker(2).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config, log)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker a = factory.create();
      PythonWorker b = factory.create();
      factory.release(a);
      factory.release(b);  // the pool holds one: a is pushed out
      PythonWorker again = factory.create();
      assertThat(again.pid()).isEqualTo(b.pid());
      factory.release(again);  // its second task: recycled
      PythonWorker c = factory.create();
      factory.stop(c);
      PythonWorker d = factory.create();
      factory.release(d);
      ProcessHandle.of(d.pid()).orElseThrow().destroyForcibly();
      FactoryBehaviourTest.awaitDead(d.pid());
      PythonWorker e = factory.create();  // finds d dead
      assertThat(e.pid()).isNotEqualTo(d.pid());
      factory.release(e);  // stays idle until the close
      assertThat(log.pairingProblems(false)).as(log.toString()).isEmpty();
    }
    assertThat(log.pairingProblems(true)).as(log.toString()).isEmpty();
    List<WorkerEnded> ended = log.of(WorkerEnded.class);
    assertThat(ended).extracting(WorkerEnded::reason).containsExactly(
        WorkerEnded.Reason.EVICTED_POOL_FULL, WorkerEnded.Reason.RECYCLED, WorkerEnded.Reason.STOPPED,
        WorkerEnded.Reason.FOUND_DEAD, WorkerEnded.Reason.CLOSED);
    assertThat(ended.get(0).detail()).contains("idlePoolSize = 1");
    assertThat(ended.get(1).detail()).contains("maxTasksPerWorker = 2");
    assertThat(ended.get(1).tasksServed()).isEqualTo(2);
    assertThat(ended.get(3).detail()).isEqualTo("it was dead");
    assertThat(ended.get(4).detail()).contains("registry is closed");
    assertThat(log.of(WorkerStarted.class)).allMatch(w -> w.taskId() == 0 && w.forked());
  }

  @Test
  void idleEviction_isReportedFromAKillerThread() {
    EventLog log = new EventLog();
    WorkerConfig config = TestPython.config().idleTimeout(Duration.ofMillis(200)).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config, log)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      factory.release(factory.create());
      await("the idle eviction").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
          .until(() -> !log.of(WorkerEnded.class).isEmpty());
    }
    EventLog.Entry ended = log.entries().stream().filter(e -> e.event() instanceof WorkerEnded).findFirst()
        .orElseThrow();
    assertThat(((WorkerEnded) ended.event()).reason()).isEqualTo(WorkerEnded.Reason.EVICTED_IDLE);
    assertThat(ended.thread()).startsWith("pyworkers-killer");
    assertThat(log.pairingProblems(true)).as(log.toString()).isEmpty();
  }

  @Test
  void simpleMode_spawnsAndEndsAWorkerPerTask() {
    EventLog log = new EventLog();
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.SIMPLE).build(), log);
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      drain(runner.compute(rows(1, 2), 0, TaskContext.of(0)));
      drain(runner.compute(rows(3), 1, TaskContext.of(1)));
    }
    assertThat(log.pairingProblems(true)).as(log.toString()).isEmpty();
    assertThat(log.of(DaemonStarted.class)).isEmpty();
    assertThat(log.of(WorkerStarted.class)).hasSize(2).allSatisfy(w -> {
      assertThat(w.mode()).isEqualTo(WorkerMode.SIMPLE);
      assertThat(w.daemonPid()).isEqualTo(-1);
    });
    assertThat(log.of(WorkerEnded.class)).extracting(WorkerEnded::reason)
        .containsExactly(WorkerEnded.Reason.NOT_REUSED, WorkerEnded.Reason.NOT_REUSED);
  }

  @Test
  void aKilledDaemon_isReportedStoppedAsUnreachable_andItsReplacementAsARestart() {
    EventLog log = new EventLog();
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.DAEMON).build(), log)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      factory.stop(factory.create());
      long first = log.of(DaemonStarted.class).get(0).pid();
      ProcessHandle.of(first).orElseThrow().destroyForcibly();
      FactoryBehaviourTest.awaitDead(first);
      factory.stop(factory.create());
      List<DaemonStopped> stopped = log.of(DaemonStopped.class);
      assertThat(stopped).hasSize(1);
      assertThat(stopped.get(0).pid()).isEqualTo(first);
      assertThat(stopped.get(0).reason()).isEqualTo(DaemonStopped.Reason.UNREACHABLE);
      assertThat(stopped.get(0).detail()).isNotEmpty();
      DaemonStarted restart = log.of(DaemonStarted.class).get(1);
      assertThat(restart.isRestart()).isTrue();
      assertThat(restart.replacedPid()).isEqualTo(first);
      assertThat(restart.restartReason()).isEqualTo(stopped.get(0).detail());
    }
    assertThat(log.pairingProblems(true)).as(log.toString()).isEmpty();
  }

  @Test
  void resultsClosedEarly_failTheTask_andKillItsWorker() {
    EventLog log = new EventLog();
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build(), log);
        PythonRunner runner = PythonRunner.builder(registry).batchSize(10).outputBatchSize(10)
            .udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      TaskResults<Object> out = runner.compute(rows(range(100_000)), 0, TaskContext.of(0));
      assertThat(out.next()).isEqualTo(1L);
      out.close();
    }
    assertThat(log.pairingProblems(true)).as(log.toString()).isEmpty();
    TaskFailed failed = log.of(TaskFailed.class).get(0);
    assertThat(failed.error()).isInstanceOf(TaskCancelledException.class)
        .hasMessageContaining("closed before the end");
    assertThat(failed.recordsOut()).isPositive();
    WorkerEnded ended = log.of(WorkerEnded.class).get(0);
    assertThat(ended.reason()).isEqualTo(WorkerEnded.Reason.KILLED);
    assertThat(ended.detail()).contains("closed before the end");
  }

  @Test
  void aTaskWithNoWorker_failsWithPidMinusOne() {
    EventLog log = new EventLog();
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build(), log);
        PythonRunner runner = PythonRunner.builder(registry).pythonExecutable("/nonexistent/python3")
            .udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      assertThatThrownBy(() -> runner.compute(rows(1), 0, TaskContext.of(0)))
          .isInstanceOf(WorkerStartException.class);
    }
    assertThat(log.events()).hasSize(2);
    assertThat(log.events().get(0)).isInstanceOf(TaskStarted.class);
    TaskFailed failed = (TaskFailed) log.events().get(1);
    assertThat(failed.workerPid()).isEqualTo(-1);
    assertThat(failed.error()).isInstanceOf(WorkerStartException.class);
  }

  @Test
  void aListenerThatThrows_changesNothing() {
    WorkerEventListener bad = new WorkerEventListener() {
      @Override public void daemonStarted(DaemonStarted e) { throw new IllegalStateException("daemonStarted"); }
      @Override public void workerStarted(WorkerStarted e) { throw new IllegalStateException("workerStarted"); }
      @Override public void workerReused(WorkerReused e) { throw new IllegalStateException("workerReused"); }
      @Override public void workerReleased(WorkerReleased e) { throw new IllegalStateException("workerReleased"); }
      @Override public void workerEnded(WorkerEnded e) { throw new IllegalStateException("workerEnded"); }
      @Override public void taskStarted(TaskStarted e) { throw new IllegalStateException("taskStarted"); }
      @Override public void taskFinished(TaskFinished e) { throw new IllegalStateException("taskFinished"); }
      @Override public void taskFailed(TaskFailed e) { throw new IllegalStateException("taskFailed"); }
      @Override public void daemonStopped(DaemonStopped e) { throw new IllegalStateException("daemonStopped"); }
    };
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().mode(WorkerMode.DAEMON).build(), bad);
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      assertThat(drain(runner.compute(rows(1, 2), 0, TaskContext.of(0)))).containsExactly(2L, 3L);
      assertThat(drain(runner.compute(rows(5), 1, TaskContext.of(1)))).containsExactly(6L);
      assertThatThrownBy(() -> drain(runner.compute(rows(-2), 2, TaskContext.of(2))))
          .isInstanceOf(WorkerCrashedException.class);
      assertThat(drain(runner.compute(rows(7), 3, TaskContext.of(3)))).containsExactly(8L);
      WorkerStats stats = registry.factories().iterator().next().stats();
      assertThat(stats.forked()).isEqualTo(2);
      assertThat(stats.reused()).isEqualTo(2);
    }
  }
}
