package dev.pyworkers.internal.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.WorkerFactory;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.daemon.DaemonProcess;
import dev.pyworkers.internal.transport.Endpoint;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A daemon that a Ctrl-C reached is stopping, not broken: a fork that finds its socket file gone while its
 * interpreter is still exiting fails as interrupted, with no warning and no restart, however slow the exit.
 */
@ExtendWith(NoLeaks.class)
class DaemonInterruptTest {
  @Test
  void fork_whileAnInterruptedDaemonExitsSlowly_failsAsInterruptedAndDoesNotRestart() throws Exception {
    try (WorkerRegistry registry = WorkerRegistry.create(
        TestPython.config().preloadModules(List.of("slow_exit_preload")).build())) {
      WorkerFactory factory = registry.factory(TestPython.env());
      RealPythonWorker first = (RealPythonWorker) factory.create();
      DaemonProcess d = first.daemon();
      factory.stop(first);
      Path socket = ((Endpoint.Unix) d.endpoint()).path();
      assertThat(new ProcessBuilder("kill", "-INT", Long.toString(d.pid())).start().waitFor()).isZero();
      await("the interrupted daemon removed its socket file").atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(10)).until(() -> !Files.exists(socket));
      assertThat(d.isAlive()).as("the daemon still runs its slow exit handler").isTrue();

      assertThatThrownBy(factory::create).isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("was interrupted").hasMessageContaining("not restarted");
      assertThat(factory.stats().daemonRestarts()).isZero();
    }
  }
}
