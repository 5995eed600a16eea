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

  @Test
  void fork_whileTheRegistryClosesDuringTheWaitForAStoppingDaemon_failsAsClosedWithNoWarning() throws Exception {
    java.io.PrintStream realErr = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    WorkerRegistry registry = WorkerRegistry.create(
        TestPython.config().preloadModules(List.of("slow_exit_preload")).build());
    try {
      WorkerFactory factory = registry.factory(TestPython.env());
      RealPythonWorker first = (RealPythonWorker) factory.create();
      DaemonProcess d = first.daemon();
      factory.stop(first);
      Path socket = ((Endpoint.Unix) d.endpoint()).path();
      // a daemon that stops (not of SIGINT) removes its socket, then takes 2 s to exit: the fork waits for it
      assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(d.pid())).start().waitFor()).isZero();
      await("the stopping daemon removed its socket file").atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(10)).until(() -> !Files.exists(socket));
      Thread closer = new Thread(() -> {
        try {
          Thread.sleep(300);  // the moment of the close is the test's input: inside the fork's wait for the exit
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        registry.close();
      }, "test-closer");
      System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      closer.start();
      assertThatThrownBy(factory::create).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("the worker registry is closed");
      closer.join(10_000);
      assertThat(factory.stats().daemonRestarts()).isZero();
    } finally {
      System.setErr(realErr);
      registry.close();
    }
    assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("unreachable")
        .doesNotContain("WARN");
  }
}
