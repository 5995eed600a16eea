package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gets a clear error that names what was wrong and what to do: never a hang, never a bare trace. */
@ExtendWith(NoLeaks.class)
class BadInputTest {
  @TempDir Path tmp;

  private static Throwable createFails(WorkerConfig config, PythonEnvironment env) {
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(env);
      try {
        PythonWorker w = factory.create();
        factory.stop(w);
        throw new AssertionError("create() succeeded with " + env + " and " + config);
      } catch (PythonWorkerException e) {
        return e;
      }
    }
  }

  @Test
  void missingExecutable_namesItAndSaysWhatToDo() {
    Throwable e = createFails(TestPython.config().build(), TestPython.envFor("/nonexistent/python3.99", Map.of()));
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("cannot run Python executable '/nonexistent/python3.99'")
        .hasMessageContaining("Give the path of an installed Python 3.8 or newer");
  }

  @Test
  void executableThatIsNotPython_exitingAtOnce_reportsTheExit() {
    Throwable e = createFails(TestPython.config().build(), TestPython.envFor("/bin/false", Map.of()));
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("exited during start with exit code 1")
        .hasMessageContaining("command: /bin/false -m pyworkers.daemon pyworkers.worker");
  }

  @Test
  void executableThatIsNotPython_printing_reportsTheBadBytes() {
    Throwable e = createFails(TestPython.config().build(), TestPython.envFor("/bin/echo", Map.of()));
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("Bad data on the Python daemon's standard output")
        .hasMessageContaining("'-m pyworkers.daemon");
  }

  @Test
  void executableThatNeverAnswers_timesOut() throws IOException {
    Path silent = tmp.resolve("silent-python");
    Files.writeString(silent, "#!/bin/sh\nexec sleep 30\n");
    Files.setPosixFilePermissions(silent, PosixFilePermissions.fromString("rwxr-xr-x"));
    WorkerConfig config = TestPython.config().connectTimeout(Duration.ofMillis(500)).build();
    Throwable e = createFails(config, TestPython.envFor(silent.toString(), Map.of()));
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("did not report where it listens within 500 ms (connectTimeout) and was killed");
  }

  @Test
  void pythonTooOld_isRejectedWithItsVersion() throws IOException {
    Path fake = tmp.resolve("python-old");
    Files.writeString(fake, "#!/bin/sh\n"
        + "exec " + TestPython.executable() + " -c 'import runpy, sys\n"
        + "sys.version_info = (3, 7, 9, \"final\", 0)\n"
        + "module = sys.argv[2]\n"
        + "sys.argv = [module] + sys.argv[3:]\n"
        + "runpy.run_module(module, run_name=\"__main__\", alter_sys=True)' \"$@\"\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (WorkerMode mode : WorkerMode.values()) {
      Throwable e = createFails(TestPython.config().mode(mode).build(), TestPython.envFor(fake.toString(), Map.of()));
      assertThat(e).isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("pyworkers requires Python 3.8 or newer")
          .hasMessageContaining("3.7.9");
    }
  }

  /**
   * Real interpreters older than 3.8 (pyenv's newest 2.7, 3.6 and 3.7, when installed): the entry modules parse on
   * each and refuse to run with exit code 6 and the one message, in both modes.
   */
  @Test
  void realOldPython_27_36_37_isRejectedWithItsVersion_inBothModes() throws IOException {
    Path versions = Path.of(System.getenv().getOrDefault("PYENV_ROOT", System.getProperty("user.home") + "/.pyenv"))
        .resolve("versions");
    List<Path> olds = new java.util.ArrayList<>();
    for (String prefix : List.of("2.7.", "3.6.", "3.7.")) {
      if (!Files.isDirectory(versions)) break;
      try (var dirs = Files.list(versions)) {
        dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).map(d -> d.resolve("bin/python"))
            .filter(Files::isExecutable).sorted().reduce((a, b) -> b).ifPresent(olds::add);
      }
    }
    org.junit.jupiter.api.Assumptions.assumeFalse(olds.isEmpty(), "no Python 2.7, 3.6 or 3.7 under " + versions);
    for (Path python : olds) {
      for (WorkerMode mode : WorkerMode.values()) {
        Throwable e = createFails(TestPython.config().mode(mode).build(), TestPython.envFor(python.toString(), Map.of()));
        assertThat(e).as("%s in %s mode", python, mode).isInstanceOf(WorkerStartException.class)
            .hasMessageContaining("pyworkers requires Python 3.8 or newer, but " + python + " is ")
            .hasMessageContaining("exit code 6");
      }
    }
  }

  @Test
  void missingDaemonModule_saysSo() {
    Throwable e = createFails(TestPython.config().daemonModule("no_such_daemon_module").build(), TestPython.env());
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("exited during start")
        .hasMessageContaining("No module named no_such_daemon_module");
  }

  @Test
  void missingWorkerModule_inDaemonMode_saysSo() {
    Throwable e = createFails(TestPython.config().workerModule("no_such_worker_module").build(), TestPython.env());
    assertThat(e).isInstanceOf(WorkerStartException.class).hasMessageContaining("no_such_worker_module");
  }

  @Test
  void daemonExitingDuringStart_reportsCodeAndStderr() {
    Throwable e = createFails(TestPython.config().daemonModule("fake_exit_daemon").build(), TestPython.env());
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("exited during start with exit code 7")
        .hasMessageContaining("fake daemon giving up on purpose");
  }

  @Test
  void sitecustomizePrintingToStdout_givesTheBadDataError() throws IOException {
    Path site = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(site.resolve("sitecustomize.py"), "print('hello from sitecustomize')\n");
    Throwable e = createFails(
        TestPython.config().build(), TestPython.env(Map.of("PYTHONPATH", site.toString())));
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("Bad data on the Python daemon's standard output")
        .hasMessageContaining("'hell")
        .hasMessageContaining("sitecustomize.py")
        .hasMessageContaining("PYTHONPATH: ")
        .hasMessageContaining(site.toString());
  }

  @Test
  void preloadOfMissingModule_failsAtDaemonStart() {
    Throwable e = createFails(
        TestPython.config().preloadModules(List.of("json", "no_such_preload")).build(), TestPython.env());
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("no_such_preload")
        .hasMessageContaining("ModuleNotFoundError");
  }

  @Test
  void preloadedModule_isImportedOnceByTheDaemonBeforeItForks() throws IOException {
    Path marker = tmp.resolve("marker");
    WorkerConfig config = TestPython.config().preloadModules(List.of("preload_marker")).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory f = registry.factory(TestPython.env(Map.of("PYWORKERS_PRELOAD_MARKER", marker.toString())));
      PythonWorker a = f.create();
      PythonWorker b = f.create();
      long daemon = ProcessHandle.of(a.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
      assertThat(Files.readAllLines(marker)).containsExactly(Long.toString(daemon));
      f.release(a);
      f.release(b);
    }
  }

  @Test
  void simpleWorkerThatNeverConnects_timesOut() {
    WorkerConfig config = TestPython.config().mode(WorkerMode.SIMPLE).workerModule("fake_silent_worker")
        .connectTimeout(Duration.ofMillis(1500)).build();
    Throwable e = createFails(config, TestPython.env());
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("did not connect back within 1500 ms");
  }

  @Test
  void forkedWorkerThatNeverReportsItsPid_timesOutAfterOneDaemonRestart() {
    WorkerConfig config = TestPython.config().workerModule("fake_silent_worker")
        .connectTimeout(Duration.ofSeconds(1)).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory f = registry.factory(TestPython.env());
      assertThatThrownBy(f::create)
          .isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("still unreachable after one restart")
          .hasMessageContaining("did not report its pid within 1000 ms");
      assertThat(f.stats().daemonRestarts()).isEqualTo(1);
    }
  }

  @Test
  void daemonThatNeverForks_timesOut() {
    WorkerConfig config = TestPython.config().daemonModule("fake_hung_daemon")
        .connectTimeout(Duration.ofMillis(800)).build();
    Throwable e = createFails(config, TestPython.env());
    assertThat(e).hasMessageContaining("did not report its pid within 800 ms");
  }

  @Test
  void workerWithAnotherSecret_rejectsTheJvmAndIsRejected() {
    Throwable e = createFails(TestPython.config().workerModule("fake_wrong_secret_worker").build(), TestPython.env());
    assertThat(e).isInstanceOf(WorkerAuthException.class)
        .hasMessageContaining("rejected the JVM's proof of the secret");
  }

  @Test
  void workerWithABadProof_isRejectedByTheJvm() {
    Throwable e = createFails(TestPython.config().workerModule("fake_bad_proof_worker").build(), TestPython.env());
    assertThat(e).isInstanceOf(WorkerAuthException.class)
        .hasMessageContaining("failed authentication: its proof does not match");
  }

  @Test
  void peerSendingRandomBytes_isAProtocolError() {
    for (WorkerMode mode : WorkerMode.values()) {
      Throwable e = createFails(
          TestPython.config().mode(mode).workerModule("fake_random_bytes_worker").build(), TestPython.env());
      assertThat(e).isInstanceOf(WorkerProtocolException.class)
          .hasMessageContaining("expected tag 'PWKW'")
          .hasMessageContaining("13 37");
    }
  }

  @Test
  void configValuesOutOfRange_areRejectedWithKeyAndValue() {
    assertThatThrownBy(() -> WorkerConfig.builder().idlePoolSize(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("idlePoolSize must be between 1 and 100000 workers, got 0");
    assertThatThrownBy(() -> WorkerConfig.builder().bufferSize(10).build())
        .hasMessageContaining("bufferSize must be between 1024 and 67108864 bytes, got 10");
    assertThatThrownBy(() -> WorkerConfig.builder().idleTimeout(Duration.ofMillis(-5)).build())
        .hasMessageContaining("idleTimeout must be between 1 ms and 1 h, got PT-0.005S");
    assertThatThrownBy(() -> WorkerConfig.builder().connectTimeout(Duration.ofHours(2)).build())
        .hasMessageContaining("connectTimeout must be between 1 ms and 1 h");
    assertThatThrownBy(() -> WorkerConfig.builder().maxTasksPerWorker(-1).build())
        .hasMessageContaining("maxTasksPerWorker must be between 0");
    assertThatThrownBy(() -> WorkerConfig.builder().daemonModule("not a module!").build())
        .hasMessageContaining("daemonModule 'not a module!' is not a Python module name");
    assertThatThrownBy(() -> WorkerConfig.builder().preloadModules(List.of("ok", "1bad")).build())
        .hasMessageContaining("preloadModules entry '1bad'");
    assertThatThrownBy(() -> PythonEnvironment.of(" "))
        .hasMessageContaining("python executable is blank");
    assertThatThrownBy(() -> PythonEnvironment.of("python3", Map.of("A=B", "x")))
        .hasMessageContaining("environment variable name 'A=B' is invalid");
  }

  @Test
  void socketFolderTooDeepForUnixSockets_saysSo() throws IOException {
    Path deep = tmp.resolve("x".repeat(60)).resolve("y".repeat(60));
    Throwable e = createFails(TestPython.config().transport(Transport.UNIX).socketFolder(deep).build(),
        TestPython.env());
    assertThat(e).isInstanceOf(WorkerStartException.class)
        .hasMessageContaining("over the OS limit")
        .hasMessageContaining("socketFolder");
  }
}
