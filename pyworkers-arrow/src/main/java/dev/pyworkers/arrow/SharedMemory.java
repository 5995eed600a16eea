package dev.pyworkers.arrow;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Whether and where the scalar Arrow eval types (200, 250, 101) pass large record batches through files in shared
 * memory instead of the socket (docs/protocol.md section 7.10): each task gets a private folder (mode 0700) in {@link
 * #folder()}, and a batch whose IPC message is at least {@link #threshold()} bytes goes, in either direction, through
 * a slot file there (mode 0600) that the reader reads in one copy; the socket carries a small control frame naming
 * it. A folder that is missing, not a folder or too full makes that task or batch go over the socket, never an
 * error. Immutable and thread-safe.
 */
public final class SharedMemory {
  /** {@code true} or {@code false}; default false (see docs/configuration.md for what it measured). */
  public static final String ENABLED_PROPERTY = "pyworkers.arrow.sharedMemory";
  /** Bytes, 0..1073741824; default {@value #DEFAULT_THRESHOLD}. */
  public static final String THRESHOLD_PROPERTY = "pyworkers.arrow.sharedMemory.threshold";
  /** An absolute folder; default {@code /dev/shm}. */
  public static final String FOLDER_PROPERTY = "pyworkers.arrow.sharedMemory.folder";
  public static final long DEFAULT_THRESHOLD = 256 * 1024;
  public static final long MAX_THRESHOLD = 1L << 30;
  public static final Path DEFAULT_FOLDER = Path.of("/dev/shm");

  private static final SharedMemory OFF = new SharedMemory(false, DEFAULT_FOLDER, DEFAULT_THRESHOLD);

  private final boolean enabled;
  private final Path folder;
  private final long threshold;

  private SharedMemory(boolean enabled, Path folder, long threshold) {
    this.enabled = enabled;
    this.folder = folder;
    this.threshold = threshold;
  }

  /** Every batch goes over the socket. */
  public static SharedMemory off() {
    return OFF;
  }

  /** Batches whose IPC message is at least {@code threshold} bytes go through a private folder in {@code folder}. */
  public static SharedMemory in(Path folder, long threshold) {
    Objects.requireNonNull(folder, "folder");
    if (!folder.isAbsolute()) {
      throw new IllegalArgumentException("the shared-memory folder must be an absolute path, got " + folder
          + "; give one such as /dev/shm");
    }
    if (threshold < 0 || threshold > MAX_THRESHOLD) {
      throw new IllegalArgumentException("the shared-memory threshold must be 0.." + MAX_THRESHOLD + " bytes, got "
          + threshold);
    }
    return new SharedMemory(true, folder.normalize(), threshold);
  }

  /** The settings of the system properties {@value #ENABLED_PROPERTY}, {@code .threshold} and {@code .folder}. */
  public static SharedMemory fromSystemProperties() {
    return fromProperties(System::getProperty);
  }

  /** As {@link #fromSystemProperties}, from {@code properties} (null for unset). */
  static SharedMemory fromProperties(UnaryOperator<String> properties) {
    String folderText = properties.apply(FOLDER_PROPERTY);
    Path folder = DEFAULT_FOLDER;
    if (folderText != null) {
      folder = Path.of(folderText.strip());
      if (!folder.isAbsolute()) {
        throw new IllegalArgumentException(FOLDER_PROPERTY + " = '" + folderText + "' is not an absolute path; give"
            + " a folder such as /dev/shm");
      }
    }
    long threshold = DEFAULT_THRESHOLD;
    String thresholdText = properties.apply(THRESHOLD_PROPERTY);
    if (thresholdText != null) {
      try {
        threshold = Long.parseLong(thresholdText.strip());
      } catch (NumberFormatException e) {
        threshold = -1;
      }
      if (threshold < 0 || threshold > MAX_THRESHOLD) {
        throw new IllegalArgumentException(THRESHOLD_PROPERTY + " = '" + thresholdText + "' is not a number of bytes"
            + " in 0.." + MAX_THRESHOLD + "; give one such as " + DEFAULT_THRESHOLD);
      }
    }
    String enabledText = properties.apply(ENABLED_PROPERTY);
    boolean enabled;
    if (enabledText == null) {
      enabled = false;
    } else if (enabledText.strip().equalsIgnoreCase("true")) {
      enabled = true;
    } else if (enabledText.strip().equalsIgnoreCase("false")) {
      enabled = false;
    } else {
      throw new IllegalArgumentException(ENABLED_PROPERTY + " = '" + enabledText + "' is neither true nor false");
    }
    return enabled ? in(folder, threshold) : new SharedMemory(false, folder.normalize(), threshold);
  }

  public boolean enabled() {
    return enabled;
  }

  /** The folder in which each task makes its private folder. */
  public Path folder() {
    return folder;
  }

  /** The smallest IPC message, in bytes (metadata and body), of a batch sent through a file. */
  public long threshold() {
    return threshold;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SharedMemory s && s.enabled == enabled && s.folder.equals(folder)
        && s.threshold == threshold;
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, folder, threshold);
  }

  @Override
  public String toString() {
    return enabled ? "SharedMemory[" + folder + ", threshold " + threshold + " bytes]" : "SharedMemory[off]";
  }
}
