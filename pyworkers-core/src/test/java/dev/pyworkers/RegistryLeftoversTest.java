package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.RegistryChild;
import dev.pyworkers.testing.TestPython;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a dead JVM left behind is removed by the next registry of the same user, never what a live one uses; and a
 * close racing create() on several threads warns about nothing and leaves nothing.
 */
@ExtendWith(NoLeaks.class)
class RegistryLeftoversTest {
  @TempDir Path sockets;
  @TempDir Path local;

  static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static List<String> of(Path dir, long pid) throws IOException {
    return names(dir).stream().filter(n -> n.contains("-p" + pid + "-")).toList();
  }

  Process child() throws IOException {
    Process p = TestPython.childJvm(RegistryChild.class, sockets.toString(), local.toString()).start();
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    assertThat(line).as("child JVM pid %d started its registry", p.pid()).isEqualTo("ready");
    return p;
  }

  @Test
  void jvmKilledWithSigkill_leavesItsFolders_theNextRegistryRemovesThem_butNotThoseOfALiveJvm() throws Exception {
    Process killed = child();
    Process alive = child();
    assertThat(of(sockets, killed.pid())).hasSize(1).allMatch(n -> n.startsWith("pyw-"));
    assertThat(of(local, killed.pid())).hasSize(1).allMatch(n -> n.startsWith("pyworkers-runner-"));

    killed.destroyForcibly();  // SIGKILL: no shutdown hook runs
    assertThat(killed.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(of(sockets, killed.pid())).as("SIGKILL left the socket folder").hasSize(1);
    assertThat(of(local, killed.pid())).as("SIGKILL left the runner folder").hasSize(1);

    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().socketFolder(sockets).build());
        PythonRunner runner = PythonRunner.builder(registry).localDirs(List.of(local))
            .udf(PythonUdf.of(new int[] {0}, TestPython.source("def f(x):\n    return x\n", "f"))).build()) {
      assertThat(of(sockets, killed.pid())).as("the dead JVM's socket folder is removed").isEmpty();
      assertThat(of(local, killed.pid())).as("the dead JVM's runner folder is removed").isEmpty();
      assertThat(of(sockets, alive.pid())).as("the live JVM's socket folder stays").hasSize(1);
      assertThat(of(local, alive.pid())).as("the live JVM's runner folder stays").hasSize(1);
    }

    alive.getOutputStream().close();
    assertThat(alive.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(alive.exitValue()).isZero();
    assertThat(names(sockets)).as("a JVM that closed its registry left nothing").isEmpty();
    assertThat(names(local)).isEmpty();
  }

  @ParameterizedTest(name = "close after {0} ms")
  @ValueSource(ints = {0, 10, 30, 60, 120, 250})
  void closeRacingCreateOnSeveralThreads_givesNoWarning_onlyClosedErrors_andLeavesNoFolder(int closeAfterMillis)
      throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    List<Throwable> errors = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      WorkerRegistry registry = WorkerRegistry.create(TestPython.config().socketFolder(sockets).build());
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Throwable>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(threads.submit(() -> {
          go.await();
          try {
            while (true) {
              WorkerFactory f = registry.factory(TestPython.env());
              f.release(f.create());
            }
          } catch (RuntimeException e) {
            return e;
          }
        }));
      }
      go.countDown();
      if (closeAfterMillis > 0) Thread.sleep(closeAfterMillis);  // when to close is the test's input, not a wait
      registry.close();
      for (Future<Throwable> r : results) errors.add(r.get(30, TimeUnit.SECONDS));
      assertThat(names(sockets)).as("the socket folder is gone once close() returned").isEmpty();
    } finally {
      System.setErr(originalErr);
      threads.shutdownNow();
      threads.awaitTermination(10, TimeUnit.SECONDS);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log).as("log during the race").doesNotContain("WARN").doesNotContain("ERROR");
    for (Throwable e : errors) {
      assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("the worker registry is closed");
    }
  }
}
