package dev.pyworkers.bench;

import dev.pyworkers.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one {@link AcquireBenchmark} run measured, with its human-readable table and its one-line JSON summary.
 * Immutable and thread-safe.
 *
 * @param python the interpreter every case ran (absolute path when Python reported it)
 * @param pythonVersion the interpreter's version
 * @param requestedPython the executable as given, before resolution
 * @param transport the concrete socket kind every case used
 * @param reuse acquisitions from the idle pool of a daemon factory
 * @param fork acquisitions forked by a warm daemon
 * @param spawn acquisitions spawned as simple {@code python -m pyworkers.worker} processes
 * @param coldStart the first acquisition of a new registry, daemon start included
 * @param reuseQuiet reuse from a registry with no event listener, paired with {@code reuseListened}
 * @param reuseListened reuse from a registry whose listener counts every event, alternating with {@code reuseQuiet}
 * @param iterations measured acquisitions of the reuse and fork cases
 */
public record AcquireResult(
    String python,
    String pythonVersion,
    String requestedPython,
    Transport transport,
    Latency reuse,
    Latency fork,
    Latency spawn,
    Latency coldStart,
    Latency reuseQuiet,
    Latency reuseListened,
    int iterations) implements BenchReport {
  /** Issue 2 targets. */
  static final double REUSE_P50_TARGET_US = 50;
  static final double FORK_P50_TARGET_US = 5_000;
  static final double FORK_SPEEDUP_TARGET = 10;

  /** How many times faster the median fork is than the median spawn, both measured in this run. */
  public double forkVsSpawnSpeedup() {
    return (double) spawn.percentileNanos(50) / Math.max(1, fork.percentileNanos(50));
  }

  /** The median reuse with a listener over the median without, acquisitions alternating between the two. */
  public double listenerVsNoneReuse() {
    return (double) reuseListened.percentileNanos(50) / Math.max(1, reuseQuiet.percentileNanos(50));
  }

  /** The table, one line per element, without line separators. */
  @Override
  public List<String> tableLines() {
    List<String> lines = new ArrayList<>();
    lines.add("pyworkers bench acquire: worker acquisition latency (time of WorkerFactory.create() only)");
    lines.add("python     " + python + " (Python " + pythonVersion + ")"
        + (python.equals(requestedPython) ? "" : ", resolved from '" + requestedPython + "'"));
    lines.add("transport  " + transport);
    lines.add("");
    lines.add(String.format(Locale.ROOT, "%-10s  %-6s  %-38s  %6s  %12s  %12s",
        "case", "mode", "how a worker is obtained", "n", "p50", "p99"));
    lines.add(row("reuse", "DAEMON", "idle pool, same worker (reuse on)", reuse));
    lines.add(row("fork", "DAEMON", "forked by warm daemon (reuse off)", fork));
    lines.add(row("spawn", "SIMPLE", "python -m pyworkers.worker", spawn));
    lines.add(String.format(Locale.ROOT, "%-10s  %-6s  %-38s  %6d  %9.1f ms  %12s",
        "cold start", "DAEMON", "1st worker of a new registry (median)", coldStart.count(), coldStart.p50Millis(),
        "-"));
    lines.add(row("reuse+0", "DAEMON", "idle pool, no listener (paired)", reuseQuiet));
    lines.add(row("reuse+ev", "DAEMON", "idle pool, a listener counting events", reuseListened));
    lines.add("");
    lines.add(String.format(Locale.ROOT, "fork vs spawn: fork p50 is %.1fx faster than spawn p50 (same run)",
        forkVsSpawnSpeedup()));
    lines.add(String.format(Locale.ROOT, "events: reuse p50 with a listener / without = %.3f (alternating, same run)",
        listenerVsNoneReuse()));
    lines.add(target("reuse p50 <= 50 us", reuse.p50Micros() <= REUSE_P50_TARGET_US));
    lines.add(target("fork p50 <= 5 ms", fork.p50Micros() <= FORK_P50_TARGET_US));
    lines.add(target("fork >= 10x faster than spawn", forkVsSpawnSpeedup() >= FORK_SPEEDUP_TARGET));
    return lines;
  }

  /** One JSON object on one line; microseconds and milliseconds with one decimal. */
  @Override
  public String toJson() {
    return String.format(Locale.ROOT,
        "{\"reuse_p50_us\":%.1f,\"reuse_p99_us\":%.1f,\"fork_p50_us\":%.1f,\"fork_p99_us\":%.1f,"
            + "\"spawn_p50_us\":%.1f,\"spawn_p99_us\":%.1f,\"cold_start_ms\":%.1f,\"fork_vs_spawn_speedup\":%.1f,"
            + "\"reuse_no_listener_p50_us\":%.1f,\"reuse_listener_p50_us\":%.1f,\"listener_vs_none_reuse\":%.3f,"
            + "\"iterations\":%d,\"python\":%s}",
        reuse.p50Micros(), reuse.p99Micros(), fork.p50Micros(), fork.p99Micros(), spawn.p50Micros(),
        spawn.p99Micros(), coldStart.p50Millis(), forkVsSpawnSpeedup(), reuseQuiet.p50Micros(),
        reuseListened.p50Micros(), listenerVsNoneReuse(), iterations, jsonString(python));
  }

  private static String row(String name, String mode, String how, Latency l) {
    return String.format(Locale.ROOT, "%-10s  %-6s  %-38s  %6d  %9.1f us  %9.1f us",
        name, mode, how, l.count(), l.p50Micros(), l.p99Micros());
  }

  private static String target(String what, boolean met) {
    return "target     " + what + ": " + (met ? "met" : "NOT met");
  }

  static String jsonString(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }
}
