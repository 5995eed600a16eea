package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.StallEvent.ProcessState;
import dev.pyworkers.testing.FakeTicker;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stalled worker is reported (state, main-thread traceback) and, past the task idle timeout, killed. The tests with a
 * {@link FakeTicker} narrate the stall: they wait until only the worker is waited on, then advance the registry's time;
 * the others (a stopped worker, a worker busy reading its input, and RunnerFailureTest's task idle timeout) run on real
 * time, end to end.
 */
@ExtendWith(NoLeaks.class)
class StallTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** Scheduler runs that cover one check and a whole capture after it (see slowInputIterator_isNotTheWorkersStall). */
  private static final long CHECKS_SEEN = 30;

  @TempDir Path tmp;

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  static WorkerRegistry registry(WorkerMode mode, FakeTicker ticker) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build(), ticker);
  }

  /** Python that creates the file {@code marker}: a UDF runs it once it has its input, before it stalls. */
  static String touch(Path marker) {
    return "open('" + marker + "', 'w').close()";
  }

  /** A task's results being read on a thread of the test's, so that the test's own thread is free to narrate time. */
  record Reading(Thread thread, CompletableFuture<List<Object>> result) {}

  static Reading readInBackground(TaskResults<Object> out) {
    CompletableFuture<List<Object>> result = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try {
        result.complete(drain(out));
      } catch (RuntimeException | Error e) {
        result.completeExceptionally(e);
      }
    }, "test-reader");
    reader.setDaemon(true);
    reader.start();
    return new Reading(reader, result);
  }

  /**
   * Waits until nothing on the JVM side can mark progress of the task any more, so that from then on only the ticker
   * makes the stall longer: the UDF runs (it created {@code marker}, so it has its input and sends nothing), the
   * task's writer thread has ended (all input sent) and the reader waits for output in {@code TaskRun.readFrame}.
   */
  static void awaitOnlyTheWorkerIsWaitedOn(Path marker, Thread reader) {
    await("the UDF runs, the writer ended and the reader waits for output").atMost(WAIT)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> Files.exists(marker)
            && Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("pyworkers-writer-"))
            && Arrays.stream(reader.getStackTrace())
                .anyMatch(f -> f.getClassName().endsWith(".TaskRun") && f.getMethodName().equals("readFrame")));
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
    FakeTicker ticker = new FakeTicker();
    Path started = tmp.resolve("started");
    try (WorkerRegistry registry = registry(mode, ticker);
        PythonRunner runner = udf(registry, "import threading, time\ndef spin(x):\n"
            + "    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start(); " + touch(started) + "\n"
            + "    while True:\n        x += 1\n", "spin")
            .stallWarning(Duration.ofSeconds(30), events::add).build()) {
      TaskResults<Object> out = runner.compute(rows(3), 5, TaskContext.of(5));
      Reading reading = readInBackground(out);
      CompletableFuture<List<Object>> reader = reading.result();
      awaitOnlyTheWorkerIsWaitedOn(started, reading.thread());
      ticker.advance(Duration.ofSeconds(30));
      StallEvent first = next(events);
      ticker.advance(Duration.ofSeconds(30));
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
      assertThat(first.stalledFor()).isEqualTo(Duration.ofSeconds(30));
      assertThat(first.describe()).contains("Python worker pid " + first.pid(), "partition 5", "process state: running",
          "in spin");
      assertThat(second.pid()).isEqualTo(first.pid());
      assertThat(second.reports()).isEqualTo(2);
      assertThat(second.stalledFor()).isEqualTo(Duration.ofSeconds(60));
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
    FakeTicker ticker = new FakeTicker();
    Path started = tmp.resolve("started");
    try (WorkerRegistry registry = registry(mode, ticker);
        PythonRunner runner = udf(registry, "import signal\ndef spin(x):\n"
            + "    signal.signal(signal.SIGUSR2, signal.SIG_DFL); " + touch(started) + "\n"
            + "    while True:\n        x += 1\n", "spin")
            .stallWarning(Duration.ofSeconds(30), events::add).build()) {
      TaskResults<Object> out = runner.compute(rows(1), 0, TaskContext.of(0));
      Reading reading = readInBackground(out);
      CompletableFuture<List<Object>> reader = reading.result();
      awaitOnlyTheWorkerIsWaitedOn(started, reading.thread());
      ticker.advance(Duration.ofSeconds(30));
      StallEvent first = next(events);
      ticker.advance(Duration.ofSeconds(30));
      StallEvent second = next(events);
      assertThat(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive)).as("not ended by SIGUSR2").contains(true);
      out.close();
      assertThatThrownBy(reader::join).hasCauseInstanceOf(TaskCancelledException.class);
      assertThat(first.state()).isEqualTo(ProcessState.RUNNING);
      assertThat(first.hasTraceback()).isFalse();
      assertThat(first.tracebackUnavailable()).contains("does not catch SIGUSR2");
      assertThat(second.pid()).isEqualTo(first.pid());
      assertThat(second.reports()).isEqualTo(2);
      awaitGone(first.pid());
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void idleTimeout_killsTheWorker_andRaisesWithPidPartitionAndTheTracebackBeforeTheKill(WorkerMode mode)
      throws Exception {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    FakeTicker ticker = new FakeTicker();
    Path started = tmp.resolve("started");
    try (WorkerRegistry registry = registry(mode, ticker);
        PythonRunner runner = udf(registry, "import time\ndef nap(x):\n    " + touch(started) + "; time.sleep(3600)\n",
            "nap").stallWarning(Duration.ofMinutes(1), events::add).taskIdleTimeout(Duration.ofMinutes(3)).build()) {
      Reading reading = readInBackground(runner.compute(rows(1), 7, TaskContext.of(7)));
      CompletableFuture<List<Object>> reader = reading.result();
      awaitOnlyTheWorkerIsWaitedOn(started, reading.thread());
      ticker.advance(Duration.ofMinutes(1));
      StallEvent warned = next(events);
      ticker.advance(Duration.ofMinutes(1));
      StallEvent warnedAgain = next(events);
      assertThat(reader).as("stall warnings do not end the task").isNotDone();
      ticker.advance(Duration.ofMinutes(1));
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
          () -> reader.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
      assertThat(thrown).isInstanceOf(java.util.concurrent.ExecutionException.class);
      assertThat(thrown.getCause()).isInstanceOf(TaskIdleTimeoutException.class);
      TaskIdleTimeoutException e = (TaskIdleTimeoutException) thrown.getCause();
      assertThat(e.partition()).isEqualTo(7);
      assertThat(e.timeout()).isEqualTo(Duration.ofMinutes(3));
      assertThat(e.pid()).isPositive().isEqualTo(warned.pid());
      assertThat(warned.stalledFor()).isEqualTo(Duration.ofMinutes(1));
      assertThat(warnedAgain.reports()).isEqualTo(2);
      assertThat(warnedAgain.stalledFor()).isEqualTo(Duration.ofMinutes(2));
      assertThat(e.traceback()).contains("line 3 in nap");
      assertThat(e.getMessage()).contains("Python worker pid " + e.pid(), "for 180000 ms (task idle timeout)",
          "partition 7", "was killed", "process state was sleeping",
          "main thread traceback just before the kill", "line 3 in nap");
      String recentOutput = e.getMessage().substring(e.getMessage().indexOf("\nrecent output:"));
      assertThat(recentOutput).as("stack dumps stay out of the worker's output tail")
          .doesNotContain("most recent call first").doesNotContain("File \"");
      assertThat(events).as("at 3 min the idle timeout comes first: no third warning").isEmpty();
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
      assertThat(new String((byte[]) out.get(0), StandardCharsets.US_ASCII))
          .isEqualTo(Integer.toString(200 * (64 << 10)));
      assertThat(events).as("the worker took input all along").isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void slowInputIterator_isNotTheWorkersStall(WorkerMode mode) {
    BlockingQueue<StallEvent> events = new LinkedBlockingQueue<>();
    FakeTicker ticker = new FakeTicker();
    try (WorkerRegistry registry = registry(mode, ticker);
        PythonRunner runner = udf(registry, "def same(x):\n    return x\n", "same").batchSize(1)
            .stallWarning(Duration.ofMinutes(1), events::add).taskIdleTimeout(Duration.ofMinutes(2)).build()) {
      ThreadPoolExecutor scheduler = (ThreadPoolExecutor) registry.scheduler();
      Iterator<Object[]> slow = new Iterator<>() {
        long n;
        boolean slowDone;

        @Override
        public boolean hasNext() {
          // The first element takes the source 10 min of the registry's time, past the warning and the idle timeout,
          // and the worker has nothing to do meanwhile. The scheduler then runs CHECKS_SEEN more times (the stall
          // watch's checks, every 10 ms of real time with this ticker): a check that took this for the worker's stall
          // would have started a capture (at most 26 runs: the 500 ms dump wait polled every 20 ms) and the kill.
          if (n > 0 || slowDone) return n < 2;
          slowDone = true;
          ticker.advance(Duration.ofMinutes(10));
          long ran = scheduler.getCompletedTaskCount();
          await("the stall watch looked after the advance").atMost(WAIT).pollInterval(Duration.ofMillis(5))
              .until(() -> scheduler.getCompletedTaskCount() >= ran + CHECKS_SEEN);
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
