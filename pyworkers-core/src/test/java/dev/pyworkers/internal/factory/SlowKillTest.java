package dev.pyworkers.internal.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.WorkerFactory;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.internal.daemon.DaemonProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A kill that cannot make progress (its daemon is SIGSTOPped) holds up nothing else: neither a kill racing a slow
 * {@link DaemonProcess#stop}, nor the registry's deadlines while an idle worker's eviction kill is stuck.
 */
@ExtendWith(NoLeaks.class)
class SlowKillTest {
  /** A pid that is no child of the daemon, which ignores a KILL for it. */
  private static final long NOT_A_CHILD = 1;

  private static void signal(String sig, long pid) throws Exception {
    assertThat(new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor()).isZero();
  }

  @Test
  void kill_whileStopWaitsForAStoppedDaemon_returnsAtOnce() throws Exception {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build())) {
      WorkerFactory factory = registry.factory(TestPython.env());
      RealPythonWorker w = (RealPythonWorker) factory.create();
      DaemonProcess d = w.daemon();
      signal("STOP", d.pid());
      Thread stopper = new Thread(() -> d.stop(Duration.ofSeconds(60)), "test-stopper");
      stopper.setDaemon(true);
      try {
        stopper.start();
        await("the stop closed stdin and waits for the daemon").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(20)).until(() -> stopper.getState() == Thread.State.TIMED_WAITING);
        CompletableFuture<Boolean> kill = new CompletableFuture<>();
        Thread killer = new Thread(() -> kill.complete(d.kill(w.pid())), "test-kill");
        killer.setDaemon(true);
        killer.start();
        // stdin is closed, so the daemon cannot be told: false, and without waiting for the stop to end
        assertThat(kill.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(stopper.isAlive()).as("the stop still waits for the stopped daemon").isTrue();
      } finally {
        signal("CONT", d.pid());
        stopper.join(10_000);
      }
      assertThat(d.isAlive()).isFalse();
      factory.stop(w);
    }
  }

  @Test
  void deadline_whileAnEvictionKillIsStuck_stillFires() throws Exception {
    WorkerRegistry registry = WorkerRegistry.create(
        TestPython.config().idleTimeout(Duration.ofMillis(200)).build());
    try (registry) {
      WorkerFactory factory = registry.factory(TestPython.env());
      RealPythonWorker idle = (RealPythonWorker) factory.create();
      RealPythonWorker busy = (RealPythonWorker) factory.create();
      DaemonProcess d = idle.daemon();
      AtomicBoolean stopFilling = new AtomicBoolean();
      AtomicLong written = new AtomicLong();
      // A stopped daemon reads nothing: once its stdin pipe is full, the filler blocks in its write, holding the
      // stdin lock, and so does every kill through the daemon after it.
      Thread filler = new Thread(() -> {
        while (!stopFilling.get() && d.kill(NOT_A_CHILD)) written.incrementAndGet();
      }, "test-stdin-filler");
      filler.setDaemon(true);
      signal("STOP", d.pid());
      try {
        filler.start();
        AtomicLong seen = new AtomicLong(-1);
        await("the daemon's stdin pipe is full").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
            .until(() -> {
              long now = written.get();
              StackTraceElement[] st = filler.getStackTrace();
              boolean blocked = now > 0 && now == seen.getAndSet(now) && st.length > 0
                  && st[0].getMethodName().equals("writeBytes");
              return blocked;
            });
        factory.release(idle);
        await("the idle worker is evicted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
            .until(() -> factory.stats().evicted() == 1);
        signal("STOP", busy.pid());
        CompletableFuture<Throwable> ping = new CompletableFuture<>();
        Thread pinger = new Thread(() -> {
          try {
            busy.ping(Duration.ofMillis(300));
            ping.complete(null);
          } catch (Throwable t) {
            ping.complete(t);
          }
        }, "test-pinger");
        pinger.setDaemon(true);
        pinger.start();
        // the ping's deadline is on the scheduler thread, which must not be stuck in the eviction's kill
        Throwable failure = ping.get(10, TimeUnit.SECONDS);
        assertThat(failure).isInstanceOf(PythonWorkerException.class).hasMessageContaining("did not answer PING");
        assertThat(idle.isAlive()).as("the eviction's kill is still stuck behind the full pipe").isTrue();
        assertThat(filler.isAlive()).isTrue();
        assertThat(NoLeaks.pyworkersThreads()).anyMatch(n -> n.startsWith("pyworkers-killer-"));
      } finally {
        stopFilling.set(true);
        signal("CONT", d.pid());
        signal("CONT", busy.pid());
        filler.join(10_000);
      }
      await("the evicted worker is killed once the daemon reads again").atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20)).until(() -> !idle.isAlive());
      factory.stop(busy);
    }
  }
}
