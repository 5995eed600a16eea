package dev.pyworkers.testing;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.WorkerConfig;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Python the suites drive and the environment they give it. Every process a test starts carries the marker
 * variable {@link #MARKER}, so {@link NoLeaks} can find any that outlive their test, orphans included.
 */
public final class TestPython {
  public static final String MARKER = "PYWORKERS_TEST_RUN";
  /** Random per test JVM; a child JVM started by a test gets its parent's through {@code -Dpyworkers.test.runId}. */
  public static final String RUN_ID = System.getProperty("pyworkers.test.runId", UUID.randomUUID().toString());
  /** The scriptable fake peers in src/test/python. */
  public static final Path FAKES = Paths.get("src/test/python").toAbsolutePath();

  private TestPython() {}

  public static String executable() {
    return System.getProperty("pyworkers.test.python", "python3");
  }

  /** The test Python with the marker and the fakes folder on PYTHONPATH. */
  public static PythonEnvironment env() {
    return env(Map.of());
  }

  public static PythonEnvironment env(Map<String, String> extra) {
    return envFor(executable(), extra);
  }

  public static PythonEnvironment envFor(String executable, Map<String, String> extra) {
    Map<String, String> vars = new HashMap<>(extra);
    vars.put(MARKER, RUN_ID);
    String user = vars.get("PYTHONPATH");
    vars.put("PYTHONPATH", user == null ? FAKES.toString() : user + File.pathSeparator + FAKES);
    return PythonEnvironment.of(executable, vars);
  }

  /** The variables every test function carries, so its workers are marked and see the fakes folder. */
  public static Map<String, String> functionEnv() {
    return Map.of(MARKER, RUN_ID, "PYTHONPATH", FAKES.toString());
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
   * marker ({@code -Dpyworkers.test.python}, {@code -Dpyworkers.test.runId}), logging at warn, its stderr inherited.
   */
  public static ProcessBuilder childJvm(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Dpyworkers.test.python=" + executable(), "-Dpyworkers.test.runId=" + RUN_ID,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", main.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
  }
}
