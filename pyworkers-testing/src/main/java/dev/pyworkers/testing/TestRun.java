package dev.pyworkers.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * This test JVM's run: the Python the suites drive, the marker every process a test starts carries, the folder of
 * scriptable fake peers, and child JVMs that inherit all three. {@link NoLeaks} finds a process that outlives its
 * test, orphans included, by the marker {@link #MARKER}={@link #RUN_ID} in its environment.
 *
 * <p>Free of pyworkers-core types on purpose: core's own tests depend on this module, so it cannot depend on core
 * (Maven forbids the cycle). It hands out executables, environment maps and paths; core's test tree turns them into
 * a {@code PythonEnvironment} ({@code dev.pyworkers.testing.TestPython}). Stateless and thread-safe.
 */
public final class TestRun {
  /** The environment variable that marks every process a test starts. */
  public static final String MARKER = "PYWORKERS_TEST_RUN";
  /** Random per test JVM; a child JVM started by {@link #childJvm} gets its parent's through a system property. */
  public static final String RUN_ID = System.getProperty("pyworkers.test.runId", UUID.randomUUID().toString());
  /** The system property that names the Python under test; the build sets it from {@code -Dpyworkers.python}. */
  public static final String PYTHON_PROPERTY = "pyworkers.test.python";

  private static final Path PYTHON_FOLDER = pythonFolder();

  private TestRun() {}

  /** The Python executable under test: {@code -Dpyworkers.test.python}, else {@code python3} from the PATH. */
  public static String python() {
    return System.getProperty(PYTHON_PROPERTY, "python3");
  }

  /**
   * The folder of scriptable fake peers and helper modules ({@code pyworkers-testing/src/main/python/fakes}), for a
   * test Python's PYTHONPATH.
   */
  public static Path fakes() {
    return PYTHON_FOLDER.resolve("fakes");
  }

  /** The folder that holds the Python package {@code pyworkers_testing} (the pytest harness) and {@code fakes}. */
  public static Path pythonSources() {
    return PYTHON_FOLDER;
  }

  /** {@code extra} with this run's marker added and the fakes folder appended to its PYTHONPATH. */
  public static Map<String, String> environment(Map<String, String> extra) {
    Map<String, String> vars = new HashMap<>(extra);
    vars.put(MARKER, RUN_ID);
    String user = vars.get("PYTHONPATH");
    vars.put("PYTHONPATH", user == null ? fakes().toString() : user + File.pathSeparator + fakes());
    return vars;
  }

  /** Just the marker and the fakes folder: what a test function's own environment carries. */
  public static Map<String, String> environment() {
    return Map.of(MARKER, RUN_ID, "PYTHONPATH", fakes().toString());
  }

  /** The {@code java} executable of this JVM. */
  public static String java() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * A child JVM running {@code main} with {@code args}, on this test JVM's class path, with this run's Python and run
   * id ({@code -Dpyworkers.test.python}, {@code -Dpyworkers.test.runId}) and the marker in its environment, logging at
   * warn, its stderr inherited.
   */
  public static ProcessBuilder childJvm(String main, String... args) {
    return childJvm(List.of(), main, args);
  }

  /** As {@link #childJvm(String, String...)}, with {@code jvmOptions} (e.g. {@code -Xmx512m}) before the class. */
  public static ProcessBuilder childJvm(List<String> jvmOptions, String main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
        "-D" + PYTHON_PROPERTY + "=" + python(), "-Dpyworkers.test.runId=" + RUN_ID,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", main));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put(MARKER, RUN_ID);
    return pb;
  }

  private static Path pythonFolder() {
    String resource = "pyworkers-testing.properties";
    Properties props = new Properties();
    try (InputStream in = TestRun.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("resource dev/pyworkers/testing/" + resource + " is missing from the class"
            + " path; build the pyworkers-testing module (mvn ... -am) before the tests that use it");
      }
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dev/pyworkers/testing/" + resource, e);
    }
    Path folder = Paths.get(props.getProperty("python.folder", ""));
    if (!Files.isDirectory(folder.resolve("fakes"))) {
      throw new IllegalStateException("pyworkers-testing's Python folder '" + folder + "' has no fakes/ folder; the"
          + " jar was built from another checkout: rebuild pyworkers-testing from this source tree");
    }
    return folder;
  }
}
