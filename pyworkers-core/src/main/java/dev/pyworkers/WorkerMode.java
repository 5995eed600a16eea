package dev.pyworkers;

/** How a factory obtains new Python workers. */
public enum WorkerMode {
  /**
   * A long-lived fork-server daemon ({@code python -m <daemon module>}) forks each worker. Workers start with the
   * daemon's preloaded modules already imported and can be pooled and reused. The default everywhere but Windows.
   */
  DAEMON,
  /**
   * Each worker is a fresh {@code python -m <worker module>} process that connects back to the JVM. Workers are not
   * pooled. The only mode on Windows.
   */
  SIMPLE;

  static WorkerMode platformDefault() {
    return isWindows() ? SIMPLE : DAEMON;
  }

  static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
  }
}
