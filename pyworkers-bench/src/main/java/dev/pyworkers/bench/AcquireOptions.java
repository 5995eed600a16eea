package dev.pyworkers.bench;

import dev.pyworkers.Transport;
import java.util.Objects;

/**
 * What {@link AcquireBenchmark} runs: the Python executable, the socket kind and how many acquisitions each case
 * measures. Checked on construction. Immutable and thread-safe.
 *
 * @param python the Python executable, a path or a name on PATH; the benchmark resolves it to the real interpreter
 * @param transport the socket kind for every case
 * @param iterations measured acquisitions of the reuse and fork cases (default {@link #DEFAULT_ITERATIONS})
 * @param spawnIterations measured acquisitions of the spawn case (by default the same as {@code iterations})
 * @param coldIterations fresh registries whose first worker is timed (default {@link #DEFAULT_COLD_ITERATIONS})
 */
public record AcquireOptions(
    String python, Transport transport, int iterations, int spawnIterations, int coldIterations) {
  public static final int DEFAULT_ITERATIONS = 1000;
  public static final int DEFAULT_COLD_ITERATIONS = 10;
  private static final int MAX_ITERATIONS = 10_000_000;

  public AcquireOptions {
    Objects.requireNonNull(python, "python");
    Objects.requireNonNull(transport, "transport");
    if (python.isBlank()) {
      throw new IllegalArgumentException("python executable is blank; give a path or a name on PATH such as python3");
    }
    checkCount("iterations", iterations);
    checkCount("spawnIterations", spawnIterations);
    checkCount("coldIterations", coldIterations);
  }

  /** The defaults: 1000 reuse, fork and spawn acquisitions and 10 cold starts over the given transport. */
  public static AcquireOptions defaults(String python, Transport transport) {
    return new AcquireOptions(python, transport, DEFAULT_ITERATIONS, DEFAULT_ITERATIONS, DEFAULT_COLD_ITERATIONS);
  }

  private static void checkCount(String key, int value) {
    if (value < 1 || value > MAX_ITERATIONS) {
      throw new IllegalArgumentException(key + " must be between 1 and " + MAX_ITERATIONS + ", got " + value);
    }
  }
}
