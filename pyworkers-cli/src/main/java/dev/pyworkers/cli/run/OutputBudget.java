package dev.pyworkers.cli.run;

/**
 * The bytes of finished-but-not-yet-written partition output that may wait in memory, shared by every partition of
 * a run; what does not fit goes to a spill file ({@link PartitionOutput}). The default is an eighth of the JVM's
 * maximum heap, at most 64 MiB (64 MiB under {@code bin/pyworkers}'s -Xmx512m). Thread-safe.
 */
final class OutputBudget {
  static final long MAX_DEFAULT = 64L << 20;

  private final long capacity;
  /** Guarded by {@code this}. */
  private long used;

  OutputBudget(long capacity) {
    if (capacity < 0) throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
    this.capacity = capacity;
  }

  /** An eighth of the maximum heap, at most {@link #MAX_DEFAULT}. */
  static OutputBudget forHeap() {
    return new OutputBudget(Math.min(MAX_DEFAULT, Runtime.getRuntime().maxMemory() / 8));
  }

  /** Takes {@code bytes} if they fit; never waits. */
  synchronized boolean tryReserve(long bytes) {
    if (used + bytes > capacity) return false;
    used += bytes;
    return true;
  }

  synchronized void release(long bytes) {
    used -= bytes;
  }

  synchronized long used() {
    return used;
  }

  long capacity() {
    return capacity;
  }
}
