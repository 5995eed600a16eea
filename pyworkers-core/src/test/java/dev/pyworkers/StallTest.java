package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.StallEvent.ProcessState;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;

/** A stalled worker is reported (state, main-thread traceback) and, past the task idle timeout, killed. */
@ExtendWith(NoLeaks.class)
class StallTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  static PythonRunner.Builder udf(WorkerRegistry registry, String source, String name) {
    return PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, TestPython.source(source, name)));
  }

  static Iterator<Object[]> rows(long n) {
    return LongStream.range(0, n).mapToObj(i -> new Object[] {i}).iterator();
  }

  static StallEvent next(BlockingQueue<StallEvent> events) throws InterruptedException {
    StallEvent e = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(e).as("a stall event within " + WAIT).isNotNull();
    return e;
  }

  static void awaitGone(long pid) {
    await().atMost(WAIT).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void endlessLoop_isReportedEachInterval_withPidRunningStateAndTheUdfInTheTraceback(WorkerMode mode)
      throws Exception {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    try (WorkerRegistry registry = registry(mode);
        PythonRunner runner = udf(registry, "import threading, time\ndef spin(x):\n"
            + "    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"
            + "    while True:\n        x += 1\n", "spin")
            .stallWarning(Duration.ofMillis(300), events::add).build()) {
      TaskResults<Object> out = runner.compute(rows(3), 5, TaskContext.of(5));
      CompletableFuture<List<Object>> reader = CompletableFuture.supplyAsync(() -> drain(out));
      StallEvent first = next(events);
      StallEvent second = next(events);
      out.close();
      assertThatThrownBy(reader::join).hasCauseInstanceOf(TaskCancelledException.class);

      assertThat(first.pid()).isPositive();
      assertThat(first.partition()).isEqualTo(5);
      assertThat(first.state()).isEqualTo(ProcessState.RUNNING);
      assertThat(first.tracebackUnavailable()).isEmpty();
      assertThat(first.traceback()).startsWith("Current thread 0x")
          .as("sampled on the loop's test or its body").containsPattern("line [45] in spin");
      assertThat(first.traceback()).as("the main thread only, not FUNC's sleeping thread")
          .doesNotContain("_bootstrap").doesNotContain("Thread 0x");
      assertThat(first.reports()).isEqualTo(1);
      assertThat(first.stalledFor()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      assertThat(first.describe()).contains("Python worker pid " + first.pid(), "partition 5", "process state: running",
          "in spin");
      assertThat(second.pid()).isEqualTo(first.pid());
      assertThat(second.reports()).isEqualTo(2);
      assertThat(second.stalledFor()).isGreaterThanOrEqualTo(Duration.ofMillis(600));
      awaitGone(first.pid());
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void stoppedWorker_isReportedStopped_withTheReasonForNoTraceback(WorkerMode mode) throws Exception {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    try (WorkerRegistry registry = registry(mode);
        PythonRunner runner = udf(registry, "import os, signal\ndef halt(x):\n    os.kill(os.getpid(), signal.SIGSTOP)\n"
            + "    return x\n", "halt").stallWarning(Duration.ofMillis(300), events::add).build()) {
      TaskResults<Object> out = runner.compute(rows(1), 0, TaskContext.of(0));
      CompletableFuture<List<Object>> reader = CompletableFuture.supplyAsync(() -> drain(out));
      StallEvent e = next(events);
      out.close();
      assertThatThrownBy(reader::join).hasCauseInstanceOf(TaskCancelledException.class);

      assertThat(e.state()).isEqualTo(ProcessState.STOPPED);
      assertThat(e.hasTraceback()).isFalse();
      assertThat(e.tracebackUnavailable()).contains("unavailable because the process is stopped");
      assertThat(e.describe()).contains("process state: stopped");
      awaitGone(e.pid());
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void udfThatResetsSigusr2_isNotSignalled_andTheReportSaysWhy(WorkerMode mode) throws Exception {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    try (WorkerRegistry registry = registry(mode);
        PythonRunner runner = udf(registry, "import signal\ndef spin(x):\n"
            + "    signal.signal(signal.SIGUSR2, signal.SIG_DFL)\n    while True:\n        x += 1\n", "spin")
            .stallWarning(Duration.ofMillis(300), events::add).build()) {
      TaskResults<Object> out = runner.compute(rows(1), 0, TaskContext.of(0));
      CompletableFuture<List<Object>> reader = CompletableFuture.supplyAsync(() -> drain(out));
      StallEvent first = next(events);
      StallEvent second = next(events);
      assertThat(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive)).as("not ended by SIGUSR2").contains(true);
      out.close();
      assertThatThrownBy(reader::join).hasCauseInstanceOf(TaskCancelledException.class);
      assertThat(first.state()).isEqualTo(ProcessState.RUNNING);
      assertThat(first.hasTraceback()).isFalse();
      assertThat(first.tracebackUnavailable()).contains("does not catch SIGUSR2");
      assertThat(second.pid()).isEqualTo(first.pid());
      awaitGone(first.pid());
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void idleTimeout_killsTheWorker_andRaisesWithPidPartitionAndTheTracebackBeforeTheKill(WorkerMode mode) {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    try (WorkerRegistry registry = registry(mode);
        PythonRunner runner = udf(registry, "import time\ndef nap(x):\n    time.sleep(3600)\n", "nap")
            .stallWarning(Duration.ofMillis(300), events::add).taskIdleTimeout(Duration.ofMillis(1500)).build()) {
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
          () -> drain(runner.compute(rows(1), 7, TaskContext.of(7))));
      assertThat(thrown).isInstanceOf(TaskIdleTimeoutException.class);
      TaskIdleTimeoutException e = (TaskIdleTimeoutException) thrown;
      assertThat(e.partition()).isEqualTo(7);
      assertThat(e.timeout()).isEqualTo(Duration.ofMillis(1500));
      assertThat(e.pid()).isPositive();
      assertThat(e.traceback()).contains("line 3 in nap");
      assertThat(e.getMessage()).contains("Python worker pid " + e.pid(), "for 1500 ms (task idle timeout)",
          "partition 7", "was killed", "process state was sleeping",
          "main thread traceback just before the kill", "line 3 in nap");
      String recentOutput = e.getMessage().substring(e.getMessage().indexOf("\nrecent output:"));
      assertThat(recentOutput).as("stack dumps stay out of the worker's output tail")
          .doesNotContain("most recent call first").doesNotContain("File \"");
      assertThat(events).isNotEmpty().allSatisfy(s -> assertThat(s.pid()).isEqualTo(e.pid()));
      awaitGone(e.pid());
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void workerReadingBigRecordsSlowlyBeforeAnswering_isNotStalled(WorkerMode mode) {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    PythonFunction total = TestPython.source("import time\ndef run(i, it):\n    n = 0\n    for r in it:\n"
        + "        time.sleep(0.01)\n        n += len(r)\n    yield str(n).encode()\n", "run");
    try (WorkerRegistry registry = registry(mode);
        PythonRunner runner = PythonRunner.builder(registry).nonUdf(total)
            .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES)
            .stallWarning(Duration.ofMillis(500), events::add).build()) {
      Iterator<Object> records = java.util.stream.IntStream.range(0, 200)
          .mapToObj(i -> (Object) new byte[64 << 10]).iterator();
      List<Object> out = drain(runner.compute(records, 0, TaskContext.of(0)));
      assertThat(new String((byte[]) out.get(0))).isEqualTo(Integer.toString(200 * (64 << 10)));
      assertThat(events).as("the worker took input all along").isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void slowInputIterator_isNotTheWorkersStall(WorkerMode mode) {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    try (WorkerRegistry registry = registry(mode);
        PythonRunner runner = udf(registry, "def same(x):\n    return x\n", "same").batchSize(1)
            .stallWarning(Duration.ofMillis(200), events::add).taskIdleTimeout(Duration.ofMillis(400)).build()) {
      long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
      Iterator<Object[]> slow = new Iterator<>() {
        long n;

        @Override
        public boolean hasNext() {
          // waits for the JVM's own clock, as a slow source would; the worker has nothing to do meanwhile
          await().atMost(WAIT).until(() -> System.nanoTime() >= until);
          return n < 2;
        }

        @Override
        public Object[] next() {
          return new Object[] {n++};
        }
      };
      assertThat(drain(runner.compute(slow, 0, TaskContext.of(0)))).containsExactly(0L, 1L);
      assertThat(events).isEmpty();
    }
  }
}
