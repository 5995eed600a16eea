package dev.pyworkers.cli.run;

import dev.pyworkers.StallEvent;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Prints a run's stall reports on stderr as one WARN each, with the input lines of the stalled partition. The
 * pipeline tells it which partitions are running; a report outside them is about the FUNC check before the input.
 * Thread-safe: reports come from the registry's scheduler thread, partitions from the task threads.
 */
public final class StallReporter implements Consumer<StallEvent> {
  private final PrintStream err;
  private final boolean overBar;
  private final Map<Integer, Partition> running = new ConcurrentHashMap<>();

  /** @param overBar a progress bar is drawn on {@code err}: each report first clears the bar's line */
  public StallReporter(PrintStream err, boolean overBar) {
    this.err = err;
    this.overBar = overBar;
  }

  void started(Partition p) {
    running.put(p.index(), p);
  }

  void ended(Partition p) {
    running.remove(p.index(), p);
  }

  @Override
  public void accept(StallEvent e) {
    Partition p = running.get(e.partition());
    String where = p == null ? "while loading FUNC (before any input)"
        : "on partition " + p.index() + " (input " + p.lines() + ")";
    StringBuilder sb = new StringBuilder(overBar ? "\r\033[2K" : "").append("pyworkers run: WARN Python worker pid ").append(e.pid())
        .append(" has taken no input and sent no output for ").append(seconds(e)).append(' ').append(where)
        .append("; process state: ").append(e.state().description());
    if (e.reports() > 1) sb.append(" (report ").append(e.reports()).append(")");
    if (e.hasTraceback()) {
      sb.append("; FUNC's traceback (main thread, most recent call first):\n").append(FuncTraceback.of(e.traceback()));
    } else {
      sb.append("; ").append(e.tracebackUnavailable());
    }
    sb.append("\n  (--stall-warning sets this interval, 0 turns it off; --task-timeout kills a stalled worker)");
    synchronized (err) {
      err.println(sb);
      err.flush();
    }
  }

  private static String seconds(StallEvent e) {
    return String.format(java.util.Locale.ROOT, "%.1f s", e.stalledFor().toMillis() / 1000.0);
  }
}
