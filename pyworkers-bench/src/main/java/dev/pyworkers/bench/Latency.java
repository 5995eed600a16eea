package dev.pyworkers.bench;

import java.util.Arrays;

/**
 * The latencies of one benchmark case, in nanoseconds, sorted once; percentiles by nearest rank (the smallest sample
 * with at least p % of the samples at or below it, no interpolation). Immutable and thread-safe.
 */
public final class Latency {
  private final long[] sortedNanos;

  private Latency(long[] sortedNanos) {
    this.sortedNanos = sortedNanos;
  }

  /** Copies and sorts {@code nanos}; there must be at least one sample. */
  public static Latency of(long[] nanos) {
    if (nanos.length == 0) throw new IllegalArgumentException("a latency needs at least one sample, got none");
    long[] copy = nanos.clone();
    Arrays.sort(copy);
    return new Latency(copy);
  }

  public int count() {
    return sortedNanos.length;
  }

  /** Nearest-rank percentile for {@code 0 < p <= 100}: the sample at rank ceil(p / 100 * n), counted from 1. */
  public long percentileNanos(double p) {
    if (!(p > 0 && p <= 100)) throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
    int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
    return sortedNanos[Math.max(rank, 1) - 1];
  }

  public double p50Micros() {
    return percentileNanos(50) / 1_000.0;
  }

  public double p99Micros() {
    return percentileNanos(99) / 1_000.0;
  }

  public double p50Millis() {
    return percentileNanos(50) / 1_000_000.0;
  }

  public double maxMicros() {
    return sortedNanos[sortedNanos.length - 1] / 1_000.0;
  }

  @Override
  public String toString() {
    return "Latency{n=" + count() + ", p50=" + p50Micros() + " us, p99=" + p99Micros() + " us}";
  }
}
