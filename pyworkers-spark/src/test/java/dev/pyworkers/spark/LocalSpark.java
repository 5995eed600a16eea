package dev.pyworkers.spark;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;

/**
 * A {@code local[2]} Spark session for one test class, with the pyworkers plugin and the test Python, and the proof
 * that stopping it leaves no Python process or pyworkers thread behind.
 */
final class LocalSpark implements AutoCloseable {
  final SparkSession spark;
  private final NoLeaks.Snapshot before;

  LocalSpark(String app) {
    before = NoLeaks.snapshot();
    spark = SparkSession.builder()
        .master("local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.plugins", PyworkersPlugin.class.getName())
        .config("spark.pyworkers.python", TestPython.executable())
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
  }

  @Override
  public void close() {
    spark.stop();
    // the plugin's executor side stopped the registry: no worker, daemon or pyworkers thread is left
    awaitNoPython(Duration.ofSeconds(10));
  }

  static void awaitNoPython(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    while (!NoLeaks.children().isEmpty() || !NoLeaks.pyworkersThreads().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("after the Spark session stopped, still alive: processes " + NoLeaks.children()
            + ", threads " + NoLeaks.pyworkersThreads());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    if (!NoLeaks.markedProcesses().isEmpty()) {
      throw new AssertionError("marked processes alive: " + NoLeaks.markedCommandLines());
    }
  }

  NoLeaks.Snapshot before() {
    return before;
  }

  /** The pids a test's Python noted as empty files named by their pid in {@code dir}. */
  static java.util.Set<Long> notedPids(java.nio.file.Path dir) throws java.io.IOException {
    java.util.Set<Long> out = new java.util.HashSet<>();
    try (var files = java.nio.file.Files.list(dir)) {
      for (java.nio.file.Path p : files.toList()) out.add(Long.parseLong(p.getFileName().toString()));
    }
    return out;
  }

  /** {@code s} as a Python string literal. */
  static String py(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
