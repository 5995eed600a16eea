package dev.pyworkers.internal.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.WorkerFactory;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.internal.daemon.DaemonProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A kill that cannot make progress (its daemon is SIGSTOPped) holds up nothing else: a kill racing a slow
 * {@link DaemonProcess#stop} returns at once.
 */
@ExtendWith(NoLeaks.class)
class SlowKillTest {
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
}
