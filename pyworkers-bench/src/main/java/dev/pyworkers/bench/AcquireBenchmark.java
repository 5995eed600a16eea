package dev.pyworkers.bench;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.PythonWorker;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerFactory;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.WorkerStats;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.events.WorkerEventListener;
import dev.pyworkers.events.WorkerReleased;
import dev.pyworkers.events.WorkerReused;
import dev.pyworkers.events.WorkerStarted;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Worker acquisition latency: the time of {@link WorkerFactory#create()} alone, by {@link System#nanoTime()}, for
 * four ways of getting a worker, all measured in the same run so their ratios can be compared. Run it with
 *
 * <pre>  bin/pyworkers bench acquire --json</pre>
 *
 * <ol>
 *   <li><b>reuse</b>: daemon mode, reuse on; one worker is created, then each measured create takes it back from the
 *       idle pool and it is released again. Every acquisition must return that same pid.
 *   <li><b>fork</b>: daemon mode, reuse off, so every create forks a new worker from the warm daemon; each worker is
 *       stopped after its measurement. Every acquisition must return a pid not seen before in the case.
 *   <li><b>spawn</b>: simple mode; every create starts {@code python -m pyworkers.worker} and waits for it to connect
 *       and authenticate; each worker is stopped after its measurement. The baseline fork is compared to.
 *   <li><b>cold start</b>: the first create of a brand-new {@link WorkerRegistry}, daemon start included, repeated;
 *       reported as the median.
 *   <li><b>reuse with and without events</b>: two daemon registries side by side, one with no listener and one
 *       whose {@link WorkerEventListener} counts every event; the measured acquisitions alternate between them
 *       (which goes first alternates too), so that their ratio is paired. The counts must match the acquisitions.
 * </ol>
 *
 * A plain harness rather than JMH: each operation is a whole process round trip of tens of microseconds or more,
 * far above timer resolution, and the cases own processes that must be set up and torn down around the loop. Reuse
 * and fork are warmed up with {@value #WARMUP} unmeasured acquisitions, spawn with {@value #SPAWN_WARMUP}. Outside
 * the timed section every worker must answer a ping within 5 s and report the expected mode, and afterwards the
 * factory counters must show exactly the reuses, forks or spawns the case asked for: a fast but wrong acquisition
 * fails the run. Every registry is closed and no process it started may outlive it.
 *
 * <p>Not thread-safe: one run at a time, on the calling thread.
 */
public final class AcquireBenchmark {
  static final int WARMUP = 50;
  static final int SPAWN_WARMUP = 10;
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(5);

  private final AcquireOptions options;
  private final Consumer<String> progress;

  /** {@code progress} receives one line when each case starts and ends; pass {@code line -> {}} for silence. */
  public AcquireBenchmark(AcquireOptions options, Consumer<String> progress) {
    this.options = options;
    this.progress = progress;
  }

  /** Runs the four cases in order; throws {@link IllegalStateException} or a pyworkers exception on failure. */
  public AcquireResult run() {
    PythonInterpreter python = PythonInterpreter.resolve(options.python());
    progress.accept("python: " + python.describe());
    PythonEnvironment env = PythonEnvironment.of(python.executable());
    WorkerConfig base = WorkerConfig.builder().transport(options.transport()).build();
    Latency reuse = measureReuse(env, base.toBuilder().mode(WorkerMode.DAEMON).reuseWorkers(true).build());
    Latency fork = measureFork(env, base.toBuilder().mode(WorkerMode.DAEMON).reuseWorkers(false).build());
    Latency spawn = measureSpawn(env, base.toBuilder().mode(WorkerMode.SIMPLE).build());
    Latency cold = measureColdStart(env, base.toBuilder().mode(WorkerMode.DAEMON).build());
    Latency[] paired = measureReuseWithEvents(env, base.toBuilder().mode(WorkerMode.DAEMON).reuseWorkers(true).build());
    return new AcquireResult(python.executable(), python.version(), python.requested(), base.transport(),
        reuse, fork, spawn, cold, paired[0], paired[1], options.iterations());
  }

  private Latency measureReuse(PythonEnvironment env, WorkerConfig config) {
    int n = options.iterations();
    begin("reuse", n, WARMUP);
    long[] nanos = new long[n];
    Set<Long> pids = new HashSet<>();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(env);
      PythonWorker first = factory.create();
      pids.add(first.pid());
      verify("reuse", 0, first, WorkerMode.DAEMON);
      factory.release(first);
      for (int i = 1; i <= WARMUP + n; i++) {
        long start = System.nanoTime();
        PythonWorker w = factory.create();
        long elapsed = System.nanoTime() - start;
        pids.add(w.pid());
        if (w.pid() != first.pid()) {
          throw new IllegalStateException("reuse acquisition #" + i + " returned worker pid " + w.pid()
              + " instead of the pooled worker pid " + first.pid() + "; the idle pool did not hand it back");
        }
        verify("reuse", i, w, WorkerMode.DAEMON);
        factory.release(w);
        if (i > WARMUP) nanos[i - WARMUP - 1] = elapsed;
      }
      WorkerStats s = factory.stats();
      expectCounters("reuse", s, s.forked() == 1 && s.reused() == WARMUP + n && s.spawned() == 0,
          "1 fork and " + (WARMUP + n) + " reuses");
    }
    ProcessLeakCheck.assertNoneAlive("reuse", pids);
    return end("reuse", nanos);
  }

  /** Counts the pool's events; the benchmark checks the counts against the acquisitions it made. */
  private static final class CountingListener implements WorkerEventListener {
    final AtomicLong events = new AtomicLong();
    final AtomicLong reuses = new AtomicLong();

    @Override public void workerStarted(WorkerStarted e) { events.incrementAndGet(); }
    @Override public void workerReused(WorkerReused e) { events.incrementAndGet(); reuses.incrementAndGet(); }
    @Override public void workerReleased(WorkerReleased e) { events.incrementAndGet(); }
    @Override public void workerEnded(WorkerEnded e) { events.incrementAndGet(); }
  }

  /** Returns {no listener, listener}. */
  private Latency[] measureReuseWithEvents(PythonEnvironment env, WorkerConfig config) {
    int n = options.iterations();
    begin("reuse with and without a listener", n, WARMUP);
    long[] quiet = new long[n];
    long[] listened = new long[n];
    Set<Long> pids = new HashSet<>();
    CountingListener counter = new CountingListener();
    try (WorkerRegistry plain = WorkerRegistry.create(config);
        WorkerRegistry heard = WorkerRegistry.create(config, counter)) {
      WorkerFactory[] factories = {plain.factory(env), heard.factory(env)};
      long[][] out = {quiet, listened};
      long[] pooled = new long[2];
      for (int f = 0; f < 2; f++) {
        PythonWorker first = factories[f].create();
        pooled[f] = first.pid();
        pids.add(first.pid());
        factories[f].release(first);
      }
      for (int i = 1; i <= WARMUP + n; i++) {
        for (int k = 0; k < 2; k++) {
          int f = (i + k) % 2;
          long start = System.nanoTime();
          PythonWorker w = factories[f].create();
          long elapsed = System.nanoTime() - start;
          if (w.pid() != pooled[f]) {
            throw new IllegalStateException("paired reuse acquisition #" + i + " returned worker pid " + w.pid()
                + " instead of the pooled worker pid " + pooled[f]);
          }
          factories[f].release(w);
          if (i > WARMUP) out[f][i - WARMUP - 1] = elapsed;
        }
      }
      long expected = (long) WARMUP + n;
      if (counter.reuses.get() != expected || counter.events.get() != 2 + 2 * expected) {
        throw new IllegalStateException("the listener counted " + counter.reuses.get() + " reuses and "
            + counter.events.get() + " events, expected " + expected + " and " + (2 + 2 * expected));
      }
      for (WorkerFactory f : factories) {
        WorkerStats s = f.stats();
        expectCounters("paired reuse", s, s.forked() == 1 && s.reused() == expected, "1 fork and " + expected
            + " reuses");
      }
    }
    ProcessLeakCheck.assertNoneAlive("paired reuse", pids);
    Latency q = Latency.of(quiet);
    Latency l = Latency.of(listened);
    progress.accept(String.format(Locale.ROOT, "reuse with and without a listener: done, p50 %.1f us without,"
        + " %.1f us with", q.p50Micros(), l.p50Micros()));
    return new Latency[] {q, l};
  }

  private Latency measureFork(PythonEnvironment env, WorkerConfig config) {
    int n = options.iterations();
    begin("fork", n, WARMUP);
    long[] nanos = new long[n];
    Set<Long> pids = new HashSet<>();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(env);
      for (int i = 1; i <= WARMUP + n; i++) {
        long start = System.nanoTime();
        PythonWorker w = factory.create();
        long elapsed = System.nanoTime() - start;
        requireNewPid("fork", i, w, pids);
        verify("fork", i, w, WorkerMode.DAEMON);
        factory.stop(w);
        if (i > WARMUP) nanos[i - WARMUP - 1] = elapsed;
      }
      WorkerStats s = factory.stats();
      expectCounters("fork", s, s.forked() == WARMUP + n && s.reused() == 0 && s.spawned() == 0,
          (WARMUP + n) + " forks and no reuse");
    }
    ProcessLeakCheck.assertNoneAlive("fork", pids);
    return end("fork", nanos);
  }

  private Latency measureSpawn(PythonEnvironment env, WorkerConfig config) {
    int n = options.spawnIterations();
    begin("spawn", n, SPAWN_WARMUP);
    long[] nanos = new long[n];
    Set<Long> pids = new HashSet<>();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(env);
      for (int i = 1; i <= SPAWN_WARMUP + n; i++) {
        long start = System.nanoTime();
        PythonWorker w = factory.create();
        long elapsed = System.nanoTime() - start;
        requireNewPid("spawn", i, w, pids);
        verify("spawn", i, w, WorkerMode.SIMPLE);
        factory.stop(w);
        if (i > SPAWN_WARMUP) nanos[i - SPAWN_WARMUP - 1] = elapsed;
      }
      WorkerStats s = factory.stats();
      expectCounters("spawn", s, s.spawned() == SPAWN_WARMUP + n && s.forked() == 0 && s.reused() == 0,
          (SPAWN_WARMUP + n) + " spawns and no fork or reuse");
    }
    ProcessLeakCheck.assertNoneAlive("spawn", pids);
    return end("spawn", nanos);
  }

  private Latency measureColdStart(PythonEnvironment env, WorkerConfig config) {
    int n = options.coldIterations();
    begin("cold start", n, 0);
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      Set<Long> pids = new HashSet<>();
      try (WorkerRegistry registry = WorkerRegistry.create(config)) {
        WorkerFactory factory = registry.factory(env);
        long start = System.nanoTime();
        PythonWorker w = factory.create();
        nanos[i] = System.nanoTime() - start;
        pids.add(w.pid());
        verify("cold start", i + 1, w, WorkerMode.DAEMON);
        WorkerStats s = factory.stats();
        expectCounters("cold start", s, s.forked() == 1 && s.daemonRestarts() == 0, "1 fork by a fresh daemon");
        factory.release(w);
      }
      ProcessLeakCheck.assertNoneAlive("cold start", pids);
    }
    return end("cold start", nanos);
  }

  /**
   * Outside the timed section: the worker must be of the expected mode and answer a ping. {@code i} numbers the
   * case's acquisitions from 1, warm-up included; 0 is the reuse case's first, unmeasured fork.
   */
  private static void verify(String benchmarkCase, int i, PythonWorker w, WorkerMode mode) {
    if (w.mode() != mode) {
      throw new IllegalStateException(benchmarkCase + " acquisition #" + i + " returned a " + w.mode()
          + " worker (pid " + w.pid() + "), expected " + mode);
    }
    try {
      w.ping(PING_TIMEOUT);
    } catch (PythonWorkerException e) {
      throw new IllegalStateException(benchmarkCase + " acquisition #" + i + ": " + e.getMessage(), e);
    }
  }

  private static void requireNewPid(String benchmarkCase, int i, PythonWorker w, Set<Long> seen) {
    if (!seen.add(w.pid())) {
      throw new IllegalStateException(benchmarkCase + " acquisition #" + i + " returned pid " + w.pid()
          + ", already handed out earlier in this case; every acquisition must be a new process");
    }
  }

  private static void expectCounters(String benchmarkCase, WorkerStats s, boolean ok, String expected) {
    if (!ok) {
      throw new IllegalStateException(
          benchmarkCase + " case expected the factory to count " + expected + ", but it counted " + s);
    }
  }

  private void begin(String benchmarkCase, int n, int warmup) {
    progress.accept(benchmarkCase + ": " + n + " measured acquisitions"
        + (warmup > 0 ? " after " + warmup + " warm-up" : "") + "...");
  }

  private Latency end(String benchmarkCase, long[] nanos) {
    Latency l = Latency.of(nanos);
    progress.accept(String.format(Locale.ROOT, "%s: done, p50 %.1f us, p99 %.1f us, max %.1f us",
        benchmarkCase, l.p50Micros(), l.p99Micros(), l.maxMicros()));
    return l;
  }
}
