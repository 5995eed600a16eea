package dev.pyworkers.testing;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.WorkerConfig;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Core's view of {@link TestRun}: the Python the suites drive and the environment they give it, as core's own types
 * ({@link PythonEnvironment}, {@link WorkerConfig}, {@code PythonFunction}). It lives in core's test tree because the
 * shared module pyworkers-testing cannot know core's types (core's tests depend on it). Every process a test starts
 * carries the marker variable {@link #MARKER}, so {@link NoLeaks} can find any that outlive their test, orphans
 * included. Stateless and thread-safe.
 */
public final class TestPython {
  public static final String MARKER = TestRun.MARKER;
  /** Random per test JVM; a child JVM started by a test gets its parent's through {@code -Dpyworkers.test.runId}. */
  public static final String RUN_ID = TestRun.RUN_ID;
  /** The scriptable fake peers, in pyworkers-testing/src/main/python/fakes. */
  public static final Path FAKES = TestRun.fakes();

  private TestPython() {}

  public static String executable() {
    return TestRun.python();
  }

  /** The test Python with the marker and the fakes folder on PYTHONPATH. */
  public static PythonEnvironment env() {
    return env(Map.of());
  }

  public static PythonEnvironment env(Map<String, String> extra) {
    return envFor(executable(), extra);
  }

  public static PythonEnvironment envFor(String executable, Map<String, String> extra) {
    return PythonEnvironment.of(executable, TestRun.environment(extra));
  }

  /** The variables every test function carries, so its workers are marked and see the fakes folder. */
  public static Map<String, String> functionEnv() {
    return TestRun.environment();
  }

  /** A source-text function with the test environment and the test Python. */
  public static dev.pyworkers.PythonFunction source(String text, String name) {
    return dev.pyworkers.PythonFunction.source(text, name).withEnv(functionEnv()).withPythonExecutable(executable());
  }

  /** A module:function reference with the test environment and the test Python. */
  public static dev.pyworkers.PythonFunction reference(String ref) {
    return dev.pyworkers.PythonFunction.reference(ref).withEnv(functionEnv()).withPythonExecutable(executable());
  }

  /** Defaults with short timeouts, so a failure shows quickly, and a cache folder inside target/. */
  public static WorkerConfig.Builder config() {
    return WorkerConfig.builder()
        .connectTimeout(java.time.Duration.ofSeconds(10))
        .authTimeout(java.time.Duration.ofSeconds(5))
        .cacheFolder(Paths.get("target/pyworkers-cache").toAbsolutePath());
  }

  /**
   * A child JVM running {@code main} with {@code args}, on this test JVM's class path, with this run's Python and
   * marker ({@code -Dpyworkers.test.python}, {@code -Dpyworkers.test.runId}, and the marker variable), logging at
   * warn, its stderr inherited.
   */
  public static ProcessBuilder childJvm(Class<?> main, String... args) {
    return TestRun.childJvm(main.getName(), args);
  }
}
