package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Many cycles and many threads: every worker accounted for, nothing leaked (NoLeaks checks after each test). */
@ExtendWith(NoLeaks.class)
class StressTest {
  @Test
  void thousandCreateReleaseCycles_reuseOneWorker_andLeakNothing() {
    int fdsBefore = NoLeaks.fdCount();
    long pid;
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build())) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker first = factory.create();
      pid = first.pid();
      factory.release(first);
      for (int i = 0; i < 1000; i++) {
        PythonWorker w = factory.create();
        assertThat(w.pid()).isEqualTo(pid);
        if (i % 100 == 0) w.ping(Duration.ofSeconds(5));
        factory.release(w);
      }
      WorkerStats s = factory.stats();
      assertThat(s.reused()).isEqualTo(1000);
      assertThat(s.forked()).isEqualTo(1);
    }
    FactoryBehaviourTest.awaitDead(pid);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> NoLeaks.fdCount() <= fdsBefore + 2);
  }

  @Test
  void thousandForkStopCycles_leakNothing() {
    WorkerConfig config = TestPython.config().reuseWorkers(false).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      Set<Long> pids = new java.util.HashSet<>();
      for (int i = 0; i < 1000; i++) {
        PythonWorker w = factory.create();
        pids.add(w.pid());
        factory.release(w);
      }
      assertThat(factory.stats().forked()).isEqualTo(1000);
      assertThat(factory.stats().killed()).isEqualTo(1000);
      assertThat(pids).hasSizeGreaterThan(900);
    }
  }

  @Test
  void eightThreads_twoHundredConcurrentCreatesAndStopsEach_daemon() throws Exception {
    concurrentCreatesAndStops(WorkerMode.DAEMON, 8, 200);
  }

  @Test
  void eightThreads_twoHundredConcurrentCreatesAndStopsEach_simple() throws Exception {
    concurrentCreatesAndStops(WorkerMode.SIMPLE, 8, 200);
  }

  private static void concurrentCreatesAndStops(WorkerMode mode, int threads, int perThread) throws Exception {
    int threadsBefore = Thread.activeCount();
    WorkerConfig config = TestPython.config().mode(mode).connectTimeout(Duration.ofSeconds(30)).build();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      Set<Long> busy = ConcurrentHashMap.newKeySet();
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        results.add(pool.submit(() -> {
          start.await();
          int done = 0;
          for (int i = 0; i < perThread; i++) {
            PythonWorker w = factory.create();
            if (!busy.add(w.pid())) throw new AssertionError("pid " + w.pid() + " handed to two threads at once");
            busy.remove(w.pid());
            if ((i + id) % 2 == 0) factory.stop(w);
            else factory.release(w);
            done++;
          }
          return done;
        }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> f : results) total += f.get(5, TimeUnit.MINUTES);
      assertThat(total).isEqualTo(threads * perThread);
      WorkerStats s = factory.stats();
      assertThat(s.forked() + s.spawned() + s.reused()).isEqualTo((long) threads * perThread);
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> Thread.activeCount() <= threadsBefore + 1);
  }
}
